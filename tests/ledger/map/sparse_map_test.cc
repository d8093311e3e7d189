// SparseMap on real RocksDB (the log Store's `map` column) against MemoryMap: roots and
// proofs over thousands of random inserts and updates across many versions, old
// versions still answerable, persistence, Abandon, staging ahead of commits, and Check
// naming a node edited on disk.
#include "ledger/map/sparse_map.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <random>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/store.h"
#include "ledger/map/memory_map.h"
#include "tests/ledger/map/map_test_util.h"
#include "tests/testing/testing.h"

namespace ipledger::map {
namespace {

using ::ipledger::testing::MutateStored;
using ::ipledger::testing::TempDir;
using testing::RandomHash;

using Updates = std::vector<std::pair<Hash, Hash>>;

struct Db {
  std::unique_ptr<Store> store;
  std::unique_ptr<SparseMap> map;

  static Db Open(const std::string& dir, bool create) {
    StoreOptions o;
    o.create = create;
    auto store = Store::Open(dir, o);
    EXPECT_OK(store);
    Db db;
    db.store = std::move(*store);
    auto m = SparseMap::Open(db.store->raw_db(), db.store->raw_handle(Column::kMap));
    EXPECT_OK(m);
    db.map = std::move(*m);
    return db;
  }
  void Close() {
    map.reset();
    store.reset();
  }
  // Stage, write through a WriteSet (as the registry does), commit.
  StatusOr<Hash> Commit(std::uint64_t version, const Updates& ups) {
    WriteSet w;
    w.Put(Column::kMeta, "map-test", std::to_string(version));  // travels with the nodes
    auto root = map->Stage(version, ups, w.raw_batch());
    if (!root.ok()) return root;
    if (Status s = store->Write(w); !s.ok()) {
      map->Abandon();
      return s;
    }
    map->Committed(version);
    return root;
  }
};

// Keys of the `map` column that belong to `version` (nodes and the root record).
size_t KeysOfVersion(const Store& store, std::uint64_t version) {
  size_t n = 0;
  EXPECT_OK(store.Scan(Column::kMap, "", "", [&](std::string_view k, std::string_view) {
    if (k.size() >= 9 && DecodeFixed64BE(k.substr(1, 8)) == version) ++n;
    return true;
  }));
  return n;
}

// The nodes `version` wrote: the entries of its groups (sparse_map.h).
size_t NodesOfVersion(const Store& store, std::uint64_t version) {
  size_t n = 0;
  EXPECT_OK(store.Scan(Column::kMap, "g", "h", [&](std::string_view k, std::string_view v) {
    if (DecodeFixed64BE(k.substr(1, 8)) != version) return true;
    while (!v.empty()) {
      size_t size = 2 + 32;  // depth, bits, the node's hash
      for (int c = 0; c < 2; ++c) {
        const auto type = static_cast<std::uint8_t>(v[size]);
        size += type == 0 ? 1 : type == 1 ? 65 : 41;
      }
      v.remove_prefix(size);
      ++n;
    }
    return true;
  }));
  return n;
}

TEST(SparseMapTest, MatchesMemoryMapAcrossManyVersions) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  EXPECT_EQ(db.map->LatestVersion(), std::nullopt);
  EXPECT_EQ(db.map->RootAtOrBefore(100).status().code(), ErrorCode::kNotFound);

  std::mt19937_64 rng(42);
  MemoryMap model;
  std::vector<Hash> keys;
  struct Snapshot {
    std::uint64_t version;
    Hash root;
    std::vector<std::pair<Hash, MapProof>> proofs;  // as MemoryMap proved them then
    std::vector<std::pair<Hash, std::optional<Hash>>> values;
  };
  std::vector<Snapshot> snapshots;
  std::uint64_t version = 0;
  size_t updates = 0;
  for (int round = 0; round < 60; ++round) {
    version += 1 + rng() % 5;
    Updates ups;
    const size_t n = 1 + rng() % 120;
    for (size_t i = 0; i < n; ++i) {
      Hash k;
      if (!keys.empty() && rng() % 3 == 0) {
        k = keys[rng() % keys.size()];  // an update
      } else {
        k = RandomHash(rng);
        keys.push_back(k);
      }
      ups.emplace_back(k, RandomHash(rng));
      if (rng() % 10 == 0) ups.emplace_back(k, RandomHash(rng));  // twice in one batch
    }
    if (round % 17 == 5) ups.clear();  // a version that changes nothing
    for (const auto& [k, v] : ups) model.Set(k, v);
    updates += ups.size();
    auto root = db.Commit(version, ups);
    ASSERT_OK(root);
    ASSERT_EQ(*root, model.Root()) << "version " << version;
    EXPECT_EQ(db.map->LatestVersion(), version);

    Snapshot snap{version, model.Root(), {}, {}};
    for (int i = 0; i < 8; ++i) {
      Hash k = rng() % 2 == 0 ? keys[rng() % keys.size()] : RandomHash(rng);
      snap.proofs.emplace_back(k, model.Prove(k));
      snap.values.emplace_back(k, model.Get(k));
    }
    snapshots.push_back(std::move(snap));
  }
  EXPECT_GT(updates, 3000u);

  // Every key at the latest version.
  for (const Hash& k : keys) {
    auto p = db.map->Prove(k, version);
    ASSERT_OK(p);
    ASSERT_EQ(*p, model.Prove(k));
    auto g = db.map->Get(k, version);
    ASSERT_OK(g);
    EXPECT_EQ(*g, model.Get(k));
  }
  // Every older version: its root, its proofs, its values, its check.
  for (const auto& snap : snapshots) {
    auto r = db.map->RootAtOrBefore(snap.version);
    ASSERT_OK(r);
    EXPECT_EQ(r->first, snap.version);
    EXPECT_EQ(r->second, snap.root);
    auto between = db.map->RootAtOrBefore(snap.version + 1);
    ASSERT_OK(between);
    EXPECT_GE(between->first, snap.version);
    for (size_t i = 0; i < snap.proofs.size(); ++i) {
      const auto& [k, want] = snap.proofs[i];
      auto p = db.map->Prove(k, snap.version);
      ASSERT_OK(p);
      EXPECT_EQ(*p, want) << "version " << snap.version;
      EXPECT_OK(VerifyMapProof(snap.root, k, snap.values[i].second, *p));
      auto g = db.map->Get(k, snap.version);
      ASSERT_OK(g);
      EXPECT_EQ(*g, snap.values[i].second);
    }
    EXPECT_OK(db.map->Check(snap.version));
  }
  EXPECT_EQ(db.map->Prove(keys[0], snapshots[0].version - 1).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(db.map->RootAtOrBefore(snapshots[0].version - 1).status().code(), ErrorCode::kNotFound);

  // Persistence: reopen and answer the same.
  db.Close();
  db = Db::Open(dir.str(), false);
  EXPECT_EQ(db.map->LatestVersion(), version);
  auto r = db.map->RootAtOrBefore(version);
  ASSERT_OK(r);
  EXPECT_EQ(r->second, model.Root());
  for (size_t i = 0; i < keys.size(); i += 7) {
    auto p = db.map->Prove(keys[i], version);
    ASSERT_OK(p);
    EXPECT_EQ(*p, model.Prove(keys[i]));
  }
  EXPECT_OK(db.map->Check(version));
  // And keep going after the reopen.
  Updates more = {{RandomHash(rng), RandomHash(rng)}, {keys[3], RandomHash(rng)}};
  for (const auto& [k, v] : more) model.Set(k, v);
  auto root = db.Commit(version + 1, more);
  ASSERT_OK(root);
  EXPECT_EQ(*root, model.Root());
}

TEST(SparseMapTest, UpdatesWriteOnlyTheChangedPaths) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(5);
  Updates ups;
  for (int i = 0; i < 2000; ++i) ups.emplace_back(RandomHash(rng), RandomHash(rng));
  ASSERT_OK(db.Commit(1, ups));
  EXPECT_GE(NodesOfVersion(*db.store, 1), 1999u);  // >= n - 1 internal nodes
  // One key per group of 8 levels that has a node (one at depths 0-7, at most 256 at
  // 8-15, a few deeper) and the root record.
  const size_t first = KeysOfVersion(*db.store, 1);
  EXPECT_GE(first, 100u);
  EXPECT_LE(first, 300u);
  ASSERT_OK(db.Commit(2, {{ups[10].first, RandomHash(rng)}}));
  const size_t second = NodesOfVersion(*db.store, 2);
  EXPECT_GT(second, 5u);
  EXPECT_LT(second, 40u) << "one update rewrites one path";
  EXPECT_LE(KeysOfVersion(*db.store, 2), 5u) << "a path of fewer than 40 levels, 8 a group";
  // Setting a key to the value it already has changes nothing but the root record.
  ASSERT_OK(db.Commit(3, {{ups[11].first, ups[11].second}}));
  EXPECT_EQ(KeysOfVersion(*db.store, 3), 1u);
}

TEST(SparseMapTest, AbandonLeavesNoTrace) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(9);
  MemoryMap model;
  Updates base;
  for (int i = 0; i < 300; ++i) base.emplace_back(RandomHash(rng), RandomHash(rng));
  for (const auto& [k, v] : base) model.Set(k, v);
  ASSERT_OK(db.Commit(10, base));

  // Staged and abandoned (its batch never written).
  Updates lost = {{RandomHash(rng), RandomHash(rng)}, {base[0].first, RandomHash(rng)}};
  {
    rocksdb::WriteBatch batch;
    auto staged = db.map->Stage(11, lost, &batch);
    ASSERT_OK(staged);
    EXPECT_NE(*staged, model.Root());
    EXPECT_GT(batch.Count(), 1u);
    db.map->Abandon();
  }
  EXPECT_EQ(db.map->LatestVersion(), 10u);
  EXPECT_EQ(KeysOfVersion(*db.store, 11), 0u);
  EXPECT_EQ(db.map->Prove(base[0].first, 11).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(db.map->RootAtOrBefore(11)->first, 10u);

  // The same version staged again, with other updates, is based on version 10 alone.
  Updates kept = {{RandomHash(rng), RandomHash(rng)}};
  for (const auto& [k, v] : kept) model.Set(k, v);
  auto root = db.Commit(11, kept);
  ASSERT_OK(root);
  EXPECT_EQ(*root, model.Root());
  EXPECT_EQ(*db.map->Get(base[0].first, 11), base[0].second);
  EXPECT_EQ(*db.map->Get(lost[0].first, 11), std::nullopt);
  EXPECT_OK(db.map->Check(11));

  // A stage whose write fails (a read-only store) is abandoned by Commit.
  db.Close();
  StoreOptions ro;
  ro.read_only = true;
  auto store = Store::Open(dir.str(), ro);
  ASSERT_OK(store);
  auto m = SparseMap::Open((*store)->raw_db(), (*store)->raw_handle(Column::kMap));
  ASSERT_OK(m);
  EXPECT_EQ((*m)->LatestVersion(), 11u);
  Db ro_db;
  ro_db.store = std::move(*store);
  ro_db.map = std::move(*m);
  EXPECT_FALSE(ro_db.Commit(12, lost).ok());
  EXPECT_EQ(ro_db.map->LatestVersion(), 11u);
  EXPECT_EQ(*ro_db.map->Get(lost[0].first, 11), std::nullopt);
}

TEST(SparseMapTest, StagesAheadOfCommitsAndRefusesOldVersions) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(11);
  MemoryMap model;
  Updates a, b;
  for (int i = 0; i < 100; ++i) a.emplace_back(RandomHash(rng), RandomHash(rng));
  for (int i = 0; i < 100; ++i)
    b.emplace_back(i % 2 ? a[static_cast<size_t>(i)].first : RandomHash(rng), RandomHash(rng));
  WriteSet w1, w2;
  auto r1 = db.map->Stage(5, a, w1.raw_batch());
  ASSERT_OK(r1);
  for (const auto& [k, v] : a) model.Set(k, v);
  EXPECT_EQ(*r1, model.Root());
  auto r2 = db.map->Stage(6, b, w2.raw_batch());  // reads version 5's staged nodes
  ASSERT_OK(r2);
  for (const auto& [k, v] : b) model.Set(k, v);
  EXPECT_EQ(*r2, model.Root());
  EXPECT_EQ(db.map->LatestVersion(), std::nullopt);
  EXPECT_EQ(db.map->Stage(6, b, w2.raw_batch()).status().code(), ErrorCode::kInvalidArgument);
  // Both batches in one write, as a merged WriteSet.
  WriteSet all;
  all.Merge(w1);
  all.Merge(w2);
  ASSERT_OK(db.store->Write(all));
  db.map->Committed(6);
  EXPECT_EQ(db.map->LatestVersion(), 6u);
  EXPECT_EQ(db.map->RootAtOrBefore(5)->second, *r1);
  EXPECT_EQ(db.map->RootAtOrBefore(6)->second, *r2);
  EXPECT_OK(db.map->Check(5));
  EXPECT_OK(db.map->Check(6));
  EXPECT_EQ(db.map->Stage(6, {}, w2.raw_batch()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(db.map->Stage(3, {}, w2.raw_batch()).status().code(), ErrorCode::kInvalidArgument);
}

// GetNewest (the sequencer's "has this asset a status record?") answers for the newest
// staged version, else the committed one, as Get does for a stored version; and
// CheckRootNode, the O(1) check at open, passes a good root node.
TEST(SparseMapTest, GetNewestSeesStagedThenCommittedVersions) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(21);
  Updates first;
  for (int i = 0; i < 300; ++i) first.emplace_back(RandomHash(rng), RandomHash(rng));
  const Hash absent = RandomHash(rng);
  auto none = db.map->GetNewest({first[0].first, absent});
  ASSERT_OK(none);
  EXPECT_EQ(*none, (std::vector<std::optional<Hash>>{std::nullopt, std::nullopt}));
  ASSERT_OK(db.Commit(4, first));
  EXPECT_OK(db.map->CheckRootNode(4));
  auto after = db.map->GetNewest({first[0].first, first[299].first, absent});
  ASSERT_OK(after);
  EXPECT_EQ(*after,
            (std::vector<std::optional<Hash>>{first[0].second, first[299].second, std::nullopt}));
  // Staged, not yet committed: GetNewest sees it, Get of the stored version does not.
  WriteSet w;
  const Hash changed = RandomHash(rng);
  ASSERT_OK(db.map->Stage(5, {{absent, changed}, {first[1].first, changed}}, w.raw_batch()));
  auto staged = db.map->GetNewest({absent, first[1].first, first[2].first});
  ASSERT_OK(staged);
  EXPECT_EQ(*staged, (std::vector<std::optional<Hash>>{changed, changed, first[2].second}));
  EXPECT_EQ(*db.map->Get(absent, 4), std::nullopt);
  db.map->Abandon();
  auto abandoned = db.map->GetNewest({absent, first[1].first});
  ASSERT_OK(abandoned);
  EXPECT_EQ(*abandoned, (std::vector<std::optional<Hash>>{std::nullopt, first[1].second}));
  // Committed versions read from the nodes the cache kept equal those read from disk.
  ASSERT_OK(db.Commit(5, {{absent, changed}}));
  db.Close();
  Db reopened = Db::Open(dir.str(), false);
  auto cold = reopened.map->GetNewest({absent, first[1].first});
  ASSERT_OK(cold);
  EXPECT_EQ(*cold, (std::vector<std::optional<Hash>>{changed, first[1].second}));
  EXPECT_OK(reopened.map->CheckRootNode(5));
  EXPECT_OK(reopened.map->Check(5));
}

// The upper levels' cache keeps one node per position, the newest; version 0 is a
// version like any other, and a node of an older version at a position a newer one
// rewrote is still read as that older version's (not the newer's).
TEST(SparseMapTest, CachedPositionsAnswerEachVersionWithItsOwnNodes) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(5);
  MemoryMap model;
  std::vector<Hash> keys;
  std::vector<Hash> roots;
  for (std::uint64_t version = 0; version < 4; ++version) {
    Updates ups;
    for (int i = 0; i < 200; ++i) {
      const Hash k = keys.empty() || i % 2 == 0 ? RandomHash(rng) : keys[rng() % keys.size()];
      keys.push_back(k);
      ups.emplace_back(k, RandomHash(rng));
    }
    for (const auto& [k, v] : ups) model.Set(k, v);
    auto root = db.Commit(version, ups);
    ASSERT_OK(root);
    ASSERT_EQ(*root, model.Root());
    roots.push_back(*root);
    // Every version answers from the cache what it answers from disk.
    auto newest = db.map->GetNewest({keys.front(), keys.back()});
    ASSERT_OK(newest);
    EXPECT_EQ((*newest)[0], model.Get(keys.front()));
    EXPECT_EQ((*newest)[1], model.Get(keys.back()));
  }
  for (std::uint64_t version = 0; version < 4; ++version) {
    for (int i = 0; i < 40; ++i) {
      const Hash& k = keys[rng() % keys.size()];
      auto p = db.map->Prove(k, version);
      ASSERT_OK(p);
      auto g = db.map->Get(k, version);
      ASSERT_OK(g);
      EXPECT_OK(VerifyMapProof(roots[version], k, *g, *p)) << "version " << version;
    }
    EXPECT_OK(db.map->Check(version));
  }
  // Version 0's nodes, read after versions 1-3 rewrote their positions.
  auto p0 = db.map->Prove(keys[0], 0);
  ASSERT_OK(p0);
  EXPECT_OK(VerifyMapProof(roots[0], keys[0], *db.map->Get(keys[0], 0), *p0));
}

// Keys that share their first 24 bits put every internal node below the cached upper
// levels: the deeper nodes each version wrote are kept in memory too, and every version
// answers from memory what a fresh open (nothing cached) answers from disk.
TEST(SparseMapTest, DeepPositionsAnswerEachVersionFromMemoryAsFromDisk) {
  TempDir dir;
  Db db = Db::Open(dir.str(), true);
  std::mt19937_64 rng(11);
  auto deep_key = [&] {
    Hash k = RandomHash(rng);
    k[0] = 0x5a;
    k[1] = 0xc3;
    k[2] = 0x0f;
    return k;
  };
  MemoryMap model;
  std::vector<Hash> keys;
  std::vector<Hash> roots;
  std::vector<std::map<Hash, Hash>> states;
  for (std::uint64_t version = 1; version <= 5; ++version) {
    Updates ups;
    for (int i = 0; i < 150; ++i) {
      const Hash k = keys.empty() || i % 3 != 0 ? deep_key() : keys[rng() % keys.size()];
      keys.push_back(k);
      ups.emplace_back(k, RandomHash(rng));
    }
    for (const auto& [k, v] : ups) model.Set(k, v);
    auto root = db.Commit(version * 10, ups);
    ASSERT_OK(root);
    ASSERT_EQ(*root, model.Root());
    roots.push_back(*root);
    std::map<Hash, Hash> state;
    for (const Hash& k : keys) state[k] = *model.Get(k);
    states.push_back(std::move(state));
    auto newest = db.map->GetNewest({keys.front(), keys.back(), deep_key()});
    ASSERT_OK(newest);
    EXPECT_EQ((*newest)[0], model.Get(keys.front()));
    EXPECT_EQ((*newest)[1], model.Get(keys.back()));
    EXPECT_FALSE((*newest)[2].has_value());
  }
  auto answers = [&](SparseMap& m) {
    std::vector<std::string> out;
    for (std::uint64_t v = 0; v < roots.size(); ++v) {
      for (size_t i = 0; i < keys.size(); i += 7) {
        auto g = m.Get(keys[i], (v + 1) * 10);
        EXPECT_OK(g);
        auto p = m.Prove(keys[i], (v + 1) * 10);
        EXPECT_OK(p);
        if (!g.ok() || !p.ok()) return out;
        auto it = states[v].find(keys[i]);
        EXPECT_EQ(*g, it == states[v].end() ? std::nullopt : std::optional<Hash>(it->second));
        EXPECT_OK(VerifyMapProof(roots[v], keys[i], *g, *p)) << "version " << (v + 1) * 10;
        EXPECT_GT(p->siblings.size(), 24U);
        out.push_back(HexEncode(AsBytes(EncodeMapProof(*p))));
      }
    }
    return out;
  };
  const std::vector<std::string> from_memory = answers(*db.map);
  db.Close();
  Db reopened = Db::Open(dir.str(), false);
  EXPECT_EQ(answers(*reopened.map), from_memory);
  for (std::uint64_t v = 1; v <= 5; ++v) EXPECT_OK(reopened.map->Check(v * 10));
}

TEST(SparseMapTest, CheckNamesAnEditedNode) {
  TempDir dir;
  const std::string db_dir = dir.str();
  std::mt19937_64 rng(13);
  Hash root;
  {
    Db db = Db::Open(db_dir, true);
    Updates ups;
    for (int i = 0; i < 500; ++i) ups.emplace_back(RandomHash(rng), RandomHash(rng));
    ASSERT_OK(db.Commit(7, ups));
    Updates more;
    for (int i = 0; i < 20; ++i) more.emplace_back(RandomHash(rng), RandomHash(rng));
    root = *db.Commit(8, more);
    ASSERT_OK(db.map->Check(8));
  }
  // Groups of version 7 (many of their nodes shared by version 8): edit the root node (the
  // last node of the top group: positions counted from the value's end) or a node of a
  // deeper group, at several places of the value: a node's own hash, a child's hash, key
  // or version, a type, an entry's depth or bits.
  for (int which : {0, 1}) {
    const std::vector<size_t> positions = which == 0 ? std::vector<size_t>{1, 20, 41, 50, 100, 115}
                                                     : std::vector<size_t>{0, 1, 31, 72};
    for (size_t from : positions) {
      size_t pos = from;
      size_t seen = 0;
      std::string original;
      const std::string key = MutateStored(
          db_dir, "map",
          [&](std::string_view k) {
            // The group of version 7 at depths 0-7 (the root node) or the 40th group.
            if (k.size() < 10 || k[0] != 'g' || DecodeFixed64BE(k.substr(1, 8)) != 7u) {
              return false;
            }
            return which == 0 ? k[9] == 0 : seen++ == 40;
          },
          [&](std::string* v) {
            original = *v;
            if (which == 0) pos = from <= v->size() ? v->size() - from : v->size();
            if (pos < v->size()) (*v)[pos] = static_cast<char>((*v)[pos] ^ 0x01);
          });
      ASSERT_FALSE(key.empty());
      if (pos >= original.size()) continue;
      {
        Db db = Db::Open(db_dir, false);
        Status s = db.map->Check(7);
        ASSERT_EQ(s.code(), ErrorCode::kCorruption) << "pos " << pos << " " << s.ToString();
        EXPECT_NE(s.message().find(HexEncode(AsBytes(key))), std::string::npos)
            << "pos " << pos << ": " << s.ToString();
        // Version 8 shares the deep node unless its updates rewrote that path.
        Status later = db.map->Check(8);
        if (!later.ok()) {
          EXPECT_NE(later.message().find(HexEncode(AsBytes(key))), std::string::npos)
              << later.ToString();
        }
        if (which == 0 && from <= 114) {  // within the root node (its hash, two references)
          EXPECT_OK(later) << "version 8 has its own root node";
        }
      }
      ::ipledger::testing::OverwriteStored(db_dir, "map", key, original);
    }
  }
  Db db = Db::Open(db_dir, false);
  EXPECT_OK(db.map->Check(8));
  EXPECT_EQ(db.map->RootAtOrBefore(8)->second, root);
}

// A map an earlier release wrote stores each node under its own key ('n', type byte 0x02
// in references). It stays readable and checkable, and a new version written over it
// puts only its own nodes into groups, still pointing at the old ones it did not change.
TEST(SparseMapTest, NodesStoredOneByOneByAnEarlierReleaseStayReadable) {
  TempDir dir;
  const std::string db_dir = dir.str();
  std::mt19937_64 rng(17);
  Hash k[4];
  Hash v[4];
  for (int i = 0; i < 4; ++i) {
    k[i] = RandomHash(rng);
    k[i][0] = static_cast<std::uint8_t>((k[i][0] & 0x3f) | (i << 6));  // paths 00, 01, 10, 11
    v[i] = RandomHash(rng);
  }
  const Hash left = NodeHash(LeafHash(k[0], v[0]), LeafHash(k[1], v[1]));
  const Hash right = NodeHash(LeafHash(k[2], v[2]), LeafHash(k[3], v[3]));
  const Hash root = NodeHash(left, right);
  auto key = [](char tag, std::uint64_t version, int depth, int path_byte) {
    std::string out(1, tag);
    PutFixed64BE(&out, version);
    if (depth >= 0) out.push_back(static_cast<char>(depth));
    if (path_byte >= 0) out.push_back(static_cast<char>(path_byte));
    return out;
  };
  auto hash = [](const Hash& h) { return std::string(h.begin(), h.end()); };
  auto leaf = [&](int i) { return std::string(1, '\x01') + hash(k[i]) + hash(v[i]); };
  auto node_ref = [&](std::uint64_t version, const Hash& h) {
    std::string out(1, '\x02');
    PutFixed64BE(&out, version);
    return out + hash(h);
  };
  const std::string legacy_left = key('n', 5, 1, 0x00);
  {
    Db db = Db::Open(db_dir, true);
    WriteSet w;
    w.Put(Column::kMap, legacy_left, hash(left) + leaf(0) + leaf(1));
    w.Put(Column::kMap, key('n', 5, 1, 0x80), hash(right) + leaf(2) + leaf(3));
    w.Put(Column::kMap, key('n', 5, 0, -1), hash(root) + node_ref(5, left) + node_ref(5, right));
    w.Put(Column::kMap, key('r', 5, -1, -1), node_ref(5, root));
    ASSERT_OK(db.store->Write(w));
  }
  MemoryMap model;
  for (int i = 0; i < 4; ++i) model.Set(k[i], v[i]);
  ASSERT_EQ(model.Root(), root);
  Hash k4 = RandomHash(rng);
  k4[0] = static_cast<std::uint8_t>((k[0][0] ^ 0x20) & 0x3f);  // beside k[0], from bit 2
  std::vector<Hash> roots = {root};
  {
    Db db = Db::Open(db_dir, false);
    ASSERT_EQ(db.map->LatestVersion(), 5u);
    EXPECT_OK(db.map->Check(5));
    EXPECT_OK(db.map->CheckRootNode(5));
    // Version 6 rewrites the left half only; its root keeps the old right node.
    const Hash v0 = RandomHash(rng);
    const Hash v4 = RandomHash(rng);
    model.Set(k[0], v0);
    model.Set(k4, v4);
    auto r6 = db.Commit(6, {{k[0], v0}, {k4, v4}});
    ASSERT_OK(r6);
    EXPECT_EQ(*r6, model.Root());
    roots.push_back(*r6);
    EXPECT_EQ(NodesOfVersion(*db.store, 6), 3u);  // the root, the left node, one below it
    EXPECT_EQ(KeysOfVersion(*db.store, 6), 2u);   // one group and the root record
  }
  Db db = Db::Open(db_dir, false);
  for (std::uint64_t version : {5u, 6u}) {
    EXPECT_OK(db.map->Check(version));
    for (const Hash& q : {k[0], k[1], k[2], k[3], k4, RandomHash(rng)}) {
      auto g = db.map->Get(q, version);
      ASSERT_OK(g);
      auto p = db.map->Prove(q, version);
      ASSERT_OK(p);
      EXPECT_OK(VerifyMapProof(roots[version - 5], q, *g, *p));
    }
  }
  EXPECT_EQ(*db.map->Get(k[0], 6), model.Get(k[0]));
  EXPECT_EQ(*db.map->Get(k[2], 6), v[2]);
  db.Close();
  // An edited old node is named by its own key.
  const std::string edited = MutateStored(
      db_dir, "map", [&](std::string_view key_seen) { return key_seen == legacy_left; },
      [](std::string* value) { (*value)[40] ^= 1; });
  ASSERT_EQ(edited, legacy_left);
  Db reopened = Db::Open(db_dir, false);
  Status s = reopened.map->Check(5);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find(HexEncode(AsBytes(legacy_left))), std::string::npos) << s.ToString();
  EXPECT_OK(reopened.map->Check(6)) << "version 6 rewrote the left half";
}

TEST(SparseMapTest, OlderDatabasesGainTheMapColumn) {
  TempDir dir;
  const std::string db_dir = dir.str();
  {
    StoreOptions o;
    o.create = true;
    auto s = Store::Open(db_dir, o);
    ASSERT_OK(s);
    WriteSet w;
    w.Put(Column::kMeta, "k", "v");
    ASSERT_OK((*s)->Write(w));
  }
  // Drop `map`, as a database made before it existed.
  {
    rocksdb::DBOptions dbo;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(dbo, db_dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(dbo, db_dir, cfs, &hs, &raw).ok());
    for (auto* h : hs) {
      if (h->GetName() == "map") {
        ASSERT_TRUE(raw->DropColumnFamily(h).ok());
      }
    }
    for (auto* h : hs) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(raw->Close().ok());
    delete raw;
    names.clear();
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(dbo, db_dir, &names).ok());
    ASSERT_EQ(std::count(names.begin(), names.end(), "map"), 0);
  }
  // Read-only: the column reads as empty, the map as empty and unable to stage.
  {
    StoreOptions ro;
    ro.read_only = true;
    auto s = Store::Open(db_dir, ro);
    ASSERT_OK(s);
    EXPECT_EQ(*(*s)->Get(Column::kMeta, "k"), "v");
    EXPECT_EQ((*s)->raw_handle(Column::kMap), nullptr);
    EXPECT_EQ((*s)->Get(Column::kMap, "x").status().code(), ErrorCode::kNotFound);
    auto m = SparseMap::Open((*s)->raw_db(), nullptr);
    ASSERT_OK(m);
    EXPECT_EQ((*m)->LatestVersion(), std::nullopt);
    rocksdb::WriteBatch b;
    EXPECT_EQ((*m)->Stage(1, {}, &b).status().code(), ErrorCode::kFailedPrecondition);
    EXPECT_EQ((*m)->RootAtOrBefore(5).status().code(), ErrorCode::kNotFound);
  }
  // Writable: the column is created, empty.
  Db db = Db::Open(db_dir, false);
  EXPECT_NE(db.store->raw_handle(Column::kMap), nullptr);
  EXPECT_EQ(*db.store->Get(Column::kMeta, "k"), "v");
  EXPECT_EQ(db.map->LatestVersion(), std::nullopt);
  ASSERT_OK(db.Commit(1, {{MapKey("a"), MapKey("b")}}));
  EXPECT_EQ(*db.map->Get(MapKey("a"), 1), MapKey("b"));
}

}  // namespace
}  // namespace ipledger::map
