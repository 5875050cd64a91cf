import { useEffect, useState } from 'preact/hooks'
import type { RunRow } from '../api/types.js'
import { experiments, runs } from '../api/wharf-api.js'
import { PageHeader } from '../components/layout.js'
import { Empty, ErrorMessage, Loading, StatusBadge } from '../components/states.js'
import { type Column, VirtualTable } from '../components/virtual-table.js'
import { formatDuration, formatNumber, formatTime } from '../format.js'
import { useAsync, useStoredState } from '../hooks.js'
import { Link, navigate, setQuery, useLocation } from '../router.js'
import { type ChosenColumns, ColumnChooser } from './column-chooser.js'

const firstPageSize = 200
const pageSize = 5000
const defaultColumnCount = 4

/** An order_by term in MLflow syntax; keys are quoted so any key works. */
const orderTerm = (kind: string, key: string, dir: 'ASC' | 'DESC') => `${kind}.\`${key.replace(/`/g, '')}\` ${dir}`

interface SortState {
  kind: 'attributes' | 'metrics' | 'params' | 'tags'
  key: string
  dir: 'ASC' | 'DESC'
}

function parseSort(value: string | null): SortState | undefined {
  const m = /^(attributes|metrics|params|tags):(ASC|DESC):(.+)$/.exec(value ?? '')
  return m ? { kind: m[1] as SortState['kind'], dir: m[2] as SortState['dir'], key: m[3]! } : undefined
}

/**
 * Loads the table in pages: the first small, so rows show at once, then the rest in the
 * background. When only the columns change (same runs, same order), the rows already shown stay
 * until their reloaded versions replace them, so the table neither shrinks nor jumps.
 */
function useRunRows(experimentId: string, filter: string, sort: SortState | undefined, columns: ChosenColumns) {
  const [state, setState] = useState<{ rows: RunRow[]; query: string; isComplete: boolean; error?: Error }>({ rows: [], query: '', isComplete: false })
  const [isLoading, setLoading] = useState(true)
  const columnsKey = JSON.stringify(columns)
  const query = JSON.stringify([experimentId, filter, sort])
  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    const orderBy = sort ? [orderTerm(sort.kind, sort.key, sort.dir)] : undefined
    const load = async () => {
      let rows: RunRow[] = []
      let pageToken: string | undefined
      let size = firstPageSize
      do {
        const page = await runs.table({ experimentIds: [experimentId], filter, orderBy, ...columns, maxResults: size, pageToken }, controller.signal)
        if (controller.signal.aborted) return
        rows = rows.concat(page.runs ?? [])
        pageToken = page.next_page_token
        const fresh = rows
        const isComplete = !pageToken
        setState((s) => ({ rows: !isComplete && s.query === query ? fresh.concat(s.rows.slice(fresh.length)) : fresh, query, isComplete }))
        setLoading(false)
        size = pageSize
      } while (pageToken)
    }
    load().catch((error: Error) => {
      if (controller.signal.aborted) return
      setState({ rows: [], query, isComplete: true, error })
      setLoading(false)
    })
    return () => controller.abort()
  }, [query, columnsKey])
  return { ...state, isLoading }
}

export function RunsPage({ experimentId }: { experimentId: string }) {
  const { query } = useLocation()
  const filter = query.get('filter') ?? ''
  const sort = parseSort(query.get('sort'))
  const [draft, setDraft] = useState(filter)
  useEffect(() => setDraft(filter), [filter])
  const experiment = useAsync(() => experiments.get(experimentId), [experimentId])
  const [stored, setStored] = useStoredState<ChosenColumns | null>(`wharf.columns.${experimentId}`, null)
  const [defaults, setDefaults] = useState<ChosenColumns>({ metrics: [], params: [], tags: [] })
  const columns = stored ?? defaults
  // Rows load at once; listing the keys (thousands, in some experiments) waits for the first page,
  // since the server answers one request at a time; default columns fill in when the keys arrive.
  const table = useRunRows(experimentId, filter, sort, columns)
  const isFirstPageIn = table.rows.length > 0 || table.isComplete
  const keys = useAsync(() => runs.keys([experimentId]), [experimentId], { isEnabled: isFirstPageIn })
  useEffect(() => {
    if (keys.data)
      setDefaults({ metrics: keys.data.metric_keys.slice(0, defaultColumnCount), params: keys.data.param_keys.slice(0, defaultColumnCount), tags: [] })
  }, [keys.data])
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [isChoosing, setChoosing] = useState(false)

  const toggle = (id: string) => {
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setSelected(next)
  }
  const sortBy = (kind: SortState['kind'], key: string) => {
    const dir = sort?.kind === kind && sort.key === key && sort.dir === 'DESC' ? 'ASC' : 'DESC'
    setQuery({ sort: `${kind}:${dir}:${key}` })
  }
  const sortHeader = (kind: SortState['kind'], key: string, label: string) => {
    const isActive = sort?.kind === kind && sort.key === key
    return (
      <button type="button" class="sort" onClick={() => sortBy(kind, key)} aria-label={`Sort by ${label}`} title={label}>
        {label}
        <span aria-hidden="true">{isActive ? (sort.dir === 'ASC' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    )
  }

  const sortOf = (kind: SortState['kind'], key: string) =>
    sort?.kind === kind && sort.key === key ? (sort.dir === 'ASC' ? ('ascending' as const) : ('descending' as const)) : undefined
  const allShownSelected = table.rows.length > 0 && table.rows.every((r) => selected.has(r.run_id))
  const tableColumns: Column<RunRow>[] = [
    {
      id: 'select',
      width: 40,
      label: 'Select',
      header: (
        <input
          type="checkbox"
          aria-label="Select all runs"
          checked={allShownSelected}
          onChange={() => setSelected(allShownSelected ? new Set() : new Set(table.rows.map((r) => r.run_id)))}
        />
      ),
      render: (r) => (
        <input type="checkbox" aria-label={`Select ${r.run_name ?? r.run_id}`} checked={selected.has(r.run_id)} onChange={() => toggle(r.run_id)} />
      ),
    },
    {
      id: 'name',
      width: 220,
      sort: sortOf('attributes', 'run_name'),
      header: sortHeader('attributes', 'run_name', 'Run'),
      render: (r) => <Link href={`/runs/${r.run_id}`}>{r.run_name || r.run_id}</Link>,
      title: (r) => r.run_name,
    },
    {
      id: 'status',
      width: 100,
      sort: sortOf('attributes', 'status'),
      header: sortHeader('attributes', 'status', 'Status'),
      render: (r) => <StatusBadge status={r.status} />,
    },
    {
      id: 'user',
      width: 110,
      sort: sortOf('attributes', 'user_id'),
      header: sortHeader('attributes', 'user_id', 'User'),
      render: (r) => r.user_id ?? '',
      title: (r) => r.user_id,
    },
    {
      id: 'start',
      width: 170,
      sort: sortOf('attributes', 'start_time'),
      header: sortHeader('attributes', 'start_time', 'Started'),
      render: (r) => formatTime(r.start_time),
    },
    {
      id: 'duration',
      width: 100,
      align: 'right',
      header: 'Duration',
      render: (r) => formatDuration(r.start_time && r.end_time ? r.end_time - r.start_time : undefined),
    },
    ...columns.metrics.map(
      (k): Column<RunRow> => ({
        id: `m:${k}`,
        width: 120,
        align: 'right',
        sort: sortOf('metrics', k),
        header: sortHeader('metrics', k, k),
        render: (r) => formatNumber(r.metrics[k]),
        title: (r) => String(r.metrics[k] ?? ''),
      }),
    ),
    ...columns.params.map(
      (k): Column<RunRow> => ({
        id: `p:${k}`,
        width: 120,
        sort: sortOf('params', k),
        header: sortHeader('params', k, k),
        render: (r) => r.params[k] ?? '',
        title: (r) => r.params[k],
      }),
    ),
    ...columns.tags.map(
      (k): Column<RunRow> => ({
        id: `t:${k}`,
        width: 140,
        sort: sortOf('tags', k),
        header: sortHeader('tags', k, k),
        render: (r) => r.tags[k] ?? '',
        title: (r) => r.tags[k],
      }),
    ),
  ]

  const compareHref = `/compare?experiment=${encodeURIComponent(experimentId)}&runs=${[...selected].join(',')}`
  return (
    <section class="runs-page">
      <PageHeader title={experiment.data?.experiment.name ?? `Experiment ${experimentId}`} crumbs={[{ href: '/experiments', label: 'Experiments' }]}>
        <button type="button" onClick={() => setChoosing(true)} disabled={!keys.data}>
          Columns
        </button>
        <button type="button" class="primary" disabled={selected.size < 2} onClick={() => navigate(compareHref)}>
          Compare{selected.size ? ` (${selected.size})` : ''}
        </button>
      </PageHeader>
      {experiment.error && <ErrorMessage error={experiment.error} />}
      <search>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault()
            setQuery({ filter: draft.trim() })
          }}
        >
          <label class="grow">
            <span class="visually-hidden">Filter runs (MLflow search syntax)</span>
            <input
              type="search"
              class="mono"
              placeholder="metrics.rmse < 1 and params.model = 'gbdt'"
              value={draft}
              onInput={(e) => setDraft(e.currentTarget.value)}
              aria-invalid={table.error ? true : undefined}
              aria-describedby={table.error ? 'filter-error' : undefined}
              spellcheck={false}
            />
          </label>
          <button type="submit">Apply</button>
          {filter && (
            <button type="button" onClick={() => setQuery({ filter: undefined })}>
              Clear
            </button>
          )}
        </form>
      </search>
      {table.error && (
        <div id="filter-error">
          <ErrorMessage error={table.error} />
        </div>
      )}
      {!table.error && table.isLoading && table.rows.length === 0 && <Loading what="runs" />}
      {!table.error && !table.isLoading && table.rows.length === 0 && (
        <Empty>{filter ? 'No run matches this filter.' : 'No runs in this experiment yet. Log one with the MLflow client or `wharf train`.'}</Empty>
      )}
      {table.rows.length > 0 && (
        <VirtualTable
          label="Runs"
          rows={table.rows}
          columns={tableColumns}
          rowKey={(r) => r.run_id}
          isRowSelected={(r) => selected.has(r.run_id)}
          footer={
            <span class="run-count" aria-live="polite">
              {table.rows.length.toLocaleString()} run{table.rows.length === 1 ? '' : 's'}
              {table.isComplete ? '' : ' (loading more…)'}
              {selected.size > 0 ? ` · ${selected.size} selected` : ''}
            </span>
          }
        />
      )}
      {isChoosing && keys.data && (
        <ColumnChooser
          keys={keys.data}
          chosen={columns}
          onClose={(next) => {
            setChoosing(false)
            if (next) setStored(next)
          }}
        />
      )}
    </section>
  )
}
