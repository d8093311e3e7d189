#!/usr/bin/env bash
# Layering check (CTest label lint): each module may include only what design.md
# allows. crypto <- ledger <- api <- tools; third-party headers only where listed.
set -u
cd "$(dirname "$0")/.."
fail=0
check() {  # check DIR REGEX WHY
  local hits
  hits=$(grep -nE "$2" "$1"/*.h "$1"/*.cc 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $1/ $3:"; echo "$hits"; fail=1
  fi
}
check crypto '#include [<"](ledger|api|tools)/|#include <(rocksdb|boost|nlohmann|openssl)' 'may include only std and libsodium'
check ledger '#include [<"](api|tools)/|#include <(boost|nlohmann|openssl)' 'may not include api/, tools/, Beast, JSON or OpenSSL'
check ledger '#include <sodium' 'uses crypto/, not libsodium directly'
check api '#include [<"]tools/|#include <(rocksdb|sodium)' 'may not include tools/, RocksDB or libsodium'
# Third-party headers stay out of public headers (pimpl instead).
for d in crypto ledger api; do
  hits=$(grep -nE '#include <(rocksdb|sodium|boost|nlohmann|openssl)' "$d"/*.h 2>/dev/null)
  if [ -n "$hits" ]; then echo "layering: third-party header in a $d/ header:"; echo "$hits"; fail=1; fi
done
if [ "$fail" = 0 ]; then echo "layering: 1 passed, 0 failed"; else echo "layering: 0 passed, 1 failed"; fi
exit $fail
