import { type AnchorHTMLAttributes, type ComponentChildren, h, type TargetedMouseEvent } from 'preact'
import { useEffect, useState } from 'preact/hooks'

/**
 * Routing on the History API: real paths (`/runs/<id>`), which the server answers with the app
 * for any page path, so links can be shared and reloaded. Small enough not to need a library.
 */
const listeners = new Set<() => void>()
const notify = () => {
  for (const listener of listeners) listener()
}
window.addEventListener('popstate', notify)

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  notify()
  if (!options.replace) window.scrollTo(0, 0)
}

export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

export function useLocation(): Location {
  const [, setTick] = useState(0)
  useEffect(() => {
    const update = () => setTick((t) => t + 1)
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return { path: location.pathname, query: new URLSearchParams(location.search) }
}

/** Replaces query parameters of the current page without a new history entry. */
export function setQuery(changes: Record<string, string | undefined>): void {
  const query = new URLSearchParams(location.search)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') query.delete(k)
    else query.set(k, v)
  }
  const qs = query.toString()
  navigate(location.pathname + (qs ? `?${qs}` : ''), { replace: true })
}

/** `/runs/:id` against `/runs/abc` gives `{ id: 'abc' }`; undefined when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = []
  const source = pattern.replace(/:(\w+)(\*)?/g, (_, name: string, rest: string | undefined) => {
    names.push(name)
    return rest ? '(.+)' : '([^/]+)'
  })
  const m = new RegExp(`^${source}/?$`).exec(path)
  if (!m) return undefined
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]))
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren }

/** An ordinary link (middle-click, copy link, keyboard all work) that routes in the page on a plain click. */
export function Link(props: AnchorProps) {
  const onClick = (e: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(props.href)
  }
  return h('a', { ...props, onClick })
}
