#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through playwright-core (no browser
# download): installs the `chromium` package when it is missing.
set -euo pipefail
path=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$path" ]; then echo "chromium: $("$path" --version 2>/dev/null || echo present)"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends chromium >/dev/null
}
echo "chromium: installed $("$path" --version 2>/dev/null)"
