import { invalidParameter } from '../errors.js'

/** Registry stages, as MLflow names them (deprecated there in favour of aliases, still served). */
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived'
export const stages: readonly Stage[] = ['None', 'Staging', 'Production', 'Archived']

/** Stage names are case-insensitive on input and canonical on output (MLflow's get_canonical_stage). */
export function parseStage(stage: string): Stage {
  const found = stages.find((s) => s.toLowerCase() === stage.toLowerCase())
  if (!found) throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${stages.join(', ')}.`)
  return found
}

/** Version numbers travel as strings ("1", "2"); MLflow int()s them. */
export function parseVersion(version: string | number): number {
  const text = String(version).trim()
  if (!/^\d{1,15}$/.test(text)) throw invalidParameter(`Parameter 'version' must be an integer, got '${String(version).slice(0, 40)}'.`)
  return Number(text)
}

/** What a `models:/` URI names (MLflow's `_parse_model_uri` in mlflow/store/artifact/utils/models.py). */
export type ModelReference =
  | { readonly kind: 'logged-model'; readonly modelId: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: number }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'stage'; readonly name: string; readonly stage: Stage }
  | { readonly kind: 'latest'; readonly name: string }

const improper = (uri: string) =>
  invalidParameter(
    `Not a proper models:/ URI: '${uri.slice(0, 200)}'. Use models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest, ` +
      'models:/<name>@<alias> or models:/<model_id>.',
  )

/** Parses `models:/NAME/VERSION|STAGE|latest`, `models:/NAME@ALIAS` and `models:/m-<id>`. */
export function parseModelUri(uri: string): ModelReference {
  const match = /^models:\/(?!\/)(.*)$/i.exec(uri)
  if (!match || /[?#]/.test(uri)) throw improper(uri)
  const parts = match[1]!.split('/')
  const [name, suffix] = parts
  if (parts.length > 2 || name === undefined || name.trim() === '') throw improper(uri)
  if (suffix !== undefined) {
    if (suffix.trim() === '') throw improper(uri)
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: parseVersion(suffix) }
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name }
    return { kind: 'stage', name, stage: parseStage(suffix) }
  }
  const at = name.lastIndexOf('@')
  if (at !== -1) {
    const alias = name.slice(at + 1)
    if (at === 0 || alias.trim() === '') throw improper(uri)
    return { kind: 'alias', name: name.slice(0, at), alias }
  }
  if (/^m-[0-9a-f]{32}$/.test(name)) return { kind: 'logged-model', modelId: name }
  throw improper(uri)
}
