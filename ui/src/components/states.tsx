import type { ComponentChildren } from 'preact'
import { ApiError } from '../api/http.js'

export function Loading({ what }: { what: string }) {
  return (
    <p class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  )
}

/** The server's own words for what went wrong (error code and message), or the browser's. */
export function ErrorMessage({ error, action }: { error: Error; action?: ComponentChildren }) {
  const code = error instanceof ApiError ? error.code : undefined
  return (
    <div class="state state-error" role="alert">
      {code && <code class="error-code">{code}</code>} <span class="error-message">{error.message}</span>
      {action && <div class="state-action">{action}</div>}
    </div>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state state-empty">{children}</div>
}

/** Shows loading, error or empty states, else its children. */
export function AsyncView<T>(props: {
  what: string
  data: T | undefined
  error: Error | undefined
  isLoading: boolean
  isEmpty?: (data: T) => boolean
  empty?: ComponentChildren
  children: (data: T) => ComponentChildren
}) {
  if (props.error && props.data === undefined) return <ErrorMessage error={props.error} />
  if (props.data === undefined) return props.isLoading ? <Loading what={props.what} /> : null
  if (props.isEmpty?.(props.data)) return <Empty>{props.empty}</Empty>
  return <>{props.children(props.data)}</>
}

const statusClass: Record<string, string> = {
  FINISHED: 'ok',
  succeeded: 'ok',
  ready: 'ok',
  READY: 'ok',
  approved: 'ok',
  live: 'ok',
  RUNNING: 'busy',
  running: 'busy',
  SCHEDULED: 'busy',
  pending: 'idle',
  waiting: 'warn',
  degraded: 'warn',
  canary: 'busy',
  shadow: 'idle',
  FAILED: 'bad',
  failed: 'bad',
  KILLED: 'bad',
  down: 'bad',
  rejected: 'bad',
  interrupted: 'bad',
  unknown: 'idle',
  skipped: 'idle',
  standby: 'idle',
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${statusClass[status] ?? 'idle'}`}>{status.toLowerCase()}</span>
}
