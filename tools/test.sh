#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs every test (unit, integration, crash, conformance, lint) with CTest.
# Exits non-zero on any failure.
#
#   tools/test.sh            everything
#   tools/test.sh -L unit    only one label (any ctest arguments are passed on)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh

if [ ! -d ../shared/vectors ]; then
  echo "test.sh: ../shared (vectors and the conformance checker) must sit beside this checkout" >&2
  exit 1
fi

cmake --preset asan -G Ninja >/dev/null
cmake --build build/asan -j"$(nproc)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build/asan --output-on-failure -j"$(nproc)" "$@"
