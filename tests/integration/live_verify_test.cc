// The operations contracts of docs/operations.md, end to end: `ipledger verify` (with
// and without --replay) and `ipledger backup` run against the data directory of a live
// ipledgerd while clients append to it. The real server on 127.0.0.1 port 0 over a
// directory made by `ipledger init`; writer threads submit real signed envelopes over
// HTTP; meanwhile the checker runs the CLI over and over and asserts that no run
// reports a failure, that no run reads a torn state (the verified size never
// decreases; every backup opens, passes the full check and carries a checkpoint that
// verifies with the log key and names exactly the size the backup reported).
//
// Runs for IPLEDGER_LIVE_TEST_SECONDS (default 20, at most 120) plus the round under way
// and the final checks: about 30 s in all.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "crypto/bytes.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using Result = testing::ShellResult;

// Runs the CLI with `args` (a shell word list); stdout and stderr captured apart.
Result Cli(const std::string& args, const std::string& scratch) {
  return testing::RunShell(std::string(IPLEDGER_CLI) + " " + args, scratch + "/cli.stderr");
}

// The number after `prefix` in `text`, or nullopt.
std::optional<std::uint64_t> NumberAfter(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  const char* p = text.data() + at + prefix.size();
  std::uint64_t v = 0;
  if (std::from_chars(p, text.data() + text.size(), v).ec != std::errc()) return std::nullopt;
  return v;
}

int DurationSeconds() {
  const char* v = std::getenv("IPLEDGER_LIVE_TEST_SECONDS");
  if (v == nullptr || *v == '\0') return 20;
  int s = 20;
  std::from_chars(v, v + std::strlen(v), s);
  return std::clamp(s, 1, 120);
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(LiveVerifyTest, VerifyAndBackupWhileTheServerAppendsNeverFailNorTear) {
  testing::TempDir tmp;
  const std::string w = tmp.str();
  const std::string d = w + "/reg";
  Result init = Cli("init --data-dir " + d + " --origin test.example/ipledger", w);
  ASSERT_EQ(init.code, 0) << init.all();

  // The registry's own key signs the writers' statements; the log's vkey checks backups.
  std::string seed_line = testing::ReadFileOrDie(d + "/registry.key");
  while (!seed_line.empty() && seed_line.back() == '\n') seed_line.pop_back();
  auto seed = Base64Decode(seed_line);
  ASSERT_TRUE(seed.has_value());
  std::optional<SigningKey> registry_key = SigningKey::FromSeed(*seed);
  ASSERT_TRUE(registry_key.has_value());
  std::string vkey = testing::ReadFileOrDie(d + "/log.vkey");
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  std::optional<NoteVerifier> verifier = ParseVkey(vkey);
  ASSERT_TRUE(verifier.has_value());

  testing::ServerProcess server;
  ASSERT_TRUE(server.Start(
      IPLEDGERD, {"--data-dir", d, "--listen", "127.0.0.1:0", "--write-quota-per-minute", "0"},
      w + "/ipledgerd.log"))
      << testing::ReadFileOrDie(w + "/ipledgerd.log");
  const std::string url = server.url();
  const std::string hostport = url.substr(std::string("http://").size());
  const std::string host = hostport.substr(0, hostport.rfind(':'));
  const std::string port_text = hostport.substr(hostport.rfind(':') + 1);
  std::uint16_t port = 0;
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  ASSERT_NE(port, 0) << url;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(DurationSeconds());
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<int> write_failures{0};
  const std::string firm_key = Base64Encode(testing::TestKey(7).public_key());
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      api::Client client(host, port);
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = "firm-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string statement =
            R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
            R"(","name":"Firm )" + id +
            R"(","role":"enterprise","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
            firm_key + R"("}]}})";
        auto complete = api::CompleteStatementJson(statement, NowMs(), "live-" + id);
        auto envelope = complete.ok()
                            ? api::SignStatementJson(*complete, {{"registry/k1", &*registry_key}})
                            : complete.status();
        if (!envelope.ok()) {
          ++write_failures;
          ADD_FAILURE() << envelope.status().ToString();
          return;
        }
        auto r = client.Request("POST", "/v1/entries", *envelope);
        if (!r.ok() || r->status != 201) {
          ++write_failures;
          ADD_FAILURE() << id << ": " << (r.ok() ? r->body : r.status().ToString());
          return;
        }
        ++accepted;
      }
    });
  }

  // The checker: verify, sometimes with --replay, and backup, each in its own process,
  // for as long as the writers run.
  std::uint64_t last_size = 0;
  std::vector<std::uint64_t> sizes;
  int round = 0;
  // At least two rounds (one with a backup), even on a slow machine.
  while ((std::chrono::steady_clock::now() < deadline || round < 2) && write_failures.load() == 0) {
    ++round;
    const bool replay = round % 3 == 0;
    Result v = Cli("verify --data-dir " + d + (replay ? " --replay" : ""), w);
    ASSERT_EQ(v.code, 0) << "round " << round << ": " << v.all();
    auto verified = NumberAfter(v.out, "ipledger verify: OK: ");
    ASSERT_TRUE(verified.has_value()) << v.out;
    EXPECT_GE(*verified, last_size) << "verify went back in round " << round;
    last_size = *verified;
    sizes.push_back(*verified);
    if (replay) {
      auto replayed = NumberAfter(v.out, "ipledger verify --replay: OK: ");
      ASSERT_TRUE(replayed.has_value()) << v.out;
      EXPECT_GE(*replayed, *verified);
      last_size = *replayed;
    }

    if (std::chrono::steady_clock::now() >= deadline && round >= 2) break;
    const std::string b = w + "/backup-" + std::to_string(round);
    Result backup = Cli("backup --data-dir " + d + " --out " + b, w);
    ASSERT_EQ(backup.code, 0) << "round " << round << ": " << backup.all();
    auto held = NumberAfter(backup.out, " holds ");
    ASSERT_TRUE(held.has_value()) << backup.out;
    EXPECT_GE(*held, last_size) << "backup went back in round " << round;
    last_size = *held;
    sizes.push_back(*held);
    // The copy stands on its own: it verifies, and its checkpoint is the log's, for
    // exactly the size the backup reported.
    Result again = Cli("verify --data-dir " + b, w);
    ASSERT_EQ(again.code, 0) << again.all();
    EXPECT_EQ(NumberAfter(again.out, "ipledger verify: OK: "), held) << again.out;
    Result cp = Cli("checkpoint --data-dir " + b, w);
    ASSERT_EQ(cp.code, 0) << cp.all();
    auto opened = OpenCheckpoint(cp.out, *verifier);
    ASSERT_OK(opened);
    EXPECT_EQ(opened->size, *held);
    std::error_code ec;
    std::filesystem::remove_all(b, ec);
  }
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(write_failures.load(), 0);
  // The checks saw the log grow under them, not one quiet state.
  EXPECT_GT(sizes.back(), sizes.front()) << "no appends landed between the checks";
  std::printf("%d rounds of verify and backup; sizes seen from %llu to %llu\n", round,
              static_cast<unsigned long long>(sizes.front()),
              static_cast<unsigned long long>(sizes.back()));

  // After a clean stop the whole log, every acknowledged entry, verifies and replays.
  ASSERT_EQ(server.Stop(SIGTERM), 0);
  Result last = Cli("verify --data-dir " + d + " --replay", w);
  ASSERT_EQ(last.code, 0) << last.all();
  EXPECT_EQ(NumberAfter(last.out, "ipledger verify: OK: "), accepted.load() + 1) << last.out;
  EXPECT_GE(accepted.load() + 1, last_size);
}

}  // namespace
}  // namespace ipledger
