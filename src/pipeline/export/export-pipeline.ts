import { packageName, version } from '../../version.js'
import type { PipelineDef } from '../pipeline-file.js'
import type { Masker } from '../secrets.js'
import { azurePipelinesYaml } from './azure-pipelines.js'
import { ciPlanOf } from './ci-plan.js'
import { githubActionsYaml } from './github-actions.js'
import type { WharfInstall } from './wharf-install.js'

export const exportFormats = ['azure-pipelines', 'github-actions'] as const
export type ExportFormat = (typeof exportFormats)[number]

/** By default the exported jobs install this very package and version from the npm registry. */
export const registryInstall: WharfInstall = { from: 'registry', package: packageName, version, dir: '.' }

/** The CI file for a pipeline. Secret values are never read into it; the masker is a second guard. */
export function exportPipeline(pipeline: PipelineDef, format: ExportFormat, repoRoot: string, masker: Masker, install: WharfInstall = registryInstall): string {
  const plan = ciPlanOf(pipeline, repoRoot, install)
  return masker.mask(format === 'azure-pipelines' ? azurePipelinesYaml(plan) : githubActionsYaml(plan))
}
