# Versions of what scripts/kube-up.sh builds and runs, and where it keeps them (sourced by the kube scripts).
K8S_VERSION=v1.37.2
K8S_STAGING_VERSION=v0.37.2          # the staging modules (k8s.io/api, client-go, ...) go with 1.N.x as 0.N.x
CRICTL_VERSION=v1.37.0
REGISTRY_VERSION=v3.1.2
PAUSE_IMAGE=localhost/wharf-pause:1
K8S_CACHE=${WHARF_KUBE_CACHE:-$HOME/.cache/wharf/k8s-$K8S_VERSION}
REGISTRY_CACHE=${WHARF_REGISTRY_CACHE:-$HOME/.cache/wharf/registry-$REGISTRY_VERSION}
# Run state: data, logs, PIDs (one cluster per machine: it uses the fixed ports below).
STATE=${WHARF_KUBE_STATE:-/var/lib/wharf-kube}
RUN=/run/wharf-kube
API_PORT=6443
REGISTRY_ADDR=127.0.0.1:${WHARF_KUBE_REGISTRY_PORT:-5443}
BRIDGE=wharfkube0
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
