import { useState } from 'preact/hooks'
import type { FileInfo, Run } from '../api/types.js'
import { artifacts, proxyRootOf } from '../api/wharf-api.js'
import { Empty, ErrorMessage, Loading } from '../components/states.js'
import { formatBytes } from '../format.js'
import { useAsync } from '../hooks.js'
import { setQuery, useLocation } from '../router.js'
import { ArtifactPreview } from './artifact-preview.js'

const baseName = (path: string) => path.split('/').pop() ?? path

/** A run's artifacts: a folder tree loaded as folders open, and a preview of the chosen file. */
export function ArtifactBrowser({ run }: { run: Run }) {
  const { query } = useLocation()
  const selected = query.get('path') ?? ''
  const root = proxyRootOf(run.info.artifact_uri)
  const [files, setFiles] = useState<Record<string, FileInfo>>({})
  const remember = (list: FileInfo[]) => setFiles((f) => ({ ...f, ...Object.fromEntries(list.map((x) => [x.path, x])) }))
  if (root === undefined) {
    return (
      <Empty>
        This run stores its artifacts at <code>{run.info.artifact_uri}</code>, outside the server's artifact store, so they cannot be browsed here.
      </Empty>
    )
  }
  const file = files[selected]
  return (
    <div class="artifacts">
      <nav class="artifact-tree" aria-label="Artifacts">
        <Folder runId={run.info.run_id} path="" selected={selected} onListed={remember} isRoot />
      </nav>
      <div class="artifact-view">
        {file && !file.is_dir ? (
          <ArtifactPreview root={root} file={file} />
        ) : (
          <p class="muted">{selected ? 'Open a file in this folder.' : 'Choose a file to preview it.'}</p>
        )}
      </div>
    </div>
  )
}

function Folder(props: { runId: string; path: string; selected: string; onListed: (files: FileInfo[]) => void; isRoot?: boolean }) {
  const listing = useAsync(async () => {
    const files = (await artifacts.list(props.runId, props.path)).files ?? []
    props.onListed(files)
    return files
  }, [props.runId, props.path])
  if (listing.error) return <ErrorMessage error={listing.error} />
  if (!listing.data) return <Loading what="artifacts" />
  if (listing.data.length === 0) return props.isRoot ? <p class="muted">This run has no artifacts.</p> : <p class="muted">(empty)</p>
  const sorted = [...listing.data].sort((a, b) => Number(b.is_dir ?? false) - Number(a.is_dir ?? false) || a.path.localeCompare(b.path))
  return (
    <ul>
      {sorted.map((f) => (
        <Entry key={f.path} {...props} file={f} />
      ))}
    </ul>
  )
}

function Entry(props: { runId: string; file: FileInfo; selected: string; onListed: (files: FileInfo[]) => void }) {
  const { file, selected } = props
  const isOpenInitially = file.is_dir === true && selected.startsWith(`${file.path}/`)
  const [isOpen, setOpen] = useState(isOpenInitially)
  const isSelected = selected === file.path
  const choose = () => {
    if (file.is_dir) setOpen(!isOpen)
    setQuery({ path: file.path })
  }
  return (
    <li>
      <button
        type="button"
        class={`tree-entry${isSelected ? ' selected' : ''}`}
        onClick={choose}
        aria-expanded={file.is_dir ? isOpen : undefined}
        aria-current={isSelected ? 'true' : undefined}
      >
        <span aria-hidden="true" class="tree-mark">
          {file.is_dir ? (isOpen ? '▾' : '▸') : ''}
        </span>
        {baseName(file.path)}
        {file.is_dir ? '/' : ''}
        {!file.is_dir && <span class="muted size"> {formatBytes(file.file_size)}</span>}
      </button>
      {file.is_dir && isOpen && <Folder runId={props.runId} path={file.path} selected={selected} onListed={props.onListed} />}
    </li>
  )
}
