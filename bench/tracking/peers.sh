#!/usr/bin/env bash
# Tracking benchmark against the peers, server side (docs/performance.md): raw REST through wrk at 8
# connections, in ONE run of this script, against five servers it starts itself:
#   wharf server on SQLite and on PostgreSQL, FastTrackML on SQLite and on PostgreSQL, mlflow server (SQLite).
# Workloads: log-metric; log-batch of 1,000 metrics; search-runs with a filter and an order over SEARCH_RUNS
# runs; get-history of a 100,000-point metric (bench/tracking/wrk/*.lua; seeding: seed_rest.py).
# Usage: bash bench/tracking/peers.sh [ROUNDS] [SECONDS] [SEARCH_RUNS] [MLFLOW_SEARCH_RUNS]
# Needs: npm install (dist/), wrk and postgresql (Debian), go; FastTrackML's source as FASTTRACKML_SOURCE
# (install-fasttrackml.sh builds and caches it) or a built binary as FASTTRACKML_BIN; the mlflow venv of
# run.sh (WHARF_BENCH_VENV). Writes the "peers" section of bench/results/tracking.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
rounds=${1:-3}
seconds=${2:-8}
search_runs=${3:-10000}
mlflow_search_runs=${4:-$search_runs}
fml=${FASTTRACKML_BIN:-$(bash bench/tracking/install-fasttrackml.sh)}
command -v wrk >/dev/null || { echo "peers.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 3; }
source scripts/services/service-lib.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-peers.XXXXXX")
chmod 711 "$work" # the PostgreSQL cluster runs as the postgres user inside it
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/services/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# One PostgreSQL cluster, a database of its own for each server.
pg_url=$(bash scripts/services/postgres.sh start "$work/pg")
psql -q "$pg_url" -c 'CREATE DATABASE wharf' -c 'CREATE DATABASE fasttrackml'
pg_base=${pg_url%/postgres}

# PEERS_SERVERS picks a subset for a quick look (then no results file is written, only the raw lines);
# WHARF_BIN runs another build of wharf (e.g. the one before a change) in place of bin/wharf.js.
all_servers="wharf-sqlite fml-sqlite wharf-pg fml-pg mlflow"
read -r -a servers <<<"${PEERS_SERVERS:-$all_servers}"
wharf=${WHARF_BIN:-bin/wharf.js}
venv=${WHARF_BENCH_VENV:-bench/.venv}
py=python3
if [[ " ${servers[*]} " == *" mlflow "* ]]; then
  if [ ! -x "$venv/bin/mlflow" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'mlflow>=3,<4'
  fi
  py="$venv/bin/python"
fi
declare -A port server_pid
start() { # name command...
  local name=$1
  shift
  [[ " ${servers[*]} " == *" $name "* ]] || return 0
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  server_pid[$name]=$!
}
for s in $all_servers; do port[$s]=$(free_port); done
# FastTrackML's SQLite driver is compiled with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 and sets no pragma, so its
# WAL commits run at synchronous=NORMAL (no fsync per commit): wharf runs at the same durability.
start wharf-sqlite node "$wharf" server --port "${port[wharf-sqlite]}" --log-level warn --durability normal \
  --backend-store-uri "sqlite:///$work/wharf.db" --artifacts-destination "$work/wharf-sqlite-art"
start wharf-pg node "$wharf" server --port "${port[wharf-pg]}" --log-level warn \
  --backend-store-uri "$pg_base/wharf" --artifacts-destination "$work/wharf-pg-art"
start fml-sqlite "$fml" server --log-level warn --listen-address "127.0.0.1:${port[fml-sqlite]}" \
  --database-uri "sqlite://$work/fml.db" --default-artifact-root "$work/fml-sqlite-art"
start fml-pg "$fml" server --log-level warn --listen-address "127.0.0.1:${port[fml-pg]}" \
  --database-uri "$pg_base/fasttrackml" --default-artifact-root "$work/fml-pg-art"
start mlflow "$venv/bin/mlflow" server --host 127.0.0.1 --port "${port[mlflow]}" \
  --backend-store-uri "sqlite:///$work/mlflow.db" --artifacts-destination "$work/mlflow-art"
for s in "${servers[@]}"; do
  for _ in $(seq 1200); do curl -sf "http://127.0.0.1:${port[$s]}/health" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:${port[$s]}/health" >/dev/null || { cat "$work/$s.log" >&2; echo "peers.sh: $s did not start" >&2; exit 1; }
done

# Seed all five at once (the slow mlflow server bounds the time), then check each answered in full.
seed_pids=()
for s in "${servers[@]}"; do
  n=$search_runs
  [[ $s == mlflow ]] && n=$mlflow_search_runs
  "$py" bench/tracking/seed_rest.py "http://127.0.0.1:${port[$s]}" "$n" >"$work/$s.seed.json" 2>"$work/$s.seed.err" &
  seed_pids+=($!)
done
for i in "${!seed_pids[@]}"; do
  wait "${seed_pids[$i]}" || { cat "$work/${servers[$i]}.seed.err" >&2; exit 1; }
done

# Rounds interleave the servers, so a change in the machine's load falls on all of them alike.
workloads=(log-metric log-batch search-runs get-history)
duration() { # workload server -> seconds: a 100,000-point history takes seconds a call at 8 connections
  if [[ $1 == get-history ]]; then echo $((seconds * 3)); else echo "$seconds"; fi
}
loads=()
for r in $(seq "$rounds"); do
  loads+=("$(cut -d' ' -f1-3 /proc/loadavg)")
  for w in "${workloads[@]}"; do
    for s in "${servers[@]}"; do
      seed="$work/$s.seed.json"
      # The server's CPU time over the measurement (with PostgreSQL's for the -pg servers): its work per
      # request, which the machine's load does not move as it moves throughput.
      measured=("${server_pid[$s]}")
      [[ $s == *-pg ]] && measured+=("$(head -1 "$work/pg/data/postmaster.pid")")
      cpu_before=$(python3 bench/tracking/proc_cpu.py "${measured[@]}")
      ROUND=$r WRK_DIR="$repo/bench/tracking/wrk" \
        RUN_IDS=$("$py" -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["run_ids"]))' "$seed") \
        SEARCH_EXPERIMENT=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["search_experiment"])' "$seed") \
        HISTORY_RUN=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["history_run"])' "$seed") \
        wrk -t1 -c8 -d"$(duration "$w" "$s")s" --timeout 60s -s "bench/tracking/wrk/$w.lua" "http://127.0.0.1:${port[$s]}" >"$work/wrk.out" ||
        { echo "peers.sh: wrk failed on $s $w round $r" >&2; cat "$work/wrk.out" >&2; tail -20 "$work/$s.log" >&2; exit 1; }
      # Each line also goes to stderr, so a run that stops later still shows what it measured.
      cpu_ms=$(($(python3 bench/tracking/proc_cpu.py "${measured[@]}") - cpu_before))
      echo "{\"round\":$r,\"workload\":\"$w\",\"server\":\"$s\",\"cpu_ms\":$cpu_ms,\"wrk\":$(tail -1 "$work/wrk.out")}" | tee -a "$work/results.jsonl" >&2
    done
  done
done
loads+=("$(cut -d' ' -f1-3 /proc/loadavg)")
if [[ "${servers[*]}" != "$all_servers" ]]; then
  cat "$work/results.jsonl"
  exit 0
fi

# The raw wrk lines stay beside the results, whatever the report makes of them.
cp "$work/results.jsonl" bench/results/tracking-peers.jsonl
command="bash bench/tracking/peers.sh $rounds $seconds $search_runs $mlflow_search_runs"
fml_version=$(cat "$(dirname "$fml")/VERSION" 2>/dev/null || "$fml" --version 2>/dev/null | head -1 || echo unknown)
"$py" bench/tracking/peers_report.py "$work/results.jsonl" "$work" "$command" "$fml_version" "${loads[*]}" \
  "$search_runs" "$mlflow_search_runs" "$(psql -tA "$pg_url" -c 'SHOW server_version')" bench/results/tracking.md
sed -n '/^## Peers/,$p' bench/results/tracking.md
