// The status map seen from the public leaves: recomputation and comparison with every
// logged root (`ipledger verify`, tests). The sequencer's side (staging, proofs, the
// check at open) are Registry methods in status_map.cc.
//
// Thread-compatible.
#pragma once

#include <cstdint>

#include "ledger/base/status.h"
#include "ledger/log/ledger.h"

namespace ipledger {

struct StatusMapReport {
  std::uint64_t entries = 0;  // leaves read
  std::uint64_t roots = 0;    // map.root entries compared
  std::uint64_t assets = 0;   // assets in the recomputed map
};

// Reads every leaf of `ledger` in log order, recomputes the asset status records
// (asset_status.h) and the map (an in-memory map of the same tree), and compares each
// map.root entry with it: the leaf's map_root, and its envelope, which must be a map
// root statement (map_root.h) signed by the log key with the same root, its own index
// as version and the recomputed count. kCorruption naming the first bad entry index.
StatusOr<StatusMapReport> VerifyStatusMapFromLeaves(const Ledger& ledger);

}  // namespace ipledger
