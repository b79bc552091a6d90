#!/usr/bin/env bash
# Builds Tacit's images with podman, locally, from Debian's archive and what scripts/setup.sh
# installs: no registry is needed.
#
#   localhost/tacit/debian:<suite>      Debian's libc6, libstdc++6, libgcc-s1 (mmdebstrap, extract
#                                       only: no shell, no package manager), uid 10001, /tmp, /data
#   localhost/tacit/node-base:<node>    + the pinned official Node.js binary (.nvmrc)
#   localhost/tacit/tacit:<tag>         every service and the node (images/tacit/Containerfile)
#   localhost/tacit/{nats,postgres,redis,minio}:<tag>   the dev dependencies (k8s/dev)
#
#   bash scripts/images.sh [--tag TAG] [--base IMAGE] [--no-deps] [--no-build] [--save FILE] [--smoke]
#
#   --tag TAG      tag of the app and dev-dependency images (default: package.json's version, the
#                  chart's appVersion)
#   --base IMAGE   base of the app image instead of localhost/tacit/node-base (any image with Node 24
#                  as `node` on PATH, e.g. docker.io/library/node:24-bookworm-slim where a registry is
#                  reachable)
#   --no-deps      the app image only
#   --no-build     skip `npm run build` (the workspaces' dist/ must be current)
#   --save FILE    also write every image built to FILE (podman save -m: one archive that
#                  `ctr images import` and `kind load image-archive` take)
#   --smoke        then run the node image on a published loopback port and make a real client round
#                  trip through it, stop it with SIGTERM and check it exited 0
#
# The bases are rebuilt only when their inputs change (a label records their hash); the app's
# production node_modules only when package-lock.json does. Prints each image's size.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/env.sh
. "$here/lib/env.sh"
# shellcheck source=lib/pins.sh
. "$here/lib/pins.sh"
# shellcheck source=lib/podman.sh
. "$here/lib/podman.sh"
cd "$TACIT_ROOT"

tag="$(node -p 'require("./package.json").version')"
base=""
deps=true
build=true
save=""
smoke=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift ;;
    --base) base="$2"; shift ;;
    --no-deps) deps=false ;;
    --no-build) build=false ;;
    --save) save="$2"; shift ;;
    --smoke) smoke=true ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "images: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

work="$TACIT_CACHE/images"
mkdir -p "$work"
note() { printf '    %s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
label_of() { pod image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true; }
built=()

# --- Debian base -----------------------------------------------------------------------------
suite="$TACIT_IMAGE_SUITE"
debian="localhost/tacit/debian:$suite"
rootfs="$work/debian-$suite"
# Debian's own sources (security updates included) when the machine has them in deb822 form.
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=""
debian_inputs="$(printf '%s\n' "$suite" libc6 libstdc++6 libgcc-s1 v3 | sha256sum | cut -c1-16)"
step "$debian"
if [ "$(label_of "$debian" tacit.inputs)" = "$debian_inputs" ] && [ -d "$rootfs" ]; then
  note "present"
else
  t0=$SECONDS
  rm -rf "$rootfs"
  # extract: the packages' files only (no maintainer scripts, no dpkg, no shell). Node needs libc,
  # libm, libstdc++ and libgcc_s.
  nice mmdebstrap --quiet --variant=extract --include=libc6,libstdc++6,libgcc-s1 --format=directory \
    "$suite" "$rootfs" ${sources:+"$sources"}
  # Packaging leftovers, docs, and gconv (iconv modules; Node uses ICU) go. The user the images
  # run as: postgres and initdb refuse a uid without a name.
  rm -rf "$rootfs"/usr/share/doc "$rootfs"/usr/share/lintian "$rootfs"/usr/lib/x86_64-linux-gnu/gconv \
    "$rootfs"/var/cache/apt "$rootfs"/var/lib/apt "$rootfs"/etc/apt "$rootfs"/var/log/apt
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\ntacit:x:10001:10001:tacit:/data:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\ntacit:x:10001:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  chmod 644 "$rootfs/etc/passwd" "$rootfs/etc/group"
  mkdir -p "$rootfs/tmp" "$rootfs/data" "$rootfs/usr/local/bin"
  chmod 1777 "$rootfs/tmp"
  chown 10001:10001 "$rootfs/data"
  tar -C "$rootfs" -cf "$work/debian-$suite.tar" .
  pod import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL tacit.inputs=$debian_inputs" \
    --change 'USER 10001:10001' \
    "$work/debian-$suite.tar" "$debian" >/dev/null
  rm -f "$work/debian-$suite.tar"
  note "built in $((SECONDS - t0)) s"
fi
pod tag "$debian" localhost/tacit/debian:latest

# --- Node base -------------------------------------------------------------------------------
node_bin="$TACIT_NODE_DIR/bin/node"
[ -x "$node_bin" ] || { echo "images: $node_bin is missing: run scripts/setup.sh" >&2; exit 1; }
node_base="localhost/tacit/node-base:$TACIT_NODE_VERSION"
node_inputs="$(printf '%s %s\n' "$(label_of "$debian" tacit.inputs)" "$(sha256sum "$node_bin" | cut -c1-16)" | sha256sum | cut -c1-16)"
step "$node_base"
if [ "$(label_of "$node_base" tacit.inputs)" = "$node_inputs" ]; then
  note "present"
else
  ctx="$work/node-base"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$node_bin" "$ctx/node"
  printf 'FROM %s\nCOPY node /usr/local/bin/node\nLABEL tacit.inputs=%s\n' "$debian" "$node_inputs" >"$ctx/Containerfile"
  pod build --quiet -t "$node_base" "$ctx" >/dev/null
  rm -rf "$ctx"
  note "built"
fi
pod tag "$node_base" localhost/tacit/node-base:latest

# --- The app ---------------------------------------------------------------------------------
# The workspaces that run in production: everything but libs/testing and bench.
workspaces="proto libs/crypto libs/protocol libs/directory-core libs/kit libs/sdk libs/queue-client libs/prekey-client libs/directory-client libs/push-client libs/platform libs/push-providers services/queue services/prekey services/directory services/push services/media services/gateway services/node deploy"
app="localhost/tacit/tacit:$tag"
step "$app (base ${base:-$node_base})"
if $build; then npm run build --silent; fi
ctx="$work/app"
modules="$work/app-modules"
# Production node_modules, installed once per lockfile: every workspace's package.json (npm ci
# checks them against the lock), then only the runtime workspaces' dependencies.
lock_hash="$( (cat package-lock.json; for w in $workspaces; do cat "$w/package.json"; done) | sha256sum | cut -c1-16)"
if [ "$(cat "$modules/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  t0=$SECONDS
  rm -rf "$modules" && mkdir -p "$modules"
  cp package.json package-lock.json "$modules/"
  for w in $(node -e 'console.log(require("./package.json").workspaces.join(" "))'); do
    for d in $w; do [ -f "$d/package.json" ] && mkdir -p "$modules/$d" && cp "$d/package.json" "$modules/$d/"; done
  done
  wflags=()
  for w in services/node deploy; do wflags+=("--workspace=$w"); done
  # No install scripts: no runtime dependency has one (better-sqlite3 is bench's, a dev dependency).
  (cd "$modules" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error \
    --include-workspace-root=false "${wflags[@]}")
  # Types, sources and maps do not run; the packages' licences stay.
  find "$modules" -path '*/node_modules/*' -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \) -delete
  rm -f "$modules/node_modules/@tacit/testing" "$modules/node_modules/@tacit/bench"
  echo "$lock_hash" >"$modules/.lock-hash"
  note "production node_modules in $((SECONDS - t0)) s ($(du -sm "$modules/node_modules" | cut -f1) MB)"
fi
rm -rf "$ctx" && mkdir -p "$ctx/app" "$ctx/data"
cp -a "$modules/node_modules" "$ctx/app/"
cp package.json "$ctx/app/"
for w in $workspaces; do
  mkdir -p "$ctx/app/$w"
  cp "$w/package.json" "$ctx/app/$w/"
  # Versions that conflict with the hoisted ones live in the workspace's own node_modules.
  if [ -d "$modules/$w/node_modules" ]; then cp -a "$modules/$w/node_modules" "$ctx/app/$w/"; fi
  # The compiled code without specs, declarations and maps.
  (cd "$w" && find dist -type f -name '*.js' ! -name '*.spec.js' ! -path 'dist/cluster/*' -exec cp --parents -t "$ctx/app/$w/" {} +)
done
# The SQL the services (and `tacit migrate`) apply.
for w in services/queue services/prekey services/directory services/push; do cp -a "$w/migrations" "$ctx/app/$w/"; done
cp images/tacit/Containerfile "$ctx/"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
pod build --quiet -t "$app" \
  --build-arg "BASE_IMAGE=${base:-$node_base}" \
  --label "org.opencontainers.image.title=tacit" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.version=$(node -p 'require("./package.json").version')" \
  "$ctx" >/dev/null
rm -rf "$ctx"
built+=("$app")

# --- Dev dependencies ------------------------------------------------------------------------
# Files and the shared libraries they link that the Debian base lacks, copied into rootfs/.
base_has_lib() { [ -e "$rootfs/lib/x86_64-linux-gnu/$1" ] || [ -e "$rootfs/usr/lib/x86_64-linux-gnu/$1" ]; }
add_files() { # rootfs file...
  local dest="$1" f lib
  shift
  for f in "$@"; do
    mkdir -p "$dest$(dirname "$f")"
    cp -L "$f" "$dest$f"
    if file -L "$f" | grep -q 'dynamically linked'; then
      while read -r lib; do
        base_has_lib "$(basename "$lib")" && continue
        mkdir -p "$dest/usr/lib/x86_64-linux-gnu"
        cp -L "$lib" "$dest/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
      done < <(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
    fi
  done
}
dep_image() { # name
  local name="$1" ctx="$work/dep-$1"
  pod build --quiet -t "localhost/tacit/$name:$tag" --build-arg "BASE_IMAGE=$debian" "$ctx" >/dev/null
  rm -rf "$ctx"
  built+=("localhost/tacit/$name:$tag")
}
new_ctx() { # name
  local ctx="$work/dep-$1"
  rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/data"
  cp "images/$1/Containerfile" "$ctx/"
  echo "$ctx"
}
if $deps; then
  step "dev dependencies: nats, postgres, redis, minio ($tag)"
  for name in nats-server minio; do
    [ -x "$TACIT_CACHE/bin/$name" ] || { echo "images: $TACIT_CACHE/bin/$name is missing: run scripts/setup.sh" >&2; exit 1; }
  done
  ctx="$(new_ctx nats)"
  # Stripped of debug info (the cached binary keeps it for the tests' stack traces).
  strip -o "$ctx/rootfs/usr/local/bin/nats-server" "$TACIT_CACHE/bin/nats-server"
  dep_image nats
  ctx="$(new_ctx minio)"
  strip -o "$ctx/rootfs/usr/local/bin/minio" "$TACIT_CACHE/bin/minio"
  dep_image minio
  ctx="$(new_ctx redis)"
  rmdir "$ctx/data"
  add_files "$ctx/rootfs" "$(readlink -f /usr/bin/redis-server)"
  mv "$ctx/rootfs$(readlink -f /usr/bin/redis-server)" "$ctx/rootfs/usr/bin/redis-server.tmp"
  mv "$ctx/rootfs/usr/bin/redis-server.tmp" "$ctx/rootfs/usr/bin/redis-server"
  dep_image redis
  pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  pgdir="$(dirname "$pgbin")"
  pgshare="/usr/share/postgresql/$(basename "$pgdir")"
  ctx="$(new_ctx postgres)"
  # The server, initdb and the modules initdb loads (plpgsql, the snowball dictionaries); not the
  # JIT (it links LLVM, 100 MB; jit = off) nor the client tools.
  add_files "$ctx/rootfs" "$pgbin/postgres" "$pgbin/initdb" $(find "$pgdir/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*')
  mkdir -p "$ctx/rootfs$pgshare" "$ctx/rootfs/usr/share/zoneinfo" "$ctx/rootfs/bin"
  cp -a "$pgshare/." "$ctx/rootfs$pgshare/"
  # Debian's PostgreSQL reads the system time zones; the right/ and posix/ copies are not needed.
  cp -a /usr/share/zoneinfo/. "$ctx/rootfs/usr/share/zoneinfo/"
  rm -rf "$ctx/rootfs/usr/share/zoneinfo/right" "$ctx/rootfs/usr/share/zoneinfo/posix"
  cp /bin/busybox "$ctx/rootfs/bin/busybox"
  ln -s busybox "$ctx/rootfs/bin/sh"
  cp images/postgres/postgres-entry "$ctx/rootfs/usr/local/bin/"
  dep_image postgres
fi

# --- Sizes, archive, smoke test --------------------------------------------------------------
step "sizes"
for img in "$debian" "$node_base" "${built[@]}"; do
  printf '    %-40s %s\n' "$img" "$(pod image inspect --format '{{.Size}}' "$img" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
done

if [ -n "$save" ]; then
  mkdir -p "$(dirname "$save")"
  rm -f "$save"
  pod save --quiet -m --format docker-archive -o "$save" "${built[@]}"
  note "saved ${#built[@]} images to $save ($(du -m "$save" | cut -f1) MB)"
fi

if $smoke; then
  step "smoke: podman run $app, a client round trip on a published loopback port"
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  ops="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  name="tacit-smoke-$$"
  pod volume create "$name" >/dev/null
  cleanup() { pod rm -f -t 0 "$name" >/dev/null 2>&1 || true; pod volume rm -f "$name" >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  pod run -d --name "$name" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -p "127.0.0.1:$port:8080" -p "127.0.0.1:$ops:9090" -v "$name:/data" "$app" >/dev/null
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$ops/readyz" >/dev/null 2>&1 && break
    sleep 0.25
  done
  curl -fsS "http://127.0.0.1:$ops/readyz" >/dev/null || { pod logs "$name"; echo "images: the node never became ready" >&2; exit 1; }
  ROUNDTRIP_URL="ws://127.0.0.1:$port/v1" ROUNDTRIP_PACKETS=20 node deploy/dist/entry.js roundtrip
  pod stop -t 30 "$name" >/dev/null
  code="$(pod inspect --format '{{.State.ExitCode}}' "$name")"
  [ "$code" = 0 ] || { pod logs "$name" | tail -5; echo "images: the node exited $code on SIGTERM, not 0" >&2; exit 1; }
  note "round trip through ws://127.0.0.1:$port/v1 passed; SIGTERM: exit 0"
fi
