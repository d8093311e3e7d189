// Issue #19, no double financing: one identity per asset (check characters, canonical
// numbers, data fingerprints), the D-4 publicity floor and D-6 for data assets. Each
// refusal: the attack's code, exactly one refusal leaf, the asset unchanged, and the
// legitimate neighbour accepted. Real RocksDB, real signatures, real JSON payloads.
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/registry/asset_id.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/rules.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

// --- Pure validators ----------------------------------------------------------------------

TEST(AssetIdTest, CnipaApplicationNumberCheckCharacter) {
  EXPECT_TRUE(IsValidApplicationNo("2014103620773"));
  EXPECT_FALSE(IsValidApplicationNo("2014103620774"));
  EXPECT_EQ(CnipaCheckCharacter("201410000004"), 'X');
  EXPECT_TRUE(IsValidApplicationNo("201410000004X"));
  EXPECT_FALSE(IsValidApplicationNo("201410000004x"));
  EXPECT_FALSE(IsValidApplicationNo("2014.1036207"));
  EXPECT_FALSE(IsValidApplicationNo("93105342.1"));  // the pre-2003 form: not accepted
  EXPECT_EQ(CnipaCheckCharacter("20141036207"), std::nullopt);
}

TEST(AssetIdTest, TrademarkNumbersAreCanonicalWithoutLeadingZeros) {
  EXPECT_TRUE(IsCanonicalTrademarkNo("12345678"));
  EXPECT_FALSE(IsCanonicalTrademarkNo("012345678"));
  EXPECT_FALSE(IsCanonicalTrademarkNo("1234A"));
  EXPECT_EQ(CanonicalTrademarkNo("0012345678"), "12345678");
  EXPECT_EQ(CanonicalTrademarkNo("000"), std::nullopt);
}

TEST(AssetIdTest, UsccCheckCharacterPerGb32100) {
  EXPECT_TRUE(IsValidUscc("91330803MA29G7TB0W"));
  EXPECT_TRUE(IsValidUscc("913308021469512343"));
  EXPECT_FALSE(IsValidUscc("913308021469512345"));
  EXPECT_FALSE(IsValidUscc("91330803MA29G7TBOW"));  // 'O' is outside the alphabet
  EXPECT_EQ(UsccCheckCharacter("91330881MA2EJ2LW8"), 'C');
}

// --- Rules --------------------------------------------------------------------------------

class AssetIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("icbc-jiangshan", Role::kBank, "330881");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddParticipant("hengtai-valve", Role::kEnterprise, "330881");
    f_.AddParticipant("picc-zhejiang", Role::kInsurer, "330000");
  }

  std::uint64_t Size() { return f_.registry().ledger().size(); }

  // Expects a refusal with `code`, logged as exactly one leaf.
  void ExpectRefusedLeaf(const Statement& st, const std::string& code,
                         std::vector<std::string> signers = {}) {
    const std::uint64_t before = Size();
    const SubmitOutcome o = f_.Submit(st, std::move(signers));
    EXPECT_EQ(o.kind, OutcomeKind::kRefused) << CodesOf(o) << " " << o.detail;
    EXPECT_NE(std::find(o.codes.begin(), o.codes.end(), code), o.codes.end())
        << "expected " << code << ", got " << CodesOf(o) << " " << o.detail;
    EXPECT_EQ(Size(), before + 1);
    last_detail_ = o.detail;
  }
  void ExpectAccepted(const Statement& st, std::vector<std::string> signers = {}) {
    const SubmitOutcome o = f_.Submit(st, std::move(signers));
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }

  AssetRegister Patent(const std::string& no) {
    AssetRegister b;
    b.asset_id = "patent:" + no;
    b.kind = AssetKind::kPatent;
    b.holders = {"lanyu-materials"};
    PatentFacts p;
    p.application_no = no;
    p.type = PatentType::kInvention;
    p.title = "Patent " + no;
    p.filing_date = DateFromCivil(2018, 3, 1);
    p.grant_date = DateFromCivil(2020, 3, 1);
    p.annuity_paid_through = DateFromCivil(2027, 3, 1);
    b.patent = p;
    return b;
  }
  AssetRegister Data(const std::string& token, const std::string& fingerprint_of) {
    AssetRegister b;
    b.asset_id = "data:" + token;
    b.kind = AssetKind::kData;
    b.holders = {"lanyu-materials"};
    DataFacts d;
    d.name = "Data set " + token;
    d.description = "greenhouse sensor records";
    d.record_count = 1501;
    d.fingerprint_sha256 = Sha256(AsBytes(fingerprint_of));
    d.source_type = DataSource::kSelfCollected;
    d.scenario = "agriculture";
    b.data = d;
    return b;
  }

  RegistryFixture f_;
  std::string last_detail_;
};

TEST_F(AssetIdentityTest, SamePatentWithWrongCheckCharacterIsRefusedThenCannotBePledged) {
  ExpectAccepted(f_.Make("registry", Patent("2014103620773")));
  ExpectAccepted(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-A", {"lanyu-materials"}, {"patent:2014103620773"},
                                          DateFromCivil(2028, 6, 1))),
      {"ccb-quzhou", "lanyu-materials"});
  // The attack: the same application registered again with a wrong check character.
  ExpectRefusedLeaf(f_.Make("registry", Patent("2014103620774")), "E_INVALID_IDENTIFIER");
  EXPECT_NE(last_detail_.find("expected 3"), std::string::npos) << last_detail_;
  EXPECT_EQ(f_.registry().GetAsset("patent:2014103620774").status().code(), ErrorCode::kNotFound);
  // ...so the pledge to the second bank has nothing to pledge.
  ExpectRefusedLeaf(
      f_.Make("icbc-jiangshan", f_.PledgeBody("PL-B", {"lanyu-materials"}, {"patent:2014103620774"},
                                              DateFromCivil(2028, 6, 1))),
      "E_UNKNOWN_REFERENCE", {"icbc-jiangshan", "lanyu-materials"});
  // The neighbour: another application with its right check character.
  ExpectAccepted(f_.Make("registry", Patent("201410000004X")));
}

TEST_F(AssetIdentityTest, TrademarkWithLeadingZerosIsRefused) {
  AssetRegister b;
  b.asset_id = "trademark:012345678";
  b.kind = AssetKind::kTrademark;
  b.holders = {"lanyu-materials"};
  TrademarkFacts t;
  t.reg_no = "012345678";
  t.nice_class = 1;
  t.goods = {"fertilisers"};
  t.reg_date = DateFromCivil(2020, 1, 1);
  t.expiry_date = DateFromCivil(2030, 1, 1);
  b.trademark = t;
  ExpectRefusedLeaf(f_.Make("registry", b), "E_INVALID_IDENTIFIER");
  EXPECT_NE(last_detail_.find("write 12345678"), std::string::npos) << last_detail_;
  b.asset_id = "trademark:12345678";
  b.trademark->reg_no = "12345678";
  ExpectAccepted(f_.Make("registry", b));
}

TEST_F(AssetIdentityTest, ParticipantWithWrongUsccCheckCharacterIsRefused) {
  ParticipantRegister p;
  p.id = "quzhou-water";
  p.name = "Quzhou Water Supply Group Co., Ltd.";
  p.role = Role::kEnterprise;
  p.uscc = "913308021469512345";
  p.keys = {{"k1", f_.KeyOf("quzhou-water").public_key()}};
  ExpectRefusedLeaf(f_.Make("registry", p), "E_INVALID_IDENTIFIER");
  EXPECT_EQ(f_.registry().GetParticipant("quzhou-water").status().code(), ErrorCode::kNotFound);
  p.uscc = "913308021469512343";
  ExpectAccepted(f_.Make("registry", p));
}

TEST_F(AssetIdentityTest, SameDataSetUnderSecondTokenIsRefusedWhileFirstIsLive) {
  const Date start = f_.today();
  ExpectAccepted(f_.Make("lanyu-materials", Data("greenhouse_2025", "greenhouse")));
  ExpectAccepted(f_.Make("registry", DataPublicize{"data:greenhouse_2025", AddDays(start, 10)}));
  f_.SetToday(AddDays(start, 11));
  ExpectAccepted(f_.Make("registry", DataConfirm{"data:greenhouse_2025", "33000020260000001",
                                                 DateFromCivil(2028, 12, 31)}));
  ExpectAccepted(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-A", {"lanyu-materials"}, {"data:greenhouse_2025"},
                                          DateFromCivil(2027, 6, 1))),
      {"ccb-quzhou", "lanyu-materials"});
  // The attack: the same records under a second token, to be pledged to bank B.
  ExpectRefusedLeaf(f_.Make("lanyu-materials", Data("greenhouse_copy", "greenhouse")),
                    "E_DUPLICATE_ASSET");
  EXPECT_NE(last_detail_.find("data:greenhouse_2025"), std::string::npos) << last_detail_;
  EXPECT_EQ(f_.registry().GetAsset("data:greenhouse_copy").status().code(), ErrorCode::kNotFound);
  // The neighbour: a different data set registers.
  ExpectAccepted(f_.Make("lanyu-materials", Data("orchard_2025", "orchard")));
}

TEST_F(AssetIdentityTest, DataSetMayBeRegisteredAgainAfterItsRegistrationWasRejected) {
  ExpectAccepted(f_.Make("lanyu-materials", Data("greenhouse_2025", "greenhouse")));
  ExpectAccepted(f_.Make("registry", DataReject{"data:greenhouse_2025", "incomplete evidence"}));
  ExpectAccepted(f_.Make("lanyu-materials", Data("greenhouse_2025b", "greenhouse")));
}

TEST_F(AssetIdentityTest, PublicitySkippedByAnEndTooSoonIsRefused) {
  const Date start = f_.today();
  ExpectAccepted(f_.Make("lanyu-materials", Data("greenhouse_2025", "greenhouse")));
  ExpectRefusedLeaf(f_.Make("registry", DataPublicize{"data:greenhouse_2025", AddDays(start, -1)}),
                    "E_PUBLICITY_TOO_SHORT");
  ExpectRefusedLeaf(f_.Make("registry", DataPublicize{"data:greenhouse_2025",
                                                      AddDays(start, kMinPublicityDays - 1)}),
                    "E_PUBLICITY_TOO_SHORT");
  EXPECT_EQ(f_.registry().GetAsset("data:greenhouse_2025")->data_state, DataState::kApplied);
  // Confirmation cannot follow: there was no publicity.
  ExpectRefusedLeaf(f_.Make("registry", DataConfirm{"data:greenhouse_2025", "33000020260000001",
                                                    DateFromCivil(2028, 12, 31)}),
                    "E_NOT_ACTIVE");
  // The neighbour: the shortest period accepted, objections open until its last day.
  ExpectAccepted(f_.Make("registry",
                         DataPublicize{"data:greenhouse_2025", AddDays(start, kMinPublicityDays)}));
  f_.SetToday(AddDays(start, kMinPublicityDays));
  ExpectAccepted(f_.Make(
      "ccb-quzhou", DataObject{"data:greenhouse_2025", "not theirs", Sha256(AsBytes("evidence"))}));
}

TEST_F(AssetIdentityTest, InvalidatedAndTerminatedDataAssetIsNotCollateral) {
  f_.AddConfirmedData("greenhouse_2025", "lanyu-materials", DateFromCivil(2028, 12, 31));
  f_.AddConfirmedData("orchard_2025", "lanyu-materials", DateFromCivil(2028, 12, 31));
  ExpectAccepted(f_.Make(
      "registry",
      AssetStatus{"data:greenhouse_2025", AssetEvent::kInvalidated, f_.today(), {}, {}, {}}));
  ExpectAccepted(f_.Make(
      "registry",
      AssetStatus{"data:greenhouse_2025", AssetEvent::kTerminated, f_.today(), {}, {}, {}}));
  const auto before = f_.registry().GetAsset("data:greenhouse_2025");
  ASSERT_OK(before);
  ExpectRefusedLeaf(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-A", {"lanyu-materials"}, {"data:greenhouse_2025"},
                                          DateFromCivil(2027, 6, 1))),
      "E_ASSET_NOT_PLEDGEABLE", {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(*f_.registry().GetAsset("data:greenhouse_2025"), *before);
  ExpectAccepted(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-B", {"lanyu-materials"}, {"data:orchard_2025"},
                                          DateFromCivil(2027, 6, 1))),
      {"ccb-quzhou", "lanyu-materials"});
}

// --- Trademarks: T-2 / T-4 ---------------------------------------------------------------

TEST_F(AssetIdentityTest, OneSimilarMarkReleasedByAmendmentWhileTheOthersStayPledged) {
  const Date expiry = DateFromCivil(2032, 1, 1);
  f_.AddTrademark("12345678", {"lanyu-materials"}, expiry, "G1");
  f_.AddTrademark("12345679", {"lanyu-materials"}, expiry, "G1");
  f_.AddTrademark("22345670", {"lanyu-materials"}, expiry);
  f_.AddTrademark("32345671", {"lanyu-materials"}, expiry);
  const std::vector<std::string> signers = {"ccb-quzhou", "lanyu-materials"};
  ExpectAccepted(f_.Make("ccb-quzhou", f_.PledgeBody("PL-1", {"lanyu-materials"},
                                                     {"trademark:12345678", "trademark:12345679",
                                                      "trademark:22345670", "trademark:32345671"},
                                                     DateFromCivil(2028, 6, 1))),
                 signers);
  PledgeAmend split;
  split.pledge_id = "PL-1";
  split.release_collateral = {"trademark:12345678"};
  ExpectRefusedLeaf(f_.Make("ccb-quzhou", split), "E_SIMILAR_MARKS_SPLIT", signers);
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->terms.collateral.size(), 4u);
  EXPECT_EQ(f_.registry().GetAsset("trademark:12345678")->active_pledges,
            std::vector<std::string>{"PL-1"});
  // The neighbours: releasing the dissimilar mark, or the whole group together.
  PledgeAmend other;
  other.pledge_id = "PL-1";
  other.release_collateral = {"trademark:22345670"};
  ExpectAccepted(f_.Make("ccb-quzhou", other), signers);
  PledgeAmend group;
  group.pledge_id = "PL-1";
  group.release_collateral = {"trademark:12345678", "trademark:12345679"};
  ExpectAccepted(f_.Make("ccb-quzhou", group), signers);
}

TEST_F(AssetIdentityTest, MarkInItsRenewalGraceDoesNotBlockItsLiveSimilarMark) {
  f_.AddTrademark("12345678", {"lanyu-materials"}, DateFromCivil(2032, 1, 1), "G1");
  // Expired a month ago: in the six-month renewal grace, not pledgeable itself.
  f_.AddTrademark("12345679", {"lanyu-materials"}, AddDays(f_.today(), -30), "G1");
  const std::vector<std::string> signers = {"ccb-quzhou", "lanyu-materials"};
  ExpectRefusedLeaf(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-0", {"lanyu-materials"},
                                          {"trademark:12345678", "trademark:12345679"},
                                          DateFromCivil(2028, 6, 1))),
      "E_ASSET_NOT_PLEDGEABLE", signers);
  ExpectAccepted(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-1", {"lanyu-materials"}, {"trademark:12345678"},
                                          DateFromCivil(2028, 6, 1))),
      signers);
}

PolicyIssue Cover(const std::string& id, const std::string& insured, const std::string& asset,
                  Date start) {
  PolicyIssue p;
  p.policy_id = id;
  p.product = "infringement_loss";
  p.insured = insured;
  p.loss_payees = {"ccb-quzhou"};
  p.covered_assets = {asset};
  p.period = {start, AddYears(start, 1)};
  p.limit_per_claim = {50'000'000, "CNY"};
  p.aggregate_limit = {100'000'000, "CNY"};
  p.deductible = {1'000'000, "CNY"};
  p.covered_costs = {"legal"};
  return p;
}

TEST_F(AssetIdentityTest, InsurerCoversAnAssetForAnInsuredWhoDoesNotHoldIt) {
  ExpectAccepted(f_.Make("registry", Patent("2014103620773")));
  // Rule I-1: hengtai-valve does not hold lanyu-materials' patent.
  ExpectRefusedLeaf(
      f_.Make("picc-zhejiang", Cover("POL-1", "hengtai-valve", "patent:2014103620773", f_.today())),
      "E_INSURED_NOT_HOLDER");
  EXPECT_NE(last_detail_.find("hengtai-valve"), std::string::npos) << last_detail_;
  EXPECT_EQ(f_.registry().GetPolicy("POL-1").status().code(), ErrorCode::kNotFound);
  ExpectAccepted(f_.Make("picc-zhejiang",
                         Cover("POL-1", "lanyu-materials", "patent:2014103620773", f_.today())));
}

TEST_F(AssetIdentityTest, DataAssetNamingACoHolderWithoutItsSignatureIsForbidden) {
  AssetRegister b = Data("joint_2025", "joint");
  b.holders = {"hengtai-valve", "lanyu-materials"};
  const std::uint64_t before = Size();
  const SubmitOutcome o = f_.Submit(f_.Make("lanyu-materials", b), {"lanyu-materials"});
  EXPECT_EQ(o.kind, OutcomeKind::kRejected) << CodesOf(o);
  EXPECT_EQ(o.codes, std::vector<std::string>{"E_FORBIDDEN"}) << o.detail;
  EXPECT_EQ(Size(), before);
  EXPECT_EQ(f_.registry().GetAsset("data:joint_2025").status().code(), ErrorCode::kNotFound);
  // Signed by both holders, the joint registration is accepted.
  ExpectAccepted(f_.Make("lanyu-materials", b), {"lanyu-materials", "hengtai-valve"});
}

}  // namespace
}  // namespace ipledger
