// Witnesses end to end: three `ipledger witness` processes (a bank's, an insurer's and
// the regulator's) beside the real ipledgerd with the policy "the regulator and one of
// the other two". Cosigned checkpoints follow the log; one witness down still meets
// the quorum; two down, appends go on and the cosigned checkpoint stops (a log line says
// so); a witness killed with SIGKILL keeps its state; a forked log (same key and origin,
// diverging) is refused by the witnesses and its receipts fail `verify-receipt --policy`.
#include "ledger/log/witness.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/codec/json_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/witness_policy.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using Clock = std::chrono::steady_clock;
using testing::Contains;

using Result = testing::ShellResult;

// Runs the CLI with `args`; stdout and stderr together.
Result Cli(const std::string& args, const std::string& scratch) {
  return testing::RunShell("IPLEDGER_KNOWN_LOGS=" + scratch + "/known_logs " + IPLEDGER_CLI + " " +
                           args);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::uint16_t PortOf(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

class WitnessIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = tmp_.str();
    d_ = w_ + "/reg";
    Result init = Cli("init --data-dir " + d_ + " --origin witness.example/ipledger", w_);
    ASSERT_EQ(init.code, 0) << init.out;
    // A fork: the same key, origin and genesis, to diverge later.
    std::filesystem::copy(d_, w_ + "/fork", std::filesystem::copy_options::recursive);
    std::string policy = "# the regulator and one of the bank and the insurer\n";
    for (const char* name : {"bank", "insurer", "regulator"}) {
      ASSERT_TRUE(StartWitness(name, "127.0.0.1:0"));
      const std::string vkey = Trim(testing::ReadFileOrDie(w_ + "/" + name + "/witness.vkey"));
      policy += std::string("witness ") + name + " " + vkey + " " + witnesses_[name]->url() + "\n";
    }
    policy += "group others any bank insurer\ngroup needed all regulator others\nquorum needed\n";
    policy_ = w_ + "/policy.txt";
    std::ofstream(policy_) << policy;
    ASSERT_TRUE(server_.Start(IPLEDGERD,
                              {"--data-dir", d_, "--listen", "127.0.0.1:0", "--witness-policy",
                               policy_, "--witness-interval", "200ms", "--witness-timeout", "1s"},
                              w_ + "/ipledgerd.log"))
        << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
  }

  bool StartWitness(const std::string& name, const std::string& listen) {
    auto p = std::make_unique<testing::ServerProcess>();
    const bool ok =
        p->Start(IPLEDGER_CLI,
                 {"witness", "--data-dir", w_ + "/" + name, "--listen", listen, "--name",
                  "witness." + name + ".example", "--log-vkey", d_ + "/log.vkey"},
                 w_ + "/" + name + ".log");
    witnesses_[name] = std::move(p);
    return ok;
  }

  // Registers a participant through `url`; returns the receipt file.
  std::string Submit(const std::string& url, const std::string& id) {
    return SubmitJson(
        url, id,
        R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
            R"(","name":"P )" + id +
            R"(","role":"enterprise","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
            Base64Encode(testing::TestKey(100 + next_key_++).public_key()) + R"("}]}})");
  }
  // Signs `json` with the registry's key and submits it through `url`; the receipt file.
  std::string SubmitJson(const std::string& url, const std::string& id, const std::string& json) {
    const std::string stmt = w_ + "/" + id + ".json";
    std::ofstream(stmt) << json;
    Result s = Cli("sign --statement " + stmt + " --key " + d_ +
                       "/registry.key:registry/k1 --out " + w_ + "/" + id + ".env",
                   w_);
    EXPECT_EQ(s.code, 0) << s.out;
    Result r = Cli("submit --server " + url + " --envelope " + w_ + "/" + id + ".env", w_);
    EXPECT_EQ(r.code, 0) << r.out;
    return w_ + "/" + id + ".env.receipt.json";
  }

  // The size of `url`'s cosigned checkpoint (0 while it has none).
  static std::uint64_t CosignedSize(const std::string& url) {
    auto addr = api::ParseServerUrl(url);
    api::Client c(addr->host, addr->port);
    auto r = c.Request("GET", "/v1/checkpoints/cosigned");
    if (!r.ok() || r->status != 200) return 0;
    auto note = ParseNote(r->body);
    if (!note) return 0;
    auto cp = ParseCheckpointText(note->text);
    return cp.ok() ? cp->size : 0;
  }
  static std::uint64_t TreeSize(const std::string& url) {
    auto addr = api::ParseServerUrl(url);
    api::Client c(addr->host, addr->port);
    auto r = c.Request("GET", "/log/checkpoint");
    auto cp = ParseCheckpointText(ParseNote(r->body)->text);
    return cp->size;
  }
  // Waits up to `limit` for `url`'s cosigned size to reach `size`; the seconds it took.
  static double WaitCosigned(const std::string& url, std::uint64_t size,
                             std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto start = Clock::now();
    while (CosignedSize(url) < size) {
      if (Clock::now() - start > limit) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  }
  Result VerifyWithPolicy(const std::string& receipt, const std::string& url) {
    return Cli("verify-receipt --receipt " + receipt + " --vkey " + d_ + "/log.vkey --policy " +
                   policy_ + " --server " + url,
               w_);
  }

  testing::TempDir tmp_;
  int next_key_ = 0;
  std::string w_, d_, policy_;
  std::map<std::string, std::unique_ptr<testing::ServerProcess>> witnesses_;
  testing::ServerProcess server_;
};

TEST_F(WitnessIntegrationTest, QuorumWithOneDownStopsWithTwoDownAndAKilledWitnessKeepsState) {
  const std::string url = server_.url();
  const std::string r1 = Submit(url, "alpha");
  const std::uint64_t size1 = TreeSize(url);
  const double took = WaitCosigned(url, size1);
  ASSERT_GE(took, 0) << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
  std::printf("cosigned checkpoint of size %llu appeared after %.2f s\n",
              static_cast<unsigned long long>(size1), took);
  // All three cosigned; the policy holds over what the server serves.
  {
    auto addr = api::ParseServerUrl(url);
    api::Client c(addr->host, addr->port);
    auto r = c.Request("GET", "/v1/checkpoints/cosigned");
    ASSERT_EQ(r->status, 200);
    auto policy = ParseWitnessPolicy(testing::ReadFileOrDie(policy_));
    auto vkey = ParseVkey(Trim(testing::ReadFileOrDie(d_ + "/log.vkey")));
    auto c1 = OpenCosignedCheckpoint(r->body, *vkey, *policy);
    ASSERT_OK(c1);
    EXPECT_TRUE(c1->quorum);
    EXPECT_EQ(c1->witnesses.size(), 3u);
    // GET /log/checkpoint stays the log-signed checkpoint alone.
    auto plain = c.Request("GET", "/log/checkpoint");
    EXPECT_EQ(ParseNote(plain->body)->signatures.size(), 1u);
  }
  Result ok = VerifyWithPolicy(r1, url);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "quorum needed met")) << ok.out;

  // The bank's witness dies: the regulator and the insurer still meet the quorum.
  const std::uint16_t bank_port = PortOf(witnesses_["bank"]->url());
  witnesses_["bank"]->Stop(SIGKILL);
  Submit(url, "beta");
  ASSERT_GE(WaitCosigned(url, TreeSize(url)), 0) << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
  const std::uint64_t size2 = TreeSize(url);

  // The insurer's too: appends go on, the cosigned checkpoint stays, a log line says so.
  witnesses_["insurer"]->Stop(SIGKILL);
  const std::string r3 = Submit(url, "gamma");
  const std::uint64_t size3 = TreeSize(url);
  EXPECT_GT(size3, size2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(CosignedSize(url), size2);
  EXPECT_TRUE(Contains(testing::ReadFileOrDie(w_ + "/ipledgerd.log"), "cosign-quorum-missed"));
  Result not_yet = VerifyWithPolicy(r3, url);
  EXPECT_EQ(not_yet.code, 1) << not_yet.out;
  EXPECT_TRUE(Contains(not_yet.out, "QUORUM NOT MET")) << not_yet.out;
  // Without --policy the receipt itself still verifies.
  EXPECT_EQ(Cli("verify-receipt --receipt " + r3 + " --vkey " + d_ + "/log.vkey", w_).code, 0);

  // The bank's witness restarts with its state: the same key, and it knows the size it
  // cosigned before it was killed. Asked first on a port the log does not know, so the
  // log's own cosigner cannot move it on before the question is asked.
  ASSERT_TRUE(StartWitness("bank", "127.0.0.1:0"));
  EXPECT_FALSE(Contains(testing::ReadFileOrDie(w_ + "/bank.log"), "new key"));
  {
    api::Client c("127.0.0.1", PortOf(witnesses_["bank"]->url()));
    auto addr = api::ParseServerUrl(url);
    api::Client s(addr->host, addr->port);
    auto cp = s.Request("GET", "/log/checkpoint");
    auto r =
        c.Request("POST", "/add-checkpoint", FormatAddCheckpoint(0, {}, cp->body), "text/plain");
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 409);
    EXPECT_EQ(r->content_type, "text/x.tlog.size");
    EXPECT_EQ(std::stoull(r->body), size1);  // it was killed before cosigning size2
  }
  // Back on its own port, where the log finds it and it cosigns what it missed.
  witnesses_["bank"]->Stop(SIGTERM);
  ASSERT_TRUE(StartWitness("bank", "127.0.0.1:" + std::to_string(bank_port)));
  ASSERT_GE(WaitCosigned(url, size3), 0) << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
  Result now_ok = VerifyWithPolicy(r3, url);
  EXPECT_EQ(now_ok.code, 0) << now_ok.out;
}

TEST_F(WitnessIntegrationTest, AForkedLogIsRefusedAndItsReceiptsFailThePolicy) {
  const std::string url = server_.url();
  Submit(url, "alpha");
  ASSERT_GE(WaitCosigned(url, TreeSize(url)), 0);
  // The fork: the same key and origin, started after the witnesses saw the real log.
  testing::ServerProcess fork;
  ASSERT_TRUE(fork.Start(IPLEDGERD,
                         {"--data-dir", w_ + "/fork", "--listen", "127.0.0.1:0", "--witness-policy",
                          policy_, "--witness-interval", "200ms"},
                         w_ + "/fork.log"));
  // status and verify-certificate --policy on the real log: the answer's checkpoint is
  // the cosigned one, or consistent with it.
  SubmitJson(url, "patent",
             R"({"v":1,"type":"asset.register","submitter":"registry","body":{)"
             R"("asset_id":"patent:2014103620773","kind":"patent","holders":["alpha"],)"
             R"("patent":{"application_no":"2014103620773","type":"invention","title":"T",)"
             R"("filing_date":"2020-01-06","grant_date":"2022-03-01",)"
             R"("annuity_paid_through":"2030-01-06"}}})");
  ASSERT_GE(WaitCosigned(url, TreeSize(url)), 0);
  const std::string status_args = "status patent:2014103620773 --key " + d_ +
                                  "/registry.key:registry/k1 --vkey " + d_ + "/log.vkey --policy " +
                                  policy_ + " --server ";
  Result status = Cli(status_args + url, w_);
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_TRUE(Contains(status.out, "quorum needed met")) << status.out;
  Result json = Cli(status_args + url + " --json", w_);
  ASSERT_EQ(json.code, 0) << json.out;
  std::ofstream(w_ + "/answer.json") << json.out;
  Result cert = Cli("verify-certificate --response " + w_ + "/answer.json --vkey " + d_ +
                        "/log.vkey --policy " + policy_ + " --server " + url,
                    w_);
  EXPECT_EQ(cert.code, 0) << cert.out;
  EXPECT_TRUE(Contains(cert.out, "quorum needed met")) << cert.out;

  // The fork grows to the witnesses' size with other entries: same size, another root.
  const std::string forked = Submit(fork.url(), "mallory");
  std::string fork_patent = testing::ReadFileOrDie(w_ + "/patent.json");
  fork_patent.replace(fork_patent.find("\"alpha\""), 7, "\"mallory\"");
  SubmitJson(fork.url(), "patent-fork", fork_patent);
  ASSERT_EQ(TreeSize(fork.url()), TreeSize(url));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(CosignedSize(fork.url()), 0u);
  const std::string log = testing::ReadFileOrDie(w_ + "/fork.log");
  EXPECT_TRUE(Contains(log, "cosign-quorum-missed")) << log;
  EXPECT_TRUE(Contains(log, "HTTP 422: same size with another root")) << log;
  // The forked receipt verifies alone (same log key) but not against the witnesses.
  EXPECT_EQ(Cli("verify-receipt --receipt " + forked + " --vkey " + d_ + "/log.vkey", w_).code, 0);
  Result on_real = VerifyWithPolicy(forked, url);
  EXPECT_EQ(on_real.code, 1) << on_real.out;
  EXPECT_TRUE(Contains(on_real.out, "FAILED")) << on_real.out;
  Result on_fork = VerifyWithPolicy(forked, fork.url());
  EXPECT_EQ(on_fork.code, 1) << on_fork.out;
  EXPECT_TRUE(Contains(on_fork.out, "QUORUM NOT MET")) << on_fork.out;
  // The fork's own answers (checked with a trust store that never saw the real log).
  std::filesystem::create_directories(w_ + "/fork-client");
  Result fork_status = Cli(status_args + fork.url(), w_ + "/fork-client");
  EXPECT_EQ(fork_status.code, 1) << fork_status.out;
  EXPECT_TRUE(Contains(fork_status.out, "QUORUM NOT MET")) << fork_status.out;
}

// Witness keys in the registry (item 4): the three institutions register their witnesses'
// keys and URLs themselves; `ipledger witness-policy` derives a policy from the log that
// ipledgerd --witness-policy and the CLI's --policy accept, with the same effect as the
// hand-written one. Someone else's witness key, a bad vkey or URL are refused.
TEST_F(WitnessIntegrationTest, WitnessKeysInTheLogDeriveAPolicyTheServerAndCliAccept) {
  std::string url = server_.url();
  const std::map<std::string, std::string> roles = {
      {"bank", "bank"}, {"insurer", "insurer"}, {"regulator", "regulator"}};
  std::map<std::string, int> seeds;
  for (const auto& [name, role] : roles) {
    seeds[name + "-p"] = 300 + static_cast<int>(seeds.size());
    SubmitJson(url, name + "-p",
               R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" +
                   name + R"(-p","name":"W )" + name + R"(","role":")" + role +
                   R"(","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
                   Base64Encode(testing::TestKey(seeds[name + "-p"]).public_key()) + R"("}]}})");
  }
  // POSTs participant.keys adding a witness key for `who`, submitted and signed by
  // `submitter` with its k1, built here so that the server, not the CLI, judges it.
  int idem = 0;
  auto submit_witness = [&](const std::string& who, const std::string& submitter,
                            const std::string& vkey, const std::string& wurl) {
    const std::string json =
        R"({"v":1,"type":"participant.keys","submitter":")" + submitter +
        R"(","idempotency_key":"wk-)" + std::to_string(idem++) + R"(","created":")" +
        FormatInstant(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count()) +
        R"(","body":{"id":")" + who + R"(","add":[{"label":"w1","role":"witness","vkey":")" + vkey +
        R"(","url":")" + wurl + R"("}],"revoke":[]}})";
    DsseEnvelope env;
    env.payload_type = std::string(api::kStatementPayloadType);
    env.payload = Bytes(json.begin(), json.end());
    AddDsseSignature(env, submitter + "/k1", testing::TestKey(seeds[submitter]));
    auto addr = api::ParseServerUrl(url);
    api::Client c(addr->host, addr->port);
    auto r = c.Request("POST", "/v1/entries", api::EncodeEnvelopeJson(env), "application/json");
    EXPECT_OK(r);
    return r.ok() ? *r : api::HttpResponse{};
  };
  auto vkey_of = [&](const std::string& name) {
    return Trim(testing::ReadFileOrDie(w_ + "/" + name + "/witness.vkey"));
  };
  // Refusals first (RFC 9457 problems): the insurer registering the bank's witness for
  // the bank; a bad vkey; a bad URL. Nothing is logged.
  const std::uint64_t before = TreeSize(url);
  api::HttpResponse forbidden =
      submit_witness("bank-p", "insurer-p", vkey_of("bank"), witnesses_["bank"]->url());
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_TRUE(Contains(forbidden.body, "E_FORBIDDEN")) << forbidden.body;
  std::string bad_vkey = vkey_of("bank");
  bad_vkey[bad_vkey.find('+') + 1] = bad_vkey[bad_vkey.find('+') + 1] == '0' ? '1' : '0';
  api::HttpResponse bad = submit_witness("bank-p", "bank-p", bad_vkey, witnesses_["bank"]->url());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(Contains(bad.body, "E_SCHEMA")) << bad.body;
  EXPECT_TRUE(Contains(bad.body, "body.add[0].vkey")) << bad.body;
  api::HttpResponse bad_url = submit_witness("bank-p", "bank-p", vkey_of("bank"), "ftp://x:1");
  EXPECT_EQ(bad_url.status, 400) << bad_url.body;
  EXPECT_TRUE(Contains(bad_url.body, "body.add[0].url")) << bad_url.body;
  EXPECT_EQ(TreeSize(url), before);
  {
    auto addr = api::ParseServerUrl(url);
    api::Client c(addr->host, addr->port);
    auto r = c.Request("GET", "/v1/witnesses");
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(Contains(r->body, "\"witnesses\":[]")) << r->body;
  }
  Result none = Cli("witness-policy --server " + url, w_);
  EXPECT_EQ(none.code, 1) << none.out;
  EXPECT_TRUE(Contains(none.out, "no witness keys are registered")) << none.out;

  for (const auto& [name, role] : roles) {
    api::HttpResponse ok =
        submit_witness(name + "-p", name + "-p", vkey_of(name), witnesses_[name]->url());
    EXPECT_EQ(ok.status, 201) << ok.body;
  }
  // The insurer registering the bank's witness key as its own: refused and logged.
  api::HttpResponse copy =
      submit_witness("insurer-p", "insurer-p", vkey_of("bank"), "http://127.0.0.1:1");
  EXPECT_NE(copy.status, 201) << copy.body;
  EXPECT_TRUE(Contains(copy.body, "E_DUPLICATE_ID")) << copy.body;

  const std::string derived = w_ + "/derived-policy";
  Result policy = Cli("witness-policy --server " + url + " --out " + derived, w_);
  ASSERT_EQ(policy.code, 0) << policy.out;
  const std::string text = testing::ReadFileOrDie(derived);
  auto parsed = ParseWitnessPolicy(text);
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->witnesses.size(), 3u) << text;
  EXPECT_TRUE(QuorumMet(*parsed, {"regulator-p/w1", "bank-p/w1"})) << text;
  EXPECT_FALSE(QuorumMet(*parsed, {"insurer-p/w1", "bank-p/w1"})) << text;
  EXPECT_TRUE(Contains(
      text, "witness bank-p/w1 " + vkey_of("bank") + " " + witnesses_["bank"]->url() + "\n"))
      << text;
  EXPECT_EQ(Cli("witness-policy --server " + url + " --quorum 4", w_).code, 2);

  // ipledgerd restarted with the derived policy gathers cosignatures under it, and the
  // CLI's --policy accepts it.
  ASSERT_EQ(server_.Stop(SIGTERM), 0);
  ASSERT_TRUE(server_.Start(IPLEDGERD,
                            {"--data-dir", d_, "--listen", "127.0.0.1:0", "--witness-policy",
                             derived, "--witness-interval", "200ms", "--witness-timeout", "1s"},
                            w_ + "/ipledgerd2.log"))
      << testing::ReadFileOrDie(w_ + "/ipledgerd2.log");
  url = server_.url();
  const std::string receipt = Submit(url, "delta");
  ASSERT_GE(WaitCosigned(url, TreeSize(url)), 0) << testing::ReadFileOrDie(w_ + "/ipledgerd2.log");
  Result verified = Cli("verify-receipt --receipt " + receipt + " --vkey " + d_ +
                            "/log.vkey --policy " + derived + " --server " + url,
                        w_);
  EXPECT_EQ(verified.code, 0) << verified.out;
  EXPECT_TRUE(Contains(verified.out, "quorum quorum met")) << verified.out;
}

}  // namespace
}  // namespace ipledger
