#!/usr/bin/env bash
# Builds native/numeric-rows.wasm (the request reader's number conversion, src/serving/numeric-rows.ts)
# from the Rust crate in native/numeric-rows. The .wasm is committed, so `npm install` needs no Rust;
# CI rebuilds it with --check and fails if the committed file is not what the source builds to
# (the build is reproducible: same bytes from any folder).
# Needs: cargo and the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown).
set -euo pipefail
cd "$(dirname "$0")/../native/numeric-rows"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo test --release --quiet
cargo build --release --quiet --target wasm32-unknown-unknown
built=target/wasm32-unknown-unknown/release/numeric_rows.wasm
if [ "${1:-}" = "--check" ]; then
  cmp "$built" ../numeric-rows.wasm || { echo "native/numeric-rows.wasm is not what native/numeric-rows builds to: run scripts/build-wasm.sh and commit it" >&2; exit 1; }
  echo "native/numeric-rows.wasm matches its source"
else
  cp "$built" ../numeric-rows.wasm
  echo "wrote native/numeric-rows.wasm ($(wc -c <../numeric-rows.wasm) bytes)"
fi
