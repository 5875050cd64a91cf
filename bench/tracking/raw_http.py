"""Server-side view of the tracking workload: the same REST calls the MLflow client makes, sent with
`requests` on a keep-alive session from prebuilt JSON bodies, so the client's own protobuf work is
out of the measurement. Usage: python raw_http.py TRACKING_URI ROUNDS > result.json"""
import json
import statistics
import sys
import time
import uuid

import requests

uri, rounds = sys.argv[1].rstrip("/"), int(sys.argv[2])
api = uri + "/api/2.0/mlflow"
s = requests.Session()
headers = {"Content-Type": "application/json"}


def post(path, body):
    r = s.post(f"{api}/{path}", data=body if isinstance(body, (str, bytes)) else json.dumps(body), headers=headers)
    r.raise_for_status()
    return r.json()


exp = post("experiments/create", {"name": f"raw-{uuid.uuid4().hex[:8]}"})["experiment_id"]
run = post("runs/create", {"experiment_id": exp, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]
step = [0]


def batch_body():
    now = int(time.time() * 1000)
    body = json.dumps({"run_id": run, "metrics": [{"key": "a", "value": float(i), "timestamp": now, "step": step[0] + i} for i in range(1000)]})
    step[0] += 1000
    return body


def rate(fn, ops):
    start = time.perf_counter()
    fn()
    return ops / (time.perf_counter() - start)


out = {}
bodies = [batch_body() for _ in range(20 * rounds)]
it = iter(bodies)
out["log_batch_1000"] = [rate(lambda: [post("runs/log-batch", next(it)) for _ in range(20)], 20) for _ in range(rounds)]
metric = json.dumps({"run_id": run, "key": "b", "value": 1.0, "timestamp": int(time.time() * 1000), "step": 0})
out["log_metric"] = [rate(lambda: [post("runs/log-metric", metric) for _ in range(300)], 300) for _ in range(rounds)]

# A 100,000-point history: 100 batches after what (a) wrote, then fetch the raw JSON.
run_d = post("runs/create", {"experiment_id": exp, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]
for chunk in range(100):
    now = int(time.time() * 1000)
    post("runs/log-batch", {"run_id": run_d, "metrics": [{"key": "d", "value": float(i), "timestamp": now, "step": chunk * 1000 + i} for i in range(1000)]})


def history():
    r = s.get(f"{api}/metrics/get-history", params={"run_id": run_d, "metric_key": "d"})
    r.raise_for_status()
    assert len(r.content) > 1_000_000


out["metric_history_100k"] = [rate(lambda: [history() for _ in range(2)], 2) for _ in range(rounds)]
out["medians"] = {k: statistics.median(v) for k, v in out.items() if isinstance(v, list)}
print(json.dumps(out))
