#!/usr/bin/env bash
# The cluster suite (`npm run test:cluster`, run by .ci/run after `npm test`): builds the images,
# stands up the bare-binaries cluster (scripts/cluster-up.sh), runs deploy/src/cluster/*.cluster.ts
# against it with node's test runner, and tears the cluster down whatever happened. Prints how long
# each part took. Needs root and `bash scripts/setup.sh --cluster`; expects `npm run build` done.
#
#   bash scripts/cluster-test.sh [filter...]    only the suite files whose name contains a filter
#
# TACIT_CLUSTER_KEEP=1 leaves the cluster up afterwards (KUBECONFIG printed) for a look around.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
cd "$TACIT_ROOT"

[ "$(id -u)" = 0 ] || { echo "cluster-test: needs root (it runs a Kubernetes node)" >&2; exit 1; }
timings=()
part() { # name command...
  local name="$1" t0=$SECONDS
  shift
  printf '\n--- %s\n' "$name"
  "$@"
  timings+=("$(printf '%-44s %4d s' "$name" $((SECONDS - t0)))")
}
report() {
  printf '\n--- cluster suite timings\n'
  for t in "${timings[@]}"; do printf '    %s\n' "$t"; done
}

archive="$TACIT_CACHE/images/tacit-images.tar"
part "Kubernetes, CoreDNS, pause (cached build)" bash scripts/cluster/build.sh
part "images (podman; bases cached), podman run smoke test" bash scripts/images.sh --no-build --save "$archive" --smoke
part "chart dependencies (k8s/dev)" helm dependency build charts/tacit
down() {
  if [ "${TACIT_CLUSTER_KEEP:-}" = 1 ]; then
    echo "cluster left up: export KUBECONFIG=$S/admin.conf PATH=$KUBE_BIN:\$PATH"
  else
    part "cluster down" bash scripts/cluster-down.sh
  fi
  report
}
trap down EXIT
part "cluster up" bash scripts/cluster-up.sh --images "$archive"

export KUBECONFIG="$S/admin.conf"
files=()
for f in deploy/dist/cluster/*.cluster.js; do
  if [ $# -eq 0 ]; then files+=("$f"); else for flt in "$@"; do case "$f" in *"$flt"*) files+=("$f"); break ;; esac; done; fi
done
[ ${#files[@]} -gt 0 ] || { echo "cluster-test: no suite file matches $*" >&2; exit 1; }
# One file at a time: each installs releases onto the same two cores.
part "suite (${#files[@]} files)" node --test --test-concurrency=1 --test-timeout=1500000 "${files[@]}"
