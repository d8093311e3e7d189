#!/usr/bin/env bash
# A second opinion on conformance: runs the conformance tests (and the HTTP receipt check)
# of an already built tree against tlogcheck, the independent checker of a reference
# folder kept beside some checkouts, instead of the project's own logverify. Optional:
# nothing else needs that folder. Builds tlogcheck into BUILD_DIR/tlogcheck.
#
#   tests/conformance/second_opinion.sh BUILD_DIR REFERENCE_DIR
set -euo pipefail
build="$(cd "${1:?usage: second_opinion.sh BUILD_DIR REFERENCE_DIR}" && pwd)"
ref="$(cd "${2:?usage: second_opinion.sh BUILD_DIR REFERENCE_DIR}" && pwd)"
checker="$("$ref/conformance/tlogcheck/build.sh" "$build/tlogcheck/tlogcheck" | tail -n1)"
export LOG_CHECKER="$checker"
"$build/tests/integration/conformance_test"
"$build/tests/integration/http_test" --gtest_filter='*AcceptedByLogChecker*'
echo "second_opinion.sh: the conformance tests pass against $checker"
