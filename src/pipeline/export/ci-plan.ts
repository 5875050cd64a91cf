import { relative } from 'node:path'
import type { PipelineDef, StageDef } from '../pipeline-file.js'
import { ciNameOf } from '../variable-names.js'
import type { WharfInstall } from './wharf-install.js'

/** One CI stage/job per wharf.yaml stage: what both exporters lay out in their own syntax. */
export interface CiStage {
  readonly name: string
  readonly displayName: string
  readonly needs: readonly string[]
  /** 'succeeded' | 'failed' | 'always'; finer conditions are evaluated by wharf inside the job. */
  readonly condition: 'succeeded' | 'failed' | 'always'
  /** A CI environment (deployment job): where approvals and checks are configured. */
  readonly environment: string | undefined
  readonly hasManualApproval: boolean
  /** `wharf pipeline run` arguments after the file, without the run key. */
  readonly args: readonly string[]
}

export interface CiPlan {
  readonly pipeline: string
  /** The wharf.yaml path relative to the repository root (the export's working folder). */
  readonly file: string
  /** `ciName`: the name where a dot cannot go (GitHub Actions, environment variables): databricks.host → DATABRICKS_HOST. */
  readonly variables: readonly { readonly name: string; readonly value: string; readonly ciName: string }[]
  /** Secret name → how the job hands it to wharf: an environment variable, or a file written first. */
  readonly secrets: readonly { readonly name: string; readonly ciName: string; readonly env?: string; readonly file?: string }[]
  readonly stages: readonly CiStage[]
  readonly install: WharfInstall
}

function conditionOf(when: string): CiStage['condition'] {
  const w = when.replace(/\s+/g, '').replace(/^\$\{\{(.*)\}\}$/, '$1')
  if (w === 'always()') return 'always'
  if (w === 'failed()') return 'failed'
  return 'succeeded'
}

/** A literal (not `${{ }}`) environment a stage deploys or promotes to. */
function environmentOf(stage: StageDef): string | undefined {
  if (stage.environment) return stage.environment
  for (const step of stage.steps) {
    const raw = step.raw as Record<string, unknown> | undefined
    const env = step.kind === 'deploy' ? raw?.environment : step.kind === 'promote' ? raw?.to : undefined
    if (typeof env === 'string' && !env.includes('${{')) return env
  }
  return undefined
}

const hasManualApproval = (stage: StageDef) =>
  stage.steps.some((s) => s.kind === 'gate' && (s.raw as { approval?: unknown } | undefined)?.approval === 'manual')

/** Pure: the pipeline as CI stages, staging before production as wharf.yaml orders them. */
export function ciPlanOf(pipeline: PipelineDef, repoRoot: string, install: WharfInstall): CiPlan {
  const stages = pipeline.stages.map((stage, i): CiStage => {
    const manual = hasManualApproval(stage)
    return {
      name: stage.name,
      displayName: stage.displayName ?? stage.name,
      needs: i === 0 ? [] : [pipeline.stages[i - 1]!.name],
      condition: conditionOf(stage.when),
      environment: environmentOf(stage) ?? (manual ? `${pipeline.name}-approval` : undefined),
      hasManualApproval: manual,
      args: ['--stage', stage.name, ...(manual ? ['--approvals', 'ci'] : [])],
    }
  })
  return {
    pipeline: pipeline.name,
    file: relative(repoRoot, pipeline.file) || 'wharf.yaml',
    variables: Object.entries(pipeline.variables).map(([name, value]) => ({ name, value, ciName: ciNameOf(name) })),
    secrets: Object.entries(pipeline.secrets).map(([name, s]) => ({ name, ciName: ciNameOf(name), ...('env' in s ? { env: s.env } : { file: s.file }) })),
    stages,
    install,
  }
}
