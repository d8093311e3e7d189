// The cosigner's "quorum missed" log lines are rate-limited (api/client/cosigner.h):
// QuorumLogThrottle's decisions, and a real Cosigner over a real ledger whose witness is
// down logs the change once and then a reminder per period, not a line per round.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/client/cosigner.h"
#include "crypto/note.h"
#include "ledger/log/ledger.h"
#include "ledger/log/witness_policy.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

using testing::TestWitnessVkey;

using Line = QuorumLogThrottle::Line;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(QuorumLogThrottleTest, LogsChangesAndAtMostOneReminderPerPeriod) {
  QuorumLogThrottle t(minutes(5));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(t.Next(true, t0), Line::kMet);
  EXPECT_EQ(t.Next(false, t0 + seconds(1)), Line::kMissed);  // met -> missed
  for (int i = 2; i < 300; ++i) EXPECT_EQ(t.Next(false, t0 + seconds(i)), Line::kNone) << i;
  EXPECT_EQ(t.suppressed(), 298u);
  EXPECT_EQ(t.Next(false, t0 + seconds(301)), Line::kStillMissed);  // 5 minutes on
  EXPECT_EQ(t.Next(false, t0 + seconds(302)), Line::kNone);
  EXPECT_EQ(t.suppressed(), 1u);
  EXPECT_EQ(t.Next(true, t0 + seconds(303)), Line::kRestored);  // missed -> met
  EXPECT_EQ(t.Next(true, t0 + seconds(304)), Line::kMet);
  // Missing again is a change again: logged at once, whatever the last reminder.
  EXPECT_EQ(t.Next(false, t0 + seconds(305)), Line::kMissed);
  // Another reason (other witnesses failing, or failing otherwise) is a change too.
  EXPECT_EQ(t.Next(false, t0 + seconds(306), "{bank: timeout}"), Line::kMissed);
  EXPECT_EQ(t.Next(false, t0 + seconds(307), "{bank: timeout}"), Line::kNone);
  EXPECT_EQ(t.Next(false, t0 + seconds(308), "{bank: HTTP : another root}"), Line::kMissed);
  // A first round that misses is a change too.
  QuorumLogThrottle fresh(minutes(5));
  EXPECT_EQ(fresh.Next(false, t0), Line::kMissed);
  EXPECT_EQ(fresh.Next(false, t0), Line::kNone);
}

// A real Cosigner over a real ledger whose only witness never answers (a closed port):
// rounds go on every interval as the log grows, but the log gets one line, then reminders.
TEST(CosignerTest, QuorumMissedLinesAreRateLimited) {
  testing::TempDir dir;
  const std::string db = dir.str() + "/db";
  ASSERT_OK(Ledger::Create(db, "cosigner.test/log", testing::TestKey(1), {}));
  auto ledger = Ledger::Open(db, testing::TestKey(1), {});
  ASSERT_OK(ledger);
  // Port 1 on loopback: connection refused at once.
  auto policy = ParseWitnessPolicy("witness w " + TestWitnessVkey("witness.down.example", 5) +
                                   " http://127.0.0.1:1\nquorum w\n");
  ASSERT_OK(policy);
  std::mutex mu;
  std::vector<std::string> lines;
  CosignerOptions options;
  options.interval = std::chrono::milliseconds(10);
  options.timeout = std::chrono::milliseconds(200);
  options.missed_reminder = std::chrono::milliseconds(600);
  options.log = [&](const std::string& l) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(l);
  };
  auto missed = [&] {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const std::string& l : lines) n += l.find("cosign-quorum-missed") != std::string::npos;
    return n;
  };
  Cosigner cosigner(**ledger, *policy, options);
  const auto start = std::chrono::steady_clock::now();
  int appended = 0;
  // Grow the log for a while so that every interval has a round to do.
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(400)) {
    EntryInput in;
    in.type = "asset.register";
    in.envelope = "{\"n\":" + std::to_string(appended++) + "}";
    ASSERT_OK((*ledger)->Append({&in, 1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  const CosignerStats stats = cosigner.stats();
  EXPECT_GE(stats.rounds, 5u);
  EXPECT_GE(stats.quorum_missed + 1, stats.rounds);  // a round may be in flight
  EXPECT_EQ(missed(), 1) << "one line for the change, none of the other rounds";
  // Past the reminder period, one reminder, saying how many rounds it did not log.
  while (missed() < 2 && std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    EntryInput in;
    in.type = "asset.register";
    in.envelope = "{\"n\":" + std::to_string(appended++) + "}";
    ASSERT_OK((*ledger)->Append({&in, 1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
  cosigner.Stop();
  EXPECT_EQ(missed(), 2);
  std::lock_guard<std::mutex> lock(mu);
  bool reminder = false;
  for (const std::string& l : lines) {
    reminder = reminder || l.find("\"reminder\":true,\"rounds_not_logged\":") != std::string::npos;
  }
  EXPECT_TRUE(reminder);
}

}  // namespace
}  // namespace ipledger::api
