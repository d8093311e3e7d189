// Checks on pledges, valuations and policies added for issue #19 (rules.h). Each is a
// pure function of the statement, the state it is given and c.today.
#include <algorithm>
#include <string>

#include "ledger/registry/rules.h"

namespace ipledger {

void CheckPositiveAmount(Ctx& c, const Money& m, std::string_view what) {
  if (m.amount <= 0) c.Refuse("E_ZERO_AMOUNT", std::string(what) + " must be more than zero");
}

void CheckIncidentNotFuture(Ctx& c, Date incident) {
  if (incident > c.today) {
    c.Refuse("E_OUTSIDE_PERIOD", "incident on " + FormatDate(incident) +
                                     " is after the claim's date " + FormatDate(c.today));
  }
}

void CheckValuationDates(Ctx& c, const ValuationAttest& b) {
  if (b.base_date > c.today) {
    c.Refuse("E_VALUATION_DATES", "base date " + FormatDate(b.base_date) +
                                      " is after the attestation's date " + FormatDate(c.today));
  }
  if (b.valid_until && *b.valid_until < b.base_date) {
    c.Refuse("E_VALUATION_DATES", "valid_until " + FormatDate(*b.valid_until) +
                                      " is before the base date " + FormatDate(b.base_date));
  }
}

void CheckValuationOfCollateral(Ctx& c, const ValuationRecord& v,
                                const std::vector<std::string>& collateral) {
  const bool values_collateral =
      std::any_of(v.attest.items.begin(), v.attest.items.end(), [&](const ValuationItem& item) {
        return std::find(collateral.begin(), collateral.end(), item.asset_id) != collateral.end();
      });
  if (!values_collateral) {
    c.Refuse("E_VALUATION_NOT_OF_COLLATERAL",
             "valuation " + v.attest.valuation_id + " values none of the collateral");
  }
}

void CheckNotBackdated(Ctx& c, Date effective, std::string_view what) {
  const Date earliest = AddDays(c.today, -kCorrectionWindowDays);
  if (effective < earliest) {
    c.Refuse("E_BACKDATED", std::string(what) + " effective " + FormatDate(effective) +
                                " is more than " + std::to_string(kCorrectionWindowDays) +
                                " days before the entry's date " + FormatDate(c.today));
  }
}

void CheckDebtTermNotEnded(Ctx& c, const DateRange& debt_term) {
  if (debt_term.end < c.today) {
    c.Refuse("E_TERM_ENDED", "the debt term ended on " + FormatDate(debt_term.end));
  }
}

}  // namespace ipledger
