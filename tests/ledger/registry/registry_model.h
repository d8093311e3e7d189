// An in-memory model of the registry for the differential test
// (registry_model_test.cc): pledgeability, pledge state and policy coverage, written from
// api.md §3–4 and domain.md §8.3–8.4 (not from the registry's rules), plus the test's
// deterministic randomness and printing helpers.
//
// Readings chosen where the spec leaves room (each is api.md's or domain.md's):
// - A policy period is refused only when it is empty (api.md §4 "period empty"); with
//   inclusive dates a period starting and ending on the same day is one day long, so it
//   is accepted although domain.md I-2 writes `period_start < period_end`.
// - Releasing an enforcing pledge is allowed with any reason: api.md's E_NOT_ACTIVE is
//   for pledges that are not active, and an enforcing pledge is active (P-7).
// - A_INVALIDATION_PENDING (api.md §4) applies to any asset with invalidation pending;
//   the acknowledgement names the rule "P-8" (or, per statement.h, the code itself).
// - T-4 requires the marks of the group that the same registrant holds (domain.md §2.3
//   ground 5); a mark whose right ended (terminated, invalidated) is no longer held.
//   Whether a mark past its expiry date (possibly still in its 6-month renewal grace,
//   §2.6) is held is not settled, so the pool keeps grouped marks from expiring.
// - Termination (P-2, TERMINATED_FEE) ends the right for good in v1: a later
//   partially_invalidated decision replaces an earlier invalidation decision but does not
//   revive a terminated patent (see PartialInvalidationDoesNotReviveATerminatedPatent).
// - Coverage on a date lists the policies whose period contains the date and whose
//   cancellation is not yet effective (cover ends the day before it); `covered` needs
//   one of them with aggregate left (an exhausted policy does not cover).
//
// Thread-safety: none; one test thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "ledger/base/civil_time.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/statement.h"

namespace ipledger::model {

// --- Deterministic randomness -------------------------------------------------------------

class Rng {
 public:
  explicit Rng(std::uint32_t seed) : gen_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  std::int64_t Int64(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen_);
  }
  bool Percent(int p) { return Int(0, 99) < p; }
  template <typename C>
  const typename C::value_type& Pick(const C& c) {
    auto it = c.begin();
    std::advance(it, Int(0, static_cast<int>(c.size()) - 1));
    return *it;
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<size_t>(Int(0, static_cast<int>(i) - 1))]);
    }
  }

 private:
  std::mt19937 gen_;
};

// --- The model ------------------------------------------------------------------------------

struct MAsset {
  bool patent = true;
  std::set<std::string> holders;
  std::optional<std::string> group;  // trademarks
  Date grant;                        // patents
  Date last_day;                     // patents: last day of the term; trademarks: expiry date
  Date paid_through;                 // patents: annuity paid through
  bool fee_grace = false;
  bool terminated = false;
  bool invalidated = false;
  bool invalidation_pending = false;
  bool preservation = false;
  std::set<std::string> active;  // pledges registered or enforcing
  // (first log index, active pledges from then on), for answers "as of index".
  std::vector<std::pair<std::uint64_t, std::set<std::string>>> history;
};

enum class MState { kRegistered, kEnforcing, kReleased, kRevoked };

struct MPledge {
  std::string pledgee;
  std::vector<std::string> pledgors;
  std::vector<std::string> collateral;  // still pledged (partial releases removed)
  Date debt_end;
  MState state = MState::kRegistered;
};

struct MPolicy {
  std::string insurer;
  std::vector<std::string> covered;
  Date start;
  Date end;
  std::int64_t per_claim = 0;
  std::int64_t aggregate = 0;
  std::optional<Date> cancelled_from;
  std::int64_t paid = 0;
};

struct Prediction {
  OutcomeKind kind = OutcomeKind::kAccepted;
  std::set<std::string> codes;
  std::set<std::string> warnings;
};

struct ModelCoverage {
  bool covered = false;
  std::map<std::string, std::int64_t> remaining;  // policy id -> remaining aggregate
};

class Model {
 public:
  void AddParticipant(const std::string& id, Role role) { roles_[id] = role; }
  void AddAsset(const std::string& id, MAsset a) {
    a.history = {{next_index, {}}};
    assets_[id] = std::move(a);
  }

  const std::map<std::string, MAsset>& assets() const { return assets_; }
  const std::map<std::string, MPledge>& pledges() const { return pledges_; }
  const std::map<std::string, MPolicy>& policies() const { return policies_; }
  const std::set<std::string>& claims() const { return claims_; }

  // Predicts the outcome of `st` signed by `signers` on `today` and applies it.
  Prediction Apply(const Statement& st, const std::set<std::string>& signers, Date today) {
    st_ = &st;
    signers_ = &signers;
    today_ = today;
    dirty_.clear();
    Prediction p;
    if (!signers.contains(st.submitter)) {
      p.kind = OutcomeKind::kRejected;
      p.codes = {"E_FORBIDDEN"};
      return p;
    }
    std::visit([&](const auto& body) { Handle(body, p); }, st.body);
    if (p.kind == OutcomeKind::kRejected) return p;
    p.kind = p.codes.empty() ? OutcomeKind::kAccepted : OutcomeKind::kRefused;
    const std::uint64_t index = next_index++;
    for (const std::string& id : dirty_)
      assets_[id].history.emplace_back(index, assets_[id].active);
    return p;
  }

  std::set<std::string> ActiveAsOf(const std::string& asset, std::uint64_t index) const {
    std::set<std::string> out;
    for (const auto& [from, active] : assets_.at(asset).history) {
      if (from > index) break;
      out = active;
    }
    return out;
  }

  ModelCoverage CoverageOn(const std::string& asset, Date date) const {
    ModelCoverage c;
    for (const auto& [id, p] : policies_) {
      if (std::find(p.covered.begin(), p.covered.end(), asset) == p.covered.end()) continue;
      if (date < p.start || date > p.end) continue;
      if (p.cancelled_from && date >= *p.cancelled_from) continue;  // ends the day before
      c.remaining[id] = p.aggregate - p.paid;
      if (p.aggregate - p.paid > 0) c.covered = true;
    }
    return c;
  }

  std::uint64_t next_index = 0;  // the index the next logged entry gets

 private:
  Role RoleOf(const std::string& id) const { return roles_.at(id); }
  bool Signed(const std::string& id) const { return signers_->contains(id); }
  static void Forbid(Prediction& p) {
    p.kind = OutcomeKind::kRejected;
    p.codes = {"E_FORBIDDEN"};
  }

  // Whether asset `a` could be pledged on `today` by `pledgors` for a debt ending
  // `debt_end` together with `collateral`: api.md §4 / domain.md §8.4 P-1..P-5, P-7, P-8,
  // T-2..T-4.
  void CheckCollateral(const std::string& id, const std::set<std::string>& pledgors,
                       const std::set<std::string>& collateral, Date debt_end,
                       const std::vector<std::string>& acks, Prediction& p) const {
    const MAsset& a = assets_.at(id);
    if (a.holders != pledgors) p.codes.insert("E_PLEDGOR_NOT_HOLDER");            // P-1, T-1
    if (a.terminated || a.invalidated) p.codes.insert("E_ASSET_NOT_PLEDGEABLE");  // P-2, T-2
    if (a.patent && a.grant > today_) p.codes.insert("E_ASSET_NOT_PLEDGEABLE");   // not granted
    if (a.last_day < today_) p.codes.insert("E_ASSET_NOT_PLEDGEABLE");            // expired
    if (a.patent && (a.fee_grace || a.paid_through < today_)) p.codes.insert("E_FEE_GRACE");
    if (a.preservation) p.codes.insert("E_PRESERVATION");              // P-4, T-3
    if (debt_end > a.last_day) p.codes.insert("E_TERM_BEYOND_ASSET");  // P-5
    if (!a.active.empty()) p.codes.insert("E_ALREADY_PLEDGED");        // P-7
    if (a.invalidation_pending && std::find_if(acks.begin(), acks.end(), [](const std::string& r) {
                                    return r == "P-8" || r == "A_INVALIDATION_PENDING";
                                  }) == acks.end()) {
      p.codes.insert("A_INVALIDATION_PENDING");  // P-8
    }
    if (a.group) {  // T-4
      for (const auto& [other_id, other] : assets_) {
        if (other_id == id || other.group != a.group || collateral.contains(other_id)) continue;
        if (other.holders != a.holders || other.terminated || other.invalidated) continue;
        if (other.last_day < today_) continue;  // in its renewal grace: cannot be pledged
        p.codes.insert("E_SIMILAR_MARKS_SPLIT");
      }
    }
  }

  void Handle(const PledgeRegister& b, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kBank) return Forbid(p);
    for (const std::string& x : b.pledgors) {
      if (!Signed(x)) return Forbid(p);  // L-3: every pledgor signs
    }
    if (pledges_.contains(b.pledge_id)) p.codes.insert("E_DUPLICATE_ID");
    if (b.secured.amount.amount <= 0) p.codes.insert("E_ZERO_AMOUNT");  // P-6
    if (b.debt_term.end < today_) p.codes.insert("E_TERM_ENDED");       // §8.3
    const std::set<std::string> pledgors(b.pledgors.begin(), b.pledgors.end());
    const std::set<std::string> collateral(b.collateral.begin(), b.collateral.end());
    for (const std::string& id : b.collateral) {
      if (!assets_.contains(id)) {
        p.codes.insert("E_UNKNOWN_REFERENCE");
        continue;
      }
      CheckCollateral(id, pledgors, collateral, b.debt_term.end, b.acknowledgements, p);
    }
    if (b.forfeiture_clause) p.warnings.insert("W_FORFEITURE_CLAUSE");  // P-11
    if (!p.codes.empty()) return;
    pledges_[b.pledge_id] = {st_->submitter, b.pledgors, b.collateral, b.debt_term.end,
                             MState::kRegistered};
    for (const std::string& id : b.collateral) SetActive(id, b.pledge_id, true);
  }

  // The pledge `id` for an operation of its pledgee; nullptr when refused or rejected.
  MPledge* OwnPledge(const std::string& id, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kBank) {
      Forbid(p);
      return nullptr;
    }
    auto it = pledges_.find(id);
    if (it == pledges_.end()) {
      p.codes.insert("E_UNKNOWN_REFERENCE");
      return nullptr;
    }
    if (it->second.pledgee != st_->submitter) {
      Forbid(p);
      return nullptr;
    }
    return &it->second;
  }

  // §8.3 REVOKE: the registry ends any pledge not yet ended, on a court order.
  void Handle(const PledgeRevoke& b, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kRegistry) return Forbid(p);
    auto it = pledges_.find(b.pledge_id);
    if (it == pledges_.end()) {
      p.codes.insert("E_UNKNOWN_REFERENCE");
      return;
    }
    End(it->second, b.pledge_id, MState::kRevoked, p);
  }

  // a pledgor's request, countersigned by the pledgee, releases the pledge.
  void Handle(const PledgeReleaseRequest& b, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kEnterprise) return Forbid(p);
    auto it = pledges_.find(b.pledge_id);
    if (it == pledges_.end()) {
      p.codes.insert("E_UNKNOWN_REFERENCE");
      return;
    }
    const auto& pledgors = it->second.pledgors;
    if (std::find(pledgors.begin(), pledgors.end(), st_->submitter) == pledgors.end() ||
        !Signed(it->second.pledgee)) {
      return Forbid(p);
    }
    End(it->second, b.pledge_id, MState::kReleased, p);
  }

  void End(MPledge& pl, const std::string& id, MState to, Prediction& p) {
    if (pl.state == MState::kReleased || pl.state == MState::kRevoked) {
      p.codes.insert("E_NOT_ACTIVE");
      return;
    }
    pl.state = to;
    for (const std::string& a : pl.collateral) SetActive(a, id, false);
  }

  void Handle(const PledgeRelease& b, Prediction& p) {
    MPledge* pl = OwnPledge(b.pledge_id, p);
    if (pl == nullptr) return;
    if (pl->state == MState::kReleased || pl->state == MState::kRevoked) {
      p.codes.insert("E_NOT_ACTIVE");
      return;
    }
    pl->state = MState::kReleased;
    for (const std::string& id : pl->collateral) SetActive(id, b.pledge_id, false);
  }

  void Handle(const PledgeEnforce& b, Prediction& p) {
    MPledge* pl = OwnPledge(b.pledge_id, p);
    if (pl == nullptr) return;
    if (pl->state != MState::kRegistered) {  // §8.3: REGISTERED -> ENFORCING only
      p.codes.insert("E_NOT_ACTIVE");
      return;
    }
    if (b.started < AddDays(today_, -30)) {  // L-2: the correction window
      p.codes.insert("E_BACKDATED");
      return;
    }
    pl->state = MState::kEnforcing;
  }

  void Handle(const PledgeAmend& b, Prediction& p) {
    MPledge* pl = OwnPledge(b.pledge_id, p);
    if (pl == nullptr) return;
    for (const std::string& x : pl->pledgors) {
      if (!Signed(x)) return Forbid(p);  // a change agreement of all parties
    }
    if (pl->state != MState::kRegistered) {  // only on REGISTERED
      p.codes.insert("E_NOT_ACTIVE");
      return;
    }
    std::vector<std::string> remaining;
    for (const std::string& id : pl->collateral) {
      if (std::find(b.release_collateral.begin(), b.release_collateral.end(), id) ==
          b.release_collateral.end()) {
        remaining.push_back(id);
      }
    }
    for (const std::string& id : b.release_collateral) {
      if (std::find(pl->collateral.begin(), pl->collateral.end(), id) == pl->collateral.end()) {
        p.codes.insert("E_UNKNOWN_REFERENCE");
      }
    }
    // Releasing everything is a release, not a partial release.
    if (remaining.empty()) p.codes.insert("E_NOT_ACTIVE");
    for (const std::string& id : b.release_collateral) {  // T-4: similar marks stay together
      const auto it = assets_.find(id);
      if (it == assets_.end() || !it->second.group) continue;
      for (const std::string& other_id : remaining) {
        const MAsset& o = assets_.at(other_id);
        if (o.group == it->second.group && o.holders == it->second.holders && !o.terminated &&
            !o.invalidated && o.last_day >= today_) {
          p.codes.insert("E_SIMILAR_MARKS_SPLIT");
        }
      }
    }
    if (b.debt_term && b.debt_term->end != pl->debt_end) {  // re-run P-5 when it moves
      for (const std::string& id : remaining) {
        if (b.debt_term->end > assets_.at(id).last_day) p.codes.insert("E_TERM_BEYOND_ASSET");
      }
    }
    if (!p.codes.empty()) return;
    if (b.debt_term) pl->debt_end = b.debt_term->end;
    for (const std::string& id : b.release_collateral) SetActive(id, b.pledge_id, false);
    pl->collateral = remaining;
  }

  void Handle(const AssetStatus& b, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kRegistry) return Forbid(p);
    MAsset& a = assets_.at(b.asset_id);
    switch (b.event) {
      case AssetEvent::kAnnuityPaid:
        a.paid_through = *b.annuity_paid_through;
        a.fee_grace = false;
        break;
      case AssetEvent::kFeeGrace:
        a.fee_grace = true;
        break;
      case AssetEvent::kInvalidationStarted:
        a.invalidation_pending = true;
        break;
      case AssetEvent::kInvalidationEnded:
        a.invalidation_pending = false;
        break;
      case AssetEvent::kPartiallyInvalidated:
        // The decision stands in for any earlier invalidation decision (domain.md §8.2 keeps
        // one legal_status), so a full invalidation becomes partial. It says nothing about
        // the fees: a patent terminated for unpaid annuities stays terminated (P-2; leaving
        // TERMINATED_FEE takes a restoration, which v1 has no event for).
        a.invalidated = false;
        a.invalidation_pending = false;
        break;
      case AssetEvent::kInvalidated:
        a.invalidated = true;
        a.invalidation_pending = false;
        break;
      case AssetEvent::kTerminated:
        a.terminated = true;
        break;
      case AssetEvent::kPreservation:
        a.preservation = true;
        break;
      case AssetEvent::kPreservationLifted:
        a.preservation = false;
        break;
      case AssetEvent::kRenewed:
        a.last_day = *b.expiry_date;
        break;
      case AssetEvent::kTransferred:
        ADD_FAILURE() << "the model does not generate transfers";
        break;
    }
  }

  void Handle(const PolicyIssue& b, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kInsurer) return Forbid(p);
    if (policies_.contains(b.policy_id)) p.codes.insert("E_DUPLICATE_ID");
    for (const std::string& id : b.covered_assets) {
      if (!assets_.contains(id)) {
        p.codes.insert("E_UNKNOWN_REFERENCE");
      } else if (!assets_.at(id).holders.contains(b.insured)) {
        p.codes.insert("E_INSURED_NOT_HOLDER");  // I-1
      }
    }
    // I-2 as api.md states it: period empty, or not deductible < per claim <= aggregate.
    if (b.period.start > b.period.end || !(b.deductible.amount < b.limit_per_claim.amount &&
                                           b.limit_per_claim.amount <= b.aggregate_limit.amount)) {
      p.codes.insert("E_POLICY_TERMS");
    }
    if (!p.codes.empty()) return;
    policies_[b.policy_id] = {
        st_->submitter,           b.covered_assets,         b.period.start, b.period.end,
        b.limit_per_claim.amount, b.aggregate_limit.amount, std::nullopt,   0};
  }

  MPolicy* OwnPolicy(const std::string& id, Prediction& p) {
    if (RoleOf(st_->submitter) != Role::kInsurer) {
      Forbid(p);
      return nullptr;
    }
    auto it = policies_.find(id);
    if (it == policies_.end()) {
      p.codes.insert("E_UNKNOWN_REFERENCE");
      return nullptr;
    }
    if (it->second.insurer != st_->submitter) {
      Forbid(p);
      return nullptr;
    }
    return &it->second;
  }

  void Handle(const PolicyCancel& b, Prediction& p) {
    MPolicy* pol = OwnPolicy(b.policy_id, p);
    if (pol == nullptr) return;
    if (pol->cancelled_from) {
      p.codes.insert("E_NOT_ACTIVE");
      return;
    }
    if (b.effective_date < AddDays(today_, -30)) {  // L-2: the correction window
      p.codes.insert("E_BACKDATED");
      return;
    }
    pol->cancelled_from = b.effective_date;
  }

  void Handle(const PolicyClaim& b, Prediction& p) {
    MPolicy* pol = OwnPolicy(b.policy_id, p);
    if (pol == nullptr) return;
    if (claims_.contains(b.claim_no)) p.codes.insert("E_DUPLICATE_ID");
    if (std::find(pol->covered.begin(), pol->covered.end(), b.asset_id) == pol->covered.end()) {
      p.codes.insert("E_UNKNOWN_REFERENCE");
    }
    // I-3: the incident falls in the cover: the period, ended the day before a cancellation.
    const bool cancelled_before = pol->cancelled_from && b.incident_date >= *pol->cancelled_from;
    if (b.incident_date < pol->start || b.incident_date > pol->end || cancelled_before ||
        b.incident_date > today_) {
      p.codes.insert("E_OUTSIDE_PERIOD");
    }
    if (b.paid.amount > pol->per_claim || pol->paid + b.paid.amount > pol->aggregate) {
      p.codes.insert("E_LIMIT_EXCEEDED");
    }
    if (b.paid.amount <= 0) p.codes.insert("E_ZERO_AMOUNT");  // paid is after the deductible
    if (!p.codes.empty()) return;
    pol->paid += b.paid.amount;
    claims_.insert(b.claim_no);
  }

  template <typename Body>
  void Handle(const Body&, Prediction&) {
    ADD_FAILURE() << "the model does not generate " << st_->type;
  }

  void SetActive(const std::string& asset, const std::string& pledge, bool on) {
    if (on) {
      assets_[asset].active.insert(pledge);
    } else {
      assets_[asset].active.erase(pledge);
    }
    dirty_.insert(asset);
  }

  std::map<std::string, Role> roles_;
  std::map<std::string, MAsset> assets_;
  std::map<std::string, MPledge> pledges_;
  std::map<std::string, MPolicy> policies_;
  std::set<std::string> claims_;
  // The statement being applied.
  const Statement* st_ = nullptr;
  const std::set<std::string>* signers_ = nullptr;
  Date today_;
  std::set<std::string> dirty_;
};

// --- Printing ---------------------------------------------------------------------------------

inline std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return "[" + s + "]";
}
inline std::string Join(const std::set<std::string>& v) {
  return Join(std::vector<std::string>(v.begin(), v.end()));
}

inline std::string KindName(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::kAccepted:
      return "accepted";
    case OutcomeKind::kReplayed:
      return "replayed";
    case OutcomeKind::kRefused:
      return "refused";
    case OutcomeKind::kRejected:
      return "rejected";
  }
  return "?";
}

inline std::string Describe(const Statement& st) {
  std::ostringstream o;
  o << st.type << " by " << st.submitter << ": ";
  std::visit(
      [&](const auto& b) {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, PledgeRegister>) {
          o << b.pledge_id << " pledgors " << Join(b.pledgors) << " collateral "
            << Join(b.collateral) << " debt " << FormatDate(b.debt_term.start) << ".."
            << FormatDate(b.debt_term.end) << " acks " << Join(b.acknowledgements)
            << (b.forfeiture_clause ? " forfeiture" : "");
        } else if constexpr (std::is_same_v<B, PledgeRelease> || std::is_same_v<B, PledgeEnforce> ||
                             std::is_same_v<B, PledgeRevoke> ||
                             std::is_same_v<B, PledgeReleaseRequest>) {
          o << b.pledge_id;
        } else if constexpr (std::is_same_v<B, PledgeAmend>) {
          o << b.pledge_id << " release " << Join(b.release_collateral);
          if (b.debt_term) o << " debt end " << FormatDate(b.debt_term->end);
          if (b.secured) o << " secured " << b.secured->amount.amount;
        } else if constexpr (std::is_same_v<B, AssetStatus>) {
          o << b.asset_id << " " << AssetEventName(b.event);
          if (b.annuity_paid_through) o << " paid through " << FormatDate(*b.annuity_paid_through);
          if (b.expiry_date) o << " expiry " << FormatDate(*b.expiry_date);
        } else if constexpr (std::is_same_v<B, PolicyIssue>) {
          o << b.policy_id << " covering " << Join(b.covered_assets) << " "
            << FormatDate(b.period.start) << ".." << FormatDate(b.period.end) << " deductible "
            << b.deductible.amount << " per claim " << b.limit_per_claim.amount << " aggregate "
            << b.aggregate_limit.amount;
        } else if constexpr (std::is_same_v<B, PolicyCancel>) {
          o << b.policy_id << " from " << FormatDate(b.effective_date);
        } else if constexpr (std::is_same_v<B, PolicyClaim>) {
          o << b.claim_no << " on " << b.policy_id << " for " << b.asset_id << " incident "
            << FormatDate(b.incident_date) << " paid " << b.paid.amount;
        }
      },
      st.body);
  return o.str();
}

}  // namespace ipledger::model
