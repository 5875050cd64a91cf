import { DownloadButton } from '../components/download-button.js'

interface ColumnSpec {
  name?: string
  type?: string
  required?: boolean
  /** MLflow writes `tensor-spec`. */
  'tensor-spec'?: { dtype?: string; shape?: number[] }
  shape?: number[]
}

/** A signature field is a JSON string inside the YAML (MLflow's format); a bad one shows as text. */
function parseSpec(value: unknown): ColumnSpec[] | string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') return Array.isArray(value) ? (value as ColumnSpec[]) : String(value)
  try {
    const parsed = JSON.parse(value) as unknown
    return Array.isArray(parsed) ? (parsed as ColumnSpec[]) : value
  } catch {
    return value
  }
}

function SpecTable({ title, spec }: { title: string; spec: ColumnSpec[] | string | undefined }) {
  if (spec === undefined) return null
  if (typeof spec === 'string') {
    return (
      <>
        <h4>{title}</h4>
        <pre class="code">{spec}</pre>
      </>
    )
  }
  return (
    <div class="table-scroll">
      <table class="list signature" aria-label={`Signature ${title.toLowerCase()}`}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Shape</th>
            <th scope="col">Required</th>
          </tr>
        </thead>
        <tbody>
          {spec.map((c, i) => (
            <tr key={i}>
              <td class="mono">{c.name ?? `(${i})`}</td>
              <td class="mono">{c.type === 'tensor' ? `tensor ${c['tensor-spec']?.dtype ?? ''}` : (c.type ?? '')}</td>
              <td class="mono">{(c['tensor-spec']?.shape ?? c.shape)?.join(' × ') ?? ''}</td>
              <td>{c.required === false ? 'no' : 'yes'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** What an MLmodel file says: flavors, signature (inputs, outputs, params), input example. */
export function ModelSummary({ mlmodel, root, dir }: { mlmodel: Record<string, unknown>; root: string; dir: string }) {
  const flavors = (mlmodel.flavors ?? {}) as Record<string, Record<string, unknown>>
  const signature = (mlmodel.signature ?? {}) as Record<string, unknown>
  const example = mlmodel.saved_input_example_info as { artifact_path?: string } | undefined
  const facts: [string, unknown][] = [
    ['Created', mlmodel.utc_time_created],
    ['MLflow version', mlmodel.mlflow_version],
    ['Model UUID', mlmodel.model_uuid],
    ['Run', mlmodel.run_id],
  ]
  return (
    <div class="model-summary">
      <h4>Flavors</h4>
      <ul class="flavors">
        {Object.entries(flavors).map(([name, f]) => (
          <li key={name}>
            <strong class="mono">{name}</strong>
            {Object.entries(f)
              .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
              .map(([k, v]) => (
                <span key={k} class="muted">
                  {' '}
                  · {k}: <span class="mono">{String(v)}</span>
                </span>
              ))}
          </li>
        ))}
      </ul>
      <dl class="facts">
        {facts
          .filter(([, v]) => v !== undefined && v !== null)
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd class="mono">{String(v)}</dd>
            </div>
          ))}
      </dl>
      {Object.keys(signature).length === 0 ? (
        <p class="muted">This model has no signature.</p>
      ) : (
        <>
          <SpecTable title="Inputs" spec={parseSpec(signature.inputs)} />
          <SpecTable title="Outputs" spec={parseSpec(signature.outputs)} />
          <SpecTable title="Params" spec={parseSpec(signature.params)} />
        </>
      )}
      {example?.artifact_path && (
        <p>
          Input example: <DownloadButton root={root} path={dir ? `${dir}/${example.artifact_path}` : example.artifact_path} />
        </p>
      )}
    </div>
  )
}
