#!/usr/bin/env bash
# Installs what is missing, builds Release, initializes a registry under ./var/ if there
# is none, verifies it, and prints its signed checkpoint and where to look.
# (The HTTP server arrives with the API issue; until then this is what "run" means.)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
cmake --preset release -G Ninja >/dev/null
cmake --build build/release -j"$(nproc)" --target ipledger

cli=build/release/tools/ipledger
data=var
if [ ! -e "$data/db" ]; then
  "$cli" init --data-dir "$data" --origin "${IPLEDGER_ORIGIN:-localhost/ipledger}"
fi
"$cli" verify --data-dir "$data"
echo
echo "Latest checkpoint of the registry in ./$data:"
"$cli" checkpoint --data-dir "$data"
echo
echo "Verifier key (publish it; anyone checks checkpoints with it): $(cat "$data/log.vkey")"
echo "Try:  $cli verify --data-dir $data"
