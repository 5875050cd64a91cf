import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ContainerRuntime, runContainerCommand } from './container-cli.js'

export interface RegistryCredentials {
  readonly username: string
  readonly password: string
}

/** The registry host of an image reference (`myacr.azurecr.io/ml/fraud:3` → `myacr.azurecr.io`). */
export function registryHostOf(reference: string): string {
  const first = reference.split('/')[0]!
  if (!reference.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw new Error(`'${reference}' names no registry; push to HOST[:PORT]/NAME:TAG, e.g. myacr.azurecr.io/fraud:3`)
  }
  return first
}

/**
 * Pushes a local image to a registry under `destination` (`podman push SRC DEST`, or `docker tag` +
 * `docker push`). With credentials it logs in first with the password on stdin, into a throwaway
 * auth file for podman (nothing written to the user's login, nothing in `ps`); without, the
 * runtime's own login is used. Registry CAs come from the runtime's usual place
 * (/etc/containers/certs.d/HOST:PORT/ca.crt for podman).
 */
export async function pushImage(runtime: ContainerRuntime, source: string, destination: string, credentials?: RegistryCredentials): Promise<void> {
  const host = registryHostOf(destination)
  if (runtime === 'docker') {
    if (credentials)
      await runContainerCommand('docker', ['login', '--username', credentials.username, '--password-stdin', host], {
        input: `${credentials.password}\n`,
        timeoutMs: 60_000,
      })
    if (source !== destination) await runContainerCommand('docker', ['tag', source, destination], { timeoutMs: 60_000 })
    await runContainerCommand('docker', ['push', destination], { timeoutMs: 900_000 })
    return
  }
  const dir = credentials ? await mkdtemp(join(tmpdir(), 'wharf-push-')) : undefined
  try {
    const auth = dir ? ['--authfile', join(dir, 'auth.json')] : []
    if (credentials)
      await runContainerCommand('podman', ['login', ...auth, '--username', credentials.username, '--password-stdin', host], {
        input: `${credentials.password}\n`,
        timeoutMs: 60_000,
      })
    await runContainerCommand('podman', ['push', ...auth, source, destination], { timeoutMs: 900_000 })
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
}
