import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parsePipeline } from './pipeline-file.js'

const example = fileURLToPath(new URL('../../examples/diabetes/wharf.yaml', import.meta.url))

const refusal = (text: string) => {
  try {
    parsePipeline(text, 'wharf.yaml')
  } catch (err) {
    return (err as Error).message
  }
  assert.fail('expected a refusal')
}

describe('wharf.yaml pipelines', () => {
  it('reads the quickstart pipeline: stages in order, steps with their kinds, variables, triggers', async () => {
    const p = parsePipeline(await readFile(example, 'utf8'), example)
    assert.equal(p.name, 'diabetes')
    assert.deepEqual(
      p.stages.map((s) => s.name),
      ['train', 'staging', 'gate', 'production'],
    )
    assert.deepEqual(
      p.stages.flatMap((s) => s.steps.map((st) => st.kind)),
      ['train', 'register', 'deploy', 'test', 'gate', 'promote'],
    )
    assert.equal(p.variables.alpha, '0.01')
    assert.deepEqual(p.triggers[0]?.stages, ['staging', 'gate'])
  })

  it('names the bad key of a step', () => {
    assert.match(refusal('stages: [{ name: s, steps: [{ train: { data: d.csv, target: y, modle: gbdt } }] }]'), /stages\[0\]\.steps\[0\]\.train.*'modle'/)
  })

  it('names a value of the wrong type', () => {
    assert.match(refusal('stages: [{ name: s, steps: [{ gate: { approval: sometimes } }] }]'), /stages\[0\]\.steps\[0\]\.gate\.approval/)
    assert.match(
      refusal('stages: [{ name: s, steps: [{ test: { model: m, version: 1, environment: e, data: d, target: t, tolerance: lots } }] }]'),
      /test\.tolerance: expected a number/,
    )
  })

  it('refuses a step with two kinds, an unknown key, or a repeated name', () => {
    assert.match(refusal('stages: [{ name: s, steps: [{ command: a, promote: { model: m, from: a, to: b } }] }]'), /exactly one of/)
    assert.match(refusal('stages: [{ name: s, steps: [{ comand: a }] }]'), /unknown key 'comand'/)
    assert.match(refusal('stages: [{ name: s, steps: [{ command: a }, { command: b }] }]'), /step 'command' is declared twice/)
  })

  it('names a bad secret source and an unknown top-level setting of a stage', () => {
    assert.match(refusal('secrets: { TOKEN: { vault: x } }\nstages: [{ name: s, steps: [{ command: a }] }]'), /secrets\.TOKEN/)
    assert.match(refusal('stages: [{ name: s, condition: x, steps: [{ command: a }] }]'), /stages\[0\].*'condition'/)
  })

  it('accepts ${{ }} where a number goes and checks it when the step runs', () => {
    const p = parsePipeline(
      'stages: [{ name: s, steps: [{ test: { model: m, version: "${{ steps.x.outputs.v }}", environment: e, data: d, target: t, tolerance: "${{ variables.tol }}" } }] }]',
      'wharf.yaml',
    )
    assert.equal(p.stages[0]?.steps[0]?.kind, 'test')
  })

  it('refuses a trigger naming a stage that does not exist', () => {
    assert.match(refusal('triggers: [{ stages: [nope] }]\nstages: [{ name: s, steps: [{ command: a }] }]'), /triggers\[0\]\.stages: no stage named 'nope'/)
  })
})
