#include "ledger/base/status.h"

#include <memory>

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::Corruption("leaf 5: hash differs");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_EQ(s.message(), "leaf 5: hash differs");
  EXPECT_EQ(s.ToString(), "Corruption: leaf 5: hash differs");
  EXPECT_EQ(Status::Unavailable("x").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(Status::AlreadyExists("x").code(), ErrorCode::kAlreadyExists);
}

TEST(StatusOrTest, HoldsValueOrError) {
  StatusOr<std::unique_ptr<int>> v(std::make_unique<int>(7));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, 7);
  std::unique_ptr<int> moved = std::move(v).value();
  EXPECT_EQ(*moved, 7);
  StatusOr<int> e(Status::NotFound("no entry 9"));
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), ErrorCode::kNotFound);
  StatusOr<int> uninitialized;
  EXPECT_FALSE(uninitialized.ok());
}

}  // namespace
}  // namespace ipledger
