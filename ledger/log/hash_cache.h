// HashCache: the upper levels of a ledger's Merkle tree, in memory.
//
// A stored hash at level >= min_level() (the root of a perfect subtree of 2^level
// leaves or more) never changes once written, and a tree of n leaves has only about
// 2n / 2^min_level of them: at the default level 6, 10 MB at 1e7 leaves (one byte per
// leaf). The Ledger keeps them all here and reads only the lower levels from RocksDB;
// the lower-level hashes one proof needs lie inside one 2^min_level-leaf block, whose
// 2^(min_level+1) - 1 stored hashes are contiguous keys (one or two data blocks).
// Level l holds, at position k, the hash stored at StoredHashIndex(l, k).
//
// Thread-safety: Lookup and memory_bytes may run concurrently with each other and with
// Load or Publish; Load and Publish must be serialized by the caller (the Ledger's one
// appender). Readers see a hash only once Publish has returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/log/merkle.h"

namespace ipledger {

// Default lowest level kept in memory; see LedgerOptions::hash_cache_min_level.
inline constexpr int kDefaultHashCacheMinLevel = 6;
// A min_level at which nothing is ever cached (no tree has 2^63 leaves).
inline constexpr int kHashCacheOff = 63;

class HashCache {
 public:
  // One stored hash: the root of perfect subtree `n` at `level`.
  struct Node {
    int level = 0;
    std::uint64_t n = 0;
    Digest hash{};
  };

  // Caches levels >= min_level; 0 <= min_level <= kHashCacheOff (asserted).
  explicit HashCache(int min_level);
  ~HashCache();
  HashCache(const HashCache&) = delete;
  HashCache& operator=(const HashCache&) = delete;

  int min_level() const { return min_level_; }

  // Replaces the contents with every stored hash at level >= min_level() of a tree of
  // `size` leaves, read through `reader` in ascending index order in batches, and checks
  // that each cached hash above min_level() is the NodeHash of its two cached children
  // (so that a root check over the cached border authenticates all of them).
  // kCorruption naming the stored index that fails; the reader's errors otherwise.
  Status Load(std::uint64_t size, const HashReader& reader);

  // Adds `nodes`, which must be durable already. At each level they must continue the
  // cached sequence (the next `n` at their level, in order); nodes below min_level()
  // are ignored.
  void Publish(std::span<const Node> nodes);

  // For each k, sets (*out)[k] to the hash stored at indexes[k] if it is cached;
  // appends to `missing` every k whose hash is not. `out` must hold indexes.size().
  void Lookup(std::span<const std::uint64_t> indexes, std::vector<Digest>* out,
              std::vector<std::size_t>* missing) const;

  // Number of cached hashes, and the bytes allocated for them.
  std::uint64_t count() const;
  std::size_t memory_bytes() const;

 private:
  // Hashes are kept in fixed chunks so that growth never moves (or copies under the
  // lock) what readers are using, and slack stays under one chunk per level.
  static constexpr std::size_t kChunk = 1024;
  struct Level {
    std::vector<std::unique_ptr<Digest[]>> chunks;
    std::uint64_t count = 0;
    void Push(const Digest& d);
    const Digest& At(std::uint64_t n) const { return chunks[n / kChunk][n % kChunk]; }
  };

  const int min_level_;
  mutable SharedMutex mu_;
  std::vector<Level> levels_ GUARDED_BY(mu_);  // levels_[i] is level min_level_ + i
};

}  // namespace ipledger
