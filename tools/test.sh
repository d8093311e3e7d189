#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs every test (unit, integration, crash, conformance, lint) with CTest.
# Exits non-zero on any failure.
#
#   tools/test.sh            everything
#   tools/test.sh -L unit    only one label (any ctest arguments are passed on)
#   tools/test.sh --fuzz     also runs every fuzz target for 20 s (tools/fuzz.sh) before
#                            ctest; always done when $CI is set
#   tools/test.sh --tsan     then also runs the concurrency tests under ThreadSanitizer
#                            (tools/tsan.sh, build/tsan); always done when $CI is set
#   tools/test.sh --tsa      first builds the libraries with clang 14 -Wthread-safety
#                            -Werror (preset clang-tsa, build/clang-tsa), so that a member
#                            GUARDED_BY a mutex touched without it fails; always done when
#                            $CI is set
# When $CI is set, tests/integration/live_verify_test.cc runs its load for 5 s instead of
# 20 (IPLEDGER_LIVE_TEST_SECONDS, if not set already).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz=0
tsan=0
tsa=0
[ -z "${CI:-}" ] || fuzz=1
[ -z "${CI:-}" ] || tsan=1
[ -z "${CI:-}" ] || tsa=1
[ -z "${CI:-}" ] || export IPLEDGER_LIVE_TEST_SECONDS="${IPLEDGER_LIVE_TEST_SECONDS:-5}"
ctest_args=()
for a in "$@"; do
  case "$a" in
    --fuzz) fuzz=1 ;;
    --tsan) tsan=1 ;;
    --tsa) tsa=1 ;;
    *) ctest_args+=("$a") ;;
  esac
done

tools/deps.sh

# The lock annotations first: it fails fast, and builds only the libraries.
if [ "$tsa" -eq 1 ]; then
  cmake --preset clang-tsa -G Ninja >/dev/null
  cmake --build --preset clang-tsa -j"$(nproc)"
fi
cmake --preset asan -G Ninja >/dev/null
cmake --build build/asan -j"$(nproc)"
# Fuzzing first, so that ctest's summary stays the last thing printed; a finding still
# lets ctest run, and fails the whole run at the end.
fuzz_rc=0
if [ "$fuzz" -eq 1 ]; then tools/fuzz.sh 20 || fuzz_rc=$?; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build/asan --output-on-failure -j"$(nproc)" ${ctest_args[@]+"${ctest_args[@]}"}
if [ "$tsan" -eq 1 ]; then tools/tsan.sh; fi
exit "$fuzz_rc"
