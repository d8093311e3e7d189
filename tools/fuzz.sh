#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang++, ASan and UBSan in build/fuzz,
# and runs each one for a bounded time on a copy of its seed corpus (the corpus in the
# repository is never modified). Exits non-zero if any target crashes, leaks, times out
# or breaks an invariant; the input that did it is kept under build/fuzz/artifacts/ and
# its path is printed. A finding becomes a regression test: copy the file into
# tests/fuzz/regressions/<target>/ (tests/api/codec/fuzz_regressions_test.cc runs them all).
#
#   tools/fuzz.sh                    every target, 30 s each
#   tools/fuzz.sh 60                 every target, 60 s each
#   tools/fuzz.sh 600 http_request   one target, ten minutes
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
all_targets=(envelope statement note checkpoint tile_path leaf http_signature http_request)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: tools/fuzz.sh [SECONDS_PER_TARGET=30] [TARGET...]" >&2
  exit 2
fi

tools/deps.sh

build=build/fuzz
# -O1 for throughput; Debug keeps assertions on.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-gline-tables-only -O1" -DIPLEDGER_FUZZ=ON -DIPLEDGER_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target ipledger_fuzzers

# Writes are answered on the GroupCommitter thread after Router::Handle has returned:
# catch lambdas that still point into its frame.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ipledger-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT
artifacts="$build/artifacts"
mkdir -p "$artifacts"

passed=0
failed=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $t: no such target (have: ${all_targets[*]})" >&2
    failed=$((failed + 1))
    continue
  fi
  corpus="$work/corpus-$t"
  mkdir -p "$corpus"
  cp -R "tests/fuzz/corpus/$t/." "$corpus/"
  log="$work/$t.log"
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1
        -artifact_prefix="$artifacts/$t-")
  [ ! -f "tests/fuzz/dict/$t.dict" ] || args+=(-dict="tests/fuzz/dict/$t.dict")
  rc=0
  "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  # The last status line, e.g. "#123456  DONE   cov: 1234 ft: 5678 corp: 90/12Kb ...".
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1 | tr -s ' \t' ' ' || true)"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $t passed (${seconds}s): ${last:-no status line}"
  else
    failed=$((failed + 1))
    echo "fuzz: $t FAILED (exit $rc): ${last:-no status line}"
    # The sanitizer report or the broken invariant, and where the input was kept.
    grep -E -A40 '^(==[0-9]+==ERROR|.*runtime error:|fuzz: invariant broken|==[0-9]+== ERROR: libFuzzer)' \
      "$log" | head -n 80 || true
    grep -E 'Test unit written to|^artifact_prefix' "$log" || tail -n 30 "$log"
    cp "$log" "$artifacts/$t.log"
    echo "fuzz: $t full log: $artifacts/$t.log"
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
