// ipledgerd --map-check on a data directory whose status map data was edited on disk
// (issue 13): `full` refuses to start naming the first bad key; `background` (the
// default) starts, then logs the key at error level, refuses writes and answers /readyz
// 503 with the reason; `ipledger verify` names the key. Real ipledgerd and ipledger
// processes on a real RocksDB filled by ipledger-bench (30 pledges, about 3 s).
#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/client/http_client.h"
#include "crypto/bytes.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using nlohmann::json;
using testing::RunShell;
using testing::ShellResult;

class MapCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = tmp_.str() + "/reg";
    ShellResult init =
        RunShell(std::string(IPLEDGER_CLI) + " init --data-dir " + d_ + " --origin t.example/m");
    ASSERT_EQ(init.code, 0) << init.all();
    ShellResult fill = RunShell(
        std::string(IPLEDGER_BENCH) + " fill --data-dir " + d_ + " --count 30 --kind pledge2",
        tmp_.str() + "/fill.stderr");
    ASSERT_EQ(fill.code, 0) << fill.all();
    // One asset status record edited: the map's root and its logged entry still agree.
    key_ = testing::MutateStored(
        d_ + "/db", "state", [](std::string_view k) { return k.substr(0, 2) == "S/"; },
        [](std::string* v) { (*v)[v->size() - 1] ^= 1; });
    ASSERT_FALSE(key_.empty());
    hex_ = HexEncode(AsBytes(key_));
  }

  testing::TempDir tmp_;
  std::string d_;
  std::string key_;
  std::string hex_;
};

TEST_F(MapCheckTest, FullRefusesToStartNamingTheKey) {
  const std::string log = tmp_.str() + "/full.log";
  ShellResult r = RunShell("timeout 120 " + std::string(IPLEDGERD) + " --data-dir " + d_ +
                               " --listen 127.0.0.1:0 --skip-verify --map-check full",
                           log);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_NE(r.err.find(hex_), std::string::npos) << r.err;
  ShellResult bad = RunShell(std::string(IPLEDGERD) + " --data-dir " + d_ + " --map-check some");
  EXPECT_EQ(bad.code, 2) << bad.all();
  EXPECT_NE(bad.out.find("--map-check must be background or full"), std::string::npos);
}

TEST_F(MapCheckTest, BackgroundServesThenGoesReadOnlyNamingTheKey) {
  testing::ServerProcess server;
  const std::string log = tmp_.str() + "/bg.log";
  ASSERT_TRUE(
      server.Start(IPLEDGERD, {"--data-dir", d_, "--listen", "127.0.0.1:0", "--skip-verify"}, log))
      << testing::ReadFileOrDie(log);
  const auto port = static_cast<std::uint16_t>(std::stoi(server.url().substr(17)));
  api::Client client("127.0.0.1", port);
  // The check runs after the server started: /readyz turns 503 once it found the key.
  api::HttpResponse ready;
  for (int i = 0; i < 600; ++i) {
    auto r = client.Request("GET", "/readyz");
    ASSERT_OK(r);
    ready = *r;
    if (ready.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(ready.status, 503) << ready.body;
  const json j = json::parse(ready.body);
  EXPECT_EQ(j["status"], "not-ready");
  EXPECT_NE(j["reason"].get<std::string>().find(hex_), std::string::npos) << ready.body;
  // Reads go on; the health and the gauge say read-only.
  auto health = client.Request("GET", "/healthz");
  ASSERT_OK(health);
  EXPECT_EQ(json::parse(health->body)["status"], "read-only");
  auto checkpoint = client.Request("GET", "/log/checkpoint");
  ASSERT_OK(checkpoint);
  EXPECT_EQ(checkpoint->status, 200);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  // One error line names the key.
  int errors = 0;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const json l = json::parse(line, nullptr, false);
    if (!l.is_object() || l.value("event", "") != "map-check") continue;
    EXPECT_EQ(l["level"], "error") << line;
    EXPECT_EQ(l["result"], "mismatch") << line;
    EXPECT_NE(l["detail"].get<std::string>().find(hex_), std::string::npos) << line;
    ++errors;
  }
  EXPECT_EQ(errors, 1) << testing::ReadFileOrDie(log);
  // And verify names it.
  ShellResult v = RunShell(std::string(IPLEDGER_CLI) + " verify --data-dir " + d_);
  EXPECT_EQ(v.code, 1) << v.out;
  EXPECT_NE(v.out.find(hex_), std::string::npos) << v.out;
}

}  // namespace
}  // namespace ipledger
