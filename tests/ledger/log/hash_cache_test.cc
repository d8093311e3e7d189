#include "ledger/log/hash_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "ledger/log/merkle.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

// The stored hashes of a tree of random leaves, in storage order, and a reader over them
// that records what it was asked for.
struct StoredTree {
  std::vector<Digest> stored;
  std::vector<std::vector<std::uint64_t>> reads;

  explicit StoredTree(std::uint64_t n, std::uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    for (std::uint64_t i = 0; i < n; ++i) {
      Digest leaf;
      for (std::uint8_t& b : leaf) b = static_cast<std::uint8_t>(rng());
      auto add = StoredHashesForLeaf(i, leaf, Reader());
      EXPECT_OK(add);
      if (add.ok()) stored.insert(stored.end(), add->begin(), add->end());
    }
    reads.clear();
  }

  HashReader Reader() {
    return [this](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) {
      reads.emplace_back(indexes.begin(), indexes.end());
      out->clear();
      for (std::uint64_t i : indexes) {
        if (i >= stored.size()) return Status::NotFound("stored hash " + std::to_string(i));
        out->push_back(stored[i]);
      }
      return Status::Ok();
    };
  }
};

// Checks that `cache` holds exactly the stored hashes at level >= its min level.
void ExpectHoldsUpperLevels(const HashCache& cache, const std::vector<Digest>& stored) {
  std::vector<std::uint64_t> all(stored.size());
  for (std::uint64_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<Digest> out(all.size());
  std::vector<std::size_t> missing;
  cache.Lookup(all, &out, &missing);
  std::uint64_t cached = 0;
  std::size_t m = 0;
  for (std::uint64_t i = 0; i < all.size(); ++i) {
    const bool upper = SplitStoredHashIndex(i).level >= cache.min_level();
    const bool is_missing = m < missing.size() && missing[m] == i;
    if (is_missing) ++m;
    ASSERT_EQ(!is_missing, upper) << "index " << i << " min level " << cache.min_level();
    if (upper) {
      ++cached;
      ASSERT_EQ(out[i], stored[i]) << "index " << i;
    }
  }
  EXPECT_EQ(m, missing.size());
  EXPECT_EQ(cache.count(), cached);
}

TEST(HashCacheTest, LoadHoldsExactlyTheLevelsAtOrAboveTheMinimum) {
  for (std::uint64_t n :
       {0u, 1u, 2u, 3u, 4u, 7u, 8u, 63u, 64u, 65u, 127u, 128u, 200u, 1000u, 1025u}) {
    StoredTree tree(n);
    for (int min_level : {0, 1, 3, 6, kHashCacheOff}) {
      HashCache cache(min_level);
      ASSERT_OK(cache.Load(n, tree.Reader()));
      ExpectHoldsUpperLevels(cache, tree.stored);
    }
  }
}

TEST(HashCacheTest, LoadReadsOnlyUpperLevelsInAscendingOrder) {
  StoredTree tree(200000);
  HashCache cache(6);
  ASSERT_OK(cache.Load(200000, tree.Reader()));
  ASSERT_GT(tree.reads.size(), 1u);  // batched
  std::uint64_t previous = 0;
  std::uint64_t total = 0;
  for (const auto& batch : tree.reads) {
    for (std::uint64_t i : batch) {
      EXPECT_GE(SplitStoredHashIndex(i).level, 6) << i;
      if (total > 0) {
        ASSERT_GT(i, previous);
      }
      previous = i;
      ++total;
    }
  }
  // About 2n / 2^6 hashes: 1562 at level 6, 781 at level 7, ...
  EXPECT_EQ(total, cache.count());
  EXPECT_LT(total, 200000u / 32);
  EXPECT_GT(total, 200000u / 32 - 20);
}

TEST(HashCacheTest, PublishedHashesMatchALoadAtTheSameSize) {
  // Grow one cache through Publish, in uneven batches, and compare with a fresh Load.
  constexpr std::uint64_t kSize = 777;
  StoredTree tree(kSize);
  for (int min_level : {0, 2, 4}) {
    HashCache grown(min_level);
    ASSERT_OK(grown.Load(0, tree.Reader()));
    std::uint64_t next = 0;
    std::uint64_t batch = 1;
    while (next < kSize) {
      std::vector<HashCache::Node> nodes;
      const std::uint64_t end = std::min(kSize, next + batch);
      for (; next < end; ++next) {
        const std::uint64_t first = StoredHashIndex(0, next);
        for (int level = 0; level <= std::countr_one(next); ++level) {
          nodes.push_back(
              {level, next >> level, tree.stored[first + static_cast<std::uint64_t>(level)]});
        }
      }
      grown.Publish(nodes);
      batch = batch * 3 % 97 + 1;
      std::vector<Digest> prefix(
          tree.stored.begin(),
          tree.stored.begin() + static_cast<std::ptrdiff_t>(StoredHashCount(next)));
      ExpectHoldsUpperLevels(grown, prefix);
    }
  }
}

TEST(HashCacheTest, LoadRefusesAHashThatIsNotTheHashOfItsChildren) {
  StoredTree tree(300);
  for (int level : {3, 4, 5}) {
    StoredTree bad = tree;
    const std::uint64_t index = StoredHashIndex(level, 1);
    bad.stored[index][7] ^= 0x10;
    HashCache cache(3);
    Status s = cache.Load(300, bad.Reader());
    EXPECT_EQ(s.code(), ErrorCode::kCorruption) << level;
    // A flipped hash fails against its children, or its parent fails against it.
    const std::uint64_t named = level == 3 ? StoredHashIndex(4, 0) : index;
    EXPECT_NE(s.message().find("stored tree hash " + std::to_string(named) + " "),
              std::string::npos)
        << s.message();
    EXPECT_EQ(cache.count(), 0u);  // nothing half-loaded
  }
}

TEST(HashCacheTest, LoadPassesOnTheReadersError) {
  StoredTree tree(100);
  tree.stored.resize(50);  // a truncated tree
  HashCache cache(2);
  EXPECT_EQ(cache.Load(100, tree.Reader()).code(), ErrorCode::kNotFound);
}

TEST(HashCacheTest, MemoryIsAboutTwoHashesPerBlockOfLeaves) {
  StoredTree tree(70000);
  HashCache cache(6);
  ASSERT_OK(cache.Load(70000, tree.Reader()));
  // 2187 hashes; chunks of 1024 per level waste at most one chunk per level.
  EXPECT_GE(cache.memory_bytes(), cache.count() * sizeof(Digest));
  EXPECT_LE(cache.memory_bytes(), (cache.count() + 11 * 1024) * sizeof(Digest) + 4096);
}

TEST(HashCacheTest, ReadersSeeOnlyCompleteHashesWhileOneThreadPublishes) {
  constexpr std::uint64_t kSize = 1 << 14;
  StoredTree tree(kSize);
  HashCache cache(1);
  std::atomic<std::uint64_t> published{0};
  std::atomic<bool> wrong{false};
  std::thread reader([&] {
    std::mt19937_64 rng(3);
    std::vector<Digest> out(1);
    while (published.load() < kSize) {
      const std::uint64_t size = published.load();
      if (size == 0) continue;
      const std::uint64_t index = rng() % StoredHashCount(size);
      std::vector<std::size_t> missing;
      cache.Lookup({&index, 1}, &out, &missing);
      if (missing.empty() && out[0] != tree.stored[index]) wrong = true;
    }
  });
  for (std::uint64_t leaf = 0; leaf < kSize; ++leaf) {
    std::vector<HashCache::Node> nodes;
    const std::uint64_t first = StoredHashIndex(0, leaf);
    for (int level = 0; level <= std::countr_one(leaf); ++level) {
      nodes.push_back(
          {level, leaf >> level, tree.stored[first + static_cast<std::uint64_t>(level)]});
    }
    cache.Publish(nodes);
    published = leaf + 1;
  }
  reader.join();
  EXPECT_FALSE(wrong);
}

}  // namespace
}  // namespace ipledger
