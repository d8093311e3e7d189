// The policy `ipledger witness-policy` derives from the witness keys in the log
// (api/client/witness_keys.h), and the parser of GET /v1/witnesses answers.
#include "api/client/witness_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/log/witness_policy.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

using testing::TestWitnessVkey;

RegisteredWitness W(const std::string& participant, const std::string& role, int seed) {
  return {participant,
          role,
          "w1",
          TestWitnessVkey("witness." + participant + ".example", seed),
          "http://127.0.0.1:" + std::to_string(8000 + seed),
          10u + static_cast<unsigned>(seed)};
}

// The demo's three: a bank's, an insurer's and the regulator's.
WitnessKeysAnswer Demo() {
  return {42,
          {W("ccb-quzhou", "bank", 1), W("nfra-quzhou", "regulator", 2),
           W("picc-quzhou", "insurer", 3)}};
}

WitnessPolicy Parsed(const std::string& text) {
  auto p = ParseWitnessPolicy(text);
  EXPECT_OK(p);
  return p.ok() ? *p : WitnessPolicy{};
}

TEST(WitnessPolicyDerivationTest, DefaultIsTheRegulatorAndOneOther) {
  auto text = DeriveWitnessPolicy(Demo(), "default", "http://127.0.0.1:8080");
  ASSERT_OK(text);
  EXPECT_NE(text->find("witness ccb-quzhou/w1 " + TestWitnessVkey("witness.ccb-quzhou.example", 1) +
                       " http://127.0.0.1:8001\n"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("group regulators any nfra-quzhou/w1\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("group others any ccb-quzhou/w1 picc-quzhou/w1\n"), std::string::npos);
  const WitnessPolicy p = Parsed(*text);
  ASSERT_EQ(p.witnesses.size(), 3u);
  EXPECT_EQ(p.witnesses[1].url, "http://127.0.0.1:8002");
  EXPECT_TRUE(QuorumMet(p, {"nfra-quzhou/w1", "ccb-quzhou/w1"}));
  EXPECT_TRUE(QuorumMet(p, {"nfra-quzhou/w1", "picc-quzhou/w1"}));
  EXPECT_FALSE(QuorumMet(p, {"ccb-quzhou/w1", "picc-quzhou/w1"}));
  EXPECT_FALSE(QuorumMet(p, {"nfra-quzhou/w1"}));
  // The text round-trips through the policy parser and formatter.
  EXPECT_EQ(FormatWitnessPolicy(Parsed(FormatWitnessPolicy(p))), FormatWitnessPolicy(p));
}

TEST(WitnessPolicyDerivationTest, OtherQuorums) {
  const WitnessPolicy any = Parsed(*DeriveWitnessPolicy(Demo(), "any", "s"));
  EXPECT_TRUE(QuorumMet(any, {"picc-quzhou/w1"}));
  EXPECT_FALSE(QuorumMet(any, {}));
  const WitnessPolicy all = Parsed(*DeriveWitnessPolicy(Demo(), "all", "s"));
  EXPECT_FALSE(QuorumMet(all, {"picc-quzhou/w1", "ccb-quzhou/w1"}));
  EXPECT_TRUE(QuorumMet(all, {"picc-quzhou/w1", "ccb-quzhou/w1", "nfra-quzhou/w1"}));
  const WitnessPolicy two = Parsed(*DeriveWitnessPolicy(Demo(), "2", "s"));
  EXPECT_TRUE(QuorumMet(two, {"picc-quzhou/w1", "ccb-quzhou/w1"}));
  EXPECT_FALSE(QuorumMet(two, {"ccb-quzhou/w1"}));
  // Only banks registered: the default is one of them.
  WitnessKeysAnswer banks{7, {W("ccb-quzhou", "bank", 1), W("abc-jiangshan", "bank", 4)}};
  const WitnessPolicy one = Parsed(*DeriveWitnessPolicy(banks, "default", "s"));
  EXPECT_EQ(one.quorum, "others");
  EXPECT_TRUE(QuorumMet(one, {"abc-jiangshan/w1"}));
}

TEST(WitnessPolicyDerivationTest, Refusals) {
  for (const char* q : {"0", "4", "most", "", "-1", "1.5"}) {
    auto r = DeriveWitnessPolicy(Demo(), q, "s");
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << q;
  }
  auto none = DeriveWitnessPolicy(WitnessKeysAnswer{5, {}}, "default", "s");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kFailedPrecondition);
  // A server listing one key twice (the registry refuses that) gets no policy.
  WitnessKeysAnswer twice = Demo();
  twice.witnesses.push_back(twice.witnesses[0]);
  twice.witnesses.back().participant = "abc-jiangshan";
  auto dup = DeriveWitnessPolicy(twice, "default", "s");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), ErrorCode::kFailedPrecondition) << dup.status().ToString();
}

TEST(WitnessKeysJsonTest, ParsesTheAnswerAndRefusesOtherShapes) {
  const std::string v = TestWitnessVkey("witness.a.example", 9);
  auto a = ParseWitnessKeysJson(
      R"({"tree_size": 12, "witnesses": [{"participant": "a-bank", "role": "bank", "label": "w1",
          "vkey": ")" +
      v + R"(", "url": "https://w.example", "added_index": 3}]})");
  ASSERT_OK(a);
  EXPECT_EQ(a->tree_size, 12u);
  ASSERT_EQ(a->witnesses.size(), 1u);
  EXPECT_EQ(a->witnesses[0].vkey, v);
  EXPECT_EQ(a->witnesses[0].added_index, 3u);
  for (const char* bad : {
           "",
           "[]",
           R"({"witnesses": []})",
           R"({"tree_size": 1})",
           R"({"tree_size": 1, "witnesses": [{}]})",
           R"({"tree_size": 1, "witnesses": [{"participant": "a", "role": "bank", "label": "w1",
               "vkey": "x", "url": "http://a b", "added_index": 1}]})",
           R"({"tree_size": 1, "witnesses": [{"participant": "a", "role": "bank", "label": "w1",
               "vkey": "x", "url": "http://a", "added_index": -1}]})",
       }) {
    auto r = ParseWitnessKeysJson(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace ipledger::api
