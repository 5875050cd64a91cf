#!/usr/bin/env bash
# Serving benchmark (docs/performance.md), one command, all servers started here in one run:
#   the limit (bare node:http, fixed 25-byte answer), `wharf serve` (1 worker and --workers 2) on the
#   diabetes elastic net, `mlflow models serve` on the same model logged with the sklearn flavor, and a
#   Flask + gunicorn (2 workers) + pandas app in the style of the Azure ML inference server.
# Load: wrk -t1 -c32 single-row dataframe_split requests; -c1 for latency at one connection; -c8 with
# 1,000-row requests (rows/s). Start-to-ready: spawn until the health route answers 200.
# Usage: bash bench/serving/run.sh   (ROUNDS=5 DURATION=10s WARMUP=2s; WHARF_BENCH_VENV=/path/to/venv with mlflow)
# Writes bench/results/serving.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
venv=${WHARF_BENCH_VENV:-bench/.venv}
if [ ! -x "$venv/bin/mlflow" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'mlflow>=3,<4' scikit-learn flask gunicorn pandas
fi
venv=$(cd "$venv" && pwd)
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f dist/wharf.mjs ] || npm run build
py="$venv/bin/python"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

node bin/wharf.js train --data data/diabetes.csv --target progression --model elasticnet --output "$work/wharf-model" >/dev/null 2>"$work/train.log"
"$py" bench/serving/make_sklearn_model.py "$work/wharf-model" "$work/sk-model" >/dev/null 2>"$work/sk.log"
"$py" - "$work" <<'PY'
import csv, json, sys
rows = list(csv.reader(open("data/diabetes.csv")))
cols, data = rows[0][:-1], [[float(v) for v in r[:-1]] for r in rows[1:]]
json.dump({"dataframe_split": {"columns": cols, "data": data[:1]}}, open(f"{sys.argv[1]}/single.json", "w"))
json.dump({"dataframe_split": {"columns": cols, "data": [data[i % len(data)] for i in range(1000)]}}, open(f"{sys.argv[1]}/batch.json", "w"))
PY

# name|port|scoring path|ready path|command
servers=(
  "limit|8090|/|/|node bench/serving/limit-server.mjs 8090"
  "wharf|8091|/invocations|/ping|node bin/wharf.js serve --model-uri $work/wharf-model --port 8091"
  "wharf-2-workers|8092|/invocations|/ping|node bin/wharf.js serve --model-uri $work/wharf-model --port 8092 --workers 2"
  "mlflow-models-serve|8093|/invocations|/ping|$venv/bin/mlflow models serve -m $work/sk-model -p 8093 -h 127.0.0.1 --env-manager local"
  "flask-gunicorn|8094|/score|/|env WHARF_BENCH_MODEL_DIR=$work/sk-model $venv/bin/gunicorn -w 2 -b 127.0.0.1:8094 --chdir bench/serving flask_app:app"
)
field() { echo "$1" | cut -d'|' -f"$2"; }

start() { # server spec -> starts it; sets ready_seconds (spawn until the first 200 on its ready path)
  local spec=$1 t0 t1
  t0=$(date +%s.%N)
  # The venv's bin on PATH: `mlflow models serve` runs `uvicorn` from there.
  # Own process group (setsid), so stopping it also stops the workers it spawned (uvicorn, gunicorn).
  PATH="$venv/bin:$PATH" setsid bash -c "exec $(field "$spec" 5)" >"$work/$(field "$spec" 1).log" 2>&1 &
  pids+=($!)
  until curl -sf -o /dev/null "http://127.0.0.1:$(field "$spec" 2)$(field "$spec" 4)"; do
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "$(field "$spec" 1) exited before it was ready:" >&2; tail -20 "$work/$(field "$spec" 1).log" >&2; exit 1; fi
    sleep 0.005
  done
  t1=$(date +%s.%N)
  ready_seconds=$(printf '%.4f' "$(echo "$t1 - $t0" | bc)")
}
stop_last() { # stops the last server started and waits until its port is free again
  local port=$(field "$spec" 2)
  kill -- -"${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" || break; sleep 0.05; done
}

: >"$work/results.jsonl"
for spec in "${servers[@]}"; do # start-to-ready, three cold starts each
  for i in 1 2 3; do
    start "$spec"
    echo "{\"server\": \"$(field "$spec" 1)\", \"mode\": \"ready\", \"seconds\": $ready_seconds}" >>"$work/results.jsonl"
    stop_last
  done
done
for spec in "${servers[@]}"; do start "$spec"; done
for spec in "${servers[@]}"; do # what each answers for the first row, to check they agree
  echo "{\"server\": \"$(field "$spec" 1)\", \"mode\": \"answer\", \"body\": $(curl -s -H 'content-type: application/json' --data-binary @"$work/single.json" "http://127.0.0.1:$(field "$spec" 2)$(field "$spec" 3)" | "$py" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}" >>"$work/results.jsonl"
done

bench() { # name url mode connections body
  local out
  # The same load for $warmup first, not recorded: every server (the limit too) is measured warm,
  # past its JIT's tier-up and first heap growth; start-up is measured on its own (ready time).
  WRK_BODY=$5 wrk -t1 -c"$4" -d"$warmup" --timeout 10s -s bench/serving/post.lua "$2" >/dev/null 2>&1 || true
  out=$(WRK_BODY=$5 wrk -t1 -c"$4" -d"$duration" --timeout 10s -s bench/serving/post.lua "$2" | grep '^WRK_JSON' | sed 's/^WRK_JSON //' || true)
  [ -n "$out" ] || out='{"rps": 0, "p50_ms": 0, "p99_ms": 0, "requests": 0, "errors": -1}'
  echo "{\"server\": \"$1\", \"mode\": \"$3\", \"round\": $round, \"result\": $out}" >>"$work/results.jsonl"
}
for round in $(seq 1 "$rounds"); do
  for spec in "${servers[@]}"; do
    url="http://127.0.0.1:$(field "$spec" 2)$(field "$spec" 3)"
    name=$(field "$spec" 1)
    curl -s -o /dev/null -H 'content-type: application/json' --data-binary @"$work/single.json" "$url" # warm
    bench "$name" "$url" single-c32 32 "$work/single.json"
    bench "$name" "$url" single-c1 1 "$work/single.json"
    bench "$name" "$url" batch-c8 8 "$work/batch.json"
  done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" bench/serving/report.py "$work/results.jsonl" "$rounds" "$duration $warmup" "$load_before" "$load_after" "$venv" >bench/results/serving.md
cat bench/results/serving.md
