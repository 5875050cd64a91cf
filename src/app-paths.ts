import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where Wharf's own files are. Computed here, one folder below the project root, because this
 * module runs from two places at the same depth: `dist/app-paths.js` (tsc output, the tests) and
 * `dist/wharf.mjs` (the bundle the `wharf` command loads); a path relative to any deeper module
 * would be wrong in the bundle.
 */
export const appRoot = fileURLToPath(new URL('../', import.meta.url))

/** The `wharf` launcher, for child processes (serving workers, pipeline runs). */
export const wharfBin = join(appRoot, 'bin', 'wharf.js')

export const packageJsonPath = join(appRoot, 'package.json')

/**
 * The serving request reader's WebAssembly (serving/numeric-rows.ts), built from native/numeric-rows
 * and committed; serving images copy it with dist/.
 */
export const numericRowsWasm = join(appRoot, 'native', 'numeric-rows.wasm')

/** The web UI as `npm run build` bundles it (scripts/build-ui.mjs), served by `wharf server`. */
export const uiAppDir = join(appRoot, 'dist', 'ui-app')
