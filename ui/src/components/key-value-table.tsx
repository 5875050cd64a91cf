import type { ComponentChildren } from 'preact'

/** Two-column table (params, tags, outputs); values are shown as text, never as HTML. */
export function KeyValueTable({ rows, caption, empty }: { rows: [string, ComponentChildren][]; caption: string; empty?: string }) {
  if (rows.length === 0) return <p class="muted">{empty ?? `No ${caption.toLowerCase()}.`}</p>
  return (
    <div class="table-scroll">
      <table class="kv">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td class="value">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
