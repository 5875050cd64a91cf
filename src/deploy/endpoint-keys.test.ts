import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ApiKeys } from '../serving/api-keys.js'
import { openSqlite } from '../store/sqlite/database.js'
import { EndpointKeys, keysFileText } from './endpoint-keys.js'
import { SqliteDeploymentStore } from '../store/sqlite/deployment-store.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe('endpoint keys', () => {
  let dir: string
  let store: SqliteDeploymentStore
  const secret = Buffer.from('a-test-key-secret-of-enough-bytes')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-keys-'))
    store = new SqliteDeploymentStore(openSqlite(join(dir, 'wharf.db'), { durability: 'normal' }), { ownsDb: true })
  })

  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('makes a primary and a secondary key once, and gives them back the same', async () => {
    const keys = new EndpointKeys(secret, store)
    const digests = await keys.ensure('production', 'fraud', 1000)
    assert.deepEqual(await keys.ensure('production', 'fraud', 2000), digests, 'ensure does not regenerate')
    const revealed = await keys.reveal('production', 'fraud')
    assert.notEqual(revealed.primary, revealed.secondary)
    assert.deepEqual([sha256(revealed.primary), sha256(revealed.secondary)], digests)
    assert.equal(revealed.primaryCreated, 1000)
    assert.match(revealed.primary, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url')
  })

  it('keeps neither key in the database: only a salt and the sha256', async () => {
    const { primary, secondary } = await new EndpointKeys(secret, store).reveal('production', 'fraud')
    const db = await readFile(join(dir, 'wharf.db'))
    for (const key of [primary, secondary]) assert.equal(db.includes(Buffer.from(key)), false)
    const records = await store.getEndpointKeys('production', 'fraud')
    assert.deepEqual(Object.keys(records[0]!).sort(), ['creationTime', 'digest', 'environment', 'modelName', 'salt', 'slot'])
  })

  it('regenerates one slot and leaves the other working', async () => {
    const keys = new EndpointKeys(secret, store)
    const before = await keys.reveal('production', 'fraud')
    const digests = await keys.regenerate('production', 'fraud', 'primary', 3000)
    const after = await keys.reveal('production', 'fraud')
    assert.notEqual(after.primary, before.primary)
    assert.equal(after.secondary, before.secondary)
    assert.deepEqual(digests, [sha256(after.primary), sha256(after.secondary)])
    assert.equal(after.primaryCreated, 3000)
  })

  it('gives each endpoint keys of its own, and refuses to hand out keys another secret made', async () => {
    const keys = new EndpointKeys(secret, store)
    await keys.ensure('staging', 'fraud', 1000)
    assert.notEqual((await keys.reveal('staging', 'fraud')).primary, (await keys.reveal('production', 'fraud')).primary)
    await assert.rejects(new EndpointKeys(Buffer.from('another-secret-of-enough-bytes!!'), store).reveal('production', 'fraud'), /made with another key secret/)
    await assert.rejects(keys.reveal('production', 'unknown'), /has no endpoint keys/)
    assert.throws(() => new EndpointKeys(Buffer.from('short'), store), /at least 16 bytes/)
  })

  it('writes a keys file that wharf serve accepts the keys by, and nothing else', async () => {
    const keys = new EndpointKeys(secret, store)
    const file = join(dir, 'keys')
    await writeFile(file, keysFileText(await keys.ensure('production', 'fraud', 0)))
    assert.doesNotMatch(await readFile(file, 'utf8'), new RegExp((await keys.reveal('production', 'fraud')).primary))
    const check = new ApiKeys([], file)
    try {
      const { primary, secondary } = await keys.reveal('production', 'fraud')
      assert.equal(check.check(`Bearer ${primary}`), true)
      assert.equal(check.check(`Bearer ${secondary}`), true)
      assert.equal(check.check(`Bearer ${sha256(primary)}`), false, 'the digest itself is not a key')
      assert.equal(check.check(undefined), false)
    } finally {
      check.close()
    }
  })

  it("takes the control plane's metrics-only key on /metrics and nowhere else", async () => {
    const keys = new EndpointKeys(secret, store)
    const file = join(dir, 'keys-with-metrics')
    const scrapeKey = 'the-control-plane-scrape-key'
    await writeFile(file, keysFileText(await keys.ensure('production', 'fraud', 0), sha256(scrapeKey)))
    const check = new ApiKeys([], file)
    try {
      const { primary } = await keys.reveal('production', 'fraud')
      assert.equal(check.checkMetrics(`Bearer ${scrapeKey}`), true)
      assert.equal(check.check(`Bearer ${scrapeKey}`), false, 'the metrics key answers no prediction')
      assert.equal(check.checkMetrics(`Bearer ${primary}`), true)
      assert.equal(check.checkMetrics('Bearer another'), false)
      assert.equal(check.checkMetrics(undefined), false)
    } finally {
      check.close()
    }
  })

  it("derives each endpoint's pod metrics key from the key secret: the same on every replica, taken in X-Wharf-Metrics-Key on /metrics only", async () => {
    const keys = new EndpointKeys(secret, store)
    const metricsKey = keys.metricsKey('production', 'fraud')
    assert.equal(new EndpointKeys(secret, store).metricsKey('production', 'fraud'), metricsKey, 'another replica with the same secret')
    assert.notEqual(keys.metricsKey('staging', 'fraud'), metricsKey)
    assert.notEqual(new EndpointKeys(Buffer.from('another-key-secret-of-enough-bytes'), store).metricsKey('production', 'fraud'), metricsKey)
    const file = join(dir, 'keys-with-pod-metrics')
    await writeFile(file, keysFileText(await keys.ensure('production', 'fraud', 0), sha256(metricsKey)))
    const check = new ApiKeys([], file)
    try {
      // The API server's pod proxy drops Authorization: the key comes in its own header.
      assert.equal(check.checkMetrics(undefined, metricsKey), true)
      assert.equal(check.checkMetrics(undefined, 'not-the-key'), false)
      assert.equal(check.checkMetrics(undefined, ''), false)
      assert.equal(check.check(`Bearer ${metricsKey}`), false, 'the metrics key answers no prediction')
      const { primary } = await keys.reveal('production', 'fraud')
      assert.equal(check.checkMetrics(undefined, primary), false, 'an endpoint key goes in Authorization, not in the metrics header')
    } finally {
      check.close()
    }
  })

  it("forgets an endpoint's keys when it is undeployed", async () => {
    const keys = new EndpointKeys(secret, store)
    await keys.forget('staging', 'fraud')
    assert.deepEqual(await store.getEndpointKeys('staging', 'fraud'), [])
  })
})
