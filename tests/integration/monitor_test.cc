// `ipledger monitor` (issue 13 item 5) end to end against real ipledgerd processes on
// 127.0.0.1 port 0: --once on a fresh and on a grown log exits 0 and resumes from its
// state directory (a second run fetches only the new entry bundles); a log replaced by a
// different one signed with the same key (a fork, at a larger or at the same size) or a
// shrunk one exits 1 naming the size and leaves the state untouched; entry bundles or a
// checkpoint altered in flight by a TCP proxy exit 1; another log's key is refused.
// The log grows with `ipledger-bench fill` on the stopped server's directory.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "ledger/log/tile.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"
#include "tools/key_file.h"

namespace ipledger {
namespace {

using Result = testing::ShellResult;
using testing::Contains;
using testing::ReadOrEmpty;

// A TCP proxy on 127.0.0.1 port 0 in front of `upstream_port`: one request per client
// connection, forwarded with "Connection: close"; the whole answer passes through
// `alter(target, response)` on its way back (with upstream port 0 nothing is forwarded:
// `alter` writes the whole answer, a server of its own). One connection at a time.
class Proxy {
 public:
  using Alter = std::function<void(const std::string& target, std::string* response)>;
  Proxy(int upstream_port, Alter alter) : upstream_(upstream_port), alter_(std::move(alter)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 8);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Proxy() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  static bool SendAll(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void Serve() {
    while (true) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char chunk[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, chunk, sizeof(chunk));
        if (n <= 0) break;
        head.append(chunk, static_cast<size_t>(n));
      }
      const size_t end = head.find("\r\n\r\n");
      if (end == std::string::npos) {
        ::close(c);
        continue;
      }
      ++requests_;
      const size_t sp1 = head.find(' ');
      const std::string target = head.substr(sp1 + 1, head.find(' ', sp1 + 1) - sp1 - 1);
      // Drop the client's Connection header and ask the server to close.
      std::string request = head.substr(0, head.find("\r\n") + 2) + "Connection: close\r\n";
      size_t at = head.find("\r\n") + 2;
      while (at < end) {
        const size_t nl = head.find("\r\n", at);
        const std::string line = head.substr(at, nl - at);
        if (line.rfind("Connection:", 0) != 0 && line.rfind("connection:", 0) != 0) {
          request += line + "\r\n";
        }
        at = nl + 2;
      }
      request += "\r\n";
      std::string response;
      if (upstream_ != 0) {
        const int u = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(upstream_));
        if (::connect(u, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            SendAll(u, request)) {
          while (true) {
            const ssize_t n = ::read(u, chunk, sizeof(chunk));
            if (n <= 0) break;
            response.append(chunk, static_cast<size_t>(n));
          }
        }
        ::close(u);
      }
      alter_(target, &response);
      SendAll(c, response);
      ::close(c);
    }
  }

  int upstream_;
  Alter alter_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = tmp_.str();
    d_ = w_ + "/reg";
    state_ = w_ + "/state";
    ASSERT_EQ(Cli("init --data-dir " + d_ + " --origin test.example/ipledger").code, 0);
  }

  Result Cli(const std::string& args) {
    return testing::RunShell(std::string(IPLEDGER_CLI) + " " + args, w_ + "/cli.stderr");
  }
  // `ipledger monitor --once` against `url` with the registry's vkey and `state_`.
  Result Monitor(const std::string& url, const std::string& more = "") {
    return Cli("monitor --server " + url + " --vkey " + d_ + "/log.vkey --state " + state_ +
               " --once " + more);
  }

  void Start(testing::ServerProcess& s, const std::string& dir) {
    ASSERT_TRUE(s.Start(IPLEDGERD, {"--data-dir", dir, "--listen", "127.0.0.1:0"}, dir + ".log"))
        << testing::ReadFileOrDie(dir + ".log");
  }
  // Appends `count` statements (plus the run's 21 participants) to the stopped `dir`.
  void Fill(const std::string& dir, int count) {
    Result r = testing::RunShell(std::string(IPLEDGER_BENCH) + " fill --data-dir " + dir +
                                     " --count " + std::to_string(count),
                                 w_ + "/fill.stderr");
    ASSERT_EQ(r.code, 0) << r.all();
  }
  void Copy(const std::string& from, const std::string& to) {
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  }

  testing::TempDir tmp_;
  std::string w_;
  std::string d_;
  std::string state_;
};

// "size A -> B verified" of a monitor's report, as B (or -1).
long VerifiedSize(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("size [0-9]+ -> ([0-9]+) verified"))) return -1;
  return std::stol(m[1]);
}

TEST_F(MonitorTest, OnceOnAFreshAndAGrownLogExitsZeroAndResumes) {
  testing::ServerProcess s;
  Start(s, d_);
  Result fresh = Monitor(s.url());
  ASSERT_EQ(fresh.code, 0) << fresh.all();
  EXPECT_TRUE(Contains(fresh.out, "test.example/ipledger size 0 -> 1 verified")) << fresh.out;
  EXPECT_TRUE(Contains(fresh.out, "2 requests")) << fresh.out;
  Result again = Monitor(s.url());
  ASSERT_EQ(again.code, 0) << again.all();
  EXPECT_TRUE(Contains(again.out, "size 1 unchanged, verified")) << again.out;
  EXPECT_EQ(s.Stop(SIGTERM), 0);

  // Past a tile boundary: the partial tile 0 is fetched again in full, then tile 1.
  Fill(d_, 300);
  Start(s, d_);
  Result grown = Monitor(s.url());
  ASSERT_EQ(grown.code, 0) << grown.all();
  EXPECT_EQ(VerifiedSize(grown.out), 322) << grown.out;
  EXPECT_TRUE(Contains(grown.out, "size 1 -> 322 verified")) << grown.out;
  EXPECT_TRUE(Contains(grown.out, "321 new entries, 3 requests")) << grown.out;
  EXPECT_TRUE(Contains(grown.out, "entries/s")) << grown.out;
  EXPECT_TRUE(Contains(ReadOrEmpty(state_ + "/state"), "\nsize 322\n"));
  EXPECT_EQ(s.Stop(SIGTERM), 0);

  // The next run fetches only the bundle holding the new entries.
  Fill(d_, 5);
  Start(s, d_);
  Result more = Monitor(s.url(), "--json");
  ASSERT_EQ(more.code, 0) << more.all();
  EXPECT_TRUE(Contains(more.out, R"("event":"checkpoint","origin":"test.example/ipledger")"))
      << more.out;
  EXPECT_TRUE(Contains(more.out, R"("size":348,)")) << more.out;
  EXPECT_TRUE(Contains(more.out, R"("new_entries":26,"requests":2,)")) << more.out;

  // The vkey is required.
  Result usage = Cli("monitor --server " + s.url() + " --state " + state_ + " --once");
  EXPECT_EQ(usage.code, 2) << usage.all();
  EXPECT_TRUE(Contains(usage.err, "--vkey")) << usage.err;
}

TEST_F(MonitorTest, ForkedOrShrunkLogWithTheSameKeyExitsOneNamingTheSize) {
  const std::string at1 = w_ + "/at1";  // the log at size 1, to grow differently
  Copy(d_, at1);
  Copy(d_, w_ + "/at1b");
  Copy(d_, w_ + "/at1c");
  testing::ServerProcess s;
  Fill(d_, 20);  // size 42
  Start(s, d_);
  Result seen = Monitor(s.url());
  ASSERT_EQ(seen.code, 0) << seen.all();
  ASSERT_EQ(VerifiedSize(seen.out), 42) << seen.out;
  EXPECT_EQ(s.Stop(SIGTERM), 0);
  const std::string state_before = ReadOrEmpty(state_ + "/state");

  // The same key, a different history: larger than what was seen.
  Fill(at1, 30);  // size 52
  testing::ServerProcess fork;
  Start(fork, at1);
  Result bigger = Monitor(fork.url());
  EXPECT_EQ(bigger.code, 1) << bigger.all();
  EXPECT_TRUE(Contains(bigger.err, "DISAGREEMENT: fork or altered entries")) << bigger.err;
  EXPECT_TRUE(Contains(bigger.err, "checkpoint of size 52")) << bigger.err;
  EXPECT_TRUE(Contains(bigger.err, "entry 1 differs from the one verified at size 42"))
      << bigger.err;
  EXPECT_EQ(ReadOrEmpty(state_ + "/state"), state_before);
  EXPECT_EQ(fork.Stop(SIGTERM), 0);

  // The same size, another root.
  Fill(w_ + "/at1b", 20);  // size 42 again, other times
  Start(fork, w_ + "/at1b");
  Result same = Monitor(fork.url());
  EXPECT_EQ(same.code, 1) << same.all();
  EXPECT_TRUE(Contains(same.err, "DISAGREEMENT: fork at size 42")) << same.err;
  EXPECT_EQ(fork.Stop(SIGTERM), 0);

  // A log rolled back to an earlier state (the genuine log's own copy at size 1).
  Start(fork, w_ + "/at1c");
  Result shrunk = Monitor(fork.url());
  EXPECT_EQ(shrunk.code, 1) << shrunk.all();
  EXPECT_TRUE(
      Contains(shrunk.err, "DISAGREEMENT: the log shrank: checkpoint of size 1 after size 42"))
      << shrunk.err;
  EXPECT_EQ(fork.Stop(SIGTERM), 0);
  EXPECT_EQ(ReadOrEmpty(state_ + "/state"), state_before);

  // An unreachable server is a failure (exit 1) but no disagreement.
  Result nothing = Monitor("http://127.0.0.1:1");
  EXPECT_EQ(nothing.code, 1) << nothing.all();
  EXPECT_FALSE(Contains(nothing.err, "DISAGREEMENT")) << nothing.err;

  // The genuine log still verifies: failures changed nothing.
  Start(s, d_);
  Result genuine = Monitor(s.url());
  EXPECT_EQ(genuine.code, 0) << genuine.all();
  EXPECT_TRUE(Contains(genuine.out, "size 42 unchanged, verified")) << genuine.out;
}

TEST_F(MonitorTest, EntriesOrCheckpointAlteredInFlightExitOne) {
  testing::ServerProcess s;
  Fill(d_, 10);  // size 32
  Start(s, d_);
  // One hex digit of the last leaf's envelope_sha256 in every entry bundle: it still
  // decodes, but no longer hashes into the signed tree.
  Proxy bundles(PortOf(s.url()), [](const std::string& target, std::string* response) {
    if (target.rfind("/log/tile/entries/", 0) != 0) return;
    const size_t at = response->rfind("\"envelope_sha256\":\"");
    if (at == std::string::npos) return;
    char& c = (*response)[at + 19 + 63];
    c = c == '0' ? '1' : '0';
  });
  Result altered = Monitor(bundles.url());
  EXPECT_EQ(altered.code, 1) << altered.all();
  EXPECT_TRUE(Contains(altered.err,
                       "DISAGREEMENT: fork or altered entries: the leaves of the "
                       "checkpoint of size 32"))
      << altered.err;
  EXPECT_GE(bundles.requests(), 2);
  EXPECT_EQ(ReadOrEmpty(state_ + "/state"), "") << "nothing persisted";

  // A bundle whose entry no longer decodes names the entry.
  Proxy undecodable(PortOf(s.url()), [](const std::string& target, std::string* response) {
    if (target.rfind("/log/tile/entries/", 0) != 0) return;
    const size_t at = response->rfind("\"v\":1}");
    if (at != std::string::npos) (*response)[at + 4] = '7';
  });
  Result bad = Monitor(undecodable.url());
  EXPECT_EQ(bad.code, 1) << bad.all();
  EXPECT_TRUE(Contains(bad.err, "entry 31 of bundle /log/tile/entries/000.p/32 does not decode"))
      << bad.err;

  // A checkpoint whose root was changed no longer verifies with the key.
  Proxy checkpoint(PortOf(s.url()), [](const std::string& target, std::string* response) {
    if (target != "/log/checkpoint") return;
    const size_t at = response->find("\n32\n");
    if (at != std::string::npos) (*response)[at + 5] ^= 0x01;
  });
  Result forged = Monitor(checkpoint.url());
  EXPECT_EQ(forged.code, 1) << forged.all();
  EXPECT_TRUE(Contains(forged.err, "the latest checkpoint does not verify with the log key"))
      << forged.err;

  // The neighbour: the same proxy passing everything through verifies.
  Proxy honest(PortOf(s.url()), [](const std::string&, std::string*) {});
  Result ok = Monitor(honest.url());
  EXPECT_EQ(ok.code, 0) << ok.all();
  EXPECT_TRUE(Contains(ok.out, "size 0 -> 32 verified")) << ok.out;

  // Another log's key: its checkpoint does not verify, and the state (of this log) is
  // refused with that key.
  const std::string other = w_ + "/other";
  ASSERT_EQ(Cli("init --data-dir " + other + " --origin test.example/ipledger").code, 0);
  Result wrong_key = Cli("monitor --server " + s.url() + " --vkey " + other + "/log.vkey --state " +
                         w_ + "/state2 --once");
  EXPECT_EQ(wrong_key.code, 1) << wrong_key.all();
  EXPECT_TRUE(Contains(wrong_key.err, "does not verify with the log key")) << wrong_key.err;
  Result wrong_state = Cli("monitor --server " + s.url() + " --vkey " + other +
                           "/log.vkey --state " + state_ + " --once");
  EXPECT_EQ(wrong_state.code, 1) << wrong_state.all();
  EXPECT_TRUE(Contains(wrong_state.err, "not signed by this log key")) << wrong_state.err;
}

// --- The status map (issue 13 items 1-2 merged): roots recomputed, --watch -------------

std::string Today(std::int32_t plus_days = 0) {
  const std::int64_t ms = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
  return FormatDate(AddDays(DateOfInstant(ms), plus_days));
}

// A log filled without the status map (its map data as if lost: leaves with map fields,
// no map.root entry) gets its map when ipledgerd opens it; the monitor recomputes it from
// leaf 0 and checks that first root like any other, and `verify --replay` starts the
// map at the same entry.
TEST_F(MonitorTest, AMapStartedOnALogWithoutOneIsCheckedLikeAnyOther) {
  Result fill = testing::RunShell(std::string(IPLEDGER_BENCH) + " fill --data-dir " + d_ +
                                      " --count 30 --kind pledge2 --status-map off",
                                  w_ + "/fill.stderr");
  ASSERT_EQ(fill.code, 0) << fill.all();
  testing::ServerProcess server;
  Start(server, d_);
  Result m = Monitor(server.url());
  EXPECT_EQ(m.code, 0) << m.all();
  EXPECT_TRUE(Contains(m.out, "status map: 30 assets, 1 roots checked")) << m.out;
  ASSERT_EQ(server.Stop(SIGTERM), 0);
  Result v = Cli("verify --data-dir " + d_ + " --replay");
  EXPECT_EQ(v.code, 0) << v.all();
  // Filled again with the map: the monitor resumes and checks the new roots too.
  Fill(d_, 10);
  Start(server, d_);
  Result again = Monitor(server.url());
  EXPECT_EQ(again.code, 0) << again.all();
}

class MonitorMapTest : public MonitorTest {
 protected:
  void SetUp() override {
    MonitorTest::SetUp();
    Start(server_, d_);
    Register("ccb-quzhou", "bank");
    Register("lanyu-materials", "enterprise");
    Submit("patent",
           R"({"v":1,"type":"asset.register","submitter":"registry","body":{)"
           R"("asset_id":"patent:2014103620773","kind":"patent","holders":["lanyu-materials"],)"
           R"("patent":{"application_no":"2014103620773","type":"invention",)"
           R"("title":"Slow-release pesticide granule","filing_date":")" +
               Today(-1000) + R"(","grant_date":")" + Today(-300) +
               R"(","annuity_paid_through":")" + Today(300) + R"("}}})",
           {registry_key()});
  }

  std::string registry_key() const { return d_ + "/registry.key:registry/k1"; }
  std::string key(const std::string& who) const { return w_ + "/" + who + ".key:" + who + "/k1"; }

  // Signs `statement` with `keys` and submits it; the submit must be accepted.
  void Submit(const std::string& name, const std::string& statement,
              const std::vector<std::string>& keys) {
    {
      std::ofstream out(w_ + "/" + name + ".json", std::ios::binary | std::ios::trunc);
      out << statement;
    }
    std::string key_args;
    for (const auto& k : keys) key_args += " --key " + k;
    Result s = Cli("sign --statement " + w_ + "/" + name + ".json" + key_args + " --out " + w_ +
                   "/" + name + ".env");
    ASSERT_EQ(s.code, 0) << name << ": " << s.all();
    Result r = Cli("submit --server " + server_.url() + " --envelope " + w_ + "/" + name + ".env");
    ASSERT_EQ(r.code, 0) << name << ": " << r.all();
  }
  void Register(const std::string& id, const std::string& role) {
    Result k = Cli("keygen --out " + w_ + "/" + id + ".key");
    ASSERT_EQ(k.code, 0) << k.all();
    std::string pub = k.out;
    while (!pub.empty() && pub.back() == '\n') pub.pop_back();
    pub = pub.substr(pub.rfind('\n') + 1);
    Submit("reg-" + id,
           R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
               R"(","name":"Test )" + id + R"(","role":")" + role +
               R"(","region_code":"330802","keys":[{"label":"k1","ed25519":")" + pub + R"("}]}})",
           {registry_key()});
  }
  void PledgeAndRelease() {
    Submit(
        "pledge",
        R"({"v":1,"type":"pledge.register","submitter":"ccb-quzhou","body":{)"
        R"("pledge_id":"CCB-QZ-2026-0001","pledgors":["lanyu-materials"],)"
        R"("debtor":"lanyu-materials","collateral":["patent:2014103620773"],)"
        R"("secured":{"type":"loan","amount":{"amount_fen":580000000,"currency":"CNY"}},)"
        R"("debt_term":{"start":")" +
            Today() + R"(","end":")" + Today(730) +
            R"("},"valuation_ids":[],)"
            R"("contract_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}})",
        {key("ccb-quzhou"), key("lanyu-materials")});
    Submit("release",
           R"({"v":1,"type":"pledge.release","submitter":"ccb-quzhou","body":{)"
           R"("pledge_id":"CCB-QZ-2026-0001","reason":"repaid"}})",
           {key("ccb-quzhou")});
  }

  testing::ServerProcess server_;
};

TEST_F(MonitorMapTest, RecomputesEveryLoggedRootAndWatchesAPledgeAndItsRelease) {
  // Before the pledge: a registration alone puts nothing in the map.
  Result before = Monitor(server_.url(), "--watch patent:2014103620773");
  ASSERT_EQ(before.code, 0) << before.all();
  EXPECT_FALSE(Contains(before.out, "patent:2014103620773 at entry")) << before.out;
  EXPECT_TRUE(Contains(before.out, "status map: 0 assets")) << before.out;

  PledgeAndRelease();
  // Resumed: only the new changes are printed, the registration is not repeated.
  Result after = Monitor(server_.url(), "--watch patent:2014103620773 --watch data:unrelated");
  ASSERT_EQ(after.code, 0) << after.all();
  std::smatch p;
  ASSERT_TRUE(std::regex_search(
      after.out, p,
      std::regex("patent:2014103620773 at entry ([0-9]+): 1 active pledge \\(([0-9]+)\\), 0 "
                 "policies")))
      << after.out;
  EXPECT_EQ(p[1], p[2]);
  EXPECT_TRUE(std::regex_search(
      after.out, std::regex("patent:2014103620773 at entry [0-9]+: 0 active pledges, 0 policies")))
      << after.out;
  EXPECT_FALSE(Contains(after.out, "data:unrelated")) << after.out;
  EXPECT_TRUE(Contains(after.out, "status map: 1 assets")) << after.out;
  EXPECT_FALSE(Contains(after.out, " 0 roots checked")) << after.out;

  // The same story as JSON lines from a fresh state.
  state_ = w_ + "/state-json";
  Result json = Monitor(server_.url(), "--watch patent:2014103620773 --json");
  ASSERT_EQ(json.code, 0) << json.all();
  EXPECT_TRUE(Contains(json.out, R"({"active_pledges":[],"asset":"patent:2014103620773","index":)"))
      << json.out;
  EXPECT_TRUE(Contains(json.out, R"({"active_pledges":[)" + std::string(p[1]) +
                                     R"(],"asset":"patent:2014103620773","index":)" +
                                     std::string(p[1]) + R"(,"policies":[]})"))
      << json.out;
}

TEST_F(MonitorMapTest, ALogSignedByItsKeyWithAWrongRootExitsOneNamingTheIndex) {
  PledgeAndRelease();
  Result genuine = Monitor(server_.url());
  ASSERT_EQ(genuine.code, 0) << genuine.all();
  // What a misbehaving operator would publish: the genuine leaves, one map.root leaf
  // naming another root, and a checkpoint over them signed with the real log key.
  const std::string bundle = ReadOrEmpty(state_ + "/leaves");
  std::vector<std::string> leaves;
  for (size_t at = 0; at + 2 <= bundle.size();) {
    const size_t len = (static_cast<size_t>(static_cast<std::uint8_t>(bundle[at])) << 8) |
                       static_cast<std::uint8_t>(bundle[at + 1]);
    leaves.push_back(bundle.substr(at + 2, len));
    at += 2 + len;
  }
  ASSERT_GT(leaves.size(), 5u);
  ASSERT_LT(leaves.size(), 256u);
  std::uint64_t wrong = 0;
  for (std::uint64_t i = leaves.size(); i-- > 0;) {
    auto e = DecodeLeaf(leaves[i]);
    ASSERT_TRUE(e.ok());
    if (e->type == "map.root") {
      e->map_root = Sha256(AsBytes("not the root"));
      leaves[i] = EncodeLeaf(*e);
      wrong = i;
      break;
    }
  }
  ASSERT_NE(wrong, 0u) << "no map.root entry";
  std::vector<Digest> hashes;
  std::vector<Bytes> entries;
  for (const auto& l : leaves) {
    hashes.push_back(LeafHash(AsBytes(l)));
    entries.emplace_back(l.begin(), l.end());
  }
  auto log_key = ReadKeyFile(d_ + "/log.key");
  ASSERT_TRUE(log_key.ok()) << log_key.status().ToString();
  const std::string note =
      SignCheckpoint({"test.example/ipledger", leaves.size(), ReferenceRoot(hashes)}, *log_key);
  auto tile = EncodeEntryBundle(entries);
  ASSERT_TRUE(tile.ok());
  const std::string tile_path = "/log/tile/entries/000.p/" + std::to_string(leaves.size());
  const std::string tile_body(tile->begin(), tile->end());
  Proxy forged(0, [&](const std::string& target, std::string* response) {
    std::string body;
    if (target == "/log/checkpoint") body = note;
    if (target == tile_path) body = tile_body;
    *response = std::string(body.empty() ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") +
                "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + body;
  });
  state_ = w_ + "/state-forged";
  Result bad = Monitor(forged.url());
  EXPECT_EQ(bad.code, 1) << bad.all();
  EXPECT_TRUE(Contains(bad.err, "DISAGREEMENT: wrong status map root logged at entry " +
                                    std::to_string(wrong) + ":"))
      << bad.err;
  // The neighbour: the same forgery path with the genuine leaves verifies... it is the
  // genuine server above. And a resumed monitor re-derives the map from its leaves.
  state_ = w_ + "/state";
  Result resumed = Monitor(server_.url());
  EXPECT_EQ(resumed.code, 0) << resumed.all();
}

}  // namespace
}  // namespace ipledger
