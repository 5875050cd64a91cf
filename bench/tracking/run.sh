#!/usr/bin/env bash
# Tracking benchmark (docs/performance.md): the same MLflow-client workload against `wharf server`
# and `mlflow server` (PyPI, SQLite backend, default workers), both started by this script in one run.
# Usage: bash bench/tracking/run.sh [ROUNDS] [SEED_RUNS]   (needs `npm install`; creates bench/.venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
seed_runs=${2:-10000}
venv=${WHARF_BENCH_VENV:-bench/.venv}
if [ ! -x "$venv/bin/mlflow" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'mlflow>=3,<4'
fi
py="$venv/bin/python"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_ready() { # url -> seconds until /health answered
  local start=$(date +%s.%N)
  until curl -sf "$1/health" >/dev/null 2>&1; do sleep 0.01; done
  echo "$(date +%s.%N) - $start" | bc
}

cold_start() { # command... -> median seconds to first answer over 3 starts
  local times=()
  for i in 1 2 3; do
    rm -rf "$work/cold"; mkdir -p "$work/cold"
    "$@" >/dev/null 2>&1 &
    local pid=$!
    times+=("$(wait_ready http://127.0.0.1:5911)")
    kill $pid; wait $pid 2>/dev/null || true
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}

wharf_cmd=(node bin/wharf.js server --port 5911 --log-level warn --backend-store-uri "sqlite:///$work/cold/w.db" --artifacts-destination "$work/cold/a")
mlflow_cmd=("$venv/bin/mlflow" server --port 5911 --host 127.0.0.1 --backend-store-uri "sqlite:///$work/cold/m.db" --default-artifact-root "$work/cold/a")
wharf_cold=$(cold_start "${wharf_cmd[@]}")
mlflow_cold=$(cold_start "${mlflow_cmd[@]}")

node bin/wharf.js server --port 5901 --log-level warn --backend-store-uri "sqlite:///$work/wharf.db" --artifacts-destination "$work/wharf-art" >/dev/null 2>&1 &
"$venv/bin/mlflow" server --port 5902 --host 127.0.0.1 --backend-store-uri "sqlite:///$work/mlflow.db" --artifacts-destination "$work/mlflow-art" >"$work/mlflow.log" 2>&1 &
node bench/tracking/client-floor-server.mjs 5903 >/dev/null 2>&1 &
wait_ready http://127.0.0.1:5901 >/dev/null
wait_ready http://127.0.0.1:5903 >/dev/null
wait_ready http://127.0.0.1:5902 >/dev/null

"$py" bench/tracking/workload.py http://127.0.0.1:5901 "$rounds" "$seed_runs" > "$work/wharf.json"
"$py" bench/tracking/workload.py http://127.0.0.1:5902 "$rounds" "$seed_runs" > "$work/mlflow.json"
"$py" bench/tracking/workload.py http://127.0.0.1:5903 "$rounds" "$seed_runs" floor > "$work/floor.json"
"$py" bench/tracking/raw_http.py http://127.0.0.1:5901 "$rounds" > "$work/wharf-raw.json"
"$py" bench/tracking/raw_http.py http://127.0.0.1:5902 "$rounds" > "$work/mlflow-raw.json"

out=bench/results/tracking.md
"$py" - "$work/wharf.json" "$work/mlflow.json" "$wharf_cold" "$mlflow_cold" "$rounds" "$seed_runs" "$work/floor.json" "$work/wharf-raw.json" "$work/mlflow-raw.json" > "$work/head.md" <<'PY'
import json, platform, statistics, subprocess, sys, datetime
import mlflow
w, m, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.load(open(sys.argv[7]))
wc, mc, rounds, seed = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
print("# Tracking benchmark: wharf server vs mlflow server\n")
print(f"- date: {datetime.datetime.utcnow().isoformat(timespec='seconds')}Z; machine: {platform.node()}, {cpu}, 2 cores")
print(f"- versions: node {node}, MLflow server and client {mlflow.__version__} (SQLite backend, default workers)")
print(f"- command: `bash bench/tracking/run.sh {rounds} {seed}`; both servers started by the script in the same run;")
print(f"  load from the real MLflow Python client in a second process; {rounds} rounds each, median shown with min–max.\n")
print("The client-floor column is a server that answers every call with a canned response and stores nothing:")
print("the MLflow client's own cost. No server can beat it through this client; 'of floor' is wharf's share of it.\n")
print("| workload | unit | wharf median (min–max) | mlflow median (min–max) | client floor median | wharf / mlflow | wharf of floor |")
print("| --- | --- | --- | --- | --- | --- | --- |")
units = {"log_batch_1000": "batches of 1,000 metrics /s", "log_metric": "log_metric calls /s",
         "search_runs": f"searches /s over {seed} runs (filter + order, 100 results)", "metric_history_100k": "100,000-point histories /s"}
for k, unit in units.items():
    a, b = w[k], m[k]
    c = statistics.median(f[k])
    print(f"| {k} | {unit} | {statistics.median(a):.1f} ({min(a):.1f}–{max(a):.1f}) | {statistics.median(b):.2f} ({min(b):.2f}–{max(b):.2f}) | {c:.1f} | {statistics.median(a)/statistics.median(b):.1f}× | {statistics.median(a)/c:.0%} |")
print(f"| cold start | seconds to first /health answer (median of 3) | {wc:.3f} | {mc:.3f} | – | {mc/wc:.1f}× faster | – |")
wr, mr = json.load(open(sys.argv[8])), json.load(open(sys.argv[9]))
print("\nServer side: the same REST calls from prebuilt JSON bodies on a keep-alive `requests` session")
print("(bench/tracking/raw_http.py), so the client's protobuf work is out of the measurement.\n")
print("| workload | unit | wharf median (min–max) | mlflow median (min–max) | wharf / mlflow |")
print("| --- | --- | --- | --- | --- |")
raw_units = {"log_batch_1000": "log-batch calls of 1,000 metrics /s", "log_metric": "log-metric calls /s", "metric_history_100k": "100,000-point get-history calls /s"}
for k, unit in raw_units.items():
    a, b = wr[k], mr[k]
    print(f"| {k} | {unit} | {statistics.median(a):.1f} ({min(a):.1f}–{max(a):.1f}) | {statistics.median(b):.2f} ({min(b):.2f}–{max(b):.2f}) | {statistics.median(a)/statistics.median(b):.1f}× |")
print(f"\nSeeding {seed} runs with 8 client threads took {w['seed_seconds']:.1f} s on wharf and {m['seed_seconds']:.1f} s on mlflow.")
PY
# The peers section below (bench/tracking/peers.sh) is kept as it was.
peers=$(if [ -f "$out" ]; then sed -n '/^## Peers/,$p' "$out"; fi)
{ cat "$work/head.md"; if [ -n "$peers" ]; then printf '\n%s\n' "$peers"; fi; } > "$out"
cat "$out"
