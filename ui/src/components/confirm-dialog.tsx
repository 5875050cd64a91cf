import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ErrorMessage } from './states.js'

/**
 * A modal question before a change (delete, move an alias, approve). The action runs from the
 * dialog; its error is shown in the dialog, which stays open so nothing is lost silently.
 */
export function ConfirmDialog(props: {
  title: string
  confirmLabel: string
  isDanger?: boolean
  onConfirm: () => Promise<unknown>
  onClose: (done: boolean) => void
  children?: ComponentChildren
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const [error, setError] = useState<Error>()
  const [isBusy, setBusy] = useState(false)
  useEffect(() => {
    ref.current?.showModal()
  }, [])
  const confirm = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await props.onConfirm()
      ref.current?.close()
      props.onClose(true)
    } catch (err) {
      setError(err as Error)
    } finally {
      setBusy(false)
    }
  }
  return (
    <dialog ref={ref} class="confirm-dialog" aria-labelledby="confirm-title" onClose={() => props.onClose(false)}>
      <form onSubmit={confirm}>
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        {error && <ErrorMessage error={error} />}
        <div class="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class={props.isDanger ? 'danger' : 'primary'} disabled={isBusy}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}
