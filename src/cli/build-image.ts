import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../config.js'
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

export function register(program: Command): void {
  program
    .command('build-image')
    .description('Build an OCI image that runs `wharf serve` with the model inside (podman or docker); also writes its Containerfile.')
    .requiredOption('--model-uri <uri>', 'models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN/PATH or a local model directory')
    .requiredOption('--tag <name:tag>', 'image name, e.g. localhost/fraud:3')
    .option('--base <image>', "base image with Node.js 20 (default: one built locally from this machine's node, no registry needed)")
    .option('--output <dir>', 'folder for the build context and Containerfile (default ./wharf-image-<name>)')
    .option('--runtime <podman|docker>', 'container runtime (default: whichever is installed; WHARF_CONTAINER_RUNTIME)')
    .option('--no-build', 'only write the build context and Containerfile')
    .action(async (flags) => {
      const config = loadConfig()
      await runBuildImage({ ...flags, runtime: flags.runtime ?? config.containerRuntime, trackingUri: config.trackingUri, token: config.trackingToken })
    })
}

/** `wharf build-image --model-uri URI --tag NAME:TAG [--base IMAGE]`. */
async function runBuildImage(flags: BuildImageFlags): Promise<void> {
  const { buildImage } = await import('../deploy/container/build-image.js')
  const outDir = resolve(flags.output ?? `wharf-image-${flags.tag.replace(/[^A-Za-z0-9_.-]/g, '-')}`)
  const result = await buildImage({ ...flags, outDir, isBuildSkipped: flags.build === false })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
