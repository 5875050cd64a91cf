import type { PipelineDef } from '../pipeline-file.js'
import type { Masker } from '../secrets.js'
import { azurePipelinesYaml } from './azure-pipelines.js'
import { ciPlanOf } from './ci-plan.js'
import { githubActionsYaml } from './github-actions.js'

export const exportFormats = ['azure-pipelines', 'github-actions'] as const
export type ExportFormat = (typeof exportFormats)[number]

/** The CI file for a pipeline. Secret values are never read into it; the masker is a second guard. */
export function exportPipeline(pipeline: PipelineDef, format: ExportFormat, repoRoot: string, masker: Masker): string {
  const plan = ciPlanOf(pipeline, repoRoot)
  return masker.mask(format === 'azure-pipelines' ? azurePipelinesYaml(plan) : githubActionsYaml(plan))
}
