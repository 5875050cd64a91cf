#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into dist/wharf.mjs by `npm install` (the `prepare` script).
import { main } from '../dist/wharf.mjs'

main(process.argv).catch((err) => {
  process.stderr.write(`wharf: ${err instanceof Error ? err.message : String(err)}\n`)
  // An error may say which status to exit with (`wharf serve` refusing its model: EXIT_MODEL_REFUSED).
  process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1)
})
