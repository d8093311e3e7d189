#!/usr/bin/env bash
# Starts the registry with demo data and prints where to look: installs what is missing,
# builds Release, initializes ./var/ the first time, starts ipledgerd in the background
# (or reuses the one already serving ./var/), loads the demo stories once
# (tools/demo.sh), and prints commands to try.
#
# For a fresh demo the registry starts on a clock held 15 days back by the file
# ./var/demo-clock (ipledger init and ipledgerd --clock-file, options for demos and tests
# only), so that the data sets' publicity period passes for real; demo.sh moves that
# clock on and removes the file, and the server then runs on the real clock. A server
# started later (or with --no-demo) is given no clock file.
#
#   tools/run.sh             start (and load the demo the first time)
#   tools/run.sh --no-demo   start without loading the demo
#
# Beside it run three witnesses (ipledger witness: a bank's, an insurer's and the
# regulator's, in ./var/witnesses/, on ports 8081-8083) and ipledgerd gathers their
# cosignatures under the policy ./var/witness-policy, "the regulator and one of the other
# two" (docs/operations.md, Witnesses). The demo registers the three witnesses' keys and
# URLs in the log, so `ipledger witness-policy` derives the same policy from it.
#
# IPLEDGER_LISTEN (default 127.0.0.1:8080), IPLEDGER_WITNESS_PORT (default 8081, the
# first of three) and IPLEDGER_ORIGIN (default localhost/ipledger, used only by the first
# init) change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

tools/deps.sh
cmake --preset release -G Ninja >/dev/null
cmake --build build/release -j"$(nproc)" --target ipledger ipledgerd
# The web console (api/web), served by ipledgerd at /ui/; built when node and npm exist.
if command -v npm >/dev/null 2>&1; then
  cmake --build build/release --target web_console
fi

cli=build/release/tools/ipledger
daemon=build/release/tools/ipledgerd
data=var
listen=${IPLEDGER_LISTEN:-127.0.0.1:8080}
url=http://$listen
pidfile=$data/ipledgerd.pid
log=$data/ipledgerd.log
clock=$data/demo-clock
clock_args=()

if [ ! -e "$data/db" ]; then
  if [ "$demo" = 1 ]; then
    # The demo's clock, 15 days back; init refuses a non-empty directory, so the file
    # moves into ./var/ after it.
    held=$(mktemp)
    date -u -d '15 days ago' +%FT%TZ >"$held"
    "$cli" init --data-dir "$data" --origin "${IPLEDGER_ORIGIN:-localhost/ipledger}" \
      --clock-file "$held"
    mv "$held" "$clock"
  else
    "$cli" init --data-dir "$data" --origin "${IPLEDGER_ORIGIN:-localhost/ipledger}"
  fi
  echo
fi
if [ "$demo" = 1 ] && [ ! -e "$data/demo-loaded" ] && [ -e "$clock" ]; then
  clock_args=(--clock-file "$clock")
fi

# The witnesses: started once, reused while their pid files name a live witness.
witness_port=${IPLEDGER_WITNESS_PORT:-8081}
policy=$data/witness-policy
policy_text="# the regulator and one of the bank and the insurer (tools/run.sh)"
for name in bank insurer regulator; do
  wdir=$data/witnesses/$name
  mkdir -p "$wdir"
  wurl=http://127.0.0.1:$witness_port
  wpid=""
  if [ -s "$wdir/pid" ] && kill -0 "$(cat "$wdir/pid")" 2>/dev/null &&
      tr '\0' ' ' <"/proc/$(cat "$wdir/pid")/cmdline" 2>/dev/null | grep -q " witness --data-dir $wdir "; then
    wpid=$(cat "$wdir/pid")
  else
    setsid "$cli" witness --data-dir "$wdir" --listen "127.0.0.1:$witness_port" \
      --name "witness.$name.example" --log-vkey "$data/log.vkey" >>"$wdir/log" 2>&1 </dev/null &
    echo $! >"$wdir/pid"
  fi
  for _ in $(seq 1 100); do
    if curl -sf "$wurl/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  if ! curl -sf "$wurl/healthz" >/dev/null 2>&1; then
    echo "run.sh: the $name witness does not answer on $wurl; see $wdir/log" >&2
    exit 1
  fi
  [ -n "$wpid" ] || echo "started the $name witness (pid $(cat "$wdir/pid")) on $wurl"
  policy_text+=$'\n'"witness $name $(cat "$wdir/witness.vkey") $wurl"
  echo "$wurl" >"$wdir/url"  # demo.sh registers the key and URL in the log
  witness_port=$((witness_port + 1))
done
policy_text+=$'\n'"group others any bank insurer"$'\n'"group needed all regulator others"$'\n'"quorum needed"
printf '%s\n' "$policy_text" >"$policy"

# Reuse a server already running from this data directory (RocksDB allows one writer).
running=""
if [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
      grep -q "ipledgerd --data-dir $data "; then
    running=$pid
    url=http://$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^--listen$/{n;p}')
  fi
fi

if [ -n "$running" ]; then
  echo "ipledgerd is already running from ./$data (pid $running) on $url"
else
  # setsid: the server outlives this script and the terminal's job control.
  setsid "$daemon" --data-dir "$data" --listen "$listen" --witness-policy "$policy" \
    "${clock_args[@]}" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "started ipledgerd (pid $(cat "$pidfile")) on $url; log in $log"
fi

# Wait until it answers (it verifies the whole log before it listens).
for _ in $(seq 1 300); do
  if curl -sf "$url/healthz" >/dev/null 2>&1; then break; fi
  if [ -z "$running" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "run.sh: ipledgerd exited; the end of $log:" >&2
    tail -n 5 "$log" >&2
    rm -f "$pidfile"
    exit 1
  fi
  sleep 0.1
done
if ! curl -sf "$url/healthz" >/dev/null 2>&1; then
  echo "run.sh: $url/healthz does not answer after 30 s; see $log" >&2
  exit 1
fi

if [ "$demo" = 1 ] && [ ! -e "$data/demo-loaded" ]; then
  echo
  # The demo's first entries are dated 15 days back, right after the genesis entry: it
  # needs a log of one entry and a server that reads the clock file.
  size=$(curl -sf "$url/healthz" | sed -n 's/.*"tree_size":\([0-9]*\).*/\1/p')
  served_pid=${running:-$(cat "$pidfile")}
  if [ ! -e "$clock" ] || [ "$size" != 1 ] ||
      ! tr '\0' '\n' <"/proc/$served_pid/cmdline" 2>/dev/null | grep -qx -- --clock-file; then
    echo "Not loading the demo: it needs a fresh ./$data (its registry starts on a clock held"
    echo "15 days back). To load it, stop the server, remove ./$data/ and run tools/run.sh again."
  else
    echo "Loading the demo (tools/demo.sh):"
    tools/demo.sh --data-dir "$data" --server "$url" --cli "$cli" --clock-file "$clock" \
      --witnesses "$data/witnesses"
    date -u +%FT%TZ >"$data/demo-loaded"
  fi
fi

# The lines below that start with two spaces are commands: each works when its whole line is
# pasted into bash (remarks go after '#'; tests/tools/run_commands_test.sh checks it).
# BEGIN printed commands
echo
echo "The registry at $url, log size $(curl -sf "$url/healthz" | sed -n 's/.*"tree_size":\([0-9]*\).*/\1/p'):"
echo "Its verifier key ($data/log.vkey; publish it): $(cat "$data/log.vkey")"
# The CLI pins a log's key at first use (known_logs): after ./var/ was deleted and made
# again, a pin from the earlier demo's log names another key for the same origin, and the
# CLI rightly refuses this log. Say so, with the line that removes the stale pin.
pins=${IPLEDGER_KNOWN_LOGS:-${HOME:-/nonexistent}/.config/ipledger/known_logs}
vkey=$(cat "$data/log.vkey")
origin=${vkey%%+*}
if [ -f "$pins" ] && grep -q "^$origin+" "$pins" && ! grep -qxF "$vkey" "$pins"; then
  echo
  echo "Note: $pins pins another key for $origin (an earlier demo's log, now deleted);"
  echo "the CLI will refuse this log until that pin goes. To forget the old log:"
  echo "  sed -i '\\#^$origin[+ ]#d' $pins $pins.checkpoints"
fi
echo
if [ -f build/release/web/index.html ]; then
  echo "Web console (zh-CN; English switch at the top right): $url/ui/"
  echo
fi
echo "Try:"
echo "  curl -s $url/log/checkpoint"
if [ -e "$data/demo-loaded" ]; then
  patent=$(sed -n 's/.*"asset_id": "\(patent:[^"]*\)".*/\1/p' "$data"/demo-statements/*-patent-*.json | head -n 1)
  green=$(sed -n 's/.*"asset_id": "\(data:[^"]*\)".*/\1/p' "$data"/demo-statements/*-data-register-greenhouse.json)
  pledge_receipt=$(ls "$data"/demo-receipts/*-pledge-greenhouse-*.receipt.json)
  refusal_receipt=$(ls "$data"/demo-receipts/*-pledge-double-financing-attempt.receipt.json)
  echo "  $cli status $patent --server $url --key $data/demo-keys/ccb-quzhou.key:ccb-quzhou/k1 --vkey $data/log.vkey"
  echo "  $cli coverage $green --server $url --key $data/demo-keys/abc-jiangshan.key:abc-jiangshan/k1 --vkey $data/log.vkey"
  # The double-pledge story, proven: patent agro[0] had no active pledge just before the
  # agrochem pledge (a map proof of absence) and has one after (a proof of presence).
  agro_receipt=$(ls "$data"/demo-receipts/*-pledge-agrochem-18-patents.receipt.json)
  agro_index=$(grep -o '"index": *[0-9]*' "$agro_receipt" | head -n 1 | grep -o '[0-9]*$')
  agro0=$(sed -n 's/.*"collateral": \["\(patent:[^"]*\)".*/\1/p' "$data"/demo-statements/*-pledge-double-financing-attempt.json)
  bank_key="--key $data/demo-keys/ccb-quzhou.key:ccb-quzhou/k1"
  echo "  $cli status $agro0 --index $((agro_index - 1)) --server $url $bank_key --vkey $data/log.vkey --json >$data/before.json"
  echo "  $cli verify-certificate --response $data/before.json --vkey $data/log.vkey  # absence, proven"
  echo "  $cli status $agro0 --server $url $bank_key --vkey $data/log.vkey --json >$data/after.json"
  echo "  $cli verify-certificate --response $data/after.json --vkey $data/log.vkey  # presence, proven"
  echo "  $cli verify-receipt --receipt $pledge_receipt --vkey $data/log.vkey"
  echo "  $cli verify-receipt --receipt $refusal_receipt --vkey $data/log.vkey"
  echo "  $cli verify-receipt --receipt $pledge_receipt --vkey $data/log.vkey --policy $policy --server $url  # witnessed: in a checkpoint the regulator's and one other witness cosigned"
  echo "  $cli get --server $url /v1/assets/$patent"
  echo "  $cli get --server $url /v1/pledges/$(sed -n 's/.*"pledge_id": "\([^"]*\)".*/\1/p' "$data"/demo-statements/*-pledge-agrochem-18-patents.json) --key $data/demo-keys/kecheng-agrochem.key:kecheng-agrochem/k1"
  echo "Keys of every demo participant are in $data/demo-keys/, the statements in $data/demo-statements/."
else
  echo "  $cli get --server $url /v1/participants"
fi
echo "  curl -s $url/v1/checkpoints/cosigned  # cosigned by the witnesses; policy in $policy"
if [ -e "$data/demo-loaded" ]; then
  echo "  $cli witness-policy --server $url  # the same policy, derived from the witness keys registered in the log"
  echo "  $cli witness-policy --server $url --out $data/derived-policy && $cli verify-receipt --receipt $pledge_receipt --vkey $data/log.vkey --policy $data/derived-policy --server $url"
fi
echo "  $cli verify --data-dir $data  # offline, read-only; safe while the server runs"
echo
echo "Stop the server and the witnesses:"
echo "  kill \$(cat $pidfile) \$(cat $data/witnesses/*/pid)"
echo "docs/getting-started.md walks through keygen, signing, submitting and verifying."
# END printed commands
