#!/usr/bin/env bash
# Builds logverify (tests/conformance/logverify), ipledger's own conformance checker,
# offline in GOPATH mode against Debian's golang.org/x/mod (package
# golang-golang-x-mod-dev, installed by tools/deps.sh with golang-go). No network.
#
# Usage: build.sh OUTPUT         prints OUTPUT when built
#        build.sh --test OUTPUT  also runs go vet and the Go tests first
# Writes only OUTPUT and a Go build cache beside it; the source folder may be read-only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run_tests=0
if [ "${1:-}" = "--test" ]; then run_tests=1; shift; fi
out="${1:?usage: build.sh [--test] OUTPUT}"
gocode=/usr/share/gocode
for f in note/note.go tlog/tlog.go; do
  if [ ! -f "$gocode/src/golang.org/x/mod/sumdb/$f" ] || ! command -v go >/dev/null; then
    echo "build.sh: Go or golang.org/x/mod missing; run tools/deps.sh (golang-go golang-golang-x-mod-dev)" >&2
    exit 1
  fi
done
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
export GO111MODULE=off GOPATH="$gocode" GOFLAGS= GOPROXY=off CGO_ENABLED=0
export GOCACHE="$(dirname "$out")/gocache"
cd "$here"
if [ "$run_tests" = 1 ]; then
  go vet . >&2
  go test -count=1 . >&2
fi
go build -trimpath -o "$out" .
echo "$out"
