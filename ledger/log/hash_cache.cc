#include "ledger/log/hash_cache.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace ipledger {
namespace {

// Hashes per read while loading: large enough that RocksDB reads each data block once
// and in order, small enough to keep the key and value buffers at a few hundred KB.
constexpr std::size_t kLoadBatch = 4096;

}  // namespace

void HashCache::Level::Push(const Digest& d) {
  if (count % kChunk == 0) chunks.push_back(std::make_unique<Digest[]>(kChunk));
  chunks.back()[count % kChunk] = d;
  ++count;
}

HashCache::HashCache(int min_level) : min_level_(min_level) {
  assert(min_level >= 0 && min_level <= kHashCacheOff);
}

HashCache::~HashCache() = default;

Status HashCache::Load(std::uint64_t size, const HashReader& reader) {
  std::vector<Level> levels;
  // The stored hashes at levels >= min_level_ are written by the leaves that complete a
  // 2^min_level_ block: leaf n stores levels 0..countr_one(n) right after its leaf hash,
  // so walking those leaves in order lists the wanted indexes in ascending order.
  const std::uint64_t block = std::uint64_t{1} << min_level_;
  std::vector<std::uint64_t> indexes;
  std::vector<int> index_levels;
  std::vector<Digest> hashes;
  auto flush = [&]() -> Status {
    if (indexes.empty()) return Status::Ok();
    if (Status s = reader(indexes, &hashes); !s.ok()) return s;
    if (hashes.size() != indexes.size()) {
      return Status::Internal("HashReader returned " + std::to_string(hashes.size()) +
                              " hashes for " + std::to_string(indexes.size()) + " indexes");
    }
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      const auto i = static_cast<std::size_t>(index_levels[k] - min_level_);
      if (levels.size() <= i) levels.resize(i + 1);
      levels[i].Push(hashes[k]);
    }
    indexes.clear();
    index_levels.clear();
    return Status::Ok();
  };
  if (min_level_ < kHashCacheOff && size >= block) {
    for (std::uint64_t leaf = block - 1; leaf < size; leaf += block) {
      const std::uint64_t first = StoredHashIndex(0, leaf);
      const int top = std::countr_one(leaf);
      for (int level = min_level_; level <= top; ++level) {
        indexes.push_back(first + static_cast<std::uint64_t>(level));
        index_levels.push_back(level);
      }
      if (indexes.size() >= kLoadBatch) {
        if (Status s = flush(); !s.ok()) return s;
      }
    }
    if (Status s = flush(); !s.ok()) return s;
  }
  for (std::size_t i = 1; i < levels.size(); ++i) {
    const int level = min_level_ + static_cast<int>(i);
    for (std::uint64_t n = 0; n < levels[i].count; ++n) {
      if (NodeHash(levels[i - 1].At(2 * n), levels[i - 1].At(2 * n + 1)) != levels[i].At(n)) {
        return Status::Corruption("stored tree hash " + std::to_string(StoredHashIndex(level, n)) +
                                  " (level " + std::to_string(level) + ", subtree " +
                                  std::to_string(n) + ") is not the hash of its two children");
      }
    }
  }
  WriterLock l(&mu_);
  levels_ = std::move(levels);
  return Status::Ok();
}

void HashCache::Publish(std::span<const Node> nodes) {
  WriterLock l(&mu_);
  for (const Node& node : nodes) {
    if (node.level < min_level_) continue;
    const auto i = static_cast<std::size_t>(node.level - min_level_);
    if (levels_.size() <= i) levels_.resize(i + 1);
    assert(levels_[i].count == node.n);
    levels_[i].Push(node.hash);
  }
}

void HashCache::Lookup(std::span<const std::uint64_t> indexes, std::vector<Digest>* out,
                       std::vector<std::size_t>* missing) const {
  assert(out->size() >= indexes.size());
  ReaderLock l(&mu_);
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    const StoredHashPosition p = SplitStoredHashIndex(indexes[k]);
    if (p.level >= min_level_) {
      const auto i = static_cast<std::size_t>(p.level - min_level_);
      if (i < levels_.size() && p.n < levels_[i].count) {
        (*out)[k] = levels_[i].At(p.n);
        continue;
      }
    }
    missing->push_back(k);
  }
}

std::uint64_t HashCache::count() const {
  ReaderLock l(&mu_);
  std::uint64_t total = 0;
  for (const Level& level : levels_) total += level.count;
  return total;
}

std::size_t HashCache::memory_bytes() const {
  ReaderLock l(&mu_);
  std::size_t total = levels_.capacity() * sizeof(Level);
  for (const Level& level : levels_) {
    total += level.chunks.capacity() * sizeof(level.chunks[0]) +
             level.chunks.size() * kChunk * sizeof(Digest);
  }
  return total;
}

}  // namespace ipledger
