// Issue #19's refusals (rules_pledges.cc): each attack is refused with its code, leaves
// exactly one refusal leaf and no state change, and its legitimate neighbour passes.
// Real RocksDB, real Ed25519 signatures.
#include "crypto/bytes.h"
#include "ledger/registry/pledge_state.h"
#include "ledger/registry/registry.h"
#include "tests/testing/refusal_checks.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

constexpr const char* kPatent = "patent:2014103620773";
// The correction window of rules.h (kCorrectionWindowDays), as documented.
constexpr int kCorrectionWindowDays = 30;

class RulesPledgesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddParticipant("hengtai-valve", Role::kEnterprise, "330881");
    f_.AddParticipant("picc-zhejiang", Role::kInsurer, "330000");
    f_.AddParticipant("zhonghe-appraisal", Role::kAppraiser, "330100");
    f_.AddPatent("2014103620773", {"lanyu-materials"});
  }

  SubmitOutcome Pledge(const PledgeRegister& b) {
    return f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
  }
  PledgeRegister Body(const std::string& id, Date end = DateFromCivil(2028, 6, 1)) {
    return f_.PledgeBody(id, {"lanyu-materials"}, {kPatent}, end);
  }

  // Submits `s` and expects a rule refusal with `code`: exactly one leaf, a refusal.
  void ExpectOneRefusal(const Statement& s, const std::string& code,
                        const std::vector<std::string>& signers = {}) {
    testing::ExpectOneRefusal(f_, s, code, signers);
  }
  void ExpectAccepted(const SubmitOutcome& o) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }

  PolicyIssue Policy(const std::string& id, Date start, Date end) {
    PolicyIssue p;
    p.policy_id = id;
    p.product = "infringement_loss";
    p.insured = "lanyu-materials";
    p.loss_payees = {"ccb-quzhou"};
    p.covered_assets = {kPatent};
    p.period = {start, end};
    p.limit_per_claim = {50'000'000, "CNY"};
    p.aggregate_limit = {100'000'000, "CNY"};
    p.deductible = {1'000'000, "CNY"};
    return p;
  }
  Statement Claim(const std::string& no, Date incident, std::int64_t paid) {
    return f_.Make("picc-zhejiang", PolicyClaim{no, "POL-1", kPatent, incident, {paid, "CNY"}});
  }
  ValuationAttest Valuation(const std::string& id, const std::string& asset, Date base,
                            std::optional<Date> valid_until = {}) {
    ValuationAttest v;
    v.valuation_id = id;
    v.items = {{asset, {500'000'000, "CNY"}, 80, 75, 70}};
    v.total = {500'000'000, "CNY"};
    v.standard = "GB/T 42748-2023";
    v.methods = {ValuationMethod::kIncome};
    v.base_date = base;
    v.valid_until = valid_until;
    v.report_sha256 = Sha256(AsBytes("report " + id));
    return v;
  }

  RegistryFixture f_;
};

// P-6: "a pledge of ¥0".
TEST_F(RulesPledgesTest, P6_PledgeOfZeroIsRefusedOneOfAFenIsNot) {
  PledgeRegister zero = Body("PL-0");
  zero.secured.amount.amount = 0;
  ExpectOneRefusal(f_.Make("ccb-quzhou", zero), "E_ZERO_AMOUNT", {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(f_.registry().GetPledge("PL-0").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(f_.registry().PledgeStatus(kPatent)->pledged);
  PledgeRegister one = Body("PL-1");
  one.secured.amount.amount = 1;
  ExpectAccepted(Pledge(one));
  // An amendment to zero is refused too, and the amount stays.
  PledgeAmend amend;
  amend.pledge_id = "PL-1";
  amend.secured = Secured{SecuredType::kLoan, {0, "CNY"}};
  ExpectOneRefusal(f_.Make("ccb-quzhou", amend), "E_ZERO_AMOUNT",
                   {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->terms.secured.amount.amount, 1);
}

// I-3: "a claim for an incident 200 days in the future".
TEST_F(RulesPledgesTest, I3_ClaimForAFutureIncidentIsRefusedTodaysIsNot) {
  const Date s = f_.today();
  ExpectAccepted(
      f_.Submit(f_.Make("picc-zhejiang", Policy("POL-1", AddDays(s, -30), AddYears(s, 1)))));
  ExpectOneRefusal(Claim("CL-1", AddDays(s, 200), 2'000'000), "E_OUTSIDE_PERIOD");
  ExpectOneRefusal(Claim("CL-2", AddDays(s, 1), 2'000'000), "E_OUTSIDE_PERIOD");
  EXPECT_EQ(f_.registry().GetPolicy("POL-1")->claims_paid, 0);
  ExpectAccepted(f_.Submit(Claim("CL-3", s, 2'000'000)));
  EXPECT_EQ(f_.registry().GetPolicy("POL-1")->claims_paid, 2'000'000);
}

// I-3: "a payout below the deductible". `paid` is the amount after the deductible (the
// insurer pays the loss less the retention), so any positive payment is consistent with
// the deductible; a payment of zero is not a paid claim and is refused.
TEST_F(RulesPledgesTest, I3_ZeroPayoutIsRefusedPaidIsAfterTheDeductible) {
  const Date s = f_.today();
  ExpectAccepted(
      f_.Submit(f_.Make("picc-zhejiang", Policy("POL-1", AddDays(s, -30), AddYears(s, 1)))));
  ExpectOneRefusal(Claim("CL-1", s, 0), "E_ZERO_AMOUNT");
  EXPECT_TRUE(f_.registry().GetPolicy("POL-1")->claims.empty());
  // 1 fen after a deductible of 10,000 yuan: a loss of 10,000.01 yuan.
  ExpectAccepted(f_.Submit(Claim("CL-2", AddDays(s, -1), 1)));
  EXPECT_EQ(f_.registry().GetPolicy("POL-1")->claims_paid, 1);
}

// V-2: "a valuation with a future base date".
TEST_F(RulesPledgesTest, V2_ValuationWithAFutureBaseDateIsRefusedTodaysIsNot) {
  const Date s = f_.today();
  ExpectOneRefusal(f_.Make("zhonghe-appraisal", Valuation("VAL-1", kPatent, AddDays(s, 1))),
                   "E_VALUATION_DATES");
  EXPECT_EQ(f_.registry().GetValuation("VAL-1").status().code(), ErrorCode::kNotFound);
  ExpectAccepted(f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-1", kPatent, s))));
}

// V-2: "valid_until before its base date".
TEST_F(RulesPledgesTest, V2_ValidUntilBeforeTheBaseDateIsRefusedOnItIsNot) {
  const Date s = f_.today();
  const Date base = AddDays(s, -10);
  ExpectOneRefusal(
      f_.Make("zhonghe-appraisal", Valuation("VAL-1", kPatent, base, AddDays(base, -1))),
      "E_VALUATION_DATES");
  EXPECT_EQ(f_.registry().GetValuation("VAL-1").status().code(), ErrorCode::kNotFound);
  ExpectAccepted(f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-1", kPatent, base, base))));
}

// V-3: "a pledge citing a valuation of another asset".
TEST_F(RulesPledgesTest, V3_PledgeCitingAValuationOfAnotherAssetIsRefused) {
  const Date s = f_.today();
  f_.AddPatent("2015100000010", {"hengtai-valve"});
  ExpectAccepted(
      f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-OTHER", "patent:2015100000010", s))));
  ExpectAccepted(f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-OWN", kPatent, s))));
  PledgeRegister other = Body("PL-1");
  other.valuation_ids = {"VAL-OTHER"};
  ExpectOneRefusal(f_.Make("ccb-quzhou", other), "E_VALUATION_NOT_OF_COLLATERAL",
                   {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(f_.registry().GetPledge("PL-1").status().code(), ErrorCode::kNotFound);
  PledgeRegister own = Body("PL-1");
  own.valuation_ids = {"VAL-OWN"};
  ExpectAccepted(Pledge(own));
}

// L-2: "a policy cancelled with a back-dated effective date (2020) rewrites today's
// coverage". Within the correction window a late cancellation is still recorded.
TEST_F(RulesPledgesTest, L2_BackdatedCancellationIsRefusedOneInTheWindowIsNot) {
  const Date s = f_.today();
  ExpectAccepted(f_.Submit(
      f_.Make("picc-zhejiang", Policy("POL-1", DateFromCivil(2019, 1, 1), AddYears(s, 1)))));
  ExpectOneRefusal(
      f_.Make("picc-zhejiang", PolicyCancel{"POL-1", DateFromCivil(2020, 1, 1), "backdated"}),
      "E_BACKDATED");
  ExpectOneRefusal(f_.Make("picc-zhejiang",
                           PolicyCancel{"POL-1", AddDays(s, -kCorrectionWindowDays - 1), "late"}),
                   "E_BACKDATED");
  EXPECT_FALSE(f_.registry().GetPolicy("POL-1")->cancelled_from);
  EXPECT_TRUE(f_.registry().Coverage(kPatent, s)->covered);
  SubmitOutcome cancel = f_.Submit(
      f_.Make("picc-zhejiang", PolicyCancel{"POL-1", AddDays(s, -kCorrectionWindowDays), "late"}));
  ExpectAccepted(cancel);
  EXPECT_FALSE(f_.registry().Coverage(kPatent, s)->covered);
  // Coverage as of the entry before the cancellation still shows the cover, and says so.
  auto before = f_.registry().Coverage(kPatent, s, cancel.index - 1);
  ASSERT_OK(before);
  EXPECT_TRUE(before->covered);
  EXPECT_EQ(before->as_of_index, cancel.index - 1);
  // The latest entry is the cancellation batch's map.root entry.
  EXPECT_EQ(f_.registry().Coverage(kPatent, s)->as_of_index, cancel.index + 1);
}

// L-2 for asset status events: a termination back-dated past the window is refused.
TEST_F(RulesPledgesTest, L2_BackdatedAssetEventIsRefusedOneInTheWindowIsNot) {
  const Date s = f_.today();
  AssetStatus ev;
  ev.asset_id = kPatent;
  ev.event = AssetEvent::kPreservation;
  ev.effective_date = DateFromCivil(2020, 1, 1);
  ExpectOneRefusal(f_.Make("registry", ev), "E_BACKDATED");
  EXPECT_FALSE(f_.registry().GetAsset(kPatent)->preservation);
  ev.effective_date = AddDays(s, -5);
  ExpectAccepted(f_.Submit(f_.Make("registry", ev)));
  EXPECT_TRUE(f_.registry().GetAsset(kPatent)->preservation);
}

// §8.3: "a pledge whose debt ended in 2020 is accepted".
TEST_F(RulesPledgesTest, PledgeWhoseDebtTermEndedIsRefusedOneEndingTodayIsNot) {
  const Date s = f_.today();
  PledgeRegister ended = Body("PL-1", DateFromCivil(2020, 12, 31));
  ended.debt_term.start = DateFromCivil(2020, 1, 1);
  ExpectOneRefusal(f_.Make("ccb-quzhou", ended), "E_TERM_ENDED", {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(f_.registry().GetPledge("PL-1").status().code(), ErrorCode::kNotFound);
  PledgeRegister today = Body("PL-1", s);
  today.debt_term.start = AddDays(s, -30);
  ExpectAccepted(Pledge(today));
}

// §8.3: "a pledge whose debt ended ... shows 'registered' for ever". A patent pledge past
// its debt term is overdue and never expires; a trademark pledge lapses (expired) once the
// grace after its term has passed; a released pledge is released whatever the date.
TEST_F(RulesPledgesTest, DerivedStateIsOverdueForPatentsAndExpiredForMarks) {
  const Date s = f_.today();
  f_.AddTrademark("12345678", {"lanyu-materials"}, DateFromCivil(2040, 1, 1), "G1");
  ExpectAccepted(Pledge(Body("PL-P", AddDays(s, 10))));
  ExpectAccepted(
      Pledge(f_.PledgeBody("PL-T", {"lanyu-materials"}, {"trademark:12345678"}, AddDays(s, 10))));
  auto patent = f_.registry().GetPledge("PL-P");
  auto mark = f_.registry().GetPledge("PL-T");
  ASSERT_OK(patent);
  ASSERT_OK(mark);
  EXPECT_EQ(DerivedPledgeState(*patent, AddDays(s, 10)), "registered");
  EXPECT_EQ(DerivedPledgeState(*patent, AddDays(s, 11)), "overdue");
  EXPECT_EQ(DerivedPledgeState(*patent, AddYears(s, 30)), "overdue");
  EXPECT_EQ(DerivedPledgeState(*mark, AddDays(s, 11)), "overdue");
  EXPECT_EQ(DerivedPledgeState(*mark, AddDays(s, 10 + kPledgeLapseGraceDays)), "overdue");
  EXPECT_EQ(DerivedPledgeState(*mark, AddDays(s, 11 + kPledgeLapseGraceDays)), "expired");
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-P", ReleaseReason::kRepaid, {}})));
  EXPECT_EQ(DerivedPledgeState(*f_.registry().GetPledge("PL-P"), AddYears(s, 30)), "released");
}

}  // namespace
}  // namespace ipledger
