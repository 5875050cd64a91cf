#!/usr/bin/env bash
# Cost of sampling gRPC calls for monitoring (docs/monitoring.md, "Where requests are taken"), one
# command, one run: one `wharf server` deploys the diabetes elastic net to two local environments with
# `grpc: true` that differ only in monitoring: `off` (none: the endpoint's gRPC port is a TCP pipe to
# the serving process) and `log10` (prediction logging at 10 %: the same pipe, its HTTP/2 frames read
# beside it to sample ModelInfer calls). ghz sends single-row ModelInfer calls (typed fp64_contents, 32 concurrent
# calls on one connection) to each endpoint's gRPC port in turn, the order rotating every round. The
# report gives each one's median throughput and p99, and log10's ratio to off: the median over
# rounds of the ratio within each round.
# Usage: bash bench/monitoring/grpc.sh   (ROUNDS=5 DURATION=10s WARMUP=2s)
# Writes bench/results/monitoring-grpc.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
venv="$HOME/.cache/wharf/bench-mlserver-$(sha256sum bench/serving/requirements-mlserver.txt | cut -c1-16)"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/serving/requirements-mlserver.txt && touch "$venv/.complete"
fi
py="$venv/bin/python"
ghz=$(bash bench/serving/ghz.sh)
[ -f dist/wharf.mjs ] || npm run build
work=$(mktemp -d)
server_pid=
export WHARF_TRACKING_URI=
cleanup() {
  if [ -n "$server_pid" ]; then
    # Serving processes outlive a stopped server (it adopts them on restart): undeploy first.
    for env in off log10; do
      curl -s -o /dev/null -X POST -H 'content-type: application/json' -d "{\"model_name\": \"diabetes\", \"environment\": \"$env\"}" \
        "$WHARF_TRACKING_URI/api/2.0/wharf/deployments/undeploy" || true
    done
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# ghz needs the service's descriptors: MLServer's compiled dataplane.proto (the same service).
"$py" - "$work/dataplane.protoset" <<'PY'
import sys
from google.protobuf import descriptor_pb2
from mlserver.grpc import dataplane_pb2
files = descriptor_pb2.FileDescriptorSet()
dataplane_pb2.DESCRIPTOR.CopyToProto(files.file.add())
open(sys.argv[1], "wb").write(files.SerializeToString())
PY
cat >"$work/wharf.yaml" <<'YAML'
environments:
  off: { target: local, authMode: none, grpc: true }
  log10:
    target: local
    authMode: none
    grpc: true
    monitoring:
      logPredictions: { sampleRate: 0.1, retentionDays: 1 }
YAML
WHARF_PROJECT_FILE="$work/wharf.yaml" node bin/wharf.js server --port 0 --log-level warn \
  --backend-store-uri "sqlite:///$work/wharf.db" --artifacts-destination "$work/artifacts" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do
  WHARF_TRACKING_URI=$(grep -so 'tracking server at http://[^ ]*' "$work/server.log" | sed 's/tracking server at //' || true)
  [ -n "$WHARF_TRACKING_URI" ] && break
  sleep 0.1
done
[ -n "$WHARF_TRACKING_URI" ] || { cat "$work/server.log" >&2; exit 1; }
node bin/wharf.js train --data data/diabetes.csv --target progression --model elasticnet --register diabetes >/dev/null 2>"$work/train.log"
declare -A grpc_url
for env in off log10; do
  node bin/wharf.js deploy diabetes --version 1 --env "$env" >/dev/null
  grpc_url[$env]=$(curl -s "$WHARF_TRACKING_URI/api/2.0/wharf/deployments/list?environment=$env" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["endpoints"][0]["grpc_url"])')
done
row=$(head -2 data/diabetes.csv | tail -1 | cut -d, -f1-10)
body="{\"model_name\": \"diabetes\", \"inputs\": [{\"name\": \"x\", \"datatype\": \"FP64\", \"shape\": [1, 10], \"contents\": {\"fp64_contents\": [$row]}}]}"
: >"$work/results.jsonl"
for round in $(seq "$rounds"); do
  order=(off log10)
  [ $((round % 2)) -eq 0 ] && order=(log10 off)
  for env in "${order[@]}"; do
    "$ghz" --insecure --protoset "$work/dataplane.protoset" --call inference.GRPCInferenceService/ModelInfer -d "$body" -c 32 -z "$warmup" "${grpc_url[$env]}" >/dev/null 2>&1 || true
    # CPU time of the server (its gRPC pass-through and monitoring) and its serving processes over the
    # measurement: the cost per call, which other jobs' load moves far less than throughput.
    cpu_before=$(python3 bench/tracking/proc_cpu.py "$server_pid")
    "$ghz" --insecure --protoset "$work/dataplane.protoset" --call inference.GRPCInferenceService/ModelInfer -d "$body" -c 32 -z "$duration" -O json "${grpc_url[$env]}" >"$work/ghz.json" 2>/dev/null || true
    cpu_ms=$(($(python3 bench/tracking/proc_cpu.py "$server_pid") - cpu_before))
    "$py" bench/serving/ghz_summary.py "$env" 32 "$work/ghz.json" | sed "s/^{/{\"round\": $round, \"cpu_ms\": $cpu_ms, /" >>"$work/results.jsonl"
  done
done
# The sampler's own work per call, in process, on the bytes of real calls (grpc-sampler-cost.mjs).
node bench/monitoring/grpc-sampler-cost.mjs 4000 >"$work/sampler.json"
logged=$(find "$work/artifacts/monitoring/predictions" -name '*.jsonl.gz' -exec zcat {} + 2>/dev/null | wc -l)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" - "$work/results.jsonl" "$load_before" "$load_after" "$rounds" "$duration" "$logged" "$work/sampler.json" >bench/results/monitoring-grpc.md <<'PY'
import datetime, json, statistics, sys
path, load_before, load_after, rounds, duration, logged, sampler_path = sys.argv[1:]
sampler = json.load(open(sampler_path))
rows = [json.loads(l) for l in open(path)]
by = {}
for r in rows: by.setdefault(r["label"], []).append(r)
ratios = []
for n in sorted({r["round"] for r in rows}):
    got = {r["label"]: r["result"]["rps"] for r in rows if r["round"] == n}
    if got.get("off"): ratios.append(got.get("log10", 0) / got["off"])
print("# gRPC ModelInfer with monitoring sampling (bench/monitoring/grpc.sh)\n")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}")
print(f"- load average before / after: {load_before} / {load_after}")
print(f"- command: `bash bench/monitoring/grpc.sh` (ROUNDS={rounds} DURATION={duration}; ghz -c 32, one connection, single-row ModelInfer)")
print(f"- prediction log records written by `log10`: {logged}\n")
print("| endpoint | median calls/s | median p99 ms | errors |")
print("| --- | --- | --- | --- |")
for label in ("off", "log10"):
    rs = by.get(label, [])
    print(f"| {label} | {statistics.median(r['result']['rps'] for r in rs):.0f} | {statistics.median(r['result']['p99_ms'] for r in rs):.2f} | {sum(r['result']['errors'] for r in rs)} |")
print(f"\nlog10 / off throughput, median of per-round ratios: **{statistics.median(ratios):.2f}** (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
cpu = {label: statistics.median(r["cpu_ms"] * 1000 / r["result"]["requests"] for r in by.get(label, []) if r["result"]["requests"]) for label in ("off", "log10")}
cpu_ratios = []
for n in sorted({r["round"] for r in rows}):
    got = {r["label"]: r["cpu_ms"] / r["result"]["requests"] for r in rows if r["round"] == n and r["result"]["requests"]}
    if got.get("off"): cpu_ratios.append(got.get("log10", 0) / got["off"])
print(f"\nCPU time per call (the server, whose pass-through reads and samples the calls, and the serving process; µs,")
print(f"median of rounds): off {cpu['off']:.0f}, log10 {cpu['log10']:.0f}; log10 / off, median of per-round ratios:")
print(f"**{statistics.median(cpu_ratios):.3f}** (rounds: {', '.join(f'{x:.3f}' for x in cpu_ratios)}). CPU per call moves far less")
print("with other jobs' load than throughput does.")
print(f"\nThe sampler's own CPU per call, in process on the bytes of {sampler['calls']} real calls (bench/monitoring/grpc-sampler-cost.mjs:")
print(f"every header block decoded; the sampled calls' DATA kept and decoded into V2 JSON): {sampler['none']['us_per_call']:.1f} µs with")
print(f"nothing sampled, {sampler['sample10']['us_per_call']:.1f} µs at 10 % ({sampler['sample10']['taken_per_replay']:.0f} calls taken a replay):")
print(f"**{100 * sampler['sample10']['us_per_call'] / cpu['off']:.1f} %** of a call's CPU with monitoring off (above). Logging a taken call (parse, gzip,")
print("write) is bench/monitoring/ingest-cost.mjs's figure in monitoring.md (14–21 µs a sampled request, ~2 µs a request at 10 %).")
print("\nBoth pipe TCP to the serving process; `log10` also reads the connection's HTTP/2 frames beside the pipe")
print("(grpc-call-sampler.ts) and samples 10 % of ModelInfer calls into the prediction log. Raw ghz summaries per round:\n")
print("```")
for r in rows: print(json.dumps(r))
print("```")
PY
cat bench/results/monitoring-grpc.md
