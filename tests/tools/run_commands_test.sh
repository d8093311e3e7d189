#!/usr/bin/env bash
# tools/run.sh ends by printing commands to try. Each line it prints indented by two spaces
# is a command, and must work when the whole line is pasted into bash: remarks go after
# '#', never in parentheses (a bash syntax error). This runs the printing part of run.sh
# (between its "BEGIN printed commands" and "END printed commands" markers) on a stand-in
# data directory, once as after the demo and once without it, and checks every command
# line with `bash -n`. CTest label lint.
set -euo pipefail
cd "$(dirname "$0")/../.."

block=$(sed -n '/^# BEGIN printed commands$/,/^# END printed commands$/p' tools/run.sh)
if [ -z "$block" ]; then
  echo "run_commands: no BEGIN/END printed commands markers in tools/run.sh"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/var
mkdir -p "$data/demo-statements" "$data/demo-receipts" "$data/demo-keys"
echo 'localhost/ipledger+1a2b3c4d+AQID' >"$data/log.vkey"
echo '{ "asset_id": "patent:CN202310000001.X" }' >"$data/demo-statements/03-patent-agrochem-1.json"
echo '{ "asset_id": "data:greenhouse-2026" }' >"$data/demo-statements/07-data-register-greenhouse.json"
echo '{ "pledge_id": "pl-agrochem-2026-01" }' >"$data/demo-statements/09-pledge-agrochem-18-patents.json"
touch "$data/demo-receipts/10-pledge-greenhouse-abc.receipt.json"
touch "$data/demo-receipts/11-pledge-double-financing-attempt.receipt.json"
echo '{ "index": 12 }' >"$data/demo-receipts/09-pledge-agrochem-18-patents.receipt.json"
echo '{ "collateral": ["patent:CN202310000001.X"] }' >"$data/demo-statements/11-pledge-double-financing-attempt.json"

failed=0
checked=0
for demo in loaded none; do
  if [ "$demo" = loaded ]; then touch "$data/demo-loaded"; else rm -f "$data/demo-loaded"; fi
  # The variables run.sh has set by then; curl answers as /healthz would.
  out=$(
    cd "$tmp"
    cli=build/release/tools/ipledger data=var url=http://127.0.0.1:8080 pidfile=var/ipledgerd.pid policy=var/witness-policy
    curl() { echo '{"status":"ok","tree_size":42}'; }
    eval "$block"
  )
  commands=$(grep '^  ' <<<"$out" || true)
  if [ -z "$commands" ]; then
    echo "run_commands ($demo): run.sh printed no command lines:"
    echo "$out"
    failed=$((failed + 1))
    continue
  fi
  while IFS= read -r line; do
    checked=$((checked + 1))
    if ! err=$(bash -n -c "$line" 2>&1); then
      echo "run_commands ($demo): not a bash command line: $line"
      echo "  $err"
      failed=$((failed + 1))
    fi
  done <<<"$commands"
done
echo "run_commands: $checked printed command lines checked, $failed failed"
[ "$failed" = 0 ] && [ "$checked" -ge 8 ]
