#!/usr/bin/env bash
# Removes what scripts/cluster-up.sh made, and nothing else: the pods' processes, the cluster's
# processes (by the pids it recorded), containerd's mounts, the iptables chains of kube-proxy, the
# network namespaces the pods' sandboxes added, the two bridges, the CNI cache entries of its
# network, the pod log links, and the state folder. Safe to run when nothing is up.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"

[ "$(id -u)" = 0 ] || { echo "cluster-down: needs root" >&2; exit 1; }
t0=$SECONDS

stop_pid() { # name
  local f="$S/pids/$1" pid i
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$f"
}

if [ -d "$S" ]; then
  # The kubelet first, so that it restarts nothing; then every pod's task, while containerd can
  # still stop them (a shim killed first would leave its container running).
  stop_pid kubelet
  if [ -S "$CONTAINERD_SOCK" ]; then
    for task in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1
    done
    sleep 1
    for task in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks delete -f "$task" >/dev/null 2>&1
    done
  fi
  # The rest at once: SIGTERM, up to 10 s together, then SIGKILL.
  pids=()
  for name in coredns kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do
    [ -f "$S/pids/$name" ] && pids+=("$(cat "$S/pids/$name")") && rm -f "$S/pids/$name"
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null
    for ((i = 0; i < 40; i++)); do
      alive=false
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=true; done
      $alive || break
      sleep 0.25
    done
    kill -KILL "${pids[@]}" 2>/dev/null
  fi
  # Anything still in the pods' cgroups (a shim that outlived containerd, its container) is ours.
  for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$cg" ] || continue
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
  done
  # Shims whose containers are gone, identified by our containerd's socket in their command line.
  for pid in $(pgrep -f -- "-address $CONTAINERD_SOCK" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  sleep 0.5
  for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # kube-proxy's chains, then the kubelet's (KUBE-FIREWALL, KUBE-KUBELET-CANARY): every KUBE-*
  # chain and every rule jumping to one, in each table, IPv4 and IPv6.
  [ -x "$KUBE_BIN/kube-proxy" ] && "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      "$ipt" -t "$table" -S 2>/dev/null | grep -E -- '^-A .* -j KUBE-' | sed 's/^-A /-D /' |
        while read -r rule; do eval "$ipt -t $table $rule" 2>/dev/null; done
      for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ { print $2 }'); do
        "$ipt" -t "$table" -F "$chain" 2>/dev/null
      done
      for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ { print $2 }'); do
        "$ipt" -t "$table" -X "$chain" 2>/dev/null
      done
    done
  done
  # The sandboxes' network namespaces (their veths go with them).
  if [ -f "$S/netns.before" ]; then
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
      case "$ns" in cni-*) grep -qx "$ns" "$S/netns.before" || ip netns delete "$ns" 2>/dev/null ;; esac
    done
  fi
  # Mounts under the state folder (containerd's rootfs and shm, the kubelet's volumes), deepest first.
  findmnt -rn -o TARGET | grep -F "$S/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
fi
for br in "$POD_BRIDGE" "$NODE_BRIDGE"; do
  ip link show "$br" >/dev/null 2>&1 && ip link delete "$br"
done
rm -f /var/lib/cni/results/tacit-* 2>/dev/null
find /var/log/containers -maxdepth 1 -type l -lname "$S/*" -delete 2>/dev/null
rm -rf "$S"
echo "cluster-down: done in $((SECONDS - t0)) s"
