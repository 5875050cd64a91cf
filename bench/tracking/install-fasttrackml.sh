#!/usr/bin/env bash
# Builds FastTrackML (G-Research, Apache-2.0, the Go MLflow-compatible tracking server) from its public
# source for the tracking benchmark, cached by version outside the repo; prints the binary's path.
#   bash bench/tracking/install-fasttrackml.sh [SOURCE]
# SOURCE is a checkout or a bare git mirror of the FastTrackML repository (default $FASTTRACKML_SOURCE).
# Its module is not served by the Go module proxy, so the source comes from a git copy; its dependencies
# (including the two UI modules it embeds, fasttrackml-ui-aim and fasttrackml-ui-mlflow, which ship their
# built assets) come from the Go module proxy. Built as upstream's Makefile does (CGO on for its SQLite
# driver, the tags in its .go-build-tags), so the binary is the server upstream ships, UI included.
# FASTTRACKML_REF picks the commit or tag (default: the source's HEAD); the cache key is its commit.
set -euo pipefail
src=${1:-${FASTTRACKML_SOURCE:-}}
ref=${FASTTRACKML_REF:-HEAD}
if [[ -z $src ]]; then
  echo "install-fasttrackml.sh: name a FastTrackML git copy (argument or FASTTRACKML_SOURCE)" >&2
  exit 2
fi
if [[ -d $src/.git ]]; then gitdir=$src/.git; else gitdir=$src; fi
commit=$(git --git-dir="$gitdir" rev-parse --verify "$ref^{commit}")
version=$(git --git-dir="$gitdir" describe --tags --match='v*' "$commit" 2>/dev/null || echo "$commit")
dest=${HOME}/.cache/wharf/fasttrackml-${version}
if [[ -x $dest/fml ]]; then
  echo "$dest/fml"
  exit 0
fi
build=$(mktemp -d "${TMPDIR:-/tmp}/fasttrackml-build.XXXXXX")
trap 'rm -rf "$build"' EXIT
git --git-dir="$gitdir" archive "$commit" | tar -x -C "$build"
(
  cd "$build"
  export CGO_ENABLED=1 GOFLAGS=-mod=mod
  go mod download
  go build -ldflags "-X github.com/G-Research/fasttrackml/pkg/version.Version=${version#v}" \
    -tags "$(cat .go-build-tags)" -o fml ./main.go
) >&2
mkdir -p "$dest"
mv "$build/fml" "$dest/fml"
echo "$version $commit" >"$dest/VERSION"
echo "$dest/fml"
