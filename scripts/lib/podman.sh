# shellcheck shell=bash
# Sourced by the image and cluster scripts: podman as it works on these machines.
#   . scripts/lib/podman.sh
# The VMs lack CAP_SYS_RESOURCE: podman's default ulimits make every container fail to start, and
# `--ulimit host` does not help; an empty default_ulimits list does. crun is not installed: runc.
# Defines `pod` (podman with those settings) and nothing else.

TACIT_PODMAN_CONF="${TACIT_PODMAN_CONF:-$TACIT_CACHE/containers.conf}"
if [ ! -f "$TACIT_PODMAN_CONF" ]; then
  mkdir -p "$(dirname "$TACIT_PODMAN_CONF")"
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' >"$TACIT_PODMAN_CONF"
fi
export CONTAINERS_CONF="$TACIT_PODMAN_CONF"

pod() { podman --runtime runc "$@"; }
