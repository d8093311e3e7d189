#!/usr/bin/env bash
# Installs the Debian 12 packages ipledger needs to build, test and run, if any is
# missing. Safe to run again: it only calls apt-get when something is absent.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  librocksdb-dev libsodium-dev libboost-dev nlohmann-json3-dev
  libboost-program-options-dev        # the tools' option parser (tools/options.cc)
  libssl-dev openssl                  # HTTPS (api/server/server.cc, api/client/http_client.cc; tls_test)
  libjemalloc-dev                     # the programs' allocator (CMake IPLEDGER_JEMALLOC)
  libgtest-dev
  libbenchmark-dev                    # the micro benches in tools/bench (optional in CMake)
  libpq-dev                           # ipledger-bench pg: the PostgreSQL baseline (optional in CMake)
  wrk                                 # ipledger-bench read --load-generator wrk (http_bench_wrk_smoke)
  clang-format
  clang libclang-rt-14-dev llvm-14    # libFuzzer + sanitizer runtimes, llvm-symbolizer (tools/fuzz.sh)
  golang-go golang-golang-x-mod-dev   # tests/conformance/logverify, the independent checker
  nodejs npm                          # Redocly CLI lints api/openapi.yaml (tests/openapi); tests/interop; the SDK
  prometheus                          # promtool checks /metrics (tests/integration/ops_test.cc)
  dpkg-dev                            # dpkg-shlibdeps for cpack's .deb (tests/package/check_package.sh)
  curl ca-certificates
  etcd-server etcd-client             # cluster mode's shared journal (tests/integration/cluster_test.cc, tools/cluster.sh)
  python3 python3-cryptography python3-requests python3-pytest  # api/sdk/python and its tests
  chromium fonts-wqy-microhei         # the web console's browser tests (api/web/test); CJK glyphs
)

missing=()
for p in "${packages[@]}"; do
  # NodeSource's nodejs package bundles npm (and conflicts with Debian's npm package):
  # an npm on the PATH is enough.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
fi

# The TypeScript SDK's npm dependencies (api/sdk/typescript), exactly as its committed
# package-lock.json pins them. This also fills npm's cache, from which the sdk test
# (api/sdk/typescript/test/run.sh) installs them again in the build tree without the network.
sdk_dir="$(cd "$(dirname "$0")/.." && pwd)/api/sdk/typescript"
if ! cmp -s "$sdk_dir/package-lock.json" "$sdk_dir/node_modules/.package-lock.json.ci" 2>/dev/null; then
  echo "deps.sh: npm ci in api/sdk/typescript" >&2
  (cd "$sdk_dir" && npm ci --no-audit --no-fund --loglevel=error >&2 &&
    cp package-lock.json node_modules/.package-lock.json.ci)
fi

# The npm packages of the RFC 9421 interoperability test (tests/interop/package-lock.json),
# installed into tests/interop/node_modules when missing or older than the lock file.
interop=$(cd "$(dirname "$0")/.." && pwd)/tests/interop
if [ ! -d "$interop/node_modules/http-message-signatures" ] ||
    [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
  echo "deps.sh: npm ci in tests/interop" >&2
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

# The web console's npm packages (api/web: esbuild, playwright-core), from its lockfile.
web_dir="$(cd "$(dirname "$0")/.." && pwd)/api/web"
if ! cmp -s "$web_dir/package-lock.json" "$web_dir/node_modules/.package-lock.json.ci" 2>/dev/null; then
  echo "deps.sh: npm ci in api/web" >&2
  (cd "$web_dir" && npm ci --no-audit --no-fund --loglevel=error >&2 &&
    cp package-lock.json node_modules/.package-lock.json.ci)
fi
