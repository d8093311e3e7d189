// Money rules (issue #12, item 3): a pledge's LTV comes only from the valuations it cites
// (pledge.register's valuation_ids, joined by those a pledge.amend cites).
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

class MoneyRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddParticipant("zhonghe-appraisal", Role::kAppraiser, "330100");
    f_.AddParticipant("rogue-appraisal", Role::kAppraiser, "330100");
    f_.AddPatent("2014103620773", {"lanyu-materials"});
  }

  SubmitOutcome Value(const std::string& appraiser, const std::string& id, std::int64_t value) {
    ValuationAttest v;
    v.valuation_id = id;
    v.items = {{"patent:2014103620773", {value, "CNY"}, 80, 75, 70}};
    v.total = {value, "CNY"};
    v.standard = "GB/T 42748-2023";
    v.methods = {ValuationMethod::kIncome};
    v.base_date = AddDays(f_.today(), -1);
    v.report_sha256 = Sha256(AsBytes("report " + id));
    return f_.Submit(f_.Make(appraiser, v));
  }
  SubmitOutcome Register(std::vector<std::string> valuation_ids) {
    PledgeRegister b = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                     DateFromCivil(2028, 6, 1), 100'000'000);
    b.valuation_ids = std::move(valuation_ids);
    return f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
  }
  SubmitOutcome Amend(std::vector<std::string> valuation_ids) {
    PledgeAmend a;
    a.pledge_id = "PL-1";
    a.valuation_ids = std::move(valuation_ids);
    return f_.Submit(f_.Make("ccb-quzhou", a), {"ccb-quzhou", "lanyu-materials"});
  }
  std::optional<std::int64_t> Ltv() {
    auto ltv = f_.registry().LtvBps("PL-1", f_.today());
    EXPECT_OK(ltv);
    return ltv.ok() ? *ltv : std::nullopt;
  }
  void Accepted(const SubmitOutcome& o) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }

  RegistryFixture f_;
};

// Issue #12, attack "Any appraiser moves any pledge's LTV by valuing its collateral at
// 1 fen: LTV ignores the valuations the pledge cites".
TEST_F(MoneyRulesTest, AnyAppraiserMovesAnyPledgesLtvByValuingCollateralAt1Fen) {
  Accepted(Value("zhonghe-appraisal", "VAL-1", 500'000'000));
  Accepted(Register({"VAL-1"}));
  EXPECT_EQ(Ltv(), 2000);  // 100,000,000 / 500,000,000
  // A later, newer valuation of the same patent at 1 fen by another appraiser: accepted
  // (anyone may value an asset), but the pledge does not cite it, so its LTV stays.
  const std::uint64_t size = f_.registry().ledger().size();
  Accepted(Value("rogue-appraisal", "VAL-ROGUE", 1));
  EXPECT_EQ(f_.registry().ledger().size(), size + 1);
  EXPECT_EQ(Ltv(), 2000);
  // Nor does a valuation at a huge amount (the other direction).
  Accepted(Value("rogue-appraisal", "VAL-HUGE", 1'000'000'000'000'000));
  EXPECT_EQ(Ltv(), 2000);
}

TEST_F(MoneyRulesTest, AnAmendmentCitingAValuationCountsItAndAnUnknownOneIsRefused) {
  Accepted(Value("zhonghe-appraisal", "VAL-1", 500'000'000));
  Accepted(Register({"VAL-1"}));
  Accepted(Value("zhonghe-appraisal", "VAL-2", 400'000'000));
  EXPECT_EQ(Ltv(), 2000);
  // Citing a valuation that does not exist: a rule refusal, one refusal leaf, no change.
  const std::uint64_t size = f_.registry().ledger().size();
  SubmitOutcome bad = Amend({"VAL-NONE"});
  EXPECT_EQ(bad.kind, OutcomeKind::kRefused) << CodesOf(bad);
  EXPECT_EQ(bad.codes, std::vector<std::string>{"E_UNKNOWN_REFERENCE"});
  EXPECT_EQ(f_.registry().ledger().size(), size + 1);
  auto p = f_.registry().GetPledge("PL-1");
  ASSERT_OK(p);
  EXPECT_EQ(p->terms.valuation_ids, std::vector<std::string>{"VAL-1"});
  EXPECT_EQ(Ltv(), 2000);
  // The legitimate neighbour: the amendment cites VAL-2, the latest cited valuation.
  Accepted(Amend({"VAL-2"}));
  p = f_.registry().GetPledge("PL-1");
  ASSERT_OK(p);
  EXPECT_EQ(p->terms.valuation_ids, (std::vector<std::string>{"VAL-1", "VAL-2"}));
  EXPECT_EQ(Ltv(), 2500);  // 100,000,000 / 400,000,000
}

TEST_F(MoneyRulesTest, APledgeCitingNoValuationHasNoLtv) {
  Accepted(Value("zhonghe-appraisal", "VAL-1", 500'000'000));
  Accepted(Register({}));
  EXPECT_EQ(Ltv(), std::nullopt);
}

// Issue #19, attack "a pledge with another debtor joins a case": refused with
// E_CASE_DEBTOR_MISMATCH (one refusal leaf, no pledge, the case unchanged); a pledge
// with the case's debtor joins it.
TEST_F(MoneyRulesTest, APledgeWithAnotherDebtorJoinsACase) {
  f_.AddParticipant("hengtai-valve", Role::kEnterprise, "330881");
  CaseRegister k;
  k.case_id = "C1";
  k.debtor = "hengtai-valve";
  k.facility = {4'500'000'000, "CNY"};
  k.term = {f_.today(), DateFromCivil(2029, 12, 31)};
  Accepted(f_.Submit(f_.Make("ccb-quzhou", k)));
  PledgeRegister b = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                   DateFromCivil(2028, 6, 1));
  b.case_id = "C1";
  const std::uint64_t size = f_.registry().ledger().size();
  SubmitOutcome bad = f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(bad.kind, OutcomeKind::kRefused) << CodesOf(bad);
  EXPECT_EQ(bad.codes, std::vector<std::string>{"E_CASE_DEBTOR_MISMATCH"});
  EXPECT_EQ(f_.registry().ledger().size(), size + 1);
  EXPECT_FALSE(f_.registry().GetPledge("PL-1").ok());
  auto kase = f_.registry().GetCase("C1");
  ASSERT_OK(kase);
  EXPECT_TRUE(kase->pledges.empty());
  // The legitimate neighbour: the case's own debtor.
  b.debtor = "hengtai-valve";
  Accepted(f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"}));
  kase = f_.registry().GetCase("C1");
  ASSERT_OK(kase);
  EXPECT_EQ(kase->pledges, std::vector<std::string>{"PL-1"});
}

}  // namespace
}  // namespace ipledger
