#!/usr/bin/env bash
# Builds what a local Kubernetes cluster needs and no package ships, and caches it:
#   $TACIT_CACHE/kube/<version>/bin   kube-apiserver, kube-controller-manager, kube-scheduler,
#                                     kubelet, kube-proxy, kubeadm, kubectl (Go module proxy)
#   $TACIT_CACHE/kube/<version>/pause the pause container's binary (Kubernetes' own pause.c)
#   $TACIT_CACHE/bin/coredns          CoreDNS (go install)
#   $TACIT_CACHE/bin/kind             kind, only with --kind (go install)
#   $TACIT_CACHE/kube/etcd-<version>  etcd for kind's node image, only with --kind (a wrapper module
#                                     calling etcdmain: Debian's 3.4 lacks the flags kubeadm 1.37 passes)
# A second run with everything in place takes under a second.
#
#   bash scripts/cluster/build.sh [--kind]
#
# k8s.io/kubernetes cannot be built by `go install` (its go.mod replaces every k8s.io/<staging>
# module by a folder that its module zip does not hold), nor inside the downloaded module. It builds
# in a wrapper module that requires it and replaces each staging module by its published
# v0.<minor>.<patch>. Cold, on 2 cores: ~15 min (kube-apiserver alone ~8); ~1 min with a warm Go
# build cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/env.sh
. "$here/../lib/env.sh"
# shellcheck source=../lib/pins.sh
. "$here/../lib/pins.sh"

with_kind=false
for arg in "$@"; do
  case "$arg" in
    --kind) with_kind=true ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster/build: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "cluster/build: go is needed (the machines have it in /usr/local/go/bin)" >&2; exit 1; }

version="$TACIT_KUBE_VERSION"
out="$TACIT_CACHE/kube/$version"
commands="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubeadm kubectl"
note() { printf '    %s\n' "$*"; }
# Hundreds of "go: downloading" lines say nothing; errors still come through.
go_quiet() { grep -v '^go: \(downloading \|added \|upgraded \|finding \|creating new go.mod\)' || true; }
# Builds run at low priority: the machine stays usable while the apiserver compiles.
lowprio() { nice -n 10 "$@"; }

# --- Kubernetes ------------------------------------------------------------------------------
have_kube=true
for c in $commands; do [ -x "$out/bin/$c" ] || have_kube=false; done
if $have_kube && [ "$("$out/bin/kube-apiserver" --version 2>/dev/null)" = "Kubernetes $version" ]; then
  note "kubernetes $version: present ($out/bin)"
else
  note "kubernetes $version: building $commands (~15 min on a cold Go cache, ~1 min warm)"
  t0=$SECONDS
  src="$TACIT_CACHE/src/kubernetes-$version"
  rm -rf "$src"
  mkdir -p "$src" "$out/bin"
  (
    cd "$src"
    go mod init tacit.local/tools/kubernetes 2>&1 | go_quiet
    go mod edit -require "k8s.io/kubernetes@$version"
    gomod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
    minor="${version#v1.}"
    # Each `k8s.io/<name> => ./staging/src/k8s.io/<name>` becomes `=> k8s.io/<name> v0.<minor>.<patch>`.
    # The two samples are not published and nothing here imports them.
    awk '/^replace[ \t]*\(/ { b = 1; next } b && /^\)/ { b = 0 } b && $2 == "=>" { print $1 }' "$gomod" |
      while read -r mod; do
        case "$mod" in k8s.io/sample-cli-plugin | k8s.io/sample-controller) continue ;; esac
        go mod edit -replace "$mod=$mod@v0.$minor"
      done
    {
      echo '//go:build tools'
      echo 'package tools'
      echo 'import ('
      for c in $commands; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
      echo ')'
    } >tools.go
    lowprio go mod tidy 2>&1 | go_quiet
    major="${version#v}"; major="${major%%.*}"
    mnr="${version#v*.}"; mnr="${mnr%%.*}"
    # Without the version stamped in, the servers report v0.0.0 and charts with a kubeVersion
    # constraint refuse to install.
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$mnr -X $pkg.gitTreeState=clean"
    done
    pkgs=()
    for c in $commands; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    # One go build for all of them: shared packages compile once.
    CGO_ENABLED=0 lowprio go build -trimpath -ldflags "$ldflags" -o "$out/bin/" "${pkgs[@]}" 2>&1 | go_quiet
  )
  for c in $commands; do [ -x "$out/bin/$c" ] || { echo "cluster/build: $c was not built" >&2; exit 1; }; done
  [ "$("$out/bin/kube-apiserver" --version)" = "Kubernetes $version" ] ||
    { echo "cluster/build: kube-apiserver reports $("$out/bin/kube-apiserver" --version), not $version" >&2; exit 1; }
  note "kubernetes built in $((SECONDS - t0)) s ($(du -sm "$out/bin" | cut -f1) MB)"
fi

# --- pause -----------------------------------------------------------------------------------
# The sandbox every pod's containers share a network namespace with: Kubernetes' own pause.c,
# static, so its image is FROM scratch.
if [ ! -x "$out/pause" ]; then
  pause_c="$(go env GOMODCACHE)/k8s.io/kubernetes@$version/build/pause/linux/pause.c"
  [ -f "$pause_c" ] || go mod download "k8s.io/kubernetes@$version"
  tag="$(sed -n 's/^TAG ?= //p' "$(dirname "$pause_c")/../Makefile")"
  gcc -Os -Wall -Werror -static -DVERSION="v$tag-tacit" -o "$out/pause" "$pause_c"
  strip "$out/pause"
  echo "$tag" >"$out/pause.version"
  note "pause $tag built"
fi

# --- Go tools: CoreDNS, kind -----------------------------------------------------------------
go_tool() { # binary package version
  local target="$TACIT_CACHE/bin/$1" have=""
  [ -x "$target" ] && have="$(go version -m "$target" 2>/dev/null | awk '$1=="mod"{print $3; exit}')"
  if [ "$have" = "$3" ]; then
    note "$1 $3: present"
    return
  fi
  note "$1 $3: building (go install $2@$3)"
  local t0=$SECONDS
  mkdir -p "$TACIT_CACHE/bin"
  GOBIN="$TACIT_CACHE/bin" CGO_ENABLED=0 lowprio go install -trimpath -ldflags '-s -w' "$2@$3" 2>&1 | go_quiet
  note "$1 built in $((SECONDS - t0)) s"
}
go_tool coredns github.com/coredns/coredns "$TACIT_COREDNS_VERSION"
if $with_kind; then
  go_tool kind sigs.k8s.io/kind "$TACIT_KIND_VERSION"
  etcd_bin="$TACIT_CACHE/kube/etcd-$TACIT_ETCD_VERSION"
  if [ -x "$etcd_bin" ]; then
    note "etcd $TACIT_ETCD_VERSION: present"
  else
    note "etcd $TACIT_ETCD_VERSION: building (etcdmain in a wrapper module)"
    t0=$SECONDS
    src="$TACIT_CACHE/src/etcd-$TACIT_ETCD_VERSION"
    rm -rf "$src" && mkdir -p "$src"
    (
      cd "$src"
      go mod init tacit.local/tools/etcd 2>&1 | go_quiet
      printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
      go get "go.etcd.io/etcd/server/v3@$TACIT_ETCD_VERSION" 2>&1 | go_quiet
      lowprio go mod tidy 2>&1 | go_quiet
      CGO_ENABLED=0 lowprio go build -trimpath -ldflags '-s -w' -o "$etcd_bin" . 2>&1 | go_quiet
    )
    note "etcd built in $((SECONDS - t0)) s"
  fi
fi
