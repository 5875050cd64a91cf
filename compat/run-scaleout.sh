#!/usr/bin/env bash
# The MLflow client compatibility suites against the scale-out setup: `wharf server` on PostgreSQL
# (scripts/services/postgres.sh) with artifacts in Azure Blob (Azurite, scripts/services/azurite.sh).
# Same arguments and environment as compat/run.sh, which it calls; tests that inspect a local
# database file or artifact folder are skipped in this mode.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-compat-scaleout.XXXXXX")
# The cluster runs as the postgres user, which must be able to reach its folder inside.
chmod 711 "$work"
pgdir="$work/pg"
azdir="$work/azurite"
cleanup() {
  bash "$repo/scripts/services/postgres.sh" stop "$pgdir" >/dev/null 2>&1 || true
  bash "$repo/scripts/services/azurite.sh" stop "$azdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pg_url=$(bash "$repo/scripts/services/postgres.sh" start "$pgdir") || exit 2
conn=$(bash "$repo/scripts/services/azurite.sh" start "$azdir") || exit 2
# One container; each server gets a prefix of its own inside it (compat/conftest.py).
AZURE_STORAGE_CONNECTION_STRING="$conn" node --input-type=module -e "
  import { BlobServiceClient } from '@azure/storage-blob'
  await BlobServiceClient.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient('compat').create()
" || exit 2

export AZURE_STORAGE_CONNECTION_STRING="$conn"
export WHARF_COMPAT_POSTGRES_ADMIN_URL="$pg_url"
export WHARF_COMPAT_ARTIFACTS_DESTINATION="wasbs://compat@devstoreaccount1.blob.core.windows.net/runs"
if [[ -n "${WHARF_COMPAT_PYTHON_DIRECT:-}" ]]; then
  # A ready interpreter with mlflow and pytest: run the suite with it directly.
  (cd "$here" && "$WHARF_COMPAT_PYTHON_DIRECT" -m pytest "$@")
else
  bash "$here/run.sh" "$@"
fi
