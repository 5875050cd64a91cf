import Papa from 'papaparse'
import { useEffect, useState } from 'preact/hooks'
import { parse as parseYaml } from 'yaml'
import type { FileInfo } from '../api/types.js'
import { artifacts } from '../api/wharf-api.js'
import { ErrorMessage, Loading } from '../components/states.js'
import { formatBytes } from '../format.js'
import { useAsync } from '../hooks.js'
import { DownloadButton } from '../components/download-button.js'
import { ModelSummary } from './model-summary.js'

const previewMaxBytes = 5 * 1024 * 1024
const csvMaxRows = 1000
const imageTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
}
const textExtensions = new Set([
  'txt',
  'log',
  'md',
  'py',
  'yaml',
  'yml',
  'toml',
  'cfg',
  'ini',
  'sh',
  'r',
  'sql',
  'xml',
  'html',
  'js',
  'ts',
  'ipynb',
  'out',
  'err',
  'conf',
  'properties',
  'lock',
])

const nameOf = (path: string) => path.split('/').pop() ?? path
const extensionOf = (path: string) => (/\.([^./]+)$/.exec(path)?.[1] ?? '').toLowerCase()

type Kind = 'mlmodel' | 'json' | 'csv' | 'tsv' | 'image' | 'text' | 'binary'

function kindOf(path: string): Kind {
  const name = nameOf(path)
  const ext = extensionOf(path)
  if (name === 'MLmodel') return 'mlmodel'
  if (ext === 'json') return 'json'
  if (ext === 'csv') return 'csv'
  if (ext === 'tsv') return 'tsv'
  if (ext in imageTypes) return 'image'
  if (textExtensions.has(ext) || ext === '' || name === 'requirements.txt') return 'text'
  return 'binary'
}

/** Shows a file: text, JSON, CSV as a table, images, the MLmodel with its signature. Never as HTML. */
export function ArtifactPreview({ root, file }: { root: string; file: FileInfo }) {
  const kind = kindOf(file.path)
  const isTooLarge = (file.file_size ?? 0) > previewMaxBytes
  return (
    <div class="artifact-preview">
      <div class="preview-head">
        <h3 class="mono">{file.path}</h3>
        <span class="muted">{formatBytes(file.file_size)}</span>
        <DownloadButton root={root} path={file.path} />
      </div>
      {isTooLarge || kind === 'binary' ? (
        <p class="muted">{isTooLarge ? 'Too large to preview here.' : 'No preview for this file type.'} Download it to open it.</p>
      ) : (
        <PreviewBody root={root} path={file.path} kind={kind} />
      )}
    </div>
  )
}

function PreviewBody({ root, path, kind }: { root: string; path: string; kind: Kind }) {
  const blob = useAsync((signal) => artifacts.blob(root, path, signal), [root, path])
  if (blob.error) return <ErrorMessage error={blob.error} />
  if (!blob.data) return <Loading what={nameOf(path)} />
  if (kind === 'image') return <ImagePreview blob={blob.data} type={imageTypes[extensionOf(path)]!} name={nameOf(path)} />
  return <TextPreview blob={blob.data} kind={kind} root={root} path={path} />
}

function ImagePreview({ blob, type, name }: { blob: Blob; type: string; name: string }) {
  const [url, setUrl] = useState<string>()
  useEffect(() => {
    // The proxy sends files as downloads; typed again here so <img> shows them (SVG in <img> runs no script).
    const u = URL.createObjectURL(new Blob([blob], { type }))
    setUrl(u)
    return () => URL.revokeObjectURL(u)
  }, [blob, type])
  return url ? <img class="image-preview" src={url} alt={name} /> : null
}

function TextPreview({ blob, kind, root, path }: { blob: Blob; kind: Kind; root: string; path: string }) {
  const text = useAsync(() => blob.text(), [blob])
  if (text.data === undefined) return <Loading what="text" />
  const content = text.data
  if (kind === 'json') {
    try {
      return <pre class="code">{JSON.stringify(JSON.parse(content), null, 2)}</pre>
    } catch {
      return <pre class="code">{content}</pre>
    }
  }
  if (kind === 'csv' || kind === 'tsv') return <CsvTable text={content} delimiter={kind === 'tsv' ? '\t' : ','} />
  if (kind === 'mlmodel') {
    let doc: unknown
    try {
      // The core schema only: no language-specific tags, nothing instantiated from the file.
      doc = parseYaml(content, { schema: 'core', logLevel: 'silent' })
    } catch {
      doc = undefined
    }
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
    return (
      <>
        {doc && typeof doc === 'object' ? (
          <ModelSummary mlmodel={doc as Record<string, unknown>} root={root} dir={dir} />
        ) : (
          <p class="muted">This MLmodel file is not valid YAML.</p>
        )}
        <details>
          <summary>MLmodel file</summary>
          <pre class="code">{content}</pre>
        </details>
      </>
    )
  }
  return <pre class="code">{content}</pre>
}

export function CsvTable({ text, delimiter }: { text: string; delimiter: string }) {
  const parsed = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: true, preview: csvMaxRows + 2 })
  const [header = [], ...rows] = parsed.data
  return (
    <div class="table-scroll csv-preview">
      <table class="list" aria-label="CSV preview">
        <thead>
          <tr>
            {header.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, csvMaxRows).map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > csvMaxRows && <p class="muted">First {csvMaxRows} rows shown; download the file for all of it.</p>}
    </div>
  )
}
