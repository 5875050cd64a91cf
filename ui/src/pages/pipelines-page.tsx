import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api/http.js'
import type { LogLine, PipelineRun, PipelineStep } from '../api/types.js'
import { pipelines } from '../api/wharf-api.js'
import { ConfirmDialog } from '../components/confirm-dialog.js'
import { KeyValueTable } from '../components/key-value-table.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView, Empty, ErrorMessage, StatusBadge } from '../components/states.js'
import { formatDuration, formatTime } from '../format.js'
import { useAsync, useInterval } from '../hooks.js'
import { Link, setQuery, useLocation } from '../router.js'

const refreshMs = 2000
const isActive = (r: PipelineRun) => r.status === 'running' || r.steps.some((s) => s.status === 'waiting' || s.status === 'running')
const waitingSteps = (r: PipelineRun) => r.steps.filter((s) => s.status === 'waiting')

export function PipelinesPage() {
  // The list has no stages or steps: those of runs still going are fetched, to show what waits.
  const list = useAsync(async (signal) => {
    const { runs } = await pipelines.list()
    return { runs: await Promise.all(runs.map((r) => (r.status === 'running' ? pipelines.get(r.run_id, signal).then((x) => x.run) : r))) }
  }, [])
  useInterval(list.reload, list.data?.runs.some(isActive) ? refreshMs : 10_000)
  if (list.error instanceof ApiError && list.error.code === 'ENDPOINT_NOT_FOUND') {
    return (
      <section>
        <PageHeader title="Pipelines" />
        <Empty>This server records no pipeline runs (it needs a SQLite backend store).</Empty>
      </section>
    )
  }
  return (
    <section>
      <PageHeader title="Pipelines" />
      <AsyncView
        what="pipeline runs"
        {...list}
        data={list.data?.runs}
        isEmpty={(r) => r.length === 0}
        empty={
          <>
            No pipeline runs yet. Start one with <code>wharf pipeline run wharf.yaml</code>.
          </>
        }
      >
        {(runs) => (
          <div class="table-scroll">
            <table class="list" aria-label="Pipeline runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Pipeline</th>
                  <th scope="col">Status</th>
                  <th scope="col">Stages</th>
                  <th scope="col" class="hide-narrow">
                    Started
                  </th>
                  <th scope="col" class="num hide-narrow">
                    Duration
                  </th>
                  <th scope="col" class="hide-narrow">
                    By
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.run_id} data-run={r.run_id}>
                    <td>
                      <Link href={`/pipelines/runs/${r.run_id}`} class="mono">
                        {r.run_id}
                      </Link>
                    </td>
                    <td>{r.pipeline}</td>
                    <td>
                      <StatusBadge status={r.status} />
                      {waitingSteps(r).length > 0 && <span class="badge badge-warn">waiting for approval</span>}
                    </td>
                    <td>
                      {r.stages.length === 0 ? (
                        <span class="muted">—</span>
                      ) : (
                        <span class="stage-dots" role="img" aria-label={r.stages.map((s) => `${s.stage} ${s.status}`).join(', ')}>
                          {r.stages.map((s) => (
                            <span key={s.stage} class={`dot dot-${s.status}`} title={`${s.stage}: ${s.status}`} />
                          ))}
                        </span>
                      )}
                    </td>
                    <td class="hide-narrow time">{formatTime(r.start_time)}</td>
                    <td class="num hide-narrow">{formatDuration((r.end_time ?? Date.now()) - r.start_time)}</td>
                    <td class="hide-narrow">{r.actor}</td>
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

/** One pipeline run: the stage timeline, its steps, approval of a waiting gate, and the logs. */
export function PipelineRunPage({ runId }: { runId: string }) {
  const run = useAsync(() => pipelines.get(runId), [runId])
  const r = run.data?.run
  useInterval(run.reload, r && isActive(r) ? refreshMs : undefined)
  return (
    <section>
      <PageHeader title={r ? `${r.pipeline} · ${runId}` : `Pipeline run ${runId}`} crumbs={[{ href: '/pipelines', label: 'Pipelines' }]}>
        {r && <StatusBadge status={r.status} />}
      </PageHeader>
      <AsyncView what="pipeline run" {...run} data={r}>
        {(loaded) => (
          <>
            {loaded.error && <ErrorMessage error={new Error(loaded.error)} />}
            {waitingSteps(loaded).map((s) => (
              <Approval key={s.step} run={loaded} step={s} onDecided={run.reload} />
            ))}
            <h2>Timeline</h2>
            <Timeline run={loaded} />
            <h2>Steps</h2>
            <StepTable run={loaded} />
            <h2>Logs</h2>
            <Logs run={loaded} />
          </>
        )}
      </AsyncView>
    </section>
  )
}

function Approval({ run, step, onDecided }: { run: PipelineRun; step: PipelineStep; onDecided: () => void }) {
  const [decision, setDecision] = useState<'approved' | 'rejected'>()
  const [comment, setComment] = useState('')
  return (
    <section class="approval card" aria-label={`Approval for ${step.step}`}>
      <p>
        <strong>{step.step}</strong> ({step.stage}) is waiting for a person’s decision.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={() => setDecision('approved')}>
          Approve
        </button>
        <button type="button" class="danger" onClick={() => setDecision('rejected')}>
          Reject
        </button>
      </div>
      {decision && (
        <ConfirmDialog
          title={`${decision === 'approved' ? 'Approve' : 'Reject'} ${step.step}?`}
          confirmLabel={decision === 'approved' ? 'Approve' : 'Reject'}
          isDanger={decision === 'rejected'}
          onConfirm={() => pipelines.decide(run.run_id, step.step, decision, comment)}
          onClose={(done) => {
            setDecision(undefined)
            if (done) onDecided()
          }}
        >
          <p>
            {decision === 'approved' ? 'The pipeline goes on to its next stages.' : 'The gate fails and the pipeline stops.'} The decision is recorded with your
            identity.
          </p>
          <label>
            Comment (optional)
            <input type="text" value={comment} maxLength={4096} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
        </ConfirmDialog>
      )}
    </section>
  )
}

/** Stages as bars on one time axis, so where the time went and where it stopped show at a glance. */
function Timeline({ run }: { run: PipelineRun }) {
  const now = Date.now()
  const start = run.start_time
  const end = Math.max(run.end_time ?? now, ...run.stages.map((s) => s.end_time ?? (s.start_time ? now : 0)))
  const span = Math.max(1, end - start)
  return (
    <ol class="timeline" aria-label="Stage timeline">
      {[...run.stages]
        .sort((a, b) => a.position - b.position)
        .map((s) => {
          const from = s.start_time ?? start
          const to = s.end_time ?? (s.start_time ? now : from)
          return (
            <li key={s.stage} class="timeline-row" data-stage={s.stage} data-status={s.status}>
              <span class="timeline-label">{s.stage}</span>
              <span class="timeline-track">
                <span
                  class={`timeline-bar bar-${s.status}`}
                  style={{ marginLeft: `${((from - start) / span) * 100}%`, width: `${Math.max(0.5, ((to - from) / span) * 100)}%` }}
                />
              </span>
              <span class="timeline-meta">
                <StatusBadge status={s.status} /> {s.start_time ? formatDuration(to - from) : ''}
              </span>
            </li>
          )
        })}
    </ol>
  )
}

function StepTable({ run }: { run: PipelineRun }) {
  const steps = [...run.steps].sort((a, b) => a.position - b.position)
  return (
    <div class="table-scroll">
      <table class="list" aria-label="Steps">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Step</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Outputs / error</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.step} data-step={s.step}>
              <td>{s.stage}</td>
              <td>
                <button type="button" class="link" onClick={() => setQuery({ step: s.step })}>
                  {s.step}
                </button>
              </td>
              <td>{s.kind}</td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td class="num">{s.attempts}</td>
              <td class="num">{s.start_time ? formatDuration((s.end_time ?? Date.now()) - s.start_time) : ''}</td>
              <td>
                {s.error ? (
                  <span class="error-text">{s.error}</span>
                ) : (
                  Object.keys(s.outputs).length > 0 && (
                    <details>
                      <summary>{Object.keys(s.outputs).length} outputs</summary>
                      <KeyValueTable caption="Outputs" rows={Object.entries(s.outputs)} />
                    </details>
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The run's log lines as stored (secrets were masked by the runner before they were sent). */
function Logs({ run }: { run: PipelineRun }) {
  const { query } = useLocation()
  const step = query.get('step') ?? ''
  const [lines, setLines] = useState<LogLine[]>([])
  const [error, setError] = useState<Error>()
  const after = useRef<number | undefined>(undefined)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    setLines([])
    after.current = undefined
  }, [run.run_id])
  useEffect(() => {
    let isCancelled = false
    const load = async () => {
      for (;;) {
        const page = await pipelines.logs(run.run_id, after.current)
        if (isCancelled) return
        if (page.lines.length) {
          after.current = page.lines[page.lines.length - 1]!.log_id
          setLines((l) => l.concat(page.lines))
        }
        if (page.next_after === undefined) return
      }
    }
    load().catch((e: Error) => isCancelled || setError(e))
    return () => {
      isCancelled = true
    }
  }, [run.run_id, tick])
  useInterval(() => setTick((t) => t + 1), isActive(run) ? refreshMs : undefined)
  const shown = step ? lines.filter((l) => l.step === step) : lines
  const steps = [...new Set(lines.map((l) => l.step))]
  return (
    <div class="logs">
      <label class="inline">
        Step{' '}
        <select value={step} onChange={(e) => setQuery({ step: e.currentTarget.value || undefined })}>
          <option value="">all steps</option>
          {steps.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {error && <ErrorMessage error={error} />}
      {shown.length === 0 ? (
        <p class="muted">No log lines{step ? ` for ${step}` : ''} yet.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take keyboard focus to scroll (WCAG 2.1.1)
        <pre class="log" tabIndex={0}>
          {shown.map((l) => (
            <span key={l.log_id} class="log-line">
              <span class="log-meta">
                {new Date(l.time).toISOString().slice(11, 23)} {l.step}
              </span>{' '}
              {l.line}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
    </div>
  )
}
