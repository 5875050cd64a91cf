import type { Database } from 'better-sqlite3'

/**
 * Versioned schema. Each entry runs once, in order; pending entries run in one transaction together with
 * the bump of `PRAGMA user_version`, so a crash mid-migration leaves the previous version intact.
 * Never edit a released entry: append a new one.
 */
const migrations: readonly string[] = [
  // 1: tracking. Indexes follow the queries MLflow users found slow (docs/protocols.md §9):
  // (run_uuid, key, step) for histories, latest_metrics for filters and ordering in search.
  `
  CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    artifact_location TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    creation_time INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
  );
  CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
  );
  CREATE TABLE runs (
    run_uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    artifact_uri TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    deleted_time INTEGER
  );
  CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);
  CREATE TABLE params (
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
  );
  CREATE TABLE tags (
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
  );
  CREATE INDEX tags_by_key ON tags (key, value);
  CREATE TABLE metrics (
    seq INTEGER PRIMARY KEY,
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    step INTEGER NOT NULL,
    model_id TEXT,
    dataset_name TEXT,
    dataset_digest TEXT
  );
  CREATE INDEX metrics_history ON metrics (run_uuid, key, step, timestamp);
  CREATE INDEX metrics_by_model ON metrics (model_id) WHERE model_id IS NOT NULL;
  CREATE TABLE latest_metrics (
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    step INTEGER NOT NULL,
    PRIMARY KEY (run_uuid, key)
  );
  CREATE INDEX latest_metrics_by_key ON latest_metrics (key, is_nan, value);
  CREATE TABLE datasets (
    dataset_id INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source TEXT NOT NULL,
    schema TEXT,
    profile TEXT,
    UNIQUE (experiment_id, name, digest)
  );
  CREATE TABLE run_inputs (
    input_id INTEGER PRIMARY KEY,
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(dataset_id),
    UNIQUE (run_uuid, dataset_id)
  );
  CREATE TABLE run_input_tags (
    input_id INTEGER NOT NULL REFERENCES run_inputs(input_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (input_id, key)
  );
  CREATE TABLE run_model_io (
    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    model_id TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_uuid, direction, model_id)
  );
  CREATE TABLE logged_models (
    model_id TEXT PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name TEXT NOT NULL,
    artifact_uri TEXT NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT,
    model_type TEXT,
    source_run_id TEXT,
    creation_timestamp_ms INTEGER NOT NULL,
    last_updated_timestamp_ms INTEGER NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active'
  );
  CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, creation_timestamp_ms DESC);
  CREATE TABLE logged_model_params (
    model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
  );
  CREATE TABLE logged_model_tags (
    model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
  );
  -- Uniform (owner_id, key, value) shapes so one search translator serves every entity.
  CREATE VIEW search_run_metrics AS SELECT run_uuid AS owner_id, key, value, is_nan FROM latest_metrics;
  CREATE VIEW search_run_params AS SELECT run_uuid AS owner_id, key, value FROM params;
  CREATE VIEW search_run_tags AS SELECT run_uuid AS owner_id, key, value FROM tags;
  CREATE VIEW search_experiment_tags AS SELECT experiment_id AS owner_id, key, value FROM experiment_tags;
  CREATE VIEW search_logged_model_params AS SELECT model_id AS owner_id, key, value FROM logged_model_params;
  CREATE VIEW search_logged_model_tags AS SELECT model_id AS owner_id, key, value FROM logged_model_tags;
  CREATE VIEW search_logged_model_metrics AS
    SELECT m.model_id AS owner_id, m.key, m.value, m.is_nan FROM metrics m
    WHERE m.model_id IS NOT NULL
      AND m.seq = (SELECT max(seq) FROM metrics l WHERE l.model_id = m.model_id AND l.key = m.key);
  `,
  // 2: model registry (docs/protocols.md §3), its event log and webhook deliveries. Models have a
  // surrogate key so a rename is one UPDATE and events survive it; AUTOINCREMENT keeps keys (and
  // event ids) from being reused after a delete. `next_version` keeps version numbers from being
  // reused either. Deliveries are queued rows written in the same transaction as their event.
  `
  CREATE TABLE registered_models (
    model_key INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    user_id TEXT,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    next_version INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE registered_model_tags (
    model_key INTEGER NOT NULL REFERENCES registered_models(model_key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_key, key)
  );
  CREATE TABLE model_versions (
    version_key INTEGER PRIMARY KEY AUTOINCREMENT,
    model_key INTEGER NOT NULL REFERENCES registered_models(model_key) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    user_id TEXT,
    current_stage TEXT NOT NULL DEFAULT 'None',
    description TEXT,
    source TEXT NOT NULL,
    storage_location TEXT NOT NULL,
    run_id TEXT,
    run_link TEXT,
    model_id TEXT,
    status TEXT NOT NULL DEFAULT 'READY',
    status_message TEXT,
    UNIQUE (model_key, version)
  );
  CREATE INDEX model_versions_by_run ON model_versions (run_id) WHERE run_id IS NOT NULL;
  CREATE TABLE model_version_tags (
    version_key INTEGER NOT NULL REFERENCES model_versions(version_key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (version_key, key)
  );
  CREATE TABLE registered_model_aliases (
    model_key INTEGER NOT NULL REFERENCES registered_models(model_key) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    version_key INTEGER NOT NULL REFERENCES model_versions(version_key) ON DELETE CASCADE,
    PRIMARY KEY (model_key, alias)
  );
  CREATE VIEW named_model_versions AS
    SELECT v.*, m.name FROM model_versions v JOIN registered_models m ON m.model_key = v.model_key;
  CREATE VIEW search_registered_model_tags AS SELECT model_key AS owner_id, key, value FROM registered_model_tags;
  CREATE VIEW search_model_version_tags AS SELECT version_key AS owner_id, key, value FROM model_version_tags;
  CREATE TABLE registry_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    model_key INTEGER NOT NULL,
    model_name TEXT NOT NULL,
    version TEXT,
    alias TEXT,
    data TEXT NOT NULL
  );
  CREATE INDEX registry_events_by_model_key ON registry_events (model_key, event_id);
  CREATE INDEX registry_events_by_model_name ON registry_events (model_name, event_id);
  CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    model_name TEXT,
    description TEXT,
    secret TEXT NOT NULL,
    creation_time INTEGER NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES registry_events(event_id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_time INTEGER,
    creation_time INTEGER NOT NULL
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time) WHERE status = 'pending';
  CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, creation_time);
  CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(delivery_id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    time INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
  );
  `,
  // 3: deployments. Desired state of each endpoint (environment × model) and its running instances,
  // so the control plane finds them again after a restart; every change kept with who and when.
  `
  CREATE TABLE deploy_endpoints (
    environment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    target TEXT NOT NULL,
    router_port INTEGER,
    traffic TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL,
    PRIMARY KEY (environment, model_name)
  );
  CREATE TABLE deploy_instances (
    instance_id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    version TEXT NOT NULL,
    model_uri TEXT NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER,
    container_name TEXT,
    image TEXT,
    start_time INTEGER NOT NULL,
    FOREIGN KEY (environment, model_name) REFERENCES deploy_endpoints (environment, model_name) ON DELETE CASCADE
  );
  CREATE INDEX deploy_instances_by_endpoint ON deploy_instances (environment, model_name);
  CREATE TABLE deploy_changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    from_version TEXT,
    to_version TEXT,
    data TEXT NOT NULL
  );
  CREATE INDEX deploy_changes_by_endpoint ON deploy_changes (environment, model_name, change_id);
  `,
  // 4: pipeline runs (wharf.yaml). A step's completion and its outputs are one UPDATE, so a resumed
  // run never redoes a finished step; the lock row (one per pipeline) carries the owner's pid, host
  // and heartbeat so a killed runner does not block the pipeline for ever.
  `
  CREATE TABLE pipeline_runs (
    run_id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    file TEXT NOT NULL,
    run_key TEXT,
    status TEXT NOT NULL,
    trigger TEXT NOT NULL,
    stages TEXT,
    variables TEXT NOT NULL,
    actor TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    error TEXT
  );
  CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline, start_time DESC);
  CREATE UNIQUE INDEX pipeline_runs_by_key ON pipeline_runs (pipeline, run_key) WHERE run_key IS NOT NULL;
  CREATE TABLE pipeline_stages (
    run_id TEXT NOT NULL REFERENCES pipeline_runs(run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER,
    end_time INTEGER,
    PRIMARY KEY (run_id, stage)
  );
  CREATE TABLE pipeline_steps (
    run_id TEXT NOT NULL REFERENCES pipeline_runs(run_id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    stage TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    start_time INTEGER,
    end_time INTEGER,
    outputs TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    PRIMARY KEY (run_id, step)
  );
  CREATE TABLE pipeline_logs (
    log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES pipeline_runs(run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    step TEXT NOT NULL,
    time INTEGER NOT NULL,
    line TEXT NOT NULL
  );
  CREATE INDEX pipeline_logs_by_run ON pipeline_logs (run_id, log_id);
  CREATE TABLE pipeline_approvals (
    run_id TEXT NOT NULL REFERENCES pipeline_runs(run_id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    actor TEXT NOT NULL,
    comment TEXT,
    time INTEGER NOT NULL,
    PRIMARY KEY (run_id, step)
  );
  CREATE TABLE pipeline_locks (
    pipeline TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    owner_host TEXT NOT NULL,
    heartbeat_time INTEGER NOT NULL
  );
  `,
  // 5: endpoint keys (primary, secondary) of deployed endpoints: a salt and the key's sha256, never
  // the key (keys are derived from the server's key secret, see src/deploy/endpoint-keys.ts).
  `
  CREATE TABLE deploy_endpoint_keys (
    environment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    slot TEXT NOT NULL CHECK (slot IN ('primary', 'secondary')),
    salt TEXT NOT NULL,
    digest TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    PRIMARY KEY (environment, model_name, slot)
  );
  `,
  // 6: the history index also holds each value, so a chart's thinned history (min and max per
  // step range, tracking-views.ts) reads the index alone: three times faster on 1,000,000 points.
  `
  DROP INDEX metrics_history;
  CREATE INDEX metrics_history ON metrics (run_uuid, key, step, timestamp, value, is_nan);
  `,
  // 7: direct deliveries (monitoring alerts) share the webhook queue: a row has either a registry
  // webhook and event, or its own url, secret variable name, event type and body. SQLite cannot
  // drop NOT NULL in place: the two tables are rebuilt, the child renamed away first so that
  // dropping the old parent cascades into nothing.
  `
  ALTER TABLE webhook_attempts RENAME TO webhook_attempts_v6;
  ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_v6;
  CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    webhook_id TEXT REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
    event_id INTEGER REFERENCES registry_events(event_id),
    url TEXT,
    secret_env TEXT,
    event_type TEXT,
    body TEXT,
    subject TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_time INTEGER,
    creation_time INTEGER NOT NULL,
    CHECK ((webhook_id IS NOT NULL AND event_id IS NOT NULL)
      OR (url IS NOT NULL AND secret_env IS NOT NULL AND event_type IS NOT NULL AND body IS NOT NULL AND subject IS NOT NULL))
  );
  INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, status, attempts, next_attempt_time, creation_time)
    SELECT delivery_id, webhook_id, event_id, status, attempts, next_attempt_time, creation_time FROM webhook_deliveries_v6 ORDER BY rowid;
  CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(delivery_id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    time INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
  );
  INSERT INTO webhook_attempts SELECT * FROM webhook_attempts_v6;
  DROP TABLE webhook_attempts_v6;
  DROP TABLE webhook_deliveries_v6;
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time) WHERE status = 'pending';
  CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, creation_time);
  CREATE INDEX webhook_deliveries_by_subject ON webhook_deliveries (subject, creation_time) WHERE subject IS NOT NULL;
  `,
  // 8: the history index ends its order with seq, the last tie-breaker of a history's order
  // (step, timestamp, seq): a history page is read in index order with no sort, which lets the
  // database write it as JSON in order (metric-history-json.ts). Value and is_nan stay in it for
  // the chart's thinned history.
  `
  DROP INDEX metrics_history;
  CREATE INDEX metrics_history ON metrics (run_uuid, key, step, timestamp, seq, value, is_nan);
  `,
]

/**
 * Brings the database to the newest schema (tests pass an older `target` to build a database as an
 * earlier Wharf left it); refuses a database newer than this Wharf.
 */
export function migrate(db: Database, target = migrations.length): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this Wharf supports (${migrations.length}); upgrade Wharf`)
  }
  if (current >= target) return
  // All pending steps in one transaction: one commit (one fsync) for a new database, and a crash
  // leaves the schema exactly as it was before the upgrade.
  db.transaction(() => {
    for (let version = current; version < target; version++) db.exec(migrations[version] as string)
    db.pragma(`user_version = ${target}`)
  })()
}
