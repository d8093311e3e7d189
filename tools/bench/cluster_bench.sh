#!/usr/bin/env bash
# Cluster mode against a single node, in the same run (issue 17): durable appends per
# second and latency percentiles of `ipledger-bench append --kind single` against one
# ipledgerd, then against the leader of 3 ipledgerd nodes over a 3-member etcd
# (tools/cluster.sh's layout, on other ports; deleting applied batches every second once
# 5 s old), then the same cluster with --prune-interval off, for etcd's database size
# without deleting applied batches.
# Rounds alternate single/cluster/cluster-unpruned so all see the same load; the
# medians, the cluster/single ratio, etcd's sizes and the load average are printed,
# and the CPU time per appended entry of the single node and, in the cluster, of the
# leader, of both followers together and of the three etcd members together (from
# /proc/PID/stat, over the load and until every node has applied it): on one machine
# all of them share its cores, so their sum against the single node's bounds the ratio.
#
#   tools/bench/cluster_bench.sh [--rounds 3] [--count 20000] [--connections 64]
#                                [--build build/release] [--out DIR]
#
# etcd's sizes: etcd_mvcc_db_total_size_in_bytes (the file) and ..._in_use_in_bytes
# from the first member's /metrics after each cluster run, and the bytes per entry
# they grew by. Ports: single 18190, nodes 18191-18193, etcd 23891-23893 (peers
# 23901-23903); everything lives under DIR and is stopped at the end (each run's data
# directories are deleted after it; logs and summaries stay). Every ipledgerd
# runs with --max-connections-per-address 0: the load generator is one address.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3 count=20000 connections=64 build=build/release out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "cluster_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bench=$build/tools/bench/ipledger-bench cli=$build/tools/ipledger daemon=$build/tools/ipledgerd
for b in "$bench" "$cli" "$daemon"; do
  [ -x "$b" ] || { echo "cluster_bench.sh: $b is not built (cmake --build $build)" >&2; exit 2; }
done
command -v etcd >/dev/null || { echo "cluster_bench.sh: etcd is not installed (tools/deps.sh)" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/cluster_bench.XXXXXX")
mkdir -p "$out"
pids=()
# cleanup: SIGTERM to every process started, then SIGKILL to any still running after 10 s
# (an etcd member whose peers were stopped at the same moment was once seen to hang in its
# shutdown, which held `wait` until the test's timeout).
cleanup() {
  local p _
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then log "pid $p did not stop in 10 s: SIGKILL"; kill -9 "$p" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
log() { echo "cluster_bench.sh: $*" >&2; }

wait_http() {  # wait_http URL: until it answers at all
  for _ in $(seq 200); do curl -s --max-time 1 -o /dev/null "$1" && return 0; sleep 0.1; done
  log "$1 never answered"; return 1
}
stop_all() { cleanup; pids=(); }
ticks() {  # ticks PID...: their CPU time so far (user + system), in clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
hz=$(getconf CLK_TCK)

run_single() {  # run_single ROUND
  local d=$out/single-$1
  "$cli" init --data-dir "$d" --origin bench.localhost/ipledger >/dev/null
  "$daemon" --data-dir "$d" --listen 127.0.0.1:18190 --write-quota-per-minute 0 --skip-verify --max-connections-per-address 0 \
    >/dev/null 2>"$d.log" &
  pids+=($!)
  wait_http http://127.0.0.1:18190/readyz
  local before
  before=$(ticks "${pids[0]}")
  "$bench" append --server http://127.0.0.1:18190 --data-dir "$d" --connections "$connections" \
    --count "$count" --kind single >"$out/single-$1.json"
  # CPU per appended entry, microseconds (the entries are $count of them).
  echo "server $(( ($(ticks "${pids[0]}") - before) * 1000000 / hz / count ))" >"$out/single-$1.cpu"
  stop_all
  rm -rf "$d"  # the ledger; its log and the summaries stay
}

run_cluster() {  # run_cluster NAME ROUND [ipledgerd options]
  local name=$1 round=$2; shift 2
  local w=$out/$name-$round initial="" clients="" i leader=""
  mkdir -p "$w"
  for i in 1 2 3; do
    initial+="${initial:+,}e$i=http://127.0.0.1:2390$i"
    clients+="${clients:+,}http://127.0.0.1:2389$i"
  done
  for i in 1 2 3; do
    etcd --name "e$i" --data-dir "$w/etcd$i" \
      --listen-client-urls "http://127.0.0.1:2389$i" --advertise-client-urls "http://127.0.0.1:2389$i" \
      --listen-peer-urls "http://127.0.0.1:2390$i" --initial-advertise-peer-urls "http://127.0.0.1:2390$i" \
      --initial-cluster "$initial" --initial-cluster-token "bench-$name-$round" >"$w/etcd$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 200); do
    curl -s --max-time 1 -X POST -d '{"key":"AA=="}' http://127.0.0.1:23891/v3/kv/range | grep -q header && break
    sleep 0.1
  done
  "$cli" init --data-dir "$w/n1" --origin bench.localhost/ipledger >/dev/null
  cp -a "$w/n1" "$w/n2"
  cp -a "$w/n1" "$w/n3"
  for i in 1 2 3; do
    "$daemon" --data-dir "$w/n$i" --listen "127.0.0.1:1819$i" --write-quota-per-minute 0 --max-connections-per-address 0 \
      --skip-verify --etcd "$clients" --cluster bench --node "n$i" "$@" >/dev/null 2>"$w/n$i.log" &
    pids+=($!)
  done
  for _ in $(seq 300); do
    for i in 1 2 3; do
      if curl -s --max-time 1 "http://127.0.0.1:1819$i/readyz" | grep -q '"role":"leader"'; then
        leader=$i
      fi
    done
    [ -n "$leader" ] && break
    sleep 0.1
  done
  [ -n "$leader" ] || { log "$name: no leader"; return 1; }
  # pids: the three etcd members, then nodes n1-n3.
  local etcds=("${pids[@]:0:3}") lead=${pids[$((2 + leader))]} followers=() b_lead b_fol b_etcd
  for i in 1 2 3; do [ "$i" = "$leader" ] || followers+=("${pids[$((2 + i))]}"); done
  b_lead=$(ticks "$lead") b_fol=$(ticks "${followers[@]}") b_etcd=$(ticks "${etcds[@]}")
  "$bench" append --server "http://127.0.0.1:1819$leader" --data-dir "$w/n1" \
    --connections "$connections" --count "$count" --kind single >"$w.json"
  # CPU per appended entry, microseconds: the leader, both followers, the three members.
  # Followers still applying the last batches are counted once they have (--count is
  # what they apply too): wait until each reports the leader's size.
  local size
  size=$(curl -s "http://127.0.0.1:1819$leader/readyz" | sed -n 's/.*"applied":\([0-9]*\).*/\1/p')
  for _ in $(seq 100); do
    local behind=0
    for i in 1 2 3; do
      curl -s "http://127.0.0.1:1819$i/readyz" | grep -q "\"applied\":$size[,}]" || behind=1
    done
    [ "$behind" = 0 ] && break
    sleep 0.1
  done
  echo "leader $(( ($(ticks "$lead") - b_lead) * 1000000 / hz / count ))" \
    "followers $(( ($(ticks "${followers[@]}") - b_fol) * 1000000 / hz / count ))" \
    "etcd $(( ($(ticks "${etcds[@]}") - b_etcd) * 1000000 / hz / count ))" >"$w.cpu"
  sleep 8  # past --retain and one prune interval: the pruned run deletes what it can
  curl -s http://127.0.0.1:23891/metrics | grep -E '^etcd_mvcc_db_total_size_in(_use_in)?_bytes ' \
    >"$w.etcd" || true
  stop_all
  rm -rf "$w"/etcd[123] "$w"/n[123]  # data (etcd preallocates 64 MB logs); logs stay
}

for r in $(seq 1 "$rounds"); do
  log "round $r of $rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  cat /proc/loadavg >>"$out/loadavg"
  run_single "$r"
  run_cluster cluster "$r" --prune-interval 1s --retain 5s
  run_cluster unpruned "$r" --prune-interval off
done

# middle: the median of the numbers on standard input, one a line ("null" if none).
middle() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "null"; else if (NR % 2) print v[(NR + 1) / 2];
                 else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
median() {  # median KEY FILES...: the median of the number KEY over the JSON summaries
  local key=$1; shift
  sed -n "s/.*\"$key\":\([-0-9.e+]*\).*/\1/p" "$@" | middle
}
metric() {  # metric NAME FILES...: the median of an etcd metric over the runs
  local name=$1; shift
  awk -v n="$name" '$1 == n { printf "%.0f\n", $2 }' "$@" | middle
}
cpu() {  # cpu NAME FILES...: the median of NAME's CPU per entry over the runs
  local name=$1; shift
  awk -v n="$name" '{ for (i = 1; i < NF; i++) if ($i == n) print $(i + 1) }' "$@" | middle
}
single=$(median entries_per_s "$out"/single-*.json)
cluster=$(median entries_per_s "$out"/cluster-*.json)
unpruned=$(median entries_per_s "$out"/unpruned-*.json)
cat <<REPORT
cluster_bench.sh: $rounds rounds of $count appends (--kind single, $connections connections), medians
  load average per round:   $(cut -d' ' -f1 "$out/loadavg" | tr '\n' ' ')($(nproc) cores)
  single node               $single entries/s, p50 $(median ms_p50 "$out"/single-*.json) ms, p99 $(median ms_p99 "$out"/single-*.json) ms
  3 nodes, 3-member etcd    $cluster entries/s, p50 $(median ms_p50 "$out"/cluster-*.json) ms, p99 $(median ms_p99 "$out"/cluster-*.json) ms
  cluster / single          $(awk -v a="$cluster" -v b="$single" 'BEGIN { printf "%.2f", a / b }')
  same, --prune-interval off  $unpruned entries/s
  CPU per entry (us)        single node $(cpu server "$out"/single-*.cpu); cluster: leader $(cpu leader "$out"/cluster-*.cpu), both followers $(cpu followers "$out"/cluster-*.cpu), the 3 etcd members $(cpu etcd "$out"/cluster-*.cpu)
  etcd db file after a run: pruned $(metric etcd_mvcc_db_total_size_in_bytes "$out"/cluster-*.etcd) B (in use $(metric etcd_mvcc_db_total_size_in_use_in_bytes "$out"/cluster-*.etcd) B), unpruned $(metric etcd_mvcc_db_total_size_in_bytes "$out"/unpruned-*.etcd) B (in use $(metric etcd_mvcc_db_total_size_in_use_in_bytes "$out"/unpruned-*.etcd) B)
REPORT
log "summaries in $out"
