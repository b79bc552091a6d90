# shellcheck shell=bash
# Pinned versions of the tools scripts/setup.sh builds from the Go module proxy into
# $TACIT_CACHE/bin: "binary module version", one a line. MinIO publishes no semver tags as Go
# modules, so its pin is the pseudo-version of the build that was tested.
TACIT_GO_TOOLS="\
nats-server github.com/nats-io/nats-server/v2 v2.15.2
helm helm.sh/helm/v3/cmd/helm v3.22.0
minio github.com/minio/minio v0.0.0-20260212201848-7aac2a2c5b7c"

# Tools whose own go.mod has replace directives, which `go install pkg@version` refuses: setup.sh
# builds each inside a small wrapper module ($TACIT_CACHE/src/<binary>) that requires it as a
# tool (`go get -tool`), same line format. Jaeger's Go module keeps v1 tags; v1.75.0 is the
# Jaeger v2 release built from the same source (cmd/jaeger, the OpenTelemetry-collector one).
# Later versions are served by the proxy but are not approved releases: do not bump past it.
TACIT_GO_WRAPPED_TOOLS="\
jaeger github.com/jaegertracing/jaeger/cmd/jaeger v1.75.0"

# Debian packages the tests and native builds need (chromium: the SDK's browser-build spec, driven
# by playwright-core; libclang-rt-14-dev: libFuzzer, which fuzz/native/build.sh links into
# jazzer.js's native addon).
TACIT_APT_PACKAGES="postgresql redis-server podman runc build-essential python3 util-linux chromium libclang-rt-14-dev"

# The local Kubernetes cluster (scripts/cluster-up.sh, scripts/kind-up.sh) and the images
# (scripts/images.sh). Kubernetes' components build from the Go module proxy in a wrapper module
# (scripts/cluster/build.sh); etcd, containerd, runc and the CNI plugins are Debian's.
TACIT_KUBE_VERSION=v1.37.2
TACIT_COREDNS_VERSION=v1.14.7
TACIT_KIND_VERSION=v0.33.0
# etcd for kind's control plane (kubeadm runs it as a static pod); the bare cluster uses Debian's.
TACIT_ETCD_VERSION=v3.7.3
# Debian release the image base is debootstrapped from (the machines' own).
TACIT_IMAGE_SUITE=bookworm
# Debian packages the images and the cluster need (scripts/setup.sh --cluster installs them).
TACIT_CLUSTER_APT_PACKAGES="mmdebstrap etcd-server containerd containernetworking-plugins iptables conntrack busybox-static openssl"
