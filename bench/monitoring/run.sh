#!/usr/bin/env bash
# Monitoring overhead benchmark (docs/monitoring.md, issue #18), one command, one run:
# one `wharf server` deploys the diabetes elastic net to three local environments that differ only
# in monitoring: `off` (none), `log10` (prediction logging at 10 % sampling) and `logdrift10`
# (logging and drift at 10 %). wrk -t1 -c32 sends single-row dataframe_split requests to each
# endpoint's router in turn, the order rotating every round; the report gives each one's median
# throughput and p99, and its ratio to `off`: the median over rounds of the ratio within each round
# (the three run back to back, so a change in the machine's load hits a round's three alike); and
# the CPU time per request of the server (router and monitoring) and of the serving process; and
# monitoring's own CPU time per sampled request measured in-process (ingest-cost.mjs), set against
# the CPU time a request costs with monitoring off in the same run.
# Usage: bash bench/monitoring/run.sh   (ROUNDS=5 DURATION=10s WARMUP=2s)
# Writes bench/results/monitoring.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f dist/wharf.mjs ] || npm run build
work=$(mktemp -d)
server_pid=
export WHARF_TRACKING_URI=
cleanup() {
  if [ -n "$server_pid" ]; then
    # Serving processes outlive a stopped server (it adopts them on restart): undeploy first.
    for env in off log10 logdrift10; do
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
# Monitoring's own CPU time per sampled request, in-process (see ingest-cost.mjs).
node bench/monitoring/ingest-cost.mjs 50000 >"$work/ingest.jsonl"

cat >"$work/wharf.yaml" <<'YAML'
environments:
  off: { target: local, authMode: none }
  log10:
    target: local
    authMode: none
    monitoring:
      logPredictions: { sampleRate: 0.1, retentionDays: 1 }
  logdrift10:
    target: local
    authMode: none
    monitoring:
      logPredictions: { sampleRate: 0.1, retentionDays: 1 }
      drift: { sampleRate: 0.1, windowRows: 1000 }
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
export WHARF_TRACKING_URI

node bin/wharf.js train --data data/diabetes.csv --target progression --model elasticnet --register diabetes >/dev/null 2>"$work/train.log"
declare -A urls serve_pids
for env in off log10 logdrift10; do
  node bin/wharf.js deploy diabetes --version 1 --env "$env" >/dev/null
  read -r url pid < <(node bin/wharf.js deployments "$env" --json | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const e=JSON.parse(s).endpoints[0];console.log(e.url, e.instances[0].pid)})')
  urls[$env]=$url
  serve_pids[$env]=$pid
done
# CPU time (user + system, in clock ticks) a process has used so far: the control plane's share of
# each request (router, and monitoring) is less at the mercy of other jobs' load than throughput is.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
node -e '
const fs = require("fs"); const [head, ...lines] = fs.readFileSync("data/diabetes.csv", "utf8").trim().split("\n")
const cols = head.split(",").slice(0, -1)
fs.writeFileSync(process.argv[1], JSON.stringify({ dataframe_split: { columns: cols, data: [lines[0].split(",").slice(0, -1).map(Number)] } }))
' "$work/single.json"

: >"$work/results.jsonl"
order=(off log10 logdrift10)
for round in $(seq 1 "$rounds"); do
  for env in "${order[@]}"; do
    url="${urls[$env]}/invocations"
    WRK_BODY="$work/single.json" wrk -t1 -c32 -d"$warmup" --timeout 10s -s bench/serving/post.lua "$url" >/dev/null 2>&1 || true
    server_before=$(ticks "$server_pid")
    serve_before=$(ticks "${serve_pids[$env]}")
    out=$(WRK_BODY="$work/single.json" wrk -t1 -c32 -d"$duration" --timeout 10s -s bench/serving/post.lua "$url" | grep '^WRK_JSON' | sed 's/^WRK_JSON //' || true)
    server_cpu=$(awk -v a="$(ticks "$server_pid")" -v b="$server_before" -v hz="$hz" 'BEGIN { printf "%.3f", (a - b) / hz }')
    serve_cpu=$(awk -v a="$(ticks "${serve_pids[$env]}")" -v b="$serve_before" -v hz="$hz" 'BEGIN { printf "%.3f", (a - b) / hz }')
    [ -n "$out" ] || out='{"rps": 0, "p50_ms": 0, "p99_ms": 0, "requests": 0, "errors": -1}'
    echo "{\"config\": \"$env\", \"round\": $round, \"server_cpu_s\": $server_cpu, \"serve_cpu_s\": $serve_cpu, \"result\": $out}" >>"$work/results.jsonl"
  done
  order=("${order[@]:1}" "${order[0]}") # rotate, so no configuration always runs first or last
done
sleep 6 # the prediction log writes every 5 s: let the last batch land before it is counted
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
node bench/monitoring/report.mjs "$work/results.jsonl" "$work/artifacts/monitoring/predictions" "$work/ingest.jsonl" "$rounds" "$duration $warmup" "$load_before" "$load_after" >bench/results/monitoring.md
cat bench/results/monitoring.md
