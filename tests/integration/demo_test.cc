// The demo's stories as a test: tools/demo.sh end to end against the real ipledgerd on
// 127.0.0.1 port 0, over a temporary data directory made by `ipledger init`, with a
// clock file of its own held 15 days back (ipledgerd --clock-file). Every outcome the
// demo claims is checked independently: each statement has a receipt that
// `ipledger verify-receipt` accepts with the log's vkey, the data sets' publicity period
// passed for real (publicize dated before publicity_end, confirm after it), the double
// pledge was refused with E_ALREADY_PLEDGED and recorded, the pledge status and coverage
// answers are what the stories say, and `ipledger verify --replay` passes at the end.
// A rule change that breaks a story fails here.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/entry.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::WriteFile;
namespace fs = std::filesystem;

using Result = testing::ShellResult;

// Runs `command` through the shell; its stdout, and its stderr too unless `quiet`.
Result RunCommand(const std::string& command, bool quiet = false) {
  return testing::RunShell(command, quiet ? "/dev/null" : "");
}

Result Cli(const std::string& args) { return RunCommand(std::string(IPLEDGER_CLI) + " " + args); }
// The CLI's stdout only (its JSON answers).
Result CliJson(const std::string& args) {
  return RunCommand(std::string(IPLEDGER_CLI) + " " + args, /*quiet=*/true);
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json ReadJson(const fs::path& path) {
  return json::parse(testing::ReadFileOrDie(path), nullptr, /*allow_exceptions=*/false);
}

// The one file of `dir` whose name ends in `suffix` (statement files are NN-name.json).
fs::path FileEndingIn(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.ends_with(suffix)) found.push_back(e.path());
  }
  EXPECT_EQ(found.size(), 1u) << "*" << suffix << " in " << dir;
  return found.empty() ? fs::path() : found[0];
}

// The Asia/Shanghai date of a receipt's integrated time.
Date DateOfReceipt(const json& receipt) {
  auto t = ParseInstant(receipt.value("integrated_time", ""));
  EXPECT_TRUE(t.ok()) << receipt.dump();
  return t.ok() ? DateOfInstant(*t) : Date{};
}

// A data directory made by `ipledger init` on a clock file held `days_back` days back,
// and ipledgerd serving it with that clock file.
class DemoTest : public ::testing::Test {
 protected:
  void StartRegistry(int days_back) {
    // The CLI pins log keys at first use; this test's logs are new every run, so it keeps
    // its pins to itself instead of in $HOME (where a pin of an earlier run would refuse
    // this run's key, as it should).
    ::setenv("IPLEDGER_KNOWN_LOGS", (tmp_.str() + "/known_logs").c_str(), 1);
    data_ = tmp_.str() + "/var";
    clock_ = tmp_.str() + "/demo-clock";
    held_ms_ = (NowMs() - std::int64_t{days_back} * 86400000) / 1000 * 1000;
    WriteFile(clock_, FormatInstant(held_ms_) + "\n");
    Result init =
        Cli("init --data-dir " + data_ + " --origin demo.example/ipledger --clock-file " + clock_);
    ASSERT_EQ(init.code, 0) << init.out;
    ASSERT_TRUE(server_.Start(
        IPLEDGERD, {"--data-dir", data_, "--listen", "127.0.0.1:0", "--clock-file", clock_},
        tmp_.str() + "/ipledgerd.log"));
  }

  Result RunDemo(const std::string& witnesses = "") {
    return RunCommand(std::string(IPLEDGER_DEMO_SH) + " --data-dir " + data_ + " --server " +
                      server_.url() + " --cli " + IPLEDGER_CLI + " --clock-file " + clock_ +
                      (witnesses.empty() ? "" : " --witnesses " + witnesses));
  }

  // What tools/run.sh leaves for demo.sh --witnesses: DIR/NAME/witness.vkey and url for
  // the bank's, the insurer's and the regulator's witnesses (keys only: nothing listens).
  std::string FakeWitnesses() {
    const std::string dir = tmp_.str() + "/witnesses";
    int seed = 30;
    for (const std::string name : {"bank", "insurer", "regulator"}) {
      fs::create_directories(dir + "/" + name);
      NoteVerifier v;
      v.name = "witness." + name + ".example";
      v.type = kNoteSigCosignatureV1;
      v.key = testing::TestKey(seed).public_key();
      v.key_id = NoteKeyId(v.name, v.type, v.key);
      vkeys_[name] = FormatVkey(v);
      urls_[name] = "http://127.0.0.1:" + std::to_string(18051 + seed++);
      WriteFile(dir + "/" + name + "/witness.vkey", vkeys_[name] + "\n");
      WriteFile(dir + "/" + name + "/url", urls_[name] + "\n");
    }
    return dir;
  }

  testing::TempDir tmp_;
  std::string data_;
  std::string clock_;
  std::int64_t held_ms_ = 0;
  testing::ServerProcess server_;
  std::map<std::string, std::string> vkeys_, urls_;
};

TEST_F(DemoTest, EveryStoryHasTheOutcomeTheDemoClaims) {
  StartRegistry(15);
  const Result demo = RunDemo(FakeWitnesses());
  ASSERT_EQ(demo.code, 0) << demo.out;
  EXPECT_TRUE(Contains(demo.out, "Demo loaded: 70 statements accepted and 1 refused")) << demo.out;
  // The demo leaves the registry on the real clock.
  EXPECT_FALSE(fs::exists(clock_));

  const fs::path stmts = data_ + "/demo-statements";
  const fs::path receipts = data_ + "/demo-receipts";
  const std::string vkey = data_ + "/log.vkey";

  // Every statement has a receipt the CLI verifies with the log's vkey, of its type
  // (the double pledge: a refusal leaf), at the index the file name counts.
  std::map<std::string, json> by_name;  // "NN-name" -> receipt
  std::int64_t last_time = 0;
  int statements = 0;
  for (const auto& e : fs::directory_iterator(stmts)) {
    if (e.path().extension() != ".json") continue;
    ++statements;
    const std::string name = e.path().stem().string();
    const fs::path receipt_path = receipts / (name + ".receipt.json");
    ASSERT_TRUE(fs::exists(receipt_path)) << name;
    const json receipt = ReadJson(receipt_path);
    ASSERT_TRUE(receipt.is_object()) << name;
    by_name[name] = receipt;
    const Result v = Cli("verify-receipt --receipt " + receipt_path.string() + " --vkey " + vkey);
    EXPECT_EQ(v.code, 0) << name << ": " << v.out;
    EXPECT_TRUE(Contains(v.out, "receipt verified with the vkey of demo.example/ipledger"))
        << v.out;
    const json statement = ReadJson(e.path());
    const bool refused = name.ends_with("pledge-double-financing-attempt");
    EXPECT_TRUE(Contains(
        v.out, "type:             " +
                   (refused ? std::string("refusal") : statement.value("type", std::string("?")))))
        << name << ": " << v.out;
    EXPECT_EQ(receipt.value("index", 0), std::stoi(name.substr(0, name.find('-')))) << name;
  }
  EXPECT_EQ(statements, 71);
  ASSERT_EQ(by_name.size(), 71u);
  for (const auto& [name, receipt] : by_name) {  // in log order: NN- sorts
    auto t = ParseInstant(receipt.value("integrated_time", ""));
    ASSERT_OK(t);
    EXPECT_GE(*t, last_time) << name << ": integrated times never go back";
    EXPECT_LE(*t, NowMs()) << name << ": never in the future";
    last_time = *t;
  }

  // Stories 1 and 2: registered and publicized on the held day, with a publicity
  // period ending after that day; confirmed after it ended; the rest on the real clock.
  const Date held_day = DateOfInstant(held_ms_);
  const Date today = DateOfInstant(NowMs());
  for (const std::string data_set : {"greenhouse", "water"}) {
    SCOPED_TRACE(data_set);
    const json publicize =
        ReadJson(FileEndingIn(stmts, "-data-publicize-" + data_set + ".json"))["body"];
    auto end = ParseDate(publicize.value("publicity_end", ""));
    ASSERT_TRUE(end.has_value()) << publicize.dump();
    const fs::path reg = FileEndingIn(stmts, "-data-register-" + data_set + ".json");
    const fs::path pub = FileEndingIn(stmts, "-data-publicize-" + data_set + ".json");
    const fs::path confirm = FileEndingIn(stmts, "-data-confirm-" + data_set + ".json");
    EXPECT_EQ(DateOfReceipt(by_name[reg.stem().string()]), held_day);
    const Date publicized = DateOfReceipt(by_name[pub.stem().string()]);
    EXPECT_EQ(publicized, held_day);
    EXPECT_GT(*end, publicized);  // a real period (rule D-4)
    EXPECT_EQ(*end, AddDays(publicized, 10));
    const Date confirmed = DateOfReceipt(by_name[confirm.stem().string()]);
    EXPECT_GT(confirmed, *end);
    EXPECT_LT(confirmed, today);
  }
  const fs::path policy = FileEndingIn(stmts, "-policy-greenhouse-data-ip-loss.json");
  EXPECT_EQ(DateOfReceipt(by_name[policy.stem().string()]), today);

  // Story 6: refused with E_ALREADY_PLEDGED, the last story (the witness keys follow).
  const fs::path attempt = FileEndingIn(stmts, "-pledge-double-financing-attempt.json");
  const json& refusal = by_name[attempt.stem().string()];
  EXPECT_TRUE(Contains(demo.out, "codes:            E_ALREADY_PLEDGED")) << demo.out;
  EXPECT_TRUE(Contains(demo.out, "refusal_index:    " + std::to_string(refusal.value("index", -1)) +
                                     " (the refusal is recorded in the log)"))
      << demo.out;
  // 67 statements before it and 7 map.root entries (the batches that changed an asset's
  // pledge or policy status).
  EXPECT_EQ(refusal.value("index", 0), 74);

  // What the registry answers about the demo's assets.
  const std::string server = " --server " + server_.url() + " --json";
  auto key = [this](const std::string& who) {
    return " --key " + data_ + "/demo-keys/" + who + ".key:" + who + "/k1";
  };
  auto asset_of = [&stmts](const std::string& suffix) {
    return ReadJson(FileEndingIn(stmts, suffix))["body"].value("asset_id", "");
  };
  auto pledge_of = [&stmts](const std::string& suffix) {
    return ReadJson(FileEndingIn(stmts, suffix))["body"].value("pledge_id", "");
  };
  const std::string green = asset_of("-data-register-greenhouse.json");
  const std::string water = asset_of("-data-register-water.json");
  const std::string trademark = asset_of("-trademark-youzhi.json");
  const json agro_pledge = ReadJson(FileEndingIn(stmts, "-pledge-agrochem-18-patents.json"));
  const json nm_pledge = ReadJson(FileEndingIn(stmts, "-pledge-newmaterials-19-patents.json"));
  ASSERT_EQ(agro_pledge["body"]["collateral"].size(), 18u);
  ASSERT_EQ(nm_pledge["body"]["collateral"].size(), 19u);
  const std::string agro_first = agro_pledge["body"]["collateral"][0];
  EXPECT_EQ(agro_first, "patent:2014103620773");
  const std::string nm_last = nm_pledge["body"]["collateral"][18];

  struct Pledged {
    std::string asset, pledge_id, pledgee;
  };
  const std::vector<Pledged> pledged = {
      {green, pledge_of("-pledge-greenhouse-first-data-ip-loan.json"), "abc-jiangshan"},
      {water, pledge_of("-pledge-water.json"), "ccb-quzhou"},
      {agro_first, agro_pledge["body"].value("pledge_id", ""), "ccb-quzhou"},
      {nm_last, nm_pledge["body"].value("pledge_id", ""), "hzbank-quzhou"},
      {trademark, pledge_of("-pledge-trademark.json"), "quzhou-rcb"},
  };
  for (const Pledged& p : pledged) {
    SCOPED_TRACE(p.asset);
    const Result r = CliJson("status " + p.asset + server + key(p.pledgee));
    ASSERT_EQ(r.code, 0) << r.out;
    const json status = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(status.is_object()) << r.out;
    EXPECT_EQ(status.value("pledged", false), true);
    // One active pledge: the double pledge of agro_first left none behind.
    ASSERT_EQ(status["pledges"].size(), 1u) << r.out;
    EXPECT_EQ(status["pledges"][0].value("pledge_id", ""), p.pledge_id);
    EXPECT_EQ(status["pledges"][0].value("pledgee", ""), p.pledgee);
    EXPECT_EQ(status["pledges"][0].value("state", ""), "registered");
  }
  EXPECT_EQ(
      nm_pledge["body"].value("case_id", ""),
      ReadJson(FileEndingIn(stmts, "-case-combination-loan.json"))["body"].value("case_id", ""));

  struct Covered {
    std::string asset, policy_id, product, loss_payee;
  };
  const std::vector<Covered> covered = {
      {green,
       ReadJson(FileEndingIn(stmts, "-policy-greenhouse-data-ip-loss.json"))["body"].value(
           "policy_id", ""),
       "data_ip_loss", "abc-jiangshan"},
      {trademark,
       ReadJson(FileEndingIn(stmts, "-policy-trademark.json"))["body"].value("policy_id", ""),
       "infringement_loss", "quzhou-rcb"},
  };
  for (const Covered& c : covered) {
    SCOPED_TRACE(c.asset);
    const Result r = CliJson("coverage " + c.asset + server + key(c.loss_payee));
    ASSERT_EQ(r.code, 0) << r.out;
    const json coverage = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(coverage.is_object()) << r.out;
    EXPECT_EQ(coverage.value("covered", false), true);
    ASSERT_EQ(coverage["policies"].size(), 1u) << r.out;
    EXPECT_EQ(coverage["policies"][0].value("policy_id", ""), c.policy_id);
    EXPECT_EQ(coverage["policies"][0].value("product", ""), c.product);
    EXPECT_EQ(coverage["policies"][0]["loss_payees"], json::array({c.loss_payee}));
  }
  // The neighbour: the water data has no policy.
  const Result uncovered = CliJson("coverage " + water + server + key("ccb-quzhou"));
  ASSERT_EQ(uncovered.code, 0) << uncovered.out;
  EXPECT_EQ(json::parse(uncovered.out, nullptr, false).value("covered", true), false)
      << uncovered.out;

  // Both data sets confirmed with their certificates.
  for (const std::string& asset : {green, water}) {
    const Result r = CliJson("get --server " + server_.url() + " /v1/assets/" + asset);
    ASSERT_EQ(r.code, 0) << r.out;
    const json a = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(a.is_object()) << r.out;
    EXPECT_EQ(a["status"].value("data_state", ""), "confirmed") << asset;
    EXPECT_TRUE(a["status"].value("certificate_no", "").starts_with("ZJ-DATA-")) << asset;
  }

  // The witness keys each institution registered: the policy derived from the log is the
  // demo's, the regulator and one of the bank and the insurer.
  const Result derived = CliJson("witness-policy --server " + server_.url());
  ASSERT_EQ(derived.code, 0) << derived.out;
  for (const auto& [name, who] : std::map<std::string, std::string>{
           {"bank", "ccb-quzhou"}, {"insurer", "picc-quzhou"}, {"regulator", "nfra-quzhou"}}) {
    EXPECT_TRUE(
        Contains(derived.out, "witness " + who + "/w1 " + vkeys_[name] + " " + urls_[name] + "\n"))
        << derived.out;
  }
  EXPECT_TRUE(Contains(derived.out,
                       "group regulators any nfra-quzhou/w1\n"
                       "group others any ccb-quzhou/w1 picc-quzhou/w1\n"
                       "group quorum all regulators others\nquorum quorum\n"))
      << derived.out;

  // The whole log, offline, once the server has stopped.
  ASSERT_EQ(server_.Stop(SIGTERM), 0);
  const Result replay = Cli("verify --data-dir " + data_ + " --replay");
  EXPECT_EQ(replay.code, 0) << replay.out;
  EXPECT_TRUE(Contains(replay.out, "OK: 79 entries")) << replay.out;
  EXPECT_TRUE(Contains(replay.out, "derived state matches")) << replay.out;
}

// The demo needs its registry to start in the past: with a clock file holding a time
// too recent for a 10-day publicity period to pass, it stops before writing anything,
// and the log keeps its genesis entry only.
TEST_F(DemoTest, RefusesAClockThatLeavesNoRoomForThePublicityPeriod) {
  StartRegistry(3);
  const Result demo = RunDemo();
  EXPECT_EQ(demo.code, 1) << demo.out;
  EXPECT_TRUE(Contains(demo.out, "must hold a time at least 12 days ago")) << demo.out;
  EXPECT_FALSE(fs::exists(data_ + "/demo-keys"));
  EXPECT_TRUE(fs::exists(clock_));  // left as it was
  const Result cp = CliJson("get --server " + server_.url() + " /healthz");
  EXPECT_TRUE(Contains(cp.out, "\"tree_size\":1")) << cp.out;
}

}  // namespace
}  // namespace ipledger
