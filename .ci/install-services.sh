#!/usr/bin/env bash
# Services the store tests start themselves (scripts/services/): PostgreSQL from Debian's package,
# versitygw (S3) built from Go, Azurite (Azure Blob) from npm.
# Idempotent; under CI the suites fail rather than skip when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
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

# The S3 server of the object-store tests: versitygw built from its Go module (~2 min cold, cached
# in ~/.cache/wharf/versitygw-<version>), and Azurite for Azure Blob (npm, ~30 s cold, cached in
# ~/.cache/wharf/azurite-<version>). The tests would build/install them too; this shows the time.
bash scripts/services/build-versitygw.sh
bash scripts/services/azurite.sh install
