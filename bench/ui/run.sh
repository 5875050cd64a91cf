#!/usr/bin/env bash
# Web UI benchmark (docs/performance.md rules: one run, both measured by this script, ratios reported):
# wharf's UI against MLflow's (`mlflow server` from PyPI) on the same data in headless Chromium.
# Times to a rendered runs table (10,000 runs; 10,000 runs over 5,000 metric keys), to 200 runs'
# overlaid curves, to a drawn 1,000,000-point history, and frame times while zooming that chart.
# Usage: bash bench/ui/run.sh [ROUNDS]   (needs npm install, Chromium; creates bench/.venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
venv=${WHARF_BENCH_VENV:-bench/.venv}
chromium=${WHARF_CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "bench/ui needs Chromium at $chromium (apt-get install -y chromium)" >&2; exit 1; }
if [ ! -x "$venv/bin/mlflow" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'mlflow>=3,<4'
fi
[ -f dist/ui-app/index.html ] || npm run build

work=$(mktemp -d)
pids=()
# Each server runs in its own process group (setsid), so stopping it also stops its workers.
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { # url seconds
  for _ in $(seq 1 $(($2 * 10))); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$1 did not come up in $2 s" >&2; return 1
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

load_start=$(load)
wharf_port=$(free_port)
setsid node bin/wharf.js server --port "$wharf_port" --log-level warn --backend-store-uri "sqlite:///$work/wharf.db" \
  --artifacts-destination "$work/wharf-art" >"$work/wharf.log" 2>&1 &
pids+=($!)
wharf_url=http://127.0.0.1:$wharf_port
wait_up "$wharf_url" 30

echo "== seeding wharf (REST API)"
seed_start=$(date +%s)
node bench/ui/seed-wharf.mjs "$wharf_url" > "$work/ids.json"
echo "== copying the same rows into an MLflow database"
"$venv/bin/python" bench/ui/copy_to_mlflow.py "$work/wharf.db" "$work/mlflow.db" "$work/mlflow-art" > "$work/id-map.json"
seed_s=$(( $(date +%s) - seed_start ))
node -e '
  const fs = require("fs")
  const ids = JSON.parse(fs.readFileSync(process.argv[1])), map = JSON.parse(fs.readFileSync(process.argv[2]))
  for (const k of ["runs10k", "keys5k", "compare", "history"]) ids[k] = map[ids[k]]
  fs.writeFileSync(process.argv[3], JSON.stringify(ids))' "$work/ids.json" "$work/id-map.json" "$work/mlflow-ids.json"

mlflow_port=$(free_port)
setsid "$venv/bin/mlflow" server --host 127.0.0.1 --port "$mlflow_port" --backend-store-uri "sqlite:///$work/mlflow.db" \
  --artifacts-destination "$work/mlflow-art" >"$work/mlflow.log" 2>&1 &
pids+=($!)
mlflow_url=http://127.0.0.1:$mlflow_port
wait_up "$mlflow_url" 600

echo "== measuring wharf"
node bench/ui/measure.mjs wharf "$wharf_url" "$work/ids.json" "$rounds" > "$work/wharf.json"
echo "== measuring mlflow"
node bench/ui/measure.mjs mlflow "$mlflow_url" "$work/mlflow-ids.json" "$rounds" > "$work/mlflow.json"

node bench/ui/report.mjs "$work/wharf.json" "$work/mlflow.json" "$rounds" "$seed_s" "$load_start" "$(load)" \
  "$("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)')" "$("$chromium" --version)" "$(git rev-parse --short HEAD)" > bench/results/ui.md
# The raw figures, every round, beside the summary.
node -e 'const fs = require("fs"); fs.writeFileSync("bench/results/ui.json", JSON.stringify({ wharf: JSON.parse(fs.readFileSync(process.argv[1])), mlflow: JSON.parse(fs.readFileSync(process.argv[2])) }, null, 1) + "\n")' "$work/wharf.json" "$work/mlflow.json"
cat bench/results/ui.md
