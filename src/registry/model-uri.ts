import { invalidParameter } from '../errors.js'
import type { Stage } from './entities.js'
import { parseStage, parseVersion } from './validation.js'

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
