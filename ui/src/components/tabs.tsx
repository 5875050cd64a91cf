import type { ComponentChildren } from 'preact'
import { useRef } from 'preact/hooks'

/** ARIA tabs: arrow keys move between tabs, the selected one is in the URL (shareable). */
export function Tabs(props: {
  label: string
  tabs: { id: string; label: string }[]
  selected: string
  onSelect: (id: string) => void
  children: ComponentChildren
}) {
  const list = useRef<HTMLDivElement>(null)
  const onKey = (e: KeyboardEvent) => {
    const i = props.tabs.findIndex((t) => t.id === props.selected)
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
    if (!delta) return
    e.preventDefault()
    const next = props.tabs[(i + delta + props.tabs.length) % props.tabs.length]!
    props.onSelect(next.id)
    list.current?.querySelector<HTMLButtonElement>(`#tab-${next.id}`)?.focus()
  }
  return (
    <div class="tabs">
      <div role="tablist" aria-label={props.label} ref={list} onKeyDown={onKey}>
        {props.tabs.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            role="tab"
            type="button"
            aria-selected={t.id === props.selected}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === props.selected ? 0 : -1}
            onClick={() => props.onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${props.selected}`} aria-labelledby={`tab-${props.selected}`} class="tab-panel">
        {props.children}
      </div>
    </div>
  )
}
