/** Passes before giving up, as MLflow's `_decode` in mlflow/utils/uri.py (which then answers 500; we refuse). */
export const maxDecodePasses = 10

export type PercentDecoding =
  /** Every form of the text, from as sent to fully decoded (the last one). */
  | { readonly forms: readonly string[] }
  /** `malformed`: a bad escape (`%zz`, a lone `%`, overlong UTF-8); `too-deep`: still changing after the last pass. */
  | { readonly refused: 'malformed' | 'too-deep' }

/**
 * Percent-decodes until the text stops changing, at most `maxDecodePasses` decodings in all (the
 * last one must find it stable). The one decoder every path and URI check uses, so that each
 * refuses the same inputs: the artifact paths, the URL guard, model version sources.
 */
export function decodePercentFully(text: string): PercentDecoding {
  const forms = [text]
  let current = text
  for (let pass = 0; pass < maxDecodePasses; pass++) {
    let next: string
    try {
      next = decodeURIComponent(current)
    } catch {
      return { refused: 'malformed' }
    }
    if (next === current) return { forms }
    forms.push(next)
    current = next
  }
  return { refused: 'too-deep' }
}
