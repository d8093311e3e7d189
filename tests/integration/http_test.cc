// The HTTP API over real HTTP on 127.0.0.1 port 0 (api.md §5–8): every endpoint, every
// status code of §5, receipts, idempotent replays, RFC 9421 authentication, visibility
// and concurrent submitters.
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/merkle.h"
#include "ledger/log/search_certificate.h"
#include "ledger/log/tlog_proof.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/http_story.h"
#include "tests/testing/server_fixture.h"

namespace ipledger {
namespace {

using nlohmann::json;
using testing::ServerFixture;

json Body(const api::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

class HttpTest : public testing::HttpStoryTest {
 protected:
  NoteVerifier LogVerifier() {
    auto r = Get("/log/vkey");
    std::string line = r.body;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    auto v = ParseVkey(line);
    EXPECT_TRUE(v.has_value()) << r.body;
    return v.value_or(NoteVerifier{});
  }
};

void ExpectProblem(const api::HttpResponse& r, int status, const std::string& code = "") {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json") << r.body;
  json j = Body(r);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_EQ(j["status"], status);
  EXPECT_TRUE(j["type"].is_string());
  EXPECT_TRUE(j["title"].is_string());
  EXPECT_TRUE(j["detail"].is_string());
  if (!code.empty()) {
    ASSERT_TRUE(j["codes"].is_array()) << r.body;
    bool found = false;
    for (const auto& c : j["codes"]) found = found || c == code;
    EXPECT_TRUE(found) << "expected " << code << " in " << r.body;
  }
}

TEST_F(HttpTest, HealthCheckpointVkeyAndMetrics) {
  auto h = Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(Body(h)["status"], "ok");
  auto cp = Get("/log/checkpoint");
  EXPECT_EQ(cp.status, 200);
  EXPECT_EQ(cp.content_type, "text/plain; charset=utf-8");
  auto opened = OpenCheckpoint(cp.body, LogVerifier());
  ASSERT_OK(opened);
  EXPECT_EQ(opened->size, s_.f().registry().ledger().size());
  auto m = Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE ipledger_http_requests_total counter"), std::string::npos);
  EXPECT_NE(
      m.body.find(
          "ipledger_http_requests_total{route=\"/log/checkpoint\",method=\"GET\",code=\"200\"} 1"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("ipledger_tree_size " + std::to_string(opened->size)), std::string::npos);
  EXPECT_NE(m.body.find("ipledger_append_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
}

TEST_F(HttpTest, InventedMethodsShareOneMetricsSeries) {
  auto c = s_.ClientFor();
  for (const char* m : {"FROBNICATE", "XYZZY"}) {
    auto r = c->Request(m, "/healthz");
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 405);
  }
  auto m = Get("/metrics");
  EXPECT_EQ(m.body.find("FROBNICATE"), std::string::npos);
  EXPECT_NE(m.body.find("method=\"other\",code=\"405\"} 2"), std::string::npos) << m.body;
}

TEST_F(HttpTest, SubmitAnswersWithAReceiptThatVerifiesOffline) {
  auto r = PostPledge("PL-1");
  ASSERT_EQ(r.status, 201) << r.body;
  json j = Body(r);
  const std::uint64_t index = j["index"];
  const std::string leaf = ToString(*Base64Decode(j["leaf"].get<std::string>()));
  EXPECT_EQ(j["leaf_hash"], HexEncode(LeafHash(AsBytes(leaf))));
  EXPECT_TRUE(j["warnings"].is_array());
  EXPECT_TRUE(ParseInstant(j["integrated_time"].get<std::string>()).ok());
  const NoteVerifier v = LogVerifier();
  // The tlog-proof alone, with the vkey alone, proves the leaf.
  auto cp = VerifyTlogProof(j["tlog_proof"].get<std::string>(), AsBytes(leaf), v);
  ASSERT_OK(cp);
  EXPECT_GT(cp->size, index);
  // And the inclusion proof against the receipt's checkpoint.
  auto receipt_cp = OpenCheckpoint(j["checkpoint"].get<std::string>(), v);
  ASSERT_OK(receipt_cp);
  std::vector<Digest> proof;
  for (const auto& h : j["inclusion_proof"])
    proof.push_back(*DigestFromBytes(*Base64Decode(h.get<std::string>())));
  EXPECT_OK(
      VerifyInclusion(index, receipt_cp->size, LeafHash(AsBytes(leaf)), proof, receipt_cp->root));
  // The entry is readable with the same leaf.
  auto e = Get("/v1/entries/" + std::to_string(index));
  EXPECT_EQ(Body(e)["leaf"], j["leaf"]);
  EXPECT_EQ(Body(e)["type"], "pledge.register");
}

TEST_F(HttpTest, ReceiptTlogProofIsAcceptedByLogChecker) {
  const char* tool = std::getenv("LOG_CHECKER");
  if (tool == nullptr) GTEST_SKIP() << "LOG_CHECKER not set (the logverify fixture sets it)";
  auto r = PostPledge("PL-1");
  ASSERT_EQ(r.status, 201);
  json j = Body(r);
  testing::TempDir dir;
  auto tp = ParseTlogProof(j["tlog_proof"].get<std::string>());
  ASSERT_OK(tp);
  std::ofstream(dir.str() + "/cp") << tp->checkpoint;
  std::string csv;
  for (const Digest& d : tp->inclusion_proof) {
    if (!csv.empty()) csv += ',';
    csv += HexEncode(d);
  }
  const std::string vkey = FormatVkey(LogVerifier());
  const std::string cmd = std::string(tool) + " inclusion --checkpoint " + dir.str() +
                          "/cp --vkey '" + vkey + "' --index " + std::to_string(tp->index) +
                          " --leaf-data-b64 '" + j["leaf"].get<std::string>() + "' --proof='" +
                          csv + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST_F(HttpTest, IdempotentReplayReturnsTheOriginalReceiptAndConflictIs409) {
  Statement st = s_.f().Make("ccb-quzhou", PledgeBody("PL-1"));
  auto first = s_.Post(st, {"ccb-quzhou", "lanyu-materials"});
  ASSERT_EQ(first.status, 201);
  auto again = s_.Post(st, {"ccb-quzhou", "lanyu-materials"});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Body(again)["index"], Body(first)["index"]);
  EXPECT_EQ(Body(again)["leaf"], Body(first)["leaf"]);
  Statement other = st;
  std::get<PledgeRegister>(other.body).pledge_id = "PL-2";
  ExpectProblem(s_.Post(other, {"ccb-quzhou", "lanyu-materials"}), 409, "E_IDEMPOTENCY_CONFLICT");
}

TEST_F(HttpTest, RuleRefusalsAre409Or422WithTheirRefusalIndex) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  auto twice = PostPledge("PL-2");
  ExpectProblem(twice, 409, "E_ALREADY_PLEDGED");
  json j = Body(twice);
  ASSERT_TRUE(j["refusal_index"].is_number_unsigned());
  auto refusal = Get("/v1/entries/" + std::to_string(j["refusal_index"].get<std::uint64_t>()));
  EXPECT_EQ(Body(refusal)["type"], "refusal");
  EXPECT_EQ(Body(refusal)["refused"], "pledge.register");
  s_.f().AddPatent("2015100000010", {"hengtai-valve"});
  PledgeRegister late = s_.f().PledgeBody("PL-3", {"hengtai-valve"}, {"patent:2015100000010"},
                                          DateFromCivil(2045, 1, 1));
  ExpectProblem(s_.Post(s_.f().Make("ccb-quzhou", late), {"ccb-quzhou", "hengtai-valve"}), 422,
                "E_TERM_BEYOND_ASSET");
}

TEST_F(HttpTest, AdmissionFailuresHaveTheirStatusAndLeaveNothing) {
  const std::uint64_t size = s_.f().registry().ledger().size();
  auto c = s_.ClientFor();
  // 400: not JSON, not an envelope, not a statement.
  ExpectProblem(*c->Request("POST", "/v1/entries", "{nope"), 400, "E_SCHEMA");
  ExpectProblem(*c->Request("POST", "/v1/entries", "{\"payloadType\":\"x\"}"), 400, "E_SCHEMA");
  Submission s =
      s_.f().Sign(s_.f().Make("ccb-quzhou", PledgeBody("PL-1")), {"ccb-quzhou", "lanyu-materials"});
  std::string dup = s.envelope_bytes;
  dup.insert(1, "\"payloadType\":\"x\",");
  ExpectProblem(*c->Request("POST", "/v1/entries", dup), 400, "E_SCHEMA");
  // 401: a signature that does not verify.
  s.envelope.signatures[0].sig[3] ^= 1;
  std::string bad = api::EncodeEnvelopeJson(s.envelope);
  ExpectProblem(*c->Request("POST", "/v1/entries", bad), 401, "E_SIGNATURE");
  // 403: an enterprise registering a pledge.
  ExpectProblem(s_.Post(s_.f().Make("lanyu-materials", PledgeBody("PL-1")), {"lanyu-materials"}),
                403, "E_FORBIDDEN");
  // 422: a stale statement.
  Statement stale = s_.f().Make("ccb-quzhou", PledgeBody("PL-1"));
  stale.created_ms -= 11 * 60 * 1000;
  ExpectProblem(s_.Post(stale, {"ccb-quzhou", "lanyu-materials"}), 422, "E_STALE_STATEMENT");
  EXPECT_EQ(s_.f().registry().ledger().size(), size);
}

TEST_F(HttpTest, UnknownPathsIdsAndMethods) {
  ExpectProblem(Get("/v1/nothing"), 404);
  ExpectProblem(Get("/v1/entries/999999"), 404);
  ExpectProblem(Get("/v1/entries/abc"), 400);
  ExpectProblem(Get("/v1/assets/patent:0000000000000"), 404);
  ExpectProblem(Get("/v1/participants/nobody"), 404);
  ExpectProblem(Get("/v1/pledges/NOPE", "ccb-quzhou"), 404);
  ExpectProblem(Get("/log/tile/0/999"), 404);
  ExpectProblem(Get("/log/tile/00/000"), 404);
  auto c = s_.ClientFor();
  ExpectProblem(*c->Request("DELETE", "/v1/entries/0"), 405);
  ExpectProblem(*c->Request("GET", "/v1/entries"), 405);
  ExpectProblem(Get("/v1/assets/x?a=1&a=2"), 400);
  // A path matches a route only segment for segment: no extra, missing or empty ones.
  for (const char* path : {"/healthz/", "/v1/entries/0/proof/x", "/v1/entries/", "/v1//entries",
                           "/v1/entries//proof", "v1/entries/0", "/v1/entries/0/", "/"}) {
    ExpectProblem(Get(path), 404);
  }
  EXPECT_EQ(Get("/v1/entries/0/proof").status, 200);
  // 405 names the methods the path has.
  auto put = c->Request("PUT", "/v1/entries/0");
  ASSERT_OK(put);
  ExpectProblem(*put, 405);
  EXPECT_EQ(put->headers["allow"], "GET");
  auto get = c->Request("GET", "/v1/entries");
  ASSERT_OK(get);
  EXPECT_EQ(get->headers["allow"], "POST");
}

TEST_F(HttpTest, OversizedBodyIs413AndOversizedHeaderIs431) {
  auto c = s_.ClientFor();
  auto big = c->Request("POST", "/v1/entries", std::string(65 * 1024, 'x'));
  ASSERT_OK(big);
  ExpectProblem(*big, 413);
  auto c2 = s_.ClientFor();
  auto huge_header = c2->Request("GET", "/healthz", "", "application/json",
                                 {{"x-padding", std::string(9 * 1024, 'h')}});
  ASSERT_OK(huge_header);
  ExpectProblem(*huge_header, 431);
  // The server is still fine.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpTest, ReadsNeedingAuthenticationAre401Anonymously) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  for (const char* path :
       {"/v1/assets/patent:2014103620773/pledge-status", "/v1/assets/patent:2014103620773/coverage",
        "/v1/assets/patent:2014103620773/history", "/v1/pledges/PL-1"}) {
    ExpectProblem(Get(path), 401, "E_SIGNATURE");
    EXPECT_EQ(Get(path, "picc-zhejiang").status, 200) << path;
  }
}

TEST_F(HttpTest, Rfc9421SignaturesAreCheckedNeverDowngraded) {
  const std::string path = "/v1/assets/patent:2014103620773/pledge-status";
  auto c = std::make_unique<api::Client>("127.0.0.1", s_.port());
  const std::int64_t now = s_.f().now_ms() / 1000;
  c->SetSigner("picc-zhejiang/k1", &s_.f().KeyOf("picc-zhejiang"));
  c->SetCreatedOverride(now);
  EXPECT_EQ(c->Request("GET", path)->status, 200);
  // Expired and future `created`.
  c->SetCreatedOverride(now - 301);
  ExpectProblem(*c->Request("GET", path), 401, "E_SIGNATURE");
  c->SetCreatedOverride(now + 301);
  ExpectProblem(*c->Request("GET", path), 401, "E_SIGNATURE");
  // The wrong key for the key id.
  c->SetSigner("picc-zhejiang/k1", &s_.f().KeyOf("ccb-quzhou"));
  c->SetCreatedOverride(now);
  ExpectProblem(*c->Request("GET", path), 401, "E_SIGNATURE");
  // A tampered path: signed for one path, sent to another. On a public path a bad
  // signature is still 401, never the anonymous view.
  auto headers = api::SignRequest("GET", "/v1/assets/patent:2014103620773", "picc-zhejiang/k1", now,
                                  s_.f().KeyOf("picc-zhejiang"));
  auto anon = s_.ClientFor();
  auto tampered = anon->Request(
      "GET", "/v1/participants", "", "application/json",
      {{"Signature-Input", headers.signature_input}, {"Signature", headers.signature}});
  ASSERT_OK(tampered);
  ExpectProblem(*tampered, 401, "E_SIGNATURE");
  // A revoked key.
  ParticipantKeys keys;
  keys.id = "picc-zhejiang";
  keys.add = {{"k2", testing::TestKey(55).public_key()}};
  keys.revoke = {"k1"};
  ASSERT_EQ(s_.Post(s_.f().Make("registry", keys), {"registry", "picc-zhejiang"}).status, 201);
  c->SetSigner("picc-zhejiang/k1", &s_.f().KeyOf("picc-zhejiang"));
  ExpectProblem(*c->Request("GET", path), 401, "E_SIGNATURE");
  const SigningKey k2 = testing::TestKey(55);
  c->SetSigner("picc-zhejiang/k2", &k2);
  EXPECT_EQ(c->Request("GET", path)->status, 200);
}

TEST_F(HttpTest, VisibilityAnonymousSeesNoAmountsPartiesSeeTheirs) {
  auto reg = PostPledge("PL-1");
  ASSERT_EQ(reg.status, 201);
  const std::string index = std::to_string(Body(reg)["index"].get<std::uint64_t>());
  // Entries: the envelope only for parties and regulators.
  EXPECT_FALSE(Body(Get("/v1/entries/" + index)).contains("envelope"));
  EXPECT_FALSE(Body(Get("/v1/entries/" + index, "picc-zhejiang")).contains("envelope"));
  EXPECT_TRUE(Body(Get("/v1/entries/" + index, "lanyu-materials")).contains("envelope"));
  EXPECT_TRUE(Body(Get("/v1/entries/" + index, "ccb-quzhou")).contains("envelope"));
  EXPECT_TRUE(Body(Get("/v1/entries/" + index, "cnipa-zj")).contains("envelope"));
  // The public asset view: pledged, by whom, no amounts.
  auto asset = Get("/v1/assets/patent:2014103620773");
  ASSERT_EQ(asset.status, 200);
  EXPECT_EQ(Body(asset)["active_pledges"][0]["pledgee"], "ccb-quzhou");
  EXPECT_EQ(asset.body.find("amount"), std::string::npos) << asset.body;
  // Pledge status: secured amounts to the parties only.
  const std::string ps = "/v1/assets/patent:2014103620773/pledge-status";
  EXPECT_FALSE(Body(Get(ps, "picc-zhejiang"))["pledges"][0].contains("secured"));
  EXPECT_TRUE(Body(Get(ps, "ccb-quzhou"))["pledges"][0].contains("secured"));
  EXPECT_TRUE(Body(Get(ps, "cnipa-zj"))["pledges"][0].contains("secured"));
  EXPECT_FALSE(Body(Get("/v1/pledges/PL-1", "hengtai-valve")).contains("secured"));
  EXPECT_EQ(Body(Get("/v1/pledges/PL-1", "lanyu-materials"))["secured"]["amount"]["amount_fen"],
            100'000'000);
  // The derived state (overdue / expired once the debt term has passed) is in both answers.
  EXPECT_EQ(Body(Get("/v1/pledges/PL-1", "lanyu-materials"))["derived_state"], "registered");
  EXPECT_EQ(Body(Get(ps, "ccb-quzhou"))["pledges"][0]["derived_state"], "registered");
}

// Issue #12, item 7: per-item visibility of a valuation. The appraiser, regulators and
// the registry see every item; a holder sees its own items only; a pledgee sees the
// items of its collateral; anyone else sees no value.
TEST_F(HttpTest, ValuationItemsAreVisiblePerItemToHolderPledgeeAppraiserRegulator) {
  auto& f = s_.f();
  f.AddParticipant("zhonghe-appraisal", Role::kAppraiser);
  f.AddPatent("201410362099X", {"hengtai-valve"});
  ValuationAttest v;
  v.valuation_id = "VAL-2";
  v.items = {{"patent:2014103620773", {500'000'000, "CNY"}, 80, 75, 70},
             {"patent:201410362099X", {300'000'000, "CNY"}, 80, 75, 70}};
  v.total = {800'000'000, "CNY"};
  v.standard = "GB/T 42748-2023";
  v.methods = {ValuationMethod::kIncome};
  v.base_date = AddDays(f.today(), -1);
  v.report_sha256 = Sha256(AsBytes("report VAL-2"));
  ASSERT_EQ(s_.Post(f.Make("zhonghe-appraisal", v), {"zhonghe-appraisal"}).status, 201);
  ASSERT_EQ(PostPledge("PL-1").status, 201);  // ccb-quzhou: pledgee of ...0773 only
  auto seen = [&](const std::string& as) {
    json j = Body(Get("/v1/valuations/VAL-2", as));
    std::vector<bool> out;
    for (const json& item : j["items"]) out.push_back(item.contains("value"));
    out.push_back(j.contains("total"));
    return out;
  };
  const std::vector<bool> all = {true, true, true};
  EXPECT_EQ(seen("zhonghe-appraisal"), all);
  EXPECT_EQ(seen("cnipa-zj"), all);
  EXPECT_EQ(seen("registry"), all);
  EXPECT_EQ(seen("lanyu-materials"), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(seen("hengtai-valve"), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(seen("ccb-quzhou"), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(seen("picc-zhejiang"), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(Body(Get("/v1/valuations/VAL-2", "hengtai-valve"))["items"][1]["value"]["amount_fen"],
            300'000'000);
}

TEST_F(HttpTest, PledgeStatusCarriesEvidenceAndASignedCertificate) {
  auto reg = PostPledge("PL-1");
  ASSERT_EQ(reg.status, 201);
  const std::uint64_t index = Body(reg)["index"];
  auto r = Get("/v1/assets/patent:2014103620773/pledge-status", "picc-zhejiang");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_TRUE(j["pledged"].get<bool>());
  const NoteVerifier v = LogVerifier();
  auto cp = OpenCheckpoint(j["as_of"]["checkpoint"].get<std::string>(), v);
  ASSERT_OK(cp);
  ASSERT_EQ(j["evidence"].size(), 1u);
  EXPECT_EQ(j["evidence"][0]["index"], index);
  const std::string leaf = ToString(*Base64Decode(j["evidence"][0]["leaf"].get<std::string>()));
  std::vector<Digest> proof;
  for (const auto& h : j["evidence"][0]["inclusion_proof"])
    proof.push_back(*DigestFromBytes(*Base64Decode(h.get<std::string>())));
  EXPECT_OK(VerifyInclusion(index, cp->size, LeafHash(AsBytes(leaf)), proof, cp->root));
  // The certificate is a signed note any note verifier checks with the vkey.
  std::vector<NoteVerifier> verifiers = {v};
  auto note = OpenNote(j["certificate"].get<std::string>(), verifiers);
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->text.find("asset patent:2014103620773\n"), std::string::npos) << note->text;
  EXPECT_NE(note->text.find("status pledged\n"), std::string::npos);
  EXPECT_NE(note->text.find("pledge PL-1 ccb-quzhou registered " + std::to_string(index)),
            std::string::npos);
  // ... of the ipledger.search-certificate/v1 format, stating this answer against the
  // as_of checkpoint's tree.
  auto cert = OpenSearchCertificate(j["certificate"].get<std::string>(), v);
  ASSERT_OK(cert);
  EXPECT_EQ(FormatSearchCertificate(*cert), note->text);
  EXPECT_EQ(cert->origin, v.name);
  EXPECT_EQ(cert->asset, "patent:2014103620773");
  EXPECT_EQ(cert->as_of_index, j["as_of"]["index"].get<std::uint64_t>());
  EXPECT_EQ(cert->tree_size, cp->size);
  EXPECT_EQ(cert->root, cp->root);
  EXPECT_TRUE(cert->pledged);
  const std::vector<SearchCertificatePledge> want = {{"PL-1", "ccb-quzhou", "registered", index}};
  EXPECT_EQ(cert->pledges, want);
  // As of the entry before the registration: not pledged.
  auto before =
      Get("/v1/assets/patent:2014103620773/pledge-status?index=" + std::to_string(index - 1),
          "picc-zhejiang");
  EXPECT_FALSE(Body(before)["pledged"].get<bool>());
  auto before_cert = OpenSearchCertificate(Body(before)["certificate"].get<std::string>(), v);
  ASSERT_OK(before_cert);
  EXPECT_FALSE(before_cert->pledged);
  EXPECT_TRUE(before_cert->pledges.empty());
  EXPECT_EQ(before_cert->as_of_index, index - 1);
  ExpectProblem(Get("/v1/assets/patent:2014103620773/pledge-status?at=2026-13-01", "picc-zhejiang"),
                400);
  ExpectProblem(Get("/v1/assets/patent:2014103620773/pledge-status?at=2020-01-01", "picc-zhejiang"),
                404);
}

TEST_F(HttpTest, CoverageShowsPoliciesLimitsAndLossPayees) {
  ASSERT_EQ(s_.Post(s_.f().Make("picc-zhejiang", PolicyBody("POL-1"))).status, 201);
  auto r = Get(
      "/v1/assets/patent:2014103620773/coverage?date=" + FormatDate(AddDays(s_.f().today(), 30)),
      "ccb-quzhou");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_TRUE(j["covered"].get<bool>());
  EXPECT_EQ(j["policies"][0]["remaining_aggregate"]["amount_fen"], 100'000'000);
  EXPECT_EQ(j["policies"][0]["loss_payees"][0], "ccb-quzhou");
  auto outside = Get("/v1/assets/patent:2014103620773/coverage?date=2030-01-01", "ccb-quzhou");
  EXPECT_FALSE(Body(outside)["covered"].get<bool>());
  auto policy = Get("/v1/policies/POL-1", "cnipa-zj");
  EXPECT_EQ(Body(policy)["insurer"], "picc-zhejiang");
}

TEST_F(HttpTest, ProofsTilesParticipantsAndRecordEndpoints) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  const std::uint64_t size = s_.f().registry().ledger().size();
  auto proof = Get("/v1/entries/1/proof?size=" + std::to_string(size));
  ASSERT_EQ(proof.status, 200) << proof.body;
  EXPECT_EQ(Body(proof)["size"], size);
  auto cons = Get("/v1/log/consistency?old=2&new=" + std::to_string(size));
  ASSERT_EQ(cons.status, 200) << cons.body;
  auto root2 = s_.f().registry().ledger().RootAt(2);
  auto rootn = s_.f().registry().ledger().RootAt(size);
  std::vector<Digest> hashes;
  const json cons_body = Body(cons);
  for (const auto& h : cons_body["hashes"])
    hashes.push_back(*DigestFromBytes(*Base64Decode(h.get<std::string>())));
  EXPECT_OK(VerifyConsistency(2, size, *root2, *rootn, hashes));
  EXPECT_EQ(Body(Get("/v1/log/consistency?old=0&new=3"))["hashes"].size(), 0u);
  ExpectProblem(Get("/v1/log/consistency?old=5&new=2"), 400);
  auto tp = Get("/v1/entries/1/tlog-proof");
  EXPECT_EQ(tp.status, 200);
  EXPECT_EQ(tp.body.rfind("c2sp.org/tlog-proof@v1\n", 0), 0u);
  // Tiles: the partial level-0 tile of the current size, and its entry bundle.
  const std::string w = std::to_string(size);
  auto tile = Get("/log/tile/0/000.p/" + w);
  ASSERT_EQ(tile.status, 200) << tile.body;
  EXPECT_EQ(tile.content_type, "application/octet-stream");
  EXPECT_EQ(tile.body.size(), size * 32);
  auto bundle = Get("/log/tile/entries/000.p/" + w);
  EXPECT_EQ(bundle.status, 200);
  ExpectProblem(Get("/log/tile/0/000.p/" + std::to_string(size + 1)), 404);
  auto parts = Get("/v1/participants");
  EXPECT_GE(Body(parts)["participants"].size(), 6u);
  auto one = Get("/v1/participants/ccb-quzhou");
  EXPECT_EQ(Body(one)["role"], "bank");
  EXPECT_EQ(Body(one)["keys"][0]["keyid"], "ccb-quzhou/k1");
  auto history = Get("/v1/assets/patent:2014103620773/history", "lanyu-materials");
  EXPECT_GE(Body(history)["entries"].size(), 2u);
}

// The participant view shows the participant's witness keys (issue #14): active, then
// revoked, with the entries that added and revoked them; others show none.
TEST_F(HttpTest, ParticipantViewShowsWitnessKeys) {
  EXPECT_FALSE(Body(Get("/v1/participants/ccb-quzhou")).contains("witness_keys"));
  const std::string vkey = testing::TestWitnessVkey("witness.ccb-quzhou.example", 40);
  ParticipantKeys add;
  add.id = "ccb-quzhou";
  add.add_witnesses = {{"w1", vkey, "https://witness.ccb-quzhou.example:8443"}};
  auto added = s_.Post(s_.f().Make("ccb-quzhou", add));
  ASSERT_EQ(added.status, 201) << added.body;
  const auto added_index = Body(added)["index"].get<std::uint64_t>();

  json w = Body(Get("/v1/participants/ccb-quzhou"))["witness_keys"];
  ASSERT_EQ(w.size(), 1u) << w.dump();
  EXPECT_EQ(w[0]["keyid"], "ccb-quzhou/w1");
  EXPECT_EQ(w[0]["role"], "witness");
  EXPECT_EQ(w[0]["vkey"], vkey);
  EXPECT_EQ(w[0]["url"], "https://witness.ccb-quzhou.example:8443");
  EXPECT_EQ(w[0]["status"], "active");
  EXPECT_EQ(w[0]["added_index"], added_index);
  EXPECT_FALSE(w[0].contains("revoked_index"));
  EXPECT_FALSE(Body(Get("/v1/participants/lanyu-materials")).contains("witness_keys"));

  ParticipantKeys revoke;
  revoke.id = "ccb-quzhou";
  revoke.revoke = {"w1"};
  auto revoked = s_.Post(s_.f().Make("ccb-quzhou", revoke));
  ASSERT_EQ(revoked.status, 201) << revoked.body;
  w = Body(Get("/v1/participants/ccb-quzhou"))["witness_keys"];
  ASSERT_EQ(w.size(), 1u) << w.dump();
  EXPECT_EQ(w[0]["status"], "revoked");
  EXPECT_EQ(w[0]["revoked_index"], Body(revoked)["index"].get<std::uint64_t>());
  // The signing keys are unchanged, and an unknown participant is still a 404.
  EXPECT_EQ(Body(Get("/v1/participants/ccb-quzhou"))["keys"][0]["keyid"], "ccb-quzhou/k1");
  ExpectProblem(Get("/v1/participants/nobody"), 404);
}

TEST_F(HttpTest, PrecheckRunsRulesWithoutAppending) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  const std::uint64_t size = s_.f().registry().ledger().size();
  auto r = s_.Post(s_.f().Make("ccb-quzhou", PledgeBody("PL-2")), {"ccb-quzhou", "lanyu-materials"},
                   "/v1/precheck", "ccb-quzhou");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Body(r)["ok"].get<bool>());
  EXPECT_EQ(Body(r)["codes"][0], "E_ALREADY_PLEDGED");
  EXPECT_EQ(s_.f().registry().ledger().size(), size);
  auto anon = s_.Post(s_.f().Make("ccb-quzhou", PledgeBody("PL-3")),
                      {"ccb-quzhou", "lanyu-materials"}, "/v1/precheck");
  ExpectProblem(anon, 401);
}

TEST_F(HttpTest, ConcurrentSubmittersAllGetDistinctDurableEntries) {
  constexpr int kThreads = 4;
  constexpr int kEach = 15;
  std::vector<std::vector<Submission>> work(static_cast<size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      ParticipantRegister p;
      p.id = "firm-" + std::to_string(t) + "-" + std::to_string(i);
      p.name = p.id;
      p.role = Role::kEnterprise;
      p.keys = {{"k1", testing::TestKey(t * 100 + i).public_key()}};
      work[static_cast<size_t>(t)].push_back(s_.f().Sign(s_.f().Make("registry", p), {"registry"}));
    }
  }
  const std::uint64_t before = s_.f().registry().ledger().size();
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::uint64_t> indexes;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      api::Client c("127.0.0.1", s_.port());
      for (const Submission& s : work[static_cast<size_t>(t)]) {
        auto r = c.Request("POST", "/v1/entries", s.envelope_bytes);
        if (!r.ok() || r->status != 201) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> l(mu);
        indexes.insert(json::parse(r->body)["index"].get<std::uint64_t>());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(s_.f().registry().ledger().size(), before + kThreads * kEach);
  EXPECT_OK(s_.f().registry().ledger().Verify());
}

TEST_F(HttpTest, OneLogLinePerRequestWithCaller) {
  Get("/v1/pledges/NOPE", "ccb-quzhou");
  bool found = false;
  for (const auto& line : s_.log_lines()) {
    if (line.find("\"path\":\"/v1/pledges/NOPE\"") != std::string::npos) {
      found = line.find("\"status\":404") != std::string::npos &&
              line.find("\"caller\":\"ccb-quzhou/k1\"") != std::string::npos &&
              line.find("\"latency_ms\":") != std::string::npos;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(HttpTest, AuditIsForRegulatorsAndPagesWithAStableCursor) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  ASSERT_EQ(PostPledge("PL-2").status, 409);  // a refusal, audited too
  ExpectProblem(Get("/v1/audit/entries"), 401);
  ExpectProblem(Get("/v1/audit/entries", "ccb-quzhou"), 403, "E_FORBIDDEN");
  const std::uint64_t size = s_.f().registry().ledger().size();
  // Page through everything two at a time: every index exactly once, in order.
  std::vector<std::uint64_t> seen;
  std::string cursor = "0";
  for (int page = 0; page < 100; ++page) {
    auto r = Get("/v1/audit/entries?limit=2&cursor=" + cursor, "cnipa-zj");
    ASSERT_EQ(r.status, 200) << r.body;
    json j = Body(r);
    for (const auto& e : j["entries"]) {
      seen.push_back(e["index"]);
      EXPECT_TRUE(e.contains("envelope"));
    }
    if (j["entries"].empty()) break;
    cursor = j["next_cursor"];
    // The log grows while we page: a new entry must not disturb the pages.
    if (page == 1) {
      ParticipantRegister p;
      p.id = "late-firm";
      p.name = "late";
      p.role = Role::kEnterprise;
      p.keys = {{"k1", testing::TestKey(31).public_key()}};
      ASSERT_EQ(s_.Post(s_.f().Make("registry", p)).status, 201);
    }
  }
  ASSERT_EQ(seen.size(), size + 1);
  for (std::uint64_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  // Filters: the refused pledge shows under its type, with its codes.
  json by_type = Body(Get("/v1/audit/entries?type=pledge.register", "cnipa-zj"));
  ASSERT_EQ(by_type["entries"].size(), 2u);
  EXPECT_EQ(by_type["entries"][1]["type"], "refusal");
  EXPECT_EQ(by_type["entries"][1]["codes"][0], "E_ALREADY_PLEDGED");
  json by_asset = Body(Get("/v1/audit/entries?asset=patent:2014103620773", "cnipa-zj"));
  EXPECT_EQ(by_asset["entries"].size(), 3u);  // registration, pledge, refusal
  json by_party = Body(Get("/v1/audit/entries?participant=lanyu-materials", "registry"));
  EXPECT_GE(by_party["entries"].size(), 3u);
  json by_day = Body(Get("/v1/audit/entries?from=2026-06-02&to=2026-06-30", "cnipa-zj"));
  EXPECT_EQ(by_day["entries"].size(), 0u);
  // A cursor beyond the window (or the log) comes back unchanged with an empty page.
  json beyond =
      Body(Get("/v1/audit/entries?asset=patent:2014103620773&to=2026-05-01&cursor=50", "cnipa-zj"));
  EXPECT_EQ(beyond["entries"].size(), 0u);
  EXPECT_EQ(beyond["next_cursor"], "50");
  ExpectProblem(Get("/v1/audit/entries?limit=0", "cnipa-zj"), 400);
  ExpectProblem(Get("/v1/audit/entries?from=june", "cnipa-zj"), 400);
  // Spreadsheets: CSV with the same rows.
  auto c = s_.ClientFor("cnipa-zj");
  auto csv = c->Request("GET", "/v1/audit/entries?type=pledge.register", "", "application/json",
                        {{"Accept", "text/csv"}});
  ASSERT_OK(csv);
  EXPECT_EQ(csv->content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv->body.rfind("index,time,type,refused,codes,", 0), 0u) << csv->body;
  EXPECT_NE(csv->body.find(",refusal,pledge.register,E_ALREADY_PLEDGED,"), std::string::npos)
      << csv->body;
}

TEST_F(HttpTest, StatsAreForRegulatorsAndReproducibleAsOfAnIndex) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31"), 401);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31", "ccb-quzhou"), 403,
                "E_FORBIDDEN");
  const std::uint64_t as_of = s_.f().registry().ledger().size() - 1;
  const std::string q =
      "/v1/stats/pledges?from=2026-01-01&to=2026-12-31&region=3308&as_of=" + std::to_string(as_of);
  auto first = Get(q, "cnipa-zj");
  ASSERT_EQ(first.status, 200) << first.body;
  json j = Body(first);
  EXPECT_EQ(j["totals"]["registrations"], 1);
  EXPECT_EQ(j["totals"]["amount"]["amount_fen"], 100'000'000);
  EXPECT_EQ(j["totals"]["enterprises"], 1);
  EXPECT_EQ(j["previous_year"]["registrations"], 0);
  EXPECT_TRUE(j["yoy_bps"]["amount"].is_null());
  auto cp = OpenCheckpoint(j["as_of"]["checkpoint"].get<std::string>(), LogVerifier());
  ASSERT_OK(cp);
  EXPECT_EQ(cp->size, as_of + 1);
  // More registrations later: the answer as of the same index is the same, byte for byte.
  s_.f().AddPatent("2015100000010", {"hengtai-valve"});
  PledgeRegister more = s_.f().PledgeBody("PL-9", {"hengtai-valve"}, {"patent:2015100000010"},
                                          DateFromCivil(2028, 1, 1));
  ASSERT_EQ(s_.Post(s_.f().Make("ccb-quzhou", more), {"ccb-quzhou", "hengtai-valve"}).status, 201);
  EXPECT_EQ(Get(q, "cnipa-zj").body, first.body);
  EXPECT_EQ(Body(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31&group_by=bank",
                     "registry"))["totals"]["registrations"],
            2);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-12-31&to=2026-01-01", "cnipa-zj"), 400);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31&group_by=color", "cnipa-zj"),
                400);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31&region=33a", "cnipa-zj"), 400);
  ExpectProblem(Get("/v1/stats/pledges?from=2026-01-01&to=2026-12-31&as_of=999999", "cnipa-zj"),
                400);
}

TEST(HttpOverloadTest, FullQueueIs429) {
  testing::ServerFixtureOptions o;
  o.max_queue = 0;
  ServerFixture s(o);
  ParticipantRegister p;
  p.id = "firm-x";
  p.name = "x";
  p.role = Role::kEnterprise;
  p.keys = {{"k1", testing::TestKey(5).public_key()}};
  ExpectProblem(s.Post(s.f().Make("registry", p)), 429);
}

TEST(HttpStorageFaultTest, FailedWriteIs503AndReadsGoOn) {
  testing::FaultFileSystem faults;
  testing::ServerFixtureOptions o;
  o.env = faults.env();
  ServerFixture s(o);
  const std::uint64_t size = s.f().registry().ledger().size();
  faults.Fail(testing::FaultFileSystem::kSync);
  ParticipantRegister p;
  p.id = "firm-x";
  p.name = "x";
  p.role = Role::kEnterprise;
  p.keys = {{"k1", testing::TestKey(5).public_key()}};
  ExpectProblem(s.Post(s.f().Make("registry", p)), 503);
  faults.Heal();
  p.id = "firm-y";
  ExpectProblem(s.Post(s.f().Make("registry", p)), 503);
  auto c = s.ClientFor();
  auto health = c->Request("GET", "/healthz");
  ASSERT_OK(health);
  EXPECT_EQ(json::parse(health->body)["status"], "read-only");
  auto cp = c->Request("GET", "/log/checkpoint");
  ASSERT_OK(cp);
  EXPECT_EQ(cp->status, 200);
  EXPECT_EQ(s.f().registry().ledger().size(), size);
}

// Each storage fault point: the write answers 503, the server turns read-only and
// keeps serving reads, and after a restart the log verifies, holds every acknowledged
// entry, and takes writes again.
class HttpFaultPointTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(HttpFaultPointTest, FaultIs503ReadOnlyAndTheLogVerifiesAfterRestart) {
  testing::FaultFileSystem faults;
  testing::ServerFixtureOptions o;
  o.env = faults.env();
  ServerFixture s(o);
  auto firm = [&s](const std::string& id) {
    ParticipantRegister p;
    p.id = id;
    p.name = id;
    p.role = Role::kEnterprise;
    p.keys = {{"k1", s.f().KeyOf(id).public_key()}};
    return s.f().Make("registry", p);
  };
  ASSERT_EQ(s.Post(firm("firm-before")).status, 201);
  const std::uint64_t acknowledged = s.f().registry().ledger().size();
  faults.Fail(GetParam());
  ExpectProblem(s.Post(firm("firm-during")), 503);
  EXPECT_GT(faults.injected(), 0);
  faults.Heal();
  ExpectProblem(s.Post(firm("firm-healed")), 503);  // read-only until restarted
  auto c = s.ClientFor();
  EXPECT_EQ(json::parse(c->Request("GET", "/healthz")->body)["status"], "read-only");
  EXPECT_EQ(c->Request("GET", "/v1/participants/firm-before")->status, 200);
  // Restart: the registry reopens from disk.
  s.f().Close();
  s.f().Reopen();
  Registry& r = s.f().registry();
  EXPECT_OK(r.ledger().Verify());
  EXPECT_GE(r.ledger().size(), acknowledged);
  EXPECT_LE(r.ledger().size(), acknowledged + 1);  // the failed batch: all or nothing
  EXPECT_OK(r.GetParticipant("firm-before"));
  Submission again = s.f().Sign(firm("firm-after"), {"registry"});
  auto out = r.Submit({&again, 1});
  ASSERT_OK(out);
  EXPECT_EQ((*out)[0].kind, OutcomeKind::kAccepted);
}

INSTANTIATE_TEST_SUITE_P(SyncAppendAndDiskFull, HttpFaultPointTest,
                         ::testing::Values(testing::FaultFileSystem::kSync,
                                           testing::FaultFileSystem::kAppend,
                                           testing::FaultFileSystem::kNoSpace),
                         [](const ::testing::TestParamInfo<unsigned>& param_info) {
                           switch (param_info.param) {
                             case testing::FaultFileSystem::kSync:
                               return std::string("Sync");
                             case testing::FaultFileSystem::kAppend:
                               return std::string("Append");
                             default:
                               return std::string("DiskFull");
                           }
                         });

}  // namespace
}  // namespace ipledger
