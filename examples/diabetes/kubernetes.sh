#!/bin/sh
# The quickstart with production on Kubernetes: starts the local cluster (scripts/kube-up.sh; root,
# builds it on first use), then runs quickstart.sh with wharf.kubernetes.yaml and a server that has
# the cluster's kubeconfig and registry login. `scripts/kube-down.sh` stops the cluster.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kubeconfig=$("$root/scripts/kube-up.sh" | tail -1)
# cluster.env: KUBECONFIG, WHARF_KUBE_REGISTRY, WHARF_KUBE_REGISTRY_USERNAME/_PASSWORD
set -a
. "$(dirname "$kubeconfig")/cluster.env"
set +a
export WHARF_REGISTRY_USERNAME="$WHARF_KUBE_REGISTRY_USERNAME" WHARF_REGISTRY_PASSWORD="$WHARF_KUBE_REGISTRY_PASSWORD"
export WHARF_TRACKING_URI="${WHARF_TRACKING_URI:-http://127.0.0.1:5001}"
WHARF_QUICKSTART_FILE=wharf.kubernetes.yaml exec "$here/quickstart.sh" "$@"
