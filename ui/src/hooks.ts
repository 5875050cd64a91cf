import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export interface Async<T> {
  readonly data: T | undefined
  readonly error: Error | undefined
  readonly isLoading: boolean
  reload(): void
}

/**
 * Runs `load` when `deps` change and keeps its result; an older call's answer never overwrites a
 * newer one. `reload` runs it again keeping the data shown meanwhile (no flash of "loading"), as
 * does any change of `deps` with `keepData` (a chart zoom asking for finer points).
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  options: { keepData?: boolean; isEnabled?: boolean } = {},
): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; isLoading: boolean }>({ isLoading: true })
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  const lastTick = useRef(tick)
  const isEnabled = options.isEnabled ?? true
  useEffect(() => {
    if (!isEnabled) return
    const controller = new AbortController()
    const isReload = tick !== lastTick.current
    lastTick.current = tick
    setState((s) => ({ data: isReload || options.keepData ? s.data : undefined, isLoading: true }))
    loadRef.current(controller.signal).then(
      (data) => controller.signal.aborted || setState({ data, isLoading: false }),
      (error: unknown) => controller.signal.aborted || setState({ error: error instanceof Error ? error : new Error(String(error)), isLoading: false }),
    )
    return () => controller.abort()
  }, [...deps, tick, isEnabled])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data: state.data, error: state.error, isLoading: state.isLoading, reload }
}

/** Calls `fn` every `ms` while the page is visible. */
export function useInterval(fn: () => void, ms: number | undefined): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => {
    if (ms === undefined) return
    const id = setInterval(() => document.visibilityState === 'visible' && ref.current(), ms)
    return () => clearInterval(id)
  }, [ms])
}

/** A value kept in localStorage (UI choices such as table columns; never data or tokens). */
export function useStoredState<T>(key: string, initial: T): [T, (value: T) => void] {
  const read = (): T => {
    try {
      const raw = localStorage.getItem(key)
      return raw === null ? initial : (JSON.parse(raw) as T)
    } catch {
      return initial
    }
  }
  const [value, setValue] = useState<T>(read)
  const keyRef = useRef(key)
  useEffect(() => {
    if (keyRef.current !== key) {
      keyRef.current = key
      setValue(read())
    }
  }, [key])
  const store = useCallback(
    (v: T) => {
      setValue(v)
      try {
        localStorage.setItem(key, JSON.stringify(v))
      } catch {
        // Private windows may refuse storage; the choice then lasts for the page only.
      }
    },
    [key],
  )
  return [value, store]
}

/** The user's colour scheme, following the system setting live. */
export function useColorScheme(): 'dark' | 'light' {
  const query = window.matchMedia('(prefers-color-scheme: dark)')
  const [isDark, setIsDark] = useState(query.matches)
  useEffect(() => {
    const update = () => setIsDark(query.matches)
    query.addEventListener('change', update)
    return () => query.removeEventListener('change', update)
  }, [query])
  return isDark ? 'dark' : 'light'
}
