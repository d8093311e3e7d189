// ClockFile (tools/clock_file.h), the demo and test clock of `--clock-file FILE`: the
// file can hold the clock back and never push it ahead; without a readable instant in
// it the system clock is used; it is re-read at most once per refresh interval.
#include "tools/clock_file.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "ledger/log/entry.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

constexpr std::int64_t kSystemMs = 1764144000123;  // 2025-11-26T08:00:00.123Z

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// A clock over `path` whose system clock reads kSystemMs, re-reading on every call.
ClockFileOptions FixedSystem(std::chrono::milliseconds refresh = std::chrono::milliseconds(0)) {
  ClockFileOptions o;
  o.system_ms = [] { return kSystemMs; };
  o.refresh = refresh;
  return o;
}

TEST(ClockTextTest, AcceptsRfc3339UtcWithOrWithoutFractionAndMilliseconds) {
  EXPECT_EQ(ParseClockText("2025-11-26T08:00:00Z"), 1764144000000);
  EXPECT_EQ(ParseClockText("2025-11-26T08:00:00.123Z\n"), 1764144000123);
  EXPECT_EQ(ParseClockText("  2025-11-26T08:00:00.5Z "), 1764144000500);
  EXPECT_EQ(ParseClockText("2025-11-26T08:00:00.123456789Z"), 1764144000123);
  EXPECT_EQ(ParseClockText("1764144000123\n"), 1764144000123);
  EXPECT_EQ(ParseClockText("0"), 0);
}

TEST(ClockTextTest, RefusesWhatIsNotOneUtcInstant) {
  for (const char* bad :
       {"", " \n", "2025-11-26", "2025-11-26T08:00:00", "2025-11-26T08:00:00+08:00",
        "2025-11-26 08:00:00Z", "2025-11-26T08:00:00.Z", "2025-11-26T08:00:00.1234567890Z",
        "2025-02-30T08:00:00Z", "2025-11-26T24:00:00Z", "-5", "12 34", "1e12", "1234567890123456",
        "tomorrow"}) {
    EXPECT_EQ(ParseClockText(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ClockFileTest, HoldsTheClockBackToTheTimeTheFileHolds) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/clock";
  WriteFile(path, "2025-11-11T08:00:00Z\n");
  ClockFile clock(path, FixedSystem());
  EXPECT_EQ(clock.Now(), 1764144000000 - 15LL * 86400000);
  WriteFile(path, "2025-11-22T08:00:00.000Z");
  EXPECT_EQ(clock.Now(), 1764144000000 - 4LL * 86400000);
}

TEST(ClockFileTest, NeverPushesTheClockPastTheSystemClock) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/clock";
  WriteFile(path, "2026-11-26T08:00:00Z");  // a year ahead
  ClockFile clock(path, FixedSystem());
  EXPECT_EQ(clock.Now(), kSystemMs);
  WriteFile(path, std::to_string(kSystemMs + 1));
  EXPECT_EQ(clock.Now(), kSystemMs);
  // The neighbour: one millisecond back is held.
  WriteFile(path, std::to_string(kSystemMs - 1));
  EXPECT_EQ(clock.Now(), kSystemMs - 1);
}

TEST(ClockFileTest, AbsentOrUnreadableFileMeansTheSystemClock) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/clock";
  std::vector<std::pair<bool, std::string>> changes;
  ClockFileOptions o = FixedSystem();
  o.on_change = [&changes](std::optional<std::int64_t> held, const std::string& why) {
    changes.emplace_back(held.has_value(), why);
  };
  ClockFile clock(path, std::move(o));
  EXPECT_EQ(clock.Now(), kSystemMs);  // absent
  WriteFile(path, "next tuesday");
  EXPECT_EQ(clock.Now(), kSystemMs);  // not an instant
  WriteFile(path, "2025-11-01T00:00:00Z");
  EXPECT_EQ(clock.Now(), 1761955200000);
  EXPECT_EQ(clock.Now(), 1761955200000);  // unchanged: no second report
  std::filesystem::remove(path);
  EXPECT_EQ(clock.Now(), kSystemMs);  // removed: the real clock again
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0], std::make_pair(false, path + " is absent"));
  EXPECT_EQ(
      changes[1],
      std::make_pair(false, path + " does not hold an RFC 3339 UTC time or integer milliseconds"));
  EXPECT_EQ(changes[2], std::make_pair(true, path + " holds 2025-11-01T00:00:00.000Z"));
  EXPECT_EQ(changes[3], std::make_pair(false, path + " is absent"));
}

TEST(ClockFileTest, ReadsTheFileAtMostOncePerRefreshInterval) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/clock";
  WriteFile(path, "2025-11-01T00:00:00Z");
  ClockFile slow(path, FixedSystem(std::chrono::hours(1)));
  ClockFile fast(path, FixedSystem(std::chrono::milliseconds(0)));
  EXPECT_EQ(slow.Now(), 1761955200000);
  EXPECT_EQ(fast.Now(), 1761955200000);
  WriteFile(path, "2025-11-02T00:00:00Z");
  EXPECT_EQ(slow.Now(), 1761955200000);  // cached for the hour
  EXPECT_EQ(fast.Now(), 1761955200000 + 86400000);
}

TEST(ClockFileTest, UsesTheRealSystemClockByDefault) {
  testing::TempDir dir;
  ClockFile clock(dir.str() + "/absent");
  const std::int64_t before = SystemClockMillis();
  const std::int64_t now = clock.Now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, SystemClockMillis());
}

}  // namespace
}  // namespace ipledger
