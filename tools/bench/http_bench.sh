#!/usr/bin/env bash
# A whole comparable HTTP benchmark run on one machine (issue #5): one core's Ed25519
# verify rate, appends over HTTP (single- and two-signature statements), signed reads
# against /healthz, and the PostgreSQL baseline at the same concurrency, each repeated
# --runs times; prints the medians and ratios as one JSON object on stdout (progress
# and a readable summary on stderr).
#
#   tools/bench/http_bench.sh                     build Release, 3 runs at the defaults
#   tools/bench/http_bench.sh --runs 1 --connections 16 --count-single 5000
#
# Options (defaults in brackets):
#   --runs R [3]  --connections C [64]  --count-single N [75000]  --count-pledge2 N [40000]
#     (about 10 s each on 2 cores; pg inserts the same counts of the same kinds)
#   --read-seconds S [5, per query kind]  --verify-seconds S [3]
#   --read-slices K [S]  each kind's read seconds in K interleaved slices (status,
#     coverage, asset, healthz, status, ...; default one-second slices), so that load
#     from elsewhere on a shared machine falls on every kind alike
#   --pg auto|yes|no [yes]  auto: only if /usr/lib/postgresql/15/bin/pg_ctl exists
#   --phases LIST [single,pledge2,read]  which of the server's measurements to run
#   --read-load ours|wrk [ours]  what drives the read phase: ipledger-bench's client
#     threads, or wrk (Debian's wrk, installed unless --no-build; the issue's tool). With
#     wrk, /healthz is measured with both, and the append limit uses ipledger-bench's.
#   --append-load ours|wrk [ours]  what posts the appends. With wrk (the issue's load
#     generator) each append phase lasts --append-seconds S [4] and the counts above are
#     the envelopes pre-signed for it (more than S seconds can take); the reads then run
#     under wrk too, and the append limit uses /healthz under wrk.
#   --no-build    use the binaries given (or already built); install nothing
#   --bench PATH --ipledgerd PATH --cli PATH   [build/release/tools/...]
#   --keep        keep the temporary directory (ledgers, logs, raw results)
#
# Each run gets a fresh ledger (ipledger init) and a fresh ipledgerd on 127.0.0.1 port
# 0; PostgreSQL 15 runs from a temporary cluster on a Unix socket in the same temporary
# directory (as the postgres user when run as root: postgres refuses root), with
# fsync and synchronous_commit on, and only while the pg phase runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=3 connections=64 count_single=75000 count_pledge2=40000 read_seconds=5 verify_seconds=3
pg=yes build=1 keep=0 phases=single,pledge2,read read_load=ours read_slices=""
append_load=ours append_seconds=4
bench=build/release/tools/bench/ipledger-bench
daemon=build/release/tools/ipledgerd
cli=build/release/tools/ipledger
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --count-single) count_single=$2; shift 2 ;;
    --count-pledge2) count_pledge2=$2; shift 2 ;;
    --read-seconds) read_seconds=$2; shift 2 ;;
    --read-slices) read_slices=$2; shift 2 ;;
    --verify-seconds) verify_seconds=$2; shift 2 ;;
    --pg) pg=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --read-load) read_load=$2; shift 2 ;;
    --append-load) append_load=$2; shift 2 ;;
    --append-seconds) append_seconds=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --bench) bench=$2; shift 2 ;;
    --ipledgerd) daemon=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$pg" in auto | yes | no) ;; *) echo "http_bench.sh: --pg must be auto, yes or no" >&2; exit 2 ;; esac
case "$read_load" in ours | wrk) ;; *) echo "http_bench.sh: --read-load must be ours or wrk" >&2; exit 2 ;; esac
case "$append_load" in ours | wrk) ;; *) echo "http_bench.sh: --append-load must be ours or wrk" >&2; exit 2 ;; esac
# The limit takes /healthz under the appends' load generator: with wrk posting them,
# the reads (and /healthz) run under wrk too.
[ "$append_load" = ours ] || read_load=wrk
append_flags=()
[ "$append_load" = ours ] || append_flags=(--load-generator wrk --seconds "$append_seconds")
[ -n "$read_slices" ] || read_slices=$read_seconds
for p in ${phases//,/ }; do
  case "$p" in single | pledge2 | read) ;; *) echo "http_bench.sh: unknown phase '$p' (single, pledge2, read)" >&2; exit 2 ;; esac
done
# phase NAME: whether --phases lists NAME.
phase() { case ",$phases," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

pgbin=/usr/lib/postgresql/15/bin
log() { echo "http_bench.sh: $*" >&2; }

if [ "$build" = 1 ]; then
  tools/deps.sh
  if [ "$pg" = yes ] && [ ! -x "$pgbin/pg_ctl" ]; then
    log "installing postgresql-15"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
      postgresql-15 >&2
  fi
  if [ "$read_load" = wrk ] && ! command -v wrk >/dev/null; then  # (--append-load wrk sets it)
    log "installing wrk"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends wrk >&2
  fi
  cmake --preset release -G Ninja >/dev/null
  cmake --build build/release -j"$(nproc)" --target ipledger-bench ipledgerd ipledger >&2
fi
if [ "$pg" = auto ]; then
  if [ -x "$pgbin/pg_ctl" ]; then pg=yes; else pg=no; log "no $pgbin/pg_ctl: pg skipped"; fi
fi
if [ "$pg" = yes ] && [ ! -x "$pgbin/pg_ctl" ]; then
  log "$pgbin/pg_ctl is missing (install postgresql-15, or --pg no)"; exit 1
fi
if [ "$read_load" = wrk ] && phase read && ! command -v wrk >/dev/null; then
  log "wrk is missing (apt-get install wrk, or --read-load ours)"; exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/http_bench.XXXXXX")
chmod 755 "$work"  # the postgres user must reach its cluster inside
daemon_pid=""
pg_running=0
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  if [ "$pg_running" = 1 ]; then as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

results=$work/results.jsonl
: >"$results"

# record RUN NAME JSON: appends one result line.
record() { echo "{\"run\":$1,\"phase\":\"$2\",\"result\":$3}" >>"$results"; }

start_daemon() {
  local dir=$1
  "$daemon" --data-dir "$dir" --listen 127.0.0.1:0 --write-quota-per-minute 0 \
    --max-connections-per-address 0 >"$dir.out" 2>"$dir.log" &
  daemon_pid=$!
  for _ in $(seq 1 300); do
    url=$(sed -n 's/^ipledgerd: listening on //p' "$dir.out")
    [ -n "$url" ] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "ipledgerd did not start; the end of $dir.log:"; tail -n 5 "$dir.log" >&2; exit 1
}

stop_daemon() {
  kill "$daemon_pid"
  wait "$daemon_pid" || { log "ipledgerd exited with an error; see $1.log"; exit 1; }
  daemon_pid=""
}

# measure RUN NAME ARGS...: runs the bench with ARGS against the daemon (whose CPU time
# it reports) and records the result.
measure() {
  local run=$1 name=$2; shift 2
  local out
  out=$("$bench" "$@" --server-pid "$daemon_pid")
  record "$run" "$name" "$out"
}

start_pg() {
  mkdir -p "$work/pg"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$work/pg"
  if [ ! -e "$work/pg/data" ]; then
    as_pg "$pgbin/initdb" -D "$work/pg/data" -U bench --auth=trust -E UTF8 >"$work/pg/initdb.log"
  fi
  as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
    -o "-k $work/pg -c listen_addresses= -c max_connections=$((connections + 20)) -c fsync=on -c synchronous_commit=on" \
    start >/dev/null
  pg_running=1
}

stop_pg() {
  as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null
  pg_running=0
}

for run in $(seq 1 "$runs"); do
  log "run $run of $runs"
  out=$("$bench" verify-rate --seconds "$verify_seconds")
  record "$run" verify "$out"

  dir=$work/ledger-$run
  "$cli" init --data-dir "$dir" --origin bench.localhost/ipledger >/dev/null
  start_daemon "$dir"
  log "ipledgerd on $url"
  if phase single; then
    measure "$run" append_single append --server "$url" --data-dir "$dir" \
      --connections "$connections" --count "$count_single" --kind single "${append_flags[@]}"
  fi
  if phase pledge2; then
    measure "$run" append_pledge2 append --server "$url" --data-dir "$dir" \
      --connections "$connections" --count "$count_pledge2" --kind pledge2 "${append_flags[@]}"
  fi
  if phase read; then
    measure "$run" read read --server "$url" --data-dir "$dir" \
      --connections "$connections" --seconds "$read_seconds" --slices "$read_slices" \
      --load-generator "$read_load"
  fi
  stop_daemon "$dir"

  if [ "$pg" = yes ]; then
    start_pg
    conninfo="host=$work/pg user=bench dbname=postgres"
    out=$("$bench" pg --conninfo "$conninfo" --connections "$connections" --count "$count_single" --kind single)
    record "$run" pg_single "$out"
    out=$("$bench" pg --conninfo "$conninfo" --connections "$connections" --count "$count_pledge2" --kind pledge2)
    record "$run" pg_pledge2 "$out"
    stop_pg
  fi
done

# --- Summary: medians over runs, and ratios of medians ------------------------------------

# median PHASE KEY: the median over runs of the number KEY in PHASE's result.
median() {
  { grep "\"phase\":\"$1\"" "$results" || true; } | sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "null"; else if (NR % 2) print v[(NR + 1) / 2];
           else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.3f", a / b }'; }

verify=$(median verify verifies_per_s)
single=$(median append_single entries_per_s)
pledge2=$(median append_pledge2 entries_per_s)
status=$(median read status_per_s)
coverage=$(median read coverage_per_s)
healthz=$(median read healthz_per_s)
# /healthz under the appends' load generator. With ipledger-bench's client threads: the
# same figure unless the reads ran under wrk, which then measured it separately. With
# wrk posting the appends: wrk's.
healthz_appends=$(median read healthz_own_client_per_s)
[ "$healthz_appends" != null ] || healthz_appends=$healthz
[ "$append_load" = ours ] || healthz_appends=$healthz
asset=$(median read asset_per_s)
# The issue's in-run limit of a durable signature-verified append on this machine: one
# Ed25519 verification on each core plus one minimal HTTP request (/healthz).
limit=$(awk -v v="$verify" -v h="$healthz_appends" -v n="$(nproc)" 'BEGIN {
  if (v == "null" || h == "null" || v == 0 || h == 0) print "null"; else printf "%.0f", 1 / (1 / (n * v) + 1 / h) }')
pg_single=null pg_pledge2=null
if [ "$pg" = yes ]; then
  pg_single=$(median pg_single entries_per_s)
  pg_pledge2=$(median pg_pledge2 entries_per_s)
fi
lat() { echo "{\"p50\":$(median "$1" "${2}p50"),\"p99\":$(median "$1" "${2}p99"),\"max\":$(median "$1" "${2}max")}"; }
lat_pg() { if [ "$pg" = yes ]; then lat "$1" ms_; else echo null; fi; }

{
  echo "{\"runs\":$runs,\"connections\":$connections,\"count_single\":$count_single,"
  echo "\"count_pledge2\":$count_pledge2,\"read_seconds_per_kind\":$read_seconds,\"nproc\":$(nproc),"
  echo "\"read_load_generator\":\"$read_load\",\"read_slices\":$read_slices,"
  echo "\"append_load_generator\":\"$append_load\",\"append_seconds\":$append_seconds,"
  echo "\"medians\":{\"verify_per_s\":$verify,"
  echo "\"append_single_per_s\":$single,\"append_single_latency_ms\":$(lat append_single ms_),"
  echo "\"append_single_batch_mean\":$(median append_single mean),"
  echo "\"append_single_server_cpu_us_per_entry\":$(median append_single server_cpu_us_per_op),"
  echo "\"append_pledge2_per_s\":$pledge2,\"append_pledge2_latency_ms\":$(lat append_pledge2 ms_),"
  echo "\"append_pledge2_batch_mean\":$(median append_pledge2 mean),"
  echo "\"append_pledge2_server_cpu_us_per_entry\":$(median append_pledge2 server_cpu_us_per_op),"
  echo "\"pg_single_per_s\":$pg_single,\"pg_single_latency_ms\":$(lat_pg pg_single),"
  echo "\"pg_pledge2_per_s\":$pg_pledge2,\"pg_pledge2_latency_ms\":$(lat_pg pg_pledge2),"
  echo "\"status_per_s\":$status,\"status_latency_ms\":$(lat read status_ms_),"
  echo "\"status_server_cpu_us_per_request\":$(median read status_server_cpu_us_per_op),"
  echo "\"healthz_server_cpu_us_per_request\":$(median read healthz_server_cpu_us_per_op),"
  echo "\"asset_per_s\":$asset,\"asset_latency_ms\":$(lat read asset_ms_),"
  echo "\"asset_server_cpu_us_per_request\":$(median read asset_server_cpu_us_per_op),"
  echo "\"append_limit_per_s\":$limit,"
  echo "\"coverage_per_s\":$coverage,\"coverage_latency_ms\":$(lat read coverage_ms_),"
  echo "\"healthz_per_s\":$healthz,\"healthz_latency_ms\":$(lat read healthz_ms_),"
  echo "\"healthz_own_client_per_s\":$(median read healthz_own_client_per_s),"
  echo "\"healthz_for_the_limit_per_s\":$healthz_appends},"
  echo "\"ratios\":{\"append_single_over_verify\":$(ratio "$single" "$verify"),"
  echo "\"append_pledge2_over_verify\":$(ratio "$pledge2" "$verify"),"
  echo "\"append_single_over_pg\":$(ratio "$single" "$pg_single"),"
  echo "\"append_pledge2_over_pg\":$(ratio "$pledge2" "$pg_pledge2"),"
  echo "\"status_over_healthz\":$(ratio "$status" "$healthz"),"
  echo "\"coverage_over_healthz\":$(ratio "$coverage" "$healthz"),"
  echo "\"asset_over_healthz\":$(ratio "$asset" "$healthz"),"
  echo "\"append_single_over_limit\":$(ratio "$single" "$limit"),"
  echo "\"append_pledge2_over_limit\":$(ratio "$pledge2" "$limit")},"
  echo "\"per_run\":["
  sed '$!s/$/,/' "$results"
  echo "]}"
} | tr -d '\n' >"$work/summary.json"
echo >>"$work/summary.json"
cat "$work/summary.json"

cat >&2 <<EOF
http_bench.sh: medians of $runs run(s), $connections connections, $(nproc) cores:
  Ed25519 verify, one core     $verify /s
  append single (1 sig)        $single entries/s   ($(ratio "$single" "$verify") x verify, $(ratio "$single" "$pg_single") x pg; server CPU $(median append_single server_cpu_us_per_op) us/entry)
  append pledge2 (2 sigs)      $pledge2 entries/s   ($(ratio "$pledge2" "$verify") x verify, $(ratio "$pledge2" "$pg_pledge2") x pg; server CPU $(median append_pledge2 server_cpu_us_per_op) us/entry)
  PostgreSQL INSERT single     $pg_single /s,  pledge2 $pg_pledge2 /s
  GET pledge-status            $status /s   ($(ratio "$status" "$healthz") x healthz; server CPU $(median read status_server_cpu_us_per_op) us/request)
  GET coverage                 $coverage /s   ($(ratio "$coverage" "$healthz") x healthz)
  GET asset view (signed)      $asset /s   ($(ratio "$asset" "$healthz") x healthz; server CPU $(median read asset_server_cpu_us_per_op) us/request)
  GET /healthz                 $healthz /s   (server CPU $(median read healthz_server_cpu_us_per_op) us/request; reads under $read_load)
  in-run append limit          $limit /s = 1/(1/($(nproc) x verify) + 1/healthz under ipledger-bench, $healthz_appends /s): single $(ratio "$single" "$limit") x, pledge2 $(ratio "$pledge2" "$limit") x
EOF
