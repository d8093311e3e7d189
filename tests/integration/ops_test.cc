// What operators and integrators rely on around the API (api.md §8 v1.1, §10.1): JSON log
// lines with request ids, Prometheus metrics that pass `promtool check metrics` and that
// the Grafana dashboard (docs/grafana-dashboard.json) queries, GET /readyz (503 once the
// registry is read-only), GET /openapi.yaml, Allow on 405, and RFC 9421 signatures made
// by the npm library http-message-signatures with its defaults (expires, nonce replay).
// Real servers on 127.0.0.1 port 0: in-process (with a storage fault) and the real
// ipledgerd binary.

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "api/codec/http_signature.h"
#include "crypto/bytes.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"

namespace ipledger {
namespace {

using nlohmann::json;
using testing::ServerFixture;

using testing::RunShell;
using testing::WriteFile;

bool HaveCommand(const std::string& name) {
  return RunShell("command -v " + name + " >/dev/null").code == 0;
}

// One log line: a JSON object with ts (RFC 3339 UTC, milliseconds), level and msg.
void ExpectLogLine(const std::string& line) {
  const json j = json::parse(line, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "not a JSON object: " << line;
  ASSERT_TRUE(j.contains("ts") && j["ts"].is_string()) << line;
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line;
  ASSERT_TRUE(j.contains("level") && j["level"].is_string()) << line;
  EXPECT_TRUE(std::set<std::string>({"debug", "info", "warn", "error"})
                  .contains(j["level"].get<std::string>()))
      << line;
  EXPECT_TRUE(j.contains("msg") && j["msg"].is_string()) << line;
}

// `promtool check metrics` on `text`; skipped (with the reason) without promtool.
void ExpectPromtoolPasses(const std::string& text, const std::string& dir) {
  if (!HaveCommand("promtool")) {
    GTEST_SKIP() << "promtool is missing (Debian package prometheus; tools/deps.sh installs it)";
  }
  WriteFile(dir + "/metrics.txt", text);
  const testing::ShellResult r = RunShell("promtool check metrics < " + dir + "/metrics.txt");
  EXPECT_EQ(r.code, 0) << r.out << "\n" << text;
  EXPECT_EQ(r.out, "") << "promtool lint findings:\n" << r.out;
}

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override { s_.f().AddParticipant("ccb-quzhou", Role::kBank); }

  api::HttpResponse Get(const std::string& target,
                        const std::map<std::string, std::string>& headers = {},
                        const std::string& method = "GET") {
    auto r = s_.ClientFor()->Request(method, target, {}, "application/json", headers);
    EXPECT_OK(r);
    return r.ok() ? *r : api::HttpResponse{};
  }

  ServerFixture s_;
};

TEST_F(OpsTest, RequestIdIsTakenWhenSaneElseGeneratedAndLogged) {
  auto given = Get("/healthz", {{"X-Request-Id", "trace-7f3a:01"}});
  EXPECT_EQ(given.headers["x-request-id"], "trace-7f3a:01");
  for (const std::string& bad :
       {std::string("has space"), std::string(129, 'a'), std::string("quote\"d"), std::string()}) {
    auto r = Get("/v1/participants/ccb-quzhou", {{"X-Request-Id", bad}});
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(std::regex_match(r.headers["x-request-id"], std::regex("[0-9a-f]{32}")))
        << r.headers["x-request-id"];
  }
  auto a = Get("/log/checkpoint"), b = Get("/log/checkpoint");
  EXPECT_NE(a.headers["x-request-id"], b.headers["x-request-id"]);
  // Every router log line is a JSON object; the request's carries its id and route.
  bool found = false;
  for (const auto& line : s_.log_lines()) {
    ExpectLogLine(line);
    const json j = json::parse(line);
    if (j.value("request_id", "") == "trace-7f3a:01") {
      found = true;
      EXPECT_EQ(j["route"], "/healthz");
      EXPECT_EQ(j["status"], 200);
      EXPECT_EQ(j["level"], "debug");  // probes are routine
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(OpsTest, MethodNotAllowedNamesTheAllowedMethods) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"POST", "/healthz", "GET"},
      {"GET", "/v1/entries", "POST"},
      {"DELETE", "/v1/participants/ccb-quzhou", "GET"},
      {"PUT", "/readyz", "GET"},
  };
  for (const auto& [method, path, allow] : cases) {
    auto r = Get(path, {}, method);
    EXPECT_EQ(r.status, 405) << method << " " << path;
    EXPECT_EQ(r.headers["allow"], allow) << method << " " << path;
    EXPECT_EQ(json::parse(r.body)["status"], 405);
  }
  EXPECT_EQ(Get("/nope").headers.count("allow"), 0u);
}

TEST_F(OpsTest, OpenapiYamlIsTheSpecAsBuilt) {
  auto r = Get("/openapi.yaml");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/yaml; charset=utf-8");
  EXPECT_EQ(r.body, testing::ReadFileOrDie(IPLEDGER_SOURCE_DIR "/api/openapi.yaml"));
}

TEST_F(OpsTest, MetricsHaveProcessBuildAndPerRouteFamiliesAndPassPromtool) {
  Get("/log/checkpoint");
  Get("/v1/participants/ccb-quzhou");
  Get("/v1/participants/nobody");
  auto m = Get("/metrics");
  EXPECT_EQ(m.status, 200);
  for (const char* want :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_start_time_seconds ", "process_max_fds ",
        "ipledger_build_info{version=\"" IPLEDGER_VERSION "\"} 1\n", "ipledger_read_only 0\n",
        "ipledger_queue_depth 0\n",
        "ipledger_http_request_duration_seconds_bucket{route=\"/v1/participants/{id}\","
        "method=\"GET\",code=\"404\",le=\"+Inf\"} 1\n",
        "ipledger_http_request_duration_seconds_count{route=\"/log/checkpoint\",method=\"GET\","
        "code=\"200\"} 1\n"}) {
    EXPECT_NE(m.body.find(want), std::string::npos) << want << "\n" << m.body;
  }
  // Raw paths never become labels.
  EXPECT_EQ(m.body.find("nobody"), std::string::npos);
  testing::TempDir tmp;
  ExpectPromtoolPasses(m.body, tmp.str());
}

TEST_F(OpsTest, NonceIsRefusedWhenReplayedAndExpiresIsEnforced) {
  const SigningKey& key = s_.f().KeyOf("ccb-quzhou");
  const std::int64_t now = s_.f().now_ms() / 1000;
  auto send = [&](const std::string& extra) {
    const std::string params = R"(("@method" "@path" "@query");keyid="ccb-quzhou/k1";)"
                               R"(alg="ed25519";created=)" +
                               std::to_string(now) + extra;
    const Signature sig = key.Sign(AsBytes(api::SignatureBase("GET", "/v1/pledges/NOPE", params)));
    return Get("/v1/pledges/NOPE", {{"Signature-Input", "sig=" + params},
                                    {"Signature", "sig=:" + Base64Encode(sig) + ":"}});
  };
  const std::string nonce = ";expires=" + std::to_string(now + 300) + R"(;nonce="n-8f2")";
  EXPECT_EQ(send(nonce).status, 404);  // authenticated; no such pledge
  auto replay = send(nonce);
  EXPECT_EQ(replay.status, 401);
  EXPECT_NE(replay.body.find("nonce already used"), std::string::npos) << replay.body;
  EXPECT_EQ(send(R"(;nonce="n-other")").status, 404);
  auto expired = send(";expires=" + std::to_string(now));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(send(R"(;tag="app")").status, 404);
  auto unknown = send(R"(;foo="x")");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(unknown.body.find("unsupported parameter 'foo'"), std::string::npos) << unknown.body;
}

TEST(OpsFaultTest, ReadyzIs200ThenReadOnly503) {
  testing::FaultFileSystem faults;
  testing::ServerFixtureOptions o;
  o.env = faults.env();
  ServerFixture s(o);
  auto c = s.ClientFor();
  auto ready = c->Request("GET", "/readyz");
  ASSERT_OK(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["status"], "ready");
  faults.Fail(testing::FaultFileSystem::kSync);
  ParticipantRegister p;
  p.id = "firm-x";
  p.name = "x";
  p.role = Role::kEnterprise;
  p.keys = {{"k1", testing::TestKey(5).public_key()}};
  EXPECT_EQ(s.Post(s.f().Make("registry", p)).status, 503);
  faults.Heal();
  auto not_ready = c->Request("GET", "/readyz");
  ASSERT_OK(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->content_type, "application/json");
  const json j = json::parse(not_ready->body);
  EXPECT_EQ(j["status"], "not-ready");
  EXPECT_NE(j["reason"].get<std::string>().find("read-only"), std::string::npos) << j;
  // Alive still, and the gauge says why.
  EXPECT_EQ(c->Request("GET", "/healthz")->status, 200);
  auto m = c->Request("GET", "/metrics");
  ASSERT_OK(m);
  EXPECT_NE(m->body.find("\nipledger_read_only 1\n"), std::string::npos) << m->body;
}

// --- The real ipledgerd ------------------------------------------------------------------------

TEST(OpsProcessTest, LogLinesAreJsonMetricsPassPromtoolAndTheDashboardQueriesExist) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  const testing::ShellResult init = RunShell(std::string(IPLEDGER_CLI) + " init --data-dir " + d +
                                             " --origin test.example/ipledger");
  ASSERT_EQ(init.code, 0) << init.out;
  testing::ServerProcess server;
  const std::string log = tmp.str() + "/ipledgerd.log";
  ASSERT_TRUE(server.Start(IPLEDGERD,
                           {"--data-dir", d, "--listen", "127.0.0.1:0", "--log-level", "debug",
                            "--metrics-listen", "127.0.0.1:0"},
                           log))
      << testing::ReadFileOrDie(log);
  // The port line on stdout stays as scripts parse it.
  EXPECT_TRUE(std::regex_match(server.url(), std::regex(R"(http://127\.0\.0\.1:\d+)")))
      << server.url();
  const auto port = static_cast<std::uint16_t>(std::stoi(server.url().substr(17)));
  api::Client client("127.0.0.1", port);
  for (const char* target : {"/healthz", "/readyz", "/log/checkpoint", "/v1/pledges/x", "/nope"}) {
    ASSERT_OK(client.Request("GET", target));
  }
  ASSERT_OK(client.Request("POST", "/v1/entries", "{not json"));
  auto m = client.Request("GET", "/metrics");
  ASSERT_OK(m);
  // The metrics listener, from its log line.
  std::uint16_t metrics_port = 0;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "metrics-listen") {
      const std::string at = j["listen"];
      metrics_port = static_cast<std::uint16_t>(std::stoi(at.substr(at.rfind(':') + 1)));
    }
  }
  ASSERT_NE(metrics_port, 0) << testing::ReadFileOrDie(log);
  api::Client metrics_client("127.0.0.1", metrics_port);
  auto separate = metrics_client.Request("GET", "/metrics");
  ASSERT_OK(separate);
  EXPECT_EQ(separate->status, 200);
  EXPECT_NE(separate->body.find("ipledger_http_requests_total{route=\"/readyz\""),
            std::string::npos);
  EXPECT_EQ(metrics_client.Request("GET", "/v1/participants")->status, 404);

  WriteFile(tmp.str() + "/scrape.txt", separate->body);
  const testing::ShellResult dashboard =
      RunShell("python3 " IPLEDGER_SOURCE_DIR "/tests/ops/check_dashboard.py " +
               std::string(IPLEDGER_SOURCE_DIR) + "/docs/grafana-dashboard.json " + tmp.str() +
               "/scrape.txt");
  EXPECT_EQ(dashboard.code, 0) << dashboard.out;
  EXPECT_EQ(server.Stop(SIGTERM), 0);

  // Every line on stderr is a JSON object with ts, level and msg; the requests are there
  // with their ids, the probes at debug.
  int lines = 0, requests = 0;
  std::ifstream log_in(log);
  for (std::string line; std::getline(log_in, line);) {
    ++lines;
    ExpectLogLine(line);
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "request") {
      ++requests;
      EXPECT_TRUE(j["request_id"].is_string() && !j["request_id"].get<std::string>().empty());
    }
  }
  EXPECT_GE(lines, 10);
  EXPECT_EQ(requests, 7);
  {
    testing::TempDir t2;
    ExpectPromtoolPasses(m->body, t2.str());
    ExpectPromtoolPasses(separate->body, t2.str());
  }
}

TEST(OpsProcessTest, LogLevelFiltersAndIsChecked) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(
      RunShell(std::string(IPLEDGER_CLI) + " init --data-dir " + d + " --origin t.example/x").code,
      0);
  const testing::ShellResult bad =
      RunShell(std::string(IPLEDGERD) + " --data-dir " + d + " --log-level loud");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--log-level must be debug, info, warn or error"), std::string::npos);
  testing::ServerProcess server;
  const std::string log = tmp.str() + "/ipledgerd.log";
  ASSERT_TRUE(server.Start(
      IPLEDGERD, {"--data-dir", d, "--listen", "127.0.0.1:0", "--log-level", "warn"}, log));
  const auto port = static_cast<std::uint16_t>(std::stoi(server.url().substr(17)));
  api::Client client("127.0.0.1", port);
  ASSERT_OK(client.Request("GET", "/log/checkpoint"));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_EQ(testing::ReadFileOrDie(log), "");  // nothing at warn or above in a quiet run
}

// --- RFC 9421 with a third-party library ---------------------------------------------------------

TEST(OpsInteropTest, HttpMessageSignaturesLibraryDefaultsAreAccepted) {
  const std::string dir = IPLEDGER_SOURCE_DIR "/tests/interop";
  if (!HaveCommand("node")) GTEST_SKIP() << "node is missing (tools/deps.sh installs it)";
  if (!std::filesystem::exists(dir + "/node_modules/http-message-signatures")) {
    GTEST_SKIP() << "run tools/deps.sh (npm ci in tests/interop) first";
  }
  // A server on the real clock: the library signs with the time now.
  testing::RegistryFixture f;
  f.AddParticipant("ccb-quzhou", Role::kBank);
  GroupCommitter committer(f.registry(), GroupCommitOptions{});
  api::Metrics metrics;
  api::RouterOptions ro;
  ro.log = [](const std::string&) {};
  api::Router router(f.registry(), committer, metrics, ro);
  auto server = api::Server::Start({}, [&router](api::Request r, api::Respond done) {
    router.Handle(std::move(r), std::move(done));
  });
  ASSERT_OK(server);
  const SigningKey& key = f.KeyOf("ccb-quzhou");
  const testing::ShellResult r = RunShell(
      "node " + dir + "/sign_requests.mjs http://127.0.0.1:" + std::to_string((*server)->port()) +
      " ccb-quzhou/k1 " + Base64Encode(key.seed()) + " " + Base64Encode(key.public_key()) +
      " /v1/pledges/NOPE");
  (*server)->Stop();
  committer.Stop();
  ASSERT_EQ(r.code, 0) << r.out;
  std::map<std::string, json> by_case;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    by_case[j["case"]] = j;
  }
  ASSERT_EQ(by_case.size(), 6u) << r.out;
  // Authenticated (the pledge does not exist: 404), or refused with 401 naming why.
  EXPECT_EQ(by_case["defaults"]["status"], 404) << by_case["defaults"];
  EXPECT_NE(by_case["defaults"]["signature_input"].get<std::string>().find(";expires="),
            std::string::npos);
  EXPECT_EQ(by_case["nonce"]["status"], 404) << by_case["nonce"];
  EXPECT_EQ(by_case["nonce-replayed"]["status"], 401);
  EXPECT_NE(by_case["nonce-replayed"]["detail"].get<std::string>().find("nonce already used"),
            std::string::npos);
  EXPECT_EQ(by_case["expired"]["status"], 401);
  EXPECT_EQ(by_case["expires-too-far"]["status"], 401);
  EXPECT_NE(by_case["expires-too-far"]["detail"].get<std::string>().find("at most 300 s"),
            std::string::npos);
  EXPECT_EQ(by_case["unknown-parameter"]["status"], 401);
}

}  // namespace
}  // namespace ipledger
