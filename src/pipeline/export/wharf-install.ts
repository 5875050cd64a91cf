import { posix } from 'node:path'

/**
 * How an exported CI job gets the `wharf` command: exactly the package and version that wrote the
 * file, from the npm registry, or as a tarball `npm pack` builds from a Wharf checkout in the
 * repository (for teams that vendor Wharf, or before a release is published).
 */
export interface WharfInstall {
  readonly from: 'registry' | 'tarball'
  /** The npm package name, e.g. @wharf-ml/wharf. */
  readonly package: string
  readonly version: string
  /** tarball: the Wharf checkout's folder, relative to the repository root. */
  readonly dir: string
}

export const installSources = ['registry', 'tarball'] as const

/** The file `npm pack` writes for a package: `@scope/name` → `scope-name-VERSION.tgz`. */
export function tarballNameOf(packageName: string, version: string): string {
  return `${packageName.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

const shellQuote = (s: string) => (/^[\w./@:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`)

/**
 * The shell lines of the install step. `tempDir` is where the agent keeps scratch files, as a shell
 * expression ("$AGENT_TEMPDIRECTORY", "$RUNNER_TEMP"). The tarball is built with the checkout's
 * own lockfile (`npm ci` also compiles dist/), and refused when the checkout is another version
 * than the one that wrote the file.
 */
export function installScript(install: WharfInstall, tempDir: string): string {
  const wanted = `${install.package}@${install.version}`
  if (install.from === 'registry') return `npm install --global ${shellQuote(wanted)}`
  const dir = posix.normalize(install.dir)
  return [
    `cd ${shellQuote(dir)}`,
    `found="$(node -p "require('./package.json').name + '@' + require('./package.json').version")"`,
    `if [ "$found" != ${shellQuote(wanted)} ]; then echo "${dir} holds $found, but this file was exported by ${wanted}: export it again with that checkout's wharf" >&2; exit 1; fi`,
    'npm ci --no-audit --no-fund',
    `npm pack --ignore-scripts --pack-destination "${tempDir}"`,
    `npm install --global "${tempDir}/${tarballNameOf(install.package, install.version)}"`,
  ].join('\n')
}
