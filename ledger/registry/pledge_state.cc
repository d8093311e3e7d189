// Derived pledge states (pledge_state.h).
#include "ledger/registry/pledge_state.h"

#include <algorithm>
#include <string>

namespace ipledger {

std::string_view DerivedPledgeState(const PledgeRecord& p, Date date) {
  if (p.state != PledgeState::kRegistered) return PledgeStateName(p.state);
  const Date end = p.terms.debt_term.end;
  if (end >= date) return PledgeStateName(p.state);
  const auto& collateral = p.terms.collateral;
  const bool has_term =
      !collateral.empty() &&
      std::all_of(collateral.begin(), collateral.end(), [](const std::string& id) {
        return id.starts_with("trademark:") || id.starts_with("data:");
      });
  if (has_term && AddDays(end, kPledgeLapseGraceDays) < date) return "expired";
  return "overdue";
}

}  // namespace ipledger
