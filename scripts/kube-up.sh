#!/usr/bin/env bash
# Starts a local single-node Kubernetes cluster where pods really run, for Wharf's tests and demos:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet + containerd + runc + CNI bridge,
# kube-proxy (nftables), and an OCI registry (CNCF distribution, TLS + htpasswd) the node pulls from.
# Everything binds 127.0.0.1; binaries are built from the Go module proxy (scripts/kube/build.sh, cached
# by version in ~/.cache/wharf). Needs root, Go, and Debian's containerd runc containernetworking-plugins
# iptables nftables conntrack (see docs/kubernetes.md).
#
#   scripts/kube-up.sh        -> the last line of stdout is the kubeconfig path
#
# Idempotent: when the cluster is already up it only prints the kubeconfig path; a half-running one is
# stopped (scripts/kube-down.sh) and started again. Beside the kubeconfig, cluster.env holds the
# registry address and its credentials (WHARF_KUBE_REGISTRY, WHARF_KUBE_REGISTRY_USERNAME/_PASSWORD).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kube="$here/kube"
. "$kube/versions.sh"
started=$(date +%s%N)
log() { local t=$(( ($(date +%s%N) - started) / 100000000 )); printf 'kube-up: %3d.%ds %s\n' $((t / 10)) $((t % 10)) "$*" >&2; }
die() { echo "kube-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (containerd, kubelet and the pod network need it)"
for c in containerd runc ctr iptables nft openssl python3 curl; do command -v "$c" >/dev/null || die "'$c' is missing; install: apt-get install -y containerd runc containernetworking-plugins iptables nftables conntrack curl"; done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || die "the CNI plugins are missing: apt-get install -y containernetworking-plugins"

components="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy registry"
is_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
api() { curl -sf --max-time 5 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(cat "$STATE/pki/admin.token")" "https://127.0.0.1:$API_PORT$1"; }

# --- already up? then only say where.
if [ -f "$STATE/kubeconfig" ] && [ -d "$RUN" ]; then
  alive=0; for c in $components; do is_alive "$c" && alive=$((alive + 1)); done
  if [ "$alive" = "$(echo $components | wc -w)" ] && api /readyz >/dev/null; then
    log "already running"; echo "$STATE/kubeconfig"; exit 0
  fi
  [ "$alive" = 0 ] || { log "half running ($alive components): stopping it first"; "$here/kube-down.sh" >&2; }
fi
for p in $API_PORT 2379 2380 10250 10257 10259 10249 10256 ${REGISTRY_ADDR##*:}; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken by another process; is another cluster running?"; fi
done

"$kube/build.sh"
log "binaries ready"
bin="$K8S_CACHE/bin"

# --- fresh state; note what kube-down must put back. A start that fails half way is stopped again.
is_up=0
trap '[ "$is_up" = 1 ] || { echo "kube-up: failed; stopping what it started (logs: $STATE/logs)" >&2; "$here/kube-down.sh" >&2; }' EXIT
rm -rf "$STATE" "$RUN"
mkdir -p "$STATE/pki" "$STATE/logs" "$STATE/etcd" "$STATE/cni" "$STATE/kubelet" "$STATE/registry" "$RUN/before"
chmod 700 "$STATE" "$STATE/pki"
cat /proc/sys/net/ipv4/ip_forward > "$RUN/before/ip_forward"
ls /var/run/netns 2>/dev/null > "$RUN/before/netns" || true
nft list tables > "$RUN/before/nft-tables" 2>/dev/null || true

# --- credentials: one CA for the API server, the kubelet's client and the registry; a static admin token.
cd "$STATE/pki"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }
ec -x509 -days 30 -subj /CN=wharf-kube-ca -keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
sign() {  # name subject extensions
  ec -subj "$2" -keyout "$1.key" -out "$1.csr"
  printf "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.crt" 2>"$1.err" || { cat "$1.err" >&2; exit 1; }
}
sign apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:${SERVICE_CIDR%.0/*}.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n"
sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth\n"
sign registry /CN=wharf-kube-registry "subjectAltName=IP:${REGISTRY_ADDR%:*},DNS:localhost\nextendedKeyUsage=serverAuth\n"
openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
openssl rand -hex 24 > admin.token
echo "$(cat admin.token),admin,admin,system:masters" > tokens.csv
chmod 600 ./*.key admin.token tokens.csv
cd "$STATE"
cat > kubeconfig <<KC
apiVersion: v1
kind: Config
clusters: [{name: wharf-kube, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$STATE/pki/ca.crt"}}]
users: [{name: admin, user: {token: "$(cat pki/admin.token)"}}]
contexts: [{name: wharf-kube, context: {cluster: wharf-kube, user: admin, namespace: default}}]
current-context: wharf-kube
KC
chmod 600 kubeconfig

render() {  # template -> stdout, with this cluster's paths and names
  sed -e "s|@STATE@|$STATE|g" -e "s|@RUN@|$RUN|g" -e "s|@BRIDGE@|$BRIDGE|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
      -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" -e "s|@REGISTRY_ADDR@|$REGISTRY_ADDR|g" -e "s|@NODE_NAME@|$node|g" \
      -e "s|@KUBELET_ADDRESS@|$kubelet_address|g" "$kube/$1"
}
start() {  # command... : in the background, log and PID named after the program
  local name; name=$(basename "$1")
  "$@" > "$STATE/logs/$name.log" 2>&1 &
  echo $! > "$RUN/$name.pid"
}
wait_for() {  # what probe-command... : up to 120 s, failing early when a component died
  local what=$1; shift
  for _ in $(seq 1 600); do
    "$@" >/dev/null 2>&1 && return 0
    for c in $components; do
      if [ -f "$RUN/$c.pid" ] && ! kill -0 "$(cat "$RUN/$c.pid")" 2>/dev/null; then
        tail -20 "$STATE/logs/$c.log" >&2; die "$c exited while waiting for $what (log: $STATE/logs/$c.log)"; fi
    done
    sleep 0.2
  done
  die "timed out waiting for $what"
}
node=$(hostname)
# The API server reaches the kubelet by the node's host name; when that is a loopback name the kubelet
# listens on loopback only, else on all addresses (it accepts only the API server's client certificate).
if getent hosts "$node" | grep -q '^127\.'; then kubelet_address=127.0.0.1; address_types=Hostname; else kubelet_address=0.0.0.0; address_types=InternalIP,Hostname; fi

# --- control plane
start "$bin/etcd" --name default --data-dir "$STATE/etcd" --unsafe-no-fsync \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster default=http://127.0.0.1:2380 --listen-metrics-urls=
start "$bin/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=$API_PORT \
  --tls-cert-file="$STATE/pki/apiserver.crt" --tls-private-key-file="$STATE/pki/apiserver.key" \
  --client-ca-file="$STATE/pki/ca.crt" --token-auth-file="$STATE/pki/tokens.csv" --authorization-mode=Node,RBAC \
  --kubelet-client-certificate="$STATE/pki/kubelet-client.crt" --kubelet-client-key="$STATE/pki/kubelet-client.key" \
  --kubelet-preferred-address-types=$address_types \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$STATE/pki/sa.pub" \
  --service-account-signing-key-file="$STATE/pki/sa.key" --service-cluster-ip-range=$SERVICE_CIDR \
  --endpoint-reconciler-type=none --enable-priority-and-fairness=false
wait_for "the API server" api /readyz
log "API server ready"
start "$bin/kube-controller-manager" --kubeconfig="$STATE/kubeconfig" --authentication-kubeconfig="$STATE/kubeconfig" \
  --authorization-kubeconfig="$STATE/kubeconfig" --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false \
  --service-account-private-key-file="$STATE/pki/sa.key" --root-ca-file="$STATE/pki/ca.crt" \
  --use-service-account-credentials=false --authentication-skip-lookup=true --controllers='*'
start "$bin/kube-scheduler" --kubeconfig="$STATE/kubeconfig" --authentication-kubeconfig="$STATE/kubeconfig" \
  --authorization-kubeconfig="$STATE/kubeconfig" --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false

# --- registry (TLS, one bcrypt user); podman trusts its CA through certs.d, containerd through hosts.toml.
registry_password=$(openssl rand -hex 16)
echo "$registry_password" | "$REGISTRY_CACHE/bin/htpasswd" wharf > "$STATE/registry.htpasswd"
render registry-config.yml > "$STATE/registry.yml"
start "$REGISTRY_CACHE/bin/registry" serve "$STATE/registry.yml"
mkdir -p "/etc/containers/certs.d/$REGISTRY_ADDR" "$STATE/containerd-certs.d/$REGISTRY_ADDR"
cp "$STATE/pki/ca.crt" "/etc/containers/certs.d/$REGISTRY_ADDR/ca.crt"
# The CA for the host and for the server entry: after a 404 containerd asks the server entry too, and
# without the CA there a missing image reads as "certificate signed by unknown authority".
printf 'server = "https://%s"\nca = "%s"\n[host."https://%s"]\n  capabilities = ["pull", "resolve"]\n  ca = "%s"\n' \
  "$REGISTRY_ADDR" "$STATE/pki/ca.crt" "$REGISTRY_ADDR" "$STATE/pki/ca.crt" > "$STATE/containerd-certs.d/$REGISTRY_ADDR/hosts.toml"
cat > "$STATE/cluster.env" <<ENV
KUBECONFIG=$STATE/kubeconfig
WHARF_KUBE_REGISTRY=$REGISTRY_ADDR
WHARF_KUBE_REGISTRY_USERNAME=wharf
WHARF_KUBE_REGISTRY_PASSWORD=$registry_password
WHARF_KUBE_CA=$STATE/pki/ca.crt
ENV
chmod 600 "$STATE/cluster.env"

# --- the node: containerd (private socket and root) + the pause image + CNI bridge, kubelet, kube-proxy
render containerd-config.toml > "$STATE/containerd.toml"
render cni.conflist > "$STATE/cni/10-wharf-kube.conflist"
ctr_() { ctr --address "$RUN/containerd.sock" -n k8s.io "$@"; }
start containerd --config "$STATE/containerd.toml"
wait_for containerd ctr_ version
ctr_ images import "$K8S_CACHE/images/pause.tar" >/dev/null
render kubelet-config.yaml > "$STATE/kubelet.yaml"
# No cluster DNS runs here: pods get the machine's resolver (a loopback one would not answer them).
dns=$(awk '/^nameserver/ && $2 !~ /^127\./ && $2 !~ /:/ { print $2; exit }' /etc/resolv.conf)
[ -z "$dns" ] || echo "clusterDNS: [\"$dns\"]" >> "$STATE/kubelet.yaml"
start "$bin/kubelet" --config="$STATE/kubelet.yaml" --kubeconfig="$STATE/kubeconfig" --root-dir="$STATE/kubelet" \
  --cert-dir="$STATE/kubelet/pki" --hostname-override="$node" -v=1
render kube-proxy.yaml > "$STATE/kube-proxy.yaml"
start "$bin/kube-proxy" --config="$STATE/kube-proxy.yaml"
wait_for "the registry" curl -sf --max-time 2 --cacert "$STATE/pki/ca.crt" -u "wharf:$registry_password" "https://$REGISTRY_ADDR/v2/"
node_ready_py() { api "/api/v1/nodes/$node" | python3 -c 'import json,sys; n=json.load(sys.stdin); sys.exit(0 if any(c["type"]=="Ready" and c["status"]=="True" for c in n["status"]["conditions"]) else 1)'; }
wait_for "node $node to be Ready" node_ready_py
wait_for "kube-proxy" curl -sf --max-time 2 http://127.0.0.1:10256/healthz
# Pods need their namespace's default ServiceAccount (made by the controller manager).
wait_for "the default ServiceAccount" api /api/v1/namespaces/default/serviceaccounts/default
is_up=1
log "cluster ready: node $node, registry $REGISTRY_ADDR"
echo "$STATE/kubeconfig"
