#!/usr/bin/env bash
# The web console's browser tests (CTest test web_browser, label browser):
#   api/web/test/run.sh BUILD_DIR IPLEDGER IPLEDGERD
# Drives Debian's chromium (headless, through playwright-core) against a real ipledgerd
# serving BUILD_DIR/web at /ui/, over a data directory loaded with the demo
# (tools/demo.sh, on a clock file held 15 days back, as tests/integration/demo_test.cc
# does) plus a regulator participant and a patent nobody pledged, and two witnesses
# (`ipledger witness`) whose cosignatures ipledgerd gathers under the policy
# BUILD_DIR/web-test/witness-policy.
# The demo is loaded without its stories 4 and 5 (tools/demo.sh --skip 4,5: 19 patents
# and a trademark that no browser test looks at), which halves the load; set
# IPLEDGER_WEB_FULL_DEMO=1 to load all of it. Loading takes 10-40 s, so the loaded
# directory is kept in BUILD_DIR/web-test/ and reused while it is less than a day old
# and the binaries have not changed; the browser tests themselves take 30-60 s.
# Screenshots go to BUILD_DIR/web-test/screenshots/. Skips (exit 0, with a message) only
# if no chromium is found.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BUILD_DIR IPLEDGER IPLEDGERD" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
cli=$2
daemon=$3
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "SKIPPED: no chromium found (install Debian's chromium: tools/deps.sh); browser tests not run"
  exit 0
fi
if [ ! -f "$build/web/index.html" ]; then
  echo "run.sh: $build/web/index.html is missing: build the target web_console first" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "run.sh: api/web/node_modules is missing: run tools/deps.sh (npm ci in api/web)" >&2
  exit 1
fi

work=$build/web-test
free_patent=patent:2019106543216  # registered below, never pledged
demo_args=(--skip 4,5)
[ "${IPLEDGER_WEB_FULL_DEMO:-}" = 1 ] && demo_args=()
stamp=$( (sha256sum "$cli" "$daemon" "$root/tools/demo.sh" "$0"; echo "${demo_args[@]}") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$work/var/loaded" 2>/dev/null)" != "$stamp" ] ||
    [ -n "$(find "$work/var/loaded" -mmin +1440 2>/dev/null)" ]; then
  rm -rf "$work/var" "$work/clock"
  mkdir -p "$work"
  date -u -d '15 days ago' +%FT%TZ >"$work/clock"
  "$cli" init --data-dir "$work/var" --origin browser-test.ipledger.example/log \
    --clock-file "$work/clock" >/dev/null
  "$daemon" --data-dir "$work/var" --listen 127.0.0.1:0 --clock-file "$work/clock" \
    >"$work/load.out" 2>"$work/load.log" &
  pid=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$work/load.out" && break; sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/load.out")
  if ! "$root/tools/demo.sh" --data-dir "$work/var" --server "$url" --cli "$cli" \
      --clock-file "$work/clock" "${demo_args[@]}" >"$work/demo.log" 2>&1; then
    kill "$pid"; wait "$pid" || true
    echo "run.sh: tools/demo.sh failed; see $work/demo.log" >&2
    exit 1
  fi
  # A regulator (the demo has none), registered by the registry office.
  pub=$("$cli" keygen --out "$work/var/demo-keys/zj-regulator.key")
  cat >"$work/regulator.json" <<JSON
{"v": 1, "type": "participant.register", "submitter": "registry",
 "body": {"id": "zj-regulator", "name": "Zhejiang Financial Regulatory Bureau", "role": "regulator",
          "region_code": "330000", "keys": [{"label": "k1", "ed25519": "$pub"}]}}
JSON
  "$cli" sign --statement "$work/regulator.json" --key "$work/var/registry.key:registry/k1" \
    --out "$work/regulator.env" >/dev/null
  "$cli" submit --server "$url" --envelope "$work/regulator.env" >/dev/null
  # A patent that is registered and never pledged (the demo pledges every patent it
  # registers): the bank's "not pledged (proven)".
  cat >"$work/free-patent.json" <<JSON
{"v": 1, "type": "asset.register", "submitter": "registry",
 "body": {"asset_id": "$free_patent", "kind": "patent", "holders": ["kecheng-agrochem"],
          "patent": {"application_no": "${free_patent#patent:}", "patent_no": "ZL201910654321.6",
                     "type": "invention", "title": "Seed-treatment drum with closed-loop dosing",
                     "filing_date": "2019-06-21", "grant_date": "2021-12-21",
                     "annuity_paid_through": "$(date -u -d '+200 days' +%F)"}}}
JSON
  "$cli" sign --statement "$work/free-patent.json" --key "$work/var/registry.key:registry/k1" \
    --out "$work/free-patent.env" >/dev/null
  "$cli" submit --server "$url" --envelope "$work/free-patent.env" >/dev/null
  kill "$pid"; wait "$pid" || true
  echo "$stamp" >"$work/var/loaded"
fi

# Two witnesses (fresh each run: new keys, no state) and the policy "both", which
# ipledgerd gathers cosignatures under and the browser test pastes into the page.
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done' EXIT
rm -rf "$work/witnesses"
policy_text="# the bank's and the regulator's witnesses (api/web/test/run.sh)"
for name in bank regulator; do
  wdir=$work/witnesses/$name
  mkdir -p "$wdir"
  "$cli" witness --data-dir "$wdir" --listen 127.0.0.1:0 --name "witness.$name.example" \
    --log-vkey "$work/var/log.vkey" >"$wdir/out" 2>"$wdir/log" &
  pids+=($!)
  for _ in $(seq 1 200); do grep -q "listening on" "$wdir/out" && break; sleep 0.1; done
  wurl=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$wdir/out")
  [ -n "$wurl" ] || { echo "run.sh: the $name witness did not start; see $wdir/log" >&2; exit 1; }
  policy_text+=$'\n'"witness $name $(cat "$wdir/witness.vkey") $wurl"
done
printf '%s\ngroup both all bank regulator\nquorum both\n' "$policy_text" >"$work/witness-policy"

"$daemon" --data-dir "$work/var" --listen 127.0.0.1:0 --ui-dir "$build/web" \
  --witness-policy "$work/witness-policy" --witness-interval 200ms \
  >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 1 200); do grep -q "listening on" "$work/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$url" ] || { echo "run.sh: ipledgerd did not start; see $work/serve.log" >&2; exit 1; }

# The first cosigned checkpoint (the witnesses answer within a round or two).
for _ in $(seq 1 100); do curl -sf "$url/v1/checkpoints/cosigned" >/dev/null && break; sleep 0.1; done
curl -sf "$url/v1/checkpoints/cosigned" >/dev/null ||
  { echo "run.sh: no cosigned checkpoint; see $work/serve.log" >&2; exit 1; }

mkdir -p "$work/screenshots"
IPLEDGER_URL=$url IPLEDGER_DATA=$work/var IPLEDGER_CLI=$cli CHROMIUM=$chromium FREE_PATENT=$free_patent \
  WITNESS_POLICY=$work/witness-policy WEB_SRC=$here/src \
  WEB_DIST=$build/web SCREENSHOTS=$work/screenshots NODE_PATH=$here/node_modules \
  node --test --test-concurrency=1 "$here"/test/*.test.mjs
