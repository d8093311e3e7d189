#!/usr/bin/env bash
# A server that is already big (issue #5): fills a registry with N single-signature
# statements in process (ipledger-bench fill), then starts ipledgerd on it and appends
# over HTTP while sampling the server's memory, and prints one JSON object: fill rate,
# disk per entry, the server's start (open + full Verify) time, its resident memory
# while appending, and the append rate at that size.
#
#   tools/bench/big_log.sh --entries 10000000 [--dir DIR] [--append 20000]
#
# --dir reuses (or creates) a data directory: a second run on the same DIR skips the
# fill when the log already holds --entries. Binaries: build/release (tools/run.sh or
# `cmake --preset release -G Ninja && cmake --build build/release`). Needs about 900
# bytes of disk per entry (9 GB at 1e7) and, at 1e7, 20-30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

entries=1000000
dir=
append=20000
connections=64
bin=build/release/tools
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "big_log.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for b in "$bin/ipledger" "$bin/ipledgerd" "$bin/bench/ipledger-bench"; do
  [ -x "$b" ] || { echo "big_log.sh: $b is missing (build the release preset)" >&2; exit 1; }
done
keep=yes
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/ipledger-big-XXXXXX")/data
  keep=no
fi
log() { echo "big_log.sh: $*" >&2; }

server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ "$keep" = no ] && rm -rf "$(dirname "$dir")"
  return 0
}
trap cleanup EXIT

fill_json='null'
[ -d "$dir" ] || "$bin/ipledger" init --data-dir "$dir" --origin bench.localhost/ipledger >/dev/null
size=$("$bin/ipledger" checkpoint --data-dir "$dir" | sed -n 2p)
if [ "$size" -lt "$entries" ]; then
  log "filling $dir with $((entries - size)) entries (tree size $size)"
  fill_json=$("$bin/bench/ipledger-bench" fill --data-dir "$dir" --count $((entries - size)))
fi
db_bytes=$(du -sb "$dir/db" | cut -f1)
size=$("$bin/ipledger" checkpoint --data-dir "$dir" | sed -n 2p)

# Start: open (loads the upper tree levels) and the full Verify ipledgerd runs first.
start=$(date +%s.%N)
"$bin/ipledgerd" --data-dir "$dir" --listen 127.0.0.1:0 --write-quota-per-minute 0 \
  --max-connections-per-address 0 >"$dir.out" 2>"$dir.log" &
server_pid=$!
url=
for _ in $(seq 1 6000); do
  url=$(sed -n 's/^ipledgerd: listening on //p' "$dir.out")
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { log "ipledgerd exited; see $dir.log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { log "ipledgerd did not start"; exit 1; }
start_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
rss_after_start=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$server_pid/status")
log "ipledgerd on $url after ${start_seconds}s, RSS $rss_after_start bytes"

# Append over HTTP while sampling the server's resident memory every 0.2 s.
samples=$dir.rss
: >"$samples"
(while kill -0 "$server_pid" 2>/dev/null; do
   awk '/^VmRSS/ {print $2 * 1024}' "/proc/$server_pid/status" >>"$samples" 2>/dev/null || true
   sleep 0.2
 done) &
sampler=$!
append_json=$("$bin/bench/ipledger-bench" append --server "$url" --data-dir "$dir" \
  --connections "$connections" --count "$append" --server-pid "$server_pid")
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
rss_max=$(sort -n "$samples" | tail -1)
hwm=$(awk '/^VmHWM/ {print $2 * 1024}' "/proc/$server_pid/status")
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=

echo "{\"tree_size_before_append\":$size,\"db_bytes\":$db_bytes,\"db_bytes_per_entry\":$((db_bytes / size)),\"server_start_seconds\":$start_seconds,\"server_rss_after_start_bytes\":$rss_after_start,\"server_rss_max_while_appending_bytes\":$rss_max,\"server_vm_hwm_bytes\":$hwm,\"fill\":$fill_json,\"append\":$append_json}"
