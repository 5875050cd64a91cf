#!/usr/bin/env bash
# KServe V2 benchmark, all servers started here in one run: `wharf serve` (V2 JSON, V2 binary tensors,
# /invocations for reference) and MLServer from PyPI (mlserver + mlserver-sklearn, V2 JSON) on the
# same diabetes elastic net, beside the bare node:http limit.
# Load: wrk -t1 -c32 one-row requests; -c8 with 1,000-row requests (rows/s).
# Usage: bash bench/serving/v2.sh   (DURATION=10s WARMUP=2s; the MLServer venv is cached in
# ~/.cache/wharf/bench-mlserver-<hash of requirements-mlserver.txt>). Writes bench/results/serving-v2.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
venv="$HOME/.cache/wharf/bench-mlserver-$(sha256sum bench/serving/requirements-mlserver.txt | cut -c1-16)"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/serving/requirements-mlserver.txt && touch "$venv/.complete"
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f dist/wharf.mjs ] || npm run build
py="$venv/bin/python"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

node bin/wharf.js train --data data/diabetes.csv --target progression --model elasticnet --output "$work/wharf-model" >/dev/null 2>"$work/train.log"
mkdir -p "$work/mlserver/diabetes"
"$py" bench/serving/make_joblib_model.py "$work/wharf-model" "$work/mlserver/diabetes/model.joblib" >/dev/null
echo '{"http_port": 8096, "grpc_port": 8097, "metrics_port": 8098, "host": "127.0.0.1"}' >"$work/mlserver/settings.json"
echo '{"name": "diabetes", "implementation": "mlserver_sklearn.SKLearnModel", "parameters": {"uri": "./model.joblib"}}' >"$work/mlserver/diabetes/model-settings.json"
# Request bodies: one row and 1,000 rows, as V2 JSON, V2 binary (JSON header + FP64 bytes) and dataframe_split.
"$py" - "$work" <<'PY'
import csv, json, struct, sys
work = sys.argv[1]
rows = list(csv.reader(open("data/diabetes.csv")))
cols, data = rows[0][:-1], [[float(v) for v in r[:-1]] for r in rows[1:]]
for name, n in (("single", 1), ("batch", 1000)):
    chosen = [data[i % len(data)] for i in range(n)]
    flat = [v for r in chosen for v in r]
    json.dump({"inputs": [{"name": "x", "shape": [n, 10], "datatype": "FP64", "data": flat}]}, open(f"{work}/{name}-v2.json", "w"))
    header = json.dumps({"inputs": [{"name": "x", "shape": [n, 10], "datatype": "FP64", "parameters": {"binary_data_size": 8 * len(flat)}}],
                         "outputs": [{"name": "prediction", "parameters": {"binary_data": True}}]}).encode()
    open(f"{work}/{name}-v2.bin", "wb").write(header + struct.pack(f"<{len(flat)}d", *flat))
    open(f"{work}/{name}-v2.bin.len", "w").write(str(len(header)))
    json.dump({"dataframe_split": {"columns": cols, "data": chosen}}, open(f"{work}/{name}-split.json", "w"))
PY

start() { # name port ready-path command
  local name=$1 port=$2 ready=$3
  # Own process group (setsid), so stopping it also stops what it spawned (MLServer's workers).
  PATH="$venv/bin:$PATH" setsid bash -c "exec $4" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1200); do curl -sf -o /dev/null "http://127.0.0.1:$port$ready" && return 0; sleep 0.05; done
  echo "$name did not become ready:" >&2; tail -20 "$work/$name.log" >&2; exit 1
}
start limit 8090 / "node bench/serving/limit-server.mjs 8090"
start wharf 8095 /v2/health/ready "node bin/wharf.js serve --model-uri $work/wharf-model --model-name diabetes --port 8095"
start mlserver 8096 /v2/health/ready "$venv/bin/mlserver start $work/mlserver"

: >"$work/results.jsonl"
bench() { # label url connections body [binary header length]
  local out
  WRK_BODY=$4 WRK_HEADER_LENGTH=${5:-} wrk -t1 -c"$3" -d"$warmup" --timeout 10s -s bench/serving/post.lua "$2" >/dev/null 2>&1 || true
  out=$(env WRK_BODY="$4" ${5:+WRK_HEADER_LENGTH=$5} wrk -t1 -c"$3" -d"$duration" --timeout 10s -s bench/serving/post.lua "$2" | grep '^WRK_JSON' | sed 's/^WRK_JSON //' || true)
  [ -n "$out" ] || out='{"rps": 0, "p50_ms": 0, "p99_ms": 0, "requests": 0, "errors": -1}'
  echo "{\"label\": \"$1\", \"connections\": $3, \"result\": $out}" >>"$work/results.jsonl"
}
w=http://127.0.0.1:8095
m=http://127.0.0.1:8096/v2/models/diabetes/infer
# Every server answers the first row the same (checked before measuring).
curl -s --data-binary @"$work/single-v2.json" -H 'content-type: application/json' "$m" >"$work/answer-mlserver.json"
curl -s --data-binary @"$work/single-v2.json" -H 'content-type: application/json' "$w/v2/models/diabetes/infer" >"$work/answer-wharf.json"
bench "limit" http://127.0.0.1:8090/ 32 "$work/single-v2.json"
bench "wharf /invocations" "$w/invocations" 32 "$work/single-split.json"
bench "wharf V2 JSON" "$w/v2/models/diabetes/infer" 32 "$work/single-v2.json"
bench "wharf V2 binary" "$w/v2/models/diabetes/infer" 32 "$work/single-v2.bin" "$(cat "$work/single-v2.bin.len")"
bench "MLServer V2 JSON" "$m" 32 "$work/single-v2.json"
bench "wharf /invocations, 1,000 rows" "$w/invocations" 8 "$work/batch-split.json"
bench "wharf V2 binary, 1,000 rows" "$w/v2/models/diabetes/infer" 8 "$work/batch-v2.bin" "$(cat "$work/batch-v2.bin.len")"
bench "MLServer V2 JSON, 1,000 rows" "$m" 8 "$work/batch-v2.json"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" - "$work" "$duration" "$warmup" "$load_before" "$load_after" >bench/results/serving-v2.md <<'PY'
import json, sys
work, duration, warmup, before, after = sys.argv[1:]
results = [json.loads(l) for l in open(f"{work}/results.jsonl")]
rps = {r["label"]: r["result"]["rps"] for r in results}
def answer(name):
    outs = json.load(open(f"{work}/answer-{name}.json"))["outputs"]
    return outs[0]["data"]
print("# KServe V2 serving benchmark (bench/serving/v2.sh)\n")
print(f"- One run, every server started by the script; wrk -t1, {duration} per row after {warmup} of the same load unrecorded.")
print(f"- Load average before / after: {before} / {after} (a busy machine lowers every figure; compare within the table).")
print(f"- First-row answers: wharf {answer('wharf')}, MLServer {answer('mlserver')}.\n")
print("| load | connections | requests/s | rows/s | p50 ms | p99 ms | errors | × MLServer |")
print("|---|---|---|---|---|---|---|---|")
for r in results:
    res, label = r["result"], r["label"]
    rows = 1000 if "1,000" in label else 1
    ref = "MLServer V2 JSON, 1,000 rows" if rows == 1000 else "MLServer V2 JSON"
    ratio = f"{res['rps'] / rps[ref]:.1f}" if rps.get(ref) and label != "limit" else ""
    print(f"| {label} | {r['connections']} | {res['rps']:,.0f} | {res['rps'] * rows:,.0f} | {res['p50_ms']:.2f} | {res['p99_ms']:.2f} | {res['errors']} | {ratio} |")
PY
cat bench/results/serving-v2.md
