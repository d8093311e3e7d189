#include "ledger/registry/statement.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ipledger {
namespace {

// Checks that `name` maps every enumerator in [0, count) to the expected wire name and
// that `parse` inverts it.
template <typename E, typename NameFn, typename ParseFn>
void ExpectTable(NameFn name, ParseFn parse, const std::vector<std::string_view>& expected) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto e = static_cast<E>(i);
    EXPECT_EQ(name(e), expected[i]) << "enumerator " << i;
    const auto parsed = parse(expected[i]);
    ASSERT_TRUE(parsed.has_value()) << expected[i];
    EXPECT_EQ(*parsed, e) << expected[i];
  }
}

TEST(StatementNamesTest, RoleNamesRoundTrip) {
  ExpectTable<Role>(RoleName, ParseRole,
                    {"registry", "bank", "insurer", "appraiser", "regulator", "enterprise"});
}

TEST(StatementNamesTest, AssetKindNamesRoundTrip) {
  ExpectTable<AssetKind>(AssetKindName, ParseAssetKind, {"patent", "trademark", "data"});
}

TEST(StatementNamesTest, PatentTypeNamesRoundTrip) {
  ExpectTable<PatentType>(PatentTypeName, ParsePatentType,
                          {"invention", "utility_model", "design"});
}

TEST(StatementNamesTest, DataSourceNamesRoundTrip) {
  ExpectTable<DataSource>(DataSourceName, ParseDataSource,
                          {"self_collected", "licensed", "purchased", "public_authorised"});
}

TEST(StatementNamesTest, AssetEventNamesRoundTrip) {
  ExpectTable<AssetEvent>(
      AssetEventName, ParseAssetEvent,
      {"annuity_paid", "fee_grace", "invalidation_started", "invalidation_ended", "invalidated",
       "partially_invalidated", "terminated", "preservation", "preservation_lifted", "renewed",
       "transferred"});
}

TEST(StatementNamesTest, ValuationMethodNamesRoundTrip) {
  ExpectTable<ValuationMethod>(ValuationMethodName, ParseValuationMethod,
                               {"income", "market", "cost"});
}

TEST(StatementNamesTest, CollateralKindNamesRoundTrip) {
  ExpectTable<CollateralKind>(
      CollateralKindName, ParseCollateralKind,
      {"real_estate", "equipment", "inventory", "receivables", "guarantee", "credit"});
}

TEST(StatementNamesTest, SecuredTypeNamesRoundTrip) {
  ExpectTable<SecuredType>(SecuredTypeName, ParseSecuredType, {"loan", "ceiling"});
}

TEST(StatementNamesTest, ReleaseReasonNamesRoundTrip) {
  ExpectTable<ReleaseReason>(ReleaseReasonName, ParseReleaseReason,
                             {"repaid", "prepaid", "realised", "waived", "contract_void", "other"});
}

TEST(StatementNamesTest, ParseRefusesNearMisses) {
  // Wire names are exact: no case folding, no hyphen/space variants, no US spellings.
  EXPECT_FALSE(ParseRole("Bank").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
  EXPECT_FALSE(ParseRole("bank ").has_value());
  EXPECT_FALSE(ParsePatentType("utility-model").has_value());
  EXPECT_FALSE(ParsePatentType("utilitymodel").has_value());
  EXPECT_FALSE(ParseDataSource("public_authorized").has_value());
  EXPECT_FALSE(ParseAssetEvent("annuity-paid").has_value());
  EXPECT_FALSE(ParseCollateralKind("realestate").has_value());
  EXPECT_FALSE(ParseReleaseReason("realized").has_value());
  EXPECT_FALSE(ParseSecuredType("LOAN").has_value());
  EXPECT_FALSE(ParseValuationMethod("incomes").has_value());
  EXPECT_FALSE(ParseAssetKind(std::string_view("patent\0", 7)).has_value());
}

TEST(StatementNamesTest, TypeNamesFollowBodyOrder) {
  const std::vector<std::string_view> expected = {"participant.register",
                                                  "participant.keys",
                                                  "asset.register",
                                                  "asset.status",
                                                  "data.publicize",
                                                  "data.object",
                                                  "data.resolve_objection",
                                                  "data.confirm",
                                                  "data.reject",
                                                  "valuation.attest",
                                                  "valuation.withdraw",
                                                  "case.register",
                                                  "pledge.register",
                                                  "pledge.amend",
                                                  "pledge.release",
                                                  "pledge.enforce",
                                                  "policy.issue",
                                                  "policy.cancel",
                                                  "policy.claim",
                                                  "participant.recover",
                                                  "participant.recover_cancel",
                                                  "participant.recover_complete",
                                                  "pledge.revoke",
                                                  "pledge.release_request"};
  EXPECT_EQ(StatementTypeNames(), expected);
  EXPECT_EQ(StatementTypeNames().size(), std::variant_size_v<StatementBody>);
  EXPECT_EQ(&StatementTypeNames(), &StatementTypeNames());  // one table, not a copy per call
}

TEST(StatementNamesTest, TypeNameOfEachBody) {
  EXPECT_EQ(StatementTypeName(StatementBody(ParticipantRegister{})), "participant.register");
  EXPECT_EQ(StatementTypeName(StatementBody(ParticipantKeys{})), "participant.keys");
  EXPECT_EQ(StatementTypeName(StatementBody(AssetRegister{})), "asset.register");
  EXPECT_EQ(StatementTypeName(StatementBody(AssetStatus{})), "asset.status");
  EXPECT_EQ(StatementTypeName(StatementBody(DataPublicize{})), "data.publicize");
  EXPECT_EQ(StatementTypeName(StatementBody(DataObject{})), "data.object");
  EXPECT_EQ(StatementTypeName(StatementBody(DataResolveObjection{})), "data.resolve_objection");
  EXPECT_EQ(StatementTypeName(StatementBody(DataConfirm{})), "data.confirm");
  EXPECT_EQ(StatementTypeName(StatementBody(DataReject{})), "data.reject");
  EXPECT_EQ(StatementTypeName(StatementBody(ValuationAttest{})), "valuation.attest");
  EXPECT_EQ(StatementTypeName(StatementBody(ValuationWithdraw{})), "valuation.withdraw");
  EXPECT_EQ(StatementTypeName(StatementBody(CaseRegister{})), "case.register");
  EXPECT_EQ(StatementTypeName(StatementBody(PledgeRegister{})), "pledge.register");
  EXPECT_EQ(StatementTypeName(StatementBody(PledgeAmend{})), "pledge.amend");
  EXPECT_EQ(StatementTypeName(StatementBody(PledgeRelease{})), "pledge.release");
  EXPECT_EQ(StatementTypeName(StatementBody(PledgeEnforce{})), "pledge.enforce");
  EXPECT_EQ(StatementTypeName(StatementBody(PolicyIssue{})), "policy.issue");
  EXPECT_EQ(StatementTypeName(StatementBody(PolicyCancel{})), "policy.cancel");
  EXPECT_EQ(StatementTypeName(StatementBody(PolicyClaim{})), "policy.claim");
}

TEST(StatementNamesTest, AllNamesAreDistinct) {
  const auto& types = StatementTypeNames();
  EXPECT_EQ(std::set<std::string_view>(types.begin(), types.end()).size(), types.size());
}

}  // namespace
}  // namespace ipledger
