import type { Logger } from '../../logger.js'
import { MlflowError } from '../../errors.js'
import type { ContainerRuntime } from './container-cli.js'

export interface VersionImageRequest {
  readonly modelName: string
  readonly version: string
  readonly base?: string | undefined
  readonly runtime?: ContainerRuntime | undefined
  readonly trackingUri: string
  readonly token?: string | undefined
  readonly workDir: string
  readonly logger?: Logger | undefined
}

/** The serving image of one registered version, built once and reused (`localhost/wharf-NAME:vVERSION`). */
export async function imageForVersion(request: VersionImageRequest): Promise<string> {
  const { buildImage, imageExists, versionImageTag } = await import('./build-image.js')
  const tag = versionImageTag(request.modelName, request.version)
  if (await imageExists(tag, request.runtime)) return tag
  request.logger?.info({ tag }, 'building serving image')
  try {
    await buildImage({
      modelUri: `models:/${request.modelName}/${request.version}`,
      tag,
      base: request.base,
      runtime: request.runtime,
      trackingUri: request.trackingUri,
      token: request.token,
      outDir: request.workDir,
    })
  } catch (err) {
    throw new MlflowError('INVALID_STATE', `could not build the image for ${request.modelName} version ${request.version}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  return tag
}
