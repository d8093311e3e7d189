#!/usr/bin/env bash
# Builds cosigcheck (main.go beside this script), an independent verifier of witness
# cosignatures, offline against Debian's golang.org/x/mod (golang-golang-x-mod-dev,
# installed by tools/deps.sh; installed here too with apt-get if missing).
# Usage: build.sh OUTPUT. Writes nothing beside this script.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUTPUT}"
gocode=/usr/share/gocode
if ! command -v go >/dev/null 2>&1 || [ ! -f "$gocode/src/golang.org/x/mod/sumdb/note/note.go" ]; then
  echo "build.sh: installing Debian packages golang-go golang-golang-x-mod-dev" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q golang-go golang-golang-x-mod-dev >&2
fi
export GO111MODULE=off GOPATH="$gocode" GOFLAGS= GOPROXY=off CGO_ENABLED=0
export GOCACHE="${COSIGCHECK_GOCACHE:-${TMPDIR:-/tmp}/cosigcheck-gocache}"
src="$(mktemp -d "${TMPDIR:-/tmp}/cosigcheck-src.XXXXXX")"
trap 'rm -rf "$src"' EXIT
cp "$here"/main.go "$src"/
cd "$src"
go vet . >&2
mkdir -p "$(dirname "$out")"
go build -trimpath -o "$out" .
echo "$out"
