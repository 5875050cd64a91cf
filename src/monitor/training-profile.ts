import { notFound } from '../errors.js'
import type { RegistryService } from '../registry/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import { artifactUriToStorePath } from '../store/artifact-uri.js'
import type { ProfileColumn } from './drift-window.js'

export interface TrainingProfile {
  readonly format: string
  readonly rowCount: number
  readonly columns: readonly ProfileColumn[]
}

/**
 * The `data_profile.json` that `wharf train` writes into every model directory (train/profile.ts),
 * read from this server's artifact store where the version's files are. RESOURCE_DOES_NOT_EXIST when
 * the version has none (a model logged by other tools, or stored where this server does not proxy).
 */
export async function loadTrainingProfile(registry: RegistryService, artifacts: ArtifactStore, model: string, version: string): Promise<TrainingProfile> {
  const location = (await registry.getModelVersion(model, version)).storageLocation
  const folder = artifactUriToStorePath(location)
  if (folder === undefined) throw notFound(`version ${version} of '${model}' is stored at ${location}, outside this server's artifact store`)
  const { stream } = await artifacts.get(folder === '' ? 'data_profile.json' : `${folder}/data_profile.json`)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const profile = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TrainingProfile
  if (profile.format !== 'wharf-data-profile/1' || !Array.isArray(profile.columns))
    throw notFound(`version ${version} of '${model}' has no readable data_profile.json`)
  return profile
}
