import type { Run } from '../api/types.js'
import { experiments, registry, runs } from '../api/wharf-api.js'
import { MetricPanel } from '../charts/metric-panel.js'
import { KeyValueTable } from '../components/key-value-table.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView, StatusBadge } from '../components/states.js'
import { Tabs } from '../components/tabs.js'
import { formatDuration, formatNumber, formatTime } from '../format.js'
import { useAsync, useInterval } from '../hooks.js'
import { Link, setQuery, useLocation } from '../router.js'
import { ArtifactBrowser } from './artifact-browser.js'

const tabs = [
  { id: 'overview', label: 'Overview' },
  { id: 'charts', label: 'Charts' },
  { id: 'artifacts', label: 'Artifacts' },
]

export function RunPage({ runId }: { runId: string }) {
  const { query } = useLocation()
  const tab = query.get('tab') ?? 'overview'
  const run = useAsync(() => runs.get(runId), [runId])
  const experiment = useAsync(async () => (run.data ? experiments.get(run.data.run.info.experiment_id) : undefined), [run.data?.run.info.experiment_id])
  // A running run keeps logging: refresh its numbers.
  useInterval(run.reload, run.data?.run.info.status === 'RUNNING' ? 5000 : undefined)
  const r = run.data?.run
  const experimentId = r?.info.experiment_id
  return (
    <section>
      <PageHeader
        title={r ? r.info.run_name || r.info.run_id : `Run ${runId}`}
        crumbs={[
          { href: '/experiments', label: 'Experiments' },
          ...(experimentId ? [{ href: `/experiments/${experimentId}`, label: experiment.data?.experiment.name ?? `Experiment ${experimentId}` }] : []),
        ]}
      >
        {r && <StatusBadge status={r.info.status} />}
      </PageHeader>
      <AsyncView what="run" {...run} data={r}>
        {(loaded) => (
          <Tabs label="Run views" tabs={tabs} selected={tab} onSelect={(id) => setQuery({ tab: id === 'overview' ? undefined : id, path: undefined })}>
            {tab === 'overview' && <Overview run={loaded} />}
            {tab === 'charts' && <RunCharts run={loaded} />}
            {tab === 'artifacts' && <ArtifactBrowser run={loaded} />}
          </Tabs>
        )}
      </AsyncView>
    </section>
  )
}

function Overview({ run }: { run: Run }) {
  const { info, data } = run
  const tags = data.tags ?? []
  const userTags = tags.filter((t) => !t.key.startsWith('mlflow.'))
  const systemTags = tags.filter((t) => t.key.startsWith('mlflow.'))
  const versions = useAsync(() => registry.versionsOfRun(info.run_id), [info.run_id])
  const metrics = [...(data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key))
  return (
    <div class="overview">
      <dl class="facts">
        <div>
          <dt>Run ID</dt>
          <dd class="mono">{info.run_id}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{info.status}</dd>
        </div>
        <div>
          <dt>User</dt>
          <dd>{info.user_id || '—'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(info.start_time)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(info.start_time && info.end_time ? info.end_time - info.start_time : undefined) || '—'}</dd>
        </div>
        <div>
          <dt>Artifacts</dt>
          <dd class="mono">{info.artifact_uri}</dd>
        </div>
      </dl>
      {(versions.data?.model_versions?.length ?? 0) > 0 && (
        <p class="lineage">
          Registered as{' '}
          {versions.data!.model_versions!.map((v, i) => (
            <span key={`${v.name}/${v.version}`}>
              {i > 0 && ', '}
              <Link href={`/models/${encodeURIComponent(v.name)}/versions/${v.version}`}>
                {v.name} v{v.version}
              </Link>
            </span>
          ))}
        </p>
      )}
      <div class="columns">
        <div>
          <h2>Metrics</h2>
          <KeyValueTable
            caption="Metrics"
            rows={metrics.map((m) => [
              m.key,
              <Link href={`?tab=charts&metric=${encodeURIComponent(m.key)}`} title={`Chart ${m.key}`}>
                {formatNumber(m.value)}
              </Link>,
            ])}
          />
        </div>
        <div>
          <h2>Parameters</h2>
          <KeyValueTable caption="Parameters" rows={(data.params ?? []).map((p) => [p.key, p.value])} />
        </div>
      </div>
      <h2>Tags</h2>
      <KeyValueTable caption="Tags" rows={userTags.map((t) => [t.key, t.value])} />
      {systemTags.length > 0 && (
        <details>
          <summary>System tags ({systemTags.length})</summary>
          <KeyValueTable caption="System tags" rows={systemTags.map((t) => [t.key, t.value])} />
        </details>
      )}
      {(run.inputs?.dataset_inputs?.length ?? 0) > 0 && (
        <>
          <h2>Datasets</h2>
          <KeyValueTable
            caption="Datasets"
            rows={run.inputs!.dataset_inputs!.map((d) => [
              d.dataset.name,
              `digest ${d.dataset.digest}${d.dataset.source_type ? ` · ${d.dataset.source_type}` : ''}`,
            ])}
          />
        </>
      )}
    </div>
  )
}

function RunCharts({ run }: { run: Run }) {
  const { query } = useLocation()
  const keys = [...new Set((run.data.metrics ?? []).map((m) => m.key))].sort()
  const chosen = (query.get('metric') ?? keys[0] ?? '').split(',').filter((k) => keys.includes(k))
  if (keys.length === 0) return <p class="muted">This run has logged no metrics.</p>
  const toggle = (key: string) => {
    const next = chosen.includes(key) ? chosen.filter((k) => k !== key) : [...chosen, key]
    setQuery({ metric: next.join(',') || undefined })
  }
  return (
    <div class="run-charts">
      <fieldset class="metric-picker">
        <legend>Metrics</legend>
        {keys.map((k) => (
          <label key={k}>
            <input type="checkbox" checked={chosen.includes(k)} onChange={() => toggle(k)} /> <span class="mono">{k}</span>
          </label>
        ))}
      </fieldset>
      {chosen.length === 0 ? (
        <p class="muted">Choose one or more metrics.</p>
      ) : (
        <MetricPanel title={`${chosen.join(', ')} over steps`} requests={chosen.map((key) => ({ runId: run.info.run_id, key, label: key }))} />
      )}
    </div>
  )
}
