# shellcheck shell=bash
# Sourced by scripts/cluster-up.sh and cluster-down.sh: the bare-binaries cluster's addresses,
# paths and process helpers.
here_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here_lib/env.sh"
# shellcheck source=pins.sh
. "$here_lib/pins.sh"
# shellcheck source=podman.sh
. "$here_lib/podman.sh"

S="${TACIT_CLUSTER_STATE:-/var/tmp/tacit-cluster}"
KUBE_BIN="$TACIT_CACHE/kube/$TACIT_KUBE_VERSION/bin"
PATH="$KUBE_BIN:$PATH"
export PATH

NODE_NAME=tacit-node
NODE_BRIDGE=tacitnode0
NODE_IP=10.250.0.1
POD_BRIDGE=tacitcni0
POD_CIDR=10.244.0.0/16
POD_SUBNET=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
ETCD_PORT=12379
ETCD_PEER_PORT=12380
CONTAINERD_SOCK="$S/containerd/containerd.sock"
PAUSE_IMAGE="registry.k8s.io/pause:$(cat "$TACIT_CACHE/kube/$TACIT_KUBE_VERSION/pause.version" 2>/dev/null || echo 3.10.2)"

# Starts a process in the background, its output in logs/<name>.log, its pid in pids/<name>.
start() { # name command...
  local name="$1"
  shift
  "$@" >"$S/logs/$name.log" 2>&1 &
  echo $! >"$S/pids/$name"
}

# Runs a check every half second until it passes; fails with the last lines of the logs.
wait_for() { # what seconds command...
  local what="$1" secs="$2" i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for f in "$S"/pids/*; do
      [ -f "$f" ] || continue
      kill -0 "$(cat "$f")" 2>/dev/null || { echo "cluster: $(basename "$f") exited; its log:" >&2; tail -20 "$S/logs/$(basename "$f").log" >&2; return 1; }
    done
    sleep 0.5
  done
  echo "cluster: $what not ready after $secs s" >&2
  return 1
}
