import { ApiError } from '../api/http.js'
import type { Endpoint, InstanceTraffic } from '../api/types.js'
import { deployments } from '../api/wharf-api.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView, Empty, ErrorMessage, StatusBadge } from '../components/states.js'
import { formatRelative, formatTime } from '../format.js'
import { useAsync, useInterval } from '../hooks.js'
import { Link } from '../router.js'

const refreshMs = 2000

const isNotEnabled = (e: Error | undefined) => e instanceof ApiError && e.code === 'ENDPOINT_NOT_FOUND'

/**
 * What runs where: each environment's endpoints with their live version, traffic split and shadow,
 * instance health, live request rate and latency, and the history of changes. Refreshes itself.
 */
export function DeploymentsPage() {
  const environments = useAsync(() => deployments.environments(), [])
  const endpoints = useAsync(() => deployments.list(), [])
  const live = useAsync(() => deployments.liveMetrics(), [], { keepData: true })
  const history = useAsync(() => deployments.history(), [])
  useInterval(() => {
    endpoints.reload()
    live.reload()
    history.reload()
  }, refreshMs)

  if (isNotEnabled(environments.error)) {
    return (
      <section>
        <PageHeader title="Deployments" />
        <Empty>This server runs no deployment control plane (it needs a SQLite backend store).</Empty>
      </section>
    )
  }
  const trafficOf = (e: Endpoint) => live.data?.endpoints.find((x) => x.environment === e.environment && x.model_name === e.model_name)?.instances ?? []
  return (
    <section>
      <PageHeader title="Deployments" />
      {environments.error && <ErrorMessage error={environments.error} />}
      <AsyncView what="deployments" {...endpoints} data={endpoints.data?.endpoints}>
        {(list) => (
          <div class="environments">
            {(environments.data?.environments ?? []).map((env) => {
              const here = list.filter((e) => e.environment === env.name)
              return (
                <section key={env.name} class="environment" aria-labelledby={`env-${env.name}`}>
                  <h2 id={`env-${env.name}`}>
                    {env.name} <span class="muted">({env.target})</span>
                  </h2>
                  {here.length === 0 ? (
                    <p class="muted">Nothing deployed here.</p>
                  ) : (
                    here.map((e) => <EndpointCard key={e.model_name} endpoint={e} traffic={trafficOf(e)} />)
                  )}
                </section>
              )
            })}
          </div>
        )}
      </AsyncView>
      <h2>History</h2>
      <AsyncView what="deployment history" {...history} data={history.data?.changes} isEmpty={(c) => c.length === 0} empty="No deployment changes yet.">
        {(changes) => (
          <div class="table-scroll">
            <table class="list" aria-label="Deployment history">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Model</th>
                  <th scope="col">Version</th>
                  <th scope="col">Actor</th>
                </tr>
              </thead>
              <tbody>
                {changes.map((c) => (
                  <tr key={c.change_id}>
                    <td class="time">{formatTime(c.time)}</td>
                    <td>{c.action}</td>
                    <td>{c.environment}</td>
                    <td>{c.model_name}</td>
                    <td>
                      {c.from_version ? `v${c.from_version} → ` : ''}
                      {c.to_version ? `v${c.to_version}` : '—'}
                    </td>
                    <td>{c.actor}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
    </section>
  )
}

const rate = (t: InstanceTraffic | undefined) => (t?.requests_per_second == null ? '—' : `${t.requests_per_second.toFixed(1)}/s`)
const ms = (v: number | null | undefined) => (v == null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`)

function EndpointCard({ endpoint: e, traffic }: { endpoint: Endpoint; traffic: InstanceTraffic[] }) {
  const weights = Object.entries(e.traffic.weights).filter(([, w]) => w > 0)
  const total = weights.reduce((n, [, w]) => n + w, 0) || 1
  const modelHref = `/models/${encodeURIComponent(e.model_name)}`
  return (
    <article class="endpoint card" data-endpoint={`${e.environment}/${e.model_name}`}>
      <header>
        <h3>
          <Link href={modelHref}>{e.model_name}</Link>{' '}
          {e.live_version && (
            <>
              live{' '}
              <Link href={`${modelHref}/versions/${e.live_version}`} class="live-version">
                v{e.live_version}
              </Link>
            </>
          )}
        </h3>
        <StatusBadge status={e.health} />
      </header>
      <p class="muted">
        {e.url ? <span class="mono">{e.url}</span> : 'no URL'} · {e.target}
        {e.since ? ` · live since ${formatTime(e.since)} (${formatRelative(e.since)})` : ''}
      </p>
      <div class="traffic">
        <h4 class="visually-hidden">Traffic split</h4>
        <div class="traffic-bar">
          {weights.map(([version, w], i) => (
            <span key={version} class={`segment segment-${i % 4}`} style={{ width: `${(w / total) * 100}%` }} title={`v${version}: ${w}%`}>
              v{version} {w}%
            </span>
          ))}
        </div>
        {e.traffic.shadow && (
          <p class="shadow">
            Shadow: v{e.traffic.shadow.version} gets a copy of {e.traffic.shadow.percent}% of requests (answers not returned to clients).
          </p>
        )}
      </div>
      <div class="table-scroll">
        <table class="list instances" aria-label={`Instances of ${e.model_name} in ${e.environment}`}>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Role</th>
              <th scope="col" class="num">
                Weight
              </th>
              <th scope="col">Health</th>
              <th scope="col" class="num">
                Requests
              </th>
              <th scope="col" class="num">
                p50
              </th>
              <th scope="col" class="num">
                p99
              </th>
              <th scope="col" class="num hide-narrow">
                Restarts
              </th>
              <th scope="col" class="hide-narrow">
                Process
              </th>
              <th scope="col" class="hide-narrow">
                Started
              </th>
            </tr>
          </thead>
          <tbody>
            {e.instances.map((i) => {
              const t = traffic.find((x) => x.version === i.version && x.url === i.url)
              return (
                <tr key={`${i.version}-${i.port}`} data-version={i.version}>
                  <td>
                    <Link href={`${modelHref}/versions/${i.version}`}>v{i.version}</Link>
                  </td>
                  <td>
                    <StatusBadge status={i.role} />
                  </td>
                  <td class="num">{i.weight}%</td>
                  <td>
                    <StatusBadge status={i.health} />
                  </td>
                  <td class="num live-rate" title={t?.error ?? undefined}>
                    {t?.error ? '?' : rate(t)}
                  </td>
                  <td class="num live-p50">{ms(t?.p50_ms)}</td>
                  <td class="num live-p99">{ms(t?.p99_ms)}</td>
                  <td class="num hide-narrow">{i.restarts}</td>
                  <td class="mono hide-narrow">{i.pid ? `pid ${i.pid}` : (i.container_name ?? '—')}</td>
                  <td class="hide-narrow">{formatRelative(i.start_time)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </article>
  )
}
