#!/usr/bin/env bash
# Builds fuzz/native/libfuzzer-addon.cc against Debian's libFuzzer (package libclang-rt-14-dev) and
# prints the path of the .node file. Cached in $TACIT_CACHE/fuzz by the hash of the source, the
# libFuzzer archive and the Node version: a second run only prints the path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib/env.sh
. "$here/../../scripts/lib/env.sh"

libfuzzer="${TACIT_LIBFUZZER:-$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | sort -V | tail -1)}"
if [ -z "$libfuzzer" ] || [ ! -f "$libfuzzer" ]; then
  echo "fuzz/native/build.sh: libclang_rt.fuzzer_no_main-x86_64.a not found: apt-get install libclang-rt-14-dev (scripts/setup.sh does)" >&2
  exit 1
fi
headers="$TACIT_NODE_DIR/include/node"
[ -f "$headers/node_api.h" ] || { echo "fuzz/native/build.sh: no Node headers in $headers (run scripts/setup.sh)" >&2; exit 1; }

key="$(cat "$here/libfuzzer-addon.cc" "$libfuzzer" | sha256sum | cut -c1-16)-node$TACIT_NODE_VERSION"
out="$TACIT_CACHE/fuzz/libfuzzer-addon-$key.node"
if [ ! -f "$out" ]; then
  mkdir -p "$TACIT_CACHE/fuzz"
  tmp="$out.tmp.$$"
  # -whole-archive: nothing in the addon calls most of libFuzzer directly; it must all be there.
  # --wrap=exit: see __wrap_exit in the source.
  g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -I"$headers" "$here/libfuzzer-addon.cc" \
    -Wl,--whole-archive "$libfuzzer" -Wl,--no-whole-archive -Wl,--wrap=exit -lpthread -o "$tmp"
  mv "$tmp" "$out"
fi
echo "$out"
