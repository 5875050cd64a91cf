"""Tracking workload of docs/performance.md, driven by the real MLflow Python client.

Usage: python workload.py TRACKING_URI ROUNDS SEED_RUNS > result.json
Prints one JSON object: for each workload the per-round rates (operations per second).
"""
import concurrent.futures
import json
import statistics
import sys
import time
import uuid

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

uri, rounds, seed_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Against the client-floor server nothing is stored, so seeding is skipped and checks on counts are off.
floor = len(sys.argv) > 4 and sys.argv[4] == "floor"
client = MlflowClient(tracking_uri=uri)
exp = client.create_experiment(f"bench-{uuid.uuid4().hex[:8]}")


def timed(fn, ops):
    start = time.perf_counter()
    fn()
    return ops / (time.perf_counter() - start)


out = {}

# (a) log_batch of 1,000 metrics, repeated: batches per second.
run = client.create_run(exp).info.run_id
step = [0]


def log_batches(n=20):
    for _ in range(n):
        now = int(time.time() * 1000)
        client.log_batch(run, metrics=[Metric("a", float(i), now, step[0] + i) for i in range(1000)])
        step[0] += 1000


out["log_batch_1000"] = [timed(log_batches, 20) for _ in range(rounds)]

# (b) single log_metric calls in a loop: calls per second.
run_b = client.create_run(exp).info.run_id


def log_metrics(n=300):
    for i in range(n):
        client.log_metric(run_b, "b", float(i), step=i)


out["log_metric"] = [timed(log_metrics, 300) for _ in range(rounds)]

# (c) search_runs with a metric filter and an order over SEED_RUNS runs: searches per second.
exp_c = client.create_experiment(f"bench-search-{uuid.uuid4().hex[:8]}")


def seed(i):
    r = client.create_run(exp_c).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(r, metrics=[Metric("rmse", (i * 7919) % 1000 / 1000.0, now, 0), Metric("mae", i / seed_runs, now, 0)],
                     params=[], tags=[])


seed_start = time.perf_counter()
if not floor:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(seed, range(seed_runs)))
out["seed_seconds"] = time.perf_counter() - seed_start


def search(n=5):
    for _ in range(n):
        found = client.search_runs([exp_c], filter_string="metrics.rmse < 0.5", order_by=["metrics.mae DESC"], max_results=100)
        assert len(found) == 100, len(found)


out["search_runs"] = [timed(search, 5) for _ in range(rounds)]

# (d) get_metric_history of a 100,000-step metric: histories per second.
run_d = client.create_run(exp).info.run_id
for chunk in range(0 if floor else 100):
    now = int(time.time() * 1000)
    client.log_batch(run_d, metrics=[Metric("d", float(i), now, chunk * 1000 + i) for i in range(1000)])


def history(n=2):
    for _ in range(n):
        assert len(client.get_metric_history(run_d, "d")) == 100_000


out["metric_history_100k"] = [timed(history, 2) for _ in range(rounds)]
out["medians"] = {k: statistics.median(v) for k, v in out.items() if isinstance(v, list)}
print(json.dumps(out))
