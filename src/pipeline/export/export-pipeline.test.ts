import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parsePipeline } from '../pipeline-file.js'
import { Masker } from '../secrets.js'
import { exportPipeline } from './export-pipeline.js'

const example = fileURLToPath(new URL('../../../examples/diabetes/wharf.yaml', import.meta.url))
const repoRoot = resolve(dirname(example), '../..')

async function pipelineWithSecrets() {
  const text = (await readFile(example, 'utf8'))
    .replace('secrets:\n', 'secrets:\n  REGISTRY_KEY: { file: registry.key }\n')
    .replace('- name: gate\n        gate:\n', '- name: gate\n        gate:\n          approval: manual\n')
  return parsePipeline(text, example)
}

describe('CI export', () => {
  it('writes an Azure Pipelines file with a stage per step group, in order, each calling wharf', async () => {
    const pipeline = await pipelineWithSecrets()
    const doc = parse(exportPipeline(pipeline, 'azure-pipelines', repoRoot, new Masker([])))
    assert.deepEqual(
      doc.stages.map((s: any) => s.stage),
      ['train', 'staging', 'gate', 'production'],
    )
    assert.deepEqual(
      doc.stages.map((s: any) => s.dependsOn?.[0]),
      [undefined, 'train', 'staging', 'gate'],
    )
    for (const stage of doc.stages) {
      const job = stage.jobs[0]
      const steps = job.steps ?? job.strategy.runOnce.deploy.steps
      const run = steps.find((s: any) => typeof s.script === 'string' && s.script.startsWith('exec wharf pipeline run'))
      assert.match(run.script, new RegExp(`^exec wharf pipeline run examples/diabetes/wharf.yaml --stage ${stage.stage}\\b.*--run-key \\$\\(Build.BuildId\\)`))
      assert.equal(run.env.WHARF_DEMO_TOKEN, '$(WHARF_DEMO_TOKEN)')
      assert.equal(run.env.WHARF_TRACKING_TOKEN, '$(WHARF_TRACKING_TOKEN)')
    }
    const production = doc.stages[3].jobs[0]
    assert.equal(production.environment, 'production')
    assert.equal(doc.stages[1].jobs[0].environment, 'staging')
    assert.ok(doc.stages[2].jobs[0].environment, 'the manual gate runs in an environment that holds the approval')
    assert.match(JSON.stringify(doc.stages[2]), /--approvals ci/)
    assert.match(JSON.stringify(doc), /"SECRET_VALUE":"\$\(REGISTRY_KEY\)"/)
  })

  it('writes a GitHub Actions workflow with jobs chained by needs, environments and ${{ secrets.NAME }}', async () => {
    const pipeline = await pipelineWithSecrets()
    const doc = parse(exportPipeline(pipeline, 'github-actions', repoRoot, new Masker([])))
    assert.deepEqual(Object.keys(doc.jobs), ['train', 'staging', 'gate', 'production'])
    assert.deepEqual(doc.jobs.production.needs, ['gate'])
    assert.equal(doc.jobs.production.environment, 'production')
    assert.equal(doc.jobs.staging.environment, 'staging')
    for (const [name, job] of Object.entries<any>(doc.jobs)) {
      const run = job.steps.find((s: any) => typeof s.run === 'string' && s.run.startsWith('exec wharf pipeline run'))
      assert.match(run.run, new RegExp(`--stage ${name}\\b.*--run-key "\\$\\{\\{ github.run_id \\}\\}"`))
      assert.equal(run.env.WHARF_DEMO_TOKEN, '${{ secrets.WHARF_DEMO_TOKEN }}')
    }
    assert.match(JSON.stringify(doc), /"SECRET_VALUE":"\$\{\{ secrets.REGISTRY_KEY \}\}"/)
  })

  it('never writes a secret value, even one that appears in the pipeline text', async () => {
    const pipeline = parsePipeline((await readFile(example, 'utf8')).replace('alpha: 0.01', 'alpha: "0.01"\n  note: "leaked-value-123"'), example)
    for (const format of ['azure-pipelines', 'github-actions'] as const) {
      const text = exportPipeline(pipeline, format, repoRoot, new Masker(['leaked-value-123']))
      assert.ok(!text.includes('leaked-value-123'))
    }
  })
})
