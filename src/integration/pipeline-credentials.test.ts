import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { wharfBin } from '../app-paths.js'
import { type RunningServer, startServer } from './server-process.js'

const random = () => Math.random().toString(36).slice(2, 12)
const authToken = `auth-tok-${random()}`
const webhookSecret = `whsec-${random()}`
const serverOnly = `srv-cred-${random()}`
const demoSecret = `demo-${random()}`
const credentials = [authToken, webhookSecret, serverOnly, demoSecret]

/**
 * The base64 text of `secret` wherever it sits in a longer encoded text: at each of the three
 * byte alignments, only the characters that depend on the secret's bytes alone.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret)
  return [0, 1, 2].map((k) => {
    const encoded = Buffer.concat([Buffer.alloc(k, 0x78), bytes, Buffer.from('yz')]).toString('base64')
    return encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6))
  })
}

/**
 * Issue #12 item 5, with a real `wharf server` and real runners (one from the CLI, one started by
 * a webhook): a step that prints its whole environment, and base64 of the token at every
 * alignment, leaves no credential in the stored logs or the terminal. Steps get an explicit
 * environment: the server's own environment and the runner's other settings never reach them.
 */
describe('credentials the runner holds never reach step logs', () => {
  let dir: string
  let server: RunningServer

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-credentials-')))
    // base64 of the token at the three alignments, and of the declared secret.
    const b64 = (prefix: string, variable: string) => `          printf '${prefix}%s' "$${variable}" | base64 -w0; echo`
    await writeFile(
      join(dir, 'wharf.yaml'),
      `
pipeline: leaky
secrets:
  DEMO: { env: DEMO_SECRET, optional: true }
triggers: [{ event: model_version.created }]
stages:
  - name: dump
    steps:
      - { name: env, command: env }
      - name: base64
        command: |
${[b64('', 'WHARF_TRACKING_TOKEN'), b64('x', 'WHARF_TRACKING_TOKEN'), b64('xy', 'WHARF_TRACKING_TOKEN'), b64('x', 'DEMO')].join('\n')}
`,
    )
    server = await startServer(
      [
        '--backend-store-uri',
        `sqlite:///${join(dir, 'data', 'wharf.db')}`,
        '--artifacts-destination',
        join(dir, 'data', 'artifacts'),
        '--pipelines',
        join(dir, 'wharf.yaml'),
      ],
      { WHARF_AUTH_TOKEN: authToken, WHARF_PIPELINE_WEBHOOK_SECRET: webhookSecret, SERVER_ONLY_CREDENTIAL: serverOnly, DEMO_SECRET: demoSecret },
    )
  })

  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/2.0/${path}`, {
      headers: { authorization: `Bearer ${authToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
    })
    const json = (await res.json()) as any
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }

  /** The stored log text of a run, and its steps' status. */
  async function storedLogs(runId: string): Promise<{ text: string; run: any }> {
    const { run } = await api(`wharf/pipelines/runs/get?run_id=${runId}`)
    const { lines } = await api(`wharf/pipelines/logs?run_id=${runId}&max_results=10000`)
    return { text: (lines as { line: string }[]).map((l) => l.line).join('\n'), run }
  }

  // Failure messages never quote the logs: they hold an environment, which may hold this machine's secrets.
  function assertNoCredential(text: string, where: string): void {
    for (const [i, credential] of credentials.entries()) {
      assert.ok(!text.includes(credential), `credential ${i} appears in the ${where}`)
      for (const [k, form] of base64Forms(credential).entries())
        assert.ok(!text.includes(form), `base64 of credential ${i} at alignment ${k} appears in the ${where}`)
    }
  }
  const has = (text: string, pattern: RegExp) => pattern.test(text)

  it('masks the tracking token, the webhook secret and a secret in a CLI run whose step prints env and base64', async () => {
    const runner = spawn(process.execPath, [wharfBin, 'pipeline', 'run', join(dir, 'wharf.yaml')], {
      env: {
        ...process.env,
        WHARF_TRACKING_URI: server.url,
        WHARF_TRACKING_TOKEN: authToken,
        WHARF_PIPELINE_WEBHOOK_SECRET: webhookSecret,
        DEMO_SECRET: demoSecret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let terminal = ''
    runner.stdout.on('data', (c: Buffer) => (terminal += c.toString()))
    runner.stderr.on('data', (c: Buffer) => (terminal += c.toString()))
    const code = await new Promise((resolve) => runner.once('close', resolve))
    assert.equal(code, 0, 'the CLI run failed')
    const runId = /run ([0-9a-f]{16})/.exec(terminal)![1]!
    const { text } = await storedLogs(runId)
    assert.ok(has(text, /^PATH=/m), 'the env step printed no environment')
    assert.ok(has(text, /^WHARF_TRACKING_TOKEN=\*\*\*$/m), 'the step has no masked WHARF_TRACKING_TOKEN')
    assert.ok(!has(text, /WHARF_PIPELINE_WEBHOOK_SECRET/), 'a runner setting the step does not need reached it')
    assertNoCredential(text, 'stored logs')
    assertNoCredential(terminal, 'terminal output')
  })

  it("gives a webhook-started run none of the server's environment, and masks what it holds", async () => {
    await api('wharf/registry/webhooks', {
      url: `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=leaky`,
      events: ['model_version.created'],
      secret: webhookSecret,
    })
    await api('mlflow/registered-models/create', { name: 'hooked' })
    await api('mlflow/model-versions/create', { name: 'hooked', source: 'mlflow-artifacts:/models/x' })
    let run: any
    for (let i = 0; i < 300 && !(run && run.status !== 'running'); i++) {
      await sleep(100)
      run = (await api('wharf/pipelines/runs/list?pipeline=leaky')).runs.find((r: any) => r.trigger.kind === 'webhook')
    }
    assert.ok(run, 'the webhook started no run')
    const { text, run: full } = await storedLogs(run.run_id)
    assert.equal(full.status, 'succeeded', `the webhook run ${full.status}: ${full.error}`)
    assert.ok(has(text, /^WHARF_TRACKING_TOKEN=\*\*\*$/m), 'the step has no masked WHARF_TRACKING_TOKEN')
    assert.ok(has(text, /^DEMO=\*\*\*$/m), 'a secret the pipeline declares did not reach it')
    assert.ok(!has(text, /SERVER_ONLY_CREDENTIAL|WHARF_PIPELINE_WEBHOOK_SECRET|WHARF_AUTH_TOKEN/), "the server's environment reached the step")
    assertNoCredential(text, 'stored logs')
  })
})
