// Abuse of the HTTP API by anonymous clients and by participants (issue 12 items 5, 9,
// 10), against the real server on 127.0.0.1 port 0: ids with NUL bytes and non-canonical
// escapes, one address holding every connection, envelopes with many signatures,
// participants flooding the log, unpaged lists, and a stop in the middle of submissions.
// Each attack is refused with its status and code, leaves the log and the state as they
// were, and the legitimate request beside it still works.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/dsse.h"
#include "ledger/registry/record.h"
#include "ledger/registry/replay.h"
#include "tests/integration/hostile_http_fixture.h"
#include "tests/testing/server_fixture.h"

namespace ipledger {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// The raw client and the problem checks of the hostile-client tests.
using hostile::ExpectProblem;
using hostile::Get;
using hostile::RawConnection;

// --- The fixture --------------------------------------------------------------------------

class AbuseTest : public ::testing::Test {
 protected:
  virtual testing::ServerFixtureOptions Options() { return {}; }

  void SetUp() override {
    s_ = std::make_unique<testing::ServerFixture>(Options());
    auto& f = s_->f();
    f.AddParticipant("ccb-quzhou", Role::kBank);
    f.AddParticipant("icbc-quzhou", Role::kBank);
    f.AddParticipant("lanyu-materials", Role::kEnterprise);
    f.AddPatent("2014103620773", {"lanyu-materials"});
    f.AddPatent("2015100000010", {"lanyu-materials"});
    f.AddPatent("201610000002X", {"lanyu-materials"});
  }
  void TearDown() override { s_.reset(); }

  testing::RegistryFixture& f() { return s_->f(); }

  // The log's size and head, and the records the attacks aim at.
  std::string Snapshot() {
    Registry& r = f().registry();
    std::string out =
        std::to_string(r.ledger().size()) + "\n" + r.ledger().head().signed_checkpoint;
    auto participants = r.ListParticipants();
    EXPECT_OK(participants);
    if (participants.ok()) {
      for (const auto& p : *participants) out += EncodeRecord(p) + "\n";
    }
    for (const char* id : {"patent:2014103620773", "patent:2015100000010"}) {
      auto a = r.GetAsset(id);
      out += (a.ok() ? EncodeRecord(*a) : a.status().ToString()) + "\n";
    }
    for (const char* id : {"PL-2", "PL-3"}) {
      auto p = r.GetPledge(id);
      out += (p.ok() ? EncodeRecord(*p) : p.status().ToString()) + "\n";
    }
    return out;
  }

  Statement Pledge(const std::string& submitter, const std::string& id, const std::string& asset) {
    return f().Make(submitter,
                    f().PledgeBody(id, {"lanyu-materials"}, {asset}, DateFromCivil(2028, 1, 1)));
  }

  // An envelope over `st` with one signature per key id, made with the k1 key of the
  // participant named by `signers[i]`.
  std::string Envelope(const Statement& st, const std::vector<std::string>& keyids,
                       const std::vector<std::string>& signers) {
    DsseEnvelope env;
    env.payload_type = std::string(api::kStatementPayloadType);
    const std::string payload = api::EncodeStatement(st);
    env.payload.assign(payload.begin(), payload.end());
    for (size_t i = 0; i < keyids.size(); ++i) {
      AddDsseSignature(env, keyids[i], f().KeyOf(signers[i]));
    }
    return api::EncodeEnvelopeJson(env);
  }

  // `ipledger verify --replay` still rebuilds the same state from the log that went
  // through the refusals.
  void ExpectReplays() {
    testing::TempDir scratch;
    auto report = ReplayAndCompare(f().registry(), scratch.str() + "/db", api::DecodeSubmission);
    ASSERT_OK(report);
    EXPECT_EQ(report->entries, f().registry().ledger().size());
  }

  StatusOr<api::HttpResponse> Post(const std::string& body) {
    return s_->ClientFor()->Request("POST", "/v1/entries", body);
  }

  std::unique_ptr<testing::ServerFixture> s_;
};

// --- a) Identifiers -----------------------------------------------------------------------

TEST_F(AbuseTest, IdWithTrailingNulBytesDoesNotResolveToTheRealRecord) {
  const std::string before = Snapshot();
  auto c = s_->ClientFor();
  for (const char* target : {"/v1/assets/patent%3A2014103620773%00%00",
                             "/v1/assets/patent:2014103620773%00", "/v1/participants/ccb-quzhou%00",
                             "/v1/participants/ccb-quzhou%0A", "/v1/participants/ccb-quzhou%20"}) {
    ExpectProblem(c->Request("GET", target), 400, "schema", "E_SCHEMA");
  }
  // Signed routes refuse the id before the signature is even looked at.
  ExpectProblem(s_->ClientFor("ccb-quzhou")->Request("GET", "/v1/pledges/PL-1%00"), 400, "schema",
                "E_SCHEMA");
  // The real ids, plain or with ':' escaped canonically, still resolve.
  for (const char* target : {"/v1/assets/patent:2014103620773", "/v1/assets/patent%3A2014103620773",
                             "/v1/participants/ccb-quzhou"}) {
    auto r = c->Request("GET", target);
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 200) << target << " " << r->body;
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(AbuseTest, NonCanonicalPercentEncodingOfAnIdIsRefused) {
  const std::string before = Snapshot();
  auto c = s_->ClientFor();
  for (const char* target : {
           "/v1/participants/%63cb-quzhou",        // %63 for 'c'
           "/v1/assets/patent%3a2014103620773",    // lower-case hex
           "/v1/assets/patent:2014103620773%2Fx",  // '/' inside a segment
           "/v1/assets/patent%253A2014103620773",  // decoded once: "%3A" stays, refused
           "/v1/participants/ccb-quzhou%",         // truncated escape
           "/v1/participants/CCB-QUZHOU",          // not the id form (lower case only)
       }) {
    ExpectProblem(c->Request("GET", target), 400, "schema", "E_SCHEMA");
  }
  auto ok = c->Request("GET", "/v1/participants/ccb-quzhou");
  ASSERT_OK(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(AbuseTest, KeyIdWithNulBytesCannotWriteAFalsePartyIntoALeaf) {
  const std::string before = Snapshot();
  const Statement st = Pledge("ccb-quzhou", "PL-2", "patent:2015100000010");
  for (const std::string& bad :
       {std::string("ccb-quzhou\0\0/k1", 16), std::string("ccb-quzhou/k1\0", 14),
        std::string("ccb-quzhou/k1\n"), std::string("ccb-quzhou/K1"), std::string("ccb-quzhou")}) {
    ExpectProblem(
        Post(Envelope(st, {bad, "lanyu-materials/k1"}, {"ccb-quzhou", "lanyu-materials"})), 400,
        "schema", "E_SCHEMA");
  }
  EXPECT_EQ(Snapshot(), before);
  // The same statement with the real key ids is accepted, its parties the real ones.
  auto r = Post(
      Envelope(st, {"ccb-quzhou/k1", "lanyu-materials/k1"}, {"ccb-quzhou", "lanyu-materials"}));
  ASSERT_OK(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto p = f().registry().GetPledge("PL-2");
  ASSERT_OK(p);
  EXPECT_EQ(p->pledgee, "ccb-quzhou");
  ExpectReplays();
}

TEST_F(AbuseTest, RequestSignatureKeyIdOutsideTheIdFormIsRefused) {
  const std::string before = Snapshot();
  auto c = s_->ClientFor();
  const std::string input =
      "sig1=(\"@method\" \"@path\" \"@query\");created=" + std::to_string(f().now_ms() / 1000) +
      ";keyid=\"ccb-quzhou /k1\";alg=\"ed25519\"";
  auto r = c->Request("GET", "/v1/participants", "", "application/json",
                      {{"signature-input", input}, {"signature", "sig1=:AAAA:"}});
  ExpectProblem(r, 401, "signature", "E_SIGNATURE");
  auto ok = s_->ClientFor("ccb-quzhou")->Request("GET", "/v1/pledges/PL-1");
  ASSERT_OK(ok);
  EXPECT_EQ(ok->status, 404) << ok->body;  // authenticated; there is no PL-1 here
  EXPECT_EQ(Snapshot(), before);
}

// --- c) Signatures: a cap, and the directory before Ed25519 -------------------------------

TEST_F(AbuseTest, EnvelopeWithManySignaturesIsRefusedBeforeAnyIsChecked) {
  const std::string before = Snapshot();
  const Statement st = Pledge("ccb-quzhou", "PL-2", "patent:2015100000010");
  std::vector<std::string> keyids = {"ccb-quzhou/k1", "lanyu-materials/k1"};
  std::vector<std::string> signers = {"ccb-quzhou", "lanyu-materials"};
  for (size_t i = keyids.size(); i <= api::kMaxEnvelopeSignatures; ++i) {
    keyids.push_back("ccb-quzhou/x" + std::to_string(i));
    signers.push_back("ccb-quzhou");
  }
  ASSERT_EQ(keyids.size(), api::kMaxEnvelopeSignatures + 1);
  ExpectProblem(Post(Envelope(st, keyids, signers)), 400, "schema", "E_SCHEMA");
  // The same key id twice is refused too (it would be verified twice).
  ExpectProblem(Post(Envelope(st, {"ccb-quzhou/k1", "lanyu-materials/k1", "ccb-quzhou/k1"},
                              {"ccb-quzhou", "lanyu-materials", "ccb-quzhou"})),
                400, "schema", "E_SCHEMA");
  // Within the cap, a key id the directory does not know is refused (401) before any
  // verification, and nothing is logged.
  ExpectProblem(Post(Envelope(st, {"ccb-quzhou/k1", "lanyu-materials/k1", "nobody-here/k1"},
                              {"ccb-quzhou", "lanyu-materials", "ccb-quzhou"})),
                401, "signature", "E_SIGNATURE");
  EXPECT_EQ(Snapshot(), before);
  auto r = Post(
      Envelope(st, {"ccb-quzhou/k1", "lanyu-materials/k1"}, {"ccb-quzhou", "lanyu-materials"}));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

// --- d) Write quotas and paging -----------------------------------------------------------

class QuotaTest : public AbuseTest {
 protected:
  testing::ServerFixtureOptions Options() override {
    testing::ServerFixtureOptions o;
    o.write_quota_per_minute = 2;
    return o;
  }
};

TEST_F(QuotaTest, ParticipantFloodingTheLogIsThrottledOthersAreNot) {
  const std::vector<std::string> both = {"ccb-quzhou", "lanyu-materials"};
  const std::vector<std::string> keyids = {"ccb-quzhou/k1", "lanyu-materials/k1"};
  // Two writes fit in ccb-quzhou's bucket: one accepted, one refused by a rule (logged).
  auto first = Post(Envelope(Pledge("ccb-quzhou", "PL-2", "patent:2015100000010"), keyids, both));
  ASSERT_OK(first);
  EXPECT_EQ(first->status, 201) << first->body;
  auto second = Post(Envelope(Pledge("ccb-quzhou", "PL-9", "patent:2015100000010"), keyids, both));
  ASSERT_OK(second);
  EXPECT_EQ(second->status, 409) << second->body;
  const std::string before = Snapshot();
  auto third = Post(Envelope(Pledge("ccb-quzhou", "PL-8", "patent:2015100000010"), keyids, both));
  ExpectProblem(third, 429, "write-quota", "E_WRITE_QUOTA");
  ASSERT_OK(third);
  ASSERT_TRUE(third->headers.contains("retry-after"));
  EXPECT_GE(std::stoi(third->headers.at("retry-after")), 1);
  EXPECT_LE(std::stoi(third->headers.at("retry-after")), 30);
  EXPECT_EQ(Snapshot(), before);
  // An envelope naming ccb-quzhou as submitter but not signed by it does not spend (or
  // reach) its quota: the sequencer rejects it without a leaf.
  // Another participant still writes.
  auto other =
      Post(Envelope(Pledge("icbc-quzhou", "PL-3", "patent:201610000002X"),
                    {"icbc-quzhou/k1", "lanyu-materials/k1"}, {"icbc-quzhou", "lanyu-materials"}));
  ASSERT_OK(other);
  EXPECT_EQ(other->status, 201) << other->body;
  ExpectReplays();
}

TEST_F(AbuseTest, AssetHistoryIsPagedWithACursor) {
  const std::vector<std::string> both = {"ccb-quzhou", "lanyu-materials"};
  const std::vector<std::string> keyids = {"ccb-quzhou/k1", "lanyu-materials/k1"};
  ASSERT_EQ(
      Post(Envelope(Pledge("ccb-quzhou", "PL-2", "patent:2015100000010"), keyids, both))->status,
      201);
  for (int i = 0; i < 4; ++i) {  // refusals about the same asset, in its history too
    auto r = Post(Envelope(Pledge("ccb-quzhou", "PL-R" + std::to_string(i), "patent:2015100000010"),
                           keyids, both));
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 409) << r->body;
  }
  auto c = s_->ClientFor("ccb-quzhou");
  const std::string base = "/v1/assets/patent:2015100000010/history";
  auto all = c->Request("GET", base + "?limit=100");
  ASSERT_OK(all);
  ASSERT_EQ(all->status, 200) << all->body;
  const json whole = json::parse(all->body);
  EXPECT_FALSE(whole.contains("next_cursor"));
  ASSERT_GE(whole["entries"].size(), 6u);  // registered, pledged, four refusals
  json paged = json::array();
  std::string target = base + "?limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto r = c->Request("GET", target);
    ASSERT_OK(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const json j = json::parse(r->body);
    EXPECT_LE(j["entries"].size(), 2u);
    for (const auto& e : j["entries"]) paged.push_back(e);
    if (!j.contains("next_cursor")) break;
    target = base + "?limit=2&cursor=" + j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(paged, whole["entries"]);
  for (const char* bad : {"?limit=0", "?limit=101", "?cursor=abc"}) {
    auto r = c->Request("GET", base + bad);
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 400) << bad;
  }
}

TEST_F(AbuseTest, ParticipantListIsPagedWithACursor) {
  auto c = s_->ClientFor();
  auto all = c->Request("GET", "/v1/participants");
  ASSERT_OK(all);
  const json whole = json::parse(all->body);
  ASSERT_GE(whole["participants"].size(), 4u);
  json paged = json::array();
  std::string target = "/v1/participants?limit=1";
  for (int pages = 0; pages < 20; ++pages) {
    auto r = c->Request("GET", target);
    ASSERT_OK(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const json j = json::parse(r->body);
    ASSERT_EQ(j["participants"].size(), 1u);
    paged.push_back(j["participants"][0]);
    if (!j.contains("next_cursor")) break;
    target = "/v1/participants?limit=1&cursor=" + j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(paged, whole["participants"]);
  auto bad = c->Request("GET", "/v1/participants?cursor=%00");
  ASSERT_OK(bad);
  EXPECT_EQ(bad->status, 400);
}

// --- b) Connections per address -------------------------------------------------------------

class PerAddressTest : public AbuseTest {
 protected:
  testing::ServerFixtureOptions Options() override {
    testing::ServerFixtureOptions o;
    o.server.max_connections_per_address = 4;
    return o;
  }
};

TEST_F(PerAddressTest, IdleKeepAliveSocketsFromOneAddressDoNotLockOthersOut) {
  const std::string before = Snapshot();
  std::vector<std::unique_ptr<RawConnection>> hogs;
  for (int i = 0; i < 4; ++i) {  // the cap, each kept alive after one request
    hogs.push_back(std::make_unique<RawConnection>(s_->port(), "127.0.0.1"));
    ASSERT_TRUE(hogs.back()->connected());
    ASSERT_TRUE(hogs.back()->Send(Get("/healthz")));
    auto r = hogs.back()->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
  }
  RawConnection excess(s_->port(), "127.0.0.1");
  ASSERT_TRUE(excess.connected());
  auto refused = excess.ReadResponse();
  ASSERT_TRUE(refused.has_value()) << "no 503 for the connection over the per-address cap";
  ExpectProblem(refused, 503, "overloaded");
  EXPECT_EQ(refused->headers["connection"], "close");
  EXPECT_TRUE(excess.WaitClosed(milliseconds(3000)));
  // Another address is still served while the first holds its connections.
  RawConnection other(s_->port(), "127.0.0.2");
  ASSERT_TRUE(other.connected());
  ASSERT_TRUE(other.Send(Get("/v1/participants/ccb-quzhou")));
  auto served = other.ReadResponse();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200) << served->body;
  // Once the first address lets one go, it is served again.
  hogs.pop_back();
  bool again = false;
  for (int attempt = 0; attempt < 50 && !again; ++attempt) {
    RawConnection next(s_->port(), "127.0.0.1");
    ASSERT_TRUE(next.Send(Get("/healthz")));
    auto r = next.ReadResponse();
    again = r.has_value() && r->status == 200;
    if (!again) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(again);
  EXPECT_EQ(Snapshot(), before);
}

// --- e) Stopping during submissions ---------------------------------------------------------

TEST_F(AbuseTest, StopDuringConcurrentSubmissionsAnswersEveryCommittedEntry) {
  constexpr size_t kThreads = 6;
  constexpr size_t kPerThread = 80;
  // Prepared up front: participant.register statements by the registry office, each
  // accepted on its own.
  std::vector<std::vector<std::string>> bodies(kThreads);
  for (size_t t = 0; t < kThreads; ++t) {
    for (size_t i = 0; i < kPerThread; ++i) {
      ParticipantRegister b;
      b.id = "p" + std::to_string(t) + "-" + std::to_string(i);
      b.name = "Participant " + b.id;
      b.role = Role::kEnterprise;
      b.region_code = "330802";
      b.keys = {{"k1", f().KeyOf(b.id).public_key()}};
      bodies[t].push_back(f().Sign(f().Make("registry", b), {"registry"}).envelope_bytes);
    }
  }
  const std::uint64_t size_before = f().registry().ledger().size();
  std::mutex mu;
  std::set<std::uint64_t> answered;  // indexes whose receipts reached their clients
  std::atomic<int> late_503{0}, refused_connection{0}, other{0};
  std::atomic<size_t> started{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = s_->ClientFor();
      for (const std::string& body : bodies[t]) {
        auto r = c->Request("POST", "/v1/entries", body);
        started.fetch_add(1);
        if (!r.ok()) {
          refused_connection.fetch_add(1);
          continue;
        }
        if (r->status == 201 || r->status == 200) {
          const json j = json::parse(r->body, nullptr, false);
          std::lock_guard<std::mutex> l(mu);
          answered.insert(j["index"].get<std::uint64_t>());
        } else if (r->status == 503) {
          EXPECT_TRUE(r->headers.contains("retry-after")) << r->body;
          late_503.fetch_add(1);
        } else {
          other.fetch_add(1);
          ADD_FAILURE() << r->status << " " << r->body;
        }
      }
    });
  }
  while (started.load() < kThreads * kPerThread / 4) std::this_thread::sleep_for(milliseconds(1));
  s_->server().Stop();  // mid-load
  for (auto& t : threads) t.join();
  const std::uint64_t size_after = f().registry().ledger().size();
  std::set<std::uint64_t> committed;
  for (std::uint64_t i = size_before; i < size_after; ++i) committed.insert(i);
  std::printf("committed %zu, answered %zu, late 503 %d, refused connections %d\n",
              committed.size(), answered.size(), late_503.load(), refused_connection.load());
  EXPECT_EQ(answered, committed) << "a committed entry's client did not get its receipt";
  EXPECT_GT(committed.size(), 0u);
  EXPECT_LT(committed.size(), kThreads * kPerThread);
  EXPECT_EQ(other.load(), 0);
  ExpectReplays();
}

}  // namespace
}  // namespace ipledger
