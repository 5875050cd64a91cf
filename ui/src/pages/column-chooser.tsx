import { useEffect, useRef, useState } from 'preact/hooks'
import type { RunKeys } from '../api/types.js'

export interface ChosenColumns {
  readonly metrics: readonly string[]
  readonly params: readonly string[]
  readonly tags: readonly string[]
}

/** Keys listed per section at once; a search narrows thousands of keys down. */
const maxListed = 150

type Section = keyof ChosenColumns

/**
 * Chooses the table's metric, param and tag columns. Only chosen columns are fetched, so an
 * experiment with thousands of metric keys costs what its shown columns cost.
 */
export function ColumnChooser(props: { keys: RunKeys; chosen: ChosenColumns; onClose: (next: ChosenColumns | undefined) => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  const [search, setSearch] = useState('')
  const [chosen, setChosen] = useState({ metrics: new Set(props.chosen.metrics), params: new Set(props.chosen.params), tags: new Set(props.chosen.tags) })
  useEffect(() => {
    ref.current?.showModal()
  }, [])
  const all: Record<Section, string[]> = { metrics: props.keys.metric_keys, params: props.keys.param_keys, tags: props.keys.tag_keys }
  const needle = search.trim().toLowerCase()
  const toggle = (section: Section, key: string) => {
    const next = new Set(chosen[section])
    if (next.has(key)) next.delete(key)
    else next.add(key)
    setChosen({ ...chosen, [section]: next })
  }
  const done = (apply: boolean) => {
    ref.current?.close()
    props.onClose(apply ? { metrics: [...chosen.metrics], params: [...chosen.params], tags: [...chosen.tags] } : undefined)
  }
  return (
    <dialog ref={ref} class="column-chooser" aria-labelledby="columns-title" onCancel={() => props.onClose(undefined)}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          done(true)
        }}
      >
        <h2 id="columns-title">Columns</h2>
        <label>
          <span class="visually-hidden">Search keys</span>
          <input
            type="search"
            placeholder={`Search ${all.metrics.length + all.params.length + all.tags.length} keys`}
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            autofocus
          />
        </label>
        <div class="chooser-sections">
          {(['metrics', 'params', 'tags'] as const).map((section) => {
            const matches = all[section].filter((k) => k.toLowerCase().includes(needle))
            const listed = [...new Set([...[...chosen[section]].filter((k) => k.toLowerCase().includes(needle)), ...matches.slice(0, maxListed)])]
            return (
              <fieldset key={section}>
                <legend>
                  {section}{' '}
                  <span class="muted">
                    ({chosen[section].size} of {all[section].length})
                  </span>
                </legend>
                {listed.length === 0 && <p class="muted">No {section} match.</p>}
                <ul class="key-list">
                  {listed.map((k) => (
                    <li key={k}>
                      <label>
                        <input type="checkbox" checked={chosen[section].has(k)} onChange={() => toggle(section, k)} /> <span class="mono">{k}</span>
                      </label>
                    </li>
                  ))}
                </ul>
                {matches.length > maxListed && <p class="muted">{matches.length - maxListed} more: narrow the search.</p>}
              </fieldset>
            )
          })}
        </div>
        <div class="actions">
          <button type="button" onClick={() => done(false)}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Show columns
          </button>
        </div>
      </form>
    </dialog>
  )
}
