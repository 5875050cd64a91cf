import { registry } from '../api/wharf-api.js'
import { AsyncView } from '../components/states.js'
import { formatTime } from '../format.js'
import { useAsync } from '../hooks.js'
import { Link } from '../router.js'

/** The registry's event log (who changed what, when), newest first; one model's or all. */
export function EventLog({ model, refreshKey }: { model: string | undefined; refreshKey?: number }) {
  const events = useAsync(() => registry.events(model), [model, refreshKey], { keepData: true })
  return (
    <AsyncView what="registry events" {...events} isEmpty={(e) => e.length === 0} empty="No registry events yet.">
      {(list) => (
        <div class="table-scroll">
          <table class="list events" aria-label="Registry events">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                {model === undefined && <th scope="col">Model</th>}
                <th scope="col">Version</th>
                <th scope="col">Alias</th>
                <th scope="col">Actor</th>
                <th scope="col" class="hide-narrow">
                  Details
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.event_id}>
                  <td class="time">{formatTime(e.time)}</td>
                  <td class="mono">{e.event}</td>
                  {model === undefined && (
                    <td>
                      <Link href={`/models/${encodeURIComponent(e.model)}`}>{e.model}</Link>
                    </td>
                  )}
                  <td>{e.version ? `v${e.version}` : ''}</td>
                  <td>{e.alias ? `@${e.alias}` : ''}</td>
                  <td>{e.actor}</td>
                  <td class="hide-narrow mono small-text details" title={e.data ? JSON.stringify(e.data) : undefined}>
                    {e.data && Object.keys(e.data).length ? JSON.stringify(e.data) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AsyncView>
  )
}
