#include "ledger/base/civil_time.h"

#include <cstdio>

namespace ipledger {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kShanghaiOffsetMs = 8 * 3'600'000;

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

Date DateFromCivil(int year, unsigned month, unsigned day) {
  // H. Hinnant's days_from_civil.
  std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return Date{static_cast<std::int32_t>(era * 146097 + static_cast<std::int64_t>(doe) - 719468)};
}

void CivilFromDate(Date d, int* year, unsigned* month, unsigned* day) {
  std::int64_t z = static_cast<std::int64_t>(d.days) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0));
}

std::optional<Date> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lens[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = starts[p]; i < starts[p] + lens[p]; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (s[i] - '0');
    }
  }
  const int y = parts[0];
  const auto m = static_cast<unsigned>(parts[1]);
  const auto d = static_cast<unsigned>(parts[2]);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return DateFromCivil(y, m, d);
}

std::string FormatDate(Date d) {
  int y = 0;
  unsigned m = 0;
  unsigned day = 0;
  CivilFromDate(d, &y, &m, &day);
  char buf[40];  // room for any int/unsigned, so no truncation is possible
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", y, m, day);
  return buf;
}

Date AddYears(Date d, int years) {
  int y = 0;
  unsigned m = 0;
  unsigned day = 0;
  CivilFromDate(d, &y, &m, &day);
  y += years;
  if (m == 2 && day == 29 && !IsLeap(y)) day = 28;
  return DateFromCivil(y, m, day);
}

Date AddDays(Date d, std::int32_t days) { return Date{d.days + days}; }

Date DateOfInstant(std::int64_t ms) {
  return Date{static_cast<std::int32_t>(FloorDiv(ms + kShanghaiOffsetMs, kMsPerDay))};
}

std::int64_t EndOfDateInstant(Date d) {
  return (static_cast<std::int64_t>(d.days) + 1) * kMsPerDay - kShanghaiOffsetMs - 1;
}

}  // namespace ipledger
