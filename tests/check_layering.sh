#!/usr/bin/env bash
# Layering check (CTest label lint): each library may include only what lies below it.
#
#   crypto <- ledger/base <- ledger/log <- ledger/registry <- api/codec <- api/server
#                         <- ledger/map <-                              <- api/client <- tools
#                                                          api/client <- api/cluster <- tools
#
# The log never includes the registry; the status map (ledger/map) sits beside the log,
# below the registry, and includes neither; the codecs never include the server or client;
# RocksDB stays in ledger/log and ledger/map, libsodium in crypto, Beast/OpenSSL in api/server and
# api/client, nlohmann-json in api/; third-party headers never in a public header.
set -u
cd "$(dirname "$0")/.."
fail=0
checks=0
check() {  # check DIR REGEX WHY
  local hits
  checks=$((checks + 1))
  hits=$(grep -nE "$2" "$1"/*.h "$1"/*.cc 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $1/ $3:"; echo "$hits"; fail=1
  fi
}
check crypto '#include [<"](ledger|api|tools)/|#include <(rocksdb|boost|nlohmann|openssl)' 'may include only std and libsodium'
check ledger/base '#include [<"](crypto|ledger/log|ledger/registry|api|tools)/|#include <(rocksdb|sodium|boost|nlohmann|openssl)' 'may include only std'
check ledger/log '#include [<"](ledger/map|ledger/registry|api|tools)/|#include <(sodium|boost|nlohmann|openssl)' 'may include only crypto/, ledger/base/ and RocksDB'
check ledger/map '#include [<"](ledger/log|ledger/registry|api|tools)/|#include <(sodium|boost|nlohmann|openssl)' 'may include only crypto/, ledger/base/ and RocksDB'
check ledger/registry '#include [<"](api|tools)/|#include <(rocksdb|sodium|boost|nlohmann|openssl)' 'may include only crypto/ and ledger/ (RocksDB stays behind ledger/log/store.h)'
check api/codec '#include [<"](api/server|api/client|tools)/|#include <(rocksdb|sodium|boost|openssl)' 'may not include the server, the client, tools/, Beast, RocksDB or libsodium'
check api/server '#include [<"](api/client|tools)/|#include <(rocksdb|sodium)' 'may not include the client, tools/, RocksDB or libsodium'
# api/server/internal/: headers shared by the server's own .cc files only, so nlohmann may
# appear there (they are no public header); the server's other limits hold.
check api/server/internal '#include [<"](api/client|tools)/|#include <(rocksdb|sodium)' 'may not include the client, tools/, RocksDB or libsodium'
check api/client '#include [<"](api/server|tools)/|#include <(rocksdb|sodium)' 'may not include the server, tools/, RocksDB or libsodium'
# api/cluster/ (etcd replication) speaks to etcd through the client; never the server.
check api/cluster '#include [<"](api/server|tools)/|#include <(rocksdb|sodium|boost|openssl)' 'may not include the server, tools/, Beast, RocksDB or libsodium'
# Every source sits in a room: no file left at the top of ledger/ or api/.
checks=$((checks + 1))
stray=$(ls ledger/*.h ledger/*.cc api/*.h api/*.cc 2>/dev/null)
if [ -n "$stray" ]; then echo "layering: sources outside ledger/{base,log,map,registry} or api/{codec,server,client,cluster}:"; echo "$stray"; fail=1; fi
# Third-party headers stay out of public headers (pimpl instead).
for d in crypto ledger/base ledger/log ledger/map ledger/registry api/codec api/server api/client api/cluster; do
  checks=$((checks + 1))
  hits=$(grep -nE '#include <(rocksdb|sodium|boost|nlohmann|openssl)' "$d"/*.h 2>/dev/null)
  if [ -n "$hits" ]; then echo "layering: third-party header in a $d/ header:"; echo "$hits"; fail=1; fi
done
if [ "$fail" = 0 ]; then echo "layering: $checks passed, 0 failed"; else echo "layering: some of $checks failed"; fi
exit $fail
