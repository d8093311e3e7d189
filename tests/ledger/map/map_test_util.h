// Helpers shared by the status map's tests: random keys and values, a brute-force root.
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ledger/map/proof.h"

namespace ipledger::map::testing {

inline Hash RandomHash(std::mt19937_64& rng) {
  Hash h;
  for (size_t i = 0; i < h.size(); i += 8) {
    std::uint64_t r = rng();
    for (size_t j = 0; j < 8; ++j) h[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  return h;
}

// The compact tree's root computed from scratch (sorted, distinct leaves at `depth`),
// independently of MemoryMap and SparseMap.
inline Hash BruteRoot(std::span<const std::pair<Hash, Hash>> leaves, size_t depth = 0) {
  if (leaves.empty()) return kEmptyHash;
  if (leaves.size() == 1) return LeafHash(leaves[0].first, leaves[0].second);
  std::vector<std::pair<Hash, Hash>> l;
  std::vector<std::pair<Hash, Hash>> r;
  for (const auto& kv : leaves) (PathBit(kv.first, depth) ? r : l).push_back(kv);
  return NodeHash(BruteRoot(l, depth + 1), BruteRoot(r, depth + 1));
}

}  // namespace ipledger::map::testing
