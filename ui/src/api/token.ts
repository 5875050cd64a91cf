/**
 * The API token, asked for once when the server answers 401 and kept in sessionStorage for the
 * tab's session: never in a URL, never in localStorage (gone when the tab closes).
 */
const storageKey = 'wharf.token'

type Listener = () => void
const listeners = new Set<Listener>()
let pending: { resolve: () => void; promise: Promise<void> } | undefined
let wasRejected = false

export function currentToken(): string | undefined {
  try {
    return sessionStorage.getItem(storageKey) ?? undefined
  } catch {
    return undefined
  }
}

export const tokenPrompt = {
  get isOpen(): boolean {
    return pending !== undefined
  },
  /** The token in storage was refused by the server. */
  get wasRejected(): boolean {
    return wasRejected
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
}

const notify = () => {
  for (const listener of listeners) listener()
}

/** Opens the prompt (once, however many requests were refused) and resolves when a token is given. */
export function askForToken(rejected: boolean): Promise<void> {
  if (pending) return pending.promise
  wasRejected = rejected
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  pending = { resolve, promise }
  notify()
  return promise
}

export function provideToken(token: string): void {
  sessionStorage.setItem(storageKey, token.trim())
  const p = pending
  pending = undefined
  notify()
  p?.resolve()
}

export function forgetToken(): void {
  sessionStorage.removeItem(storageKey)
}
