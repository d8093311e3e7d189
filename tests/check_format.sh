#!/usr/bin/env bash
# Format check (CTest label lint): every C++ source is as clang-format (.clang-format,
# Google-based) would write it. Fix with: clang-format -i $(the files named below)
set -u
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "check_format: clang-format is not installed (tools/deps.sh installs it)"; exit 1
fi
mapfile -t files < <(find crypto ledger api tools tests -name '*.h' -o -name '*.cc' | sort)
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check_format: not clang-formatted: ${bad[*]}"
  echo "format: 0 passed, 1 failed"; exit 1
fi
echo "format: ${#files[@]} files clean; 1 passed, 0 failed"
