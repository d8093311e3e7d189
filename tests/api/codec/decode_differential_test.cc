// The fast passes of the JSON decoders against their references (tests/fuzz/
// decode_differential.h) on the inputs that matter most: the statement examples and
// envelopes of them, the fuzz corpora, every one of those with single bytes deleted,
// doubled or replaced by a byte that changes JSON structure, and hand-written cases of
// each strictness rule (duplicate keys, depth, UTF-8, numbers, escapes, a BOM).
#include "tests/fuzz/decode_differential.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "tests/api/codec/statement_examples.h"
#include "tests/testing/testing.h"

namespace ipledger::fuzz {
namespace {

const std::filesystem::path kFuzzDir = IPLEDGER_FUZZ_DIR;

std::string EnvelopeOf(const std::string& payload, int signers) {
  DsseEnvelope env;
  env.payload_type = std::string(api::kStatementPayloadType);
  env.payload = Bytes(payload.begin(), payload.end());
  for (int i = 1; i <= signers; ++i) {
    AddDsseSignature(env, "signer-" + std::to_string(i) + "/k1", testing::TestKey(i));
  }
  return api::EncodeEnvelopeJson(env);
}

// The inputs before mutation: statements, envelopes, the corpora.
std::vector<std::string> Seeds() {
  std::vector<std::string> out;
  for (const api::Example& e : api::Examples()) {
    out.push_back(e.json);
    out.push_back(api::EncodeStatement(e.expected));
    out.push_back(EnvelopeOf(e.json, 1));
    out.push_back(EnvelopeOf(api::EncodeStatement(e.expected), 2));
  }
  for (const char* target : {"envelope", "statement"}) {
    for (const auto& f : std::filesystem::directory_iterator(kFuzzDir / "corpus" / target)) {
      if (f.is_regular_file()) out.push_back(testing::ReadFileOrDie(f.path()));
    }
  }
  return out;
}

void ExpectSame(const std::string& input) {
  EXPECT_OK(CheckStrictJsonPasses(input));
  EXPECT_OK(CheckEnvelopePasses(input));
}

TEST(DecodeDifferentialTest, SeedsDecodeTheSameInBothPasses) {
  for (const std::string& s : Seeds()) ExpectSame(s);
}

TEST(DecodeDifferentialTest, EnvelopesAsClientsWriteThemTakeTheFastPass) {
  for (const api::Example& e : api::Examples()) {
    for (int signers : {1, 2, 8}) {
      const std::string env = EnvelopeOf(e.json, signers);
      EXPECT_TRUE(EnvelopeTakesFastPass(env)) << e.name;
      // Pretty-printed too: whitespace between every token.
      std::string spaced;
      for (char c : env) {
        spaced += c;
        if (c == '{' || c == '[' || c == ',' || c == ':') spaced += "\n\t ";
      }
      EXPECT_TRUE(EnvelopeTakesFastPass(spaced)) << e.name;
      ExpectSame(spaced);
    }
  }
}

// Single-byte mutations at up to 3 positions of each seed (about 120 seeds x 3 x 12 =
// 4,300 inputs, ~6 s of CPU with ASan); IPLEDGER_LONG_DIFFERENTIAL=1 takes every position
// (~1.5 million inputs, for manual runs).
TEST(DecodeDifferentialTest, MutantsDecodeTheSameInBothPasses) {
  const std::string kBytes[] = {"\"", "\\", "{", "}", "]", ",", ":", "0", "\x80", " "};
  const bool every_position = std::getenv("IPLEDGER_LONG_DIFFERENTIAL") != nullptr;
  std::size_t seed_no = 0;
  for (const std::string& s : Seeds()) {
    const std::size_t stride = every_position ? 1 : std::max<std::size_t>(1, s.size() / 3);
    // Each seed starts at another offset, so the seeds together cover many positions.
    for (std::size_t i = (seed_no++ * 37) % stride; i < s.size(); i += stride) {
      std::string deleted = s;
      deleted.erase(i, 1);
      ExpectSame(deleted);
      std::string doubled = s;
      doubled.insert(i, 1, s[i]);
      ExpectSame(doubled);
      for (const std::string& b : kBytes) {
        std::string replaced = s;
        replaced.replace(i, 1, b);
        ExpectSame(replaced);
      }
    }
  }
}

TEST(DecodeDifferentialTest, EachStrictnessRuleRefusesInBothPasses) {
  const std::string sig = "\"signatures\":[{\"keyid\":\"a-b/k1\",\"sig\":\"AAAA\"}]";
  const std::string ok = "{\"payloadType\":\"t\",\"payload\":\"e30=\"," + sig + "}";
  ASSERT_TRUE(EnvelopeTakesFastPass(ok));
  ASSERT_OK(api::DecodeEnvelopeJson(ok).status());
  const std::vector<std::string> cases = {
      // Duplicate keys, at the top and inside a signature; also spelled with an escape.
      "{\"payloadType\":\"t\",\"payloadType\":\"t\",\"payload\":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"keyid\":\"a-b/k1\","
      "\"keyid\":\"a-b/k1\",\"sig\":\"AAAA\"}]}",
      "{\"payloadType\":\"t\",\"payload\\u0020\":\"e30=\",\"payload \":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"t\",\"p\\u0061yload\":\"e30=\"," + sig + "}",
      // Escapes the fast pass leaves to the DOM, which accepts them.
      "{\"payloadType\":\"t\",\"payload\":\"e3\\u0030=\"," + sig + "}",
      "{\"payloadType\":\"a\\/b\",\"payload\":\"e30=\"," + sig + "}",
      // Encodings: a BOM, invalid UTF-8, a lone surrogate, a control character.
      "\xEF\xBB\xBF" + ok,
      "{\"payloadType\":\"\xC3\x28\",\"payload\":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"\xC3\xA9\",\"payload\":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"\\ud800\",\"payload\":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"\t\",\"payload\":\"e30=\"," + sig + "}",
      // Wrong types, missing and unknown fields, too many or repeated signatures.
      "{\"payloadType\":1,\"payload\":\"e30=\"," + sig + "}",
      "{\"payloadType\":\"t\"," + sig + "}",
      "{\"payloadType\":\"t\",\"payload\":\"e30=\",\"x\":null," + sig + "}",
      "{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[]}",
      "{\"payloadType\":\"t\",\"payload\":\"e30\"," + sig + "}",
      "{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"keyid\":\"a-b/k1\","
      "\"sig\":\"AAAA\"},{\"keyid\":\"a-b/k1\",\"sig\":\"AAAA\"}]}",
      // Trailing bytes, a truncation, an empty input, a scalar.
      ok + " x",
      ok + "{}",
      ok.substr(0, ok.size() - 1),
      "",
      "5",
      "\"s\"",
      // Numbers in every spelling nlohmann distinguishes.
      "[0, -0, 1, -1, 1.0, 1e3, 1E-3, -0.0, 18446744073709551615, 18446744073709551616,"
      " -9223372036854775808, -9223372036854775809, 1e400]",
      "[01]",
      "[1.]",
      "[.1]",
      "[+1]",
      "[0x10]",
      "[NaN]",
      "[1e]",
  };
  for (const std::string& c : cases) ExpectSame(c);

  // Depth: 32 nested containers are accepted, 33 are not, in both passes.
  for (int depth : {31, 32, 33, 200}) {
    std::string arrays = std::string(static_cast<std::size_t>(depth), '[') +
                         std::string(static_cast<std::size_t>(depth), ']');
    ExpectSame(arrays);
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(static_cast<std::size_t>(depth), '}');
    ExpectSame(objects);
  }
}

}  // namespace
}  // namespace ipledger::fuzz
