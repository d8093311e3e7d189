// verify --replay over a log that went through every refusal code a business rule can
// produce (the problems table less the admission codes, which are never logged): each
// refusal leaf and every state record rebuilt from the log equals the stored one. The
// key-recovery codes (E_RECOVERY_PENDING, E_RECOVERY_CANCELLED) are provoked by
// replay_test.cc's ReplaysKeyChangesRecoveriesAndReSerializedEnvelopes.
#include <set>

#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "ledger/registry/replay.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

class ReplayCodesTest : public ::testing::Test {
 protected:
  void Accept(const SubmitOutcome& o) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }
  void Refuse(const SubmitOutcome& o, const std::string& code) {
    EXPECT_EQ(o.kind, OutcomeKind::kRefused) << code << ": " << CodesOf(o) << " " << o.detail;
    EXPECT_NE(std::find(o.codes.begin(), o.codes.end(), code), o.codes.end())
        << code << ": " << CodesOf(o) << " " << o.detail;
    seen_.insert(o.codes.begin(), o.codes.end());
  }
  SubmitOutcome Pledge(const PledgeRegister& b, const std::string& pledgor = "lanyu") {
    return f_.Submit(f_.Make("ccb", b), {"ccb", pledgor});
  }
  PledgeRegister Body(const std::string& id, const std::string& asset,
                      Date end = DateFromCivil(2028, 1, 1)) {
    return f_.PledgeBody(id, {"lanyu"}, {asset}, end);
  }
  void Status(const std::string& patent, AssetEvent e) {
    Accept(
        f_.Submit(f_.Make("registry", AssetStatus{"patent:" + patent, e, f_.today(), {}, {}, {}})));
  }
  AssetRegister Data(const std::string& token, DataSource source) {
    AssetRegister a;
    a.asset_id = "data:" + token;
    a.kind = AssetKind::kData;
    a.holders = {"lanyu"};
    a.data = DataFacts{token, "d", 10, Sha256(AsBytes(token)), source, "s", std::nullopt};
    return a;
  }
  ValuationAttest Valuation(const std::string& id, const std::string& asset, Date base) {
    ValuationAttest v;
    v.valuation_id = id;
    v.items = {{asset, {500'000'000, "CNY"}, {}, {}, {}}};
    v.total = {500'000'000, "CNY"};
    v.standard = "GB/T 42748-2023";
    v.methods = {ValuationMethod::kIncome};
    v.base_date = base;
    v.report_sha256 = Sha256(AsBytes(id));
    return v;
  }

  RegistryFixture f_;
  std::set<std::string> seen_;
};

TEST_F(ReplayCodesTest, ALogThroughEveryRuleRefusalReplays) {
  f_.AddParticipant("ccb", Role::kBank);
  f_.AddParticipant("lanyu", Role::kEnterprise);
  f_.AddParticipant("hengtai", Role::kEnterprise, "330881");
  f_.AddParticipant("picc", Role::kInsurer);
  f_.AddParticipant("zhonghe", Role::kAppraiser);
  for (const char* p :
       {"2014103620773", "2014100000001", "2014100000020", "2014100000035", "201410000004X"}) {
    f_.AddPatent(p, {"lanyu"});
  }
  f_.AddTrademark("12345678", {"lanyu"}, DateFromCivil(2032, 1, 1), "G1");
  const std::string patent = "patent:2014103620773";

  // Identity and participants.
  AssetRegister bad_no;
  bad_no.asset_id = "patent:2014103620774";
  bad_no.kind = AssetKind::kPatent;
  bad_no.holders = {"lanyu"};
  bad_no.patent = PatentFacts{
      "2014103620774",           std::nullopt, PatentType::kInvention, "copy",
      DateFromCivil(2018, 3, 1), std::nullopt, std::nullopt,           DateFromCivil(2027, 3, 1)};
  Refuse(f_.Submit(f_.Make("registry", bad_no)), "E_INVALID_IDENTIFIER");
  ParticipantRegister again;
  again.id = "lanyu";
  again.name = "again";
  again.keys = {{"k1", f_.KeyOf("lanyu").public_key()}};
  Refuse(f_.Submit(f_.Make("registry", again)), "E_DUPLICATE_ID");

  // Data assets: D-2, D-4, D-5, one identity per data set.
  Refuse(f_.Submit(f_.Make("lanyu", Data("licensed", DataSource::kLicensed))),
         "E_LICENCE_END_MISSING");
  const AssetRegister orchard = Data("orchard", DataSource::kSelfCollected);
  Accept(f_.Submit(f_.Make("lanyu", orchard)));
  AssetRegister copy = Data("orchard-copy", DataSource::kSelfCollected);
  copy.data->fingerprint_sha256 = orchard.data->fingerprint_sha256;
  Refuse(f_.Submit(f_.Make("lanyu", copy)), "E_DUPLICATE_ASSET");
  Refuse(f_.Submit(f_.Make("registry", DataPublicize{orchard.asset_id, f_.today()})),
         "E_PUBLICITY_TOO_SHORT");
  Accept(f_.Submit(f_.Make("registry", DataPublicize{orchard.asset_id, AddDays(f_.today(), 10)})));
  const DataConfirm confirm{orchard.asset_id, "C-1", AddYears(f_.today(), 2)};
  Refuse(f_.Submit(f_.Make("registry", confirm)), "E_PUBLICITY_OPEN");
  SubmitOutcome objection =
      f_.Submit(f_.Make("hengtai", DataObject{orchard.asset_id, "mine", Sha256(AsBytes("x"))}));
  Accept(objection);
  f_.SetToday(AddDays(f_.today(), 11));
  Refuse(f_.Submit(f_.Make("registry", confirm)), "E_OBJECTION_PENDING");
  Accept(f_.Submit(
      f_.Make("registry", DataResolveObjection{orchard.asset_id, objection.index, false})));
  Refuse(f_.Submit(
             f_.Make("registry", DataConfirm{orchard.asset_id, "C-1", DateFromCivil(2099, 1, 1)})),
         "E_CERTIFICATE_TERM");
  Accept(f_.Submit(f_.Make("registry", confirm)));

  // Pledgeability.
  Status("2014100000001", AssetEvent::kTerminated);
  Refuse(Pledge(Body("PL-T", "patent:2014100000001")), "E_ASSET_NOT_PLEDGEABLE");
  Status("2014100000020", AssetEvent::kFeeGrace);
  Refuse(Pledge(Body("PL-F", "patent:2014100000020")), "E_FEE_GRACE");
  Status("2014100000035", AssetEvent::kPreservation);
  Refuse(Pledge(Body("PL-P", "patent:2014100000035")), "E_PRESERVATION");
  Status("201410000004X", AssetEvent::kInvalidationStarted);
  Refuse(Pledge(Body("PL-I", "patent:201410000004X")), "A_INVALIDATION_PENDING");
  Refuse(f_.Submit(f_.Make(
             "registry",
             AssetStatus{
                 patent, AssetEvent::kRenewed, f_.today(), {}, DateFromCivil(2040, 1, 1), {}})),
         "E_WRONG_ASSET_KIND");
  Refuse(
      f_.Submit(f_.Make(
          "registry",
          AssetStatus{patent, AssetEvent::kPreservation, DateFromCivil(2020, 1, 1), {}, {}, {}})),
      "E_BACKDATED");
  Refuse(Pledge(Body("PL-M", "trademark:12345678", DateFromCivil(2033, 1, 1))),
         "E_TERM_BEYOND_ASSET");
  f_.AddTrademark("12345679", {"lanyu"}, DateFromCivil(2032, 1, 1), "G1");
  Refuse(Pledge(Body("PL-S", "trademark:12345678")), "E_SIMILAR_MARKS_SPLIT");
  PledgeRegister not_holder =
      f_.PledgeBody("PL-H", {"hengtai"}, {patent}, DateFromCivil(2028, 1, 1));
  Refuse(Pledge(not_holder, "hengtai"), "E_PLEDGOR_NOT_HOLDER");
  PledgeRegister zero = Body("PL-0", patent);
  zero.secured.amount.amount = 0;
  Refuse(Pledge(zero), "E_ZERO_AMOUNT");
  PledgeRegister ended = Body("PL-E", patent);
  ended.debt_term = {AddDays(f_.today(), -10), AddDays(f_.today(), -1)};
  Refuse(Pledge(ended), "E_TERM_ENDED");
  Refuse(f_.Submit(f_.Make("zhonghe", Valuation("V-F", patent, AddDays(f_.today(), 1)))),
         "E_VALUATION_DATES");
  Accept(f_.Submit(f_.Make("zhonghe", Valuation("V-TM", "trademark:12345678", f_.today()))));
  PledgeRegister other_valuation = Body("PL-V", patent);
  other_valuation.valuation_ids = {"V-TM"};
  Refuse(Pledge(other_valuation), "E_VALUATION_NOT_OF_COLLATERAL");
  CaseRegister k;
  k.case_id = "C9";
  k.debtor = "hengtai";
  k.facility = {4'500'000'000, "CNY"};
  k.term = {f_.today(), DateFromCivil(2029, 12, 31)};
  Accept(f_.Submit(f_.Make("ccb", k)));
  PledgeRegister wrong_debtor = Body("PL-C", patent);
  wrong_debtor.case_id = "C9";
  Refuse(Pledge(wrong_debtor), "E_CASE_DEBTOR_MISMATCH");
  Accept(Pledge(Body("PL-1", patent)));
  Refuse(Pledge(Body("PL-2", patent)), "E_ALREADY_PLEDGED");
  Refuse(f_.Submit(f_.Make("ccb", PledgeRelease{"PL-NONE", ReleaseReason::kRepaid, {}})),
         "E_UNKNOWN_REFERENCE");
  Accept(f_.Submit(f_.Make("registry", PledgeRevoke{"PL-1", Sha256(AsBytes("order")), "order"})));
  Refuse(f_.Submit(f_.Make("ccb", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})),
         "E_NOT_ACTIVE");
  Accept(Pledge(Body("PL-3", patent)));
  Accept(f_.Submit(f_.Make("lanyu", PledgeReleaseRequest{"PL-3", ReleaseReason::kRepaid,
                                                         Sha256(AsBytes("receipt"))}),
                   {"lanyu", "ccb"}));

  // Insurance.
  PolicyIssue pol;
  pol.policy_id = "POL-1";
  pol.product = "data_ip_loss";
  pol.insured = "hengtai";
  pol.covered_assets = {orchard.asset_id};
  pol.period = {f_.today(), AddYears(f_.today(), 1)};
  pol.limit_per_claim = {50'000'000, "CNY"};
  pol.aggregate_limit = {100'000'000, "CNY"};
  pol.deductible = {0, "CNY"};
  Refuse(f_.Submit(f_.Make("picc", pol)), "E_INSURED_NOT_HOLDER");
  pol.insured = "lanyu";
  pol.deductible = {60'000'000, "CNY"};
  Refuse(f_.Submit(f_.Make("picc", pol)), "E_POLICY_TERMS");
  pol.deductible = {0, "CNY"};
  Accept(f_.Submit(f_.Make("picc", pol)));
  Refuse(f_.Submit(f_.Make(
             "picc",
             PolicyClaim{"CL-1", "POL-1", orchard.asset_id, AddDays(f_.today(), 1), {1, "CNY"}})),
         "E_OUTSIDE_PERIOD");
  Refuse(
      f_.Submit(f_.Make(
          "picc", PolicyClaim{"CL-1", "POL-1", orchard.asset_id, f_.today(), {60'000'000, "CNY"}})),
      "E_LIMIT_EXCEEDED");

  const std::set<std::string> expected = {"E_UNKNOWN_REFERENCE",
                                          "E_DUPLICATE_ID",
                                          "E_PLEDGOR_NOT_HOLDER",
                                          "E_ASSET_NOT_PLEDGEABLE",
                                          "E_FEE_GRACE",
                                          "E_PRESERVATION",
                                          "E_TERM_BEYOND_ASSET",
                                          "E_CASE_DEBTOR_MISMATCH",
                                          "E_ALREADY_PLEDGED",
                                          "A_INVALIDATION_PENDING",
                                          "E_SIMILAR_MARKS_SPLIT",
                                          "E_PUBLICITY_OPEN",
                                          "E_OBJECTION_PENDING",
                                          "E_NOT_ACTIVE",
                                          "E_POLICY_TERMS",
                                          "E_OUTSIDE_PERIOD",
                                          "E_LIMIT_EXCEEDED",
                                          "E_WRONG_ASSET_KIND",
                                          "E_INVALID_IDENTIFIER",
                                          "E_DUPLICATE_ASSET",
                                          "E_PUBLICITY_TOO_SHORT",
                                          "E_INSURED_NOT_HOLDER",
                                          "E_ZERO_AMOUNT",
                                          "E_VALUATION_DATES",
                                          "E_VALUATION_NOT_OF_COLLATERAL",
                                          "E_BACKDATED",
                                          "E_TERM_ENDED",
                                          "E_LICENCE_END_MISSING",
                                          "E_CERTIFICATE_TERM"};
  for (const std::string& code : expected) EXPECT_TRUE(seen_.contains(code)) << code;

  const std::uint64_t size = f_.registry().ledger().size();
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f_.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, size);
}

}  // namespace
}  // namespace ipledger
