import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { joinArtifactPath, safeArtifactPath } from './artifact-path.js'

const isInvalidPath = (err: unknown) =>
  err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE' && err.status === 400 && err.message === 'Invalid path'

// One group per bullet of docs/security.md §3.1, in the same order.
const refused: Record<string, readonly string[]> = {
  'dot-dot segments': ['../../etc/passwd', './../x', 'model/../../../etc/shadow', 'a/b/../../../c', 'a/b/..', '..', '../'],
  'percent-encoded traversal and malformed escapes': [
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '%2E%2E/x',
    '..%2f..%2f',
    '.%2e/x',
    '%252e%252e%252f',
    '%25252e%25252e%25252f',
    '%zz',
    '%',
    'a%2',
    'model/%',
  ],
  'absolute and host forms': [
    '/etc/passwd',
    '//etc/passwd',
    '/file://etc/passwd',
    'file:///etc/passwd',
    'file:etc/passwd',
    'FILE:///etc/passwd',
    'http://evil.example/x',
    'C:/Windows/win.ini',
    'c:foo',
    '\\\\server\\share\\x',
    '\\\\?\\C:\\x',
  ],
  backslashes: ['..\\..\\etc\\passwd', 'a\\..\\..\\b', '%5c..%5c..%5cx', 'a\\b'],
  'NUL, fragment and query smuggling': ['/etc/passwd%00.jpg', 'a%00b', 'a\0b', 'a#b', 'a%23/../../b', 'a?/../../b', 'a%3f/../../b'],
  'Unicode look-alikes, overlong UTF-8 and direction overrides': [
    '．．／',
    '．．/etc',
    '..／etc',
    '‥/',
    '‥/etc/passwd',
    'a∕..∕b',
    'a＼b',
    '%c0%ae%c0%ae%c0%af',
    '%c0%ae%c0%ae/x',
    'a\u202Etxt.exe',
    '%E2%80%AE',
    'a\uD800b',
  ],
}

const mustAccept: readonly (readonly [string | undefined, string])[] = [
  ['path', 'path'],
  ['path/', 'path'],
  ['path/to/file', 'path/to/file'],
  ['model/MLmodel', 'model/MLmodel'],
  ['a..b', 'a..b'],
  ['....', '....'],
  ['', ''],
  [undefined, ''],
  ['.', ''],
  ['./', ''],
  ['./model/MLmodel', 'model/MLmodel'],
  ['a//b///c/', 'a/b/c'],
  ['a/./b/.', 'a/b'],
  ['model%2Fdata%2Fmodel.pkl', 'model/data/model.pkl'],
  ['my%2520file.txt', 'my file.txt'],
  ['données/été.csv', 'données/été.csv'],
  ['checkpoints/epoch=3-step:100.ckpt', 'checkpoints/epoch=3-step:100.ckpt'],
  ['½.txt', '½.txt'],
]

describe('safeArtifactPath', () => {
  for (const [group, vectors] of Object.entries(refused)) {
    describe(`refuses ${group}`, () => {
      for (const vector of vectors) {
        it(`refuses ${JSON.stringify(vector)} with 400 "Invalid path"`, () => {
          assert.throws(() => safeArtifactPath(vector), isInvalidPath)
        })
      }
    })
  }

  describe('refuses control characters', () => {
    const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f]
    for (const cp of controls) {
      const hex = cp.toString(16).padStart(2, '0')
      it(`refuses U+00${hex.toUpperCase()} whether raw or percent-encoded`, () => {
        assert.throws(() => safeArtifactPath(`a${String.fromCharCode(cp)}b`), isInvalidPath)
        assert.throws(() => safeArtifactPath(`a%${hex}b`), isInvalidPath)
      })
    }
  })

  it('refuses every listed look-alike code point on its own', () => {
    for (const cp of [0xff0e, 0xff0f, 0x2025, 0x2215, 0xff3c, 0x2024, 0xfe52, 0x2044, 0x202e]) {
      assert.throws(() => safeArtifactPath(`a${String.fromCodePoint(cp)}b`), isInvalidPath, `U+${cp.toString(16)}`)
    }
  })

  it('refuses a value that still changes after ten decoding passes', () => {
    const elevenTimesEncoded = `a%${'25'.repeat(10)}41`
    assert.throws(() => safeArtifactPath(elevenTimesEncoded), isInvalidPath)
  })

  it('accepts a value that becomes stable within ten decoding passes', () => {
    assert.equal(safeArtifactPath(`a%${'25'.repeat(7)}41`), 'aA')
  })

  describe('accepts the must-accept examples and returns them normalised', () => {
    for (const [input, expected] of mustAccept) {
      it(`accepts ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
        assert.equal(safeArtifactPath(input), expected)
      })
    }
  })

  describe('with Windows rules on', () => {
    const windows = { windowsRules: true }
    for (const vector of ['CON', 'NUL.txt', 'model/com1', 'a.txt::$DATA', 'x.', 'x ', 'dir./f', 'a<b', 'a|b']) {
      it(`refuses the Windows-only vector ${JSON.stringify(vector)}`, () => {
        assert.throws(() => safeArtifactPath(vector, windows), isInvalidPath)
      })
    }

    it('still accepts ordinary names', () => {
      assert.equal(safeArtifactPath('./model/MLmodel', windows), 'model/MLmodel')
      assert.equal(safeArtifactPath('console.log', windows), 'console.log')
    })
  })

  it('accepts the Windows-only vectors on POSIX when Windows rules are off', () => {
    assert.equal(safeArtifactPath('x.', { windowsRules: false }), 'x.')
    assert.equal(safeArtifactPath('NUL.txt', { windowsRules: false }), 'NUL.txt')
  })
})

describe('joinArtifactPath', () => {
  it('joins relative parts into one normalised POSIX path', () => {
    assert.equal(joinArtifactPath('1', 'abc/', '/artifacts', '', 'model/MLmodel'), '1/abc/artifacts/model/MLmodel')
  })

  it('returns the root for no parts or empty parts', () => {
    assert.equal(joinArtifactPath(), '')
    assert.equal(joinArtifactPath('', '.', ''), '')
  })

  it('refuses a dot-dot segment even though parts should already be safe', () => {
    assert.throws(() => joinArtifactPath('1', '../2'), isInvalidPath)
    assert.throws(() => joinArtifactPath('a\\b'), isInvalidPath)
  })
})
