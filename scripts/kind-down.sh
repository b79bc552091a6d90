#!/usr/bin/env bash
# Removes what scripts/kind-up.sh made: the kind cluster (its node container and network) and its
# kubeconfig. The images and the locally built node image stay in podman's store (cached for the
# next kind-up; `podman rmi` them to reclaim the space).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
if ! command -v docker >/dev/null 2>&1; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
kind delete cluster --name tacit --kubeconfig "$TACIT_CACHE/kind/kubeconfig"
rm -f "$TACIT_CACHE/kind/kubeconfig" "$TACIT_CACHE/kind/kind.yaml"
