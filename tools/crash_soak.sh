#!/usr/bin/env bash
# Crash soak (manual): the HTTP crash test (tests/crash/http_crash_test.cc) for many
# more rounds than the CTest case, with a fresh random schedule each run.
#
#   tools/crash_soak.sh [ROUNDS] [SEED]     default: 200 rounds, a random seed
#
# Builds the asan preset (build/asan), then SIGKILLs the server ROUNDS times while four
# clients register participants, checking after every restart that no acknowledged
# entry is lost, and at the end `ipledger verify --replay`. Prints the seed first, so
# that a failing schedule can be replayed: tools/crash_soak.sh ROUNDS SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-200}"
seed="${2:-$(( (RANDOM << 15) | RANDOM ))}"
echo "crash_soak: $rounds rounds, seed $seed"

cmake --preset asan -G Ninja >/dev/null
cmake --build build/asan -j"$(nproc)" --target http_crash_test
IPLEDGER_CRASH_ROUNDS="$rounds" IPLEDGER_CRASH_SEED="$seed" \
  build/asan/tests/crash/http_crash_test --gtest_filter='HttpCrashTest.SigkillNeverLosesAcknowledgedEntries'
