// Witness policies: the strict parser (each error names its line) and the quorum of
// "the regulator and one of the bank and the insurer" over real cosignatures.
#include "ledger/log/witness_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/witness.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using testing::TestKey;

constexpr std::string_view kOrigin = "policy.ipledger.example/log";

std::string Vkey(const std::string& name, int key) {
  return FormatVkey(MakeCosignatureVerifier(name, TestKey(key).public_key()));
}

std::string Policy() {
  return "# the regulator and one of the other two\n"
         "witness bank " +
         Vkey("w.bank", 11) +
         " http://127.0.0.1:1/\n"
         "witness insurer " +
         Vkey("w.insurer", 12) +
         "   http://127.0.0.1:2\n"
         "witness regulator\t" +
         Vkey("w.regulator", 13) +
         "\n"
         "\n"
         "group banks-or-insurers any bank insurer\n"
         "group all-needed all regulator banks-or-insurers  # comment\n"
         "quorum all-needed\n";
}

TEST(WitnessPolicyTest, ParsesAndFormatsBack) {
  auto p = ParseWitnessPolicy(Policy());
  ASSERT_OK(p);
  ASSERT_EQ(p->witnesses.size(), 3u);
  EXPECT_EQ(p->witnesses[0].url, "http://127.0.0.1:1");
  EXPECT_EQ(p->witnesses[0].verifier.type, kNoteSigCosignatureV1);
  EXPECT_EQ(p->witnesses[2].url, "");
  EXPECT_EQ(p->groups[0].threshold, 1u);
  EXPECT_EQ(p->groups[1].threshold, 2u);
  EXPECT_EQ(p->quorum, "all-needed");
  auto again = ParseWitnessPolicy(FormatWitnessPolicy(*p));
  ASSERT_OK(again);
  EXPECT_EQ(FormatWitnessPolicy(*again), FormatWitnessPolicy(*p));
  // An Ed25519 (0x01) vkey names the key that cosigns with type 0x04.
  auto plain = ParseWitnessPolicy("witness w " +
                                  FormatVkey(MakeNoteVerifier("w.x", TestKey(11).public_key())) +
                                  "\nquorum w\n");
  ASSERT_OK(plain);
  EXPECT_EQ(plain->witnesses[0].verifier.type, kNoteSigCosignatureV1);
  EXPECT_EQ(plain->witnesses[0].verifier.key_id,
            MakeCosignatureVerifier("w.x", TestKey(11).public_key()).key_id);
}

TEST(WitnessPolicyTest, RejectsEveryMalformedLineNamingIt) {
  const std::string w1 = "witness a " + Vkey("w.a", 11) + "\n";
  const std::string w2 = "witness b " + Vkey("w.b", 12) + "\n";
  struct Case {
    std::string text;
    std::string expect;
  };
  const Case cases[] = {
      {"", "no 'quorum NAME' line"},
      {w1, "no 'quorum NAME' line"},
      {w1 + "log abc\nquorum a\n", "line 2: unknown statement 'log'"},
      {"witness a\nquorum a\n", "line 1: expected 'witness NAME VKEY [URL]'"},
      {"witness a notavkey\nquorum a\n", "line 1: bad vkey"},
      {w1 + "witness a " + Vkey("w.c", 13) + "\nquorum a\n", "line 2: duplicate name 'a'"},
      {w1 + "witness c " + Vkey("w.c", 11) + "\nquorum a\n", "reuses the key"},
      {"witness a " + Vkey("w.a", 11) + " ftp://x\nquorum a\n", "line 1: bad URL"},
      {w1 + w2 + "group g 3 a b\nquorum g\n", "line 3: threshold must be any, all or 1..2"},
      {w1 + w2 + "group g 0 a b\nquorum g\n", "threshold"},
      {w1 + w2 + "group g any a c\nquorum g\n", "line 3: unknown member 'c'"},
      {w1 + w2 + "group g any a a\nquorum g\n", "listed twice"},
      {w1 + w2 + "group g any\nquorum g\n", "expected 'group NAME"},
      {w1 + "quorum b\n", "line 2: unknown quorum 'b'"},
      {w1 + "quorum a\nquorum a\n", "line 3: a second quorum line"},
      {w1 + "quorum a b\n", "line 2: expected 'quorum NAME'"},
  };
  for (const Case& c : cases) {
    auto p = ParseWitnessPolicy(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.expect), std::string::npos)
        << p.status().message() << " // wanted: " << c.expect;
  }
}

TEST(WitnessPolicyTest, QuorumOfTheRegulatorAndOneOfTheOthers) {
  auto p = ParseWitnessPolicy(Policy());
  ASSERT_OK(p);
  const std::string cp = SignCheckpoint(Checkpoint{std::string(kOrigin), 3, Digest{}}, TestKey(1));
  const std::string text = ParseNote(cp)->text;
  const std::string bank = SignCosignatureLine(text, "w.bank", 100, TestKey(11));
  const std::string insurer = SignCosignatureLine(text, "w.insurer", 100, TestKey(12));
  const std::string regulator = SignCosignatureLine(text, "w.regulator", 100, TestKey(13));
  const auto log_key = MakeNoteVerifier(kOrigin, TestKey(1).public_key());

  auto check = [&](const std::string& lines, bool met, std::size_t n) {
    auto c = OpenCosignedCheckpoint(cp + lines, log_key, *p);
    ASSERT_OK(c);
    EXPECT_EQ(c->quorum, met) << lines;
    EXPECT_EQ(c->witnesses.size(), n) << lines;
  };
  check("", false, 0);
  check(bank + insurer, false, 2);
  check(regulator, false, 1);
  check(regulator + bank, true, 2);
  check(insurer + regulator, true, 2);
  check(bank + insurer + regulator, true, 3);
  // A regulator line over another checkpoint does not count.
  const std::string other = SignCosignatureLine(
      ParseNote(SignCheckpoint(Checkpoint{std::string(kOrigin), 4, Digest{}}, TestKey(1)))->text,
      "w.regulator", 100, TestKey(13));
  check(other + bank, false, 1);
  // The log signature must verify.
  EXPECT_FALSE(OpenCosignedCheckpoint(cp + regulator + bank,
                                      MakeNoteVerifier(kOrigin, TestKey(2).public_key()), *p)
                   .ok());
}

}  // namespace
}  // namespace ipledger
