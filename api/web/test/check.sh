#!/usr/bin/env bash
# The web console's static checks (CTest test web_check, label lint): its TypeScript
# type-checks under --strict (tsc from the TypeScript SDK's pinned devDependencies, which
# tools/deps.sh installs; api/web/tsconfig.json), which among others makes a word
# missing from one language of src/i18n.ts an error; and test/i18n.test.mjs checks the
# two languages' keys and placeholders at run time. Skips (exit 0, with a message) if
# tsc or api/web's npm packages are not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tsc=$here/../sdk/typescript/node_modules/.bin/tsc
if [ ! -x "$tsc" ] || [ ! -d "$here/node_modules/esbuild" ]; then
  echo "SKIPPED: tsc (api/sdk/typescript) or api/web/node_modules missing: run tools/deps.sh"
  exit 0
fi
"$tsc" -p "$here/tsconfig.json"
echo "tsc: the web console type-checks"
NODE_PATH=$here/node_modules node --test "$here/test/i18n.test.mjs"
