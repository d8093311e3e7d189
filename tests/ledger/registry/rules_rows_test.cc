// Issue #19's remaining rows: data certificates (D-2, D-5), the registry's revocation on a
// court order, the pledgor's countersigned release request, the enforcement date inside
// the correction window, and statistics that follow the facts (S-1). Each refusal leaves
// exactly one refusal leaf and no state change; its legitimate neighbour passes. Real
// RocksDB, real Ed25519 signatures.
#include <algorithm>

#include "crypto/bytes.h"
#include "ledger/registry/asset_id.h"
#include "ledger/registry/registry.h"
#include "tests/testing/refusal_checks.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

constexpr const char* kPatent = "patent:2014103620773";
constexpr std::int64_t kYuan = 100;

// A valid USCC: 17 characters and their GB 32100-2015 check character.
std::string Uscc(std::string_view first17) {
  return std::string(first17) + *UsccCheckCharacter(first17);
}

class RulesRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddPatent("2014103620773", {"lanyu-materials"});
  }

  SubmitOutcome Pledge(const PledgeRegister& b) {
    return f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
  }
  PledgeRegister Body(const std::string& id, std::int64_t amount = 100'000'000) {
    return f_.PledgeBody(id, {"lanyu-materials"}, {kPatent}, DateFromCivil(2028, 6, 1), amount);
  }

  // Submits `s` and expects a rule refusal with `code`: exactly one leaf, a refusal.
  void ExpectOneRefusal(const Statement& s, const std::string& code,
                        const std::vector<std::string>& signers = {}) {
    testing::ExpectOneRefusal(f_, s, code, signers);
  }
  // Expects an admission refusal: nothing logged.
  void ExpectForbidden(const Statement& s, std::vector<std::string> signers) {
    const std::uint64_t before = f_.registry().ledger().size();
    SubmitOutcome o = f_.Submit(s, signers);
    EXPECT_EQ(o.kind, OutcomeKind::kRejected) << CodesOf(o) << " " << o.detail;
    EXPECT_EQ(f_.registry().ledger().size(), before);
  }
  void ExpectAccepted(const SubmitOutcome& o) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }

  AssetRegister Data(const std::string& token, DataSource source, std::optional<Date> licence_end) {
    AssetRegister a;
    a.asset_id = "data:" + token;
    a.kind = AssetKind::kData;
    a.holders = {"lanyu-materials"};
    a.data =
        DataFacts{"Data " + token, "records", 10, Sha256(AsBytes(token)), source, "s", licence_end};
    return a;
  }
  // Registers and publicizes `a`, then moves past its publicity period.
  void Publicize(const AssetRegister& a) {
    ExpectAccepted(f_.Submit(f_.Make("lanyu-materials", a)));
    ExpectAccepted(
        f_.Submit(f_.Make("registry", DataPublicize{a.asset_id, AddDays(f_.today(), 10)})));
    f_.SetToday(AddDays(f_.today(), 11));
  }

  RegistryFixture f_;
};

// "A licensed data set without the licence's end" (D-2).
TEST_F(RulesRowsTest, D2_LicensedDataWithoutLicenceEndIsRefusedWithItPasses) {
  const Date end = AddYears(f_.today(), 2);
  ExpectOneRefusal(f_.Make("lanyu-materials", Data("lic", DataSource::kLicensed, {})),
                   "E_LICENCE_END_MISSING");
  ExpectOneRefusal(f_.Make("lanyu-materials", Data("buy", DataSource::kPurchased, {})),
                   "E_LICENCE_END_MISSING");
  EXPECT_EQ(f_.registry().GetAsset("data:lic").status().code(), ErrorCode::kNotFound);
  ExpectAccepted(f_.Submit(f_.Make("lanyu-materials", Data("lic", DataSource::kLicensed, end))));
  ExpectAccepted(
      f_.Submit(f_.Make("lanyu-materials", Data("own", DataSource::kSelfCollected, {}))));
}

// "A data certificate valid until 2099" (D-5) and one beyond its licence (D-2).
TEST_F(RulesRowsTest, D5_CertificateUntil2099IsRefusedThreeYearsAndTheLicenceEndPass) {
  const AssetRegister own = Data("own", DataSource::kSelfCollected, {});
  Publicize(own);
  ExpectOneRefusal(f_.Make("registry", DataConfirm{own.asset_id, "C1", DateFromCivil(2099, 1, 1)}),
                   "E_CERTIFICATE_TERM");
  ExpectOneRefusal(f_.Make("registry", DataConfirm{own.asset_id, "C1", AddDays(f_.today(), -1)}),
                   "E_CERTIFICATE_TERM");
  EXPECT_EQ(f_.registry().GetAsset(own.asset_id)->data_state, DataState::kInPublicity);
  ExpectAccepted(
      f_.Submit(f_.Make("registry", DataConfirm{own.asset_id, "C1", AddYears(f_.today(), 3)})));

  const Date licence_end = AddYears(f_.today(), 1);
  const AssetRegister lic = Data("lic", DataSource::kLicensed, licence_end);
  Publicize(lic);
  ExpectOneRefusal(f_.Make("registry", DataConfirm{lic.asset_id, "C2", AddDays(licence_end, 1)}),
                   "E_CERTIFICATE_TERM");
  ExpectAccepted(f_.Submit(f_.Make("registry", DataConfirm{lic.asset_id, "C2", licence_end})));
  EXPECT_EQ(*f_.registry().GetAsset(lic.asset_id)->certificate_valid_until, licence_end);
}

// §8.3 REVOKE: the registry revokes a pledge on a court order, naming the order's hash.
TEST_F(RulesRowsTest, RegistryRevokesAPledgeOnACourtOrderNoOneElseMay) {
  ExpectAccepted(Pledge(Body("PL-1")));
  const PledgeRevoke revoke{"PL-1", Sha256(AsBytes("(2026) court order")), "court order"};
  ExpectForbidden(f_.Make("ccb-quzhou", revoke), {"ccb-quzhou"});
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->state, PledgeState::kRegistered);
  ExpectAccepted(f_.Submit(f_.Make("registry", revoke)));
  auto p = f_.registry().GetPledge("PL-1");
  ASSERT_OK(p);
  EXPECT_EQ(p->state, PledgeState::kRevoked);
  EXPECT_EQ(*p->revocation_order_sha256, revoke.order_sha256);
  EXPECT_FALSE(f_.registry().PledgeStatus(kPatent)->pledged);
  // Once revoked, neither a second revocation nor a release applies.
  ExpectOneRefusal(f_.Make("registry", revoke), "E_NOT_ACTIVE");
  ExpectOneRefusal(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}}),
                   "E_NOT_ACTIVE");
  // The asset is free again.
  ExpectAccepted(Pledge(Body("PL-2")));
}

// the pledgor's release request takes effect countersigned by the pledgee.
TEST_F(RulesRowsTest, PledgorsReleaseRequestNeedsThePledgeesCountersignature) {
  ExpectAccepted(Pledge(Body("PL-1")));
  const PledgeReleaseRequest request{"PL-1", ReleaseReason::kRepaid,
                                     Sha256(AsBytes("repayment receipt"))};
  ExpectForbidden(f_.Make("lanyu-materials", request), {"lanyu-materials"});
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->state, PledgeState::kRegistered);
  f_.AddParticipant("other-firm", Role::kEnterprise);
  ExpectForbidden(f_.Make("other-firm", request), {"other-firm", "ccb-quzhou"});
  ExpectAccepted(f_.Submit(f_.Make("lanyu-materials", request), {"lanyu-materials", "ccb-quzhou"}));
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->state, PledgeState::kReleased);
  EXPECT_EQ(*f_.registry().GetPledge("PL-1")->release_reason, ReleaseReason::kRepaid);
  ExpectOneRefusal(f_.Make("lanyu-materials", request), "E_NOT_ACTIVE",
                   {"lanyu-materials", "ccb-quzhou"});
}

// Time: an enforcement start earlier than the correction window is refused.
TEST_F(RulesRowsTest, L2_BackdatedEnforcementIsRefusedOneInTheWindowIsNot) {
  ExpectAccepted(Pledge(Body("PL-1")));
  ExpectOneRefusal(f_.Make("ccb-quzhou", PledgeEnforce{"PL-1", DateFromCivil(2020, 1, 1)}),
                   "E_BACKDATED");
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->state, PledgeState::kRegistered);
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", PledgeEnforce{"PL-1", AddDays(f_.today(), -30)})));
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->state, PledgeState::kEnforcing);
}

// "Statistics inflated" (S-1): a second participant with an existing USCC, a ¥100 m pledge
// in a ¥45 m case, an amendment from ¥1 m to ¥1 bn; and the combination loan's IP share.
TEST_F(RulesRowsTest, S1_StatisticsFollowTheFacts) {
  const std::string uscc = Uscc("91330800MA2D7Q3K0");
  for (const char* id : {"firm-a", "firm-a-branch"}) {
    ParticipantRegister p;
    p.id = id;
    p.name = id;
    p.role = Role::kEnterprise;
    p.uscc = uscc;
    p.region_code = "330802";
    p.keys = {{"k1", f_.KeyOf(id).public_key()}};
    ExpectAccepted(f_.Submit(f_.Make("registry", p)));
  }
  f_.AddPatent("2014100000001", {"firm-a"});
  f_.AddPatent("2014100000020", {"firm-a-branch"});
  CaseRegister c;
  c.case_id = "C1";
  c.debtor = "firm-a";
  c.facility = {45'000'000 * kYuan, "CNY"};
  c.term = {f_.today(), DateFromCivil(2029, 12, 31)};
  c.other_collateral = {{CollateralKind::kRealEstate, "factory", {26'600'000 * kYuan, "CNY"}}};
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", c)));

  PledgeRegister big = f_.PledgeBody("P1", {"firm-a"}, {"patent:2014100000001"},
                                     DateFromCivil(2028, 6, 1), 100'000'000 * kYuan);
  big.case_id = "C1";
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", big), {"ccb-quzhou", "firm-a"}));
  // A pledge with another debtor cannot join the case.
  PledgeRegister other = f_.PledgeBody("P2", {"firm-a-branch"}, {"patent:2014100000020"},
                                       DateFromCivil(2028, 6, 1), 1'000'000 * kYuan);
  other.debtor = "firm-a-branch";
  other.case_id = "C1";
  ExpectOneRefusal(f_.Make("ccb-quzhou", other), "E_CASE_DEBTOR_MISMATCH",
                   {"ccb-quzhou", "firm-a-branch"});
  other.case_id.reset();
  SubmitOutcome p2 = f_.Submit(f_.Make("ccb-quzhou", other), {"ccb-quzhou", "firm-a-branch"});
  ExpectAccepted(p2);

  StatsQuery q;
  q.from = AddDays(f_.today(), -1);
  q.to = AddDays(f_.today(), 1);
  StatsTotals t = f_.registry().Stats(q).totals;
  EXPECT_EQ(t.enterprises, 1u) << "one USCC is one enterprise";
  EXPECT_EQ(t.cases, 2u);
  // The case counts its facility (¥45 m), not ¥100 m; plus P2's ¥1 m.
  EXPECT_EQ(t.amount["CNY"], Amount128{46'000'000 * kYuan});
  EXPECT_EQ(t.combination_cases, 1u);
  EXPECT_EQ(t.ip_share_bps, 6285);  // 45 / (45 + 26.6)

  // An amendment from ¥1 m to ¥1 bn counts from its index on, not before.
  PledgeAmend amend;
  amend.pledge_id = "P2";
  amend.secured = Secured{SecuredType::kLoan, {1'000'000'000 * kYuan, "CNY"}};
  SubmitOutcome a = f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "firm-a-branch"});
  ExpectAccepted(a);
  t = f_.registry().Stats(q).totals;
  EXPECT_EQ(t.amount["CNY"], Amount128{1'045'000'000 * kYuan});
  q.as_of = a.index - 1;
  EXPECT_EQ(f_.registry().Stats(q).totals.amount["CNY"], Amount128{46'000'000 * kYuan});
  q.as_of = a.index;
  EXPECT_EQ(f_.registry().Stats(q).totals.amount["CNY"], Amount128{1'045'000'000 * kYuan});
  // The amendment fact survives a reopen.
  f_.Close();
  f_.Reopen();
  q.as_of.reset();
  EXPECT_EQ(f_.registry().Stats(q).totals.amount["CNY"], Amount128{1'045'000'000 * kYuan});
}

// The seed report's combination loan: ¥18.4 m of IP pledges and ¥26.6 m of real estate.
TEST(IpShareTest, SeedReportCombinationLoanIs40Point89Percent) {
  EXPECT_EQ(IpShareBps(18'400'000, 26'600'000), 4089);
  EXPECT_EQ(IpShareBps(0, 0), std::nullopt);
  EXPECT_EQ(IpShareBps(1, 0), 10000);
}

}  // namespace
}  // namespace ipledger
