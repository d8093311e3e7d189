#!/usr/bin/env bash
# OpenAPI check (CTest label lint), run from the project root:
#   tests/openapi/check_openapi.sh BUILD_DIR
#
# 1. routes: api/openapi.yaml describes exactly the routes of api/server/router.cc's route
#    table kRoutes (same methods and path patterns: none missing, none invented), and the
#    operations that require an RFC 9421 signature (no `- {}` alternative in `security`)
#    are exactly the table's Access::kSigned rows.
# 2. lint: Redocly CLI (pinned below, installed from the npm registry into
#    BUILD_DIR/npm on first use) lints the spec with its recommended rules; errors fail,
#    warnings are printed.
#
# Needs python3 (standard library only) and, for check 2, node and npm.
set -u
cd "$(dirname "$0")/../.."

# Redocly CLI major version 1, pinned exactly for reproducible lint results. (1.34.21
# depends on an @redocly/respect-core release the registry does not serve.)
REDOCLY_VERSION=1.34.20

build_dir=${1:-}
if [ -z "$build_dir" ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
mkdir -p "$build_dir" && build_dir=$(cd "$build_dir" && pwd)

spec=api/openapi.yaml
router=api/server/router.cc
passed=0
failed=0

# --- 1. Routes -----------------------------------------------------------------------------
route_check() {
  python3 - "$router" "$spec" <<'PY'
import re
import sys

router_path, spec_path = sys.argv[1], sys.argv[2]
router = open(router_path, encoding="utf-8").read()

# The route table: `{"GET", "/v1/entries/{index}", Access::kSigned, Sync<GetEntry>},` rows
# between "kRoutes[] = {" and "};". Access::kSigned rows require an RFC 9421 signature.
m = re.search(r"\bkRoutes\[\]\s*=\s*\{(.*?)\n\};", router, re.S)
if not m:
    print(f"routes: cannot find the kRoutes table in {router_path}")
    sys.exit(1)
routes = set()
authenticated = set()
rows = re.findall(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*Access::(\w+)\s*,', m.group(1))
for method, path, access in rows:
    if access not in ("kAnyone", "kSigned"):
        print(f"routes: {method} {path} has unknown access {access} in {router_path}")
        sys.exit(1)
    if (method, path) in routes:
        print(f"routes: {method} {path} is listed twice in kRoutes")
        sys.exit(1)
    routes.add((method, path))
    if access == "kSigned":
        authenticated.add((method, path))
# Every row of the table must have been read: a row the pattern misses would go unchecked.
if not routes or len(rows) != m.group(1).count("Access::"):
    print(f"routes: cannot read every row of kRoutes in {router_path}")
    sys.exit(1)

# The spec's `paths:` block, read line by line (no YAML library needed): path keys are
# indented 2 spaces, operations 4, an operation's `security:` 6 and its entries 8.
methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
operations = {}  # (METHOD, path) -> list of security requirement lines, or None
in_paths = False
path = op = None
in_security = False
for raw in open(spec_path, encoding="utf-8"):
    line = raw.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    indent = len(line) - len(line.lstrip(" "))
    if indent == 0:
        in_paths = line.startswith("paths:")
        path = op = None
        continue
    if not in_paths:
        continue
    if indent == 2:
        km = re.match(r"\s{2}['\"]?(/[^'\":]*)['\"]?:\s*$", line)
        path = km.group(1) if km else None
        op = None
        if not km:
            print(f"routes: unexpected line under paths: {line!r}")
            sys.exit(1)
    elif indent == 4 and path is not None:
        key = line.strip().split(":", 1)[0]
        op = (key.upper(), path) if key in methods else None
        if op:
            operations[op] = None
        in_security = False
    elif indent == 6 and op is not None:
        in_security = line.strip() == "security:"
        if in_security:
            operations[op] = []
    elif indent == 8 and op is not None and in_security:
        operations[op].append(line.strip())

ok = True
for method, p in sorted(routes - set(operations)):
    print(f"routes: {method} {p} is served (kRoutes) but missing from {spec_path}")
    ok = False
for method, p in sorted(set(operations) - routes):
    print(f"routes: {method} {p} is in {spec_path} but not a route in kRoutes")
    ok = False
for key in sorted(set(operations) & routes):
    security = operations[key]
    if security is None:
        print(f"routes: {key[0]} {key[1]} has no security requirement")
        ok = False
        continue
    optional = "- {}" in security
    if key in authenticated and optional:
        print(f"routes: {key[0]} {key[1]} requires a signature (Access::kSigned) "
              "but the spec makes it optional (`- {}`)")
        ok = False
    if key not in authenticated and not optional:
        print(f"routes: {key[0]} {key[1]} is public but the spec requires a signature")
        ok = False
print(f"routes: {len(routes)} routes in kRoutes, {len(operations)} operations in the spec, "
      f"{len(authenticated)} authenticated")
sys.exit(0 if ok else 1)
PY
}

if route_check; then
  passed=$((passed + 1))
else
  echo "openapi: FAILED routes"
  failed=$((failed + 1))
fi

# --- 2. Redocly lint ------------------------------------------------------------------------
npm_dir="$build_dir/npm"
redocly="$npm_dir/node_modules/.bin/redocly"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

lint_check() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "lint: node and npm are needed (tools/deps.sh installs them)"
    return 1
  fi
  if [ ! -x "$redocly" ] || [ "$("$redocly" --version 2>/dev/null)" != "$REDOCLY_VERSION" ]; then
    echo "lint: installing @redocly/cli@$REDOCLY_VERSION into $npm_dir"
    mkdir -p "$npm_dir"
    if ! npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
      "@redocly/cli@$REDOCLY_VERSION" >"$npm_dir/install.log" 2>&1; then
      echo "lint: npm install failed:"
      tail -20 "$npm_dir/install.log"
      return 1
    fi
  fi
  # Built-in recommended rules. info-license is skipped: the project states no license,
  # and the spec must not invent one.
  "$redocly" lint --extends=recommended --skip-rule=info-license --format=codeframe "$spec"
}

if lint_check; then
  passed=$((passed + 1))
else
  echo "openapi: FAILED lint"
  failed=$((failed + 1))
fi

echo "openapi: $passed passed, $failed failed"
[ "$failed" = 0 ]
