#!/usr/bin/env bash
# Before/after in the same run (issue #18): alternates tools/bench/http_bench.sh between
# two builds of ipledgerd, one run each per round, so both see the same machine load,
# and prints each build's medians and ratios (the JSON summaries go to DIR/a-N.json and
# DIR/b-N.json). The load generator is the same binary for both (--bench).
#
#   tools/bench/http_ab.sh --a OLD/ipledgerd --b NEW/ipledgerd [--rounds 3] [--out DIR]
#                          [http_bench.sh options, e.g. --count-single 40000 --pg no]
#
# PostgreSQL runs only in the b runs (its figure does not depend on the build). The last
# column is b's median over a's. The status map's cost end to end (docs/performance.md):
#   tools/bench/http_ab.sh --a build/release/tools/bench/ipledgerd-without-status-map \
#     --b build/release/tools/ipledgerd --phases pledge2 --pg no --count-pledge2 20000
set -euo pipefail
cd "$(dirname "$0")/../.."
a="" b="" rounds=3 out=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --a) a=$2; shift 2 ;;
    --b) b=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
[ -x "$a" ] && [ -x "$b" ] || { echo "http_ab.sh: --a and --b must be ipledgerd binaries" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/http_ab.XXXXXX")
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  # Alternate which build goes first, so neither always meets a warmer page cache.
  if [ $((r % 2)) = 1 ]; then order="a b"; else order="b a"; fi
  for which in $order; do
    bin=$a pg=no
    [ "$which" = b ] && bin=$b && pg=yes
    echo "http_ab.sh: round $r, build $which ($bin)" >&2
    tools/bench/http_bench.sh --no-build --runs 1 --ipledgerd "$bin" --pg "$pg" "${pass[@]}" \
      >"$out/$which-$r.json"
  done
done
# median KEY FILES...: the median of the number KEY over the summaries.
median() {
  local key=$1; shift
  sed -n "s/.*\"$key\":\([-0-9.e+][-0-9.e+]*\).*/\1/p" "$@" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "null"; else if (NR % 2) print v[(NR + 1) / 2];
           else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-40s %12s %12s %8s\n' "median of $rounds" "a" "b" "b / a"
for key in verify_per_s healthz_per_s append_limit_per_s append_single_per_s append_pledge2_per_s \
  pg_single_per_s status_per_s asset_per_s coverage_per_s \
  append_single_server_cpu_us_per_entry append_pledge2_server_cpu_us_per_entry \
  status_server_cpu_us_per_request healthz_own_client_per_s healthz_for_the_limit_per_s \
  asset_server_cpu_us_per_request healthz_server_cpu_us_per_request \
  append_single_over_limit append_pledge2_over_limit append_single_over_pg \
  status_over_healthz asset_over_healthz coverage_over_healthz; do
  va=$(median "$key" "$out"/a-*.json) vb=$(median "$key" "$out"/b-*.json)
  [ "$va" = null ] && [ "$vb" = null ] && continue  # a phase neither side ran (--phases)
  r=$(awk -v a="$va" -v b="$vb" 'BEGIN { if (a == "null" || b == "null" || a == 0) print "-"; else printf "%.3f", b / a }')
  printf '%-40s %12s %12s %8s\n' "$key" "$va" "$vb" "$r"
done
echo "http_ab.sh: summaries in $out" >&2
