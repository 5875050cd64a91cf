import type { Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { invalidParameter, notFound } from '../../errors.js'
import type { FileInfo } from '../../tracking/entities.js'
import type { ArtifactStore } from '../artifact-store.js'
import { ObjectKeys, byName } from '../object-keys.js'

export interface S3Location {
  readonly bucket: string
  readonly prefix: string
}

/** `s3://bucket/some/prefix` → bucket and prefix. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(uri)
  if (!match) throw invalidParameter(`'${uri}' is not an s3://bucket/path URI`)
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') }
}

/**
 * The client as MLflow configures boto3: credentials and region from the AWS environment (or
 * profile), and MLFLOW_S3_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) for an
 * S3-compatible server, addressed path-style since such servers rarely have bucket DNS names.
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = env.MLFLOW_S3_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  }
}

const partBytes = 8 * 1024 * 1024
const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404
}

/**
 * Artifacts as objects under one prefix of an S3 bucket. Uploads stream through multipart upload
 * (8 MiB parts, four in flight), so a large artifact never sits in memory, and the object appears
 * only when the upload completes; downloads stream the response body.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly #client: S3Client
  readonly #bucket: string
  readonly #keys: ObjectKeys

  constructor(location: S3Location, config: S3ClientConfig = s3ClientConfig()) {
    this.#client = new S3Client(config)
    this.#bucket = location.bucket
    this.#keys = new ObjectKeys(location.prefix)
  }

  async put(rel: string, body: Readable): Promise<void> {
    body.on('error', () => {})
    const key = this.#keys.file(rel)
    if (await this.#hasAny(`${key}/`)) throw invalidParameter(`Cannot write file '${rel}': a folder exists at that path`)
    const upload = new Upload({ client: this.#client, params: { Bucket: this.#bucket, Key: key, Body: body }, partSize: partBytes, queueSize: 4 })
    await upload.done()
  }

  async get(rel: string): Promise<{ readonly stream: Readable; readonly size: number }> {
    const key = this.#keys.file(rel)
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }))
      return { stream: res.Body as Readable, size: res.ContentLength ?? 0 }
    } catch (err) {
      if (isMissing(err)) throw notFound(`Artifact '${rel}' does not exist`)
      throw err
    }
  }

  async list(rel: string): Promise<readonly FileInfo[]> {
    const prefix = this.#keys.folder(rel)
    const infos: FileInfo[] = []
    let token: string | undefined
    do {
      const page: ListObjectsV2CommandOutput = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      )
      for (const p of page.CommonPrefixes ?? []) {
        const name = (p.Prefix ?? '').slice(prefix.length).replace(/\/$/, '')
        if (name !== '') infos.push({ path: name, isDir: true })
      }
      for (const o of page.Contents ?? []) {
        const name = (o.Key ?? '').slice(prefix.length)
        // A zero-length "folder/" marker some tools write is the folder itself, not an entry.
        if (name !== '') infos.push({ path: name, isDir: false, fileSize: o.Size ?? 0 })
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return infos.sort(byName)
  }

  async delete(rel: string): Promise<void> {
    if (this.#keys.folder(rel) === this.#keys.folder('')) throw invalidParameter('Cannot delete the artifact root')
    const key = this.#keys.file(rel)
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }))
    let token: string | undefined
    do {
      const page: ListObjectsV2CommandOutput = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: `${key}/`, ContinuationToken: token }),
      )
      const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }))
      if (objects.length > 0) await this.#client.send(new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: objects, Quiet: true } }))
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  async #hasAny(prefix: string): Promise<boolean> {
    const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, MaxKeys: 1 }))
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0
  }

  close(): void {
    this.#client.destroy()
  }
}
