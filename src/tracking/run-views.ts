import type { RunQuery, TrackingStore } from '../store/tracking-store.js'
import { hasTrackingViews, type MetricSample, type MetricSampleQuery, type RunColumns, type RunKeys, type RunSummary } from '../store/tracking-views.js'
import type { Page, Run, ViewType } from './entities.js'
import { decimateMinMax } from '../store/min-max-decimation.js'

/**
 * Reads for the web UI's run tables and charts. Stores that implement `TrackingViews` (SQLite)
 * answer them directly; any other store is served here from its primitives, correct but slower:
 * it loads whole runs and whole histories.
 */

const historyPageSize = 100_000
const keysPageSize = 10_000

export async function searchRunTable(store: TrackingStore, query: RunQuery, columns: RunColumns): Promise<Page<RunSummary>> {
  if (hasTrackingViews(store)) return store.searchRunColumns(query, columns)
  const page = await store.searchRuns(query)
  return { items: page.items.map((run) => summarize(run, columns)), nextPageToken: page.nextPageToken }
}

function summarize(run: Run, columns: RunColumns): RunSummary {
  const pick = <T>(entries: readonly { key: string; value: T }[], keys: readonly string[]) =>
    Object.fromEntries(entries.filter((e) => keys.includes(e.key)).map((e) => [e.key, e.value]))
  return {
    info: run.info,
    metrics: pick(run.data.metrics, columns.metrics),
    params: pick(run.data.params, columns.params),
    tags: pick(run.data.tags, columns.tags),
  }
}

export async function listRunKeys(store: TrackingStore, experimentIds: readonly string[], viewType: ViewType): Promise<RunKeys> {
  if (hasTrackingViews(store)) return store.listRunKeys(experimentIds, viewType)
  const keys = { metrics: new Set<string>(), params: new Set<string>(), tags: new Set<string>() }
  let pageToken: string | undefined
  do {
    const page = await store.searchRuns({ experimentIds, clauses: [], orderBy: [], maxResults: keysPageSize, pageToken, viewType })
    for (const run of page.items) {
      for (const m of run.data.metrics) keys.metrics.add(m.key)
      for (const p of run.data.params) keys.params.add(p.key)
      for (const t of run.data.tags) keys.tags.add(t.key)
    }
    pageToken = page.nextPageToken
  } while (pageToken)
  const sorted = (s: Set<string>) => [...s].sort()
  return { metrics: sorted(keys.metrics), params: sorted(keys.params), tags: sorted(keys.tags) }
}

export async function sampleMetricHistory(store: TrackingStore, q: MetricSampleQuery): Promise<MetricSample> {
  if (hasTrackingViews(store)) return store.sampleMetricHistory(q)
  const steps: number[] = []
  const values: number[] = []
  let firstStep: number | undefined
  let lastStep: number | undefined
  let totalPoints = 0
  let pageToken: string | undefined
  do {
    const page = await store.getMetricHistory(q.runId, q.key, historyPageSize, pageToken)
    for (const m of page.items) {
      firstStep = firstStep === undefined ? m.step : Math.min(firstStep, m.step)
      lastStep = lastStep === undefined ? m.step : Math.max(lastStep, m.step)
      if ((q.minStep !== undefined && m.step < q.minStep) || (q.maxStep !== undefined && m.step > q.maxStep)) continue
      if (Number.isNaN(m.value)) continue
      totalPoints++
      steps.push(m.step)
      values.push(m.value)
    }
    pageToken = page.nextPageToken
  } while (pageToken)
  const thinned = decimateMinMax(steps, values, q.maxPoints)
  return { ...thinned, totalPoints, isSampled: steps.length > q.maxPoints, firstStep, lastStep }
}
