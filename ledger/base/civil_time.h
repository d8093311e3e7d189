// Civil dates (YYYY-MM-DD, Asia/Shanghai calendar) and their arithmetic.
//
// A Date is a day number (days since 1970-01-01); business dates in statements (debt
// terms, policy periods, valuation dates) are Dates. Integrated times are instants in
// milliseconds since the epoch (UTC); DateOfInstant gives their Asia/Shanghai date
// (UTC+8, no daylight saving). Value types and pure functions; thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipledger {

struct Date {
  std::int32_t days = 0;  // days since 1970-01-01
  friend auto operator<=>(const Date&, const Date&) = default;
};

// Parses exactly "YYYY-MM-DD" (years 0001..9999, a real calendar day).
std::optional<Date> ParseDate(std::string_view s);
// "YYYY-MM-DD".
std::string FormatDate(Date d);

Date DateFromCivil(int year, unsigned month, unsigned day);
void CivilFromDate(Date d, int* year, unsigned* month, unsigned* day);

// The same day and month `years` later; 29 February becomes 28 February in a common year.
Date AddYears(Date d, int years);
Date AddDays(Date d, std::int32_t days);

// The Asia/Shanghai (UTC+8) calendar date of an instant.
Date DateOfInstant(std::int64_t ms);
// The last millisecond of `d` in Asia/Shanghai, as an instant.
std::int64_t EndOfDateInstant(Date d);

}  // namespace ipledger
