import { randomBytes, randomUUID } from 'node:crypto'
import { noOwnAuthority } from '../http/server-authority.js'
import { invalidParameter } from '../errors.js'
import type { TrackingStore } from '../store/tracking-store.js'
import type { DatasetInput, Experiment, Metric, Run, RunBatch, RunInfo, RunStatus, Tag } from './entities.js'
import { limits, validateArtifactLocation, validateBatch, validateExperimentName, validateKey, validateRunId, validateTag } from './validation.js'

const adjectives = ['able', 'bold', 'brave', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'swift', 'wise']
const nouns = ['anchor', 'bay', 'buoy', 'current', 'dock', 'ferry', 'harbor', 'hull', 'keel', 'mast', 'pier', 'quay', 'sail', 'tide', 'wave', 'wharf']

/** MLflow-style `adjective-noun-NNN` names for runs created without one. */
function generateRunName(): string {
  const [a, n, d] = randomBytes(3)
  return `${adjectives[a! % adjectives.length]}-${nouns[n! % nouns.length]}-${d! % 1000}`
}

export interface CreateRunInput {
  readonly experimentId: string
  readonly userId?: string | undefined
  readonly runName?: string | undefined
  readonly startTime?: number | undefined
  readonly tags: readonly Tag[]
}

/**
 * Tracking operations with MLflow's validation and conventions on top of the store's primitives.
 * The HTTP routes and the CLI both call this; neither talks to the store directly.
 */
export class TrackingService {
  constructor(
    readonly store: TrackingStore,
    readonly now: () => number = Date.now,
    /** Whether an `mlflow-artifacts://` authority is this server (http/server-authority.ts). */
    readonly isOwnArtifactAuthority: (authority: string) => boolean = noOwnAuthority,
  ) {}

  async createExperiment(name: string, artifactLocation: string | undefined, tags: readonly Tag[]): Promise<Experiment> {
    validateExperimentName(name)
    if (artifactLocation !== undefined && artifactLocation !== '') validateArtifactLocation(artifactLocation, this.isOwnArtifactAuthority)
    for (const t of tags) validateTag(t, limits.experimentTagValueLength)
    return this.store.createExperiment({ name, artifactLocation: artifactLocation || undefined, tags, time: this.now() })
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName)
    await this.store.renameExperiment(experimentId, newName, this.now())
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    validateTag(tag, limits.experimentTagValueLength)
    await this.store.setExperimentTag(experimentId, tag)
  }

  /** run_name wins, then the `mlflow.runName` tag, then a generated name; the tag always mirrors it. */
  async createRun(input: CreateRunInput): Promise<Run> {
    for (const t of input.tags) validateTag(t)
    const tagName = input.tags.find((t) => t.key === 'mlflow.runName')?.value
    const runName = input.runName || tagName || generateRunName()
    const userId = input.userId || input.tags.find((t) => t.key === 'mlflow.user')?.value || ''
    const tags = [...input.tags.filter((t) => t.key !== 'mlflow.runName'), { key: 'mlflow.runName', value: runName }]
    return this.store.createRun({
      runId: randomUUID().replaceAll('-', ''),
      experimentId: input.experimentId,
      runName,
      userId,
      startTime: input.startTime ?? this.now(),
      tags,
    })
  }

  async getRun(runId: string): Promise<Run> {
    validateRunId(runId)
    return this.store.getRun(runId)
  }

  async updateRun(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    validateRunId(runId)
    return this.store.updateRun(runId, patch)
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    validateRunId(runId)
    validateBatch(batch)
    await this.store.logBatch(runId, batch)
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.logBatch(runId, { metrics: [metric], params: [], tags: [] })
  }

  logParam(runId: string, param: Tag): Promise<void> {
    return this.logBatch(runId, { metrics: [], params: [param], tags: [] })
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return this.logBatch(runId, { metrics: [], params: [], tags: [tag] })
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId)
    validateKey('tag', key)
    await this.store.deleteRunTag(runId, key)
  }

  async logInputs(runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[]): Promise<void> {
    validateRunId(runId)
    for (const d of datasets) {
      const { name, digest, source, schema, profile } = d.dataset
      if (name.length > 500) throw invalidParameter(`Dataset name '${name.slice(0, 40)}...' exceeds 500 characters.`)
      if (digest.length > 36) throw invalidParameter(`Dataset digest '${digest.slice(0, 40)}' exceeds 36 characters.`)
      if (source.length > 65535) throw invalidParameter('Dataset source exceeds 65535 characters.')
      if ((schema?.length ?? 0) > 1048575) throw invalidParameter('Dataset schema exceeds 1 MB.')
      if ((profile?.length ?? 0) > 16777215) throw invalidParameter('Dataset profile exceeds 16 MB.')
      for (const t of d.tags) {
        if (t.key.length > 255) throw invalidParameter(`Input tag key '${t.key.slice(0, 40)}...' exceeds 255 characters.`)
        if (t.value.length > 500) throw invalidParameter(`Input tag value for '${t.key}' exceeds 500 characters.`)
      }
    }
    await this.store.logInputs(runId, datasets, modelIds)
  }

  /** MLflow 2's `runs/log-model`: appends the model's JSON to the run's `mlflow.log-model.history` tag. */
  async logModel(runId: string, modelJson: string): Promise<void> {
    let model: unknown
    try {
      model = JSON.parse(modelJson)
    } catch {
      throw invalidParameter("Malformed 'model_json': not valid JSON.")
    }
    if (typeof model !== 'object' || model === null || Array.isArray(model)) throw invalidParameter("'model_json' must be a JSON object.")
    for (const field of ['artifact_path', 'flavors', 'utc_time_created', 'run_id']) {
      if (!(field in model)) throw invalidParameter(`Model json is missing mandatory fields: ['${field}']`)
    }
    const run = await this.getRun(runId)
    const existing = run.data.tags.find((t) => t.key === 'mlflow.log-model.history')?.value
    let history: unknown[] = []
    try {
      history = existing ? (JSON.parse(existing) as unknown[]) : []
    } catch {
      history = []
    }
    history.push(model)
    await this.store.logBatch(runId, { metrics: [], params: [], tags: [{ key: 'mlflow.log-model.history', value: JSON.stringify(history) }] })
  }
}
