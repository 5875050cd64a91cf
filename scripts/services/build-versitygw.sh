#!/usr/bin/env bash
# Builds versitygw (Apache-2.0, an S3 server over a local folder) from its Go module, once per
# version, into ~/.cache/wharf/versitygw-<version>/bin; prints the binary's path.
set -euo pipefail
VERSION=v1.8.0
DIR=${WHARF_CACHE_DIR:-$HOME/.cache/wharf}/versitygw-$VERSION
BIN=$DIR/bin/versitygw
if [[ ! -x $BIN ]]; then
  command -v go >/dev/null || { echo "build-versitygw.sh: Go is not installed" >&2; exit 3; }
  mkdir -p "$DIR"
  GOFLAGS=-buildvcs=false GOMAXPROCS=1 GOBIN=$DIR/bin nice -n 19 go install -p 1 -trimpath -ldflags="-s -w" \
    "github.com/versity/versitygw/cmd/versitygw@$VERSION" >&2
fi
echo "$BIN"
