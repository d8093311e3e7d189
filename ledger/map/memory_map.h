// MemoryMap: the status map held in memory, the reference implementation of the tree
// proof.h describes (for tests, test vectors, `ipledger verify` and the monitor, which
// recompute the map from the log's leaves).
//
// A binary trie with each subtree's hash cached: Set rehashes one path (O(depth)),
// Root is O(1), Prove O(depth). About 150 bytes per key.
//
// Not thread-safe: one thread at a time (const methods may run concurrently with each
// other, never with Set).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "ledger/map/proof.h"

namespace ipledger::map {

class MemoryMap {
 public:
  MemoryMap();
  ~MemoryMap();
  MemoryMap(MemoryMap&&) noexcept;
  MemoryMap& operator=(MemoryMap&&) noexcept;
  MemoryMap(const MemoryMap&) = delete;
  MemoryMap& operator=(const MemoryMap&) = delete;

  // Inserts `key` or replaces its value hash.
  void Set(const Hash& key, const Hash& value_hash);
  // The value hash of `key`, or nullopt.
  std::optional<Hash> Get(const Hash& key) const;
  // EMPTY for the empty map.
  Hash Root() const;
  // A proof of presence (kind 0) or absence (kind 1 or 2) for `key` against Root().
  MapProof Prove(const Hash& key) const;
  size_t size() const { return size_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  size_t size_ = 0;
};

}  // namespace ipledger::map
