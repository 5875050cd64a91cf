"""Copies the UI benchmark's experiments from a wharf SQLite database into an MLflow database.

Both UIs then show the very same runs, params, tags and metric histories. MLflow's own store
creates its schema (and the experiments); the rows are then bulk-inserted into MLflow's tables,
because logging 1.2 million metric values through `mlflow server` would take most of an hour.

    python bench/ui/copy_to_mlflow.py WHARF_DB MLFLOW_DB ARTIFACT_ROOT > id-map.json
"""
import json
import sqlite3
import sys

from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

wharf_db, mlflow_db, artifact_root = sys.argv[1:4]
store = SqlAlchemyStore(f"sqlite:///{mlflow_db}", artifact_root)
src = sqlite3.connect(wharf_db)
dst = sqlite3.connect(mlflow_db)
dst.execute("PRAGMA synchronous = OFF")
dst.execute("PRAGMA journal_mode = MEMORY")

id_map = {}
for wharf_id, name in src.execute("SELECT experiment_id, name FROM experiments WHERE name LIKE 'bench-%' AND lifecycle_stage = 'active'"):
    id_map[str(wharf_id)] = store.create_experiment(name)

def rows(sql, *args):
    cur = src.execute(sql, args)
    while True:
        batch = cur.fetchmany(50_000)
        if not batch:
            return
        yield batch

in_bench = "SELECT run_uuid FROM runs WHERE experiment_id IN (%s)" % ",".join(id_map.keys())
with dst:
    for batch in rows(f"SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, experiment_id FROM runs WHERE run_uuid IN ({in_bench})"):
        dst.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
            " VALUES (?, ?, 'LOCAL', '', '', ?, ?, ?, ?, '', ?, ?, ?)",
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], f"{artifact_root}/{id_map[str(r[7])]}/{r[0]}/artifacts", int(id_map[str(r[7])])) for r in batch],
        )
    for table in ("params", "tags"):
        for batch in rows(f"SELECT key, value, run_uuid FROM {table} WHERE run_uuid IN ({in_bench})"):
            dst.executemany(f"INSERT INTO {table} (key, value, run_uuid) VALUES (?, ?, ?)", batch)
    for batch in rows(f"SELECT key, value, timestamp, step, is_nan, run_uuid FROM latest_metrics WHERE run_uuid IN ({in_bench})"):
        dst.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)", batch)
    for batch in rows(f"SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE run_uuid IN ({in_bench})"):
        dst.executemany("INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)", batch)
print(json.dumps(id_map))
