import { resolve } from 'node:path'
import type { ContainerRuntime } from '../deploy/container/container-cli.js'
import type { RegistryCredentials } from '../deploy/container/push-image.js'

export interface BuildImageFlags {
  readonly modelUri: string
  readonly tag: string
  readonly base?: string | undefined
  readonly output?: string | undefined
  readonly runtime?: ContainerRuntime | undefined
  readonly build?: boolean | undefined
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  /** Push to this reference after the build (HOST[:PORT]/NAME:TAG). */
  readonly push?: string | undefined
  readonly credentials?: RegistryCredentials | undefined
}

/** `wharf build-image --model-uri URI --tag NAME:TAG [--base IMAGE]`. */
export async function runBuildImage(flags: BuildImageFlags): Promise<void> {
  const { buildImage } = await import('../deploy/container/build-image.js')
  const { pushImage, registryHostOf } = await import('../deploy/container/push-image.js')
  if (flags.push !== undefined) {
    if (flags.build === false) throw new Error('--push needs a build (drop --no-build)')
    registryHostOf(flags.push)
  }
  const outDir = resolve(flags.output ?? `wharf-image-${flags.tag.replace(/[^A-Za-z0-9_.-]/g, '-')}`)
  const result = await buildImage({ ...flags, outDir, isBuildSkipped: flags.build === false })
  if (flags.push !== undefined) await pushImage(result.runtime!, result.tag, flags.push, flags.credentials)
  process.stdout.write(JSON.stringify({ ...result, ...(flags.push !== undefined ? { pushed: flags.push } : {}) }, null, 2) + '\n')
}
