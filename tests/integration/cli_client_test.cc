// The client commands of the ipledger CLI end to end: the real
// `ipledgerd` on 127.0.0.1 port 0 over a directory made by `ipledger init`, driven only
// through the `ipledger` binary: keygen, sign, submit, verify-receipt, status,
// coverage, verify-certificate, get; then SIGTERM and an offline `verify --replay`;
// and a regulator's `stats` and `audit`.
// Plus the pure helpers of api/client/cli_support.h that the commands rest on.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/client/cli_support.h"
#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

extern char** environ;

namespace ipledger {
namespace {

using nlohmann::json;

using Result = testing::ShellResult;
using testing::Contains;
using testing::WriteFile;

// Runs the CLI with `args` (a shell word list); stdout and stderr captured apart. Its
// pinned log keys and checkpoints seen are kept in `scratch`/known_logs, never in $HOME.
Result Cli(const std::string& args, const std::string& scratch) {
  return testing::RunShell(
      "IPLEDGER_KNOWN_LOGS=" + scratch + "/known_logs " + IPLEDGER_CLI + " " + args,
      scratch + "/cli.stderr");
}

std::string Today(std::int32_t plus_days = 0) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return FormatDate(AddDays(DateOfInstant(ms), plus_days));
}

std::string Years(int years) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return FormatDate(AddYears(DateOfInstant(ms), years));
}

std::string LastLine(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.substr(s.rfind('\n') + 1);
}

// --- The pure helpers ------------------------------------------------------------------------

TEST(CliSupportTest, CompletionInsertsMissingMembersAndKeepsEveryOtherByte) {
  const std::string in = "{ \"v\": 1,\n  \"type\": \"x\" }\n";
  auto out = api::CompleteStatementJson(in, 1764144000123, "k-1");
  ASSERT_OK(out);
  EXPECT_EQ(*out,
            "{\"created\":\"2025-11-26T08:00:00.123Z\",\"idempotency_key\":\"k-1\", \"v\": 1,\n"
            "  \"type\": \"x\" }");
}

TEST(CliSupportTest, CompletionKeepsMembersAlreadyThere) {
  const std::string in = R"({"created":"2026-01-01T00:00:00.000Z","idempotency_key":"mine"})";
  auto out = api::CompleteStatementJson(in, 1, "other");
  ASSERT_OK(out);
  EXPECT_EQ(*out, in);
  auto empty = api::CompleteStatementJson("{}", 0, "a\"b");
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, R"({"created":"1970-01-01T00:00:00.000Z","idempotency_key":"a\"b"})");
}

TEST(CliSupportTest, CompletionRefusesWhatIsNotAnObject) {
  for (const char* bad : {"", "[]", "{\"a\":", "1", "\"{\""}) {
    EXPECT_FALSE(api::CompleteStatementJson(bad, 0, "k").ok()) << bad;
  }
}

TEST(CliSupportTest, SigningRefusesAStatementOffSchemaNamingTheField) {
  SigningKey key = testing::TestKey(1);
  auto env = api::SignStatementJson(
      R"({"v":1,"type":"data.publicize","submitter":"registry","idempotency_key":"k",)"
      R"("created":"2026-01-01T00:00:00.000Z","body":{"asset_id":"data:x","publicity_end":"2026-13-01"}})",
      {{"registry/k1", &key}});
  ASSERT_FALSE(env.ok());
  EXPECT_TRUE(Contains(env.status().message(), "body.publicity_end")) << env.status().ToString();
}

TEST(CliSupportTest, ServerUrls) {
  auto a = api::ParseServerUrl("http://127.0.0.1:8080/");
  ASSERT_OK(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto v6 = api::ParseServerUrl("http://[::1]:9000");
  ASSERT_OK(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(v6->tls);
  auto tls = api::ParseServerUrl("https://127.0.0.1:8443");
  ASSERT_OK(tls);
  EXPECT_EQ(tls->port, 8443);
  EXPECT_TRUE(tls->tls);
  for (const char* bad : {"127.0.0.1:8080", "http://x", "http://:80", "http://x:0",
                          "http://x:70000", "http://x:80/path", "https://x", "ftp://x:21"}) {
    EXPECT_FALSE(api::ParseServerUrl(bad).ok()) << bad;
  }
}

TEST(CliSupportTest, MoneyIsFormattedInYuanWithGrouping) {
  EXPECT_EQ(api::FormatMoney({580000000, "CNY"}), "¥5,800,000.00");
  EXPECT_EQ(api::FormatMoney({5, "CNY"}), "¥0.05");
  EXPECT_EQ(api::FormatMoney({123456, "USD"}), "USD 1,234.56");
  EXPECT_EQ(api::EscapePathSegment("patent:2014103620773"), "patent:2014103620773");
  EXPECT_EQ(api::EscapePathSegment("a b/c"), "a%20b%2Fc");
}

TEST(CliSupportTest, BasisPointsAreFormattedAsPercent) {
  EXPECT_EQ(api::FormatBps(7742), "77.42%");
  EXPECT_EQ(api::FormatBps(5), "0.05%");
  EXPECT_EQ(api::FormatBps(0, /*sign=*/true), "0.00%");
  EXPECT_EQ(api::FormatBps(6470, /*sign=*/true), "+64.70%");
  EXPECT_EQ(api::FormatBps(-1250, /*sign=*/true), "-12.50%");
}

TEST(CliSupportTest, StatsAndAuditAnswersParseAndNameTheBadField) {
  const std::string figures =
      R"({"amount":{"amount_fen":100,"currency":"CNY"},"amounts":[{"amount_fen":100,)"
      R"("currency":"CNY"},{"amount_fen":7,"currency":"USD"}],"registrations":2,"cases":1,)"
      R"("enterprises":1,"ip_items":{"patent":2,"trademark":1,"data":0},)"
      R"("inclusive_enterprises":1,"inclusive_share_bps":10000})";
  const std::string stats =
      R"({"as_of":{"index":9,"checkpoint":"cp\n"},"window":{"from":"2026-01-01",)"
      R"("to":"2026-12-31","region":"3308","group_by":"bank","inclusive_threshold_fen":5},)"
      R"("totals":)" +
      figures + R"(,"previous_year":)" + figures +
      R"(,"yoy_bps":{"amount":null,"registrations":-5000,"enterprises":0},)"
      R"("groups":[)" +
      figures.substr(0, figures.size() - 1) + R"(,"key":"ccb-quzhou"}]})";
  auto a = api::ParseStatsJson(stats);
  ASSERT_OK(a);
  EXPECT_EQ(a->as_of_index, 9u);
  EXPECT_EQ(a->region, "3308");
  EXPECT_EQ(a->totals.amounts.size(), 2u);
  EXPECT_EQ(a->totals.amounts[1].currency, "USD");
  EXPECT_EQ(a->totals.trademarks, 1u);
  EXPECT_FALSE(a->yoy_amount_bps.has_value());
  EXPECT_EQ(a->yoy_registrations_bps, -5000);
  ASSERT_EQ(a->groups.size(), 1u);
  EXPECT_EQ(a->groups[0].key, "ccb-quzhou");
  EXPECT_EQ(a->groups[0].figures.inclusive_share_bps, 10000);
  std::string bad = stats;
  bad.replace(bad.find("\"cases\":1"), 9, "\"cases\":-1");
  auto b = api::ParseStatsJson(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(Contains(b.status().message(), "totals.cases")) << b.status().ToString();

  auto page = api::ParseAuditPageJson(
      R"({"entries":[{"index":3,"time":"2026-01-01T00:00:00.000Z","type":"refusal",)"
      R"("refused":"pledge.register","codes":["E_ALREADY_PLEDGED"],"leaf":"","parties":["a"],)"
      R"("signers":["a/k1"],"subjects":["x"],"envelope":{},"envelope_b64":""}],)"
      R"("next_cursor":"4","tree_size":5})");
  ASSERT_OK(page);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].codes, std::vector<std::string>{"E_ALREADY_PLEDGED"});
  EXPECT_EQ(page->next_cursor, "4");
  EXPECT_FALSE(api::ParseAuditPageJson(R"({"entries":[],"next_cursor":"x","tree_size":1})").ok());
}

// --- ipledgerd's options ---------------------------------------------------------------------

// Runs ipledgerd with `args` (a shell word list) to its exit; stdout and stderr together.
Result Ipledgerd(const std::string& args) {
  return testing::RunShell(std::string(IPLEDGERD) + " " + args);
}

TEST(IpledgerdOptionsTest, ConfigFileSuppliesOptionsAndTheCommandLineWins) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin test.example/ipledger", tmp.str()).code, 0);
  const std::string config = tmp.str() + "/ipledgerd.conf";
  // The file's listen address is unusable: the server only starts if --listen wins.
  WriteFile(config, "# ipledgerd options\ndata-dir = " + d +
                        "\nlisten = not-an-address\nio-threads = 2\nskip-verify = true\n");
  testing::ServerProcess server;
  ASSERT_TRUE(server.Start(IPLEDGERD, {"--config", config, "--listen", "127.0.0.1:0"},
                           tmp.str() + "/ipledgerd.log"))
      << testing::ReadFileOrDie(tmp.str() + "/ipledgerd.log");
  EXPECT_TRUE(server.url().starts_with("http://127.0.0.1:")) << server.url();
  Result get = Cli("get --server " + server.url() + " /log/checkpoint", tmp.str());
  EXPECT_EQ(get.code, 0) << get.all();
  EXPECT_TRUE(Contains(get.out, "test.example/ipledger")) << get.out;
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  const std::string log = testing::ReadFileOrDie(tmp.str() + "/ipledgerd.log");
  EXPECT_TRUE(Contains(log, "\"event\":\"start\"")) << log;
  // The allocator it was linked with replaced glibc's malloc (CMake's IPLEDGER_JEMALLOC).
  EXPECT_TRUE(Contains(
      log, IPLEDGER_EXPECT_JEMALLOC ? "\"allocator\":\"jemalloc 5." : "\"allocator\":\"glibc\""))
      << log;
  // skip-verify = true came from the file: no verification at start.
  EXPECT_FALSE(Contains(log, "\"event\":\"verified\"")) << log;

  // Without --listen the file's address is used, and refused.
  Result bad_listen = Ipledgerd("--config " + config);
  EXPECT_EQ(bad_listen.code, 1) << bad_listen.out;
  EXPECT_TRUE(Contains(bad_listen.out, "--listen must be HOST:PORT, got 'not-an-address'"))
      << bad_listen.out;
}

TEST(IpledgerdOptionsTest, BadOptionsAreOneClearLineAndExitTwo) {
  testing::TempDir tmp;
  const std::string config = tmp.str() + "/bad.conf";
  WriteFile(config, "data-dir = /nonexistent\nno-such-option = 1\n");
  Result unknown_in_file = Ipledgerd("--config " + config);
  EXPECT_EQ(unknown_in_file.code, 2) << unknown_in_file.out;
  EXPECT_TRUE(Contains(unknown_in_file.out, "ipledgerd: --config " + config + ": ") &&
              Contains(unknown_in_file.out, "no-such-option"))
      << unknown_in_file.out;
  EXPECT_TRUE(Contains(unknown_in_file.out, "usage: ipledgerd")) << unknown_in_file.out;

  WriteFile(config, "skip-verify = perhaps\n");
  Result bad_switch = Ipledgerd("--config " + config);
  EXPECT_EQ(bad_switch.code, 2) << bad_switch.out;
  EXPECT_TRUE(Contains(bad_switch.out, "skip-verify must be true or false")) << bad_switch.out;

  Result missing_file = Ipledgerd("--config " + tmp.str() + "/absent.conf");
  EXPECT_EQ(missing_file.code, 1) << missing_file.out;
  EXPECT_TRUE(Contains(missing_file.out, "absent.conf")) << missing_file.out;

  for (const auto& [args, line] : std::vector<std::pair<std::string, std::string>>{
           {"--data-dir", "ipledgerd: flag --data-dir needs a value"},
           {"--nope", "ipledgerd: unknown flag --nope"},
           {"--data d --listen 127.0.0.1:0", "ipledgerd: unknown flag --data"},
           {"--skip-verify=1", "ipledgerd: flag --skip-verify takes no value"},
           {"stray", "ipledgerd: unexpected argument 'stray'"}}) {
    Result r = Ipledgerd(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), line) << args;
    EXPECT_TRUE(Contains(r.out, "usage: ipledgerd")) << args;
  }
  Result help = Ipledgerd("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(Contains(help.out, "--config FILE")) << help.out;
}

// --- End to end --------------------------------------------------------------------------

class CliClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = tmp_.str() + "/reg";
    w_ = tmp_.str();
    Result init = Run("init --data-dir " + d_ + " --origin test.example/ipledger");
    ASSERT_EQ(init.code, 0) << init.all();
    ASSERT_TRUE(server_.Start(IPLEDGERD, {"--data-dir", d_, "--listen", "127.0.0.1:0"},
                              w_ + "/ipledgerd.log"))
        << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
    url_ = server_.url();
    ASSERT_TRUE(url_.starts_with("http://127.0.0.1:")) << url_;
  }

  Result Run(const std::string& args) { return Cli(args, w_); }

  // keygen FILE; returns the public key.
  std::string Keygen(const std::string& name) {
    Result r = Run("keygen --out " + w_ + "/" + name + ".key");
    EXPECT_EQ(r.code, 0) << r.all();
    return LastLine(r.out);
  }

  // Writes the statement, signs it with `keys` ("FILE:KEYID ..."), submits it. Returns
  // the submit result; the receipt goes to <name>.env.receipt.json.
  Result SignAndSubmit(const std::string& name, const std::string& statement,
                       const std::vector<std::string>& keys) {
    WriteFile(w_ + "/" + name + ".json", statement);
    std::string key_args;
    for (const auto& k : keys) key_args += " --key " + k;
    Result s = Run("sign --statement " + w_ + "/" + name + ".json" + key_args + " --out " + w_ +
                   "/" + name + ".env");
    EXPECT_EQ(s.code, 0) << name << ": " << s.all();
    return Run("submit --server " + url_ + " --envelope " + w_ + "/" + name + ".env");
  }

  void Register(const std::string& id, const std::string& role, const std::string& pub,
                const std::string& region = "330802") {
    Result r = SignAndSubmit(
        "reg-" + id,
        R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
            R"(","name":"Test )" + id + R"(","role":")" + role + R"(","region_code":")" + region +
            R"(","keys":[{"label":"k1","ed25519":")" + pub + R"("}]}})",
        {registry_key()});
    ASSERT_EQ(r.code, 0) << r.all();
  }

  // Registers the invention patent `app_no` held by `holder`.
  void Patent(const std::string& app_no, const std::string& holder) {
    Result r = SignAndSubmit("patent-" + app_no,
                             R"({"v":1,"type":"asset.register","submitter":"registry","body":{)"
                             R"("asset_id":"patent:)" +
                                 app_no + R"(","kind":"patent","holders":[")" + holder +
                                 R"("],"patent":{"application_no":")" + app_no +
                                 R"(","type":"invention","title":"Patent )" + app_no +
                                 R"(","filing_date":")" + Years(-3) + R"(","grant_date":")" +
                                 Years(-1) + R"(","annuity_paid_through":")" + Years(1) + R"("}}})",
                             {registry_key()});
    ASSERT_EQ(r.code, 0) << r.all();
  }

  // The log index in the receipt that `submit` saved for <name>.env.
  std::uint64_t ReceiptIndex(const std::string& name) {
    json r =
        json::parse(testing::ReadFileOrDie(w_ + "/" + name + ".env.receipt.json"), nullptr, false);
    EXPECT_TRUE(r.contains("index")) << name;
    return r.value("index", std::uint64_t{0});
  }

  std::string registry_key() const { return d_ + "/registry.key:registry/k1"; }
  std::string key(const std::string& who) const { return w_ + "/" + who + ".key:" + who + "/k1"; }
  std::string vkey() const { return d_ + "/log.vkey"; }

  testing::TempDir tmp_;
  std::string d_;  // the data directory
  std::string w_;  // scratch files
  std::string url_;
  testing::ServerProcess server_;
};

std::string PledgeJson(const std::string& id, const std::string& debtor = "lanyu-materials",
                       const std::string& asset = "patent:2014103620773",
                       const std::string& amount_fen = "580000000") {
  return R"({"v":1,"type":"pledge.register","submitter":"ccb-quzhou","body":{"pledge_id":")" + id +
         R"(","pledgors":[")" + debtor + R"("],"debtor":")" + debtor +
         R"(",)"
         R"("collateral":[")" +
         asset +
         R"("],)"
         R"("secured":{"type":"loan","amount":{"amount_fen":)" +
         amount_fen +
         R"(,"currency":"CNY"}},)"
         R"("debt_term":{"start":")" +
         Today() + R"(","end":")" + Today(730) +
         R"("},"valuation_ids":[],)"
         R"("contract_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}})";
}

TEST_F(CliClientTest, FromKeygenToVerifiedReceiptsStatusCoverageAndReplay) {
  Register("ccb-quzhou", "bank", Keygen("ccb-quzhou"));
  Register("lanyu-materials", "enterprise", Keygen("lanyu-materials"));
  Register("picc-quzhou", "insurer", Keygen("picc-quzhou"));

  Result asset = SignAndSubmit(
      "patent",
      R"({"v":1,"type":"asset.register","submitter":"registry","body":{)"
      R"("asset_id":"patent:2014103620773","kind":"patent","holders":["lanyu-materials"],)"
      R"("patent":{"application_no":"2014103620773","type":"invention",)"
      R"("title":"Slow-release pesticide granule","filing_date":")" +
          Years(-3) + R"(","grant_date":")" + Years(-1) + R"(","annuity_paid_through":")" +
          Years(1) + R"("}}})",
      {registry_key()});
  ASSERT_EQ(asset.code, 0) << asset.all();

  // A pledge co-signed by the bank and the enterprise; its receipt verifies offline.
  Result pledge = SignAndSubmit("pledge1", PledgeJson("CCB-QZ-2026-0001"),
                                {key("ccb-quzhou"), key("lanyu-materials")});
  ASSERT_EQ(pledge.code, 0) << pledge.all();
  EXPECT_TRUE(Contains(pledge.out, "accepted (201): pledge.register by ccb-quzhou")) << pledge.out;
  EXPECT_TRUE(Contains(pledge.out, "index:")) << pledge.out;
  const std::string receipt = w_ + "/pledge1.env.receipt.json";
  Result vr = Run("verify-receipt --receipt " + receipt + " --vkey " + vkey() + " --envelope " +
                  w_ + "/pledge1.env");
  ASSERT_EQ(vr.code, 0) << vr.all();
  EXPECT_TRUE(Contains(vr.out, "receipt verified")) << vr.out;
  EXPECT_TRUE(Contains(vr.out, "pledge.register")) << vr.out;
  EXPECT_TRUE(Contains(vr.out, "CCB-QZ-2026-0001, patent:2014103620773")) << vr.out;
  EXPECT_TRUE(Contains(vr.out, "ccb-quzhou, lanyu-materials")) << vr.out;
  // The vkey also works inline.
  std::string vkey_line = testing::ReadFileOrDie(vkey());
  vkey_line.pop_back();
  EXPECT_EQ(Run("verify-receipt --receipt " + receipt + " --vkey " + vkey_line).code, 0);

  // Sending the same envelope again is an idempotent replay.
  Result again = Run("submit --server " + url_ + " --envelope " + w_ + "/pledge1.env" +
                     " --receipt-out " + w_ + "/again.json");
  EXPECT_EQ(again.code, 0) << again.all();
  EXPECT_TRUE(Contains(again.out, "idempotent replay")) << again.out;

  // A second pledge of the same patent, signed by the bank and then co-signed by the
  // enterprise on its own, is refused, and the refusal is recorded.
  WriteFile(w_ + "/pledge2.json", PledgeJson("CCB-QZ-2026-0002"));
  Result bank_signed = Run("sign --statement " + w_ + "/pledge2.json --key " + key("ccb-quzhou") +
                           " --out " + w_ + "/pledge2.env");
  ASSERT_EQ(bank_signed.code, 0) << bank_signed.all();
  Result cosigned = Run("sign --envelope " + w_ + "/pledge2.env --key " + key("lanyu-materials") +
                        " --out " + w_ + "/pledge2.env");
  ASSERT_EQ(cosigned.code, 0) << cosigned.all();
  EXPECT_TRUE(Contains(cosigned.err, "ccb-quzhou/k1, lanyu-materials/k1")) << cosigned.err;
  Result twice = Run("sign --envelope " + w_ + "/pledge2.env --key " + key("lanyu-materials"));
  EXPECT_EQ(twice.code, 1) << twice.all();
  EXPECT_TRUE(Contains(twice.err, "signed this envelope already")) << twice.err;
  Result second = Run("submit --server " + url_ + " --envelope " + w_ + "/pledge2.env");
  EXPECT_EQ(second.code, 1) << second.all();
  EXPECT_TRUE(Contains(second.out, "E_ALREADY_PLEDGED")) << second.out;
  EXPECT_TRUE(Contains(second.out, "refusal_index:")) << second.out;
  EXPECT_TRUE(Contains(second.out, "CCB-QZ-2026-0001")) << second.out;
  Result refusal =
      Run("verify-receipt --receipt " + w_ + "/pledge2.env.receipt.json --vkey " + vkey());
  EXPECT_EQ(refusal.code, 0) << refusal.all();
  EXPECT_TRUE(Contains(refusal.out, "refusal")) << refusal.out;
  EXPECT_TRUE(Contains(refusal.out, "E_ALREADY_PLEDGED")) << refusal.out;

  // A policy with the bank as loss payee.
  Result policy =
      SignAndSubmit("policy",
                    R"({"v":1,"type":"policy.issue","submitter":"picc-quzhou","body":{)"
                    R"("policy_id":"PICC-IP-2026-001","product":"infringement_loss",)"
                    R"("insured":"lanyu-materials","loss_payees":["ccb-quzhou"],)"
                    R"("covered_assets":["patent:2014103620773"],"period":{"start":")" +
                        Today(-1) + R"(","end":")" + Today(364) +
                        R"("},"limit_per_claim":{"amount_fen":50000000,"currency":"CNY"},)"
                        R"("aggregate_limit":{"amount_fen":100000000,"currency":"CNY"},)"
                        R"("deductible":{"amount_fen":1000000,"currency":"CNY"},)"
                        R"("covered_costs":["legal","investigation"]}})",
                    {key("picc-quzhou")});
  ASSERT_EQ(policy.code, 0) << policy.all();

  // Status: a table with the secured amount (the bank is a party), verified.
  Result status =
      Run("status patent:2014103620773 --server " + url_ + " --key " + key("ccb-quzhou"));
  ASSERT_EQ(status.code, 0) << status.all();
  EXPECT_TRUE(Contains(status.out, "PLEDGED")) << status.out;
  EXPECT_TRUE(Contains(status.out, "CCB-QZ-2026-0001")) << status.out;
  EXPECT_TRUE(Contains(status.out, "loan ¥5,800,000.00")) << status.out;
  EXPECT_TRUE(Contains(status.out, "certificate: verified")) << status.out;
  // An insurer sees the pledge but not the amount.
  Result as_insurer =
      Run("status patent:2014103620773 --server " + url_ + " --key " + key("picc-quzhou"));
  ASSERT_EQ(as_insurer.code, 0) << as_insurer.all();
  EXPECT_TRUE(Contains(as_insurer.out, "(not visible)")) << as_insurer.out;

  Result raw =
      Run("status patent:2014103620773 --json --server " + url_ + " --key " + key("ccb-quzhou"));
  ASSERT_EQ(raw.code, 0) << raw.all();
  json j = json::parse(raw.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << raw.out;
  EXPECT_EQ(j["pledged"], true);
  EXPECT_EQ(j["pledges"][0]["pledge_id"], "CCB-QZ-2026-0001");
  WriteFile(w_ + "/status.json", raw.out);
  WriteFile(w_ + "/cert.txt", j["certificate"].get<std::string>());

  Result vc = Run("verify-certificate --response " + w_ + "/status.json --vkey " + vkey());
  ASSERT_EQ(vc.code, 0) << vc.all();
  EXPECT_TRUE(Contains(vc.out, "status pledged")) << vc.out;
  EXPECT_TRUE(Contains(vc.out, "response verified")) << vc.out;
  Result vc_note = Run("verify-certificate --certificate " + w_ + "/cert.txt --vkey " + vkey());
  EXPECT_EQ(vc_note.code, 0) << vc_note.all();
  EXPECT_TRUE(Contains(vc_note.out, "asset patent:2014103620773")) << vc_note.out;

  // A response whose claim was changed no longer verifies.
  json forged = j;
  forged["pledged"] = false;
  forged["pledges"] = json::array();
  WriteFile(w_ + "/forged.json", forged.dump());
  Result vf = Run("verify-certificate --response " + w_ + "/forged.json --vkey " + vkey());
  EXPECT_EQ(vf.code, 1) << vf.all();
  EXPECT_TRUE(Contains(vf.err, "FAILED")) << vf.err;
  std::string cert = j["certificate"].get<std::string>();
  cert.replace(cert.find("status pledged"), 14, "status not-pledged");
  WriteFile(w_ + "/forged-cert.txt", cert);
  EXPECT_EQ(
      Run("verify-certificate --certificate " + w_ + "/forged-cert.txt --vkey " + vkey()).code, 1);

  // Coverage: the policy with its insurer, limits and loss payee, verified.
  Result cov =
      Run("coverage patent:2014103620773 --server " + url_ + " --key " + key("ccb-quzhou"));
  ASSERT_EQ(cov.code, 0) << cov.all();
  EXPECT_TRUE(Contains(cov.out, "COVERED")) << cov.out;
  EXPECT_TRUE(Contains(cov.out, "PICC-IP-2026-001")) << cov.out;
  EXPECT_TRUE(Contains(cov.out, "picc-quzhou")) << cov.out;
  EXPECT_TRUE(Contains(cov.out, "¥1,000,000.00")) << cov.out;
  EXPECT_TRUE(Contains(cov.out, "ccb-quzhou")) << cov.out;
  EXPECT_TRUE(Contains(cov.out, "checkpoint: verified")) << cov.out;
  Result cov_json = Run("coverage patent:2014103620773 --json --date " + Today(400) + " --server " +
                        url_ + " --key " + key("ccb-quzhou"));
  ASSERT_EQ(cov_json.code, 0) << cov_json.all();
  EXPECT_EQ(json::parse(cov_json.out, nullptr, false)["covered"], false) << cov_json.out;

  // RFC 9421 reads: signed, anonymous, and a refused anonymous read of a signed path.
  Result get =
      Run("get --server " + url_ + " /v1/pledges/CCB-QZ-2026-0001 --key " + key("lanyu-materials"));
  EXPECT_EQ(get.code, 0) << get.all();
  EXPECT_TRUE(Contains(get.err, "HTTP 200")) << get.err;
  EXPECT_TRUE(Contains(get.out, "\"secured\"")) << get.out;
  Result cp = Run("get --server " + url_ + " /log/checkpoint");
  EXPECT_EQ(cp.code, 0) << cp.all();
  EXPECT_TRUE(cp.out.starts_with("test.example/ipledger\n")) << cp.out;
  Result anon = Run("get --server " + url_ + " /v1/pledges/CCB-QZ-2026-0001");
  EXPECT_EQ(anon.code, 1) << anon.all();
  EXPECT_TRUE(Contains(anon.err, "HTTP 401")) << anon.err;

  // A tampered receipt fails, naming what failed.
  json r = json::parse(testing::ReadFileOrDie(receipt), nullptr, false);
  ASSERT_FALSE(r.is_discarded());
  json bad_leaf = r;
  std::string leaf = ToString(*Base64Decode(r["leaf"].get<std::string>()));
  leaf.replace(leaf.find("pledge.register"), 15, "policy.register");
  bad_leaf["leaf"] = Base64Encode(AsBytes(leaf));
  WriteFile(w_ + "/bad-leaf.json", bad_leaf.dump());
  Result t1 = Run("verify-receipt --receipt " + w_ + "/bad-leaf.json --vkey " + vkey());
  EXPECT_EQ(t1.code, 1) << t1.all();
  EXPECT_TRUE(Contains(t1.err, "leaf_hash")) << t1.err;
  bad_leaf["leaf_hash"] = HexEncode(LeafHash(AsBytes(leaf)));
  WriteFile(w_ + "/bad-leaf2.json", bad_leaf.dump());
  Result t2 = Run("verify-receipt --receipt " + w_ + "/bad-leaf2.json --vkey " + vkey());
  EXPECT_EQ(t2.code, 1) << t2.all();
  EXPECT_TRUE(Contains(t2.err, "tlog_proof")) << t2.err;
  const std::string other_vkey =
      FormatVkey(MakeNoteVerifier("test.example/ipledger", testing::TestKey(7).public_key()));
  Result t3 = Run("verify-receipt --receipt " + receipt + " --vkey " + other_vkey);
  EXPECT_EQ(t3.code, 1) << t3.all();

  // The server stops cleanly on SIGTERM; the directory then verifies and replays.
  EXPECT_EQ(server_.Stop(SIGTERM), 0) << testing::ReadFileOrDie(w_ + "/ipledgerd.log");
  Result replay = Run("verify --data-dir " + d_ + " --replay");
  EXPECT_EQ(replay.code, 0) << replay.all();
  EXPECT_TRUE(Contains(replay.out, "--replay: OK")) << replay.out;
}

// Lines of `text` that start with `prefix` (after leading spaces).
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, prefix.size(), prefix) == 0) {
      out.push_back(line.substr(first));
    }
  }
  return out;
}

TEST_F(CliClientTest, RegulatorStatsAndAudit) {
  Register("zj-regulator", "regulator", Keygen("zj-regulator"));
  Register("ccb-quzhou", "bank", Keygen("ccb-quzhou"));
  Register("lanyu-materials", "enterprise", Keygen("lanyu-materials"), "330802");
  Register("kaihua-tea", "enterprise", Keygen("kaihua-tea"), "330824");
  Patent("2014103620773", "lanyu-materials");
  Patent("2019108523768", "kaihua-tea");
  Patent("2020155310463", "kaihua-tea");

  // Two pledges in two regions (Kecheng district and Kaihua county of Quzhou).
  Result p1 = SignAndSubmit("pl1", PledgeJson("CCB-QZ-2026-0101"),
                            {key("ccb-quzhou"), key("lanyu-materials")});
  ASSERT_EQ(p1.code, 0) << p1.all();
  const std::uint64_t first_pledge = ReceiptIndex("pl1");
  Result p2 = SignAndSubmit(
      "pl2", PledgeJson("CCB-QZ-2026-0102", "kaihua-tea", "patent:2019108523768", "300000000"),
      {key("ccb-quzhou"), key("kaihua-tea")});
  ASSERT_EQ(p2.code, 0) << p2.all();

  const std::string reg = " --server " + url_ + " --key " + key("zj-regulator");
  const std::string window = " --from " + Today(-1) + " --to " + Today(1);

  // The table: totals, the (empty) previous year and YoY n/a.
  Result table = Run("stats" + window + reg);
  ASSERT_EQ(table.code, 0) << table.all();
  EXPECT_TRUE(Contains(table.out, "all regions")) << table.out;
  EXPECT_TRUE(Contains(table.out, "¥8,800,000.00")) << table.out;
  auto row = [](const std::string& text, const std::string& label) {
    auto lines = LinesStartingWith(text, label);
    return lines.empty() ? std::string("(no " + label + " row)") : lines[0];
  };
  EXPECT_TRUE(row(table.out, "amount:").starts_with("amount:")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "amount:"), "¥8,800,000.00")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "amount:"), "¥0.00")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "amount:"), "n/a")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "registrations:"), " 2 ")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "enterprises:"), " 2 ")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "IP items:"), "patent 2, trademark 0, data 0")) << table.out;
  EXPECT_TRUE(Contains(row(table.out, "inclusive share:"), "100.00% (2 of 2)")) << table.out;

  // --json is the raw answer.
  Result raw = Run("stats --json" + window + reg);
  ASSERT_EQ(raw.code, 0) << raw.all();
  json j = json::parse(raw.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << raw.out;
  EXPECT_EQ(j["totals"]["registrations"], 2);
  EXPECT_EQ(j["totals"]["enterprises"], 2);
  EXPECT_EQ(j["totals"]["cases"], 2);
  EXPECT_EQ(j["totals"]["amount"]["amount_fen"], 880000000);
  EXPECT_EQ(j["previous_year"]["registrations"], 0);
  EXPECT_TRUE(j["yoy_bps"]["amount"].is_null()) << raw.out;

  // A region prefix: Kaihua county only.
  Result kaihua = Run("stats --json --region 330824" + window + reg);
  ASSERT_EQ(kaihua.code, 0) << kaihua.all();
  json k = json::parse(kaihua.out, nullptr, false);
  EXPECT_EQ(k["totals"]["registrations"], 1) << kaihua.out;
  EXPECT_EQ(k["totals"]["amount"]["amount_fen"], 300000000) << kaihua.out;

  // Groups: one bank, two regions.
  Result by_bank = Run("stats --group-by bank" + window + reg);
  ASSERT_EQ(by_bank.code, 0) << by_bank.all();
  EXPECT_TRUE(Contains(by_bank.out, "by bank:")) << by_bank.out;
  auto bank_rows = LinesStartingWith(by_bank.out, "ccb-quzhou ");
  ASSERT_EQ(bank_rows.size(), 1u) << by_bank.out;
  EXPECT_TRUE(Contains(bank_rows[0], "¥8,800,000.00")) << by_bank.out;
  Result by_region = Run("stats --group-by region" + window + reg);
  ASSERT_EQ(by_region.code, 0) << by_region.all();
  auto r802 = LinesStartingWith(by_region.out, "330802 ");
  auto r824 = LinesStartingWith(by_region.out, "330824 ");
  ASSERT_EQ(r802.size(), 1u) << by_region.out;
  ASSERT_EQ(r824.size(), 1u) << by_region.out;
  EXPECT_TRUE(Contains(r802[0], "¥5,800,000.00")) << by_region.out;
  EXPECT_TRUE(Contains(r824[0], "¥3,000,000.00")) << by_region.out;

  // As of the first pledge: one registration; the same bytes after another pledge.
  const std::string as_of = " --as-of " + std::to_string(first_pledge);
  Result early = Run("stats --json" + as_of + window + reg);
  ASSERT_EQ(early.code, 0) << early.all();
  json e = json::parse(early.out, nullptr, false);
  EXPECT_EQ(e["as_of"]["index"], first_pledge);
  EXPECT_EQ(e["totals"]["registrations"], 1) << early.out;
  EXPECT_EQ(e["totals"]["amount"]["amount_fen"], 580000000) << early.out;
  Result early_table = Run("stats" + as_of + window + reg);
  ASSERT_EQ(early_table.code, 0) << early_table.all();
  EXPECT_TRUE(Contains(early_table.out, "as of entry " + std::to_string(first_pledge)))
      << early_table.out;
  EXPECT_TRUE(Contains(row(early_table.out, "registrations:"), " 1 ")) << early_table.out;
  Result p3 = SignAndSubmit(
      "pl3", PledgeJson("CCB-QZ-2026-0103", "kaihua-tea", "patent:2020155310463", "100000000"),
      {key("ccb-quzhou"), key("kaihua-tea")});
  ASSERT_EQ(p3.code, 0) << p3.all();
  Result again = Run("stats --json" + as_of + window + reg);
  ASSERT_EQ(again.code, 0) << again.all();
  EXPECT_EQ(again.out, early.out);
  Result now = Run("stats --json" + window + reg);
  ASSERT_EQ(now.code, 0) << now.all();
  EXPECT_EQ(json::parse(now.out, nullptr, false)["totals"]["registrations"], 3) << now.out;

  // Audit: one page, with the next cursor.
  const std::string tree_size = std::to_string(
      json::parse(now.out, nullptr, false)["as_of"]["index"].get<std::uint64_t>() + 1);
  const std::uint64_t entries = std::stoull(tree_size);
  Result page = Run("audit --limit 3" + reg);
  ASSERT_EQ(page.code, 0) << page.all();
  EXPECT_TRUE(Contains(page.out, "participant.register")) << page.out;
  EXPECT_TRUE(Contains(page.out, "parties: registry")) << page.out;
  EXPECT_TRUE(Contains(page.out, "3 entries; next cursor 3")) << page.out;
  Result next = Run("audit --limit 3 --cursor 3" + reg);
  ASSERT_EQ(next.code, 0) << next.all();
  EXPECT_TRUE(Contains(next.out, "next cursor 6")) << next.out;

  // --all with pages of 2: every entry exactly once, in order.
  Result all = Run("audit --all --limit 2" + reg);
  ASSERT_EQ(all.code, 0) << all.all();
  std::vector<std::uint64_t> seen;
  {
    size_t pos = 0;
    while (pos < all.out.size()) {
      size_t nl = all.out.find('\n', pos);
      if (nl == std::string::npos) nl = all.out.size();
      const std::string line = all.out.substr(pos, nl - pos);
      pos = nl + 1;
      const size_t digits = line.find_first_not_of(' ');
      if (digits == std::string::npos || line[digits] < '0' || line[digits] > '9') continue;
      if (!Contains(line, "  parties: ")) continue;
      seen.push_back(std::stoull(line.substr(digits)));
    }
  }
  ASSERT_EQ(seen.size(), entries) << all.out;
  for (std::uint64_t i = 0; i < entries; ++i) EXPECT_EQ(seen[i], i) << all.out;
  EXPECT_TRUE(Contains(all.out, std::to_string(entries) + " entries; next cursor " + tree_size))
      << all.out;

  // --type: the three registrations, and nothing else.
  Result pledges = Run("audit --all --type pledge.register" + reg);
  ASSERT_EQ(pledges.code, 0) << pledges.all();
  EXPECT_EQ(LinesStartingWith(pledges.out, std::to_string(first_pledge) + " ").size(), 1u)
      << pledges.out;
  EXPECT_TRUE(Contains(pledges.out, "CCB-QZ-2026-0101")) << pledges.out;
  EXPECT_TRUE(Contains(pledges.out, "CCB-QZ-2026-0103")) << pledges.out;
  EXPECT_FALSE(Contains(pledges.out, "participant.register")) << pledges.out;
  EXPECT_TRUE(Contains(pledges.out, "3 entries;")) << pledges.out;

  // --csv: the header once, one row per entry, with --all over pages of 2.
  Result csv = Run("audit --csv --all --limit 2" + reg);
  ASSERT_EQ(csv.code, 0) << csv.all();
  EXPECT_TRUE(
      csv.out.starts_with("index,time,type,refused,codes,parties,signers,subjects,"
                          "envelope_sha256,envelope_b64\n"))
      << csv.out;
  EXPECT_EQ(static_cast<std::uint64_t>(std::count(csv.out.begin(), csv.out.end(), '\n')),
            entries + 1)
      << csv.out;
  EXPECT_EQ(LinesStartingWith(csv.out, "index,").size(), 1u) << csv.out;
  EXPECT_TRUE(Contains(csv.out, "\n" + std::to_string(first_pledge) + ",")) << csv.out;
  EXPECT_TRUE(Contains(csv.err, "next cursor " + tree_size)) << csv.err;
  Result csv_type = Run("audit --csv --type pledge.register" + reg);
  ASSERT_EQ(csv_type.code, 0) << csv_type.all();
  EXPECT_EQ(std::count(csv_type.out.begin(), csv_type.out.end(), '\n'), 4) << csv_type.out;

  // A bank is not a regulator: 403, printed, exit 1.
  const std::string bank = " --server " + url_ + " --key " + key("ccb-quzhou");
  for (const std::string& args : {"stats" + window + bank, "audit" + bank}) {
    Result forbidden = Run(args);
    EXPECT_EQ(forbidden.code, 1) << args << ": " << forbidden.all();
    EXPECT_TRUE(Contains(forbidden.err, "HTTP 403")) << args << ": " << forbidden.err;
    EXPECT_TRUE(Contains(forbidden.err, "E_FORBIDDEN")) << args << ": " << forbidden.err;
    EXPECT_TRUE(forbidden.out.empty()) << forbidden.out;
  }
}

TEST_F(CliClientTest, SignRefusesOffSchemaStatementsAndOpenKeyFiles) {
  WriteFile(w_ + "/typo.json", R"({"v":1,"type":"data.publicize","submitter":"registry","body":{)"
                               R"("asset_id":"data:x","publicity_ends":"2026-12-01"}})");
  Result typo = Run("sign --statement " + w_ + "/typo.json --key " + registry_key());
  EXPECT_EQ(typo.code, 1) << typo.all();
  EXPECT_TRUE(Contains(typo.err, "E_SCHEMA")) << typo.err;
  EXPECT_TRUE(Contains(typo.err, "body.publicity_ends")) << typo.err;

  Keygen("open");
  ASSERT_EQ(::chmod((w_ + "/open.key").c_str(), 0644), 0);
  WriteFile(w_ + "/ok.json", R"({"v":1,"type":"data.publicize","submitter":"open","body":{)"
                             R"("asset_id":"data:x","publicity_end":"2026-12-01"}})");
  Result open = Run("sign --statement " + w_ + "/ok.json --key " + w_ + "/open.key:open/k1");
  EXPECT_EQ(open.code, 1) << open.all();
  EXPECT_TRUE(Contains(open.err, "open.key")) << open.err;

  // Signed to stdout, the statement completed with created and idempotency_key.
  ASSERT_EQ(::chmod((w_ + "/open.key").c_str(), 0600), 0);
  Result ok = Run("sign --statement " + w_ + "/ok.json --key " + w_ + "/open.key:open/k1");
  ASSERT_EQ(ok.code, 0) << ok.all();
  auto summary = api::SummarizeEnvelope(ok.out.substr(0, ok.out.size() - 1));
  ASSERT_OK(summary);
  EXPECT_EQ(summary->type, "data.publicize");

  // Unknown participant: the server answers E_SIGNATURE, and submit exits 1.
  WriteFile(w_ + "/ok.env", ok.out);
  Result refused = Run("submit --server " + url_ + " --envelope " + w_ + "/ok.env");
  EXPECT_EQ(refused.code, 1) << refused.all();
  EXPECT_TRUE(Contains(refused.out, "E_SIGNATURE")) << refused.out;
}

TEST_F(CliClientTest, BadUsageExitsTwo) {
  const std::vector<std::string> cases = {
      "sign --statement x",
      "submit --envelope x",
      "submit --server localhost:1 --envelope x",
      "get --server " + url_,
      "status patent:2014103620773 --server " + url_,
      "coverage --server " + url_ + " --key a:b/c",
      "verify-receipt --envelope x",
      "status patent:1 --at 2026-01-01 --index 3 --server " + url_ + " --key a:b/c",
      "status patent:1 --index 03 --server " + url_ + " --key a:b/c",
      "verify-certificate --vkey x",
      "status a b --server " + url_ + " --key a:b/c",
      "sign --statement x --key nocolon",
      "stats --server " + url_ + " --key a:b/c --from 2026-01-01",
      "stats --server " + url_ + " --key a:b/c --from 2026-01-01 --to 2026-13-01",
      "stats --server " + url_ +
          " --key a:b/c --from 2026-01-01 --to 2026-12-31 "
          "--group-by county",
      "stats --server " + url_ + " --key a:b/c --from 2026-02-01 --to 2026-01-31",
      "stats --from 2026-01-01 --to 2026-12-31 --server " + url_,
      "audit --server " + url_ + " --key a:b/c --limit 0",
      "audit --server " + url_ + " --key a:b/c --all=1",
      "audit --server " + url_};
  for (const std::string& args : cases) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.all();
    EXPECT_TRUE(Contains(r.err, "usage:")) << args << ": " << r.err;
  }
  // A server that is not there is a failure, not a usage error.
  EXPECT_EQ(Run("get --server http://127.0.0.1:1 /healthz").code, 1);
}

}  // namespace
}  // namespace ipledger
