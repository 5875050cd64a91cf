#!/usr/bin/env bash
# Builds what scripts/kube-up.sh runs, from the Go module proxy, into caches outside the repository
# (reused when present, so a warm run only checks files):
#   $WHARF_KUBE_CACHE (~/.cache/wharf/k8s-v1.37.2)  kube-apiserver, kube-controller-manager, kube-scheduler,
#       kubelet, kube-proxy (k8s.io/kubernetes through a small wrapper module: `go install` refuses
#       k8s.io/kubernetes because of its replace directives), etcd, crictl, and the pause image
#   $WHARF_REGISTRY_CACHE (~/.cache/wharf/registry-v3.1.2)  CNCF distribution's registry and an
#       htpasswd (bcrypt) tool, for the OCI registry the cluster pulls Wharf's images from
# About 20-30 minutes from nothing on two cores; nothing when cached. Needs Go >= 1.26.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
export GOFLAGS=-buildvcs=false
# Two cores shared with other work: build gently, one package at a time.
gobuild() { nice -n 19 go build -p "${WHARF_GO_BUILD_PARALLEL:-1}" -trimpath "$@"; }

command -v go >/dev/null || { echo "kube build: Go is needed (https://go.dev/dl; Go >= 1.26)" >&2; exit 1; }
mkdir -p "$K8S_CACHE/bin" "$K8S_CACHE/tools" "$K8S_CACHE/cmd/etcd" "$REGISTRY_CACHE/bin"

# --- Kubernetes and etcd: one wrapper module whose go.mod pins the staging modules as k8s.io/kubernetes does.
k8s_bins="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
missing=""; for n in $k8s_bins etcd; do [ -x "$K8S_CACHE/bin/$n" ] || missing="$missing $n"; done
if [ -n "$missing" ]; then
  cd "$K8S_CACHE"
  if [ ! -f go.sum ] || ! grep -q "k8s.io/kubernetes $K8S_VERSION" go.mod 2>/dev/null; then
    mod=$(nice -n 19 go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    { echo "module example.com/k8sbins"; echo; echo "go 1.26.0"; echo; echo "require k8s.io/kubernetes $K8S_VERSION"; echo; echo "replace ("
      grep -oE "^\s+k8s.io/[a-z-]+ => \./staging" "$mod" | awk -v v="$K8S_STAGING_VERSION" '{print "\t"$1" => "$1" "v}'
      echo ")"; } > go.mod
    { echo "//go:build tools"; echo; echo "package tools"; echo; echo "import ("
      for n in $k8s_bins; do echo "	_ \"k8s.io/kubernetes/cmd/$n\""; done; echo ")"; } > tools/tools.go
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > cmd/etcd/main.go
    nice -n 19 go mod tidy
  fi
  # Without these the binaries report v0.0.0-master and kubectl refuses to talk to them.
  ld="-s -w"; minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  for n in $missing; do
    s=$(date +%s)
    if [ "$n" = etcd ]; then gobuild -ldflags="-s -w" -o "bin/$n.tmp" ./cmd/etcd
    else gobuild -ldflags="$ld" -o "bin/$n.tmp" "k8s.io/kubernetes/cmd/$n"; fi
    mv "bin/$n.tmp" "bin/$n"; echo "kube build: $n in $(( $(date +%s) - s )) s" >&2
  done
fi

# --- crictl: kube-down removes pod sandboxes through the CRI (so the CNI plugins release what they set up).
if [ ! -x "$K8S_CACHE/bin/crictl" ]; then
  s=$(date +%s)
  GOBIN="$K8S_CACHE/bin" nice -n 19 go install -p "${WHARF_GO_BUILD_PARALLEL:-1}" -trimpath -ldflags="-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  echo "kube build: crictl in $(( $(date +%s) - s )) s" >&2
fi

# --- the pause image (the pod sandbox): nothing is pulled from the internet, so it is built here.
pause_tar="$K8S_CACHE/images/pause-$(sha256sum "$here/pause/main.go" "$here/mk-oci.py" | sha256sum | cut -c1-12).tar"
if [ ! -f "$pause_tar" ]; then
  mkdir -p "$K8S_CACHE/images"; tmp=$(mktemp -d)
  (cd "$here/pause" && CGO_ENABLED=0 gobuild -ldflags="-s -w" -o "$tmp/pause" main.go)
  python3 "$here/mk-oci.py" "$PAUSE_IMAGE" "$pause_tar.tmp" '["/pause"]' "$tmp/pause:/pause" >/dev/null
  mv "$pause_tar.tmp" "$pause_tar"; rm -rf "$tmp"
fi
ln -sf "$(basename "$pause_tar")" "$K8S_CACHE/images/pause.tar"

# --- the OCI registry (distribution v3, filesystem storage, htpasswd auth) and a bcrypt htpasswd tool.
if [ ! -x "$REGISTRY_CACHE/bin/registry" ] || [ ! -x "$REGISTRY_CACHE/bin/htpasswd" ]; then
  cd "$REGISTRY_CACHE"; mkdir -p cmd/registry cmd/htpasswd
  cat > cmd/registry/main.go <<'GO'
// The registry command of github.com/distribution/distribution/v3 with only the drivers used here.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() { _ = registry.RootCmd.Execute() }
GO
  cat > cmd/htpasswd/main.go <<'GO'
// htpasswd USER < PASSWORD: one bcrypt line for the registry's htpasswd file.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	password, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(password, "\r\n")), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], hash)
}
GO
  if [ ! -f go.mod ]; then
    printf 'module example.com/wharfregistry\n\ngo 1.26.0\n\nrequire github.com/distribution/distribution/v3 %s\n' "$REGISTRY_VERSION" > go.mod
    nice -n 19 go mod tidy
  fi
  s=$(date +%s)
  gobuild -ldflags="-s -w" -o bin/registry.tmp ./cmd/registry && mv bin/registry.tmp bin/registry
  gobuild -ldflags="-s -w" -o bin/htpasswd.tmp ./cmd/htpasswd && mv bin/htpasswd.tmp bin/htpasswd
  echo "kube build: registry in $(( $(date +%s) - s )) s" >&2
fi
echo "kube build: binaries in $K8S_CACHE/bin and $REGISTRY_CACHE/bin" >&2
