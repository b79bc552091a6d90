#!/usr/bin/env bash
# Builds a kind node image locally with podman, for machines that reach no container registry
# (stock kind pulls kindest/node, and `kind build node-image` calls docker): a Debian rootfs with
# systemd, containerd, runc and the CNI plugins; kind's own base files (entrypoint, units) from its Go
# module; kubelet, kubeadm and kubectl from scripts/cluster/build.sh; and the control plane's images,
# built FROM scratch from the same binaries and tagged as kubeadm asks, imported at boot.
#
#   bash scripts/kind/node-image.sh     prints the image name: localhost/tacit/kind-node:<version>
#
# Rebuilt only when missing. ~3 min (two mmdebstrap runs), ~1.5 GB.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/cluster.sh
. "$here/../lib/cluster.sh"

image="localhost/tacit/kind-node:$TACIT_KUBE_VERSION"
if pod image exists "$image"; then echo "$image"; exit 0; fi
bash "$here/../cluster/build.sh" --kind >&2

kind_files="$(go env GOMODCACHE)/sigs.k8s.io/kind@$TACIT_KIND_VERSION/images/base/files"
[ -d "$kind_files" ] || go mod download "sigs.k8s.io/kind@$TACIT_KIND_VERSION"
work="$TACIT_CACHE/kind"
mkdir -p "$work"
rootfs="$work/node-rootfs"
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=""
note() { printf '    %s\n' "$*" >&2; }

# --- The control plane's images --------------------------------------------------------------
# kubeadm's names and tags for this Kubernetes version (its constants), built from our binaries.
kv="$TACIT_KUBE_VERSION"
pause_tag="$(cat "$TACIT_CACHE/kube/$kv/pause.version")"
etcd_tag="$("$KUBE_BIN/kubeadm" config images list --kubernetes-version "$kv" 2>/dev/null | sed -n 's|.*/etcd:||p')"
coredns_tag="$("$KUBE_BIN/kubeadm" config images list --kubernetes-version "$kv" 2>/dev/null | sed -n 's|.*/coredns:||p')"
scratch_image() { # name binary-path command-name entrypoint...
  local name="$1" bin="$2" cmd="$3" ctx
  shift 3
  ctx="$(mktemp -d)"
  cp "$bin" "$ctx/bin"
  {
    echo 'FROM scratch'
    echo "COPY bin /usr/local/bin/$cmd"
    echo 'ENV PATH=/usr/local/bin'
    [ $# -gt 0 ] && printf 'ENTRYPOINT [%s]\n' "$(printf '"%s",' "$@" | sed 's/,$//')"
  } >"$ctx/Containerfile"
  pod build --quiet -t "$name" "$ctx" >/dev/null
  rm -rf "$ctx"
}
note "control-plane images"
cp_images=()
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  scratch_image "registry.k8s.io/$c:$kv" "$KUBE_BIN/$c" "$c"
  cp_images+=("registry.k8s.io/$c:$kv")
done
scratch_image "registry.k8s.io/etcd:$etcd_tag" "$TACIT_CACHE/kube/etcd-$TACIT_ETCD_VERSION" etcd
scratch_image "registry.k8s.io/coredns/coredns:$coredns_tag" "$TACIT_CACHE/bin/coredns" coredns /usr/local/bin/coredns
ctx="$(mktemp -d)"
cp "$TACIT_CACHE/kube/$kv/pause" "$ctx/pause"
printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Containerfile"
pod build --quiet -t "registry.k8s.io/pause:$pause_tag" "$ctx" >/dev/null
rm -rf "$ctx"
cp_images+=("registry.k8s.io/etcd:$etcd_tag" "registry.k8s.io/coredns/coredns:$coredns_tag" "registry.k8s.io/pause:$pause_tag")
# kube-proxy programs iptables: it needs the tools in its image.
proxy_root="$work/proxy-rootfs"
if [ ! -d "$proxy_root" ]; then
  nice mmdebstrap --quiet --variant=minbase --include=iptables,conntrack,kmod "$TACIT_IMAGE_SUITE" "$proxy_root" ${sources:+"$sources"}
  rm -rf "$proxy_root"/usr/share/doc "$proxy_root"/usr/share/man "$proxy_root"/var/cache/apt/* "$proxy_root"/var/lib/apt/lists/*
fi
cp "$KUBE_BIN/kube-proxy" "$proxy_root/usr/local/bin/kube-proxy"
tar -C "$proxy_root" -cf "$work/proxy.tar" .
pod import --quiet "$work/proxy.tar" "registry.k8s.io/kube-proxy:$kv" >/dev/null
rm -f "$work/proxy.tar"
cp_images+=("registry.k8s.io/kube-proxy:$kv")

# --- The node's root filesystem ----------------------------------------------------------------
note "node rootfs (mmdebstrap)"
rm -rf "$rootfs"
nice mmdebstrap --quiet --variant=minbase \
  --include=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,conntrack,iproute2,ethtool,util-linux,mount,kmod,procps,ca-certificates,libseccomp2,e2fsprogs,pigz,bash \
  "$TACIT_IMAGE_SUITE" "$rootfs" ${sources:+"$sources"}
rm -rf "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*
# As kind's base image does: no services but ours, no kmsg in the journal.
find "$rootfs/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$rootfs"/lib/systemd/system/multi-user.target.wants/* "$rootfs"/etc/systemd/system/*.wants/* \
  "$rootfs"/lib/systemd/system/local-fs.target.wants/* "$rootfs"/lib/systemd/system/sockets.target.wants/*udev* \
  "$rootfs"/lib/systemd/system/sockets.target.wants/*initctl* "$rootfs"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$rootfs/etc/systemd/journald.conf"
# kind's files.
install -m 0755 "$kind_files"/usr/local/bin/* "$rootfs/usr/local/bin/"
mkdir -p "$rootfs/kind/bin" "$rootfs/kind/images" "$rootfs/etc/kubernetes/manifests" "$rootfs/opt/cni"
install -m 0755 "$kind_files"/kind/bin/* "$rootfs/kind/bin/"
cp -r "$kind_files"/etc/. "$rootfs/etc/"
chmod -R go-w "$rootfs/etc/systemd/system"
ln -sf /usr/bin/containerd "$rootfs/usr/local/bin/containerd"
ln -sfn /usr/lib/cni "$rootfs/opt/cni/bin"
# Debian's containerd 1.6 with kind's config, less what it lacks (fuse-overlayfs, the base spec),
# plus restrict_oom_score_adj (these VMs lack CAP_SYS_RESOURCE) and our pause.
sed -e '/^\[proxy_plugins/,/^$/d' -e '/base_runtime_spec/d' \
  -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
  -e "s|sandbox_image = .*|sandbox_image = \"registry.k8s.io/pause:$pause_tag\"|" \
  "$kind_files/etc/containerd/config.toml" >"$rootfs/etc/containerd/config.toml"
mkdir -p "$rootfs/etc/systemd/system/containerd.service.d" "$rootfs/etc/systemd/system/kubelet.service.d"
cat >"$rootfs/etc/systemd/system/containerd.service.d/10-tacit.conf" <<'EOF'
# Without CAP_SYS_RESOURCE, systemd cannot lower the OOM score or raise limits past the hard ones.
[Service]
OOMScoreAdjust=0
LimitNOFILE=
LimitNPROC=
LimitCORE=
# The control plane's images, imported once containerd is up (kubeadm finds them; nothing is pulled).
ExecStartPost=/bin/sh -c 'for f in /kind/images/*.tar; do ctr -n k8s.io images import --no-unpack "$f" >/dev/null; done'
EOF
cat >"$rootfs/etc/systemd/system/kubelet.service.d/20-tacit.conf" <<'EOF'
# cgroup v1 hosts: the kubelet wants kubelet.slice in every hierarchy, and systemd does not create it
# in hugetlb, net_cls and perf_event ("cgroup [kubelet] has some missing paths").
[Service]
ExecStartPre=/bin/sh -c 'if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then for c in hugetlb net_cls perf_event; do [ -d /sys/fs/cgroup/$c ] && mkdir -p /sys/fs/cgroup/$c/kubelet.slice; done; fi; true'
EOF
# A bridge CNI (the kind config disables kindnet, whose image is not built here).
mkdir -p "$rootfs/etc/cni/net.d"
cat >"$rootfs/etc/cni/net.d/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kind-bridge",
  "plugins": [
    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.244.0.0/24" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
for c in kubelet kubeadm kubectl; do install -m 0755 "$KUBE_BIN/$c" "$rootfs/usr/bin/$c"; done
echo "$kv" >"$rootfs/kind/version"
systemctl --root="$rootfs" enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
systemctl --root="$rootfs" mask systemd-binfmt.service >/dev/null 2>&1
pod save --quiet -m --format docker-archive -o "$rootfs/kind/images/control-plane.tar" "${cp_images[@]}"

note "podman import"
tar -C "$rootfs" -cf "$work/node.tar" .
pod import --quiet \
  --change 'ENV container=docker' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  "$work/node.tar" "$image" >/dev/null
rm -rf "$work/node.tar" "$rootfs"
echo "$image"
