// The one strict JSON reader (api/codec/internal/strict_json.h): duplicate keys and
// excess depth refused wherever they are, each refusal naming its field path, and the
// envelope decoder built on it.
#include "api/codec/internal/strict_json.h"

#include <string>

#include "api/codec/json_codec.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

std::string Nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(StrictJsonTest, AcceptsAPlainDocument) {
  std::string error;
  auto j = ParseStrictJson(R"({"a": [1, {"b": "c"}], "d": null})", "doc", &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(j["a"][1]["b"], "c");
}

TEST(StrictJsonTest, DuplicateKeyIsRefusedWithItsPath) {
  std::string error;
  (void)ParseStrictJson(R"({"a": [1, {"b": 1, "b": 2}]})", "doc", &error);
  EXPECT_EQ(error, "a[1].b: duplicate key");
  (void)ParseStrictJson(R"({"x": 1, "x": 1})", "doc", &error);
  EXPECT_EQ(error, "x: duplicate key");
}

TEST(StrictJsonTest, TheSameKeyInSiblingObjectsIsFine) {
  std::string error;
  (void)ParseStrictJson(R"([{"k": 1}, {"k": 2}])", "doc", &error);
  EXPECT_EQ(error, "");
}

TEST(StrictJsonTest, DepthAtTheLimitPassesOneBeyondIsRefused) {
  std::string error;
  (void)ParseStrictJson(Nested(kMaxJsonDepth), "doc", &error);
  EXPECT_EQ(error, "");
  (void)ParseStrictJson(Nested(kMaxJsonDepth + 1), "doc", &error);
  EXPECT_NE(error.find("nested deeper than 32 levels"), std::string::npos) << error;
  // Hostile depth costs nothing beyond the refusal point.
  (void)ParseStrictJson(Nested(100000), "doc", &error);
  EXPECT_NE(error.find("nested deeper than 32 levels"), std::string::npos) << error;
}

TEST(StrictJsonTest, SyntaxErrorsAndBadUtf8NameTheRootOrField) {
  std::string error;
  (void)ParseStrictJson("", "doc", &error);
  EXPECT_EQ(error, "doc: not valid JSON (syntax error or invalid UTF-8)");
  (void)ParseStrictJson("{\"a\": \"\xfe\"}", "doc", &error);
  EXPECT_EQ(error, "a: not valid JSON (syntax error or invalid UTF-8)");
}

TEST(StrictJsonTest, ControlBytesInKeysAreNotEchoed) {
  std::string error;
  (void)ParseStrictJson("{\"a\\u0001\": 1, \"a\\u0001\": 2}", "doc", &error);
  EXPECT_EQ(error, "a?: duplicate key");
}

TEST(StrictJsonTest, EnvelopeDecoderUsesTheSameReader) {
  const std::string sig = R"({"keyid": "bank/k1", "sig": "AAAA"})";
  auto dup = DecodeEnvelopeJson(R"({"payloadType": "t", "payload": "", "payload": "", )"
                                R"("signatures": [)" +
                                sig + "]}");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "payload: duplicate key");
  auto deep = DecodeEnvelopeJson(R"({"payloadType": "t", "payload": "", "signatures": )" +
                                 Nested(40) + "}");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace ipledger::api
