import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { BlobServiceClient } from '@azure/storage-blob'

/**
 * Object stores for tests, started by scripts/services/ on first use and stopped when the test
 * process exits: versitygw (an S3 server built from its Go module) and Azurite (Azure Blob). When
 * one cannot be started the suites are skipped, except under CI=true, where that is a failure.
 */
const services = fileURLToPath(new URL('../../scripts/services/', import.meta.url))
const run = promisify(execFile)

async function startService(script: string): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), `wharf-test-${script.replace('.sh', '')}-`))
  process.once('exit', () => {
    try {
      execFileSync('bash', [join(services, script), 'stop', dir], { stdio: 'ignore' })
    } catch {
      // already gone
    }
  })
  try {
    const { stdout } = await run('bash', [join(services, script), 'start', dir], { maxBuffer: 1 << 20 })
    return `${stdout.trim()}\n${dir}`
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`${script} could not start its server (CI=true): ${(err as Error).message}`)
    return undefined
  }
}

export interface TestS3 {
  /** Client settings for the server (endpoint, path-style, credentials). */
  readonly config: S3ClientConfig
  /** The environment a `wharf server` needs to reach it. */
  readonly env: NodeJS.ProcessEnv
  /** A new, empty bucket's name. */
  newBucket(): Promise<string>
}

let s3: Promise<TestS3 | undefined> | undefined
export function testS3(): Promise<TestS3 | undefined> {
  s3 ??= (async () => {
    const started = await startService('s3.sh')
    if (started === undefined) return undefined
    const [endpoint, dir] = started.split('\n') as [string, string]
    const secret = execFileSync('cat', [join(dir, 'secret')])
      .toString()
      .trim()
    const config: S3ClientConfig = {
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'wharf-test', secretAccessKey: secret },
    }
    return {
      config,
      env: { MLFLOW_S3_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'wharf-test', AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'us-east-1' },
      async newBucket() {
        const bucket = `wharf-${randomBytes(6).toString('hex')}`
        const client = new S3Client(config)
        await client.send(new CreateBucketCommand({ Bucket: bucket }))
        client.destroy()
        return bucket
      },
    }
  })()
  return s3
}

export interface TestAzurite {
  readonly connectionString: string
  /** A new, empty container's name. */
  newContainer(): Promise<string>
}

let azurite: Promise<TestAzurite | undefined> | undefined
export function testAzurite(): Promise<TestAzurite | undefined> {
  azurite ??= (async () => {
    const started = await startService('azurite.sh')
    if (started === undefined) return undefined
    const [connectionString] = started.split('\n') as [string]
    return {
      connectionString,
      async newContainer() {
        const container = `wharf-${randomBytes(6).toString('hex')}`
        await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container).create()
        return container
      },
    }
  })()
  return azurite
}

export function skipWithout(service: string, name: string): void {
  test(name, { skip: `${service} could not be started here` }, () => {})
}
