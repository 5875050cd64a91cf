import { useState } from 'preact/hooks'
import { experiments } from '../api/wharf-api.js'
import type { Experiment } from '../api/types.js'
import { ConfirmDialog } from '../components/confirm-dialog.js'
import { PageHeader } from '../components/layout.js'
import { AsyncView } from '../components/states.js'
import { formatTime } from '../format.js'
import { useAsync } from '../hooks.js'
import { Link, navigate, setQuery, useLocation } from '../router.js'

/** MLflow's experiment filter for a name search: LIKE with the user's text as a literal. */
const nameFilter = (text: string) => (text.trim() ? `name ILIKE '%${text.trim().replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'` : undefined)

export function ExperimentsPage() {
  const { query } = useLocation()
  const search = query.get('q') ?? ''
  const [draft, setDraft] = useState(search)
  const list = useAsync(() => experiments.search(nameFilter(search)), [search])
  const [isCreating, setCreating] = useState(false)
  const [renaming, setRenaming] = useState<Experiment>()
  const [deleting, setDeleting] = useState<Experiment>()

  return (
    <section>
      <PageHeader title="Experiments">
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New experiment
        </button>
      </PageHeader>
      <search>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault()
            setQuery({ q: draft })
          }}
        >
          <label class="grow">
            <span class="visually-hidden">Search experiments by name</span>
            <input type="search" placeholder="Search by name" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      <AsyncView
        what="experiments"
        {...list}
        data={list.data?.experiments ?? (list.data ? [] : undefined)}
        isEmpty={(rows) => rows.length === 0}
        empty={search ? <>No experiment matches “{search}”.</> : <>No experiments yet. Create one, or log runs with the MLflow client.</>}
      >
        {(rows) => (
          <div class="table-scroll">
            <table class="list" aria-label="Experiments">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    ID
                  </th>
                  <th scope="col" class="hide-narrow">
                    Created
                  </th>
                  <th scope="col">Last updated</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.experiment_id}>
                    <td>
                      <Link href={`/experiments/${e.experiment_id}`}>{e.name}</Link>
                    </td>
                    <td class="num">{e.experiment_id}</td>
                    <td class="hide-narrow time">{formatTime(e.creation_time)}</td>
                    <td class="time">{formatTime(e.last_update_time)}</td>
                    <td class="row-actions">
                      <button type="button" class="small" onClick={() => setRenaming(e)} aria-label={`Rename ${e.name}`}>
                        Rename
                      </button>
                      <button type="button" class="small danger" onClick={() => setDeleting(e)} aria-label={`Delete ${e.name}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
      {isCreating && (
        <NameDialog
          title="New experiment"
          confirmLabel="Create"
          onClose={() => setCreating(false)}
          onSubmit={async (name) => navigate(`/experiments/${(await experiments.create(name)).experiment_id}`)}
        />
      )}
      {renaming && (
        <NameDialog
          title={`Rename “${renaming.name}”`}
          confirmLabel="Rename"
          initial={renaming.name}
          onClose={() => setRenaming(undefined)}
          onSubmit={async (name) => {
            await experiments.rename(renaming.experiment_id, name)
            list.reload()
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete"
          isDanger
          onConfirm={() => experiments.remove(deleting.experiment_id)}
          onClose={(done) => {
            setDeleting(undefined)
            if (done) list.reload()
          }}
        >
          <p>The experiment and its runs move to the deleted list (the MLflow client can restore them).</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function NameDialog(props: { title: string; confirmLabel: string; initial?: string; onSubmit: (name: string) => Promise<void>; onClose: () => void }) {
  const [name, setName] = useState(props.initial ?? '')
  return (
    <ConfirmDialog title={props.title} confirmLabel={props.confirmLabel} onConfirm={() => props.onSubmit(name)} onClose={props.onClose}>
      <label>
        Name
        <input type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} required autofocus />
      </label>
    </ConfirmDialog>
  )
}
