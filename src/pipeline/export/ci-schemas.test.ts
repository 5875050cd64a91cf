import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'
import { packageName, version } from '../../version.js'
import { parsePipeline } from '../pipeline-file.js'
import { Masker } from '../secrets.js'
import { exportPipeline, type ExportFormat } from './export-pipeline.js'
import { tarballNameOf, type WharfInstall } from './wharf-install.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const examples = ['examples/diabetes/wharf.yaml', 'examples/databricks/wharf.yaml']
const schemaFiles: Record<ExportFormat, string> = {
  'azure-pipelines': 'test-fixtures/ci-schemas/azure-pipelines/service-schema.json',
  'github-actions': 'test-fixtures/ci-schemas/github-workflow/github-workflow.json',
}

/** Both schemas are draft-07. Their `format`s are hints for editors; their regexes predate the u flag. */
async function validatorOf(format: ExportFormat): Promise<ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false })
  return ajv.compile(JSON.parse(await readFile(join(root, schemaFiles[format]), 'utf8')) as object)
}

async function exported(file: string, format: ExportFormat, install?: WharfInstall): Promise<string> {
  const path = join(root, file)
  return exportPipeline(parsePipeline(await readFile(path, 'utf8'), path), format, root, new Masker([]), install)
}

/** The errors that matter: a oneOf/anyOf lists every branch it tried; the deepest paths say what is wrong. */
const describeErrors = (validate: ValidateFunction) => JSON.stringify((validate.errors ?? []).slice(0, 12), null, 1)

const tarball: WharfInstall = { from: 'tarball', package: packageName, version, dir: 'vendor/wharf' }

describe("exported CI files against the CI systems' published schemas", () => {
  for (const format of ['azure-pipelines', 'github-actions'] as const) {
    it(`writes ${format} files that ${format === 'azure-pipelines' ? "Microsoft's service-schema.json" : "SchemaStore's github-workflow.json"} accepts, from the registry or a tarball`, async () => {
      const validate = await validatorOf(format)
      for (const file of examples) {
        for (const install of [undefined, tarball]) {
          const doc = parse(await exported(file, format, install))
          assert.ok(validate(doc), `${file} (${install?.from ?? 'registry'}): ${describeErrors(validate)}`)
        }
      }
    })

    it(`the ${format} schema refuses a file with a mistake in it (the check can fail)`, async () => {
      const validate = await validatorOf(format)
      const doc = parse(await exported(examples[1]!, format))
      if (format === 'azure-pipelines') doc.stages[0].jobs[0].stepz = doc.stages[0].jobs[0].steps
      else doc.jobs.train['runs-onn'] = 'ubuntu-latest'
      assert.equal(validate(doc), false)
    })
  }

  it('keeps examples/databricks/azure-pipelines.yml as wharf exports it now', async () => {
    const committed = await readFile(join(root, 'examples/databricks/azure-pipelines.yml'), 'utf8')
    assert.equal(
      committed,
      await exported('examples/databricks/wharf.yaml', 'azure-pipelines'),
      'run: wharf pipeline export examples/databricks/wharf.yaml --format azure-pipelines --output examples/databricks/azure-pipelines.yml',
    )
  })
})

describe('what exported jobs install', () => {
  it("names the package and version this repository's npm pack produces, and the file it writes", async () => {
    // --ignore-scripts: the name, version and file name do not need dist/ rebuilt.
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
    const [packed] = JSON.parse(stdout) as { name: string; version: string; filename: string }[]
    assert.equal(packed!.name, packageName)
    assert.equal(packed!.version, version)
    for (const format of ['azure-pipelines', 'github-actions'] as const) {
      assert.ok(
        (await exported(examples[0]!, format)).includes(`npm install --global ${packed!.name}@${packed!.version}\n`),
        `${format} installs ${packed!.name}@${packed!.version} from the registry`,
      )
      const fromTarball = await exported(examples[0]!, format, tarball)
      assert.equal(tarballNameOf(packageName, version), packed!.filename)
      assert.match(fromTarball, new RegExp(`npm install --global "\\$(\\(Agent\\.TempDirectory\\)|RUNNER_TEMP)/${packed!.filename.replace(/\./g, '\\.')}"`))
      assert.match(fromTarball, /cd vendor\/wharf\n/)
    }
  })

  it('is our own package, not the unrelated `wharf` of the npm registry', () => {
    assert.notEqual(packageName, 'wharf')
    assert.match(packageName, /^@wharf-ml\//)
  })
})
