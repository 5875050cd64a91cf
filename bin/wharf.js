#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into dist/wharf.mjs by `npm install` (the `prepare` script).
import { main } from '../dist/wharf.mjs'

main(process.argv).catch((err) => {
  process.stderr.write(`wharf: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
