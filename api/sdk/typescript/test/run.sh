#!/usr/bin/env bash
# Builds and tests the TypeScript SDK (CTest test sdk_typescript, label sdk):
#   api/sdk/typescript/test/run.sh BUILD_DIR IPLEDGER IPLEDGERD [FALLBACK_VECTORS_DIR]
# Copies the package into BUILD_DIR/sdk-typescript (the source tree stays clean), installs
# its dependencies there with `npm ci` from the committed lockfile when the lockfile
# changed (offline from npm's cache once tools/deps.sh has run `npm ci`), compiles it
# with tsc and runs `node --test` on test/*.test.mjs. The vectors are tests/vectors when
# it exists, else FALLBACK_VECTORS_DIR.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BUILD_DIR IPLEDGER IPLEDGERD [FALLBACK_VECTORS_DIR]" >&2
  exit 2
fi
pkg=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$pkg/../../.." && pwd)
work=$1/sdk-typescript
vectors=$root/tests/vectors
[ -d "$vectors" ] || vectors=${4:-$root/../shared/vectors}
if [ ! -d "$vectors" ]; then
  echo "run.sh: no test vectors at $root/tests/vectors or ${4:-(none given)}" >&2
  exit 1
fi

mkdir -p "$work"
rm -rf "$work/src" "$work/test"
cp -R "$pkg/src" "$pkg/test" "$pkg/package.json" "$pkg/tsconfig.json" "$work/"
if ! cmp -s "$pkg/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
  cp "$pkg/package-lock.json" "$work/package-lock.json"
  (cd "$work" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
fi
cd "$work"
# Compile unless dist/ was built from exactly these sources.
sources_hash=$(cat src/*.ts tsconfig.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat dist/.sources-sha256 2>/dev/null)" != "$sources_hash" ]; then
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.json
  echo "$sources_hash" >dist/.sources-sha256
fi
# The SDK targets Node 20 and later; Debian 12's own nodejs is 18, where WebCrypto's
# global `crypto` still needs a flag.
node_flags=()
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "run.sh: node $(node --version) is too old: the SDK needs Node 20 (18 at least)" >&2
  exit 1
fi
[ "$node_major" -ge 19 ] || node_flags+=(--experimental-global-webcrypto)
# The test files run side by side (each starts its own server) where Node can.
node --test-concurrency=3 -e '' 2>/dev/null && node_flags+=(--test-concurrency=3)
IPLEDGER_VECTORS=$vectors IPLEDGER_CLI=$2 IPLEDGERD=$3 IPLEDGER_SDK_DOC=$root/docs/sdk-typescript.md \
  exec node ${node_flags[@]+"${node_flags[@]}"} --test test/*.test.mjs
