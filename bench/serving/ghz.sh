#!/usr/bin/env bash
# Builds ghz (github.com/bojand/ghz, Apache-2.0; the gRPC load generator) from the Go module proxy
# once per version into ~/.cache/wharf/ghz-<version>/ and prints the binary's path.
# Usage: bash bench/serving/ghz.sh   (GHZ_VERSION=v0.121.0)
set -euo pipefail
version=${GHZ_VERSION:-v0.121.0}
dir="$HOME/.cache/wharf/ghz-$version"
if [ ! -x "$dir/ghz" ]; then
  command -v go >/dev/null || { echo "ghz.sh: needs Go (the go command) to build ghz" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" go install "github.com/bojand/ghz/cmd/ghz@$version" >&2
  mkdir -p "$dir" && mv "$tmp/ghz" "$dir/ghz"
fi
echo "$dir/ghz"
