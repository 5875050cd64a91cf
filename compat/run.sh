#!/usr/bin/env bash
# Wharf compatibility suite: the real MLflow Python client (newest 2.x and newest 3.x from PyPI)
# against a freshly started `wharf server`.
#
#   bash compat/run.sh [pytest args...]
#
# Needs `npm install` to have run (it builds dist/). Creates, when missing or out of date,
#   compat/.venv-mlflow2  from compat/requirements-mlflow2.txt
#   compat/.venv-mlflow3  from compat/requirements-mlflow3.txt (+ compat/requirements-models.txt)
# then runs pytest in compat/ once with each and exits non-zero if either fails.
#
# Environment:
#   WHARF_COMPAT_VENV_DIR   folder with prebuilt venvs named mlflow2 and mlflow3 (used when their
#                           python imports mlflow of the right major version, else compat/.venv-*)
#   WHARF_COMPAT_ONLY       2 or 3: run one MLflow major version only
#   WHARF_COMPAT_PYTHON     interpreter that creates the venvs (default: python3; needs >= 3.10)
#   WHARF_COMPAT_REFERENCE  =mlflow runs the suite against the real `mlflow server` instead of
#                           Wharf (checks the tests themselves; Wharf-only tests are skipped)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
python="${WHARF_COMPAT_PYTHON:-python3}"

log() { printf '[compat] %s\n' "$*" >&2; }

if [[ "${WHARF_COMPAT_REFERENCE:-}" != "mlflow" ]]; then
  if [[ ! -f "$repo/bin/wharf.js" || ! -d "$repo/dist" ]]; then
    log "dist/ or bin/wharf.js missing: run 'npm install' in $repo first"
    exit 2
  fi
  if ! command -v node >/dev/null 2>&1; then
    log "node not found on PATH"
    exit 2
  fi
fi

# Hash of the requirement files that define venv N, to rebuild when they change.
req_files() {
  local major="$1"
  echo "$here/requirements-mlflow$major.txt"
  if [[ "$major" == 3 && -f "$here/requirements-models.txt" ]]; then
    echo "$here/requirements-models.txt"
  fi
}

req_stamp() {
  local major="$1"
  # shellcheck disable=SC2046
  cat $(req_files "$major") | sha256sum | cut -d' ' -f1
}

# Does this python have mlflow of the wanted major version plus the suite's needs?
venv_ok() {
  local py="$1" major="$2"
  [[ -x "$py" ]] || return 1
  "$py" - "$major" <<'EOF' >/dev/null 2>&1
import sys
import mlflow, pandas, pytest, requests, sklearn  # noqa: F401
sys.exit(0 if mlflow.__version__.split(".")[0] == sys.argv[1] else 1)
EOF
}

pip_install() {
  local py="$1" major="$2"
  local args=()
  local f
  while read -r f; do args+=(-r "$f"); done < <(req_files "$major")
  log "installing into $(dirname "$(dirname "$py")"): ${args[*]}"
  "$py" -m pip install --quiet --disable-pip-version-check "${args[@]}" >&2
}

# Prints the python of a ready venv for MLflow <major>, creating/updating it when needed.
ensure_venv() {
  local major="$1"
  if [[ -n "${WHARF_COMPAT_VENV_DIR:-}" ]]; then
    local pre="$WHARF_COMPAT_VENV_DIR/mlflow$major"
    if venv_ok "$pre/bin/python" "$major"; then
      if [[ "$major" == 3 && -f "$here/requirements-models.txt" \
            && "$(cat "$pre/.wharf-compat-stamp" 2>/dev/null)" != "$(req_stamp 3)" ]]; then
        pip_install "$pre/bin/python" 3 || return 1
        req_stamp 3 >"$pre/.wharf-compat-stamp"
      fi
      echo "$pre/bin/python"
      return 0
    fi
    log "WHARF_COMPAT_VENV_DIR/mlflow$major has no usable MLflow $major.x; using compat/.venv-mlflow$major"
  fi
  local venv="$here/.venv-mlflow$major"
  local stamp="$venv/.wharf-compat-stamp"
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv with $python"
    "$python" -m venv "$venv" >&2 || return 1
  fi
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$(req_stamp "$major")" ]] || ! venv_ok "$venv/bin/python" "$major"; then
    pip_install "$venv/bin/python" "$major" || return 1
    venv_ok "$venv/bin/python" "$major" || { log "MLflow $major.x not importable in $venv"; return 1; }
    req_stamp "$major" >"$stamp"
  fi
  echo "$venv/bin/python"
}

majors=(2 3)
if [[ -n "${WHARF_COMPAT_ONLY:-}" ]]; then
  majors=("$WHARF_COMPAT_ONLY")
fi

declare -A result
status=0
for major in "${majors[@]}"; do
  py="$(ensure_venv "$major")"
  if [[ -z "$py" ]]; then
    log "could not prepare the MLflow $major.x environment"
    result[$major]="setup failed"
    status=1
    continue
  fi
  version="$("$py" -c 'import mlflow; print(mlflow.__version__)')"
  log "MLflow $version ($py)"
  extra=()
  if [[ "$major" == 2 ]]; then
    # its packages (requirements-models.txt) are installed into the 3.x environment only
    extra+=(--ignore=test_model_parity.py)
  fi
  (cd "$here" && "$py" -m pytest "${extra[@]}" "$@")
  rc=$?
  if [[ $rc -eq 0 ]]; then
    result[$major]="passed (MLflow $version)"
  else
    # pytest exit 5 (no tests collected) counts as a failure too
    result[$major]="FAILED rc=$rc (MLflow $version)"
    status=1
  fi
done

for major in "${majors[@]}"; do
  log "MLflow $major.x: ${result[$major]}"
done
exit $status
