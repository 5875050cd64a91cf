#!/usr/bin/env bash
# Stops the local cluster scripts/kube-up.sh started, and only that: its processes by the PIDs it
# recorded (and the container shims of its own containerd socket), then removes what they left on the
# machine — pod sandboxes (through the CRI, so the CNI plugins release their addresses), mounts under
# its folders, network namespaces it made, the CNI bridge, kube-proxy's nftables tables and the
# KUBE-* iptables chains kubelet adds, the kubepods cgroups, the registry CA in /etc/containers/certs.d,
# and the net.ipv4.ip_forward value the bridge plugin changed. Idempotent; logs stay in $STATE/logs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kube/versions.sh"
started=$(date +%s%N)
log() { local t=$(( ($(date +%s%N) - started) / 100000000 )); printf 'kube-down: %3d.%ds %s\n' $((t / 10)) $((t % 10)) "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
[ -d "$RUN" ] || { log "nothing to stop"; exit 0; }

stop() {  # name: SIGTERM, up to 10 s, then SIGKILL; only the PID kube-up recorded
  local f="$RUN/$1.pid" p
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  if kill "$p" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { kill -9 "$p"; sleep 0.2; }
    log "stopped $1 ($p)"
  fi
  rm -f "$f"
}
sock="$RUN/containerd.sock"
bin="$K8S_CACHE/bin"

# The node first, so nothing restarts pods while they are removed.
stop kube-proxy & stop kubelet & stop kube-scheduler & stop kube-controller-manager & wait
if [ -f "$RUN/containerd.pid" ] && kill -0 "$(cat "$RUN/containerd.pid")" 2>/dev/null; then
  # StopPodSandbox + RemovePodSandbox: CNI DEL (address, veth), network namespace, shim exit
  "$bin/crictl" --runtime-endpoint "unix://$sock" --image-endpoint "unix://$sock" --timeout 30s rmp -fa >/dev/null 2>&1 && log "removed pod sandboxes"
  ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null | while read -r t; do
    ctr --address "$sock" -n k8s.io tasks kill -s KILL "$t" 2>/dev/null; sleep 0.3; ctr --address "$sock" -n k8s.io tasks delete "$t" 2>/dev/null
  done
fi
stop containerd
# Shims of this containerd that outlived it (they are named by its socket, so no other runtime's).
for p in $(pgrep -f -- "-address $sock" 2>/dev/null); do kill -9 "$p" 2>/dev/null && log "killed leftover shim $p"; done
[ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 && log "kube-proxy rules removed"
stop registry & stop kube-apiserver & wait
stop etcd

# Mounts under this cluster's folders (kubelet's root bind mount, volume tmpfs, rootfs overlays, shm).
for d in "$STATE" "$RUN"; do
  awk -v d="$d" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
done
# Network namespaces made while the cluster ran (containerd names them cni-...).
if [ -f "$RUN/before/netns" ]; then
  for ns in $(ls /var/run/netns 2>/dev/null | grep '^cni-'); do
    grep -qx "$ns" "$RUN/before/netns" || { ip netns delete "$ns" 2>/dev/null && log "deleted network namespace $ns"; }
  done
fi
ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE" && log "deleted bridge $BRIDGE"
# Chains kubelet and kube-proxy add (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-PROXY-CANARY, ...): only
# KUBE-* — the CNI-* chains belong to podman and other CNI users too.
for ipt in iptables ip6tables; do
  command -v $ipt >/dev/null || continue
  for t in mangle nat filter; do
    $ipt -t $t -S 2>/dev/null | grep -E '^-A [A-Z0-9-]+ .*-j KUBE-' | sed 's/^-A/-D/' | while read -r r; do eval "$ipt -t $t $r"; done
    chains=$($ipt -t $t -S 2>/dev/null | grep -oE '^-N KUBE-[A-Z0-9-]+' | cut -d' ' -f2)
    for c in $chains; do $ipt -t $t -F "$c" 2>/dev/null; done
    for c in $chains; do $ipt -t $t -X "$c" 2>/dev/null; done
  done
done
for f in ip ip6; do nft list table $f kube-proxy >/dev/null 2>&1 && nft delete table $f kube-proxy; done
# Tables iptables-nft made for those chains (mangle, ip6 filter...): gone if they were not there before and hold no rule.
if [ -f "$RUN/before/nft-tables" ]; then
  nft list tables 2>/dev/null | while read -r _ family name; do
    grep -qx "table $family $name" "$RUN/before/nft-tables" && continue
    nft list table "$family" "$name" | grep -qvE '^\s*(table |chain |type |policy |}|$)' || { nft delete table "$family" "$name" && log "deleted empty nftables table $family $name"; }
  done
fi
# Empty cgroups kubelet made (kubepods/...) in every cgroup v1 hierarchy, and on a v2 host.
for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/kubepods.slice; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
done
[ -f "$RUN/before/ip_forward" ] && cat "$RUN/before/ip_forward" > /proc/sys/net/ipv4/ip_forward
rm -rf "/etc/containers/certs.d/$REGISTRY_ADDR"
# Everything but the logs (kube-up starts from an empty folder anyway).
if [ -d "$STATE" ]; then find "$STATE" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +; fi
rm -rf "$RUN"
log "stopped"
