#!/usr/bin/env bash
# Instructions per request of each `wharf serve` protocol, counted by valgrind (callgrind): a figure that
# moves far less with the host's load than requests/s, which on a shared 2-core machine swing by more
# than the 10 % that separates protocols. Compare protocols within one run: the absolute counts of runs
# hours apart differed by up to 30 % for the same code (/invocations 82.5k, then 107k).
# `wharf serve` runs under callgrind (--separate-threads=yes), wrk loads one
# protocol at a time with one-row requests at 32 connections (the slowed server is saturated, as in
# bench/serving/v2.sh), and the counters are zeroed before and dumped after each run
# (callgrind_control -z / --dump). The main thread's instructions divided by the requests answered is
# the cost of a request in the event loop, which is what bounds a saturated server's throughput;
# all threads' (ONNX Runtime's, libuv's) are reported beside it.
# Usage: bash bench/serving/instructions.sh   (ROUNDS=3 DURATION=20s PROTOCOLS=all OUT=...); writes
# bench/results/serving-instructions.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-3}
duration=${DURATION:-20s}
out_md=${OUT:-bench/results/serving-instructions.md}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f dist/wharf.mjs ] || npm run build
work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

node bin/wharf.js train --data data/diabetes.csv --target progression --model elasticnet --output "$work/model" >/dev/null 2>"$work/train.log"
# One-row bodies: the same first row of the training data in every protocol.
python3 - "$work" <<'PY'
import csv, json, struct, sys
work = sys.argv[1]
rows = list(csv.reader(open("data/diabetes.csv")))
cols, row = rows[0][:-1], [float(v) for v in rows[1][:-1]]
json.dump({"dataframe_split": {"columns": cols, "data": [row]}}, open(f"{work}/invocations.json", "w"))
json.dump({"inputs": [{"name": "x", "shape": [1, 10], "datatype": "FP64", "data": row}]}, open(f"{work}/v2-json.json", "w"))
header = json.dumps({"inputs": [{"name": "x", "shape": [1, 10], "datatype": "FP64", "parameters": {"binary_data_size": 80}}],
                     "outputs": [{"name": "prediction", "parameters": {"binary_data": True}}]}).encode()
open(f"{work}/v2-binary.json", "wb").write(header + struct.pack("<10d", *row))
open(f"{work}/v2-binary.len", "w").write(str(len(header)))
json.dump({"instances": [row]}, open(f"{work}/v1.json", "w"))
json.dump({"data": [row]}, open(f"{work}/score.json", "w"))
PY
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/cg"
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg/out.%p" \
  node bin/wharf.js serve --model-uri "$work/model" --model-name diabetes --port "$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do curl -sf -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$port/v2/health/ready" || { tail -20 "$work/serve.log" >&2; exit 1; }

w=http://127.0.0.1:$port
url_of() {
  case $1 in
    /invocations) echo "$w/invocations" ;;
    "V2 JSON" | "V2 binary") echo "$w/v2/models/diabetes/infer" ;;
    V1) echo "$w/v1/models/diabetes:predict" ;;
    /score) echo "$w/score" ;;
  esac
}
body_of() {
  case $1 in
    /invocations) echo invocations ;; "V2 JSON") echo v2-json ;; "V2 binary") echo v2-binary ;; V1) echo v1 ;; /score) echo score ;;
  esac
}
load() { # protocol seconds
  local body header=
  body=$(body_of "$1")
  [ "$1" != "V2 binary" ] || header=$(cat "$work/v2-binary.len")
  env WRK_BODY="$work/$body.json" ${header:+WRK_HEADER_LENGTH=$header} wrk -t1 -c32 -d"$2" --timeout 60s -s bench/serving/post.lua "$(url_of "$1")" |
    grep '^WRK_JSON' | sed 's/^WRK_JSON //'
}
total_of() { grep -m1 -E '^(summary|totals):' "$1" | awk '{print $2}'; }
protocols=("/invocations" "V2 JSON" "V2 binary" "V1" "/score")
# PROTOCOLS='/invocations,V2 JSON' counts only those (the first must be /invocations, the baseline).
[ -z "${PROTOCOLS:-}" ] || IFS=, read -r -a protocols <<<"$PROTOCOLS"
# Warm-up: every protocol for the rounds' duration, twice, so the JIT has compiled each path before
# anything is counted (under callgrind its compiler threads run slowly; a 10 s warm-up left the
# first counted round 10-20 % above the next ones).
for _ in 1 2; do for p in "${protocols[@]}"; do load "$p" "$duration" >/dev/null; done; done
: >"$work/results.jsonl"
for round in $(seq "$rounds"); do
  for p in "${protocols[@]}"; do
    rm -f "$work"/cg/out."$pid".*
    callgrind_control -z "$pid" >/dev/null
    result=$(load "$p" "$duration")
    callgrind_control --dump="round$round" "$pid" >/dev/null
    sleep 1
    main=0 all=0
    for f in "$work"/cg/out."$pid".*; do
      n=$(total_of "$f")
      all=$((all + n))
      # Thread 1 is the main thread: the event loop, the HTTP parser and every handler.
      [[ $f != *-01 ]] || main=$((main + n))
    done
    echo "{\"round\": $round, \"protocol\": \"$p\", \"main\": $main, \"all\": $all, \"wrk\": $result}" >>"$work/results.jsonl"
  done
done

python3 - "$work/results.jsonl" "$rounds" "$duration" "$(git rev-parse --short HEAD)" >"$out_md" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rounds, duration, commit = sys.argv[2], sys.argv[3], sys.argv[4]
protocols = list(dict.fromkeys(r["protocol"] for r in rows))
def per_request(r, key):
    # wrk counts the requests it completed; the server answered those and at most the 32 in flight.
    return r[key] / r["wrk"]["requests"]
med = {p: {k: statistics.median(per_request(r, k) for r in rows if r["protocol"] == p) for k in ("main", "all")} for p in protocols}
base = med["/invocations"]["main"]
print("# Serving: instructions per request (callgrind)\n")
print(f"`bash bench/serving/instructions.sh` at {commit}: {rounds} rounds of {duration} per protocol, one-row requests of the")
print("diabetes elastic net at 32 connections (wrk -t1) against `wharf serve` under `valgrind --tool=callgrind")
print("--separate-threads=yes`; medians over the rounds. The main thread runs node's HTTP code and every")
print("handler: its instructions per request bound a saturated server's throughput; compare them within")
print("the run (rounds agree within a few %, runs hours apart differed by up to 30 % for the same code).\n")
print("| protocol | main thread, instructions/request | vs /invocations | all threads | rounds (main) |")
print("|---|---:|---:|---:|---|")
for p in protocols:
    each = ", ".join(f"{per_request(r, 'main') / 1000:.1f}k" for r in rows if r["protocol"] == p)
    print(f"| {p} | {med[p]['main'] / 1000:.1f}k | {med[p]['main'] / base:.3f} | {med[p]['all'] / 1000:.1f}k | {each} |")
PY
cat "$out_md"
