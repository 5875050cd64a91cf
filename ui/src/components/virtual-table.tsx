import type { ComponentChildren } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'

export interface Column<T> {
  readonly id: string
  readonly header: ComponentChildren
  /** Accessible name when the header is not text. */
  readonly label?: string
  readonly width: number
  readonly align?: 'left' | 'right'
  readonly render: (row: T, index: number) => ComponentChildren
  /** The column the rows are sorted by, and how. */
  readonly sort?: 'ascending' | 'descending' | undefined
  /** Title shown on hover, for cut-off values. */
  readonly title?: (row: T) => string | undefined
}

const overscanRows = 8

/**
 * A table that renders only the rows in view (plus a few), so 10,000 or 100,000 rows scroll as
 * smoothly as 50: the DOM holds ~50 rows whatever the count. Fixed row height; the header stays
 * on top while scrolling in both directions.
 */
export function VirtualTable<T>(props: {
  rows: readonly T[]
  columns: readonly Column<T>[]
  rowKey: (row: T) => string
  rowHeight?: number
  label: string
  isRowSelected?: (row: T) => boolean
  footer?: ComponentChildren
}) {
  const rowHeight = props.rowHeight ?? 34
  const viewport = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(600)
  const frame = useRef(0)

  useLayoutEffect(() => {
    const el = viewport.current
    if (!el) return
    const observer = new ResizeObserver(() => setHeight(el.clientHeight))
    observer.observe(el)
    setHeight(el.clientHeight)
    return () => observer.disconnect()
  }, [])
  useEffect(() => () => cancelAnimationFrame(frame.current), [])

  const onScroll = () => {
    cancelAnimationFrame(frame.current)
    frame.current = requestAnimationFrame(() => setScrollTop(viewport.current?.scrollTop ?? 0))
  }

  const width = props.columns.reduce((w, c) => w + c.width, 0)
  const template = props.columns.map((c) => `${c.width}px`).join(' ')
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscanRows)
  const last = Math.min(props.rows.length, Math.ceil((scrollTop + height) / rowHeight) + overscanRows)
  const visible = []
  for (let i = first; i < last; i++) {
    const row = props.rows[i]!
    visible.push(
      <div
        key={props.rowKey(row)}
        role="row"
        aria-rowindex={i + 2}
        aria-selected={props.isRowSelected ? props.isRowSelected(row) : undefined}
        class={`vrow${i % 2 ? ' odd' : ''}${props.isRowSelected?.(row) ? ' selected' : ''}`}
        style={{ transform: `translateY(${i * rowHeight}px)`, height: `${rowHeight}px`, gridTemplateColumns: template, width: `${width}px` }}
      >
        {props.columns.map((c) => (
          <div role="cell" key={c.id} class={`vcell${c.align === 'right' ? ' num' : ''}`} title={c.title?.(row)}>
            {c.render(row, i)}
          </div>
        ))}
      </div>,
    )
  }
  return (
    <div class="vtable" role="table" aria-label={props.label} aria-rowcount={props.rows.length + 1}>
      <div class="vviewport" ref={viewport} onScroll={onScroll} tabIndex={0} aria-label={`${props.label}, scrollable`}>
        <div class="vhead" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template, width: `${width}px` }}>
          {props.columns.map((c) => (
            <div role="columnheader" key={c.id} class={`vcell${c.align === 'right' ? ' num' : ''}`} aria-label={c.label} aria-sort={c.sort}>
              {c.header}
            </div>
          ))}
        </div>
        <div class="vbody" role="rowgroup" style={{ height: `${props.rows.length * rowHeight}px`, width: `${width}px` }}>
          {visible}
        </div>
      </div>
      {props.footer && <div class="vfooter">{props.footer}</div>}
    </div>
  )
}
