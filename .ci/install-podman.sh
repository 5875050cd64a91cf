#!/usr/bin/env bash
# Makes podman usable on a Debian CI machine (see docs/containers.md): installs podman and runc
# if missing, and writes a containers.conf selecting the runc runtime, the cgroupfs cgroup manager
# and no default ulimits (crun refuses the hybrid cgroup layout here; raising ulimits is not allowed).
# Idempotent: safe to run on every CI run.
set -euo pipefail

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-podman: podman/runc missing and not root; skipping install" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc >/dev/null
fi

conf=/etc/containers/containers.conf
want='[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"'
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p /etc/containers
  if [ ! -f "$conf" ] || ! grep -q 'cgroup_manager = "cgroupfs"' "$conf"; then
    [ -f "$conf" ] && cp "$conf" "$conf.wharf-backup"
    printf '%s\n' "$want" > "$conf"
  fi
fi

echo "install-podman: $(podman --version)"
