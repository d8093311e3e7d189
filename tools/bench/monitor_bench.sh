#!/usr/bin/env bash
# Catch-up rate of `ipledger monitor` (issue 13): fills a registry with N statements in
# process (ipledger-bench fill), starts ipledgerd on it and times one `ipledger monitor
# --once` from an empty state directory (every entry bundle fetched over HTTP, decoded,
# hashed into the tree and persisted), then a second run after --grow more entries.
# Prints one JSON object. With --kind pledge2 the log is patents and a pledge of each
# (about half as many assets in the status map as entries), so the run also measures the
# monitor's status map check: every asset's record recomputed, every map.root compared.
#
#   tools/bench/monitor_bench.sh --entries 100000 [--grow 1000] [--kind single|pledge2]
#                                [--dir DIR] [--bin DIR]
#
# Binaries: build/release (cmake --preset release -G Ninja && cmake --build build/release).
set -euo pipefail
cd "$(dirname "$0")/../.."

entries=100000
grow=1000
kind=single
dir=
bin=build/release/tools
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries=$2; shift 2 ;;
    --grow) grow=$2; shift 2 ;;
    --kind) kind=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "monitor_bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for b in "$bin/ipledger" "$bin/ipledgerd" "$bin/bench/ipledger-bench"; do
  [ -x "$b" ] || { echo "monitor_bench.sh: $b is missing (build the release preset)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ipledger-monitor-bench-XXXXXX")
[ -n "$dir" ] || dir=$work/data
log() { echo "monitor_bench.sh: $*" >&2; }

server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
  return 0
}
trap cleanup EXIT

start_server() {
  "$bin/ipledgerd" --data-dir "$dir" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
  server_pid=$!
  url=
  for _ in $(seq 1 6000); do
    url=$(sed -n 's/^ipledgerd: listening on //p' "$work/out")
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { log "ipledgerd exited; see $work/log"; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { log "ipledgerd did not start"; exit 1; }
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
}

[ -d "$dir" ] || "$bin/ipledger" init --data-dir "$dir" --origin bench.localhost/ipledger >/dev/null
size=$("$bin/ipledger" checkpoint --data-dir "$dir" | sed -n 2p)
if [ "$size" -lt "$entries" ]; then
  count=$((entries - size))
  [ "$kind" = pledge2 ] && count=$((count / 2))  # a patent and its pledge each
  log "filling $dir with $count $kind statements"
  "$bin/bench/ipledger-bench" fill --data-dir "$dir" --count "$count" --kind "$kind" >/dev/null
fi
start_server
log "catching up from an empty state on $url"
first=$("$bin/ipledger" monitor --server "$url" --vkey "$dir/log.vkey" --state "$work/state" \
  --once --json)
stop_server
"$bin/bench/ipledger-bench" fill --data-dir "$dir" --count "$grow" --kind "$kind" >/dev/null
start_server
second=$("$bin/ipledger" monitor --server "$url" --vkey "$dir/log.vkey" --state "$work/state" \
  --once --json)
stop_server
state_bytes=$(du -sb "$work/state" | cut -f1)
echo "{\"fresh\":$first,\"resume\":$second,\"state_dir_bytes\":$state_bytes}"
