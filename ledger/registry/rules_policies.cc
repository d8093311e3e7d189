// The insurance policy rules (rules.h, "Insurance policies"): issuing, cancelling and
// claiming on a policy over registered assets. Rule numbers (I-1..I-3) are domain.md's.
#include <algorithm>
#include <optional>
#include <string>

#include "ledger/base/civil_time.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/rules.h"

namespace ipledger {

using rules_internal::NeedAsset;
using rules_internal::NeedParticipant;
using rules_internal::RequireRole;
using rules_internal::Touch;

namespace {

std::string MoneyText(const Money& m) { return std::to_string(m.amount) + " " + m.currency; }

// Loads a policy for an operation only its issuing insurer may perform.
std::optional<PolicyRecord> NeedOwnPolicy(Ctx& c, const std::string& id) {
  c.subjects.insert(id);
  if (!RequireRole(c, {Role::kInsurer})) return std::nullopt;
  auto p = c.txn->Load<PolicyRecord>(kPolicyTag, id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "policy " + id + " does not exist");
    return std::nullopt;
  }
  if (p->insurer != c.st->submitter) {
    c.Forbid("only the issuing insurer " + p->insurer + " may change policy " + id);
    return std::nullopt;
  }
  c.parties.insert(p->terms.insured);
  for (const std::string& x : p->terms.loss_payees) c.parties.insert(x);
  return p;
}

}  // namespace

void HandlePolicyIssue(Ctx& c, const PolicyIssue& b) {
  c.subjects.insert(b.policy_id);
  if (!RequireRole(c, {Role::kInsurer})) return;
  if (c.txn->Load<PolicyRecord>(kPolicyTag, b.policy_id)) {
    c.Refuse("E_DUPLICATE_ID", "policy " + b.policy_id + " already exists");
  }
  NeedParticipant(c, b.insured, "insured");
  for (const std::string& p : b.loss_payees) NeedParticipant(c, p, "loss payee");
  for (const std::string& a : b.covered_assets) NeedAsset(c, a);
  CheckInsuredHolds(c, b);
  // I-2.
  const std::string& cur = b.aggregate_limit.currency;
  if (b.period.start > b.period.end) {
    c.Refuse("E_POLICY_TERMS", "the policy period is empty");
  } else if (b.deductible.currency != cur || b.limit_per_claim.currency != cur) {
    c.Refuse("E_POLICY_TERMS", "limits and deductible must share one currency");
  } else if (!(b.deductible.amount < b.limit_per_claim.amount &&
               b.limit_per_claim.amount <= b.aggregate_limit.amount)) {
    c.Refuse("E_POLICY_TERMS", "need deductible < limit_per_claim <= aggregate_limit");
  }
  if (c.refused()) return;
  PolicyRecord r;
  r.terms = b;
  r.insurer = c.st->submitter;
  r.issued_index = c.index;
  r.history = {c.index};
  c.txn->Save(kPolicyTag, b.policy_id, c.index, r);
  c.map_assets = b.covered_assets;
  for (const std::string& a : b.covered_assets) {
    c.txn->Put(Column::kIndex, PairKey(kAssetPolicyPrefix, a, b.policy_id), "");
  }
}

void HandlePolicyCancel(Ctx& c, const PolicyCancel& b) {
  auto p = NeedOwnPolicy(c, b.policy_id);
  if (!p) return;
  if (p->cancelled_from) {
    c.Refuse("E_NOT_ACTIVE", "policy " + b.policy_id + " is already cancelled");
    return;
  }
  for (const std::string& a : p->terms.covered_assets) c.Asset(a);
  CheckNotBackdated(c, b.effective_date, "the cancellation");
  if (c.refused()) return;
  p->cancelled_from = b.effective_date;
  c.map_assets = p->terms.covered_assets;
  c.map_ref = p->issued_index;
  Touch(p->history, c.index);
  c.txn->Save(kPolicyTag, b.policy_id, c.index, *p);
}

void HandlePolicyClaim(Ctx& c, const PolicyClaim& b) {
  c.subjects.insert(b.claim_no);
  auto p = NeedOwnPolicy(c, b.policy_id);
  if (!p) return;
  c.Asset(b.asset_id);
  if (c.txn->Load<ClaimRecord>(kClaimTag, b.claim_no)) {
    c.Refuse("E_DUPLICATE_ID", "claim " + b.claim_no + " already exists");
  }
  const PolicyIssue& t = p->terms;
  if (std::find(t.covered_assets.begin(), t.covered_assets.end(), b.asset_id) ==
      t.covered_assets.end()) {
    c.Refuse("E_UNKNOWN_REFERENCE", b.asset_id + " is not covered by " + b.policy_id);
  }
  Date last_day = t.period.end;
  if (p->cancelled_from) last_day = std::min(last_day, AddDays(*p->cancelled_from, -1));
  if (b.incident_date < t.period.start || b.incident_date > last_day) {
    c.Refuse("E_OUTSIDE_PERIOD", "incident on " + FormatDate(b.incident_date) +
                                     " is outside the cover of " + b.policy_id);
  }
  CheckIncidentNotFuture(c, b.incident_date);
  CheckPositiveAmount(c, b.paid, "the claim payment");
  if (b.paid.currency != t.aggregate_limit.currency) {
    c.Refuse("E_POLICY_TERMS", "claim currency differs from the policy's");
  } else if (b.paid.amount > t.limit_per_claim.amount ||
             b.paid.amount > t.aggregate_limit.amount - p->claims_paid) {
    c.Refuse("E_LIMIT_EXCEEDED", "paying " + MoneyText(b.paid) + " exceeds the limits of " +
                                     b.policy_id + " (" +
                                     std::to_string(t.aggregate_limit.amount - p->claims_paid) +
                                     " left of the aggregate)");
  }
  if (c.refused()) return;
  p->claims_paid += b.paid.amount;
  p->claims.push_back(b.claim_no);
  Touch(p->history, c.index);
  c.txn->Save(kPolicyTag, b.policy_id, c.index, *p);
  c.txn->Save(kClaimTag, b.claim_no, c.index, ClaimRecord{b, c.index});
}

}  // namespace ipledger
