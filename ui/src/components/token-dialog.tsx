import { useEffect, useRef, useState } from 'preact/hooks'
import { provideToken, tokenPrompt } from '../api/token.js'

/**
 * Asks for the server's token when the API answers 401, once for all waiting requests. The token
 * goes to sessionStorage only: it is sent as `Authorization: Bearer`, never in a URL.
 */
export function TokenDialog() {
  const [, setTick] = useState(0)
  const dialog = useRef<HTMLDialogElement>(null)
  const [value, setValue] = useState('')
  useEffect(() => tokenPrompt.subscribe(() => setTick((t) => t + 1)), [])
  useEffect(() => {
    const d = dialog.current
    if (!d) return
    if (tokenPrompt.isOpen && !d.open) d.showModal()
    if (!tokenPrompt.isOpen && d.open) d.close()
  })
  const submit = (e: Event) => {
    e.preventDefault()
    if (!value.trim()) return
    provideToken(value)
    setValue('')
  }
  return (
    <dialog ref={dialog} class="token-dialog" aria-labelledby="token-title" onCancel={(e) => e.preventDefault()}>
      <form onSubmit={submit}>
        <h2 id="token-title">This server needs a token</h2>
        <p>
          {tokenPrompt.wasRejected ? 'The server refused that token. ' : ''}
          Enter the token the server was started with (<code>WHARF_AUTH_TOKEN</code>). It is kept for this tab only.
        </p>
        <label>
          Token
          <input
            type="password"
            name="token"
            autocomplete="current-password"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            required
            autofocus
          />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Continue
          </button>
        </div>
      </form>
    </dialog>
  )
}
