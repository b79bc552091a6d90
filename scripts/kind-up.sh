#!/usr/bin/env bash
# A kind cluster running Tacit: creates the cluster (k8s/kind.yaml), builds and loads the images,
# installs the chart with its dev dependencies (dev.enabled=true), waits, runs `helm test`, and
# prints the gateway's URL on a loopback port. scripts/kind-down.sh removes it all.
#
#   bash scripts/kind-up.sh [--node stock|local] [--port PORT]
#
#   --node stock   kind's own node image (kindest/node, pulled from its registry): a laptop
#   --node local   a node image built here (scripts/kind/node-image.sh): machines that reach no
#                  container registry, like CI's
#                  default: local when TACIT_NO_REGISTRY=1 or the local image already exists, else stock
#   --port PORT    host port of the gateway (default 18080, on 127.0.0.1)
#
# Runs kind on docker when its daemon answers, else on podman (KIND_EXPERIMENTAL_PROVIDER=podman). The
# cluster's kubeconfig: $TACIT_CACHE/kind/kubeconfig.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
cd "$TACIT_ROOT"

node=""
port=18080
while [ $# -gt 0 ]; do
  case "$1" in
    --node) node="$2"; shift ;;
    --port) port="$2"; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "kind-up: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
t0=$SECONDS
step() { printf '\n==> %s (%s s)\n' "$*" "$((SECONDS - t0))"; }

bash scripts/cluster/build.sh --kind
# A docker client without a daemon does not count.
if ! docker info >/dev/null 2>&1; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
local_image="localhost/tacit/kind-node:$TACIT_KUBE_VERSION"
if [ -z "$node" ]; then
  if [ "${TACIT_NO_REGISTRY:-}" = 1 ] || pod image exists "$local_image" 2>/dev/null; then node=local; else node=stock; fi
fi
image_args=()
config="$TACIT_CACHE/kind/kind.yaml"
mkdir -p "$TACIT_CACHE/kind"
sed "s/hostPort: 18080/hostPort: $port/" k8s/kind.yaml >"$config"
if [ "$node" = local ]; then
  step "node image (built locally)"
  image_args=(--image "$(bash scripts/kind/node-image.sh)")
  # The local image has no kindnet: a bridge CNI is in the image.
  printf '  disableDefaultCNI: true\n' | sed -i '/serviceSubnet:/r /dev/stdin' "$config"
fi
# kind mounts the host's /lib/modules into the node.
[ -d /lib/modules ] || mkdir -p /lib/modules

step "images"
archive="$TACIT_CACHE/images/tacit-images.tar"
npm run build --silent
bash scripts/images.sh --no-build --save "$archive"
helm dependency build charts/tacit >/dev/null

step "kind create cluster ($node node image)"
export KUBECONFIG="$TACIT_CACHE/kind/kubeconfig"
kind delete cluster --name tacit >/dev/null 2>&1 || true
kind create cluster --name tacit --config "$config" "${image_args[@]}" --kubeconfig "$KUBECONFIG" --wait 120s
kind load image-archive "$archive" --name tacit

step "helm install (dev mode)"
kubectl create namespace tacit
# kind's control plane runs in the node too: smaller CPU requests let everything fit on two cores.
helm install tacit charts/tacit -n tacit -f charts/tacit/ci/dev-values.yaml \
  --set gateway.service.type=NodePort --set gateway.service.nodePort=30080 \
  --set gateway.resources.requests.cpu=50m --set queue.resources.requests.cpu=50m --wait --timeout 5m
helm test tacit -n tacit --timeout 2m
step "ready"
echo
echo "Tacit is up on kind. Gateway: ws://127.0.0.1:$port/v1"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  bash scripts/kind-down.sh to remove it"
