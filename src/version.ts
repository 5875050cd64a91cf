import { readFileSync } from 'node:fs'
import { packageJsonPath } from './app-paths.js'

const manifest = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { name: string; version: string }

/** Wharf's version, read once from package.json so there is one place to bump it. */
export const version: string = manifest.version

/** The npm package Wharf is published as (`npm install --global <name>@<version>`); the command stays `wharf`. */
export const packageName: string = manifest.name
