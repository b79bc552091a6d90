# shellcheck shell=bash
# Pinned versions of the tools scripts/setup.sh builds from the Go module proxy into
# $TACIT_CACHE/bin: "binary module version", one a line. MinIO publishes no semver tags as Go
# modules, so its pin is the pseudo-version of the build that was tested.
TACIT_GO_TOOLS="\
nats-server github.com/nats-io/nats-server/v2 v2.15.2
helm helm.sh/helm/v3/cmd/helm v3.22.0
minio github.com/minio/minio v0.0.0-20260212201848-7aac2a2c5b7c"

# Debian packages the tests and native builds need (chromium: the SDK's browser-build spec, driven
# by playwright-core).
TACIT_APT_PACKAGES="postgresql redis-server podman runc build-essential python3 util-linux chromium"
