// Regulator statistics over pledge registrations (api.md §9, domain.md §7.2, rule S-1).
//
// Every accepted pledge.register leaves one fact (its index, date, bank, the debtor and
// the debtor's region at registration, its financing case, secured amount and the
// kinds of its collateral), written by the registry in the same WriteBatch as the
// entry (index column, key "F/<index>"), so `verify --replay` checks facts too. A
// StatsIndex keeps the facts in memory in log order; since integrated times never
// decrease, a date window and an as-of index each select one contiguous run of facts,
// found by binary search, and a query scans only that run — never the log.
//
// Definitions: a window counts pledges registered (Asia/Shanghai date of the integrated
// time) from `from` to `to` inclusive, with index <= as_of. Amount is counted once per
// financing case: a case's amount is the largest secured amount among its pledges in
// the window (a pledge without a case is its own case), summed per currency.
// A case's amount is capped at its facility (a ¥100 m pledge in a ¥45 m case counts ¥45 m).
// A pledge.amend of the secured amount leaves an amendment fact at its own index: a query
// as of index I counts each pledge at the amount in force at I (its latest amendment at
// or before I), so amendments reach the statistics and old reports stay reproducible.
// Enterprises are distinct debtors by USCC (the debtor's participant id when it has none):
// two participants with one USCC are one enterprise. Region is the debtor's region code
// at registration, matched by prefix. ip_items counts collateral items by kind. The
// inclusive share is the share of enterprises with at least one CNY case below the
// threshold. The IP share of combination loans (cases with other collateral): the
// cases' counted amounts over those amounts plus the other collateral's, in CNY.
//
// Thread-safety: Add and Query may run concurrently (a shared mutex).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/civil_time.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"

namespace ipledger {

struct PledgeFact {
  std::uint64_t index = 0;
  Date date;
  std::string pledge_id;
  std::string bank;
  std::string debtor;
  std::string region;    // the debtor's region code at registration ("" if none)
  std::string case_key;  // "case:<id>" or "pledge:<id>"
  std::int64_t amount = 0;
  std::string currency;
  std::uint32_t patents = 0;
  std::uint32_t trademarks = 0;
  std::uint32_t data = 0;
  // Format 2 (a format-1 fact decodes with these empty or zero):
  std::string enterprise;             // "uscc:<USCC>" or "id:<debtor>"; "" = debtor
  std::int64_t facility = 0;          // the case's facility in `currency`; 0 = no cap
  std::int64_t other_collateral = 0;  // the case's other collateral in `currency`
  // An amendment fact: pledge `pledge_id`'s secured amount is `amount` `currency` from
  // `index` on; the other fields are unused.
  bool amendment = false;
};

std::string EncodeFact(const PledgeFact& f);
Status DecodeFact(std::string_view bytes, PledgeFact* f);

enum class StatsGroupBy { kNone, kBank, kRegion, kAssetKind, kMonth };

struct StatsQuery {
  Date from;
  Date to;
  std::string region_prefix;  // "" = everywhere
  StatsGroupBy group_by = StatsGroupBy::kNone;
  std::int64_t inclusive_threshold = 2'000'000'000;  // fen: ¥20 m
  std::optional<std::uint64_t> as_of;                // default: every fact
};

// A sum of amounts. Each amount is at most kMaxAmount (10^15 < 2^50) and a log holds
// fewer than 2^64 facts, so every sum stays below 2^114: 128 bits cannot wrap.
__extension__ using Amount128 = __int128;

// The decimal digits of `v` (with a '-' when negative).
std::string Amount128String(Amount128 v);

struct StatsTotals {
  std::map<std::string, Amount128> amount;  // currency -> minor units
  std::uint64_t registrations = 0;
  std::uint64_t cases = 0;
  std::uint64_t enterprises = 0;
  std::uint64_t patents = 0;
  std::uint64_t trademarks = 0;
  std::uint64_t data = 0;
  std::uint64_t inclusive_enterprises = 0;
  std::int64_t inclusive_share_bps = 0;  // of enterprises; 0 when there are none
  // Combination loans: cases with other collateral, their counted amounts (IP) and
  // their other collateral, both CNY; the IP share of them in basis points.
  std::uint64_t combination_cases = 0;
  Amount128 combination_ip = 0;
  Amount128 combination_other = 0;
  std::optional<std::int64_t> ip_share_bps;  // nullopt when there are none
};

// The IP share ip / (ip + other) in basis points, rounded half up; nullopt when both are
// zero.
std::optional<std::int64_t> IpShareBps(Amount128 ip, Amount128 other);

struct StatsGroup {
  std::string key;  // bank id, region code, asset kind or YYYY-MM
  StatsTotals totals;
};

struct StatsResult {
  StatsTotals totals;
  std::vector<StatsGroup> groups;  // ordered by key
};

class StatsIndex {
 public:
  // Facts must arrive in index order (kInvalidArgument otherwise).
  Status Add(const PledgeFact& fact);
  // The statistics of `q` over the facts held.
  StatsResult Query(const StatsQuery& q) const;
  std::size_t size() const;

  // A fact with its strings interned (row), so that queries compare integers.
  struct Row {
    std::uint64_t index = 0;
    Date date;
    std::uint32_t bank = 0;
    std::uint32_t debtor = 0;
    std::uint32_t region = 0;
    std::uint32_t case_key = 0;
    std::uint32_t currency = 0;
    std::int64_t amount = 0;
    std::uint32_t patents = 0;
    std::uint32_t trademarks = 0;
    std::uint32_t data = 0;
    std::int64_t facility = 0;
    std::int64_t other_collateral = 0;
  };
  // Interned strings: id -> string, string -> id.
  struct Names {
    std::vector<std::string> by_id;
    std::map<std::string, std::uint32_t, std::less<>> ids;
    std::uint32_t Intern(const std::string& s);
  };

 private:
  mutable SharedMutex mu_;
  std::vector<Row> rows_ GUARDED_BY(mu_);  // by index
  Names banks_ GUARDED_BY(mu_);
  Names debtors_ GUARDED_BY(mu_);
  Names regions_ GUARDED_BY(mu_);
  Names cases_ GUARDED_BY(mu_);
  Names currencies_ GUARDED_BY(mu_);
  // Amendments: row position -> (index, amount, currency) in index order.
  struct Amendment {
    std::uint64_t index = 0;
    std::int64_t amount = 0;
    std::uint32_t currency = 0;
  };
  std::map<std::string, std::size_t, std::less<>> row_of_pledge_ GUARDED_BY(mu_);
  std::map<std::size_t, std::vector<Amendment>> amendments_ GUARDED_BY(mu_);
  std::uint64_t last_index_ GUARDED_BY(mu_) = 0;
};

// (current - previous) / previous in basis points, rounded half away from zero and
// clamped to the int64 range; nullopt when previous is 0. Computed in 128 bits.
std::optional<std::int64_t> ChangeBps(Amount128 current, Amount128 previous);

}  // namespace ipledger
