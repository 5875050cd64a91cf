import { resolve } from 'node:path'
import type { ContainerRuntime } from '../deploy/container/container-cli.js'

export interface BuildImageFlags {
  readonly modelUri: string
  readonly tag: string
  readonly base?: string | undefined
  readonly output?: string | undefined
  readonly runtime?: ContainerRuntime | undefined
  readonly build?: boolean | undefined
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
}

/** `wharf build-image --model-uri URI --tag NAME:TAG [--base IMAGE]`. */
export async function runBuildImage(flags: BuildImageFlags): Promise<void> {
  const { buildImage } = await import('../deploy/container/build-image.js')
  const outDir = resolve(flags.output ?? `wharf-image-${flags.tag.replace(/[^A-Za-z0-9_.-]/g, '-')}`)
  const result = await buildImage({ ...flags, outDir, isBuildSkipped: flags.build === false })
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
}
