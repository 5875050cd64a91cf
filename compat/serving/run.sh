#!/usr/bin/env bash
# The serving suite: the real Open Inference Protocol clients from PyPI (tritonclient[http,grpc],
# KServe's Python client) against `wharf serve` on a model trained by `wharf train`.
#
#   bash compat/serving/run.sh [pytest args...]
#
# Needs dist/ (npm ci builds it). The Python environment is built once per version of
# requirements.txt, in ~/.cache/wharf/serving-venv-<hash of the file>.
#
# Environment: WHARF_SERVING_PYTHON, the interpreter that creates the venv (default python3, >= 3.10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${WHARF_SERVING_PYTHON:-python3}"

if [[ ! -f "$repo/dist/cli/main.js" ]]; then
  echo "[serving] dist/ missing: run 'npm ci' (or npm run build) in $repo first" >&2
  exit 2
fi

hash="$(sha256sum "$here/requirements.txt" | cut -c1-16)"
venv="${HOME}/.cache/wharf/serving-venv-${hash}"
if [[ ! -f "$venv/.complete" ]]; then
  echo "[serving] building $venv from requirements.txt" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  touch "$venv/.complete"
fi

cd "$here"
exec "$venv/bin/python" -m pytest -q "$@"
