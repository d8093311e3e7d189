// Hostile clients against the real server on 127.0.0.1 port 0, statements and
// signatures: malformed, deep, non-UTF-8, duplicate-key and out-of-range JSON, stale and
// revoked signatures, participants acting outside their role or for another. Each case
// checks its exact status and problem, and that neither the log nor the derived state
// moved.
#include "tests/integration/hostile_http_fixture.h"

namespace ipledger {
namespace {

using namespace hostile;  // NOLINT: the fixture's names, test-only
using nlohmann::json;
using std::chrono::milliseconds;

TEST_F(HostileHttpTest, MalformedAndDeeplyNestedJsonIs400Quickly) {
  const StateSnapshot before = Snapshot();
  const std::string deep_arrays = std::string(10000, '[') + std::string(10000, ']');
  std::string deep_objects;
  for (int i = 0; i < 10000; ++i) deep_objects += "{\"a\":";
  deep_objects += "1" + std::string(10000, '}');
  std::string payload = Pl2Json();
  const std::string in_statement =
      payload.substr(0, payload.size() - 1) + ",\"x\":" + deep_arrays + "}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"truncated", "{\"payloadType\":"},
      {"bare word", "nul"},
      {"trailing garbage", "{}x"},
      {"missing value", "{\"payload\":}"},
      {"arrays 10,000 deep", deep_arrays},
      {"arrays 10,000 deep, unclosed", std::string(10000, '[')},
      {"objects 10,000 deep", deep_objects},
      {"envelope with a deep field", "{\"payloadType\":" + deep_arrays + "}"},
      {"statement 10,000 deep", Envelope(in_statement, {"ccb-quzhou", "lanyu-materials"})},
      {"statement not JSON", Envelope("{\"v\":1,", {"ccb-quzhou"})},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    const auto start = Clock::now();
    ExpectProblem(PostRaw(body), 400, "schema", "E_SCHEMA");
    EXPECT_LT(Since(start), milliseconds(2000));
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, InvalidUtf8IsRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  auto with = [&](const std::string& what, const std::string& replacement) {
    std::string p = payload;
    const size_t at = p.find(what);
    EXPECT_NE(at, std::string::npos) << what;
    if (at != std::string::npos) p.replace(at, what.size(), replacement);
    return p;
  };
  // In the signed statement: a stray continuation byte, an overlong '/', a truncated
  // sequence, an encoded surrogate, and a lone surrogate escape.
  const std::vector<std::string> statements = {
      with("\"PL-2\"", "\"PL-\x80\""),     with("\"PL-2\"", "\"PL-\xc0\xaf\""),
      with("\"PL-2\"", "\"PL-\xe2\x82\""), with("\"PL-2\"", "\"PL-\xed\xa0\x80\""),
      with("\"PL-2\"", "\"PL-\\ud800\""),  with("\"ccb-quzhou\"", "\"ccb-quzhou\xff\""),
  };
  for (const std::string& st : statements) {
    SCOPED_TRACE(HexEncode(AsBytes(st)).substr(0, 64));
    ExpectProblem(PostRaw(Envelope(st, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  // In the envelope itself: in a key id, in the payload type, in a key.
  const std::string good = Envelope(payload, {"ccb-quzhou", "lanyu-materials"});
  for (const auto& [what, bad] : std::vector<std::pair<std::string, std::string>>{
           {"ccb-quzhou/k1", "ccb-quzhou/k\xff"},
           {"application/vnd", "application/vn\xc3"},
           {"\"keyid\"", "\"key\xf0\x9f\x98id\""},
       }) {
    std::string env = good;
    const size_t at = env.find(what);
    ASSERT_NE(at, std::string::npos) << what;
    env.replace(at, what.size(), bad);
    SCOPED_TRACE(what);
    ExpectProblem(PostRaw(env), 400, "schema", "E_SCHEMA");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, DuplicateKeysAreRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  const std::string good = Envelope(payload, {"ccb-quzhou", "lanyu-materials"});
  // The envelope: a signature object with two "sig" (a bogus one first).
  std::string env = good;
  const size_t sig = env.find("\"sig\":");
  ASSERT_NE(sig, std::string::npos);
  env.insert(sig, "\"sig\":\"" + Base64Encode(Bytes(64, 0)) + "\",");
  ExpectProblem(PostRaw(env), 400, "schema", "E_SCHEMA");
  // The envelope: "payload" twice, the second an innocuous statement.
  std::string twice = good;
  twice.insert(1, "\"payload\":\"" + Base64Encode(AsBytes(std::string("{}"))) + "\",");
  ExpectProblem(PostRaw(twice), 400, "schema", "E_SCHEMA");
  // The statement, properly signed: "submitter" twice (icbc-quzhou first; a reader
  // taking the first would see another bank's statement), and a body field twice.
  ASSERT_EQ(payload.find("\"submitter\":\"ccb-quzhou\""), payload.find("\"submitter\""));
  std::string two_submitters = payload;
  two_submitters.insert(1, "\"submitter\":\"icbc-quzhou\",");
  ExpectProblem(PostRaw(Envelope(two_submitters, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                "E_SCHEMA");
  std::string two_ids = payload;
  const size_t id = two_ids.find("\"pledge_id\":\"PL-2\"");
  ASSERT_NE(id, std::string::npos);
  two_ids.insert(id, "\"pledge_id\":\"PL-9\",");
  ExpectProblem(PostRaw(Envelope(two_ids, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                "E_SCHEMA");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, NumbersOutOfRangeAreRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  const std::string amount = "\"amount_fen\":100000000";
  ASSERT_NE(payload.find(amount), std::string::npos) << payload;
  for (const char* bad : {"9223372036854775808", "18446744073709551616", "-1", "-100000000", "1e3",
                          "1.0", "1E8", "100000000.0", "1e400"}) {
    std::string p = payload;
    p.replace(p.find(amount), amount.size(), std::string("\"amount_fen\":") + bad);
    SCOPED_TRACE(bad);
    ExpectProblem(PostRaw(Envelope(p, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  // The statement version, too.
  ASSERT_EQ(payload.find("\"v\":1"), payload.size() - 6) << payload;
  for (const char* v : {"1.0", "1e0", "18446744073709551617", "-1"}) {
    std::string p = payload.substr(0, payload.size() - 6) + "\"v\":" + v + "}";
    SCOPED_TRACE(v);
    ExpectProblem(PostRaw(Envelope(p, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  ExpectUnchanged(before);
}

// --- Signatures and authority ---------------------------------------------------------------

TEST_F(HostileHttpTest, RequestSignaturesReplayedOutsideTheWindowAre401) {
  const StateSnapshot before = Snapshot();
  const std::int64_t now = f().now_ms() / 1000;
  auto signed_at = [&](std::string_view method, const std::string& target, std::int64_t created) {
    auto h = api::SignRequest(method, target, "ccb-quzhou/k1", created, f().KeyOf("ccb-quzhou"));
    return std::map<std::string, std::string>{{"Signature-Input", h.signature_input},
                                              {"Signature", h.signature}};
  };
  auto c = s_->ClientFor();
  // The same signed read, captured at the edge of the window and replayed beyond it.
  auto fresh = c->Request("GET", "/v1/pledges/PL-1", "", "application/json",
                          signed_at("GET", "/v1/pledges/PL-1", now - 299));
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  ExpectProblem(c->Request("GET", "/v1/pledges/PL-1", "", "application/json",
                           signed_at("GET", "/v1/pledges/PL-1", now - 301)),
                401, "signature", "E_SIGNATURE");
  // On a public read, a stale signature is 401 too, never the anonymous view.
  ExpectProblem(c->Request("GET", "/v1/participants", "", "application/json",
                           signed_at("GET", "/v1/participants", now - 301)),
                401, "signature", "E_SIGNATURE");
  // On writes: the precheck, and a perfectly good envelope carrying a stale request
  // signature, which must not be appended.
  const std::string envelope = Envelope(Pl2Json(), {"ccb-quzhou", "lanyu-materials"});
  ExpectProblem(c->Request("POST", "/v1/precheck", envelope, "application/json",
                           signed_at("POST", "/v1/precheck", now - 301)),
                401, "signature", "E_SIGNATURE");
  ExpectProblem(c->Request("POST", "/v1/entries", envelope, "application/json",
                           signed_at("POST", "/v1/entries", now - 301)),
                401, "signature", "E_SIGNATURE");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, RevokedKeysAre401ForReadsAndEnvelopes) {
  // ccb-quzhou rotates: k2 added, k1 revoked.
  const SigningKey k2 = testing::TestKey(77);
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", k2.public_key()}};
  keys.revoke = {"k1"};
  ASSERT_EQ(f().Submit(f().Make("registry", keys), {"registry", "ccb-quzhou"}).kind,
            OutcomeKind::kAccepted);
  const StateSnapshot before = Snapshot();
  // A read signed with the revoked key.
  auto reader = s_->ClientFor("ccb-quzhou");
  ExpectProblem(reader->Request("GET", "/v1/pledges/PL-1"), 401, "signature", "E_SIGNATURE");
  // An envelope signed with the revoked key (with a valid co-signature), alone or next
  // to a valid signature by the new key.
  const std::string payload = Pl2Json();
  ExpectProblem(PostRaw(Envelope(payload, {"ccb-quzhou", "lanyu-materials"})), 401, "signature",
                "E_SIGNATURE");
  DsseEnvelope both;
  both.payload_type = std::string(api::kStatementPayloadType);
  both.payload.assign(payload.begin(), payload.end());
  AddDsseSignature(both, "ccb-quzhou/k2", k2);
  AddDsseSignature(both, "ccb-quzhou/k1", f().KeyOf("ccb-quzhou"));
  AddDsseSignature(both, "lanyu-materials/k1", f().KeyOf("lanyu-materials"));
  ExpectProblem(PostRaw(api::EncodeEnvelopeJson(both)), 401, "signature", "E_SIGNATURE");
  // A release of ccb-quzhou's own pledge, signed with the revoked key.
  PledgeRelease release;
  release.pledge_id = "PL-1";
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("ccb-quzhou", release)), {"ccb-quzhou"})), 401,
      "signature", "E_SIGNATURE");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, ParticipantsActingOutsideTheirAuthorityAre403) {
  const StateSnapshot before = Snapshot();
  // A bank releasing, amending or enforcing another bank's pledge.
  PledgeRelease release;
  release.pledge_id = "PL-1";
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("icbc-quzhou", release)), {"icbc-quzhou"})),
      403, "forbidden", "E_FORBIDDEN");
  PledgeEnforce enforce;
  enforce.pledge_id = "PL-1";
  enforce.started = f().today();
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("icbc-quzhou", enforce)), {"icbc-quzhou"})),
      403, "forbidden", "E_FORBIDDEN");
  // An enterprise registering a pledge over its own patent, even co-signed by a bank.
  ExpectProblem(PostRaw(Envelope(api::EncodeStatement(f().Make(
                                     "lanyu-materials", Pledge("PL-2", "patent:2015100000010"))),
                                 {"lanyu-materials", "ccb-quzhou"})),
                403, "forbidden", "E_FORBIDDEN");
  // A missing co-signer: the pledgor has not signed.
  ExpectProblem(PostRaw(Envelope(Pl2Json(), {"ccb-quzhou"})), 403, "forbidden", "E_FORBIDDEN");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, AStatementReplayedUnderAnotherSubmitterIs403) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();  // names ccb-quzhou as the submitter
  // Signed only by another bank.
  ExpectProblem(PostRaw(Envelope(payload, {"icbc-quzhou"})), 403, "forbidden", "E_FORBIDDEN");
  // The same statement bytes with the pledgor's real signature, the submitter's
  // replaced by another bank's.
  ExpectProblem(PostRaw(Envelope(payload, {"icbc-quzhou", "lanyu-materials"})), 403, "forbidden",
                "E_FORBIDDEN");
  ExpectUnchanged(before);
}

// Regression: the registry used to look up the idempotency key before checking that
// the submitter signed, answering 409 E_IDEMPOTENCY_CONFLICT (and the index of the
// original entry) to a bank that may not submit the statement at all.
TEST_F(HostileHttpTest, ALoggedStatementReSignedByAnotherBankIs403) {
  const StateSnapshot before = Snapshot();
  // PL-1's envelope, already in the log, with the submitter's signature swapped for
  // another bank's: the same payload bytes under another signer are not a replay.
  DsseEnvelope swapped = pl1_.envelope;
  ASSERT_EQ(swapped.signatures.front().keyid, "ccb-quzhou/k1");
  swapped.signatures.erase(swapped.signatures.begin());
  AddDsseSignature(swapped, "icbc-quzhou/k1", f().KeyOf("icbc-quzhou"));
  ExpectProblem(PostRaw(api::EncodeEnvelopeJson(swapped)), 403, "forbidden", "E_FORBIDDEN");
  ExpectUnchanged(before);
}

}  // namespace
}  // namespace ipledger
