import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { invalidParameter } from '../errors.js'
import type { PipelineDef } from './pipeline-file.js'

const maskText = '***'

/**
 * Replaces every secret value with ***. One function, applied wherever text leaves the runner
 * (terminal, stored logs, stored step outputs and errors, exported files), as Azure Pipelines and
 * GitHub Actions mask secret variables. The encodings a value commonly travels in (JSON string
 * escaping, URL encoding, base64) are masked too, longest first so a value inside another is not
 * half-masked.
 */
export class Masker {
  readonly #needles: readonly string[]

  constructor(values: Iterable<string>) {
    const needles = new Set<string>()
    for (const v of values) {
      if (v.length === 0) continue
      needles.add(v)
      needles.add(JSON.stringify(v).slice(1, -1))
      needles.add(encodeURIComponent(v))
      if (v.length >= 4) for (const form of base64Forms(v)) needles.add(form)
      for (const line of v.split(/\r?\n/)) if (line.trim().length >= 4) needles.add(line)
    }
    this.#needles = [...needles].sort((a, b) => b.length - a.length)
  }

  get isEmpty(): boolean {
    return this.#needles.length === 0
  }

  mask(text: string): string {
    let out = text
    for (const needle of this.#needles) if (out.includes(needle)) out = out.split(needle).join(maskText)
    return out
  }

  /** Masks every string inside a JSON-like value. */
  maskValue<T>(value: T): T {
    if (typeof value === 'string') return this.mask(value) as T
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v)) as T
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskValue(v)])) as T
    return value
  }

  /** An Error whose message (and cause chain) is masked. */
  maskError(err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err)
    const masked = new Error(this.mask(message))
    masked.name = err instanceof Error ? err.name : 'Error'
    if (err instanceof Error && err.stack) masked.stack = this.mask(err.stack)
    return masked
  }
}

/**
 * The value's base64 on its own, and inside longer encoded text (`user:TOKEN` piped to base64):
 * at each of the three byte offsets the value can start at, the characters that depend on its
 * bytes alone. The one or two characters at either end that mix in neighbouring bytes stay.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value)
  const forms = [bytes.toString('base64').replace(/=+$/, '')]
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const form = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6))
    if (form.length >= 4) forms.push(form)
  }
  return forms
}

/**
 * Reads each declared secret from its environment variable or file (relative to the wharf.yaml).
 * A missing required secret is an error naming it, never showing any value.
 */
export async function loadSecrets(pipeline: PipelineDef, env: Readonly<Record<string, string | undefined>>): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [name, source] of Object.entries(pipeline.secrets)) {
    let value: string | undefined
    if ('env' in source) value = env[source.env] === '' ? undefined : env[source.env]
    else {
      const path = resolve(dirname(pipeline.file), source.file)
      value = await readFile(path, 'utf8').then(
        (t) => t.replace(/\r?\n$/, ''),
        () => undefined,
      )
    }
    // Azure Pipelines leaves `$(name)` as it is when no variable of that name is defined.
    if (value !== undefined && /^\$\([\w.]+\)$/.test(value)) {
      throw invalidParameter(
        `${pipeline.file}: secrets.${name}: ${'env' in source ? `environment variable ${source.env}` : `file ${source.file}`} holds '${value}': define that variable in the pipeline (as a secret)`,
      )
    }
    if (value === undefined) {
      if (source.optional) continue
      throw invalidParameter(
        `${pipeline.file}: secrets.${name}: ${'env' in source ? `environment variable ${source.env} is not set` : `file ${source.file} cannot be read`}`,
      )
    }
    out[name] = value
  }
  return out
}
