import { readFileSync } from 'node:fs'
import { packageJsonPath } from './app-paths.js'

/** Wharf's version, read once from package.json so there is one place to bump it. */
export const version: string = (JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string }).version
