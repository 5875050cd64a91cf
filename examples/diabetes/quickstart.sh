#!/bin/sh
# The Wharf quickstart: start a wharf server (unless one answers already), run the diabetes pipeline
# (train → register → deploy to staging → test → gate → promote to production), and print the
# production endpoint with a curl line that gets a prediction from it.
#
#   examples/diabetes/quickstart.sh                 # defaults: http://127.0.0.1:5000, data in ./wharf-data
#   examples/diabetes/quickstart.sh --var alpha=10  # extra arguments go to `wharf pipeline run`
#
# WHARF_TRACKING_URI picks the server; WHARF_QUICKSTART_DIR where a server started here keeps its data;
# WHARF_QUICKSTART_FILE the pipeline file (default wharf.yaml here; kubernetes.sh passes wharf.kubernetes.yaml).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wharf() { node "$root/bin/wharf.js" "$@"; }

export WHARF_TRACKING_URI="${WHARF_TRACKING_URI:-http://127.0.0.1:5000}"
data_dir="${WHARF_QUICKSTART_DIR:-$PWD/wharf-data}"
file="$here/${WHARF_QUICKSTART_FILE:-wharf.yaml}"

is_up() { node -e "fetch(process.argv[1] + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$WHARF_TRACKING_URI"; }

if is_up; then
  echo "using the wharf server at $WHARF_TRACKING_URI"
else
  host=$(node -e "console.log(new URL(process.argv[1]).hostname)" "$WHARF_TRACKING_URI")
  port=$(node -e "const u = new URL(process.argv[1]); console.log(u.port || 80)" "$WHARF_TRACKING_URI")
  mkdir -p "$data_dir"
  echo "starting a wharf server at $WHARF_TRACKING_URI (data in $data_dir, log in $data_dir/server.log)"
  WHARF_PROJECT_FILE="$file" nohup node "$root/bin/wharf.js" server --host "$host" --port "$port" \
    --backend-store-uri "sqlite:///$data_dir/wharf.db" --artifacts-destination "$data_dir/artifacts" \
    >"$data_dir/server.log" 2>&1 &
  echo $! >"$data_dir/server.pid"
  tries=0
  until is_up; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then echo "the server did not start; see $data_dir/server.log" >&2; exit 1; fi
    sleep 0.1
  done
fi

wharf pipeline run "$file" "$@"

url=$(wharf deployments production --model diabetes --json | node -e "
  let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => {
    const e = JSON.parse(s).endpoints.find((x) => x.model_name === 'diabetes')
    if (!e || !e.url) process.exit(1)
    console.log(e.url)
  })")
key=$(wharf endpoint keys show diabetes --env production --json | node -e "
  let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(JSON.parse(s).primary_key))")
row='{"dataframe_split": {"columns": ["age","sex","bmi","bp","s1","s2","s3","s4","s5","s6"], "data": [[0.0381,0.0507,0.0617,0.0219,-0.0442,-0.0348,-0.0434,-0.0026,0.0199,-0.0176]]}}'
echo
echo "production endpoint: $url/invocations"
echo "try it:"
echo "  curl -s -X POST $url/invocations -H 'Authorization: Bearer $key' -H 'Content-Type: application/json' -d '$row'"
echo "(keys: wharf endpoint keys show diabetes --env production)"
