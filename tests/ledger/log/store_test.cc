#include "ledger/log/store.h"

#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/testing/fault_fs.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using testing::TempDir;

TEST(StoreTest, WriteIsAtomicAcrossColumnsAndSurvivesReopen) {
  TempDir dir;
  StoreOptions create;
  create.create = true;
  {
    auto store = Store::Open(dir.str(), create);
    ASSERT_OK(store);
    WriteSet w;
    w.Put(Column::kLeaves, "a", "leaf");
    w.Put(Column::kMeta, "a", "meta");
    EXPECT_EQ(w.ByteSize(), 10u);
    ASSERT_OK((*store)->Write(w));
  }
  auto store = Store::Open(dir.str(), {});
  ASSERT_OK(store);
  EXPECT_EQ(*(*store)->Get(Column::kLeaves, "a"), "leaf");
  EXPECT_EQ(*(*store)->Get(Column::kMeta, "a"), "meta");
  EXPECT_EQ((*store)->Get(Column::kTree, "a").status().code(), ErrorCode::kNotFound);
}

// Raw operations (the status map's nodes) go first, the set's own after them, whether
// the write has one raw batch (used as the start of the write) or several (replayed).
TEST(StoreTest, RawBatchesApplyBeforeTheSetsOwnOperations) {
  TempDir dir;
  StoreOptions create;
  create.create = true;
  auto store = Store::Open(dir.str(), create);
  ASSERT_OK(store);
  rocksdb::ColumnFamilyHandle* map = (*store)->raw_handle(Column::kMap);
  ASSERT_NE(map, nullptr);
  {
    WriteSet extra;  // one raw batch, merged as the ledger merges the registry's writes
    ASSERT_TRUE(extra.raw_batch()->Put(map, "k", "raw").ok());
    ASSERT_TRUE(extra.raw_batch()->Put(map, "only-raw", "1").ok());
    WriteSet w;
    w.Put(Column::kMap, "k", "own");
    w.Put(Column::kMeta, "m", "1");
    w.Merge(extra);
    ASSERT_OK((*store)->Write(w));
  }
  EXPECT_EQ(*(*store)->Get(Column::kMap, "k"), "own");
  EXPECT_EQ(*(*store)->Get(Column::kMap, "only-raw"), "1");
  EXPECT_EQ(*(*store)->Get(Column::kMeta, "m"), "1");
  {
    WriteSet a, b;  // two raw batches: the later one wins, the set's own op last
    ASSERT_TRUE(a.raw_batch()->Put(map, "x", "a").ok());
    ASSERT_TRUE(b.raw_batch()->Put(map, "x", "b").ok());
    ASSERT_TRUE(b.raw_batch()->Put(map, "y", "b").ok());
    WriteSet w;
    w.Merge(a);
    w.Merge(b);
    w.Put(Column::kMap, "y", "own");
    ASSERT_OK((*store)->Write(w));
  }
  EXPECT_EQ(*(*store)->Get(Column::kMap, "x"), "b");
  EXPECT_EQ(*(*store)->Get(Column::kMap, "y"), "own");
}

TEST(StoreTest, MultiGetNamesTheMissingKeyAndScanIsOrderedAndBounded) {
  std::unique_ptr<rocksdb::Env> mem(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  StoreOptions o;
  o.create = true;
  o.env = mem.get();
  auto store = Store::Open("/mem/s", o);
  ASSERT_OK(store);
  WriteSet w;
  for (char c : std::string("dbca")) w.Put(Column::kTree, std::string(1, c), std::string(2, c));
  w.Delete(Column::kTree, "d");
  ASSERT_OK((*store)->Write(w));
  std::vector<std::string> values;
  std::vector<std::string> keys = {"c", "a"};
  ASSERT_OK((*store)->MultiGet(Column::kTree, keys, &values));
  EXPECT_EQ(values, (std::vector<std::string>{"cc", "aa"}));
  keys = {"a", "z"};
  Status s = (*store)->MultiGet(Column::kTree, keys, &values);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("7a"), std::string::npos) << s.message();  // hex of "z"
  std::string seen;
  ASSERT_OK((*store)->Scan(Column::kTree, "b", "d", [&](std::string_view k, std::string_view) {
    seen += k;
    return true;
  }));
  EXPECT_EQ(seen, "bc");
}

// Replay's scratch registry keeps `state` and `index` in memory: the same reads as
// RocksDB (ordered, bounded, across slices of a long scan), nothing of them on disk.
TEST(StoreTest, MemoryColumnsReadLikeRocksDbAndLeaveNothingOnDisk) {
  TempDir dir;
  StoreOptions o;
  o.create = true;
  o.sync = false;
  o.memory_columns = ColumnBit(Column::kState) | ColumnBit(Column::kIndex);
  {
    auto store = Store::Open(dir.str(), o);
    ASSERT_OK(store);
    WriteSet w;
    for (int i = 999; i >= 0; --i) {
      char key[8];
      std::snprintf(key, sizeof(key), "k%04d", i);
      w.Put(Column::kState, key, std::to_string(i));
    }
    w.Put(Column::kState, std::string("\xff\x00", 2), "high");  // bytewise order
    w.Put(Column::kIndex, "x", "1");
    w.Put(Column::kLeaves, "leaf", "on disk");
    w.Delete(Column::kState, "k0500");
    ASSERT_OK((*store)->Write(w));
    EXPECT_EQ(*(*store)->Get(Column::kState, "k0042"), "42");
    EXPECT_EQ((*store)->Get(Column::kState, "k0500").status().code(), ErrorCode::kNotFound);
    std::vector<std::string> values;
    std::vector<std::string> keys = {"k0002", "k0001"};
    ASSERT_OK((*store)->MultiGet(Column::kState, keys, &values));
    EXPECT_EQ(values, (std::vector<std::string>{"2", "1"}));
    keys = {"k0500"};
    EXPECT_EQ((*store)->MultiGet(Column::kState, keys, &values).code(), ErrorCode::kNotFound);
    int n = 0;
    std::string last;
    ASSERT_OK(
        (*store)->Scan(Column::kState, "k0001", "k0900", [&](std::string_view k, std::string_view) {
          EXPECT_LT(last, std::string(k));
          last = std::string(k);
          ++n;
          return true;
        }));
    EXPECT_EQ(n, 898);  // 1..899 without 500
    EXPECT_EQ(last, "k0899");
    n = 0;
    ASSERT_OK((*store)->Scan(Column::kState, "", "",
                             [&](std::string_view, std::string_view) { return ++n < 300; }));
    EXPECT_EQ(n, 300);  // stops when told, past the first slice
    auto found = (*store)->LastInRange(Column::kState, "k0400", "k0500");
    ASSERT_OK(found);
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->first, "k0499");
    found = (*store)->LastInRange(Column::kState, "k1000", "k9999");
    ASSERT_OK(found);
    EXPECT_FALSE(found->has_value());
    found = (*store)->LastInRange(Column::kState, "k", std::string("\xff\xff", 2));
    ASSERT_OK(found);
    EXPECT_EQ((*found)->second, "high");
  }
  auto store = Store::Open(dir.str(), {});
  ASSERT_OK(store);
  EXPECT_EQ(*(*store)->Get(Column::kLeaves, "leaf"), "on disk");
  EXPECT_EQ((*store)->Get(Column::kState, "k0042").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*store)->Get(Column::kIndex, "x").status().code(), ErrorCode::kNotFound);
}

TEST(StoreTest, OpeningTwiceForWritingIsUnavailable) {
  TempDir dir;
  StoreOptions create;
  create.create = true;
  auto first = Store::Open(dir.str(), create);
  ASSERT_OK(first);
  EXPECT_EQ(Store::Open(dir.str(), {}).status().code(), ErrorCode::kUnavailable);
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(dir.str(), ro);
  ASSERT_OK(reader);
  WriteSet w;
  w.Put(Column::kMeta, "k", "v");
  EXPECT_EQ((*reader)->Write(w).code(), ErrorCode::kFailedPrecondition);
}

// A read-only store is a secondary instance that catches up once, at Open: the
// writer's later batches stay invisible to it, so everything it reads is one state.
// Its private directory under $TMPDIR is gone once it closes.
TEST(StoreTest, ReadOnlyStoreSeesTheStateAsOfItsOpeningWhileTheWriterGoesOn) {
  TempDir dir;
  TempDir tmp;
  ASSERT_EQ(setenv("TMPDIR", tmp.str().c_str(), 1), 0);
  StoreOptions create;
  create.create = true;
  auto writer = Store::Open(dir.str() + "/db", create);
  ASSERT_OK(writer);
  WriteSet first;
  first.Put(Column::kMeta, "size", "1");
  first.Put(Column::kLeaves, "0", "a");
  ASSERT_OK((*writer)->Write(first));
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(dir.str() + "/db", ro);
  ASSERT_OK(reader);
  EXPECT_FALSE(std::filesystem::is_empty(tmp.path()));
  WriteSet second;
  second.Put(Column::kMeta, "size", "2");
  second.Put(Column::kLeaves, "1", "b");
  ASSERT_OK((*writer)->Write(second));
  EXPECT_EQ(*(*reader)->Get(Column::kMeta, "size"), "1");
  EXPECT_EQ((*reader)->Get(Column::kLeaves, "1").status().code(), ErrorCode::kNotFound);
  int leaves = 0;
  ASSERT_OK((*reader)->Scan(Column::kLeaves, "", "", [&](std::string_view, std::string_view) {
    ++leaves;
    return true;
  }));
  EXPECT_EQ(leaves, 1);
  auto later = Store::Open(dir.str() + "/db", ro);
  ASSERT_OK(later);
  EXPECT_EQ(*(*later)->Get(Column::kMeta, "size"), "2");
  reader->reset();
  later->reset();
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  EXPECT_EQ(Store::Open(dir.str() + "/none", ro).status().code(), ErrorCode::kNotFound);
  ASSERT_EQ(unsetenv("TMPDIR"), 0);
}

// CopyTo writes exactly the state the source sees into a new database, also from a
// read-only store while the writer goes on, and refuses a directory holding one.
TEST(StoreTest, CopyOfAReadOnlyStoreHoldsItsStateAndNothingLater) {
  TempDir dir;
  StoreOptions create;
  create.create = true;
  auto writer = Store::Open(dir.str() + "/db", create);
  ASSERT_OK(writer);
  WriteSet w;
  for (int i = 0; i < 1000; ++i) {
    w.Put(static_cast<Column>(i % kColumnCount), "k" + std::to_string(i), std::string(3000, 'v'));
  }
  ASSERT_OK((*writer)->Write(w));
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(dir.str() + "/db", ro);
  ASSERT_OK(reader);
  WriteSet after;
  after.Put(Column::kMeta, "later", "x");
  ASSERT_OK((*writer)->Write(after));
  ASSERT_OK((*reader)->CopyTo(dir.str() + "/copy"));
  EXPECT_EQ((*reader)->CopyTo(dir.str() + "/copy").code(), ErrorCode::kAlreadyExists);
  reader->reset();
  auto copy = Store::Open(dir.str() + "/copy", {});
  ASSERT_OK(copy);
  for (int c = 0; c < kColumnCount; ++c) {
    std::string source_keys;
    std::string copy_keys;
    auto collect = [](std::string* out) {
      return [out](std::string_view k, std::string_view v) {
        *out += std::string(k) + "=" + std::to_string(v.size()) + ";";
        return true;
      };
    };
    const auto column = static_cast<Column>(c);
    ASSERT_OK((*copy)->Scan(column, "", "", collect(&copy_keys)));
    ASSERT_OK((*writer)->Scan(column, "", "", collect(&source_keys)));
    if (column == Column::kMeta) source_keys.erase(source_keys.find("later=1;"), 8);
    EXPECT_EQ(copy_keys, source_keys) << ColumnName(column);
  }
}

TEST(StoreTest, FailedSyncIsUnavailableWithUnknownOutcome) {
  TempDir dir;
  testing::FaultFileSystem faults;
  StoreOptions o;
  o.create = true;
  o.env = faults.env();
  auto store = Store::Open(dir.str(), o);
  ASSERT_OK(store);
  faults.Fail(testing::FaultFileSystem::kSync);
  WriteSet w;
  w.Put(Column::kMeta, "k", "v");
  Status s = (*store)->Write(w);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("outcome unknown"), std::string::npos);
}

}  // namespace
}  // namespace ipledger
