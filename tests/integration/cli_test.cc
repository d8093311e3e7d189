// The ipledger CLI as scripts use it (api.md §10): keygen, init, verify, checkpoint,
// including verify's answer to a tampered data directory; every program's --version.
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/base/encoding.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/ledger.h"
#include "ledger/log/store.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Result Cli(const std::string& args) {
  Result r;
  FILE* p = popen((std::string(IPLEDGER_CLI) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) r.out += buf;
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Flips one bit of the value at `key` in column family `cf`, through RocksDB.
void FlipStoredByte(const std::string& db_dir, const std::string& cf, const std::string& key,
                    size_t offset) {
  const std::string changed = testing::MutateStored(
      db_dir, cf, [&key](std::string_view k) { return k == key; },
      [offset](std::string* v) {
        ASSERT_LT(offset, v->size());
        (*v)[offset] = static_cast<char>((*v)[offset] ^ 0x01);
      });
  ASSERT_EQ(changed, key);
}

TEST(CliTest, KeygenWritesPrivateKeyFileAndPrintsPublicKey) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/bank.key";
  Result r = Cli("keygen --out " + path);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ModeOf(path), 0600u);
  std::string pub = r.out;
  ASSERT_FALSE(pub.empty());
  pub.pop_back();
  auto decoded = Base64Decode(pub);
  ASSERT_TRUE(decoded.has_value()) << r.out;
  EXPECT_EQ(decoded->size(), 32u);
  Result again = Cli("keygen --out " + path);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
}

TEST(CliTest, BadUsageExitsTwoWithUsage) {
  for (const char* args : {"", "frobnicate", "keygen", "init --data-dir /tmp/x", "verify",
                           "verify --data-dir", "verify --nope x"}) {
    Result r = Cli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find("usage:"), std::string::npos) << args;
  }
}

// One option parser (tools/options.h) for every command: a usage problem is one line
// naming the flag, then the usage, and exit status 2.
TEST(CliTest, UnknownFlagOrMissingValueIsOneClearLineAndExitTwo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"checkpoint --data-dir", "ipledger: flag --data-dir needs a value"},
      {"checkpoint --bogus x", "ipledger: unknown flag --bogus"},
      {"keygen --o x", "ipledger: unknown flag --o"},  // no abbreviations
      {"verify --data-dir d extra", "ipledger: unexpected argument 'extra'"},
      {"verify --replay=yes --data-dir d", "ipledger: flag --replay takes no value"},
      {"sign --statement s.json --key", "ipledger sign: flag --key needs a value"},
      {"status --json=1 patent:1", "ipledger status: flag --json takes no value"},
      {"audit --server http://127.0.0.1:1 --nope 1", "ipledger audit: unknown flag --nope"},
      {"coverage a b", "ipledger coverage: unexpected argument 'b'"},
  };
  for (const auto& [args, line] : cases) {
    Result r = Cli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), line) << args;
    EXPECT_NE(r.out.find("usage:"), std::string::npos) << args;
  }
}

TEST(CliTest, InitCreatesKeysAndGenesisThenVerifyPasses) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  Result init = Cli("init --data-dir " + d + " --origin registry.example/ipledger");
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_EQ(ModeOf(d + "/log.key"), 0600u);
  EXPECT_EQ(ModeOf(d + "/registry.key"), 0600u);
  const std::string vkey_line = testing::ReadFileOrDie(d + "/log.vkey");
  auto verifier = ParseVkey(vkey_line.substr(0, vkey_line.size() - 1));
  ASSERT_TRUE(verifier.has_value()) << vkey_line;
  EXPECT_EQ(verifier->name, "registry.example/ipledger");

  Result cp = Cli("checkpoint --data-dir " + d);
  ASSERT_EQ(cp.code, 0) << cp.out;
  auto opened = OpenCheckpoint(cp.out, *verifier);
  ASSERT_OK(opened);
  EXPECT_EQ(opened->size, 1u);  // the genesis entry

  Result v = Cli("verify --data-dir " + d);
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_NE(v.out.find("OK: 1 entries"), std::string::npos) << v.out;

  // Re-running init on the same directory is refused and changes nothing.
  Result again = Cli("init --data-dir " + d + " --origin other.example/log");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("not empty"), std::string::npos) << again.out;
  EXPECT_EQ(testing::ReadFileOrDie(d + "/log.vkey"), vkey_line);
}

TEST(CliTest, InitRefusesAnInvalidOrigin) {
  testing::TempDir tmp;
  Result r = Cli("init --data-dir " + tmp.str() + "/reg --origin 'has space'");
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(std::filesystem::exists(tmp.str() + "/reg/log.key"));
}

TEST(CliTest, VerifyNamesTheIndexOfAFlippedLeafByte) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  FlipStoredByte(d + "/db", "leaves", EncodeFixed64BE(0), 25);
  Result v = Cli("verify --data-dir " + d);
  EXPECT_EQ(v.code, 1) << v.out;
  EXPECT_NE(v.out.find("leaf 0"), std::string::npos) << v.out;
}

TEST(CliTest, VerifyNamesTheIndexOfAFlippedTreeHash) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  FlipStoredByte(d + "/db", "tree", EncodeFixed64BE(0), 3);
  Result v = Cli("verify --data-dir " + d);
  EXPECT_EQ(v.code, 1) << v.out;
  // The root no longer matches the signed checkpoint: even opening refuses.
  EXPECT_NE(v.out.find("Corruption"), std::string::npos) << v.out;
}

TEST(CliTest, VerifyRefusesAVkeyFileThatIsNotTheLedgers) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  std::filesystem::remove(d + "/log.vkey");
  const std::string other =
      FormatVkey(MakeNoteVerifier("registry.example/ipledger", testing::TestKey(9).public_key()));
  FILE* f = std::fopen((d + "/log.vkey").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fprintf(f, "%s\n", other.c_str());
  std::fclose(f);
  Result v = Cli("verify --data-dir " + d);
  EXPECT_EQ(v.code, 1) << v.out;
  EXPECT_NE(v.out.find("log.vkey"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace ipledger

namespace ipledger {
namespace {

// Flips one bit in the middle of the largest file of `db_dir` whose name ends in
// `suffix`: damage below RocksDB, as a failing disk would do it.
void FlipFileByte(const std::string& db_dir, const std::string& suffix) {
  std::filesystem::path target;
  std::uintmax_t best = 0;
  for (const auto& e : std::filesystem::directory_iterator(db_dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        e.file_size() > best) {
      best = e.file_size();
      target = e.path();
    }
  }
  ASSERT_GT(best, 0u) << "no *" << suffix << " file in " << db_dir;
  std::string bytes = testing::ReadFileOrDie(target);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  FILE* f = std::fopen(target.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

TEST(CliTest, VerifyFailsOnAFlippedByteInATableFile) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  FlipFileByte(d + "/db", ".sst");
  Result v = Cli("verify --data-dir " + d);
  EXPECT_EQ(v.code, 1) << v.out;
  // verify reads through a RocksDB secondary instance, which leaves out a table file it
  // cannot load rather than failing to open; the damage then shows as data that the
  // signed checkpoint commits to and the store lacks (or as RocksDB's own checksum error
  // when the flipped bit lies in a data block read later).
  EXPECT_NE(v.out.find("ipledger verify: FAILED: "), std::string::npos) << v.out;
}

}  // namespace
}  // namespace ipledger

namespace ipledger {
namespace {

TEST(CliTest, VerifyReplayPassesOnAFreshRegistryAndFailsOnAChangedStateRecord) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  Result ok = Cli("verify --data-dir " + d + " --replay");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("derived state matches"), std::string::npos) << ok.out;
  // Change the registry participant's stored record: the log still verifies, the
  // replay does not, and it names the key.
  const std::string key = testing::MutateStored(
      d + "/db", "state", [](std::string_view k) { return k.substr(0, 10) == "P/registry"; },
      [](std::string* v) { v->back() = static_cast<char>(v->back() ^ 1); });
  ASSERT_FALSE(key.empty());
  Result plain = Cli("verify --data-dir " + d);
  EXPECT_EQ(plain.code, 0) << plain.out;
  Result replay = Cli("verify --data-dir " + d + " --replay");
  EXPECT_EQ(replay.code, 1) << replay.out;
  EXPECT_NE(replay.out.find("P/registry"), std::string::npos) << replay.out;
}

// A data directory written before December 2026 holds a time-index key and an outcome
// record for every entry, which this build derives from the leaves instead (keys.h):
// `verify --replay` accepts them while they agree with the log, and names one that
// does not.
TEST(CliTest, VerifyReplayAcceptsTheKeysOfAnOlderDirectory) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  std::int64_t genesis_time = 0;
  {
    auto ledger = Ledger::OpenReadOnly(d + "/db", {});
    ASSERT_TRUE(ledger.ok());
    auto leaf = (*ledger)->GetLeaf(0);
    ASSERT_TRUE(leaf.ok());
    auto e = DecodeLeaf(*leaf);
    ASSERT_TRUE(e.ok());
    genesis_time = e->time_ms;
  }
  auto time_key = [](std::int64_t t) {
    std::string k = "D/";
    PutFixed64BE(&k, static_cast<std::uint64_t>(t));
    PutFixed64BE(&k, 0);
    return k;
  };
  // OutcomeRecord{"participant.register", {}, {}, ""} as the older build encoded it
  // (ledger/registry/record.h: format 1, type, no codes, no warnings, empty detail).
  std::string outcome;
  outcome += '\x01';
  PutFixed64BE(&outcome, 20);
  outcome += "participant.register";
  PutFixed64BE(&outcome, 0);
  PutFixed64BE(&outcome, 0);
  PutFixed64BE(&outcome, 0);
  testing::OverwriteStored(d + "/db", "index", time_key(genesis_time), std::string());
  testing::OverwriteStored(d + "/db", "index", "O/" + EncodeFixed64BE(0), outcome);
  Result old = Cli("verify --data-dir " + d + " --replay");
  EXPECT_EQ(old.code, 0) << old.out;
  EXPECT_NE(old.out.find("derived state matches"), std::string::npos) << old.out;
  // A time key that disagrees with its leaf is a difference, named.
  testing::OverwriteStored(d + "/db", "index", time_key(genesis_time + 1), std::string());
  Result bad = Cli("verify --data-dir " + d + " --replay");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("index key"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace ipledger

namespace ipledger {
namespace {

TEST(CliTest, BackupMakesAVerifiedCopyWithTheKeys) {
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  const std::string b = tmp.str() + "/backup";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin registry.example/ipledger").code, 0);
  Result r = Cli("backup --data-dir " + d + " --out " + b);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  EXPECT_EQ(ModeOf(b + "/log.key"), 0600u);
  EXPECT_EQ(testing::ReadFileOrDie(b + "/log.vkey"), testing::ReadFileOrDie(d + "/log.vkey"));
  EXPECT_EQ(Cli("verify --data-dir " + b + " --replay").code, 0);
  EXPECT_EQ(Cli("checkpoint --data-dir " + b).out, Cli("checkpoint --data-dir " + d).out);
  // Never into a directory that holds something.
  Result again = Cli("backup --data-dir " + d + " --out " + b);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("not empty"), std::string::npos) << again.out;
  EXPECT_EQ(Cli("backup --data-dir " + d).code, 2);
}

}  // namespace
}  // namespace ipledger

namespace ipledger {
namespace {

// Runs `command` through the shell; stdout and stderr together.
Result RunCommand(const std::string& command) {
  Result r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) r.out += buf;
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// api.md §10.1: every program answers --version with exit 0 and the project version.
TEST(VersionTest, EveryProgramPrintsTheProjectVersionAndExitsZero) {
  std::vector<std::pair<std::string, std::string>> programs = {{IPLEDGER_CLI, "ipledger"},
                                                               {IPLEDGERD, "ipledgerd"}};
#ifdef IPLEDGER_BENCH
  programs.emplace_back(IPLEDGER_BENCH, "ipledger-bench");
#endif
  for (const auto& [binary, name] : programs) {
    Result r = RunCommand(binary + " --version");
    EXPECT_EQ(r.code, 0) << name << ": " << r.out;
    EXPECT_EQ(r.out, name + " " + IPLEDGER_VERSION + "\n");
  }
}

// The neighbour: a misspelt --version is still a usage error, not a version.
TEST(VersionTest, AMisspeltVersionFlagIsAUsageError) {
  Result cli = RunCommand(std::string(IPLEDGER_CLI) + " --versoin");
  EXPECT_EQ(cli.code, 2) << cli.out;
  Result daemon = RunCommand(std::string(IPLEDGERD) + " --versio");
  EXPECT_EQ(daemon.code, 2) << daemon.out;
  EXPECT_NE(daemon.out.find("unknown flag --versio"), std::string::npos) << daemon.out;
}

// `ipledger init --clock-file FILE` (demos and tests): the genesis entry carries the
// time the file holds, so that a demo's later entries can be dated after it; a file
// ahead of the real clock is ignored (the log is never dated in the future).
TEST(CliTest, InitWithAClockFileDatesTheGenesisEntryAtItsTime) {
  testing::TempDir tmp;
  auto genesis_time = [](const std::string& d) -> std::int64_t {
    auto ledger = Ledger::OpenReadOnly(d + "/db", {});
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return -1;
    auto leaf = (*ledger)->GetLeaf(0);
    EXPECT_TRUE(leaf.ok());
    auto entry = DecodeLeaf(leaf.ok() ? *leaf : "");
    EXPECT_TRUE(entry.ok());
    return entry.ok() ? entry->time_ms : -1;
  };
  const std::string clock = tmp.str() + "/clock";
  FILE* f = std::fopen(clock.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("2025-11-11T08:00:00Z\n", f);
  std::fclose(f);
  const std::string held = tmp.str() + "/held";
  Result init = Cli("init --data-dir " + held + " --origin registry.example/ipledger" +
                    " --clock-file " + clock);
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_EQ(genesis_time(held), 1762848000000);  // 2025-11-11T08:00:00Z
  Result replay = Cli("verify --data-dir " + held + " --replay");
  EXPECT_EQ(replay.code, 0) << replay.out;

  f = std::fopen(clock.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("9999-01-01T00:00:00Z\n", f);
  std::fclose(f);
  const std::string ahead = tmp.str() + "/ahead";
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_EQ(Cli("init --data-dir " + ahead + " --origin registry.example/ipledger" +
                " --clock-file " + clock)
                .code,
            0);
  const std::int64_t t = genesis_time(ahead);
  EXPECT_GE(t, before);
  EXPECT_LT(t, before + 60000);
}

}  // namespace
}  // namespace ipledger
