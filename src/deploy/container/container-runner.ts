import { basename, dirname } from 'node:path'
import { MlflowError } from '../../errors.js'
import { appendLogLine, readLogTail } from '../log-file.js'
import type { RunHandle, Runner, RunSpec } from '../runner.js'
import { type ContainerRuntime, detectRuntime, runContainerCommand } from './container-cli.js'

/** The port `wharf serve` listens on inside the serving image. */
export const containerServePort = 8080
/** The port of its KServe V2 gRPC service, when the environment asks for gRPC. */
export const containerGrpcPort = 8081

/** Container names carry the instance id, so tests and people can remove exactly what Wharf made. */
export const containerNameOf = (spec: RunSpec) =>
  `wharf-${spec.environment}-${spec.modelName.replace(/[^A-Za-z0-9_.-]/g, '_')}-v${spec.version}-${spec.instanceId}`

/**
 * Runs a version's serving image with podman or docker, its port published on 127.0.0.1 only.
 * A container that stopped is started again (`start` keeps its name, port and logs).
 */
export class ContainerRunner implements Runner {
  readonly kind = 'container' as const
  readonly #runtime: ContainerRuntime | undefined

  constructor(options: { runtime?: ContainerRuntime | undefined } = {}) {
    this.#runtime = detectRuntime(options.runtime)
  }

  get runtime(): ContainerRuntime {
    if (!this.#runtime) throw new MlflowError('INVALID_STATE', 'the container target needs podman or docker on this machine; neither was found on PATH')
    return this.#runtime
  }

  async start(spec: RunSpec): Promise<RunHandle> {
    if (!spec.image) throw new MlflowError('INVALID_STATE', `no image for ${spec.modelUri}`)
    const name = containerNameOf(spec)
    if ((await this.#state(name)) !== undefined) {
      await runContainerCommand(this.runtime, ['start', name], { timeoutMs: 60_000 })
      await appendLogLine(spec.logFile, `started container ${name} again`)
      return { containerName: name }
    }
    await runContainerCommand(
      this.runtime,
      [
        'run',
        '-d',
        '--name',
        name,
        '--label',
        `wharf.instance=${spec.instanceId}`,
        '--label',
        `wharf.environment=${spec.environment}`,
        // The supervisor probes readiness itself; the image's HEALTHCHECK would need systemd timers here.
        '--no-healthcheck',
        '-p',
        `127.0.0.1:${spec.port}:${containerServePort}`,
        // The registered name in the KServe routes and gRPC, as the local target has it (the image's model folder is /opt/model).
        '-e',
        `WHARF_SERVE_MODEL_NAME=${spec.modelName}`,
        ...(spec.grpcPort === undefined ? [] : ['-p', `127.0.0.1:${spec.grpcPort}:${containerGrpcPort}`, '-e', `WHARF_SERVE_GRPC_PORT=${containerGrpcPort}`]),
        // The keys file's folder, not the file: a rewritten file (a regenerated key) stays visible.
        ...(spec.apiKeysFile
          ? ['-v', `${dirname(spec.apiKeysFile)}:/etc/wharf/keys:ro`, '-e', `WHARF_SERVE_API_KEYS_FILE=/etc/wharf/keys/${basename(spec.apiKeysFile)}`]
          : []),
        spec.image,
      ],
      { timeoutMs: 120_000 },
    )
    await appendLogLine(spec.logFile, `started container ${name} from ${spec.image} on 127.0.0.1:${spec.port}`)
    return { containerName: name }
  }

  async isRunning(_spec: RunSpec, handle: RunHandle): Promise<boolean> {
    return handle.containerName !== undefined && (await this.#state(handle.containerName)) === 'true'
  }

  /** Stops the container and starts it again under the same name, port and logs. */
  async restart(spec: RunSpec, handle: RunHandle): Promise<RunHandle> {
    if (handle.containerName && (await this.#state(handle.containerName)) !== undefined) {
      await runContainerCommand(this.runtime, ['stop', '-t', '1', handle.containerName], { timeoutMs: 30_000 }).catch(() => {})
    }
    return this.start(spec)
  }

  async stop(spec: RunSpec, handle: RunHandle, graceMs: number): Promise<void> {
    if (!handle.containerName) return
    await runContainerCommand(this.runtime, ['rm', '-f', '-t', String(Math.ceil(graceMs / 1000)), handle.containerName], { timeoutMs: graceMs + 30_000 }).catch(
      () => {},
    )
    await appendLogLine(spec.logFile, `removed container ${handle.containerName}`)
  }

  async readLog(spec: RunSpec, handle: RunHandle | undefined, maxLines: number): Promise<string> {
    const own = await readLogTail(spec.logFile, maxLines)
    if (!handle?.containerName) return own
    const container = await runContainerCommand(this.runtime, ['logs', '--tail', String(maxLines), handle.containerName], { timeoutMs: 10_000 }).catch(() => '')
    return [own, container.trimEnd()].filter((s) => s !== '').join('\n')
  }

  async #state(name: string): Promise<string | undefined> {
    try {
      return (await runContainerCommand(this.runtime, ['inspect', '--format', '{{.State.Running}}', name], { timeoutMs: 10_000 })).trim()
    } catch {
      return undefined
    }
  }
}
