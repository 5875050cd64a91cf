import { useState } from 'preact/hooks'
import { artifacts } from '../api/wharf-api.js'
import { ErrorMessage } from './states.js'

const nameOf = (path: string) => path.split('/').pop() ?? path

/** Saves a Blob under a name, through a temporary object URL (the token never enters a URL). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function DownloadButton({ root, path }: { root: string; path: string }) {
  const [error, setError] = useState<Error>()
  const [isBusy, setBusy] = useState(false)
  return (
    <>
      <button
        type="button"
        disabled={isBusy}
        onClick={async () => {
          setBusy(true)
          setError(undefined)
          try {
            saveBlob(await artifacts.blob(root, path), nameOf(path))
          } catch (err) {
            setError(err as Error)
          } finally {
            setBusy(false)
          }
        }}
      >
        Download {nameOf(path)}
      </button>
      {error && <ErrorMessage error={error} />}
    </>
  )
}
