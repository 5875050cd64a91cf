import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'
import pg from 'pg'

/**
 * PostgreSQL for tests: WHARF_TEST_POSTGRES_URL when set (a server CI started once), otherwise a
 * throwaway cluster that scripts/services/postgres.sh starts on first use and stops when this test
 * process exits. Each suite gets a database of its own. Without PostgreSQL installed the suites are
 * skipped, except under CI=true, where that is a failure.
 */
export interface TestPostgres {
  /** A new, empty database; its URL. */
  newDatabase(): Promise<string>
}

const script = fileURLToPath(new URL('../../scripts/services/postgres.sh', import.meta.url))
let started: Promise<string | undefined> | undefined

function installed(): boolean {
  return existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')))
}

async function serverUrl(): Promise<string | undefined> {
  const given = process.env.WHARF_TEST_POSTGRES_URL
  if (given) return given
  if (!installed()) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL is not installed (CI=true): run .ci/install-services.sh')
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), 'wharf-test-pg-'))
  process.once('exit', () => {
    try {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' })
    } catch {
      // already gone
    }
  })
  const { stdout } = await promisify(execFile)('bash', [script, 'start', dir])
  return stdout.trim()
}

/** The test PostgreSQL, or undefined when it is not installed here (never under CI=true). */
export async function testPostgres(): Promise<TestPostgres | undefined> {
  started ??= serverUrl()
  const url = await started
  if (url === undefined) return undefined
  return {
    async newDatabase() {
      const name = `wharf_test_${randomBytes(6).toString('hex')}`
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        await admin.query(`CREATE DATABASE ${name}`)
      } finally {
        await admin.end()
      }
      const dbUrl = new URL(url)
      dbUrl.pathname = `/${name}`
      return dbUrl.toString()
    },
  }
}

/** Records a skipped test, so a run without PostgreSQL says what it did not check. */
export function skipWithoutPostgres(name: string): void {
  test(name, { skip: 'PostgreSQL is not installed (apt-get install -y postgresql)' }, () => {})
}
