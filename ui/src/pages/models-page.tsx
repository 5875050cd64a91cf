import { useState } from 'preact/hooks'
import { registry } from '../api/wharf-api.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView } from '../components/states.js'
import { formatTime } from '../format.js'
import { useAsync } from '../hooks.js'
import { Link, setQuery, useLocation } from '../router.js'
import { EventLog } from './event-log.js'

export function ModelsPage() {
  const { query } = useLocation()
  const search = query.get('q') ?? ''
  const [draft, setDraft] = useState(search)
  const filter = search.trim() ? `name ILIKE '%${search.trim().replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'` : undefined
  const models = useAsync(() => registry.search(filter), [filter])
  return (
    <section>
      <PageHeader title="Models" />
      <search>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault()
            setQuery({ q: draft })
          }}
        >
          <label class="grow">
            <span class="visually-hidden">Search models by name</span>
            <input type="search" placeholder="Search by name" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      <AsyncView
        what="registered models"
        {...models}
        data={models.data?.registered_models ?? (models.data ? [] : undefined)}
        isEmpty={(m) => m.length === 0}
        empty={
          search ? (
            <>No model matches “{search}”.</>
          ) : (
            <>
              No registered models yet. Register one with <code>wharf train --register NAME</code> or the MLflow client.
            </>
          )
        }
      >
        {(list) => (
          <div class="table-scroll">
            <table class="list" aria-label="Registered models">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Latest version</th>
                  <th scope="col">Aliases</th>
                  <th scope="col" class="hide-narrow">
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((m) => {
                  const latest = [...(m.latest_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version))[0]
                  return (
                    <tr key={m.name}>
                      <td>
                        <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                      </td>
                      <td>{latest ? <Link href={`/models/${encodeURIComponent(m.name)}/versions/${latest.version}`}>v{latest.version}</Link> : '—'}</td>
                      <td>
                        {(m.aliases ?? []).map((a) => (
                          <span key={a.alias} class="alias">
                            @{a.alias} → v{a.version}
                          </span>
                        ))}
                      </td>
                      <td class="hide-narrow time">{formatTime(m.last_updated_timestamp)}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
      <h2>Recent registry events</h2>
      <EventLog model={undefined} />
    </section>
  )
}
