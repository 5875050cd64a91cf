# Shared by the test services' scripts (s3.sh, azurite.sh, postgres.sh); sourced, not run.

# A port free on loopback now (another process may take it before the server binds: callers retry).
free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# start_on_free_port DIR LOG LAUNCH READY: tries up to five free ports. `LAUNCH PORT` must `exec` the
# server (so that the PID written to DIR/pid is the server's); its output goes to DIR/LOG. Once the
# port answers, `READY PORT` prints what callers connect with. A server that exits, or never answers
# in 10 s, is killed and the next port tried; after five, its log goes to stderr and this fails.
start_on_free_port() {
  local dir=$1 log=$2 launch=$3 ready=$4 port
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    "$launch" "$port" >"$dir/$log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        "$ready" "$port"
        return 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    kill "$(cat "$dir/pid")" 2>/dev/null || true
  done
  cat "$dir/$log" >&2
  return 1
}

# stop_service NAME DIR: stops the server whose PID start_on_free_port wrote, and deletes DIR.
stop_service() {
  local name=$1 dir=$2
  [[ -n $dir && -f $dir/pid ]] || { echo "$name: nothing running in '${dir}'" >&2; return 1; }
  kill "$(cat "$dir/pid")" 2>/dev/null || true
  rm -rf "$dir"
}
