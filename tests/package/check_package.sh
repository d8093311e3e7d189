#!/usr/bin/env bash
# The Debian package end to end (CTest label package), run from anywhere:
#   tests/package/check_package.sh BUILD_DIR
#
# Builds ipledger_<version>_amd64.deb with cpack from BUILD_DIR, installs it with dpkg -i,
# checks what it installed, starts ipledgerd from the installed files with the unit's
# ExecStart command line (so the installed /etc/ipledger/ipledgerd.conf) as the ipledger
# user on a free port, checks GET /readyz and the log lines, checks that
# `ipledgerd --version` and `ipledger --version` match the package version, runs
# `systemd-analyze verify` on the unit when available, then stops it and purges the
# package. Needs root (dpkg -i): without it, it skips (exit 77). It also skips when
# ipledger is already installed or /var/lib/ipledger exists, so that it never touches a
# real installation.
set -euo pipefail
build_dir=${1:?usage: $0 BUILD_DIR}
build_dir=$(cd "$build_dir" && pwd)
skip() { echo "package: SKIPPED: $*"; exit 77; }
fail() { echo "package: FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "dpkg -i needs root (CI runs as root)"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps curl setpriv runuser python3; do
  command -v "$tool" >/dev/null || skip "$tool is missing (tools/deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' ipledger 2>/dev/null | grep -q "installed"; then
  skip "the ipledger package is installed on this machine already; not touching it"
fi
[ ! -e /var/lib/ipledger ] || skip "/var/lib/ipledger exists; not touching a real registry"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $build_dir/CMakeCache.txt"
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  if dpkg-query -W ipledger >/dev/null 2>&1; then dpkg --purge ipledger >/dev/null 2>&1 || true; fi
  rm -rf /var/lib/ipledger "$tmp"
}
trap cleanup EXIT

# 1. Build the package.
start=$(date +%s)
if ! (cd "$tmp" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1); then
  tail -30 "$tmp/cpack.log"; fail "cpack"
fi
deb="$tmp/out/ipledger_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$tmp/out"; fail "cpack did not write ipledger_${version}_amd64.deb"; }
echo "package: built $(basename "$deb") ($(du -h "$deb" | cut -f1)) in $(($(date +%s) - start)) s"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ipledgerd ./usr/bin/ipledger ./lib/systemd/system/ipledgerd.service \
    ./etc/ipledger/ipledgerd.conf; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
dpkg-deb -f "$deb" Depends | grep -q "librocksdb" || fail "no shared-library dependencies: $(dpkg-deb -f "$deb" Depends)"
# A build linked with jemalloc (CMake's IPLEDGER_JEMALLOC; not sanitized builds) must
# bring it along.
if readelf -d "$build_dir/tools/ipledgerd" | grep -q "libjemalloc"; then
  dpkg-deb -f "$deb" Depends | grep -q "libjemalloc2" ||
    fail "ipledgerd is linked with jemalloc, but the package does not depend on libjemalloc2"
fi
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/ipledger/ipledgerd.conf "$tmp/control/conffiles" || fail "ipledgerd.conf is not a conffile"

# 2. Install it.
if ! IPLEDGER_ORIGIN=package-test.example/ipledger dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  cat "$tmp/dpkg.log"; fail "dpkg -i"
fi
getent passwd ipledger >/dev/null || fail "postinst did not create the user ipledger"
[ -e /var/lib/ipledger/db ] || fail "postinst did not initialize /var/lib/ipledger"
[ "$(stat -c %U /var/lib/ipledger/log.key)" = ipledger ] || fail "log.key is not the ipledger user's"
[ "$(dpkg-query -W -f='${Version}' ipledger)" = "$version" ] || fail "installed version is not $version"
for prog in ipledgerd ipledger; do
  got=$("/usr/bin/$prog" --version)
  [ "$got" = "$prog $version" ] || fail "/usr/bin/$prog --version says '$got', the package is $version"
done

# 3. The unit: hardened as promised, and verified by systemd when it can.
unit=/lib/systemd/system/ipledgerd.service
for want in User=ipledger ProtectSystem=strict LimitCORE=0 StateDirectory=ipledger \
    NoNewPrivileges=yes; do
  grep -qx "$want" "$unit" || fail "$unit lacks $want"
done
if command -v systemd-analyze >/dev/null; then
  if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then
    echo "$out"; fail "systemd-analyze verify $unit"
  fi
  echo "package: systemd-analyze verify: clean"
else
  echo "package: systemd-analyze is missing; unit not verified"
fi

# 4. Start the server as the unit would (its ExecStart, as its user), on a free port.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart in $unit"
read -r -a command <<<"$exec_start"
# setpriv execs the server itself (no parent in between), so the SIGTERM below reaches it.
setpriv --reuid=ipledger --regid=ipledger --init-groups -- "${command[@]}" --listen 127.0.0.1:0 >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$tmp/stdout" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/stderr"; fail "ipledgerd exited"; }
  sleep 0.1
done
url=$(sed -n 's/^ipledgerd: listening on //p' "$tmp/stdout")
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || { cat "$tmp/stdout" "$tmp/stderr"; fail "no port line"; }
ready=$(curl -s -w ' %{http_code}' "$url/readyz")
[[ "$ready" == *'"status":"ready"'*' 200' ]] || fail "GET /readyz answered: $ready"
curl -sf "$url/log/checkpoint" | head -n 1 | grep -qx package-test.example/ipledger ||
  fail "the checkpoint is not the installed registry's"
kill -TERM "$pid"
wait "$pid" || fail "ipledgerd did not stop cleanly on SIGTERM"
pid=""
python3 - "$tmp/stderr" <<'PY' || fail "a log line is not a JSON object with ts, level and msg"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log lines"
for line in lines:
    j = json.loads(line)
    assert isinstance(j, dict) and {"ts", "level", "msg"} <= j.keys(), line
print(f"package: {len(lines)} log lines, all JSON")
PY

# 5. Purge: configuration and user go, the registry stays (removed here by the test).
dpkg --purge ipledger >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg --purge"; }
[ ! -e /usr/bin/ipledgerd ] || fail "purge left /usr/bin/ipledgerd"
[ ! -e /etc/ipledger ] || fail "purge left /etc/ipledger"
! getent passwd ipledger >/dev/null || fail "purge left the user ipledger"
[ -e /var/lib/ipledger/db ] || fail "purge removed the registry"
echo "package: PASSED in $(($(date +%s) - start)) s"
