import type { Readable } from 'node:stream'
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { invalidParameter, notFound } from '../../errors.js'
import type { FileInfo } from '../../tracking/entities.js'
import type { ArtifactStore } from '../artifact-store.js'
import { ObjectKeys, byName } from '../object-keys.js'

export interface AzureLocation {
  readonly container: string
  readonly account: string
  readonly prefix: string
}

/** `wasbs://container@account.blob.core.windows.net/some/prefix` (MLflow's form) → its parts. */
export function parseAzureUri(uri: string): AzureLocation {
  const match = /^wasbs?:\/\/([a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)@([a-z0-9]{3,24})\.blob\.core\.windows\.net(\/.*)?$/.exec(uri)
  if (!match) throw invalidParameter(`'${uri}' is not a wasbs://container@account.blob.core.windows.net/path URI`)
  return { container: match[1]!, account: match[2]!, prefix: (match[3] ?? '').replace(/^\/+|\/+$/g, '') }
}

/**
 * The container client from the environment, as MLflow's AzureBlobArtifactRepository reads it:
 * AZURE_STORAGE_CONNECTION_STRING (its endpoint wins, which is how Azurite is reached), else
 * AZURE_STORAGE_ACCESS_KEY for the URI's account, else a SAS token (AZURE_STORAGE_SAS_TOKEN).
 */
export function azureContainerClient(location: AzureLocation, env: NodeJS.ProcessEnv = process.env): ContainerClient {
  const accountUrl = `https://${location.account}.blob.core.windows.net`
  let service: BlobServiceClient
  if (env.AZURE_STORAGE_CONNECTION_STRING) service = BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING)
  else if (env.AZURE_STORAGE_ACCESS_KEY)
    service = new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(location.account, env.AZURE_STORAGE_ACCESS_KEY))
  else if (env.AZURE_STORAGE_SAS_TOKEN) service = new BlobServiceClient(`${accountUrl}?${env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, '')}`)
  else throw invalidParameter('wasbs:// artifacts need AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCESS_KEY or AZURE_STORAGE_SAS_TOKEN')
  return service.getContainerClient(location.container)
}

const blockBytes = 8 * 1024 * 1024
const isMissing = (err: unknown) => (err as { statusCode?: number }).statusCode === 404

/**
 * Artifacts as block blobs under one prefix of an Azure Blob container. Uploads stream as staged
 * blocks (8 MiB, four in flight) committed at the end, so readers never see a partial blob and a
 * large artifact never sits in memory; downloads stream the response body.
 */
export class AzureArtifactStore implements ArtifactStore {
  readonly #container: ContainerClient
  readonly #keys: ObjectKeys

  constructor(location: AzureLocation, container: ContainerClient = azureContainerClient(location)) {
    this.#container = container
    this.#keys = new ObjectKeys(location.prefix)
  }

  async put(rel: string, body: Readable): Promise<void> {
    body.on('error', () => {})
    const name = this.#keys.file(rel)
    for await (const _ of this.#container.listBlobsFlat({ prefix: `${name}/` })) {
      throw invalidParameter(`Cannot write file '${rel}': a folder exists at that path`)
    }
    await this.#container.getBlockBlobClient(name).uploadStream(body, blockBytes, 4)
  }

  async get(rel: string): Promise<{ readonly stream: Readable; readonly size: number }> {
    const name = this.#keys.file(rel)
    try {
      const res = await this.#container.getBlobClient(name).download()
      return { stream: res.readableStreamBody as Readable, size: res.contentLength ?? 0 }
    } catch (err) {
      if (isMissing(err)) throw notFound(`Artifact '${rel}' does not exist`)
      throw err
    }
  }

  async list(rel: string): Promise<readonly FileInfo[]> {
    const prefix = this.#keys.folder(rel)
    const infos: FileInfo[] = []
    for await (const item of this.#container.listBlobsByHierarchy('/', prefix === '' ? {} : { prefix })) {
      const name = item.name.slice(prefix.length)
      if (item.kind === 'prefix') {
        const folder = name.replace(/\/$/, '')
        if (folder !== '') infos.push({ path: folder, isDir: true })
      } else if (name !== '') {
        infos.push({ path: name, isDir: false, fileSize: item.properties.contentLength ?? 0 })
      }
    }
    return infos.sort(byName)
  }

  async delete(rel: string): Promise<void> {
    if (this.#keys.folder(rel) === this.#keys.folder('')) throw invalidParameter('Cannot delete the artifact root')
    const name = this.#keys.file(rel)
    await this.#container.getBlobClient(name).deleteIfExists()
    for await (const blob of this.#container.listBlobsFlat({ prefix: `${name}/` })) {
      await this.#container.getBlobClient(blob.name).deleteIfExists()
    }
  }
}
