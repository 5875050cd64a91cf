// Bundles the `wharf` command into dist/wharf.mjs (run after tsc by `npm run build`).
// Why: Node 20 loads ~300 separate ESM and CommonJS files for `wharf server` (zod, yaml, hono,
// Wharf's own modules); resolving and compiling them one by one was most of the 0.5 s cold start.
// One file compiles in ~50 ms. Subcommands still load lazily: esbuild keeps `await import()` of
// bundled modules as deferred initialisers.
// Left outside the bundle: native addons (better-sqlite3, onnxruntime-node), and the Kubernetes
// client, protobufjs and @grpc/grpc-js (only with --grpc-port), which are large, loaded only by some commands, and resolve files at run time;
// the PostgreSQL driver and the S3 and Azure SDKs, so a server on SQLite and local files never parses them.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/wharf.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: [
    'better-sqlite3',
    'onnxruntime-node',
    '@kubernetes/client-node',
    'protobufjs',
    'protobufjs/*',
    '@grpc/grpc-js',
    // Store drivers, loaded only by a server configured for them (server/open-backends.ts).
    'pg',
    '@aws-sdk/*',
    '@azure/*',
    // hpack@1 calls the deprecated Buffer() as it loads; Node stays quiet about that (DEP0005) only
    // for code inside node_modules, so bundled it warned on every wharf command.
    'hpack',
  ],
  // CommonJS dependencies call require() for Node built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as wharfCreateRequire } from 'node:module'; const require = wharfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})
