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

# shellcheck source=service-lib.sh
source "$here/service-lib.sh"

case $cmd in
  start)
    [[ -n $dir ]] || { echo "usage: s3.sh start DIR" >&2; exit 2; }
    bin=$(bash "$here/build-versitygw.sh")
    # versitygw keeps metadata in extended attributes: DIR must be on a filesystem with xattrs (/tmp has them).
    mkdir -p "$dir/data"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/secret"
    launch() { exec "$bin" --access wharf-test --secret "$(cat "$dir/secret")" --port "127.0.0.1:$1" posix "$dir/data"; }
    endpoint() { echo "http://127.0.0.1:$1"; }
    start_on_free_port "$dir" versitygw.log launch endpoint
    ;;
  stop)
    stop_service s3.sh "$dir"
    ;;
  *)
    echo "usage: s3.sh start DIR|stop DIR" >&2
    exit 2
    ;;
esac
