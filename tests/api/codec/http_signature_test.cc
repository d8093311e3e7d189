// RFC 9421 request signatures, Ed25519 profile (api.md §8): the exact signature base,
// sign/verify, the time window and strict parsing of Signature-Input / Signature.
#include "api/codec/http_signature.h"

#include <map>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

constexpr std::int64_t kCreated = 1764144000;  // 2025-11-26T08:00:00Z
constexpr char kParams[] =
    R"(("@method" "@path" "@query");created=1764144000;keyid="ccb-quzhou/k1";alg="ed25519")";

TEST(HttpSignatureTest, SignatureBaseWithoutQueryHasBareQuestionMark) {
  EXPECT_EQ(SignatureBase("GET", "/v1/pledges/PL-1", kParams),
            "\"@method\": GET\n"
            "\"@path\": /v1/pledges/PL-1\n"
            "\"@query\": ?\n"
            "\"@signature-params\": (\"@method\" \"@path\" \"@query\");created=1764144000;"
            "keyid=\"ccb-quzhou/k1\";alg=\"ed25519\"");
}

TEST(HttpSignatureTest, SignatureBaseWithQuerySplitsPathAndQuery) {
  EXPECT_EQ(
      SignatureBase("GET", "/v1/assets/patent:2014103620773/status?at=2024-06-30&x=%2F", kParams),
      "\"@method\": GET\n"
      "\"@path\": /v1/assets/patent:2014103620773/status\n"
      "\"@query\": ?at=2024-06-30&x=%2F\n"
      "\"@signature-params\": (\"@method\" \"@path\" \"@query\");created=1764144000;"
      "keyid=\"ccb-quzhou/k1\";alg=\"ed25519\"");
}

TEST(HttpSignatureTest, SignatureBaseEmptyQueryAndEmptyPath) {
  // "/x?" has an empty query: the component is "?" as when the query is absent.
  EXPECT_EQ(SignatureBase("GET", "/x?", "()"),
            "\"@method\": GET\n\"@path\": /x\n\"@query\": ?\n\"@signature-params\": ()");
  // RFC 9421 §2.2.6: an empty path is "/".
  EXPECT_EQ(SignatureBase("GET", "?a=1", "()"),
            "\"@method\": GET\n\"@path\": /\n\"@query\": ?a=1\n\"@signature-params\": ()");
}

TEST(HttpSignatureTest, SignRequestProducesProfileHeadersOverLiteralBase) {
  const SigningKey key = testing::TestKey(1);
  const SignatureHeaders h =
      SignRequest("GET", "/v1/entries/7?view=full", "ccb-quzhou/k1", kCreated, key);
  EXPECT_EQ(h.signature_input, std::string("ipl=") + kParams);
  ASSERT_GT(h.signature.size(), 6u);
  EXPECT_EQ(h.signature.substr(0, 5), "ipl=:");
  EXPECT_EQ(h.signature.back(), ':');
  auto raw = Base64Decode(h.signature.substr(5, h.signature.size() - 6));
  ASSERT_TRUE(raw.has_value());
  auto sig = SignatureFromBytes(*raw);
  ASSERT_TRUE(sig.has_value());
  // Verified against the base written out by hand, not against SignatureBase().
  const std::string base =
      "\"@method\": GET\n"
      "\"@path\": /v1/entries/7\n"
      "\"@query\": ?view=full\n"
      "\"@signature-params\": (\"@method\" \"@path\" \"@query\");created=1764144000;"
      "keyid=\"ccb-quzhou/k1\";alg=\"ed25519\"";
  EXPECT_TRUE(Verify(key.public_key(), AsBytes(base), *sig));
}

TEST(HttpSignatureTest, SignParseVerifyRoundTrip) {
  const SigningKey key = testing::TestKey(1);
  const SignatureHeaders h = SignRequest("GET", "/v1/pledges?holder=a", "bank-a/k1", kCreated, key);
  auto parsed = ParseSignatureHeaders(h.signature_input, h.signature);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->params.label, "ipl");
  EXPECT_EQ(parsed->params.keyid, "bank-a/k1");
  EXPECT_EQ(parsed->params.created, kCreated);
  EXPECT_EQ(parsed->params.alg, "ed25519");
  EXPECT_EQ("ipl=" + parsed->params_text, h.signature_input);
  EXPECT_OK(
      VerifyRequestSignature(*parsed, "GET", "/v1/pledges?holder=a", key.public_key(), kCreated));
}

TEST(HttpSignatureTest, KeyidEscapesRoundTrip) {
  const SigningKey key = testing::TestKey(2);
  const std::string keyid = R"(odd"id\k1)";
  const SignatureHeaders h = SignRequest("GET", "/v1/x", keyid, kCreated, key);
  EXPECT_NE(h.signature_input.find(R"(keyid="odd\"id\\k1")"), std::string::npos)
      << h.signature_input;
  auto parsed = ParseSignatureHeaders(h.signature_input, h.signature);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->params.keyid, keyid);
  EXPECT_OK(VerifyRequestSignature(*parsed, "GET", "/v1/x", key.public_key(), kCreated));
}

TEST(HttpSignatureTest, SurroundingWhitespaceIsAccepted) {
  const SigningKey key = testing::TestKey(1);
  const SignatureHeaders h = SignRequest("GET", "/v1/x", "bank-a/k1", kCreated, key);
  auto parsed = ParseSignatureHeaders(" " + h.signature_input + "\t", " " + h.signature + " ");
  ASSERT_OK(parsed);
  EXPECT_OK(VerifyRequestSignature(*parsed, "GET", "/v1/x", key.public_key(), kCreated));
}

TEST(HttpSignatureTest, OtherLabelAndParameterOrderVerify) {
  // Any label and any parameter order are valid RFC 9421; the base uses the text as sent.
  const SigningKey key = testing::TestKey(1);
  const std::string params =
      R"(("@method" "@path" "@query");alg="ed25519";keyid="bank-a/k1";created=1764144000)";
  const Signature sig = key.Sign(AsBytes(SignatureBase("GET", "/v1/x", params)));
  auto parsed = ParseSignatureHeaders("sig1=" + params, "sig1=:" + Base64Encode(sig) + ":");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->params.label, "sig1");
  EXPECT_EQ(parsed->params_text, params);
  EXPECT_OK(VerifyRequestSignature(*parsed, "GET", "/v1/x", key.public_key(), kCreated));
}

// What RFC 9421 libraries send by default (api.md §8, v1.1): the parameters keyid, alg,
// created, expires (and nonce, tag) in their order, the components in the caller's order
// with extra ones such as "@authority" and header fields.
TEST(HttpSignatureTest, LibraryStyleParametersAndComponentsVerify) {
  const SigningKey key = testing::TestKey(1);
  const std::string params =
      R"(("@authority" "@method" "content-type" "@query" "@path");keyid="bank-a/k1";)"
      R"(alg="ed25519";created=1764144000;expires=1764144300;nonce="n-1";tag="ipl-app")";
  const std::string base =
      "\"@authority\": registry.example:8443\n"
      "\"@method\": GET\n"
      "\"content-type\": application/json\n"
      "\"@query\": ?at=2024-06-30\n"
      "\"@path\": /v1/x\n"
      "\"@signature-params\": " +
      params;
  const Signature sig = key.Sign(AsBytes(base));
  auto parsed = ParseSignatureHeaders("sig=" + params, "sig=:" + Base64Encode(sig) + ":");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->params.expires, 1764144300);
  EXPECT_EQ(parsed->params.nonce, "n-1");
  EXPECT_EQ(parsed->params.tag, "ipl-app");
  const std::map<std::string, std::string> headers = {{"host", "Registry.Example:8443"},
                                                      {"content-type", " application/json "}};
  EXPECT_OK(VerifyRequestSignature(*parsed, "GET", "/v1/x?at=2024-06-30", key.public_key(),
                                   kCreated + 10, 300, &headers));
  // Another header value, or none, does not verify.
  const std::map<std::string, std::string> other = {{"host", "registry.example:8443"},
                                                    {"content-type", "text/plain"}};
  EXPECT_FALSE(VerifyRequestSignature(*parsed, "GET", "/v1/x?at=2024-06-30", key.public_key(),
                                      kCreated + 10, 300, &other)
                   .ok());
  Status missing = VerifyRequestSignature(*parsed, "GET", "/v1/x?at=2024-06-30", key.public_key(),
                                          kCreated + 10, 300, nullptr);
  EXPECT_NE(missing.message().find("no Host"), std::string::npos) << missing.message();
  // expires is enforced: at or after it, refused even though created is in the window.
  Status late = VerifyRequestSignature(*parsed, "GET", "/v1/x?at=2024-06-30", key.public_key(),
                                       1764144300, 600, &headers);
  EXPECT_EQ(late.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("expired: expires"), std::string::npos) << late.message();
}

TEST(HttpSignatureTest, ExpiresMoreThanTheWindowAfterCreatedIsRefused) {
  const SigningKey key = testing::TestKey(1);
  for (const std::string expires : {"1764144301", "1764143999"}) {
    const std::string params = R"(("@method" "@path" "@query");created=1764144000;)"
                               R"(keyid="bank-a/k1";alg="ed25519";expires=)" +
                               expires;
    const Signature sig = key.Sign(AsBytes(SignatureBase("GET", "/v1/x", params)));
    auto parsed = ParseSignatureHeaders("ipl=" + params, "ipl=:" + Base64Encode(sig) + ":");
    ASSERT_OK(parsed);
    Status s = VerifyRequestSignature(*parsed, "GET", "/v1/x", key.public_key(), kCreated - 10);
    EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << expires;
    EXPECT_NE(s.message().find("at most 300 s after created"), std::string::npos) << s.message();
  }
}

class VerifyTest : public ::testing::Test {
 protected:
  VerifyTest() : key_(testing::TestKey(1)), other_(testing::TestKey(2)) {}

  ParsedSignature Parsed(std::int64_t created) {
    const SignatureHeaders h = SignRequest("GET", kTarget, "bank-a/k1", created, key_);
    auto parsed = ParseSignatureHeaders(h.signature_input, h.signature);
    EXPECT_OK(parsed);
    return *parsed;
  }

  static constexpr char kTarget[] = "/v1/pledges/PL-1?at=2024-06-30";
  SigningKey key_;
  SigningKey other_;
};

TEST_F(VerifyTest, WindowEdgesAreInclusive) {
  EXPECT_OK(
      VerifyRequestSignature(Parsed(kCreated - 300), "GET", kTarget, key_.public_key(), kCreated));
  EXPECT_OK(
      VerifyRequestSignature(Parsed(kCreated + 300), "GET", kTarget, key_.public_key(), kCreated));
}

TEST_F(VerifyTest, ExpiredCreatedIsRejected) {
  Status s =
      VerifyRequestSignature(Parsed(kCreated - 301), "GET", kTarget, key_.public_key(), kCreated);
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("expired"), std::string::npos) << s.message();
}

TEST_F(VerifyTest, CreatedInTheFutureBeyondWindowIsRejected) {
  Status s =
      VerifyRequestSignature(Parsed(kCreated + 301), "GET", kTarget, key_.public_key(), kCreated);
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("in the future"), std::string::npos) << s.message();
}

TEST_F(VerifyTest, CustomWindowAndExtremeClocksDoNotOverflow) {
  EXPECT_EQ(
      VerifyRequestSignature(Parsed(kCreated - 61), "GET", kTarget, key_.public_key(), kCreated, 60)
          .code(),
      ErrorCode::kFailedPrecondition);
  EXPECT_EQ(VerifyRequestSignature(Parsed(-999'999'999'999'999), "GET", kTarget, key_.public_key(),
                                   INT64_MAX)
                .code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(VerifyRequestSignature(Parsed(999'999'999'999'999), "GET", kTarget, key_.public_key(),
                                   INT64_MIN)
                .code(),
            ErrorCode::kFailedPrecondition);
}

TEST_F(VerifyTest, WrongKeyIsRejected) {
  Status s =
      VerifyRequestSignature(Parsed(kCreated), "GET", kTarget, other_.public_key(), kCreated);
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("does not verify"), std::string::npos) << s.message();
}

TEST_F(VerifyTest, TamperedRequestIsRejected) {
  const ParsedSignature parsed = Parsed(kCreated);
  const struct {
    const char* method;
    const char* target;
  } cases[] = {
      {"GET", "/v1/pledges/PL-2?at=2024-06-30"},  // path
      {"GET", "/v1/pledges/PL-1?at=2024-07-01"},  // query
      {"GET", "/v1/pledges/PL-1"},                // query dropped
      {"GET", "/v1/pledges/PL-1?"},               // query emptied
      {"GET", "/v1/pledges?at=2024-06-30"},       // query moved
      {"POST", kTarget},                          // method
      {"get", kTarget},                           // method case is significant
  };
  for (const auto& c : cases) {
    Status s = VerifyRequestSignature(parsed, c.method, c.target, key_.public_key(), kCreated);
    EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << c.method << " " << c.target;
  }
  Status ok = VerifyRequestSignature(parsed, "GET", kTarget, key_.public_key(), kCreated);
  EXPECT_OK(ok);
}

TEST_F(VerifyTest, TamperedSignatureOrParamsAreRejected) {
  ParsedSignature parsed = Parsed(kCreated);
  parsed.signature[10] ^= 1;
  EXPECT_EQ(VerifyRequestSignature(parsed, "GET", kTarget, key_.public_key(), kCreated).code(),
            ErrorCode::kFailedPrecondition);

  // A created moved within the window still changes the signed parameters.
  const SignatureHeaders h = SignRequest("GET", kTarget, "bank-a/k1", kCreated, key_);
  std::string input = h.signature_input;
  input.replace(input.find("1764144000"), 10, "1764144001");
  auto moved = ParseSignatureHeaders(input, h.signature);
  ASSERT_OK(moved);
  EXPECT_EQ(VerifyRequestSignature(*moved, "GET", kTarget, key_.public_key(), kCreated).code(),
            ErrorCode::kFailedPrecondition);
}

// Every malformed header pair is kInvalidArgument with a message naming the problem.
TEST(HttpSignatureTest, MalformedHeadersAreRejected) {
  const SigningKey key = testing::TestKey(1);
  const SignatureHeaders good = SignRequest("GET", "/v1/x", "bank-a/k1", kCreated, key);
  const std::string sig = good.signature;
  const std::string b64 = sig.substr(5, sig.size() - 6);
  const std::string list = R"(("@method" "@path" "@query"))";
  const std::string tail = R"(;created=1764144000;keyid="bank-a/k1";alg="ed25519")";
  const std::string input = "ipl=" + list + tail;
  auto with_bytes = [](std::size_t n) {
    return "ipl=:" + Base64Encode(Bytes(n, std::uint8_t{7})) + ":";
  };

  struct Case {
    const char* name;
    std::string signature_input;
    std::string signature;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty input", "", sig, "Signature-Input: is empty"},
      {"empty signature", input, "", "Signature: is empty"},
      {"missing member", list + tail, sig, "expected a signature label"},
      {"uppercase label", "IPL=" + list + tail, sig, "expected a signature label"},
      {"member without value", "ipl", sig, "has no value"},
      {"member as parameters only", "ipl;created=1", sig, "has no value"},
      {"two members", input + ", ipl2=" + list + tail, sig, "exactly one member"},
      {"two members in Signature", input, sig + ", ipl2=" + sig.substr(4),
       "Signature: must have exactly one member"},
      {"trailing garbage", input + " x", sig, "unexpected character"},
      {"not an inner list", R"(ipl="@method";created=1)", sig, "must be an inner list"},
      {"unterminated list", R"(ipl=("@method" "@path")", sig, "unterminated inner list"},
      {"too few components", R"(ipl=("@method" "@path"))" + tail, sig, "covered components"},
      {"empty components", "ipl=()" + tail, sig, "covered components"},
      {"missing @query", R"(ipl=("@path" "@method"))" + tail, sig, R"(must include "@query")"},
      {"unsupported derived component", R"(ipl=("@method" "@path" "@query" "@target-uri"))" + tail,
       sig, R"(unsupported covered component "@target-uri")"},
      {"other component instead of @path", R"(ipl=("@method" "@authority" "@query"))" + tail, sig,
       R"(must include "@path")"},
      {"component twice", R"(ipl=("@method" "@path" "@query" "@path"))" + tail, sig,
       "covered twice"},
      {"upper-case field name", R"(ipl=("@method" "@path" "@query" "Host"))" + tail, sig,
       R"(unsupported covered component "Host")"},
      {"token component", R"(ipl=(@method "@path" "@query"))" + tail, sig, "must be a string"},
      {"component parameters", R"(ipl=("@method";req "@path" "@query"))" + tail, sig,
       "must not have parameters"},
      {"components not separated", R"(ipl=("@method""@path" "@query"))" + tail, sig,
       "expected a space"},
      {"missing keyid", "ipl=" + list + R"(;created=1764144000;alg="ed25519")", sig,
       "missing parameter 'keyid'"},
      {"empty keyid", "ipl=" + list + R"(;created=1764144000;keyid="";alg="ed25519")", sig,
       "keyid is empty"},
      {"missing created", "ipl=" + list + R"(;keyid="bank-a/k1";alg="ed25519")", sig,
       "missing parameter 'created'"},
      {"missing alg", "ipl=" + list + R"(;created=1764144000;keyid="bank-a/k1")", sig,
       "missing parameter 'alg'"},
      {"other alg", "ipl=" + list + R"(;created=1764144000;keyid="bank-a/k1";alg="rsa-pss-sha512")",
       sig, "alg must be \"ed25519\""},
      {"alg as token", "ipl=" + list + R"(;created=1764144000;keyid="bank-a/k1";alg=ed25519)", sig,
       "alg must be a string"},
      {"keyid as token", "ipl=" + list + R"(;created=1764144000;keyid=bank;alg="ed25519")", sig,
       "keyid must be a string"},
      {"created as string", "ipl=" + list + R"(;created="1764144000";keyid="k";alg="ed25519")", sig,
       "created must be an integer"},
      {"created as decimal", "ipl=" + list + R"(;created=1764144000.5;keyid="k";alg="ed25519")",
       sig, "not a decimal"},
      {"created as boolean", "ipl=" + list + R"(;created;keyid="k";alg="ed25519")", sig,
       "parameter 'created' has no value"},
      {"created too long", "ipl=" + list + R"(;created=1234567890123456;keyid="k";alg="ed25519")",
       sig, "more than 15 digits"},
      {"created leading zero", "ipl=" + list + R"(;created=01764144000;keyid="k";alg="ed25519")",
       sig, "canonical"},
      {"duplicate parameter",
       "ipl=" + list + R"(;created=1764144000;created=1764144000;keyid="k";alg="ed25519")", sig,
       "duplicate parameter 'created'"},
      {"unsupported parameter", "ipl=" + list + tail + R"(;foo="abc")", sig,
       "unsupported parameter 'foo'"},
      {"expires as string", "ipl=" + list + tail + R"(;expires="1764144300")", sig,
       "expires must be an integer"},
      {"nonce as integer", "ipl=" + list + tail + ";nonce=12", sig, "nonce must be a string"},
      {"empty nonce", "ipl=" + list + tail + R"(;nonce="")", sig, "nonce is empty"},
      {"tag as token", "ipl=" + list + tail + ";tag=app", sig, "tag must be a string"},
      {"unterminated keyid", "ipl=" + list + R"(;created=1764144000;keyid="bank-a/k1)", sig,
       "unterminated string"},
      {"bad escape in keyid", "ipl=" + list + R"(;created=1764144000;keyid="a\nb";alg="ed25519")",
       sig, "invalid escape"},
      {"control character in keyid",
       "ipl=" + list + ";created=1764144000;keyid=\"a\tb\";alg=\"ed25519\"", sig, "non-printable"},
      {"space inside the list", R"(ipl=( "@method" "@path" "@query"))" + tail, sig, "canonical"},
      {"space after semicolon", "ipl=" + list + R"(; created=1764144000;keyid="k";alg="ed25519")",
       sig, "canonical"},
      {"signature not a byte sequence", input, "ipl=" + b64, "must be a byte sequence"},
      {"signature as string", input, "ipl=\"" + b64 + "\"", "must be a byte sequence"},
      {"unterminated byte sequence", input, "ipl=:" + b64, "unterminated byte sequence"},
      {"signature with parameters", input, sig + ";x=1", "parameters are not allowed"},
      {"signature without value", input, "ipl", "has no value"},
      {"bad base64", input, "ipl=:abc$" + b64.substr(4) + ":", "not valid base64"},
      {"unpadded base64", input, "ipl=:" + b64.substr(0, b64.size() - 2) + ":", "not valid base64"},
      {"signature of 63 bytes", input, with_bytes(63), "64 bytes, not 63"},
      {"signature of 65 bytes", input, with_bytes(65), "64 bytes, not 65"},
      {"empty signature bytes", input, "ipl=::", "64 bytes, not 0"},
      {"label mismatch", input, "sig=" + sig.substr(4), "does not match Signature-Input label"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseSignatureHeaders(c.signature_input, c.signature);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << c.name << ": " << parsed.status().message();
  }
  // The table's base case itself is accepted.
  EXPECT_OK(ParseSignatureHeaders(input, sig));
}

}  // namespace
}  // namespace ipledger::api
