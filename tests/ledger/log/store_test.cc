#include "ledger/log/store.h"

#include <rocksdb/env.h>

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
