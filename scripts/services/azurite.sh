#!/usr/bin/env bash
# Azurite (Microsoft's Azure Storage emulator, npm `azurite`) for tests and local trials.
#   azurite.sh install          installs the pinned version once into ~/.cache/wharf/azurite-<version>
#   azurite.sh start DIR        blob service on a free loopback port, data in DIR; prints a connection string
#   azurite.sh stop DIR         stops it and deletes DIR
# 3.35.0 is the newest Azurite that runs on Node 20 (3.37 needs Node >= 22).
set -euo pipefail
VERSION=3.35.0
HOME_DIR=${WHARF_CACHE_DIR:-$HOME/.cache/wharf}/azurite-$VERSION
BIN=$HOME_DIR/node_modules/.bin/azurite-blob
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

install() {
  if [[ ! -x $BIN ]]; then
    mkdir -p "$HOME_DIR"
    (cd "$HOME_DIR" && echo '{"name":"wharf-azurite","private":true}' >package.json &&
      npm install --no-audit --no-fund --save-exact "azurite@$VERSION" >&2)
  fi
}

# shellcheck source=service-lib.sh
source "$(dirname "$0")/service-lib.sh"

cmd=${1:-}
dir=${2:-}
case $cmd in
  install) install ;;
  start)
    [[ -n $dir ]] || { echo "usage: azurite.sh start DIR" >&2; exit 2; }
    install
    mkdir -p "$dir/data"
    launch() { exec "$BIN" --blobHost 127.0.0.1 --blobPort "$1" --location "$dir/data" --skipApiVersionCheck --loose --silent; }
    connection_string() { echo "DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$1/$ACCOUNT;"; }
    start_on_free_port "$dir" azurite.log launch connection_string
    ;;
  stop)
    stop_service azurite.sh "$dir"
    ;;
  *)
    echo "usage: azurite.sh install|start DIR|stop DIR" >&2
    exit 2
    ;;
esac
