#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and local trials (Debian's `postgresql` package).
#   postgres.sh start [DIR]   initdb + start on a free loopback port; prints the connection URL
#   postgres.sh url [DIR]     prints the URL of the running cluster
#   postgres.sh stop [DIR]    stops it and deletes DIR
# DIR defaults to $WHARF_PG_DIR or a new temporary folder (start prints nothing else, so
# `url=$(postgres.sh start)` works; the folder is the last path segment of $WHARF_PG_DIR then).
# initdb refuses root, so as root the cluster runs as the `postgres` user. TCP logins need a
# password (scram-sha-256), generated per cluster and kept in DIR/password (mode 600).
set -euo pipefail

cmd=${1:-}
dir=${2:-${WHARF_PG_DIR:-}}

pgbin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -z $bin ]]; then
    echo "postgres.sh: PostgreSQL is not installed (apt-get install -y postgresql)" >&2
    exit 3
  fi
  echo "$bin"
}

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url_of() {
  echo "postgresql://wharf:$(cat "$1/password")@127.0.0.1:$(cat "$1/port")/postgres"
}

# shellcheck source=service-lib.sh
source "$(dirname "$0")/service-lib.sh"

case $cmd in
  start)
    bin=$(pgbin)
    if [[ -z $dir ]]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-pg.XXXXXX"); fi
    mkdir -p "$dir/sock"
    umask 077
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
    [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U wharf --pwfile="$dir/password" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A port taken between free_port and the start is retried with another one.
    for _ in 1 2 3 4 5; do
      port=$(free_port)
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
        echo "$port" >"$dir/port"
        [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir/port"
        chmod 644 "$dir/port"
        url_of "$dir"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  url)
    [[ -n $dir && -f $dir/port ]] || { echo "postgres.sh: no cluster in '${dir}'" >&2; exit 1; }
    url_of "$dir"
    ;;
  stop)
    [[ -n $dir && -d $dir ]] || { echo "postgres.sh: no cluster in '${dir}'" >&2; exit 1; }
    bin=$(pgbin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start|url|stop [DIR]" >&2
    exit 2
    ;;
esac
