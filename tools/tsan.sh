#!/usr/bin/env bash
# Builds the tsan preset (ThreadSanitizer, Debug, build/tsan) and runs the concurrency
# tests under it: `ctest -L concurrency` (tests/integration/CMakeLists.txt labels them).
# Any data race reported in project code fails the run. RocksDB and libstdc++ from
# Debian are not instrumented; tests/tsan.supp silences reports from inside them only,
# never from project code. Exits non-zero on any failure.
#
#   tools/tsan.sh              configure, build, run
#   tools/tsan.sh -R Ledger    any ctest arguments are passed on
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh

cmake --preset tsan -G Ninja >/dev/null
# Only the binaries that hold concurrency tests: the rest of the tree adds nothing here.
cmake --build build/tsan -j"$(nproc)" \
  --target concurrency_test ledger_test http_test hostile_http_test
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp}"
ctest --test-dir build/tsan --output-on-failure -L concurrency "$@"
