#!/usr/bin/env bash
# Removes what scripts/kind-up.sh made: the kind cluster (its node container), the network kind made
# for it, and its kubeconfig. The images and the locally built node image stay in podman's store (cached for the
# next kind-up; `podman rmi` them to reclaim the space).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
# A docker client without a daemon does not count.
if ! docker info >/dev/null 2>&1; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
kind delete cluster --name tacit --kubeconfig "$TACIT_CACHE/kind/kubeconfig"
# kind leaves the network it created for its nodes (a bridge): ours to remove once no container uses it.
if [ "${KIND_EXPERIMENTAL_PROVIDER:-}" = podman ] && pod network exists kind 2>/dev/null && [ -z "$(pod ps -aq --filter network=kind)" ]; then
  pod network rm kind >/dev/null
fi
rm -f "$TACIT_CACHE/kind/kubeconfig" "$TACIT_CACHE/kind/kind.yaml"
