// The derived state of a pledge on a date (domain.md §8.3): what a reader should be told
// beyond the stored state. Pure; thread-safe.
#pragma once

#include <string_view>

#include "ledger/base/civil_time.h"
#include "ledger/registry/record.h"

namespace ipledger {

// Days after the end of a trademark or data pledge's registration term (its debt term)
// during which the parties may still extend it by amendment before it lapses.
inline constexpr int kPledgeLapseGraceDays = 30;

// The pledge's state on `date`: the stored state ("released", "enforcing", ...) unless
// the pledge is registered and
//   "expired": every collateral asset is a trademark or data asset and the debt term
//              ended more than kPledgeLapseGraceDays before `date` (the registration
//              lapsed without extension);
//   "overdue": the debt term ended before `date` without a release (patent pledges
//              never expire, they stay overdue).
// `date` is the date of the entry the answer is as of, never the wall clock, so an answer
// as of a given index is the same whenever it is asked.
std::string_view DerivedPledgeState(const PledgeRecord& p, Date date);

}  // namespace ipledger
