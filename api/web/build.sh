#!/usr/bin/env bash
# Builds the web console into OUT_DIR (the CMake target web_console: BUILD_DIR/web):
#   api/web/build.sh OUT_DIR
# Installs api/web's npm packages from the committed lockfile first when they are
# missing or stale (npm ci, from npm's cache once tools/deps.sh has run), then bundles.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci" 2>/dev/null; then
  (cd "$here" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.package-lock.json.ci)
fi
exec node "$here/build.mjs" "$1"
