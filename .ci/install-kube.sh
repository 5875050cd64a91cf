#!/usr/bin/env bash
# What the local Kubernetes cluster (scripts/kube-up.sh) needs on a Debian CI machine: containerd,
# runc, the CNI plugins and the netfilter tools from apt, then Kubernetes, etcd, crictl and the OCI
# registry built from the Go module proxy into ~/.cache/wharf (scripts/kube/build.sh: about 25
# minutes cold on two cores, a few seconds warm). The cluster itself is started and stopped by the
# tests (src/deploy/kubernetes/cluster.test.ts). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages="containerd runc containernetworking-plugins iptables nftables conntrack busybox-static curl"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-kube: missing$missing and not root; the Kubernetes tests cannot run" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # containerd's package would start its own daemon where systemd runs; kube-up runs a private one.
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
command -v go >/dev/null || { echo "install-kube: Go >= 1.26 is needed to build Kubernetes (https://go.dev/dl)" >&2; exit 1; }
started=$(date +%s)
# Both cores (still at nice 19): cold, this is most of CI's time — about an hour at -p 1 on a loaded
# two-core machine, 20-30 minutes at -p 2 on a quiet one; warm, a few seconds.
WHARF_GO_BUILD_PARALLEL=${WHARF_GO_BUILD_PARALLEL:-2} bash scripts/kube/build.sh
# A cluster an interrupted run left behind is stopped, so the tests start (and check the stop of) their own.
bash scripts/kube-down.sh
echo "install-kube: packages and binaries ready in $(( $(date +%s) - started )) s"
