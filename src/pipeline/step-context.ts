import type { ApprovalRecord } from './entities.js'
import type { ServerConnection } from './pipeline-client.js'
import type { PipelineDef, StepKind } from './pipeline-file.js'
import type { parseStepSpec } from './pipeline-file.js'

/** What a step may use besides its settings. Everything it logs is masked before it leaves the runner. */
export interface StepContext {
  readonly runId: string
  readonly pipeline: PipelineDef
  readonly stage: string
  readonly step: string
  /** Folder of the wharf.yaml: relative paths in steps are read from here. */
  readonly dir: string
  /** One line of this step's log: printed and stored, secrets masked. */
  log(line: string): void
  /** The value with every secret in its strings masked: for what a step stores elsewhere (an executed notebook). */
  mask<T>(value: T): T
  /** Variables and secrets by name, the server's address, and the run's identity: the environment of commands. */
  readonly env: Readonly<Record<string, string>>
  readonly connection: ServerConnection
  /** Outputs of the steps that finished before this one (this run, including before a resume). */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** The tracking run made by the nearest train (or databricks) step before this one. */
  latestTrainRun(): string | undefined
  /** That train step's outputs (run_id, model_uri). */
  latestTrainOutputs(): Readonly<Record<string, string>> | undefined
  /** Shows the step as waiting for a person (`wharf pipeline approve`). */
  markWaiting(): Promise<void>
  /** The decision recorded for this step, if any. */
  decision(): Promise<Pick<ApprovalRecord, 'decision' | 'actor' | 'comment'> | undefined>
  /** Where models downloaded for offline predictions are kept. */
  readonly modelCacheDir: string
  /** In a CI job the environment's approval was the manual approval: gates do not wait again. */
  readonly isApprovedByCi: boolean
  readonly signal: AbortSignal
}

export type StepSpec<K extends StepKind> = ReturnType<typeof parseStepSpec<K>>

/** A step: its checked settings in, its outputs (run id, version, URL...) out; throws to fail. */
export type StepFunction<K extends StepKind> = (spec: StepSpec<K>, context: StepContext) => Promise<Record<string, string>>

export type StepFunctions = { readonly [K in StepKind]: StepFunction<K> }
