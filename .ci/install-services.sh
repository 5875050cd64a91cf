#!/usr/bin/env bash
# Services the store tests start themselves (scripts/services/): PostgreSQL from Debian's package.
# Idempotent; under CI the suites fail rather than skip when it is missing.
set -euo pipefail
if ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Only the server binaries are needed: the tests run initdb/pg_ctl themselves, in a temp dir.
  apt-get install -y -qq postgresql >/dev/null
  # The package starts a system cluster; the tests never use it.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h | while read -r version name _; do pg_ctlcluster "$version" "$name" stop || true; done
  fi
fi
echo "PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
