"""Durability: 8 concurrent clients send log-batch calls, the server is SIGKILLed mid-stream,
restarted on the same store; every batch answered 200 is there in full, no batch is partly
there, and no client ever saw "database is locked"."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
from mlflow.tracking import MlflowClient

from conftest import start_wharf, stop_wharf, unique_name

pytestmark = [pytest.mark.slow, pytest.mark.wharf_only]

CLIENTS = 8
METRICS_PER_BATCH = 200
RUN_BEFORE_KILL_S = 2.0


def test_sigkill_during_concurrent_log_batch(tmp_path):
    root = tmp_path / "durable"
    server = start_wharf(root)
    try:
        client = MlflowClient(server.url)
        exp_id = client.create_experiment(unique_name("durable"))
        run_ids = [client.create_run(exp_id).info.run_id for _ in range(CLIENTS)]

        answered: dict[int, list[int]] = {i: [] for i in range(CLIENTS)}  # batch numbers with 200
        attempted: dict[int, list[int]] = {i: [] for i in range(CLIENTS)}
        locked: list[str] = []
        other_errors: list[str] = []
        stop = threading.Event()

        def worker(i: int) -> None:
            session = requests.Session()
            url = server.url + "/api/2.0/mlflow/runs/log-batch"
            ts = int(time.time() * 1000)
            batch = 0
            while not stop.is_set() and batch < 10_000:
                payload = {
                    "run_id": run_ids[i],
                    "metrics": [
                        {"key": f"b{batch}", "value": float(j), "timestamp": ts + j, "step": j}
                        for j in range(METRICS_PER_BATCH)
                    ],
                    "params": [{"key": f"p{batch}", "value": str(batch)}],
                    "tags": [{"key": f"t{batch}", "value": str(batch)}],
                }
                attempted[i].append(batch)
                try:
                    resp = session.post(url, json=payload, timeout=10)
                except requests.RequestException:
                    return  # the server died under us
                if "database is locked" in resp.text.lower():
                    locked.append(resp.text[:300])
                if resp.status_code == 200:
                    answered[i].append(batch)
                else:
                    other_errors.append(f"{resp.status_code} {resp.text[:300]}")
                batch += 1

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(RUN_BEFORE_KILL_S)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=20)
        assert sum(len(v) for v in answered.values()) > 0, "no batch was answered before the kill"
        assert not locked, f"clients saw 'database is locked': {locked[:3]}"
        assert not other_errors, f"non-200 answers before the kill: {other_errors[:3]}"
    finally:
        stop_wharf(server)

    server2 = start_wharf(root)  # same database and artifacts destination
    try:
        client = MlflowClient(server2.url)
        for i, run_id in enumerate(run_ids):
            run = client.get_run(run_id)
            params, tags = run.data.params, run.data.tags
            for batch in attempted[i]:
                hist = client.get_metric_history(run_id, f"b{batch}")
                has_param = params.get(f"p{batch}") == str(batch)
                has_tag = tags.get(f"t{batch}") == str(batch)
                complete = len(hist) == METRICS_PER_BATCH and has_param and has_tag
                absent = len(hist) == 0 and not has_param and f"t{batch}" not in tags
                if batch in answered[i]:
                    assert complete, (
                        f"run {i} batch {batch} was answered 200 but is not all there: "
                        f"{len(hist)} metrics, param={has_param}, tag={has_tag}"
                    )
                else:
                    assert complete or absent, (
                        f"run {i} batch {batch} is partly there: {len(hist)} metrics, "
                        f"param={has_param}, tag={has_tag}"
                    )
                if complete:
                    assert sorted((m.step, m.value) for m in hist) == [
                        (j, float(j)) for j in range(METRICS_PER_BATCH)
                    ]
    finally:
        stop_wharf(server2)


def test_concurrent_clients_never_see_database_locked(wharf_server):
    """Parallel writers through the real client: all writes land, none is refused."""
    client = MlflowClient(wharf_server.url)
    exp_id = client.create_experiment(unique_name("parallel"))
    errors: list[str] = []

    def worker(i: int) -> None:
        try:
            c = MlflowClient(wharf_server.url)
            run_id = c.create_run(exp_id, run_name=f"w{i}").info.run_id
            for step in range(40):
                c.log_metric(run_id, "m", float(step), step=step)
                if step % 10 == 0:
                    c.set_tag(run_id, f"t{step}", "x")
            c.log_param(run_id, "worker", str(i))
            c.set_terminated(run_id)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    runs = client.search_runs([exp_id])
    assert len(runs) == CLIENTS
    for run in runs:
        assert run.info.status == "FINISHED"
        assert len(client.get_metric_history(run.info.run_id, "m")) == 40
        assert run.data.params["worker"] == run.info.run_name[1:]

