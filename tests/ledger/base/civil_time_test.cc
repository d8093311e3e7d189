#include "ledger/base/civil_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ipledger {
namespace {

Date D(int y, unsigned m, unsigned d) { return DateFromCivil(y, m, d); }

TEST(CivilTimeTest, EpochIsDayZero) {
  EXPECT_EQ(D(1970, 1, 1).days, 0);
  EXPECT_EQ(D(1970, 1, 2).days, 1);
  EXPECT_EQ(D(1969, 12, 31).days, -1);
  EXPECT_EQ(D(2000, 3, 1).days, 11017);
}

TEST(CivilTimeTest, ParseAndFormatRoundTrip) {
  for (const char* s : {"1970-01-01", "2024-02-29", "2026-11-26", "0001-01-01", "9999-12-31",
                        "1969-12-31", "2000-02-29", "2100-02-28"}) {
    std::optional<Date> d = ParseDate(s);
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(FormatDate(*d), s);
  }
  EXPECT_EQ(ParseDate("2026-11-26"), D(2026, 11, 26));
}

TEST(CivilTimeTest, CivilFromDateInvertsDateFromCivil) {
  // Every day over a span that crosses century and leap-year boundaries.
  for (std::int32_t n = D(1899, 1, 1).days; n <= D(2101, 12, 31).days; ++n) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    CivilFromDate(Date{n}, &y, &m, &d);
    ASSERT_EQ(DateFromCivil(y, m, d).days, n);
    ASSERT_EQ(ParseDate(FormatDate(Date{n})), Date{n});
  }
}

TEST(CivilTimeTest, ParseRefusesInvalidDates) {
  for (const char* s :
       {"2025-02-29",  "1900-02-29", "2024-02-30", "2024-04-31",           "2024-13-01",
        "2024-00-10",  "2024-01-00", "2024-01-32", "0000-01-01",           "2024-1-01",
        "2024-01-1",   "24-01-01",   "2024/01/01", "2024-01-01T00:00:00Z", " 2024-01-01",
        "2024-01-01 ", "",           "2024-01-0a", "+024-01-01",           "2024-0-101",
        "20240101"}) {
    EXPECT_FALSE(ParseDate(s).has_value()) << s;
  }
}

TEST(CivilTimeTest, AddYearsKeepsDayAndClampsLeapDay) {
  EXPECT_EQ(AddYears(D(2024, 2, 29), 1), D(2025, 2, 28));
  EXPECT_EQ(AddYears(D(2024, 2, 29), 4), D(2028, 2, 29));
  EXPECT_EQ(AddYears(D(2024, 2, 29), -1), D(2023, 2, 28));
  EXPECT_EQ(AddYears(D(2000, 2, 29), 100), D(2100, 2, 28));
  EXPECT_EQ(AddYears(D(2014, 7, 28), 20), D(2034, 7, 28));
  EXPECT_EQ(AddYears(D(2026, 3, 1), 1), D(2027, 3, 1));
  EXPECT_EQ(AddYears(D(2026, 12, 31), 0), D(2026, 12, 31));
}

TEST(CivilTimeTest, AddDaysCrossesMonthAndYear) {
  EXPECT_EQ(AddDays(D(2024, 2, 28), 1), D(2024, 2, 29));
  EXPECT_EQ(AddDays(D(2025, 2, 28), 1), D(2025, 3, 1));
  EXPECT_EQ(AddDays(D(2026, 12, 31), 1), D(2027, 1, 1));
  EXPECT_EQ(AddDays(D(2027, 1, 1), -1), D(2026, 12, 31));
}

// 2026-11-25T16:00:00.000Z is midnight of 2026-11-26 in Asia/Shanghai (UTC+8).
constexpr std::int64_t kShanghaiMidnight = 1795622400000;
// 1970-01-01T00:00:00.000 in Asia/Shanghai, as an instant.
constexpr std::int64_t kEpochDayStart = -8 * std::int64_t{3'600'000};

TEST(CivilTimeTest, DateOfInstantUsesShanghaiDate) {
  EXPECT_EQ(DateOfInstant(kShanghaiMidnight - 1), D(2026, 11, 25));
  EXPECT_EQ(DateOfInstant(kShanghaiMidnight), D(2026, 11, 26));
  EXPECT_EQ(DateOfInstant(kShanghaiMidnight + 86'400'000 - 1), D(2026, 11, 26));
  // Epoch: 1970-01-01T00:00Z is 08:00 in Shanghai; before 16:00Z of the previous day
  // it is still 1969-12-31 there (instants before the epoch round down, not to zero).
  EXPECT_EQ(DateOfInstant(0), D(1970, 1, 1));
  EXPECT_EQ(DateOfInstant(kEpochDayStart), D(1970, 1, 1));
  EXPECT_EQ(DateOfInstant(kEpochDayStart - 1), D(1969, 12, 31));
}

TEST(CivilTimeTest, EndOfDateInstantIsLastMillisecondInShanghai) {
  const Date d = D(2026, 11, 25);
  EXPECT_EQ(EndOfDateInstant(d), kShanghaiMidnight - 1);
  EXPECT_EQ(DateOfInstant(EndOfDateInstant(d)), d);
  EXPECT_EQ(DateOfInstant(EndOfDateInstant(d) + 1), AddDays(d, 1));
  EXPECT_EQ(EndOfDateInstant(D(1969, 12, 31)), kEpochDayStart - 1);
}

}  // namespace
}  // namespace ipledger
