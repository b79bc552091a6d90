#!/usr/bin/env bash
# A single-node Kubernetes cluster from bare binaries, for CI and local checks: etcd, the control
# plane, containerd and the kubelet run as processes of this script; CoreDNS runs on the host. All
# of its addresses live on two bridges it creates (the node's and the pods'); nothing is reachable
# from outside the machine and nothing is resolved outside the cluster. scripts/cluster-down.sh
# removes everything it made.
#
#   bash scripts/cluster-up.sh [--images FILE]...    then: export KUBECONFIG=$TACIT_CLUSTER_STATE/admin.conf
#
#   --images FILE   an image archive (scripts/images.sh --save) to import into the node's containerd
#
# Needs root, the Debian packages of TACIT_CLUSTER_APT_PACKAGES (scripts/setup.sh --cluster) and the
# builds of scripts/cluster/build.sh (run here when missing: ~15 min cold, cached after).
# TACIT_CLUSTER_STATE (default /var/tmp/tacit-cluster) holds certificates, data, logs and pids.
# From a clean state: node Ready in ~10 s.
#
# Addresses: node 10.250.0.1 (bridge tacitnode0), pods 10.244.0.0/24 (bridge tacitcni0), Services
# 10.96.0.0/16, cluster DNS on the node address. Podman's own bridge (10.88.0.0/16) is left alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"

images=()
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images+=("$2"); shift ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster-up: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || { echo "cluster-up: needs root (bridges, iptables, containerd)" >&2; exit 1; }
for cmd in etcd containerd ctr runc iptables ip; do
  command -v "$cmd" >/dev/null || { echo "cluster-up: $cmd is missing: bash scripts/setup.sh --cluster" >&2; exit 1; }
done
[ -x /usr/lib/cni/bridge ] || { echo "cluster-up: the CNI plugins are missing: bash scripts/setup.sh --cluster" >&2; exit 1; }
bash "$here/cluster/build.sh" | sed 's/^/  /'

t_start=$SECONDS
if [ -e "$S" ]; then
  echo "cluster-up: a cluster state is in $S: tearing it down first"
  bash "$here/cluster-down.sh"
fi
mkdir -p "$S"/{pki,logs,pids,etcd,kubelet,containerd,cni/net.d,cni/ipam}
# The netns the pods' sandboxes will add: cluster-down removes only those not listed here.
ip netns list 2>/dev/null | awk '{ print $1 }' >"$S/netns.before"
log() { printf '  %s (%s s)\n' "$*" "$((SECONDS - t_start))"; }

# --- Network: the node's bridge and the pods' ----------------------------------------------------
ip link add "$NODE_BRIDGE" type bridge
ip addr add "$NODE_IP/24" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
# Whatever kube-proxy does not rewrite stays on this bridge: no address of the Service or pod ranges
# is ever routed off the machine.
ip route add "$SERVICE_CIDR" dev "$NODE_BRIDGE"
ip route add "$POD_CIDR" dev "$NODE_BRIDGE"
# Bridged pod traffic must pass iptables, or a pod reaching a Service whose endpoint is on the same
# bridge gets the reply from the endpoint's address, not the Service's.
echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true
echo 1 >/proc/sys/net/ipv4/ip_forward
cat >"$S/cni/net.d/10-tacit.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "tacit",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$S/cni/ipam"
      }
    }
  ]
}
EOF
# A resolv.conf for pods with dnsPolicy Default: the cluster DNS, which answers nothing outside.
printf 'nameserver %s\n' "$NODE_IP" >"$S/resolv.conf"

# --- Certificates and kubeconfigs (kubeadm's phases only: nothing else of kubeadm runs) ---------
cat >"$S/kubeadm.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $NODE_IP
  bindPort: 6443
nodeRegistration:
  name: $NODE_NAME
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $TACIT_KUBE_VERSION
certificatesDir: $S/pki
clusterName: tacit
controlPlaneEndpoint: $NODE_IP:6443
networking:
  serviceSubnet: $SERVICE_CIDR
  podSubnet: $POD_CIDR
  dnsDomain: cluster.local
apiServer:
  certSANs: [$NODE_IP, 127.0.0.1, $SERVICE_IP]
EOF
kubeadm init phase certs all --config "$S/kubeadm.yaml" >"$S/logs/kubeadm.log" 2>&1
kubeadm init phase kubeconfig all --config "$S/kubeadm.yaml" --kubeconfig-dir "$S" >>"$S/logs/kubeadm.log" 2>&1
log "certificates and kubeconfigs"

# --- etcd, the API server, controller manager, scheduler -------------------------------------
start etcd etcd --name tacit --data-dir "$S/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "tacit=http://127.0.0.1:$ETCD_PEER_PORT" --quota-backend-bytes 2147483648
wait_for "etcd" 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

pki="$S/pki"
# The API server listens on the node's bridge address only: the kubelet, CoreDNS and this machine's
# tools reach it there. No endpoint reconciler: the `kubernetes` Service is not used by the chart.
start kube-apiserver kube-apiserver \
  --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --endpoint-reconciler-type none \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --requestheader-allowed-names front-proxy-client --requestheader-extra-headers-prefix X-Remote-Extra- \
  --requestheader-group-headers X-Remote-Group --requestheader-username-headers X-Remote-User
export KUBECONFIG="$S/admin.conf"
wait_for "kube-apiserver" 60 kubectl --kubeconfig "$S/super-admin.conf" get --raw /readyz
# admin.conf's group (kubeadm:cluster-admins) is bound to cluster-admin by `kubeadm init`, which
# does not run here.
kubectl --kubeconfig "$S/super-admin.conf" create clusterrolebinding kubeadm:cluster-admins \
  --clusterrole cluster-admin --group kubeadm:cluster-admins >/dev/null
# The API server's client certificate for the kubelets (logs, exec, port-forward).
kubectl --kubeconfig "$S/super-admin.conf" create clusterrolebinding kubeadm:kubelet-api-admin \
  --clusterrole system:kubelet-api-admin --user kube-apiserver-kubelet-client >/dev/null
start kube-controller-manager kube-controller-manager \
  --kubeconfig "$S/controller-manager.conf" \
  --authentication-kubeconfig "$S/controller-manager.conf" --authorization-kubeconfig "$S/controller-manager.conf" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --allocate-node-cidrs=false
start kube-scheduler kube-scheduler --kubeconfig "$S/scheduler.conf" \
  --authentication-kubeconfig "$S/scheduler.conf" --authorization-kubeconfig "$S/scheduler.conf" \
  --bind-address 127.0.0.1 --leader-elect=false
log "control plane"

# --- containerd, the pause image, the kubelet, kube-proxy, CoreDNS ---------------------------
cat >"$S/containerd/config.toml" <<EOF
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$S/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # These VMs lack CAP_SYS_RESOURCE: without this, every sandbox fails ("can't get final child's PID").
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
EOF
start containerd containerd --config "$S/containerd/config.toml"
wait_for "containerd" 30 ctr --address "$CONTAINERD_SOCK" version

# The pause image, FROM scratch: Kubernetes' own pause.c, built static by cluster/build.sh.
pause_tar="$TACIT_CACHE/kube/$TACIT_KUBE_VERSION/pause-image.tar"
if [ ! -f "$pause_tar" ]; then
  ctx="$(mktemp -d)"
  cp "$TACIT_CACHE/kube/$TACIT_KUBE_VERSION/pause" "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Containerfile"
  pod build --quiet -t "$PAUSE_IMAGE" "$ctx" >/dev/null
  pod save --quiet --format docker-archive -o "$pause_tar" "$PAUSE_IMAGE"
  rm -rf "$ctx"
fi
for archive in "$pause_tar" "${images[@]}"; do
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack "$archive" >/dev/null
done
log "containerd, images imported"

cat >"$S/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# The machines run cgroup v1, which the kubelet refuses from 1.35 unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
resolvConf: $S/resolv.conf
failSwapOn: false
serializeImagePulls: false
# Images are imported, never pulled: keep them whatever the disk use.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
podPidsLimit: 4096
maxPods: 60
# Pod logs under the state folder: cluster-down removes them.
podLogsDir: $S/pod-logs
EOF
start kubelet kubelet --config "$S/kubelet.yaml" --kubeconfig "$S/kubelet.conf" \
  --root-dir "$S/kubelet" --cert-dir "$S/kubelet/pki" \
  --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
start kube-proxy kube-proxy --kubeconfig "$S/admin.conf" --hostname-override "$NODE_NAME" \
  --proxy-mode iptables --cluster-cidr "$POD_CIDR" --bind-address "$NODE_IP" \
  --healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 --conntrack-max-per-core 0
cat >"$S/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $S/admin.conf
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
start coredns coredns -conf "$S/Corefile"
wait_for "node Ready" 90 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
wait_for "the default ServiceAccount" 60 kubectl get serviceaccount default
log "node $NODE_NAME Ready"
echo
echo "Cluster up in $((SECONDS - t_start)) s. Use it with:"
echo "  export KUBECONFIG=$S/admin.conf PATH=$KUBE_BIN:\$PATH"
echo "Tear it down with: bash scripts/cluster-down.sh"
