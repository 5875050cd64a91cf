#!/usr/bin/env bash
# KServe V2 benchmark, all servers started here in one run: `wharf serve` (V2 JSON, V2 binary tensors,
# V1, /score, /invocations for reference; KServe V2 gRPC with --grpc-port) and MLServer from PyPI
# (mlserver + mlserver-sklearn, V2 JSON and V2 gRPC) and `mlflow models serve` (/invocations, the
# model logged with the sklearn flavor) on the same diabetes elastic net, beside the bare node:http limit.
# Load: wrk -t1 -c32 one-row requests; -c8 with 1,000-row requests (rows/s); gRPC ModelInfer with
# typed fp64_contents by ghz (bench/serving/ghz.sh builds it), 32 concurrent calls on one connection.
# Each row's requests/s is compared with /invocations' run of the same round (the median of those
# ratios), and the wharf server's CPU time per request is read from /proc around each run.
# Usage: bash bench/serving/v2.sh   (ROUNDS=3 DURATION=10s WARMUP=2s; the MLServer venv is cached in
# ~/.cache/wharf/bench-mlserver-<hash of requirements-mlserver.txt>). Writes bench/results/serving-v2.md
# and every run's figures to bench/results/serving-v2.jsonl.
# ROWS=REGEX runs only the rows whose label matches (bash =~), still interleaved round by round, e.g.
# ROWS='^wharf (/invocations|V2 JSON|V2 binary)$' OUT=bench/results/x.md compares the three in one run;
# MLServer and `mlflow models serve` are started only when one of their rows is chosen; the latter
# runs from WHARF_BENCH_VENV (default bench/.venv, made as bench/serving/run.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
rows_re=${ROWS:-.}
out_md=${OUT:-bench/results/serving-v2.md}
wanted() { [[ $1 =~ $rows_re ]]; }
with_mlserver=false
for label in "MLServer V2 JSON" "MLServer gRPC" "MLServer V2 JSON, 1,000 rows"; do wanted "$label" && with_mlserver=true; done
with_mlflow=false
wanted "mlflow models serve /invocations" && with_mlflow=true
mlflow_venv=${WHARF_BENCH_VENV:-bench/.venv}
if $with_mlflow && [ ! -x "$mlflow_venv/bin/mlflow" ]; then
  python3 -m venv "$mlflow_venv"
  "$mlflow_venv/bin/pip" install -q 'mlflow>=3,<4' scikit-learn flask gunicorn pandas
fi
venv="$HOME/.cache/wharf/bench-mlserver-$(sha256sum bench/serving/requirements-mlserver.txt | cut -c1-16)"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/serving/requirements-mlserver.txt && touch "$venv/.complete"
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
ghz=$(bash bench/serving/ghz.sh)
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
# Free loopback ports, so the run does not collide with anything else on the machine.
read -r p_limit p_wharf p_wharf_grpc p_ml p_ml_grpc p_ml_metrics p_mlflow < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
echo "{\"http_port\": $p_ml, \"grpc_port\": $p_ml_grpc, \"metrics_port\": $p_ml_metrics, \"host\": \"127.0.0.1\"}" >"$work/mlserver/settings.json"
# ghz needs the service's descriptors: MLServer's compiled dataplane.proto (package inference, the
# Open Inference Protocol's GRPCInferenceService, which `wharf serve --grpc-port` implements too).
"$py" - "$work/dataplane.protoset" <<'PY'
import sys
from google.protobuf import descriptor_pb2
from mlserver.grpc import dataplane_pb2
files = descriptor_pb2.FileDescriptorSet()
dataplane_pb2.DESCRIPTOR.CopyToProto(files.file.add())
open(sys.argv[1], "wb").write(files.SerializeToString())
PY
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
    json.dump({"instances": chosen}, open(f"{work}/{name}-v1.json", "w"))
    json.dump({"data": chosen}, open(f"{work}/{name}-score.json", "w"))
    json.dump({"model_name": "diabetes", "inputs": [{"name": "x", "shape": [n, 10], "datatype": "FP64", "contents": {"fp64_contents": flat}}]},
              open(f"{work}/{name}-grpc.json", "w"))
PY

start() { # name port ready-path command [venv whose bin goes first on PATH; default MLServer's]
  local name=$1 port=$2 ready=$3 bin=${5:-$venv}/bin
  # Own process group (setsid), so stopping it also stops what it spawned (MLServer's workers).
  PATH="$bin:$PATH" setsid bash -c "exec $4" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1200); do curl -sf -o /dev/null "http://127.0.0.1:$port$ready" && return 0; sleep 0.05; done
  echo "$name did not become ready:" >&2; tail -20 "$work/$name.log" >&2; exit 1
}
start limit "$p_limit" / "node bench/serving/limit-server.mjs $p_limit"
start wharf "$p_wharf" /v2/health/ready "node bin/wharf.js serve --model-uri $work/wharf-model --model-name diabetes --port $p_wharf --grpc-port $p_wharf_grpc"
wharf_pid=${pids[-1]} # bash exec'd node: this is the server itself
# The server's CPU time (user + system, clock ticks) so far: per row, its CPU per request, a figure
# that moves less with the host's load than requests/s (wrk's own CPU is not in it).
wharf_ticks() { awk '{print $14 + $15}' "/proc/$wharf_pid/stat"; }
ticks_per_second=$(getconf CLK_TCK)
if $with_mlserver; then start mlserver "$p_ml" /v2/health/ready "$venv/bin/mlserver start $work/mlserver"; fi
if $with_mlflow; then
  mlflow_venv=$(cd "$mlflow_venv" && pwd)
  "$mlflow_venv/bin/python" bench/serving/make_sklearn_model.py "$work/wharf-model" "$work/sk-model" >/dev/null 2>"$work/sk.log"
  # Its venv's bin first on PATH: `mlflow models serve` runs `uvicorn` from there.
  start mlflow "$p_mlflow" /ping "$mlflow_venv/bin/mlflow models serve -m $work/sk-model -p $p_mlflow -h 127.0.0.1 --env-manager local" "$mlflow_venv"
fi

: >"$work/results.jsonl"
bench() { # label url connections body [binary header length]
  local out
  wanted "$1" || return 0
  WRK_BODY=$4 WRK_HEADER_LENGTH=${5:-} wrk -t1 -c"$3" -d"$warmup" --timeout 10s -s bench/serving/post.lua "$2" >/dev/null 2>&1 || true
  local before after
  before=$(wharf_ticks)
  out=$(env WRK_BODY="$4" ${5:+WRK_HEADER_LENGTH=$5} wrk -t1 -c"$3" -d"$duration" --timeout 10s -s bench/serving/post.lua "$2" | grep '^WRK_JSON' | sed 's/^WRK_JSON //' || true)
  after=$(wharf_ticks)
  [ -n "$out" ] || out='{"rps": 0, "p50_ms": 0, "p99_ms": 0, "requests": 0, "errors": -1}'
  echo "{\"label\": \"$1\", \"round\": $round, \"connections\": $3, \"wharf_cpu_s\": $(((after - before) * 1000 / ticks_per_second))e-3, \"result\": $out}" >>"$work/results.jsonl"
}
# gRPC: ghz's summary as the same JSON line post.lua prints (latencies in ms). The calls ghz itself
# cuts off when the duration ends are not the server's errors and are left out.
grpc_bench() { # label host:port concurrency body
  wanted "$1" || return 0
  "$ghz" --insecure --protoset "$work/dataplane.protoset" --call inference.GRPCInferenceService/ModelInfer -D "$4" -c "$3" -z "$warmup" "$2" >/dev/null 2>&1 || true
  local before after
  before=$(wharf_ticks)
  "$ghz" --insecure --protoset "$work/dataplane.protoset" --call inference.GRPCInferenceService/ModelInfer -D "$4" -c "$3" -z "$duration" -O json "$2" >"$work/ghz.json" 2>/dev/null || true
  after=$(wharf_ticks)
  "$py" bench/serving/ghz_summary.py "$1" "$3" "$work/ghz.json" "$round" "$(((after - before) * 1000 / ticks_per_second))e-3" >>"$work/results.jsonl"
}
w=http://127.0.0.1:$p_wharf
m=http://127.0.0.1:$p_ml/v2/models/diabetes/infer
# Every server answers the first row the same (checked before measuring).
if $with_mlserver; then curl -s --data-binary @"$work/single-v2.json" -H 'content-type: application/json' "$m" >"$work/answer-mlserver.json"; fi
curl -s --data-binary @"$work/single-v2.json" -H 'content-type: application/json' "$w/v2/models/diabetes/infer" >"$work/answer-wharf.json"
# Rounds (order below); the report gives each row's
# median (a shared machine's load moves between rows of one round, less so between their medians).
row() { # index
  case $1 in
    0) bench "limit" "http://127.0.0.1:$p_limit/" 32 "$work/single-v2.json" ;;
    1) bench "wharf /invocations" "$w/invocations" 32 "$work/single-split.json" ;;
    2) bench "wharf V2 JSON" "$w/v2/models/diabetes/infer" 32 "$work/single-v2.json" ;;
    3) bench "wharf V2 binary" "$w/v2/models/diabetes/infer" 32 "$work/single-v2.bin" "$(cat "$work/single-v2.bin.len")" ;;
    4) bench "wharf V1" "$w/v1/models/diabetes:predict" 32 "$work/single-v1.json" ;;
    5) bench "wharf /score" "$w/score" 32 "$work/single-score.json" ;;
    6) bench "MLServer V2 JSON" "$m" 32 "$work/single-v2.json" ;;
    7) grpc_bench "wharf gRPC" "127.0.0.1:$p_wharf_grpc" 32 "$work/single-grpc.json" ;;
    8) grpc_bench "MLServer gRPC" "127.0.0.1:$p_ml_grpc" 32 "$work/single-grpc.json" ;;
    9) bench "wharf /invocations, 1,000 rows" "$w/invocations" 8 "$work/batch-split.json" ;;
    10) bench "wharf V2 binary, 1,000 rows" "$w/v2/models/diabetes/infer" 8 "$work/batch-v2.bin" "$(cat "$work/batch-v2.bin.len")" ;;
    11) bench "MLServer V2 JSON, 1,000 rows" "$m" 8 "$work/batch-v2.json" ;;
    12) bench "mlflow models serve /invocations" "http://127.0.0.1:$p_mlflow/invocations" 32 "$work/single-split.json" ;;
  esac
}
rows_count=13
# Every row once per round; odd rounds run the list forwards, even rounds backwards, and each round
# starts one row further on: no row always runs first or always right after the same row (on a
# shared host the row after a heavy one reads low).
for round in $(seq "$rounds"); do
  for i in $(seq 0 $((rows_count - 1))); do
    if ((round % 2)); then row $(((i + round - 1) % rows_count)); else row $(((rows_count - 1 - i + round - 1) % rows_count)); fi
  done
done

# Each protocol's own cost per request, in process (no sockets): what separates the protocols.
node bench/serving/handler-cost.mjs "$work/wharf-model" "$work" >"$work/handler-cost.json"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
command="bash bench/serving/v2.sh"
[ -z "${ROWS:-}" ] || command="ROWS='$ROWS' $command"
[ -z "${ROUNDS:-}" ] || command="ROUNDS=$ROUNDS $command"
[ -z "${DURATION:-}" ] || command="${command/bash/DURATION=$DURATION WARMUP=$warmup bash}"
"$py" bench/serving/v2_report.py "$work" "$duration" "$warmup" "$load_before" "$load_after" "$rounds" "$command" >"$out_md"
# Every run of every round beside the report, for other summaries than the medians.
cp "$work/results.jsonl" "${out_md%.md}.jsonl"
cat "$out_md"
