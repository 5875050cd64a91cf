/** What a runner needs to start one version of an endpoint. */
export interface RunSpec {
  readonly instanceId: string
  readonly environment: string
  readonly modelName: string
  readonly version: string
  readonly modelUri: string
  /** Host port the serving process answers on (loopback). */
  readonly port: number
  /** Host port of the instance's KServe V2 gRPC service (`wharf serve --grpc-port`); none: HTTP only. */
  readonly grpcPort?: number | undefined
  /** Supervisor events and (for processes) stdout/stderr go here. */
  readonly logFile: string
  /** The serving image (container runner). */
  readonly image?: string | undefined
  /** The endpoint keys file (sha256 digests) the instance checks requests against; none: no keys. */
  readonly apiKeysFile?: string | undefined
  /** Models without an onnx flavor: the Python environment of the pyfunc worker (`--python-env`), and whether pickles may load. */
  readonly pythonEnv?: string | undefined
  readonly allowPickle?: boolean | undefined
}

/** How to find a started instance again: a process id or a container name. */
export interface RunHandle {
  readonly pid?: number | undefined
  readonly containerName?: string | undefined
  /** Resolves with its exit code when the instance is known to have exited (own child processes only). */
  readonly exited?: Promise<number | null> | undefined
}

/**
 * Starts, checks and stops serving instances. Two implementations: `LocalRunner` (a `wharf serve`
 * process) and `ContainerRunner` (the serving image under podman or docker).
 */
export interface Runner {
  readonly kind: 'local' | 'container'
  start(spec: RunSpec): Promise<RunHandle>
  /**
   * The running instance started for this spec whose handle was never recorded (its starter died
   * between the start and the record), if the runner can find it.
   */
  find?(spec: RunSpec): Promise<RunHandle | undefined>
  /** True when the handle still names this spec's instance and it is running. */
  isRunning(spec: RunSpec, handle: RunHandle): Promise<boolean>
  /** Stops and removes the instance (SIGTERM, then SIGKILL after `graceMs`). */
  stop(spec: RunSpec, handle: RunHandle, graceMs: number): Promise<void>
  /** Starts a dead or hung instance again, when the runner can do better than stop + start. */
  restart?(spec: RunSpec, handle: RunHandle): Promise<RunHandle>
  /** The last lines of the instance's output. */
  readLog(spec: RunSpec, handle: RunHandle | undefined, maxLines: number): Promise<string>
}
