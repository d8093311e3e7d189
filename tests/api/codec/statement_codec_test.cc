#include "api/codec/statement_codec.h"

#include <gtest/gtest.h>

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/registry/statement.h"
#include "tests/api/codec/statement_examples.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

// ---------------------------------------------------------------------------------
// Field-by-field comparison of Statements (the structs have no operator==).

template <typename T>
bool Same(const std::vector<T>& a, const std::vector<T>& b);
template <typename T>
bool Same(const std::optional<T>& a, const std::optional<T>& b);
template <typename T>
requires std::equality_comparable<T>
bool Same(const T& a, const T& b) { return a == b; }
bool Same(const KeySpec& a, const KeySpec& b);
bool Same(const PatentFacts& a, const PatentFacts& b);
bool Same(const TrademarkFacts& a, const TrademarkFacts& b);
bool Same(const DataFacts& a, const DataFacts& b);
bool Same(const ValuationItem& a, const ValuationItem& b);
bool Same(const OtherCollateral& a, const OtherCollateral& b);

template <typename T>
bool Same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!Same(a[i], b[i])) return false;
  }
  return true;
}

template <typename T>
bool Same(const std::optional<T>& a, const std::optional<T>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || Same(*a, *b);
}

bool Same(const KeySpec& a, const KeySpec& b) {
  return a.label == b.label && a.ed25519 == b.ed25519;
}
bool Same(const PatentFacts& a, const PatentFacts& b) {
  return a.application_no == b.application_no && a.patent_no == b.patent_no && a.type == b.type &&
         a.title == b.title && a.filing_date == b.filing_date && a.grant_date == b.grant_date &&
         a.term_end == b.term_end && a.annuity_paid_through == b.annuity_paid_through;
}
bool Same(const TrademarkFacts& a, const TrademarkFacts& b) {
  return a.reg_no == b.reg_no && a.nice_class == b.nice_class && a.goods == b.goods &&
         a.reg_date == b.reg_date && a.expiry_date == b.expiry_date &&
         a.similarity_group == b.similarity_group;
}
bool Same(const DataFacts& a, const DataFacts& b) {
  return a.name == b.name && a.description == b.description && a.record_count == b.record_count &&
         a.fingerprint_sha256 == b.fingerprint_sha256 && a.source_type == b.source_type &&
         a.scenario == b.scenario;
}
bool Same(const ValuationItem& a, const ValuationItem& b) {
  return a.asset_id == b.asset_id && a.value == b.value && a.legal_score == b.legal_score &&
         a.technical_score == b.technical_score && a.economic_score == b.economic_score;
}
bool Same(const OtherCollateral& a, const OtherCollateral& b) {
  return a.kind == b.kind && a.description == b.description && a.amount == b.amount;
}

bool SameBody(const ParticipantRegister& a, const ParticipantRegister& b) {
  return a.id == b.id && a.name == b.name && a.role == b.role && a.uscc == b.uscc &&
         a.region_code == b.region_code && Same(a.keys, b.keys);
}
bool SameBody(const ParticipantKeys& a, const ParticipantKeys& b) {
  return a.id == b.id && Same(a.add, b.add) && a.revoke == b.revoke;
}
bool SameBody(const AssetRegister& a, const AssetRegister& b) {
  return a.asset_id == b.asset_id && a.kind == b.kind && a.holders == b.holders &&
         Same(a.patent, b.patent) && Same(a.trademark, b.trademark) && Same(a.data, b.data);
}
bool SameBody(const AssetStatus& a, const AssetStatus& b) {
  return a.asset_id == b.asset_id && a.event == b.event && a.effective_date == b.effective_date &&
         a.annuity_paid_through == b.annuity_paid_through && a.expiry_date == b.expiry_date &&
         a.holders == b.holders;
}
bool SameBody(const DataPublicize& a, const DataPublicize& b) {
  return a.asset_id == b.asset_id && a.publicity_end == b.publicity_end;
}
bool SameBody(const DataObject& a, const DataObject& b) {
  return a.asset_id == b.asset_id && a.reason == b.reason && a.evidence_sha256 == b.evidence_sha256;
}
bool SameBody(const DataResolveObjection& a, const DataResolveObjection& b) {
  return a.asset_id == b.asset_id && a.objection_index == b.objection_index && a.upheld == b.upheld;
}
bool SameBody(const DataConfirm& a, const DataConfirm& b) {
  return a.asset_id == b.asset_id && a.certificate_no == b.certificate_no &&
         a.valid_until == b.valid_until;
}
bool SameBody(const DataReject& a, const DataReject& b) {
  return a.asset_id == b.asset_id && a.reason == b.reason;
}
bool SameBody(const ValuationAttest& a, const ValuationAttest& b) {
  return a.valuation_id == b.valuation_id && Same(a.items, b.items) && a.total == b.total &&
         a.standard == b.standard && a.methods == b.methods && a.base_date == b.base_date &&
         a.valid_until == b.valid_until && a.report_sha256 == b.report_sha256;
}
bool SameBody(const ValuationWithdraw& a, const ValuationWithdraw& b) {
  return a.valuation_id == b.valuation_id && a.reason == b.reason;
}
bool SameBody(const CaseRegister& a, const CaseRegister& b) {
  return a.case_id == b.case_id && a.debtor == b.debtor && a.facility == b.facility &&
         a.term == b.term && Same(a.other_collateral, b.other_collateral);
}
bool SameBody(const PledgeRegister& a, const PledgeRegister& b) {
  return a.pledge_id == b.pledge_id && a.case_id == b.case_id && a.pledgors == b.pledgors &&
         a.debtor == b.debtor && a.collateral == b.collateral && a.secured == b.secured &&
         a.debt_term == b.debt_term && a.official_reg_no == b.official_reg_no &&
         a.valuation_ids == b.valuation_ids && a.contract_sha256 == b.contract_sha256 &&
         a.acknowledgements == b.acknowledgements && a.forfeiture_clause == b.forfeiture_clause;
}
bool SameBody(const PledgeAmend& a, const PledgeAmend& b) {
  return a.pledge_id == b.pledge_id && a.secured == b.secured && a.debt_term == b.debt_term &&
         a.release_collateral == b.release_collateral && a.official_reg_no == b.official_reg_no;
}
bool SameBody(const PledgeRelease& a, const PledgeRelease& b) {
  return a.pledge_id == b.pledge_id && a.reason == b.reason &&
         a.evidence_sha256 == b.evidence_sha256;
}
bool SameBody(const PledgeEnforce& a, const PledgeEnforce& b) {
  return a.pledge_id == b.pledge_id && a.started == b.started;
}
bool SameBody(const PolicyIssue& a, const PolicyIssue& b) {
  return a.policy_id == b.policy_id && a.product == b.product && a.insured == b.insured &&
         a.loss_payees == b.loss_payees && a.covered_assets == b.covered_assets &&
         a.period == b.period && a.limit_per_claim == b.limit_per_claim &&
         a.aggregate_limit == b.aggregate_limit && a.deductible == b.deductible &&
         a.covered_costs == b.covered_costs;
}
bool SameBody(const PolicyCancel& a, const PolicyCancel& b) {
  return a.policy_id == b.policy_id && a.effective_date == b.effective_date && a.reason == b.reason;
}
bool SameBody(const PolicyClaim& a, const PolicyClaim& b) {
  return a.claim_no == b.claim_no && a.policy_id == b.policy_id && a.asset_id == b.asset_id &&
         a.incident_date == b.incident_date && a.paid == b.paid;
}

bool SameStatement(const Statement& a, const Statement& b) {
  if (a.v != b.v || a.type != b.type || a.submitter != b.submitter ||
      a.idempotency_key != b.idempotency_key || a.created_ms != b.created_ms ||
      a.body.index() != b.body.index()) {
    return false;
  }
  return std::visit(
      [&](const auto& body_a) {
        return SameBody(body_a, std::get<std::decay_t<decltype(body_a)>>(b.body));
      },
      a.body);
}

// ---------------------------------------------------------------------------------
// Valid statements

TEST(StatementCodecTest, ExamplesCoverEveryStatementType) {
  std::set<std::string> covered;
  for (const Example& e : Examples()) covered.insert(e.expected.type);
  for (std::string_view type : StatementTypeNames()) {
    EXPECT_TRUE(covered.contains(std::string(type))) << "no example of " << type;
  }
}

TEST(StatementCodecTest, DecodesHandWrittenExampleOfEveryType) {
  for (const Example& e : Examples()) {
    SCOPED_TRACE(e.name);
    StatusOr<Statement> s = DecodeStatement(e.json);
    ASSERT_OK(s);
    EXPECT_EQ(s->type, std::string(StatementTypeName(s->body)));
    EXPECT_TRUE(SameStatement(*s, e.expected))
        << "decoded:  " << EncodeStatement(*s) << "\nexpected: " << EncodeStatement(e.expected);
  }
}

TEST(StatementCodecTest, EncodeThenDecodeReproducesEveryExample) {
  std::vector<Statement> all = MinimalStatements();
  for (const Example& e : Examples()) all.push_back(e.expected);
  for (const Statement& s : all) {
    SCOPED_TRACE(s.type + " " + s.idempotency_key);
    const std::string json = EncodeStatement(s);
    StatusOr<Statement> back = DecodeStatement(json);
    ASSERT_OK(back) << json;
    EXPECT_TRUE(SameStatement(*back, s)) << json << "\n" << EncodeStatement(*back);
    EXPECT_EQ(EncodeStatement(*back), json);  // encoding is deterministic
  }
}

TEST(StatementCodecTest, EncodeIsCompactAndOmitsAbsentOptionals) {
  const std::vector<Statement> minimal = MinimalStatements();
  const std::string json = EncodeStatement(minimal[0]);
  EXPECT_EQ(
      json,
      R"({"body":{"id":"acme","keys":[{"ed25519":"BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=",)"
      R"("label":"k1"}],"name":"Acme","role":"enterprise"},"created":"2026-11-26T08:00:00.123Z",)"
      R"("idempotency_key":"m1","submitter":"registry","type":"participant.register","v":1})");
  for (const Statement& s : minimal) {
    const std::string j = EncodeStatement(s);
    EXPECT_EQ(j.find("\"case_id\"") != std::string::npos, s.type == "case.register") << j;
    // Optional fields none of the minimal statements sets (case_id is optional only in
    // pledge.register), and the whitespace compact output never has.
    constexpr std::string_view kAbsent[] = {"uscc",
                                            "region_code",
                                            "patent_no",
                                            "grant_date",
                                            "term_end",
                                            "similarity_group",
                                            "valid_until",
                                            "official_reg_no",
                                            "acknowledgements",
                                            "forfeiture_clause",
                                            "release_collateral",
                                            "loss_payees",
                                            "evidence_sha256",
                                            "legal_score",
                                            "technical_score",
                                            "economic_score",
                                            "\": ",
                                            ", \"",
                                            "\n"};
    for (std::string_view absent : kAbsent) {
      EXPECT_EQ(j.find(absent), std::string::npos) << absent << " in " << j;
    }
  }
}

TEST(StatementCodecTest, ForfeitureClauseFalseDecodesAndIsOmitted) {
  std::string json = ExampleNamed("pledge_register").json;
  const std::string from = R"("forfeiture_clause": true)";
  json.replace(json.find(from), from.size(), R"("forfeiture_clause": false)");
  StatusOr<Statement> s = DecodeStatement(json);
  ASSERT_OK(s);
  EXPECT_FALSE(std::get<PledgeRegister>(s->body).forfeiture_clause);
  EXPECT_EQ(EncodeStatement(*s).find("forfeiture_clause"), std::string::npos);
}

TEST(StatementCodecTest, AcceptsTheEdgesOfEachRange) {
  struct Case {
    const char* example;
    const char* from;
    const char* to;
  };
  const Case cases[] = {
      {"pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": 9223372036854775807)"},
      {"pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": 0)"},
      {"asset_register_trademark", R"("nice_class": 45)", R"("nice_class": 1)"},
      {"valuation_attest", R"("legal_score": 85)", R"("legal_score": 0)"},
      {"participant_register", R"("id": "ccb-quzhou")", R"("id": "a-")"},
      {"participant_register", R"("id": "ccb-quzhou")",
       R"("id": "a123456789012345678901234567890123456789012345678901234567890123")"},
      {"participant_register", R"("idempotency_key": "reg-ccb-quzhou-0001")",
       R"("idempotency_key": "x")"},
      {"pledge_register", R"("pledge_id": "CCB-QZ-2026-0042-P1")",
       R"("pledge_id": "A234567890123456789012345678901234567890123456789012345678901234")"},
      {"pledge_register", R"("end": "2029-11-30")", R"("end": "2026-12-01")"},
      {"pledge_register", R"("valuation_ids": ["ZJA-2026-0117"])", R"("valuation_ids": [])"},
      {"pledge_enforce", R"("2028-03-01")", R"("2028-02-29")"},
      {"pledge_enforce", R"("2028-03-01")", R"("0001-01-01")"},
      {"pledge_enforce", R"("2028-03-01")", R"("9999-12-31")"},
      {"policy_claim", R"("asset_id": "patent:2014103620773")",
       R"("asset_id": "trademark:12345678901234567890123456789012")"},
      {"policy_claim", R"("asset_id": "patent:2014103620773")",
       R"("asset_id": "patent:2023.1234567X")"},
      {"policy_claim", R"("asset_id": "patent:2014103620773")",
       R"("asset_id": "data:A234567890123456789012345678901234567890123456789012345678901234")"},
      {"participant_keys", R"("revoke": ["k1"])", R"("revoke": ["k1", "k2"])"},
      {"asset_status", R"("holders": ["lanyu-holdings"])", R"("holders": ["a1", "b2"])"},
      // A policy period that ends before it starts is for the rules to refuse (I-2).
      {"policy_issue", R"("period": {"start": "2026-12-01", "end": "2027-11-30"})",
       R"("period": {"start": "2027-12-01", "end": "2026-11-30"})"},
      // Whitespace and key order are the client's choice.
      {"data_reject", R"("v": 1,)", "\t\r\n \"v\"\n:\n1 ,"},
  };
  for (const Case& c : cases) {
    std::string json = ExampleNamed(c.example).json;
    const std::string from = c.from;
    ASSERT_NE(json.find(from), std::string::npos) << c.from;
    json.replace(json.find(from), from.size(), c.to);
    EXPECT_OK(DecodeStatement(json)) << c.to;
  }
  std::string reordered = R"({"body": {"reason": "r", "asset_id": "data:x"}, "created":)"
                          R"( "2026-11-26T08:00:00.123Z", "idempotency_key": "k", "submitter":)"
                          R"( "registry", "type": "data.reject", "v": 1})";
  EXPECT_OK(DecodeStatement(reordered));
}

TEST(StatementCodecTest, IdempotencyKeyLengthCountsCharacters) {
  const std::string base = ExampleNamed("data_reject").json;
  auto with_key = [&](const std::string& key) {
    std::string json = base;
    const std::string from = R"("idempotency_key": "rej-0001")";
    json.replace(json.find(from), from.size(), "\"idempotency_key\": \"" + key + "\"");
    return DecodeStatement(json);
  };
  EXPECT_OK(with_key(std::string(128, 'k')));
  std::string cjk;
  for (int i = 0; i < 128; ++i) cjk += "键";  // 3 bytes each in UTF-8
  EXPECT_OK(with_key(cjk));
  StatusOr<Statement> long_key = with_key(std::string(129, 'k'));
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.status().message().rfind("idempotency_key: ", 0), 0u);
  EXPECT_FALSE(with_key(cjk + "键").ok());
}

TEST(StatementCodecTest, NestingAtTheLimitIsNotRefusedForDepth) {
  // The statement object, the body and 30 arrays make 32 levels.
  std::string deep = std::string(30, '[') + std::string(30, ']');
  std::string json = ExampleNamed("data_reject").json;
  const std::string from = R"("reason": "objection upheld")";
  json.replace(json.find(from), from.size(), from + ", \"x\": " + deep);
  StatusOr<Statement> s = DecodeStatement(json);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "body.x: unknown field");
}

}  // namespace
}  // namespace ipledger::api
