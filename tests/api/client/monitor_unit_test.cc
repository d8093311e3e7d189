// The monitor engine's pieces that need no server (api/client/monitor.h): the compact
// range equals RFC 6962's root at every size, and the state directory refuses a state
// it cannot trust (another log's, a damaged one, one held by another monitor).
#include <bit>
#include <fstream>
#include <string>
#include <vector>

#include "api/client/monitor.h"
#include "crypto/bytes.h"
#include "ledger/log/merkle.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

TEST(CompactRangeTest, EqualsTheReferenceRootAtEverySize) {
  std::vector<Digest> leaves;
  std::vector<Digest> range;
  EXPECT_EQ(CompactRangeRoot(range), EmptyTreeRoot());
  for (std::uint64_t n = 0; n < 600; ++n) {
    const Digest h = LeafHash(AsBytes("leaf " + std::to_string(n)));
    CompactRangeAppend(&range, n, h);
    leaves.push_back(h);
    ASSERT_EQ(CompactRangeRoot(range), ReferenceRoot(leaves)) << "size " << n + 1;
    ASSERT_EQ(range.size(), static_cast<size_t>(std::popcount(n + 1))) << "size " << n + 1;
  }
}

TEST(MonitorStateTest, RefusesADamagedOrForeignStateAndASecondMonitor) {
  testing::TempDir tmp;
  const NoteVerifier key =
      MakeNoteVerifier("test.example/ipledger", testing::TestKey(1).public_key());
  const std::string dir = tmp.str() + "/state";
  {
    auto m = Monitor::Open(dir, key);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ((*m)->checkpoint().size, 0u);
    EXPECT_EQ((*m)->checkpoint().root, EmptyTreeRoot());
    auto second = Monitor::Open(dir, key);
    EXPECT_EQ(second.status().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(second.status().message().find("another monitor holds"), std::string::npos);
  }
  // A state file that is not one.
  { std::ofstream(dir + "/state") << "ipledger monitor state 1\nsize 1\n"; }
  auto damaged = Monitor::Open(dir, key);
  EXPECT_EQ(damaged.status().code(), ErrorCode::kCorruption) << damaged.status().ToString();
  // A well-formed state whose checkpoint another key signed.
  Checkpoint cp{"test.example/ipledger", 1, LeafHash(AsBytes("x"))};
  const std::string note = SignCheckpoint(cp, testing::TestKey(2));
  {
    std::ofstream(dir + "/state") << "ipledger monitor state 1\nsize 1\nroot "
                                  << Base64Encode(cp.root) << "\nleaves_bytes 0\nrange "
                                  << Base64Encode(cp.root) << "\ntail " << Base64Encode(cp.root)
                                  << "\ncheckpoint\n"
                                  << note;
  }
  auto foreign = Monitor::Open(dir, key);
  EXPECT_EQ(foreign.status().code(), ErrorCode::kFailedPrecondition) << foreign.status().ToString();
  // The same state signed by the right key opens, unless the compact range is wrong.
  const std::string good = SignCheckpoint(cp, testing::TestKey(1));
  {
    std::ofstream(dir + "/state") << "ipledger monitor state 1\nsize 1\nroot "
                                  << Base64Encode(cp.root) << "\nleaves_bytes 0\nrange "
                                  << Base64Encode(cp.root) << "\ntail " << Base64Encode(cp.root)
                                  << "\ncheckpoint\n"
                                  << good;
  }
  auto opened = Monitor::Open(dir, key);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->checkpoint(), cp);
  EXPECT_EQ((*opened)->checkpoint_note(), good);
  opened->reset();
  {
    std::ofstream(dir + "/state") << "ipledger monitor state 1\nsize 1\nroot "
                                  << Base64Encode(cp.root) << "\nleaves_bytes 0\nrange "
                                  << Base64Encode(EmptyTreeRoot()) << "\ntail "
                                  << Base64Encode(cp.root) << "\ncheckpoint\n"
                                  << good;
  }
  auto bad_range = Monitor::Open(dir, key);
  EXPECT_EQ(bad_range.status().code(), ErrorCode::kCorruption) << bad_range.status().ToString();
}

}  // namespace
}  // namespace ipledger::api
