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
    EXPECT_EQ(*s, e.expected) << "decoded:  " << EncodeStatement(*s)
                              << "\nexpected: " << EncodeStatement(e.expected);
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
    EXPECT_EQ(*back, s) << json << "\n" << EncodeStatement(*back);
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
      {"pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": 1000000000000000)"},
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

// Issue #12, attack "Two pledges of 9,223,372,036,854,775,807 fen wrap the regulator's
// CNY total": every Money field of every statement type refuses amounts above 10^15 fen
// (a schema error, E_SCHEMA at the API), and accepts 10^15 itself.
TEST(StatementCodecTest, TwoPledgesOfInt64MaxFenCannotWrapTotalsAmountsAbove1e15Refused) {
  int fields = 0;
  for (const Example& e : Examples()) {
    const std::string key = "\"amount_fen\": ";
    for (std::size_t at = e.json.find(key); at != std::string::npos;
         at = e.json.find(key, at + 1)) {
      const std::size_t start = at + key.size();
      const std::size_t end = e.json.find_first_not_of("0123456789", start);
      for (const char* huge : {"9223372036854775807", "1000000000000001"}) {
        std::string json = e.json;
        json.replace(start, end - start, huge);
        StatusOr<Statement> s = DecodeStatement(json);
        ASSERT_FALSE(s.ok()) << e.name << " " << huge;
        EXPECT_NE(s.status().message().find("amount_fen: must be an integer <= 1000000000000000"),
                  std::string::npos)
            << s.status().message();
      }
      ++fields;
    }
  }
  EXPECT_GE(fields, 8);  // pledge, case, other collateral, valuation, policy, claim
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
