#!/usr/bin/env bash
# Training benchmark (docs/performance.md, "Training"): Wharf's built-in trainers against LightGBM
# and scikit-learn on the same generated data (1,000,000 x 20; regression and binary), single thread,
# same hyperparameters (bench/training/models.json), all in one run. Writes bench/results/training.md.
#
# Usage: bash bench/training/run.sh
#   Python: $WHARF_BENCH_VENV if set (needs scikit-learn, lightgbm, numpy), else bench/.venv (created).
#   Knobs (environment): LINEAR_ROUNDS (5), GBDT_ROUNDS (3; 2 when a round takes over a minute),
#   ROWS (1000000), SEED, MODELS (subset of models.json keys), E2E (models for the end-to-end
#   `wharf train` timing, default "ridge"; empty to skip), WHARF_BENCH_WORK (keep the data there).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${WHARF_BENCH_VENV:-bench/.venv}
if ! "$venv/bin/python" -c 'import sklearn, lightgbm, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scikit-learn lightgbm numpy
fi
# Wharf is benchmarked from dist/: build it when missing or older than the trainer sources.
if [ ! -f dist/train/index.js ] || [ -n "$(find src/train src/models -name '*.ts' -newer dist/train/index.js -print -quit)" ]; then
  # tsc emits even when another part of the tree has a type error; only a missing output is fatal.
  npm run build >&2 || echo "run.sh: the build reported errors (see above); benchmarking the emitted dist/" >&2
  [ -f dist/train/index.js ] || { echo "run.sh: dist/train/index.js is missing; run npm run build" >&2; exit 1; }
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
own_work=
if [ -z "${WHARF_BENCH_WORK:-}" ]; then
  WHARF_BENCH_WORK=$(mktemp -d -t wharf-train-bench-XXXXXX)
  own_work=$WHARF_BENCH_WORK
fi
export WHARF_BENCH_WORK
trap '[ -n "$own_work" ] && rm -rf "$own_work"' EXIT
"$venv/bin/python" bench/training/driver.py > /dev/null
echo "wrote bench/results/training.md" >&2
