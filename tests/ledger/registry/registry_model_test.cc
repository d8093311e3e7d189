// Differential test of the registry: thousands of random statements (fixed seed) go
// through the real Registry and through a small in-memory model of pledgeability, pledge
// state and policy coverage written from api.md §3–4 and domain.md §8.3–8.4 (not from
// ledger/registry/rules.cc). Every outcome (accepted / refused with its codes / rejected) and, at
// random points, PledgeStatus (now and as of earlier indexes) and Coverage answers must
// agree with the model.
//
// The model and its readings of the spec: registry_model.h.
#include "tests/ledger/registry/registry_model.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/registry/registry.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using model::Describe;
using model::Join;
using model::KindName;
using model::MAsset;
using model::Model;
using model::ModelCoverage;
using model::MPledge;
using model::MPolicy;
using model::MState;
using model::Prediction;
using model::Rng;
using testing::RegistryFixture;

constexpr std::uint32_t kSeed = 20260601;
constexpr int kSteps = 3000;

const std::vector<std::string> kBanks = {"ccb-quzhou", "icbc-jiangshan", "abc-longyou"};
const std::vector<std::string> kEnterprises = {"lanyu-materials", "hengtai-valve", "qiantang-bio"};
const std::vector<std::string> kInsurers = {"picc-zhejiang", "cpic-zhejiang"};
const std::string kUnknownAsset = "patent:2099000000012";

// --- The test -----------------------------------------------------------------------------------

struct Expected {
  OutcomeKind kind = OutcomeKind::kAccepted;
  std::set<std::string> codes;
  std::set<std::string> warnings;
  std::optional<std::uint64_t> index;  // logged outcomes
};

struct Pending {
  Submission submission;
  std::vector<std::string> signers;
  Expected expected;
  std::string what;
};

// A logged submission, kept to be sent again (idempotent replay, conflicting reuse).
struct Logged {
  Submission submission;
  std::vector<std::string> signers;
  Expected original;
};

struct PatentSpec {
  std::string application_no;
  std::vector<std::string> holders;
  PatentType type;
  Date filing;
  Date term_end;  // worked out by hand from domain.md §1.9
};

struct TrademarkSpec {
  std::string reg_no;
  std::vector<std::string> holders;
  Date expiry;
  std::optional<std::string> group;
};

class RegistryModelTest : public ::testing::Test {
 protected:
  RegistryModelTest() : rng_(kSeed) {}

  void SetUp() override {
    m_.AddParticipant("registry", Role::kRegistry);
    m_.next_index = f_.registry().ledger().size();  // after the genesis entry
    for (const auto& b : kBanks) Add(b, Role::kBank);
    for (const auto& e : kEnterprises) Add(e, Role::kEnterprise);
    for (const auto& i : kInsurers) Add(i, Role::kInsurer);
    const std::string lanyu = kEnterprises[0], hengtai = kEnterprises[1],
                      qiantang = kEnterprises[2];
    const auto d = [](int y, unsigned m, unsigned day) { return DateFromCivil(y, m, day); };
    const PatentType inv = PatentType::kInvention, um = PatentType::kUtilityModel,
                     design = PatentType::kDesign;
    const std::vector<PatentSpec> patents = {
        {"2018100000118", {lanyu}, inv, d(2018, 3, 1), d(2038, 2, 28)},
        {"2019100000220", {lanyu}, inv, d(2019, 5, 10), d(2039, 5, 9)},
        {"2017200000335", {hengtai}, um, d(2017, 6, 1), d(2027, 5, 31)},
        {"2016100000443", {hengtai}, inv, d(2016, 1, 20), d(2036, 1, 19)},
        {"2018100000550", {lanyu, hengtai}, inv, d(2018, 8, 8), d(2038, 8, 7)},
        // Ends during the run.
        {"2016200000665", {lanyu, hengtai}, um, d(2016, 9, 1), d(2026, 8, 31)},
        {"202130000077X", {qiantang}, design, d(2021, 6, 1), d(2036, 5, 31)},
        // Granted (filing + 1 year, by the fixture) during the run.
        {"2025100000885", {qiantang}, inv, d(2025, 9, 1), d(2045, 8, 31)},
        {"2020200000996", {qiantang}, um, d(2020, 2, 10), d(2030, 2, 9)},
        {"2019300001012", {lanyu}, design, d(2019, 4, 1), d(2029, 3, 31)},
        {"2015100001121", {hengtai}, inv, d(2015, 11, 11), d(2035, 11, 10)},
        {"2017100001239", {hengtai, qiantang}, inv, d(2017, 3, 3), d(2037, 3, 2)},
    };
    const std::vector<TrademarkSpec> marks = {
        {"30000001", {lanyu}, d(2031, 1, 1), "G-A"},
        {"30000002", {lanyu}, d(2032, 6, 30), "G-A"},
        {"30000003", {lanyu}, d(2033, 3, 1), "G-B"},
        {"30000004", {lanyu}, d(2031, 9, 9), "G-B"},
        // Same group, another registrant: not required with lanyu's marks.
        {"30000005", {hengtai}, d(2034, 1, 1), "G-B"},
        // Expires during the run.
        {"30000006", {hengtai}, d(2026, 10, 15), std::nullopt},
        {"30000007", {lanyu, qiantang}, d(2028, 3, 1), std::nullopt},
        {"30000008", {qiantang}, d(2030, 12, 31), "G-C"},
    };
    for (const PatentSpec& p : patents) {
      f_.AddPatent(p.application_no, p.holders, p.type, p.filing);
      const std::string id = "patent:" + p.application_no;
      auto stored = f_.registry().GetAsset(id);
      ASSERT_OK(stored);
      ASSERT_EQ(stored->patent->term_end, p.term_end) << id;
      MAsset a;
      a.patent = true;
      a.holders = {p.holders.begin(), p.holders.end()};
      a.grant = AddYears(p.filing, 1);
      a.last_day = p.term_end;
      a.paid_through = AddYears(f_.today(), 1);
      m_.AddAsset(id, a);
      ++m_.next_index;
      asset_ids_.push_back(id);
    }
    for (const TrademarkSpec& t : marks) {
      f_.AddTrademark(t.reg_no, t.holders, t.expiry, t.group);
      const std::string id = "trademark:" + t.reg_no;
      MAsset a;
      a.patent = false;
      a.holders = {t.holders.begin(), t.holders.end()};
      a.group = t.group;
      a.last_day = t.expiry;
      m_.AddAsset(id, a);
      ++m_.next_index;
      asset_ids_.push_back(id);
    }
    ASSERT_EQ(m_.next_index, f_.registry().ledger().size());
    first_index_ = m_.next_index - 1;
  }

  void Add(const std::string& id, Role role) {
    f_.AddParticipant(id, role, "330802");
    m_.AddParticipant(id, role);
    ++m_.next_index;
  }

  Date today() const { return f_.today(); }

  // --- Generators: each returns a statement and its signers. ----------------------------

  struct Gen {
    Statement st;
    std::vector<std::string> signers;
  };

  Gen Make(const std::string& submitter, StatementBody body, std::vector<std::string> signers) {
    return {f_.Make(submitter, std::move(body)), std::move(signers)};
  }

  // A debt end for `collateral`: mostly well inside, sometimes on or just past an
  // asset's last day, rarely already past.
  Date DebtEnd(const std::vector<std::string>& collateral) {
    const int r = rng_.Int(0, 99);
    if (r < 18) {
      const std::string& id = rng_.Pick(collateral);
      if (m_.assets().contains(id)) return AddDays(m_.assets().at(id).last_day, rng_.Int(0, 1));
    }
    if (r < 21) return AddDays(today(), -rng_.Int(1, 30));
    return AddDays(today(), rng_.Int(30, 1800));
  }

  std::vector<std::string> RandomEnterprises() {
    std::vector<std::string> out;
    while (out.empty()) {
      for (const auto& e : kEnterprises) {
        if (rng_.Percent(45)) out.push_back(e);
      }
    }
    return out;
  }

  Gen GenPledgeRegister() {
    std::vector<std::string> free;
    for (const auto& [id, a] : m_.assets()) {
      if (a.active.empty()) free.push_back(id);
    }
    const std::string anchor =
        !free.empty() && rng_.Percent(75) ? rng_.Pick(free) : rng_.Pick(asset_ids_);
    const MAsset& a = m_.assets().at(anchor);
    std::vector<std::string> pledgors(a.holders.begin(), a.holders.end());
    if (rng_.Percent(10)) pledgors = RandomEnterprises();
    std::set<std::string> collateral = {anchor};
    const bool whole_group = rng_.Percent(75);
    for (const auto& [id, other] : m_.assets()) {
      if (other.holders != a.holders) continue;
      if (a.group && other.group == a.group && whole_group) collateral.insert(id);
      if (rng_.Percent(10)) collateral.insert(id);
    }
    if (rng_.Percent(5)) collateral.insert(rng_.Pick(asset_ids_));
    if (rng_.Percent(2)) collateral.insert(kUnknownAsset);
    PledgeRegister b;
    b.pledge_id = !m_.pledges().empty() && rng_.Percent(3) ? m_.pledges().rbegin()->first
                                                           : "PL-" + std::to_string(++serial_);
    b.pledgors = pledgors;
    b.debtor = pledgors.front();
    b.collateral.assign(collateral.begin(), collateral.end());
    rng_.Shuffle(b.collateral);
    b.secured = {rng_.Percent(80) ? SecuredType::kLoan : SecuredType::kCeiling,
                 {rng_.Int64(1, 500) * 1'000'000, "CNY"}};
    const Date end = DebtEnd(b.collateral);
    b.debt_term = {std::min(today(), end), end};
    b.contract_sha256 = Sha256(AsBytes("contract " + b.pledge_id + " " + std::to_string(serial_)));
    bool pending = false;
    for (const std::string& id : b.collateral) {
      if (m_.assets().contains(id) && m_.assets().at(id).invalidation_pending) pending = true;
    }
    if (rng_.Percent(pending ? 60 : 5)) {
      b.acknowledgements.push_back(rng_.Percent(85) ? "P-8" : "A_INVALIDATION_PENDING");
    }
    if (rng_.Percent(4)) b.acknowledgements.push_back("P-10");  // names another rule
    b.forfeiture_clause = rng_.Percent(8);
    const std::string submitter = rng_.Percent(2) ? rng_.Pick(kEnterprises) : rng_.Pick(kBanks);
    std::vector<std::string> signers = {submitter};
    for (const std::string& p : pledgors) {
      if (p != submitter) signers.push_back(p);
    }
    if (signers.size() > 1 && rng_.Percent(4))
      signers.erase(signers.begin() + rng_.Int(1, static_cast<int>(signers.size()) - 1));
    return Make(submitter, b, signers);
  }

  // A pledge id to act on: mostly one in `preferred` state, sometimes any, rarely unknown.
  std::string PickPledge(MState preferred) {
    std::vector<std::string> in_state, all;
    for (const auto& [id, p] : m_.pledges()) {
      all.push_back(id);
      if (p.state == preferred) in_state.push_back(id);
    }
    if (all.empty() || rng_.Percent(6)) return "PL-GHOST-" + std::to_string(++serial_);
    if (!in_state.empty() && rng_.Percent(80)) return rng_.Pick(in_state);
    return rng_.Pick(all);
  }

  // The pledgee mostly; another bank or an enterprise sometimes.
  std::string ActingBank(const std::string& pledge_id) {
    auto it = m_.pledges().find(pledge_id);
    if (rng_.Percent(3)) return rng_.Pick(kEnterprises);
    if (it == m_.pledges().end() || rng_.Percent(8)) return rng_.Pick(kBanks);
    return it->second.pledgee;
  }

  Gen GenPledgeRelease() {
    const std::string id = PickPledge(MState::kRegistered);
    PledgeRelease b;
    b.pledge_id = id;
    b.reason = static_cast<ReleaseReason>(rng_.Int(0, 5));
    if (rng_.Percent(50)) b.evidence_sha256 = Sha256(AsBytes("evidence " + id));
    const std::string submitter = ActingBank(id);
    return Make(submitter, b, {submitter});
  }

  Gen GenPledgeEnforce() {
    const std::string id = PickPledge(MState::kRegistered);
    const std::string submitter = ActingBank(id);
    return Make(submitter, PledgeEnforce{id, today()}, {submitter});
  }

  Gen GenPledgeAmend() {
    const std::string id = PickPledge(MState::kRegistered);
    const std::string submitter = ActingBank(id);
    std::vector<std::string> signers = {submitter};
    PledgeAmend b;
    b.pledge_id = id;
    auto it = m_.pledges().find(id);
    if (it != m_.pledges().end()) {
      const MPledge& p = it->second;
      for (const std::string& x : p.pledgors) {
        if (x != submitter && !rng_.Percent(4)) signers.push_back(x);
      }
      std::set<std::string> release;
      if (rng_.Percent(45)) {
        for (const std::string& c : p.collateral) {
          if (rng_.Percent(35)) release.insert(c);
        }
      }
      if (rng_.Percent(8)) release.insert(p.collateral.begin(), p.collateral.end());
      if (rng_.Percent(6)) release.insert(rng_.Pick(asset_ids_));
      b.release_collateral.assign(release.begin(), release.end());
      if (rng_.Percent(40)) {
        const Date end = DebtEnd(p.collateral);
        b.debt_term = DateRange{std::min(today(), end), end};
      }
    }
    if (rng_.Percent(30))
      b.secured = Secured{SecuredType::kLoan, {rng_.Int64(1, 500) * 1'000'000, "CNY"}};
    if (rng_.Percent(20)) b.official_reg_no = "Y" + std::to_string(++serial_);
    return Make(submitter, b, signers);
  }

  Gen GenAssetStatus() {
    const std::string id = rng_.Pick(asset_ids_);
    const MAsset& a = m_.assets().at(id);
    AssetStatus b;
    b.asset_id = id;
    b.effective_date = today();
    const int r = rng_.Int(0, 999);
    // Terminations and invalidations are for good: keep them rare.
    if (r < 15) {
      b.event = AssetEvent::kTerminated;
    } else if (r < 25) {
      b.event = AssetEvent::kInvalidated;
    } else if (r < 70) {
      b.event = AssetEvent::kPartiallyInvalidated;
    } else if (r < 200) {
      b.event = AssetEvent::kInvalidationStarted;
    } else if (r < 380) {
      b.event = AssetEvent::kInvalidationEnded;
    } else if (r < 530) {
      b.event = AssetEvent::kPreservation;
    } else if (r < 720) {
      b.event = AssetEvent::kPreservationLifted;
    } else if (a.patent && r < 820) {
      b.event = AssetEvent::kFeeGrace;
    } else if (a.patent) {
      b.event = AssetEvent::kAnnuityPaid;
      b.annuity_paid_through = AddDays(today(), rng_.Int(-60, 400));
    } else {
      b.event = AssetEvent::kRenewed;  // ten more years from the current expiry
      b.expiry_date = AddYears(a.last_day, 10);
    }
    const std::string submitter = rng_.Percent(3) ? rng_.Pick(kBanks) : "registry";
    return Make(submitter, b, {submitter});
  }

  Gen GenPolicyIssue() {
    PolicyIssue b;
    b.policy_id = !m_.policies().empty() && rng_.Percent(3) ? m_.policies().begin()->first
                                                            : "POL-" + std::to_string(++serial_);
    b.product = rng_.Percent(50) ? "infringement_loss" : "enforcement_cost";
    std::set<std::string> covered;
    const int n = rng_.Int(1, 3);
    for (int i = 0; i < n; ++i) covered.insert(rng_.Pick(asset_ids_));
    if (rng_.Percent(2)) covered.insert(kUnknownAsset);
    b.covered_assets.assign(covered.begin(), covered.end());
    const std::string& first = b.covered_assets.front();
    b.insured =
        m_.assets().contains(first) ? *m_.assets().at(first).holders.begin() : kEnterprises[0];
    for (const auto& bank : kBanks) {
      if (rng_.Percent(30)) b.loss_payees.push_back(bank);
    }
    const Date start = AddDays(today(), rng_.Int(-90, 60));
    const int shape = rng_.Int(0, 99);
    Date end = AddDays(start, rng_.Int(1, 500));
    if (shape < 5) end = AddDays(start, -rng_.Int(1, 30));  // empty: refused
    if (shape >= 5 && shape < 10) end = start;              // one day: accepted
    b.period = {start, end};
    const std::int64_t m = 1'000'000;
    std::int64_t aggregate = rng_.Int64(1, 20) * m;
    std::int64_t per_claim = rng_.Int64(1, aggregate / m) * m;
    std::int64_t deductible = rng_.Int64(0, per_claim / 10);
    const int bad = rng_.Int(0, 99);
    if (bad < 4) deductible = per_claim;
    if (bad >= 4 && bad < 8) per_claim = aggregate + 1;
    if (bad >= 8 && bad < 10) deductible = per_claim + rng_.Int64(1, m);
    b.limit_per_claim = {per_claim, "CNY"};
    b.aggregate_limit = {aggregate, "CNY"};
    b.deductible = {deductible, "CNY"};
    b.covered_costs = {"legal", "direct_loss"};
    const std::string submitter = rng_.Percent(3) ? rng_.Pick(kBanks) : rng_.Pick(kInsurers);
    return Make(submitter, b, {submitter});
  }

  // A policy id: mostly an issued one, rarely unknown.
  std::string PickPolicy() {
    if (m_.policies().empty() || rng_.Percent(5)) return "POL-GHOST-" + std::to_string(++serial_);
    return rng_.Pick(m_.policies()).first;
  }

  std::string ActingInsurer(const std::string& policy_id) {
    auto it = m_.policies().find(policy_id);
    if (it == m_.policies().end() || rng_.Percent(6)) return rng_.Pick(kInsurers);
    return it->second.insurer;
  }

  Gen GenPolicyCancel() {
    const std::string id = PickPolicy();
    PolicyCancel b;
    b.policy_id = id;
    b.effective_date = AddDays(today(), rng_.Int(-30, 200));
    b.reason = "non-payment";
    const std::string submitter = ActingInsurer(id);
    return Make(submitter, b, {submitter});
  }

  Gen GenPolicyClaim() {
    const std::string id = PickPolicy();
    PolicyClaim b;
    b.policy_id = id;
    b.claim_no = !m_.claims().empty() && rng_.Percent(3) && m_.policies().contains(id)
                     ? *m_.claims().begin()
                     : "CL-" + std::to_string(++serial_);
    auto it = m_.policies().find(id);
    std::int64_t per_claim = 5'000'000;
    Date start = today();
    int length = 100;
    if (it != m_.policies().end()) {
      const MPolicy& p = it->second;
      b.asset_id = rng_.Percent(92) ? rng_.Pick(p.covered) : rng_.Pick(asset_ids_);
      per_claim = p.per_claim;
      start = p.start;
      length = std::max(0, p.end.days - p.start.days);
      if (rng_.Percent(15)) per_claim = std::max<std::int64_t>(0, p.aggregate - p.paid);
    } else {
      b.asset_id = rng_.Pick(asset_ids_);
    }
    b.incident_date = AddDays(start, rng_.Int(-20, length + 20));
    const int r = rng_.Int(0, 99);
    std::int64_t paid = rng_.Int64(0, per_claim);
    if (r < 10) paid = per_claim;
    if (r >= 10 && r < 20) paid = per_claim + rng_.Int64(1, 1'000'000);
    b.paid = {paid, "CNY"};
    const std::string submitter = ActingInsurer(id);
    return Make(submitter, b, {submitter});
  }

  Gen Generate() {
    const int r = rng_.Int(0, 99);
    if (r < 30) return GenPledgeRegister();
    if (r < 40) return GenPledgeRelease();
    if (r < 45) return GenPledgeEnforce();
    if (r < 54) return GenPledgeAmend();
    if (r < 72) return GenAssetStatus();
    if (r < 81) return GenPolicyIssue();
    if (r < 85) return GenPolicyCancel();
    return GenPolicyClaim();
  }

  // --- Driving ----------------------------------------------------------------------------

  // Adds one submission to `batch` with the model's prediction.
  void Queue(std::vector<Pending>& batch) {
    const int r = rng_.Int(0, 99);
    if (r < 2 && !logged_.empty()) {
      // The same envelope again: the original outcome, nothing appended.
      const Logged& old = rng_.Pick(logged_);
      Expected e = old.original;
      e.kind = OutcomeKind::kReplayed;
      batch.push_back({old.submission, old.signers, e,
                       "replay of index " + std::to_string(*old.original.index) + ": " +
                           Describe(old.submission.statement)});
      return;
    }
    if (r < 3 && !logged_.empty()) {
      // The same idempotency key for another envelope: a conflict, nothing appended.
      const Logged& old = rng_.Pick(logged_);
      Statement st = old.submission.statement;
      st.created_ms = f_.now_ms() + 1;
      Expected e;
      e.kind = OutcomeKind::kRejected;
      e.codes = {"E_IDEMPOTENCY_CONFLICT"};
      batch.push_back({f_.Sign(st, old.signers), old.signers, e, "reused key: " + Describe(st)});
      return;
    }
    Gen g = Generate();
    const std::set<std::string> signers(g.signers.begin(), g.signers.end());
    const std::uint64_t index = m_.next_index;
    Prediction p = m_.Apply(g.st, signers, today());
    Expected e;
    e.kind = p.kind;
    e.codes = p.codes;
    e.warnings = p.warnings;
    if (p.kind != OutcomeKind::kRejected) e.index = index;
    batch.push_back({f_.Sign(g.st, g.signers), g.signers, e, Describe(g.st)});
  }

  // The model's and the registry's view of the assets `st` names, for failure messages.
  std::string AssetStates(const Statement& st) {
    std::vector<std::string> ids;
    if (const auto* b = std::get_if<PledgeRegister>(&st.body)) {
      ids = b->collateral;
      for (const std::string& id : b->collateral) {  // and the similar marks (T-4)
        auto it = m_.assets().find(id);
        if (it == m_.assets().end() || !it->second.group) continue;
        for (const auto& [other, a] : m_.assets()) {
          if (a.group == it->second.group &&
              std::find(ids.begin(), ids.end(), other) == ids.end()) {
            ids.push_back(other);
          }
        }
      }
    }
    if (const auto* b = std::get_if<AssetStatus>(&st.body)) ids = {b->asset_id};
    if (const auto* b = std::get_if<PledgeAmend>(&st.body)) {
      auto it = m_.pledges().find(b->pledge_id);
      if (it != m_.pledges().end()) ids = it->second.collateral;
    }
    std::ostringstream o;
    for (const std::string& id : ids) {
      auto it = m_.assets().find(id);
      if (it == m_.assets().end()) continue;
      const MAsset& a = it->second;
      o << "\n  model    " << id << ": holders " << Join(a.holders) << " last day "
        << FormatDate(a.last_day) << (a.patent ? " grant " + FormatDate(a.grant) : "")
        << (a.patent ? " paid through " + FormatDate(a.paid_through) : "")
        << (a.fee_grace ? " fee_grace" : "") << (a.terminated ? " terminated" : "")
        << (a.invalidated ? " invalidated" : "")
        << (a.invalidation_pending ? " invalidation_pending" : "")
        << (a.preservation ? " preservation" : "") << " active " << Join(a.active);
      auto r = f_.registry().GetAsset(id);
      if (!r.ok()) continue;
      o << "\n  registry " << id << ": holders " << Join(r->holders) << " legal "
        << LegalStatusName(r->legal)
        << (r->patent && r->patent->term_end ? " term end " + FormatDate(*r->patent->term_end) : "")
        << (r->patent && r->patent->grant_date ? " grant " + FormatDate(*r->patent->grant_date)
                                               : "")
        << (r->trademark ? " expiry " + FormatDate(r->trademark->expiry_date) : "")
        << (r->patent ? " paid through " + FormatDate(r->patent->annuity_paid_through) : "")
        << (r->fee_grace ? " fee_grace" : "")
        << (r->invalidation_pending ? " invalidation_pending" : "")
        << (r->preservation ? " preservation" : "") << " active " << Join(r->active_pledges);
    }
    return o.str();
  }

  // Submits `batch` as one Registry::Submit call; false (and a failure) on a mismatch.
  bool Flush(std::vector<Pending>& batch, int first_step) {
    std::vector<Submission> subs;
    for (const Pending& p : batch) subs.push_back(p.submission);
    auto out = f_.registry().Submit(subs);
    EXPECT_OK(out);
    if (!out.ok()) return false;
    for (size_t i = 0; i < batch.size(); ++i) {
      const Pending& p = batch[i];
      const SubmitOutcome& o = (*out)[i];
      const std::set<std::string> codes(o.codes.begin(), o.codes.end());
      const std::set<std::string> warnings(o.warnings.begin(), o.warnings.end());
      bool same = o.kind == p.expected.kind && codes == p.expected.codes;
      if (p.expected.index) same = same && o.index == *p.expected.index;
      if (o.kind != OutcomeKind::kRefused && o.kind != OutcomeKind::kRejected) {
        same = same && warnings == p.expected.warnings;
      }
      if (!same) {
        ADD_FAILURE() << "seed " << kSeed << ", step " << first_step + static_cast<int>(i)
                      << " (batch of " << batch.size() << "), today " << FormatDate(today())
                      << "\n  statement: " << p.what
                      << "\n  model:    " << KindName(p.expected.kind) << " "
                      << Join(p.expected.codes) << " warnings " << Join(p.expected.warnings)
                      << " index " << (p.expected.index ? std::to_string(*p.expected.index) : "-")
                      << "\n  registry: " << KindName(o.kind) << " " << Join(codes) << " warnings "
                      << Join(warnings) << " index " << o.index << " (" << o.detail << ")"
                      << AssetStates(p.submission.statement);
        return false;
      }
      if (p.expected.kind == OutcomeKind::kAccepted || p.expected.kind == OutcomeKind::kRefused) {
        logged_.push_back({p.submission, p.signers, p.expected});
      }
    }
    batch.clear();
    // A batch that changed the status map ends with the log's map.root entry.
    if (f_.registry().ledger().size() == m_.next_index + 1) ++m_.next_index;
    return true;
  }

  // Compares PledgeStatus (now and as of an earlier index), Coverage and the pledge
  // records for `n` random picks of each; false (and a failure) on the first mismatch.
  bool CompareQueries(int n, const std::string& when) {
    const std::uint64_t size = f_.registry().ledger().size();
    EXPECT_EQ(size, m_.next_index);
    for (int i = 0; i < n; ++i) {
      const std::string& asset = rng_.Pick(asset_ids_);
      const bool now = i % 2 == 0;
      const std::uint64_t at =
          now ? size - 1
              : static_cast<std::uint64_t>(rng_.Int64(static_cast<std::int64_t>(first_index_),
                                                      static_cast<std::int64_t>(size - 1)));
      auto view = now ? f_.registry().PledgeStatus(asset) : f_.registry().PledgeStatus(asset, at);
      EXPECT_OK(view) << asset;
      if (!view.ok()) return false;
      std::set<std::string> ids;
      for (const PledgeRecord& p : view->pledges) ids.insert(p.terms.pledge_id);
      const std::set<std::string> expected = m_.ActiveAsOf(asset, at);
      if (view->pledged != !expected.empty() || ids != expected || view->as_of_index != at) {
        ADD_FAILURE() << "seed " << kSeed << ", " << when << ": PledgeStatus(" << asset << ", "
                      << at << (now ? " = latest" : "") << "): model " << Join(expected)
                      << ", registry pledged=" << view->pledged << " " << Join(ids) << " as of "
                      << view->as_of_index;
        return false;
      }
    }
    for (int i = 0; i < n; ++i) {
      const std::string& asset = rng_.Pick(asset_ids_);
      const Date date = AddDays(today(), rng_.Int(-200, 600));
      auto view = f_.registry().Coverage(asset, date);
      EXPECT_OK(view) << asset;
      if (!view.ok()) return false;
      std::map<std::string, std::int64_t> remaining;
      for (const auto& p : view->policies)
        remaining[p.record.terms.policy_id] = p.remaining_aggregate;
      const ModelCoverage expected = m_.CoverageOn(asset, date);
      if (view->covered != expected.covered || remaining != expected.remaining) {
        std::ostringstream o;
        for (const auto& [id, left] : expected.remaining) o << " " << id << "=" << left;
        o << " | registry covered=" << view->covered;
        for (const auto& [id, left] : remaining) o << " " << id << "=" << left;
        ADD_FAILURE() << "seed " << kSeed << ", " << when << ": Coverage(" << asset << ", "
                      << FormatDate(date) << "): model covered=" << expected.covered << o.str();
        return false;
      }
    }
    for (int i = 0; i < n && !m_.pledges().empty(); ++i) {
      const auto& [id, mp] = rng_.Pick(m_.pledges());
      auto p = f_.registry().GetPledge(id);
      EXPECT_OK(p) << id;
      if (!p.ok()) return false;
      const PledgeState state = mp.state == MState::kRegistered  ? PledgeState::kRegistered
                                : mp.state == MState::kEnforcing ? PledgeState::kEnforcing
                                                                 : PledgeState::kReleased;
      const std::set<std::string> collateral(p->terms.collateral.begin(),
                                             p->terms.collateral.end());
      if (p->state != state || p->pledgee != mp.pledgee ||
          collateral != std::set<std::string>(mp.collateral.begin(), mp.collateral.end()) ||
          p->terms.debt_term.end != mp.debt_end) {
        ADD_FAILURE() << "seed " << kSeed << ", " << when << ": pledge " << id << " differs: model "
                      << static_cast<int>(mp.state) << " " << Join(mp.collateral) << ", registry "
                      << PledgeStateName(p->state) << " " << Join(p->terms.collateral);
        return false;
      }
    }
    return true;
  }

  RegistryFixture f_;
  Model m_;
  Rng rng_;
  std::vector<std::string> asset_ids_;
  std::uint64_t first_index_ = 0;
  int serial_ = 0;
  std::vector<Logged> logged_;
};

TEST_F(RegistryModelTest, RandomStatementsAgreeWithTheModel) {
  const auto started = std::chrono::steady_clock::now();
  std::map<OutcomeKind, int> kinds;
  std::map<std::string, int> codes;
  int step = 0;
  while (step < kSteps) {
    if (rng_.Percent(20)) f_.SetToday(AddDays(today(), rng_.Int(0, 3)));
    const int size = rng_.Percent(55) ? 1 : rng_.Int(2, 6);
    std::vector<Pending> batch;
    for (int i = 0; i < size && step + i < kSteps; ++i) Queue(batch);
    for (const Pending& p : batch) {
      ++kinds[p.expected.kind];
      for (const std::string& c : p.expected.codes) ++codes[c];
    }
    const int first = step;
    step += static_cast<int>(batch.size());
    if (!Flush(batch, first)) return;
    if (rng_.Percent(5) && !CompareQueries(3, "after step " + std::to_string(step))) return;
  }
  if (!CompareQueries(40, "at the end")) return;
  // Every asset, now and as of every tenth index since the setup.
  const std::uint64_t size = f_.registry().ledger().size();
  for (const std::string& asset : asset_ids_) {
    for (std::uint64_t at = first_index_; at < size; at += 10) {
      auto view = f_.registry().PledgeStatus(asset, at);
      ASSERT_OK(view);
      std::set<std::string> ids;
      for (const PledgeRecord& p : view->pledges) ids.insert(p.terms.pledge_id);
      ASSERT_EQ(ids, m_.ActiveAsOf(asset, at)) << asset << " as of " << at << ", seed " << kSeed;
    }
  }

  // The run must have exercised what it claims to: outcomes of every kind and every code.
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::ostringstream summary;
  summary << "steps " << kSteps << ", log size " << size << ", last day " << FormatDate(today())
          << ", " << elapsed.count() << " ms;";
  for (const auto& [k, n] : kinds) summary << " " << KindName(k) << "=" << n;
  for (const auto& [c, n] : codes) summary << " " << c << "=" << n;
  std::printf("%s\n", summary.str().c_str());
  EXPECT_GT(kinds[OutcomeKind::kAccepted], kSteps / 5) << summary.str();
  EXPECT_GT(kinds[OutcomeKind::kRefused], kSteps / 10) << summary.str();
  EXPECT_GT(kinds[OutcomeKind::kReplayed], 10) << summary.str();
  for (const char* code :
       {"E_PLEDGOR_NOT_HOLDER", "E_ASSET_NOT_PLEDGEABLE", "E_FEE_GRACE", "E_PRESERVATION",
        "E_TERM_BEYOND_ASSET", "E_ALREADY_PLEDGED", "A_INVALIDATION_PENDING",
        "E_SIMILAR_MARKS_SPLIT", "E_NOT_ACTIVE", "E_POLICY_TERMS", "E_OUTSIDE_PERIOD",
        "E_LIMIT_EXCEEDED", "E_DUPLICATE_ID", "E_UNKNOWN_REFERENCE", "E_FORBIDDEN",
        "E_IDEMPOTENCY_CONFLICT"}) {
    EXPECT_GT(codes[code], 0) << code << " never predicted; " << summary.str();
  }
}

// Found by the model (seed 20260601, step 1800): the registry keeps one legal status, so
// a partially_invalidated event after `terminated` overwrote it and the terminated patent
// became pledgeable again. P-2 / api.md E_ASSET_NOT_PLEDGEABLE: a terminated patent is not
// pledgeable, and v1 has no restoration event.
TEST(RegistryRegressionTest, PartialInvalidationDoesNotReviveATerminatedPatent) {
  RegistryFixture f;
  f.AddParticipant("ccb-quzhou", Role::kBank);
  f.AddParticipant("qiantang-bio", Role::kEnterprise);
  f.AddPatent("202130000077X", {"qiantang-bio"}, PatentType::kDesign, DateFromCivil(2021, 6, 1));
  f.AddPatent("2020200000996", {"qiantang-bio"}, PatentType::kUtilityModel,
              DateFromCivil(2020, 2, 10));
  const auto event = [&](const std::string& id, AssetEvent e) {
    SubmitOutcome o = f.Submit(f.Make("registry", AssetStatus{id, e, f.today(), {}, {}, {}}));
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << testing::CodesOf(o) << " " << o.detail;
  };
  const auto pledge = [&](const std::string& pledge_id, const std::string& id) {
    PledgeRegister b = f.PledgeBody(pledge_id, {"qiantang-bio"}, {id}, DateFromCivil(2028, 1, 1));
    return f.Submit(f.Make("ccb-quzhou", b), {"ccb-quzhou", "qiantang-bio"});
  };
  event("patent:202130000077X", AssetEvent::kTerminated);
  event("patent:202130000077X", AssetEvent::kPartiallyInvalidated);
  SubmitOutcome terminated = pledge("PL-1", "patent:202130000077X");
  EXPECT_EQ(terminated.kind, OutcomeKind::kRefused) << testing::CodesOf(terminated);
  EXPECT_EQ(terminated.codes, std::vector<std::string>{"E_ASSET_NOT_PLEDGEABLE"})
      << terminated.detail;
  // The neighbour: a patent only partially invalidated stays pledgeable.
  event("patent:2020200000996", AssetEvent::kPartiallyInvalidated);
  SubmitOutcome partial = pledge("PL-2", "patent:2020200000996");
  EXPECT_EQ(partial.kind, OutcomeKind::kAccepted)
      << testing::CodesOf(partial) << " " << partial.detail;
}

}  // namespace
}  // namespace ipledger
