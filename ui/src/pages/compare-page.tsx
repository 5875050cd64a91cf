import { useMemo } from 'preact/hooks'
import type { RunRow } from '../api/types.js'
import { experiments, runs } from '../api/wharf-api.js'
import { MetricPanel } from '../charts/metric-panel.js'
import { ScatterChart } from '../charts/scatter-chart.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView, ErrorMessage } from '../components/states.js'
import { formatNumber, toNumber } from '../format.js'
import { useAsync } from '../hooks.js'
import { Link, setQuery, useLocation } from '../router.js'

/** Runs compared at once; the table route takes any number, the URL stays reasonable. */
const maxRuns = 1000

/**
 * Several runs side by side: one metric's curves overlaid, a scatter of a param or metric against
 * a metric, and the params whose values differ.
 */
export function ComparePage() {
  const { query } = useLocation()
  const runIds = (query.get('runs') ?? '').split(',').filter(Boolean).slice(0, maxRuns)
  const experimentId = query.get('experiment') ?? undefined
  const experiment = useAsync(async () => (experimentId ? (await experiments.get(experimentId)).experiment : undefined), [experimentId])
  const data = useAsync(
    async (signal) => {
      if (runIds.length === 0) return undefined
      // The keys of these runs' experiments, then one table call with every metric and param column.
      const rows: RunRow[] = []
      const filter = `attributes.run_id IN (${runIds.map((id) => `'${id.replace(/'/g, '')}'`).join(', ')})`
      const experimentIds = experimentId ? [experimentId] : []
      const keys = experimentIds.length ? await runs.keys(experimentIds) : { metric_keys: [], param_keys: [], tag_keys: [] }
      let pageToken: string | undefined
      do {
        const page = await runs.table(
          { experimentIds, filter, metrics: keys.metric_keys.slice(0, 100), params: keys.param_keys.slice(0, 100), tags: [], maxResults: 5000, pageToken },
          signal,
        )
        rows.push(...(page.runs ?? []))
        pageToken = page.next_page_token
      } while (pageToken)
      return { rows, metricKeys: keys.metric_keys, paramKeys: keys.param_keys }
    },
    [runIds.join(','), experimentId],
  )

  return (
    <section>
      <PageHeader
        title={`Compare ${runIds.length} runs`}
        crumbs={[
          { href: '/experiments', label: 'Experiments' },
          ...(experimentId ? [{ href: `/experiments/${experimentId}`, label: experiment.data?.name ?? `Experiment ${experimentId}` }] : []),
        ]}
      />
      {!experimentId && <ErrorMessage error={new Error('Open Compare from an experiment’s runs table (the link names the experiment).')} />}
      <AsyncView what="runs" {...data} isEmpty={(d) => d.rows.length === 0} empty="None of these runs exists (any more).">
        {(d) => <Comparison rows={d.rows} metricKeys={d.metricKeys} paramKeys={d.paramKeys} />}
      </AsyncView>
    </section>
  )
}

function Comparison({ rows, metricKeys, paramKeys }: { rows: RunRow[]; metricKeys: string[]; paramKeys: string[] }) {
  const { query } = useLocation()
  const shownMetrics = metricKeys.filter((k) => rows.some((r) => r.metrics[k] !== undefined))
  const metric = query.get('metric') ?? shownMetrics[0] ?? ''
  const x = query.get('x') ?? (paramKeys[0] ? `param:${paramKeys[0]}` : '')
  const y = query.get('y') ?? (shownMetrics[0] ? `metric:${shownMetrics[0]}` : '')
  const label = (r: RunRow) => r.run_name || r.run_id.slice(0, 8)
  const requests = useMemo(() => rows.map((r) => ({ runId: r.run_id, key: metric, label: label(r) })), [rows, metric])
  const differing = paramKeys.filter((k) => new Set(rows.map((r) => r.params[k] ?? '')).size > 1)
  const axisChoices = [
    ...paramKeys.map((k) => ({ id: `param:${k}`, label: `param ${k}` })),
    ...shownMetrics.map((k) => ({ id: `metric:${k}`, label: `metric ${k}` })),
  ]
  const axisValue = (r: RunRow, axis: string) => {
    const [kind, ...rest] = axis.split(':')
    const key = rest.join(':')
    return kind === 'param' ? r.params[key] : r.metrics[key]
  }
  return (
    <>
      <h2>Metric curves</h2>
      {shownMetrics.length === 0 ? (
        <p class="muted">These runs logged no metrics.</p>
      ) : (
        <>
          <label class="inline">
            Metric{' '}
            <select value={metric} onChange={(e) => setQuery({ metric: e.currentTarget.value })}>
              {shownMetrics.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <MetricPanel title={`${metric} of ${rows.length} runs`} requests={requests} />
        </>
      )}
      <h2>Scatter</h2>
      {axisChoices.length < 2 ? (
        <p class="muted">A scatter needs at least two params or metrics.</p>
      ) : (
        <>
          <div class="chart-controls">
            <label>
              X{' '}
              <select value={x} onChange={(e) => setQuery({ x: e.currentTarget.value })}>
                {axisChoices.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Y{' '}
              <select value={y} onChange={(e) => setQuery({ y: e.currentTarget.value })}>
                {axisChoices.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ScatterChart
            label={`${y} against ${x}`}
            points={rows.map((r) => ({ id: r.run_id, label: label(r), x: axisValue(r, x), y: toNumber(axisValue(r, y)) }))}
            xLabel={x.replace(':', ' ')}
            yLabel={y.replace(':', ' ')}
          />
        </>
      )}
      <h2>Parameters that differ</h2>
      {differing.length === 0 ? (
        <p class="muted">All {paramKeys.length} parameters are the same in these runs.</p>
      ) : (
        <div class="table-scroll">
          <table class="list compare-table" aria-label="Parameters that differ">
            <thead>
              <tr>
                <th scope="col">Run</th>
                {differing.map((k) => (
                  <th scope="col" key={k} class="mono">
                    {k}
                  </th>
                ))}
                {shownMetrics.slice(0, 6).map((k) => (
                  <th scope="col" key={`m:${k}`} class="num mono">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.run_id}>
                  <th scope="row">
                    <Link href={`/runs/${r.run_id}`}>{label(r)}</Link>
                  </th>
                  {differing.map((k) => (
                    <td key={k}>{r.params[k] ?? '—'}</td>
                  ))}
                  {shownMetrics.slice(0, 6).map((k) => (
                    <td key={`m:${k}`} class="num">
                      {formatNumber(r.metrics[k])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}
