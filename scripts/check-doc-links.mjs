// Checks that code, tests, scripts and docs point only at documents the repository has: every
// `docs/NAME.md` named exists, every `docs/NAME.md §N` names a section of it, and nothing names the
// design notes the project started from (they are not in the repository: their content is in docs/).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|mjs|js|cjs|md|sh|py|json|yaml|yml)$/.test(f) && f !== 'scripts/check-doc-links.mjs' && existsSync(f))
const sectionsOf = new Map()
const sections = (doc) => {
  if (!sectionsOf.has(doc)) {
    const headings = readFileSync(doc, 'utf8').match(/^#{2,4} (\d+(?:\.\d+)*)[ .]/gm) ?? []
    sectionsOf.set(doc, new Set(headings.map((h) => h.replace(/^#+ /, '').replace(/[ .]$/, ''))))
  }
  return sectionsOf.get(doc)
}
const problems = []
for (const file of files) {
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(/docs\/([\w-]+\.md)((?:,? ?§\d+(?:\.\d+)*(?:[–-]\d+(?:\.\d+)*)?)*)/g)) {
    const doc = `docs/${match[1]}`
    if (!existsSync(doc)) {
      problems.push(`${file}: ${doc} does not exist`)
      continue
    }
    for (const ref of match[2].matchAll(/§(\d+(?:\.\d+)*)(?:[–-](\d+(?:\.\d+)*))?/g)) {
      for (const section of [ref[1], ref[2]].filter(Boolean)) {
        if (!sections(doc).has(section)) problems.push(`${file}: ${doc} has no section ${section}`)
      }
    }
  }
  if (file.startsWith('docs/')) continue
  for (const match of text.matchAll(/\b(?:PROTOCOLS|SECURITY|PERFORMANCE|CONTAINERS|STYLE|DESIGN|RECIPES)\.md\b|\/work\/|\bshared\/\w/g)) {
    problems.push(`${file}: names '${match[0]}', which is not in the repository`)
  }
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`)
  process.exit(1)
}
process.stdout.write(`doc links: ${files.length} files checked\n`)
