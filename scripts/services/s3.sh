#!/usr/bin/env bash
# An S3 server for tests and local trials: versitygw (Apache-2.0) over a local folder.
#   s3.sh start DIR   starts it on a free loopback port with data in DIR; prints its endpoint URL
#   s3.sh stop DIR    stops it and deletes DIR
# Credentials: access key `wharf-test`, secret in DIR/secret (generated per start).
# The binary is built once from its Go module by build-versitygw.sh (cached in ~/.cache/wharf).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
here=$(cd "$(dirname "$0")" && pwd)

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

case $cmd in
  start)
    [[ -n $dir ]] || { echo "usage: s3.sh start DIR" >&2; exit 2; }
    bin=$(bash "$here/build-versitygw.sh")
    # versitygw keeps metadata in extended attributes: DIR must be on a filesystem with xattrs (/tmp has them).
    mkdir -p "$dir/data"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/secret"
    for _ in 1 2 3 4 5; do
      port=$(free_port)
      "$bin" --access wharf-test --secret "$(cat "$dir/secret")" --port "127.0.0.1:$port" posix "$dir/data" >"$dir/versitygw.log" 2>&1 &
      echo $! >"$dir/pid"
      for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
          echo "http://127.0.0.1:$port"
          exit 0
        fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
        sleep 0.1
      done
      kill "$(cat "$dir/pid")" 2>/dev/null || true
    done
    cat "$dir/versitygw.log" >&2
    exit 1
    ;;
  stop)
    [[ -n $dir && -f $dir/pid ]] || { echo "s3.sh: nothing running in '${dir}'" >&2; exit 1; }
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: s3.sh start DIR|stop DIR" >&2
    exit 2
    ;;
esac
