import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { MlflowError } from '../errors.js'
import { parsePipeline, parseStepSpec } from './pipeline-file.js'

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

  it("accepts the seed's names: variables and secrets with dots, lower case, misspelt", () => {
    const p = parsePipeline(
      `
variables: { databricks.host: "https://adb-1.azuredatabricks.net", databricks.notebook.path: /Shared/MLFlow }
secrets:
  databricks.token: { env: DATABRICKS_TOKEN }
  clinet_id: { env: CLINET_ID }
  client_secret: { env: CLIENT_SECRET }
stages: [{ name: s, steps: [{ command: "echo $DATABRICKS_HOST" }] }]
`,
      'wharf.yaml',
    )
    assert.deepEqual(Object.keys(p.variables), ['databricks.host', 'databricks.notebook.path'])
    assert.deepEqual(Object.keys(p.secrets), ['databricks.token', 'clinet_id', 'client_secret'])
  })

  it('refuses names CI would merge, and names that are not letters, digits and _ joined by dots', () => {
    assert.match(
      refusal('variables: { databricks.token: a }\nsecrets: { DATABRICKS_TOKEN: { env: X } }\nstages: [{ name: s, steps: [{ command: a }] }]'),
      /'DATABRICKS_TOKEN' and 'databricks\.token' are the same name in CI/,
    )
    assert.match(refusal('variables: { alpha: 1, ALPHA: 2 }\nstages: [{ name: s, steps: [{ command: a }] }]'), /same name in CI \(ALPHA\)/)
    assert.match(
      refusal('secrets: { "databricks..token": { env: X } }\nstages: [{ name: s, steps: [{ command: a }] }]'),
      /secret names are letters, digits and _, in parts joined by dots/,
    )
    assert.match(refusal('variables: { "a-b": 1 }\nstages: [{ name: s, steps: [{ command: a }] }]'), /variable names are/)
  })

  it('checks a notebook train step: parameters are Python names, values any JSON', () => {
    const p = parsePipeline(
      'stages: [{ name: s, steps: [{ train: { notebook: t.ipynb, python: .venv/bin/python, parameters: { alpha: 0.01, tags: [a, b], cfg: { depth: 3 } }, experiment: e } }] }]',
      'wharf.yaml',
    )
    assert.equal(p.stages[0]?.steps[0]?.kind, 'train')
    assert.match(
      refusal('stages: [{ name: s, steps: [{ train: { notebook: t.ipynb, parameters: { "a b": 1 } } }] }]'),
      /train\.parameters\.a b: a notebook parameter is a Python name/,
    )
    assert.match(refusal('stages: [{ name: s, steps: [{ train: { notebook: t.ipynb, parameters: { lambda: 1 } } }] }]'), /Python keyword/)
    assert.match(refusal('stages: [{ name: s, steps: [{ train: { notebook: t.ipynb, pyhton: p } }] }]'), /unknown key 'pyhton'/)
  })

  it('checks a databricks step: one of notebook and job_id, and a token that comes from a secret', () => {
    const step = (body: string) => `secrets: { databricks.token: { env: T } }\nstages: [{ name: s, steps: [{ databricks: { host: "https://h", ${body} } }] }]`
    assert.equal(
      parsePipeline(step(`token: "\${{ secrets['databricks.token'] }}", notebook: /Repos/x/train`), 'wharf.yaml').stages[0]?.steps[0]?.kind,
      'databricks',
    )
    assert.equal(parsePipeline(step('token: "${{ secrets.T }}", job_id: 12'), 'wharf.yaml').stages[0]?.steps[0]?.kind, 'databricks')
    assert.match(refusal(step('token: dapi123, notebook: /n')), /databricks\.token: the token must come from a secret/)
    assert.match(refusal(step('token: "${{ variables.t }}", notebook: /n')), /the token must come from a secret/)
    assert.match(refusal(step('token: "${{ secrets.T }}"')), /exactly one of notebook \(runs\/submit\) and job_id/)
    assert.match(refusal(step('token: "${{ secrets.T }}", job_id: 1, existing_cluster_id: c')), /a job \(job_id\) brings its own cluster/)
    assert.match(refusal(step('token: "${{ secrets.T }}", notebook: /n, tracking_token_secret: nokey')), /SCOPE\/KEY/)
  })

  it('checks a monitor step: a duration, at least one threshold, and rollback unless told to only fail', () => {
    const spec = parseStepSpec('monitor', { model: 'm', environment: 'production', duration: '10m', max_psi: 0.25 }, 'watch')
    assert.deepEqual(spec, {
      model: 'm',
      environment: 'production',
      duration: 600_000,
      interval: 5000,
      max_psi: 0.25,
      count_4xx: false,
      window: 300_000,
      min_requests: 20,
      on_breach: 'rollback',
    })
    assert.equal(
      parseStepSpec('monitor', { model: 'm', environment: 'p', duration: '1h', max_shadow_disagreement: 0.1, window: '90s' }, 'watch').window,
      90_000,
    )
    const refused = (raw: unknown) => assert.throws(() => parseStepSpec('monitor', raw, 'watch'), MlflowError)
    refused({ model: 'm', environment: 'production', duration: '10m' })
    refused({ model: 'm', environment: 'production', max_psi: 0.25 })
    refused({ model: 'm', environment: 'production', duration: '10m', max_error_rate: 2 })
    refused({ model: 'm', environment: 'production', duration: '10m', max_psi: 0.25, on_breach: 'page' })
    refused({ model: 'm', environment: 'production', duration: '10m', max_error_rate: 0.1, min_requests: 0 })
    refused({ model: 'm', environment: 'production', duration: '10m', max_error_rate: 0.1, count_4xx: 'yes' })
    refused({ model: 'm', environment: 'production', duration: '10m', max_shadow_disagreement: 0.1, window: '25h' })
    refused({ model: 'm', environment: 'production', duration: '10m', max_shadow_disagreement: 0.1, window: 'soon' })
    assert.throws(
      () => parseStepSpec('monitor', { model: 'm', environment: 'p', duration: '1m' }, 'watch'),
      /name at least one of max_psi, max_error_rate and max_shadow_disagreement/,
    )
  })
})
