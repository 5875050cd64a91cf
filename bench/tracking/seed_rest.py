"""Seeds one MLflow-API tracking server for the wrk comparison (peers.sh) through raw REST, the same
calls on every server, and checks that the server answers the benchmark's reads correctly.
Usage: python seed_rest.py TRACKING_URI SEARCH_RUNS > seed.json

- a 1,000-run experiment; the first 8 runs are the targets of log-metric and log-batch;
- a search experiment of SEARCH_RUNS runs, each with metrics rmse and mae (as workload.py seeds them);
- a run with a 100,000-point metric "d" (100 log-batch calls of 1,000 points).
It then asserts that the search query returns a full page of 100 runs ordered by mae descending and that
get-history returns all 100,000 points, so a server cannot win the benchmark by answering less."""
import concurrent.futures
import json
import sys
import time
import uuid

import requests

uri, search_runs = sys.argv[1].rstrip("/"), int(sys.argv[2])
api = uri + "/api/2.0/mlflow"
local = __import__("threading").local()


def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
    return local.s


def post(path, body):
    r = session().post(f"{api}/{path}", json=body)
    if r.status_code != 200:
        raise SystemExit(f"{uri} {path}: HTTP {r.status_code} {r.text[:300]}")
    return r.json()


def now():
    return int(time.time() * 1000)


def create_run(exp):
    return post("runs/create", {"experiment_id": exp, "start_time": now()})["run"]["info"]["run_id"]


def search_seed(exp, i):
    run = create_run(exp)
    t = now()
    post("runs/log-batch", {"run_id": run, "metrics": [
        {"key": "rmse", "value": (i * 7919) % 1000 / 1000.0, "timestamp": t, "step": 0},
        {"key": "mae", "value": i / search_runs, "timestamp": t, "step": 0}]})


start = time.perf_counter()
tag = uuid.uuid4().hex[:8]
runs_exp = post("experiments/create", {"name": f"bench-runs-{tag}"})["experiment_id"]
search_exp = post("experiments/create", {"name": f"bench-search-{tag}"})["experiment_id"]
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    run_ids = list(pool.map(lambda _: create_run(runs_exp), range(1000)))
    list(pool.map(lambda i: search_seed(search_exp, i), range(search_runs)))
history_run = create_run(runs_exp)
for chunk in range(100):
    t = now()
    post("runs/log-batch", {"run_id": history_run, "metrics": [
        {"key": "d", "value": float(i), "timestamp": t, "step": chunk * 1000 + i} for i in range(1000)]})
seed_seconds = time.perf_counter() - start

found = post("runs/search", {"experiment_ids": [search_exp], "filter": "metrics.rmse < 0.5",
                             "order_by": ["metrics.mae DESC"], "max_results": 100})["runs"]
maes = [next(m["value"] for m in r["data"]["metrics"] if m["key"] == "mae") for r in found]
assert len(found) == 100 and maes == sorted(maes, reverse=True), (uri, len(found))
r = session().get(f"{api}/metrics/get-history", params={"run_id": history_run, "metric_key": "d"})
r.raise_for_status()
points = r.json()["metrics"]
assert len(points) == 100_000, (uri, len(points))
print(json.dumps({"run_ids": run_ids[:8], "search_experiment": search_exp, "history_run": history_run,
                  "seed_seconds": seed_seconds, "history_bytes": len(r.content)}))
