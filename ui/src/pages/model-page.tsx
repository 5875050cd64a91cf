import { useState } from 'preact/hooks'
import type { ModelVersion, RegisteredModel } from '../api/types.js'
import { registry } from '../api/wharf-api.js'
import { ConfirmDialog } from '../components/confirm-dialog.js'
import { KeyValueTable } from '../components/key-value-table.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView, StatusBadge } from '../components/states.js'
import { formatTime } from '../format.js'
import { useAsync } from '../hooks.js'
import { Link } from '../router.js'
import { EventLog } from './event-log.js'

const modelHref = (name: string) => `/models/${encodeURIComponent(name)}`

/** A registered model: its aliases (set, move, delete), its versions, and its event log. */
export function ModelPage({ name }: { name: string }) {
  const model = useAsync(() => registry.get(name), [name])
  const versions = useAsync(() => registry.versions(name), [name])
  const [events, setEvents] = useState(0)
  const changed = () => {
    model.reload()
    versions.reload()
    setEvents((n) => n + 1)
  }
  return (
    <section>
      <PageHeader title={name} crumbs={[{ href: '/models', label: 'Models' }]} />
      <AsyncView what="model" {...model} data={model.data?.registered_model}>
        {(m) => (
          <>
            {m.description && <p class="description">{m.description}</p>}
            <Aliases model={m} versions={versions.data?.model_versions ?? []} onChanged={changed} />
          </>
        )}
      </AsyncView>
      <h2>Versions</h2>
      <AsyncView
        what="versions"
        {...versions}
        data={versions.data?.model_versions ?? (versions.data ? [] : undefined)}
        isEmpty={(v) => v.length === 0}
        empty="No versions yet."
      >
        {(list) => <VersionTable versions={list} />}
      </AsyncView>
      <h2>Event log</h2>
      <EventLog model={name} refreshKey={events} />
    </section>
  )
}

function VersionTable({ versions }: { versions: ModelVersion[] }) {
  return (
    <div class="table-scroll">
      <table class="list" aria-label="Model versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Aliases</th>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col" class="hide-narrow">
              Created
            </th>
            <th scope="col" class="hide-narrow">
              Tags
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                <Link href={`${modelHref(v.name)}/versions/${v.version}`}>v{v.version}</Link>
              </td>
              <td class="aliases">
                {(v.aliases ?? []).map((a) => (
                  <span key={a} class="alias">
                    @{a}
                  </span>
                ))}
              </td>
              <td>{v.current_stage ?? ''}</td>
              <td>{v.status && <StatusBadge status={v.status} />}</td>
              <td>
                {v.run_id ? (
                  <Link href={`/runs/${v.run_id}`} class="mono">
                    {v.run_id.slice(0, 8)}
                  </Link>
                ) : (
                  '—'
                )}
              </td>
              <td class="hide-narrow time">{formatTime(v.creation_timestamp)}</td>
              <td class="hide-narrow">{(v.tags ?? []).map((t) => `${t.key}=${t.value}`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Sets, moves and deletes aliases through the same API the CLI (`wharf models alias`) uses. */
function Aliases({ model, versions, onChanged }: { model: RegisteredModel; versions: ModelVersion[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<{ alias: string; version: string; isNew: boolean }>()
  const [deleting, setDeleting] = useState<string>()
  const aliases = model.aliases ?? []
  const newest = versions[0]?.version ?? ''
  return (
    <div class="aliases-panel">
      <h2>Aliases</h2>
      {aliases.length === 0 ? (
        <p class="muted">No aliases. An alias (such as production) names the version clients and deployments follow.</p>
      ) : (
        <ul class="alias-list">
          {aliases.map((a) => (
            <li key={a.alias} data-alias={a.alias}>
              <span class="alias">@{a.alias}</span> → <Link href={`${modelHref(model.name)}/versions/${a.version}`}>v{a.version}</Link>{' '}
              <button
                type="button"
                class="small"
                onClick={() => setEditing({ alias: a.alias, version: a.version, isNew: false })}
                aria-label={`Move alias ${a.alias}`}
              >
                Move
              </button>{' '}
              <button type="button" class="small danger" onClick={() => setDeleting(a.alias)} aria-label={`Delete alias ${a.alias}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => setEditing({ alias: '', version: newest, isNew: true })} disabled={versions.length === 0}>
        Set an alias
      </button>
      {editing && (
        <ConfirmDialog
          title={editing.isNew ? 'Set an alias' : `Move @${editing.alias}`}
          confirmLabel={editing.isNew ? 'Set alias' : 'Move alias'}
          onConfirm={() => registry.setAlias(model.name, editing.alias.trim(), editing.version)}
          onClose={(done) => {
            setEditing(undefined)
            if (done) onChanged()
          }}
        >
          <label>
            Alias
            <input
              type="text"
              value={editing.alias}
              readOnly={!editing.isNew}
              required
              onInput={(e) => setEditing({ ...editing, alias: e.currentTarget.value })}
              autofocus={editing.isNew}
            />
          </label>
          <label>
            Version
            <select value={editing.version} onChange={(e) => setEditing({ ...editing, version: e.currentTarget.value })}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                  {(v.aliases ?? []).length ? ` (@${v.aliases!.join(', @')})` : ''}
                </option>
              ))}
            </select>
          </label>
          <p class="muted">Deployments that follow this alias switch to the version chosen.</p>
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete @${deleting}?`}
          confirmLabel="Delete alias"
          isDanger
          onConfirm={() => registry.deleteAlias(model.name, deleting)}
          onClose={(done) => {
            setDeleting(undefined)
            if (done) onChanged()
          }}
        >
          <p>The versions stay; only the name @{deleting} goes.</p>
        </ConfirmDialog>
      )}
    </div>
  )
}

/** One version: where it came from (the run, lineage) and what it carries. */
export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const v = useAsync(() => registry.version(name, version), [name, version])
  return (
    <section>
      <PageHeader
        title={`${name} v${version}`}
        crumbs={[
          { href: '/models', label: 'Models' },
          { href: modelHref(name), label: name },
        ]}
      />
      <AsyncView what="model version" {...v} data={v.data?.model_version}>
        {(mv) => (
          <>
            <dl class="facts">
              <div>
                <dt>Aliases</dt>
                <dd>{(mv.aliases ?? []).map((a) => `@${a}`).join(' ') || '—'}</dd>
              </div>
              <div>
                <dt>Stage</dt>
                <dd>{mv.current_stage ?? '—'}</dd>
              </div>
              <div>
                <dt>Status</dt>
                <dd>{mv.status ?? '—'}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{formatTime(mv.creation_timestamp)}</dd>
              </div>
              <div>
                <dt>Source</dt>
                <dd class="mono">{mv.source}</dd>
              </div>
              <div>
                <dt>Produced by run</dt>
                <dd>
                  {mv.run_id ? (
                    <Link href={`/runs/${mv.run_id}`} class="mono lineage-run">
                      {mv.run_id}
                    </Link>
                  ) : (
                    'none (registered from a path)'
                  )}
                </dd>
              </div>
              {mv.run_id && (
                <div>
                  <dt>Model files</dt>
                  <dd>
                    <Link href={`/runs/${mv.run_id}?tab=artifacts`}>browse the run’s artifacts</Link>
                  </dd>
                </div>
              )}
            </dl>
            {mv.description && <p class="description">{mv.description}</p>}
            <h2>Tags</h2>
            <KeyValueTable caption="Version tags" rows={(mv.tags ?? []).map((t) => [t.key, t.value])} />
          </>
        )}
      </AsyncView>
    </section>
  )
}
