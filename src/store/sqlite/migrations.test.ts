import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { migrate } from './migrations.js'

const version = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)

/** Migration 4 made the pipeline tables: the schema before it is version 3. */
const beforePipelines = 3

/** Tables of migration 5 and later, which a database taken back to migration 3 does not have either. */
const afterPipelines = ['deploy_endpoint_keys']

/** A database at the newest schema, then taken back to the one before the pipeline tables. */
function databaseBeforePipelines(): { db: Database.Database; latest: number; pipelineTables: string[] } {
  const db = new Database(':memory:')
  migrate(db)
  const latest = version(db)
  const pipelineTables = tables(db).filter((t) => t.startsWith('pipeline_'))
  for (const table of [...pipelineTables, ...afterPipelines]) db.exec(`DROP TABLE ${table}`)
  db.pragma(`user_version = ${beforePipelines}`)
  return { db, latest, pipelineTables }
}

describe('migrate', () => {
  it('brings a new database to the newest schema: tracking, registry, deployments and pipelines', () => {
    const db = new Database(':memory:')
    assert.equal(version(db), 0)
    migrate(db)
    assert.ok(version(db) >= 4)
    for (const table of ['experiments', 'runs', 'registered_models', 'model_versions', 'deploy_endpoints', 'pipeline_runs', 'pipeline_locks']) {
      assert.ok(tables(db).includes(table), table)
    }
  })

  it('does nothing to a database already at the newest schema, and keeps its data', () => {
    const db = new Database(':memory:')
    migrate(db)
    db.prepare("INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('kept', 'mlflow-artifacts:/1', 1, 1)").run()
    const before = { version: version(db), tables: tables(db) }
    migrate(db)
    assert.deepEqual({ version: version(db), tables: tables(db) }, before)
    assert.equal((db.prepare("SELECT count(*) AS n FROM experiments WHERE name = 'kept'").get() as { n: number }).n, 1)
  })

  it('upgrades an older database with only the pending steps, keeping its data', () => {
    const { db, latest, pipelineTables } = databaseBeforePipelines()
    db.prepare("INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('old', 'mlflow-artifacts:/1', 1, 1)").run()
    migrate(db)
    assert.equal(version(db), latest)
    for (const table of [...pipelineTables, ...afterPipelines]) assert.ok(tables(db).includes(table), table)
    assert.equal((db.prepare("SELECT count(*) AS n FROM experiments WHERE name = 'old'").get() as { n: number }).n, 1)
  })

  it('leaves the schema as it was when a step fails: the pending steps are one transaction', () => {
    const { db, pipelineTables } = databaseBeforePipelines()
    // A table in the way of one of migration 4's later CREATEs makes it fail after it created others.
    db.exec(`CREATE TABLE ${pipelineTables.at(-1)} (x INTEGER)`)
    const before = tables(db)
    assert.throws(() => migrate(db), /already exists/)
    assert.equal(version(db), beforePipelines)
    assert.deepEqual(tables(db), before)
  })

  it('keeps each metric value in the history index, so thinned histories read the index alone (migration 5)', () => {
    const db = new Database(':memory:')
    migrate(db)
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT MIN(step), MAX(step), MIN(value), MAX(value), COUNT(*) FROM metrics WHERE run_uuid = 'r' AND key = 'k' AND step BETWEEN 0 AND 9 AND is_nan = 0",
      )
      .all() as { detail: string }[]
    assert.match(plan.map((p) => p.detail).join('\n'), /COVERING INDEX metrics_history/)
  })

  it('keeps queued webhook deliveries and their attempts when the queue takes direct deliveries (migration 7)', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, 6)
    db.exec(`
      INSERT INTO registry_events (event_id, time, actor, type, model_key, model_name, data) VALUES (1, 1, 'a', 'registered_model.created', 1, 'm', '{}');
      INSERT INTO webhooks (webhook_id, url, events, secret, creation_time) VALUES ('w', 'http://127.0.0.1:9/', '["*"]', 'secret-123', 1);
      INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, status, attempts, next_attempt_time, creation_time) VALUES ('d', 'w', 1, 'pending', 1, 5, 1);
      INSERT INTO webhook_attempts (delivery_id, attempt, time, status_code, latency_ms) VALUES ('d', 1, 2, 500, 3);
    `)
    migrate(db)
    assert.deepEqual(db.prepare('SELECT delivery_id, webhook_id, event_id, status, attempts, next_attempt_time FROM webhook_deliveries').all(), [
      { delivery_id: 'd', webhook_id: 'w', event_id: 1, status: 'pending', attempts: 1, next_attempt_time: 5 },
    ])
    assert.deepEqual(db.prepare('SELECT delivery_id, attempt, status_code FROM webhook_attempts').all(), [{ delivery_id: 'd', attempt: 1, status_code: 500 }])
    assert.ok(!tables(db).some((t) => t.endsWith('_v6')))
    assert.deepEqual(db.pragma('foreign_key_check'), [])
    // A direct delivery needs its own receiver and body; attempts still need their delivery.
    db.exec(
      "INSERT INTO webhook_deliveries (delivery_id, url, secret_env, event_type, body, subject, status, creation_time) VALUES ('a', 'http://127.0.0.1:9/', 'S', 'monitor.alert', '{}', 'p/m', 'pending', 1)",
    )
    assert.throws(() => db.exec("INSERT INTO webhook_deliveries (delivery_id, status, creation_time) VALUES ('x', 'pending', 1)"), /CHECK constraint failed/)
    assert.throws(
      () => db.exec("INSERT INTO webhook_attempts (delivery_id, attempt, time, latency_ms) VALUES ('nope', 1, 1, 1)"),
      /FOREIGN KEY constraint failed/,
    )
    // Deleting a webhook still takes its deliveries and their attempts with it.
    db.exec("DELETE FROM webhooks WHERE webhook_id = 'w'")
    assert.deepEqual(db.prepare('SELECT delivery_id FROM webhook_deliveries').all(), [{ delivery_id: 'a' }])
    assert.deepEqual(db.prepare('SELECT * FROM webhook_attempts').all(), [])
  })

  it('refuses a database written by a newer Wharf, and changes nothing', () => {
    const db = new Database(':memory:')
    migrate(db)
    const newer = version(db) + 1
    db.pragma(`user_version = ${newer}`)
    const before = tables(db)
    assert.throws(() => migrate(db), /database schema version \d+ is newer than this Wharf supports/)
    assert.equal(version(db), newer)
    assert.deepEqual(tables(db), before)
  })
})
