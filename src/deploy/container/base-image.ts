import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { appRoot } from '../../app-paths.js'
import { type ContainerRuntime, runContainerCommand } from './container-cli.js'

const run = promisify(execFile)

/** The non-root user the serving images run as. */
export const serveUid = 10001

/** Tag of the locally built Node.js runtime image for this machine's node. */
export const defaultBaseTag = () => `localhost/wharf-node-base:${process.versions.node}`

/** Shared libraries `ldd` lists for a binary (absolute paths, the loader included). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary])
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!)
}

/** Native addons the serving path loads: better-sqlite3 and onnxruntime-node (this platform only). */
async function nativeAddons(): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name)
      if (entry.isDirectory() && depth > 0) await walk(path, depth - 1)
      else if (/\.(node|so(\.\d+)*)$/.test(entry.name)) found.push(path)
    }
  }
  await walk(join(appRoot, 'node_modules/better-sqlite3/build/Release'), 0)
  await walk(join(appRoot, `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}`), 0)
  return found
}

/**
 * Builds a Node.js runtime image without any registry (docs/containers.md): this machine's node binary,
 * the shared libraries `ldd` lists for it and for the native addons (libstdc++ among them),
 * /etc/passwd with the non-root `wharf` user, and /tmp; imported with `podman|docker import`.
 * Reused when the tag exists.
 */
export async function ensureBaseImage(runtime: ContainerRuntime, tag = defaultBaseTag()): Promise<string> {
  if (await imageExists(runtime, tag)) return tag
  const root = await mkdtemp(join(tmpdir(), 'wharf-base-'))
  try {
    const rootfs = join(root, 'rootfs')
    const libraries = new Set<string>()
    for (const binary of [process.execPath, ...(await nativeAddons())]) {
      for (const lib of await sharedLibraries(binary)) if (!lib.includes('/node_modules/')) libraries.add(lib)
    }
    for (const file of [...libraries, process.execPath]) {
      const target = join(rootfs, file === process.execPath ? '/usr/bin/node' : file)
      await mkdir(dirname(target), { recursive: true })
      await copyFile(file, target)
    }
    await chmod(join(rootfs, 'usr/bin/node'), 0o755)
    await mkdir(join(rootfs, 'etc'), { recursive: true })
    await writeFile(join(rootfs, 'etc/passwd'), `root:x:0:0:root:/root:/sbin/nologin\nwharf:x:${serveUid}:${serveUid}:wharf:/home/wharf:/sbin/nologin\n`)
    await writeFile(join(rootfs, 'etc/group'), `root:x:0:\nwharf:x:${serveUid}:\n`)
    await writeFile(join(rootfs, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n')
    await writeFile(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n')
    for (const dir of ['tmp', 'home/wharf', 'opt']) await mkdir(join(rootfs, dir), { recursive: true })
    await chmod(join(rootfs, 'tmp'), 0o1777)
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', join(root, 'rootfs.tar'), '.'], { maxBuffer: 16 * 1024 * 1024 })
    await runContainerCommand(runtime, [
      'import',
      '--change',
      'ENTRYPOINT ["/usr/bin/node"]',
      '--change',
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      '--change',
      `USER ${serveUid}:${serveUid}`,
      join(root, 'rootfs.tar'),
      tag,
    ])
    return tag
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

export async function imageExists(runtime: ContainerRuntime, tag: string): Promise<boolean> {
  try {
    await runContainerCommand(runtime, ['image', 'inspect', '--format', '{{.Id}}', tag], { timeoutMs: 30_000 })
    return true
  } catch {
    return false
  }
}
