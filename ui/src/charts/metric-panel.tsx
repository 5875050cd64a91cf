import { useState } from 'preact/hooks'
import { runs } from '../api/wharf-api.js'
import { ErrorMessage, Loading } from '../components/states.js'
import { toNumber } from '../format.js'
import { useAsync } from '../hooks.js'
import { LineChart, type LineSeries, type StepRange } from './line-chart.js'

/** Points asked for per series: about two per pixel column of a wide chart. */
const maxPoints = 2400

export interface SeriesRequest {
  readonly runId: string
  readonly key: string
  readonly label: string
}

/**
 * Fetches thinned histories for the requested (run, metric) pairs, one call per metric key for all
 * runs, for the visible step range: a 1,000,000-point history arrives as ~2,400 points, and a
 * zoom asks again for the steps in view.
 */
function useSampledSeries(requests: readonly SeriesRequest[], range: StepRange | undefined) {
  const identity = requests.map((r) => `${r.runId}\t${r.key}`).join('\n')
  return useAsync(
    async (signal) => {
      const byKey = new Map<string, string[]>()
      for (const r of requests) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.runId])
      const answers = await Promise.all(
        [...byKey].map(async ([key, runIds]) => ({ key, series: (await runs.sampled(runIds, key, maxPoints, range, signal)).series })),
      )
      const found = new Map(answers.flatMap((a) => a.series.map((s) => [`${s.run_id}\t${a.key}`, s] as const)))
      let min = Infinity
      let max = -Infinity
      let total = 0
      let isSampled = false
      const series: LineSeries[] = requests.map((r) => {
        const s = found.get(`${r.runId}\t${r.key}`)
        if (s?.first_step != null) min = Math.min(min, s.first_step)
        if (s?.last_step != null) max = Math.max(max, s.last_step)
        total += s?.total_points ?? 0
        isSampled ||= s?.sampled ?? false
        const values = (s?.values ?? []).map((v) => {
          const n = toNumber(v)
          return n === undefined || Number.isNaN(n) ? null : n
        })
        return { id: `${r.runId}\t${r.key}`, label: r.label, steps: s?.steps ?? [], values }
      })
      return { series, fullRange: min <= max ? { min, max } : undefined, total, isSampled }
    },
    [identity, range?.min, range?.max],
    { keepData: true },
  )
}

/** Chart controls (log scale, smoothing) and the chart of the requested series. */
export function MetricPanel({ requests, title }: { requests: readonly SeriesRequest[]; title: string }) {
  const identity = requests.map((r) => `${r.runId}\t${r.key}`).join('\n')
  // A zoom belongs to the series it was made on: a new choice of series starts unzoomed.
  const [zoom, setZoom] = useState<{ identity: string; range: StepRange | undefined }>({ identity, range: undefined })
  const range = zoom.identity === identity ? zoom.range : undefined
  const setRange = (r: StepRange | undefined) => setZoom({ identity, range: r })
  const [logScale, setLogScale] = useState(false)
  const [smoothing, setSmoothing] = useState(0)
  const data = useSampledSeries(requests, range)

  return (
    <div class="metric-panel">
      <div class="chart-controls">
        <label>
          <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.currentTarget.checked)} /> Log scale
        </label>
        <label>
          Smoothing{' '}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onInput={(e) => setSmoothing(Number(e.currentTarget.value))}
            aria-valuetext={smoothing.toFixed(2)}
          />
          <output>{smoothing.toFixed(2)}</output>
        </label>
        {range && (
          <button type="button" class="small" onClick={() => setRange(undefined)}>
            Reset zoom
          </button>
        )}
        <span class="muted chart-note" aria-live="polite">
          {data.isLoading
            ? 'loading…'
            : data.data
              ? `${data.data.total.toLocaleString()} points${data.data.isSampled ? ', thinned to the min and max of each pixel column' : ''}`
              : ''}
        </span>
      </div>
      {data.error && <ErrorMessage error={data.error} />}
      {!data.data && data.isLoading && <Loading what="metric history" />}
      {data.data && (
        <LineChart label={title} series={data.data.series} logScale={logScale} smoothing={smoothing} fullRange={data.data.fullRange} onRangeChange={setRange} />
      )}
    </div>
  )
}
