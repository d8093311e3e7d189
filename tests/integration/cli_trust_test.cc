// The CLI checks what it was asked (issue #12 item 8), against real ipledgerd processes
// on 127.0.0.1 port 0 and a fake HTTP server in the test: `status`, `coverage` and
// `verify-certificate` refuse a genuine answer about another asset, entry or date; the
// log key is pinned per origin at first use and a different one is refused; the latest
// checkpoint seen is kept and a rolled-back, forked or rewritten log is refused, while a
// grown log with a valid consistency proof passes.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using nlohmann::json;

using Result = testing::ShellResult;
using testing::Contains;
using testing::ReadOrEmpty;
using testing::WriteFile;

// An HTTP/1.1 server on 127.0.0.1 port 0 that answers every GET whose target starts
// with a key of `routes` (the longest one) with 200 and that body, and 404 otherwise:
// a server that says whatever an attacker wants. One connection at a time.
class FakeServer {
 public:
  explicit FakeServer(std::map<std::string, std::string> routes) : routes_(std::move(routes)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 8);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string buf;
      char chunk[4096];
      while (true) {
        size_t end = buf.find("\r\n\r\n");
        if (end == std::string::npos) {
          const ssize_t n = ::read(c, chunk, sizeof(chunk));
          if (n <= 0) break;
          buf.append(chunk, static_cast<size_t>(n));
          continue;
        }
        const std::string head = buf.substr(0, end);
        buf.erase(0, end + 4);
        const size_t sp1 = head.find(' ');
        const std::string target = head.substr(sp1 + 1, head.find(' ', sp1 + 1) - sp1 - 1);
        std::string best;
        for (const auto& [prefix, body] : routes_) {
          if (target.starts_with(prefix) && prefix.size() >= best.size()) best = prefix;
        }
        const bool found = routes_.contains(best) && target.starts_with(best);
        const std::string body = found ? routes_.at(best) : "{}";
        const std::string response =
            std::string("HTTP/1.1 ") + (found ? "200 OK" : "404 Not Found") +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body;
        if (::write(c, response.data(), response.size()) < 0) break;
      }
      ::close(c);
    }
  }

  std::map<std::string, std::string> routes_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class CliTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = tmp_.str();
    d_ = w_ + "/reg";
    known_ = w_ + "/known_logs";
    ASSERT_EQ(Run("init --data-dir " + d_ + " --origin test.example/ipledger").code, 0);
    Start(server_, d_);
    url_ = server_.url();
  }

  void Start(testing::ServerProcess& s, const std::string& dir) {
    ASSERT_TRUE(s.Start(IPLEDGERD, {"--data-dir", dir, "--listen", "127.0.0.1:0"}, dir + ".log"))
        << testing::ReadFileOrDie(dir + ".log");
  }

  // The CLI with `args`; its pinned keys and checkpoints seen in `known_`, never $HOME.
  Result Run(const std::string& args) {
    return testing::RunShell("IPLEDGER_KNOWN_LOGS=" + known_ + " " + IPLEDGER_CLI + " " + args,
                             w_ + "/cli.stderr");
  }

  // Registers the invention patent `app_no` (by the registry) through `url`.
  void Patent(const std::string& app_no, const std::string& url, const std::string& dir) {
    const std::string name = w_ + "/patent-" + app_no + "-" + std::to_string(++files_);
    WriteFile(
        name + ".json",
        R"({"v":1,"type":"asset.register","submitter":"registry","body":{"asset_id":"patent:)" +
            app_no + R"(","kind":"patent","holders":["registry"],"patent":{"application_no":")" +
            app_no + R"(","type":"invention","title":"Patent )" + app_no +
            R"(","filing_date":"2020-01-01","grant_date":"2022-01-01",)"
            R"("annuity_paid_through":"2099-01-01"}}})");
    Result s = Run("sign --statement " + name + ".json --key " + dir +
                   "/registry.key:registry/k1 --out " + name + ".env");
    ASSERT_EQ(s.code, 0) << s.all();
    Result r = Run("submit --server " + url + " --envelope " + name + ".env");
    ASSERT_EQ(r.code, 0) << r.all();
  }

  // `status` and `coverage` signed by the registry of `dir` (default the first one).
  Result Status(const std::string& asset, const std::string& url, const std::string& more = "",
                const std::string& dir = "") {
    return Run("status " + asset + " --server " + url + " --key " + (dir.empty() ? d_ : dir) +
               "/registry.key:registry/k1 " + more);
  }
  Result Coverage(const std::string& asset, const std::string& url, const std::string& more = "",
                  const std::string& dir = "") {
    return Run("coverage " + asset + " --server " + url + " --key " + (dir.empty() ? d_ : dir) +
               "/registry.key:registry/k1 " + more);
  }

  std::string Vkey(const std::string& dir) {
    std::string v = testing::ReadFileOrDie(dir + "/log.vkey");
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  // The pinned keys and the checkpoints seen, to show a refusal changed neither.
  std::string TrustState() {
    return ReadOrEmpty(known_) + "|" + ReadOrEmpty(known_ + ".checkpoints");
  }
  // The tree size recorded for the test origin.
  std::string SeenSize() {
    const std::string s = ReadOrEmpty(known_ + ".checkpoints");
    const size_t at = s.find("test.example/ipledger ");
    if (at == std::string::npos) return "";
    const size_t from = at + std::string("test.example/ipledger ").size();
    return s.substr(from, s.find(' ', from) - from);
  }

  testing::TempDir tmp_;
  std::string w_;
  std::string d_;
  std::string known_;
  std::string url_;
  int files_ = 0;
  testing::ServerProcess server_;
};

TEST_F(CliTrustTest, FirstUsePinsTheKeyLoudlyAndLaterUsePassesQuietly) {
  Patent("2014100001019", url_, d_);
  // A first contact whose answer does not verify with the key served pins nothing.
  Result genuine =
      Status("patent:2014100001019", url_, "--json --known-logs " + w_ + "/scratch_known_logs");
  ASSERT_EQ(genuine.code, 0) << genuine.all();
  FakeServer fake({{"/log/vkey", FormatVkey(MakeNoteVerifier("test.example/ipledger",
                                                             testing::TestKey(7).public_key())) +
                                     "\n"},
                   {"/v1/assets/patent:2014100001019/pledge-status", genuine.out}});
  Result bad = Status("patent:2014100001019", fake.url());
  EXPECT_EQ(bad.code, 1) << bad.all();
  EXPECT_TRUE(Contains(bad.err, "NOT verified")) << bad.err;
  EXPECT_FALSE(Contains(bad.err, "FIRST USE")) << bad.err;
  EXPECT_EQ(TrustState(), "|");

  Result first = Status("patent:2014100001019", url_);
  ASSERT_EQ(first.code, 0) << first.all();
  EXPECT_TRUE(Contains(first.out, "patent:2014100001019: not pledged")) << first.out;
  EXPECT_TRUE(Contains(first.err, "FIRST USE OF LOG test.example/ipledger")) << first.err;
  const std::string fp = "SHA256:" + HexEncode(Sha256(AsBytes(Vkey(d_))));
  EXPECT_TRUE(Contains(first.err, fp)) << first.err;
  EXPECT_TRUE(Contains(ReadOrEmpty(known_), Vkey(d_) + "\n")) << ReadOrEmpty(known_);
  EXPECT_FALSE(SeenSize().empty()) << ReadOrEmpty(known_ + ".checkpoints");

  Result later = Coverage("patent:2014100001019", url_);
  ASSERT_EQ(later.code, 0) << later.all();
  EXPECT_TRUE(Contains(later.out, "checkpoint: verified")) << later.out;
  EXPECT_FALSE(Contains(later.err, "FIRST USE")) << later.err;

  // The saved receipt and certificate verify with the pinned key, no --vkey.
  Result receipt =
      Run("verify-receipt --receipt " + w_ + "/patent-2014100001019-1.env.receipt.json");
  EXPECT_EQ(receipt.code, 0) << receipt.all();
  EXPECT_TRUE(Contains(receipt.out, "(pinned)")) << receipt.out;
  Result raw = Status("patent:2014100001019", url_, "--json");
  ASSERT_EQ(raw.code, 0) << raw.all();
  WriteFile(w_ + "/status.json", raw.out);
  Result cert = Run("verify-certificate --response " + w_ + "/status.json");
  EXPECT_EQ(cert.code, 0) << cert.all();
  // Without a pin and without --vkey there is nothing to verify with.
  Result none = Run("verify-certificate --response " + w_ + "/status.json --known-logs " + w_ +
                    "/empty_known_logs");
  EXPECT_EQ(none.code, 1) << none.all();
  EXPECT_TRUE(Contains(none.err, "no log key pinned for test.example/ipledger")) << none.err;
}

TEST_F(CliTrustTest, GenuineCertificateAboutAnotherAssetFromAFakeServerIsRefused) {
  Patent("2014100001019", url_, d_);
  Patent("2014100002026", url_, d_);
  Result b = Status("patent:2014100002026", url_, "--json");
  ASSERT_EQ(b.code, 0) << b.all();
  Result b_cov = Coverage("patent:2014100002026", url_, "--json");
  ASSERT_EQ(b_cov.code, 0) << b_cov.all();
  const std::string b_answer = b.out;

  // A fake server with the genuine key answers B's genuine, verifiable answers for A.
  FakeServer fake({{"/log/vkey", Vkey(d_) + "\n"},
                   {"/v1/assets/patent:2014100001019/pledge-status", b_answer},
                   {"/v1/assets/patent:2014100001019/coverage", b_cov.out}});
  const std::string before = TrustState();
  Result status = Status("patent:2014100001019", fake.url());
  EXPECT_EQ(status.code, 1) << status.all();
  EXPECT_TRUE(
      Contains(status.err, "about asset patent:2014100002026, not patent:2014100001019 as asked"))
      << status.err;
  EXPECT_FALSE(Contains(status.out, "not pledged")) << "nothing shown: " << status.out;
  Result with_vkey = Status("patent:2014100001019", fake.url(), "--vkey " + d_ + "/log.vkey");
  EXPECT_EQ(with_vkey.code, 1) << with_vkey.all();
  EXPECT_TRUE(Contains(with_vkey.err, "not patent:2014100001019 as asked")) << with_vkey.err;
  Result as_json = Status("patent:2014100001019", fake.url(), "--json");
  EXPECT_EQ(as_json.code, 1) << as_json.all();
  EXPECT_TRUE(as_json.out.empty()) << as_json.out;
  Result coverage = Coverage("patent:2014100001019", fake.url());
  EXPECT_EQ(coverage.code, 1) << coverage.all();
  EXPECT_TRUE(
      Contains(coverage.err, "about asset patent:2014100002026, not patent:2014100001019 as asked"))
      << coverage.err;
  EXPECT_EQ(TrustState(), before);

  // A coverage answer for another date than the one asked is refused too.
  json other_date = json::parse(b_cov.out);
  const std::string asked = other_date["date"].get<std::string>();
  FakeServer fake_date(
      {{"/log/vkey", Vkey(d_) + "\n"}, {"/v1/assets/patent:2014100002026/coverage", b_cov.out}});
  Result wrong_date = Coverage("patent:2014100002026", fake_date.url(), "--date 2099-01-01");
  EXPECT_EQ(wrong_date.code, 1) << wrong_date.all();
  EXPECT_TRUE(Contains(wrong_date.err, "for the date " + asked + ", not 2099-01-01 as asked"))
      << wrong_date.err;
  // The neighbour: the same answers are accepted for the question they answer.
  Result right = Coverage("patent:2014100002026", fake_date.url(), "--date " + asked);
  EXPECT_EQ(right.code, 0) << right.all();

  // A saved answer is checked against the question given to verify-certificate.
  WriteFile(w_ + "/b.json", b_answer);
  Result saved =
      Run("verify-certificate --response " + w_ + "/b.json --asset patent:2014100001019");
  EXPECT_EQ(saved.code, 1) << saved.all();
  EXPECT_TRUE(
      Contains(saved.err, "about asset patent:2014100002026, not patent:2014100001019 as asked"))
      << saved.err;
  Result saved_ok =
      Run("verify-certificate --response " + w_ + "/b.json --asset patent:2014100002026");
  EXPECT_EQ(saved_ok.code, 0) << saved_ok.all();

  // The as-of entry asked with --index is held too.
  const std::uint64_t as_of = json::parse(b_answer)["as_of"]["index"].get<std::uint64_t>();
  const std::string n = std::to_string(as_of);
  const std::string n1 = std::to_string(as_of - 1);
  Result exact = Status("patent:2014100002026", url_, "--index " + n);
  EXPECT_EQ(exact.code, 0) << exact.all();
  EXPECT_TRUE(Contains(exact.out, "as of entry " + n)) << exact.out;
  FakeServer fake_index({{"/log/vkey", Vkey(d_) + "\n"},
                         {"/v1/assets/patent:2014100002026/pledge-status", b_answer}});
  Result stale = Status("patent:2014100002026", fake_index.url(), "--index " + n1);
  EXPECT_EQ(stale.code, 1) << stale.all();
  EXPECT_TRUE(Contains(stale.err, "as of entry " + n + ", not entry " + n1 + " as asked"))
      << stale.err;
  Result saved_index = Run("verify-certificate --response " + w_ +
                           "/b.json --asset patent:2014100002026 --index " + n1);
  EXPECT_EQ(saved_index.code, 1) << saved_index.all();
  EXPECT_TRUE(Contains(saved_index.err, "not entry " + n1 + " as asked")) << saved_index.err;
}

TEST_F(CliTrustTest, AnswerAsOfAnotherDateThanAskedIsRefused) {
  Patent("2014100001019", url_, d_);
  Patent("2014100002026", url_, d_);
  const std::string today =
      FormatDate(DateOfInstant(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()));
  const std::string yesterday = FormatDate(AddDays(*ParseDate(today), -1));
  // The neighbour: the real server's answer for today is its last entry of today.
  Result at_today = Status("patent:2014100001019", url_, "--at " + today + " --json");
  ASSERT_EQ(at_today.code, 0) << at_today.all();
  const json latest = json::parse(at_today.out);
  const std::uint64_t n = latest["as_of"]["index"].get<std::uint64_t>();
  Result at_earlier =
      Status("patent:2014100001019", url_, "--index " + std::to_string(n - 1) + " --json");
  ASSERT_EQ(at_earlier.code, 0) << at_earlier.all();
  const std::string cp = latest["as_of"]["checkpoint"].get<std::string>();
  const std::string size =
      cp.substr(cp.find('\n') + 1, cp.find('\n', cp.find('\n') + 1) - cp.find('\n') - 1);
  // The fake server passes on the genuine entries and proofs it is asked for.
  std::map<std::string, std::string> routes = {{"/log/vkey", Vkey(d_) + "\n"}};
  for (std::uint64_t i : {n - 1, n}) {
    const std::string e = "/v1/entries/" + std::to_string(i);
    routes[e] = Run("get --server " + url_ + " " + e).out;
    routes[e + "/proof"] = Run("get --server " + url_ + " " + e + "/proof?size=" + size).out;
  }
  const std::string path = "/v1/assets/patent:2014100001019/pledge-status";
  const std::string before = TrustState();

  // Today's answer given for yesterday: its entry is of today.
  routes[path] = at_today.out;
  FakeServer newer(routes);
  Result r1 = Status("patent:2014100001019", newer.url(), "--at " + yesterday);
  EXPECT_EQ(r1.code, 1) << r1.all();
  EXPECT_TRUE(Contains(r1.err, "as of entry " + std::to_string(n) + " of " + today + ", not of " +
                                   yesterday + " as asked"))
      << r1.err;
  // An earlier answer given for today: a later entry of today exists.
  routes[path] = at_earlier.out;
  FakeServer older(routes);
  Result r2 = Status("patent:2014100001019", older.url(), "--at " + today);
  EXPECT_EQ(r2.code, 1) << r2.all();
  EXPECT_TRUE(Contains(r2.err, "not the last one of " + today + " as asked")) << r2.err;
  EXPECT_EQ(TrustState(), before);
  // The genuine answer through the same fake server passes.
  routes[path] = at_today.out;
  FakeServer same(routes);
  Result ok = Status("patent:2014100001019", same.url(), "--at " + today);
  EXPECT_EQ(ok.code, 0) << ok.all();
}

TEST_F(CliTrustTest, DifferentKeyForAPinnedOriginIsRefused) {
  Patent("2014100001019", url_, d_);
  ASSERT_EQ(Status("patent:2014100001019", url_).code, 0);

  // Another registry with the same origin: another log key.
  const std::string d2 = w_ + "/impostor";
  ASSERT_EQ(Run("init --data-dir " + d2 + " --origin test.example/ipledger").code, 0);
  testing::ServerProcess impostor;
  Start(impostor, d2);
  Patent("2014100001019", impostor.url(), d2);
  const std::string before = TrustState();
  Result r = Status("patent:2014100001019", impostor.url(), "", d2);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(Contains(r.err, "LOG KEY CHANGED")) << r.err;
  EXPECT_TRUE(Contains(r.err, "SHA256:" + HexEncode(Sha256(AsBytes(Vkey(d2)))))) << r.err;
  EXPECT_TRUE(Contains(r.err, "SHA256:" + HexEncode(Sha256(AsBytes(Vkey(d_)))))) << r.err;
  EXPECT_FALSE(Contains(r.out, "not pledged")) << r.out;
  EXPECT_EQ(Coverage("patent:2014100001019", impostor.url(), "", d2).code, 1);
  EXPECT_EQ(TrustState(), before);
  // The legitimate server still passes.
  EXPECT_EQ(Status("patent:2014100001019", url_).code, 0);
  // Another user (another known_logs) meets the impostor first: pinned and passes.
  Result fresh = Status("patent:2014100001019", impostor.url(),
                        "--known-logs " + w_ + "/other_known_logs", d2);
  EXPECT_EQ(fresh.code, 0) << fresh.all();
  EXPECT_TRUE(Contains(fresh.err, "FIRST USE")) << fresh.err;
  EXPECT_EQ(impostor.Stop(SIGTERM), 0);
}

TEST_F(CliTrustTest, RolledBackForkedOrRewrittenLogIsRefusedAndAGrownLogPasses) {
  Patent("2014100001019", url_, d_);
  ASSERT_EQ(Status("patent:2014100001019", url_).code, 0);
  const std::string small = SeenSize();
  ASSERT_FALSE(small.empty());

  // A backup of the log as it is now: same origin, same log key, fewer entries later.
  ASSERT_EQ(server_.Stop(SIGTERM), 0);
  const std::string bak = w_ + "/backup";
  std::filesystem::copy(d_, bak, std::filesystem::copy_options::recursive);
  Start(server_, d_);
  url_ = server_.url();

  // The log grows; the next answer comes with a consistency proof and passes.
  Patent("2014100002026", url_, d_);
  Patent("2014100003033", url_, d_);
  Result grown = Status("patent:2014100001019", url_);
  ASSERT_EQ(grown.code, 0) << grown.all();
  const std::string big = SeenSize();
  EXPECT_EQ(std::stoull(big), std::stoull(small) + 2);

  // The backup, served on its own: an older log than the one already seen.
  testing::ServerProcess old;
  Start(old, bak);
  const std::string before = TrustState();
  Result rollback = Status("patent:2014100001019", old.url());
  EXPECT_EQ(rollback.code, 1) << rollback.all();
  EXPECT_TRUE(Contains(rollback.err, "the server shows an older log than one already seen"))
      << rollback.err;
  EXPECT_TRUE(Contains(rollback.err, "tree size " + small) &&
              Contains(rollback.err, "tree size " + big))
      << rollback.err;
  EXPECT_FALSE(Contains(rollback.out, "not pledged")) << rollback.out;
  EXPECT_EQ(Coverage("patent:2014100001019", old.url()).code, 1);
  EXPECT_EQ(TrustState(), before);

  // The backup grown differently: the same size with another root (a fork)...
  Patent("2014100004040", old.url(), bak);
  Patent("2014100005005", old.url(), bak);
  Result fork = Status("patent:2014100001019", old.url());
  EXPECT_EQ(fork.code, 1) << fork.all();
  EXPECT_TRUE(Contains(fork.err, "another log of the same size")) << fork.err;
  EXPECT_EQ(TrustState(), before);
  // ...and larger but not an extension of the log seen (a rewrite).
  Patent("2014100006065", old.url(), bak);
  Result rewrite = Status("patent:2014100001019", old.url());
  EXPECT_EQ(rewrite.code, 1) << rewrite.all();
  EXPECT_TRUE(Contains(rewrite.err, "is not consistent with the one already seen")) << rewrite.err;
  EXPECT_EQ(TrustState(), before);

  // The genuine log still passes, unchanged.
  EXPECT_EQ(Status("patent:2014100001019", url_).code, 0);
  EXPECT_EQ(TrustState(), before);
  EXPECT_EQ(old.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ipledger
