// Cluster mode end to end (issue 17): a real etcd from Debian (one member, on free
// ports) and three real ipledgerd nodes started from copies of one `ipledger init`
// directory.
//
// Failover: writer threads submit real signed envelopes continuously to all nodes
// (following 307 to the leader, retrying 503 with the same envelope, which is
// idempotent); the leader is SIGKILLed at random moments, IPLEDGER_CLUSTER_ROUNDS times
// (default 3), and restarted as a follower. Then every acknowledged entry must be on
// every node at its acknowledged index with its acknowledged leaf, the nodes' signed
// checkpoints byte-identical, and `ipledger verify --replay` must pass on every node.
//
// Fencing: the leader is SIGSTOPped past its lease until another node leads and
// accepts writes; resumed, with a write sent to it meanwhile, it acknowledges nothing,
// appends nothing of its own and follows.
//
// Skipped (GTEST_SKIP) only when no etcd binary is installed (tools/deps.sh installs it).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/cluster/etcd.h"
#include "crypto/bytes.h"
#include "crypto/keys.h"
#include "tests/testing/server_process.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kEtcd = "/usr/bin/etcd";

std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// One etcd member, on free ports, killed at the end.
class EtcdProcess {
 public:
  ~EtcdProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool Start(const std::string& dir) {
    const std::uint16_t client = FreePort(), peer = FreePort();
    url_ = "http://127.0.0.1:" + std::to_string(client);
    const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
    std::vector<std::string> args = {kEtcd,
                                     "--name",
                                     "e0",
                                     "--data-dir",
                                     dir + "/etcd",
                                     "--listen-client-urls",
                                     url_,
                                     "--advertise-client-urls",
                                     url_,
                                     "--listen-peer-urls",
                                     peer_url,
                                     "--initial-advertise-peer-urls",
                                     peer_url,
                                     "--initial-cluster",
                                     "e0=" + peer_url};
    const std::string log = dir + "/etcd.log";
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // fork + exec rather than posix_spawn: the member dies with the test process, even
    // when a timeout kills the test before its destructors run.
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execv(kEtcd, argv.data());
      ::_exit(127);
    }
    api::Client c("127.0.0.1", client);
    c.SetTimeout(std::chrono::milliseconds(500));
    for (int i = 0; i < 200; ++i) {
      auto r = c.Request("POST", "/v3/kv/range", R"({"key":"AA=="})");
      if (r.ok() && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

struct Result {
  int code = -1;
  std::string out;
};

Result Cli(const std::string& args) {
  Result r;
  FILE* p = popen((std::string(IPLEDGER_CLI) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<api::ServerAddress> Address(const std::string& url) {
  auto a = api::ParseServerUrl(url);
  if (!a.ok()) return std::nullopt;
  return *a;
}

// GET `path` from `url`; nullopt on a transport failure.
std::optional<api::HttpResponse> Get(const std::string& url, const std::string& path) {
  auto a = Address(url);
  if (!a) return std::nullopt;
  api::Client c(a->host, a->port);
  c.SetTimeout(std::chrono::milliseconds(2000));
  auto r = c.Request("GET", path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

// Three nodes over one etcd.
class Cluster {
 public:
  bool Start(const std::string& work, int lease_ttl) {
    work_ = work;
    lease_ttl_ = lease_ttl;
    if (!etcd_.Start(work)) return false;
    Result init = Cli("init --data-dir " + work + "/n0 --origin cluster.example/ipledger");
    if (init.code != 0) {
      ADD_FAILURE() << init.out;
      return false;
    }
    for (int i = 1; i < 3; ++i) {
      std::filesystem::copy(work + "/n0", work + "/n" + std::to_string(i),
                            std::filesystem::copy_options::recursive);
    }
    for (int i = 0; i < 3; ++i) {
      nodes_.push_back(std::make_unique<testing::ServerProcess>());
      if (!StartNode(i)) return false;
    }
    return true;
  }
  bool StartNode(int i) {
    nodes_[static_cast<size_t>(i)] = std::make_unique<testing::ServerProcess>();
    const std::string n = std::to_string(i);
    const bool ok = nodes_[static_cast<size_t>(i)]->Start(
        IPLEDGERD,
        {"--data-dir", work_ + "/n" + n, "--listen", "127.0.0.1:0", "--write-quota-per-minute", "0",
         "--skip-verify", "--etcd", etcd_.url(), "--cluster", "test", "--node", "node" + n,
         "--lease-ttl", std::to_string(lease_ttl_)},
        work_ + "/n" + n + ".log." + std::to_string(++starts_));
    if (!ok) ADD_FAILURE() << "node " << i << " did not start";
    std::lock_guard l(mu_);
    urls_[static_cast<size_t>(i)] = ok ? nodes_[static_cast<size_t>(i)]->url() : "";
    return ok;
  }
  std::string Url(int i) {
    std::lock_guard l(mu_);
    return urls_[static_cast<size_t>(i)];
  }
  testing::ServerProcess& Node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  // /readyz of node i (status and JSON), nullopt if unreachable.
  std::optional<std::pair<int, json>> Ready(int i) {
    auto r = Get(Url(i), "/readyz");
    if (!r) return std::nullopt;
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return std::pair{r->status, j};
  }
  // The node that reports itself ready leader, waiting up to `limit`; -1 if none.
  int WaitForLeader(std::chrono::milliseconds limit, int other_than = -1) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      for (int i = 0; i < 3; ++i) {
        if (i == other_than) continue;
        auto r = Ready(i);
        if (r && r->first == 200 && r->second.value("role", "") == "leader") return i;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  // Waits until every node is ready with the same applied size; that size or nullopt.
  std::optional<std::uint64_t> WaitConverged(std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      std::optional<std::uint64_t> size;
      bool same = true;
      for (int i = 0; i < 3 && same; ++i) {
        auto r = Ready(i);
        if (!r || r->first != 200) {
          same = false;
          break;
        }
        const std::uint64_t applied = r->second.value("applied", std::uint64_t{0});
        if (size && *size != applied) same = false;
        size = applied;
      }
      if (same && size) return size;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }
  const std::string& work() const { return work_; }

 private:
  EtcdProcess etcd_;
  std::string work_;
  int lease_ttl_ = 2;
  int starts_ = 0;
  std::vector<std::unique_ptr<testing::ServerProcess>> nodes_;
  std::mutex mu_;
  std::string urls_[3];
};

struct Acked {
  std::uint64_t index = 0;
  std::string leaf;  // base64
};

// Writers: each thread registers firms, sending each envelope to a random node and
// following the answer until it is acknowledged (201/200) or the test stops.
class Writers {
 public:
  // Registers firms "<prefix>-<thread>-<n>".
  Writers(Cluster& cluster, const SigningKey& registry_key, std::string prefix)
      : cluster_(cluster), key_(registry_key), prefix_(std::move(prefix)) {}
  ~Writers() { Stop(); }
  void Start(int threads) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::size_t acked() {
    std::lock_guard l(mu_);
    return acked_.size();
  }
  std::map<std::string, Acked> TakeAcked() {
    std::lock_guard l(mu_);
    return acked_;
  }
  std::vector<std::string> errors() {
    std::lock_guard l(mu_);
    return errors_;
  }

 private:
  void Run(int t) {
    std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
    const std::string firm_key = Base64Encode(testing::TestKey(7).public_key());
    for (int i = 0; !stop_; ++i) {
      const std::string id = prefix_ + "-" + std::to_string(t) + "-" + std::to_string(i);
      const std::string statement =
          R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
          R"(","name":"Firm )" + id +
          R"(","role":"enterprise","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
          firm_key + R"("}]}})";
      auto complete = api::CompleteStatementJson(statement, NowMs(), "cluster-" + id);
      auto envelope = complete.ok() ? api::SignStatementJson(*complete, {{"registry/k1", &key_}})
                                    : complete.status();
      if (!envelope.ok()) return Error(id + ": " + envelope.status().ToString());
      std::string url = cluster_.Url(static_cast<int>(rng() % 3));
      while (!stop_) {
        auto a = Address(url);
        std::optional<api::HttpResponse> r;
        if (a) {
          api::Client c(a->host, a->port);
          c.SetTimeout(std::chrono::milliseconds(3000));
          auto got = c.Request("POST", "/v1/entries", *envelope);
          if (got.ok()) r = *got;
        }
        if (r && (r->status == 201 || r->status == 200)) {
          json j = json::parse(r->body, nullptr, false);
          std::lock_guard l(mu_);
          acked_[id] = {j.value("index", std::uint64_t{0}), j.value("leaf", "")};
          break;
        }
        if (r && r->status == 307 && r->headers.contains("location")) {
          const std::string loc = r->headers.at("location");
          url = loc.substr(0, loc.find("/v1/entries"));
          continue;
        }
        if (r && r->status != 503) {
          return Error(id + ": " + std::to_string(r->status) + " " + r->body);
        }
        // 503 or unreachable: the same envelope again, on some node, shortly.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        url = cluster_.Url(static_cast<int>(rng() % 3));
      }
    }
  }
  void Error(const std::string& e) {
    std::lock_guard l(mu_);
    errors_.push_back(e);
  }

  Cluster& cluster_;
  const SigningKey& key_;
  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::map<std::string, Acked> acked_;
  std::vector<std::string> errors_;
};

SigningKey RegistryKey(const std::string& dir) {
  std::string seed_line = testing::ReadFileOrDie(dir + "/registry.key");
  while (!seed_line.empty() && seed_line.back() == '\n') seed_line.pop_back();
  auto seed = Base64Decode(seed_line);
  EXPECT_TRUE(seed.has_value());
  auto key = SigningKey::FromSeed(seed.value_or(Bytes(32, 0)));
  return std::move(*key);
}

template <typename F>
bool WaitFor(F done, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The last lines of every node's logs, for failure messages.
std::string Logs(const std::string& dir) {
  std::string out;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (name.rfind("n", 0) != 0 || name.find(".log") == std::string::npos) continue;
    std::string text = testing::ReadFileOrDie(f.path().string());
    if (text.size() > 3000) text = text.substr(text.size() - 3000);
    out += "--- " + name + "\n" + text;
  }
  return out;
}

int Rounds() {
  const char* v = std::getenv("IPLEDGER_CLUSTER_ROUNDS");
  int n = 3;
  if (v != nullptr && *v != '\0') std::from_chars(v, v + std::strlen(v), n);
  return std::clamp(n, 1, 100);
}

// Every acknowledged entry is on every node at its index with its leaf; the nodes'
// checkpoints are byte-identical; returns the common size.
void CheckConverged(Cluster& cluster, const std::map<std::string, Acked>& acked) {
  auto size = cluster.WaitConverged(std::chrono::seconds(20));
  ASSERT_TRUE(size.has_value()) << "the nodes did not converge";
  std::string checkpoint;
  for (int i = 0; i < 3; ++i) {
    auto cp = Get(cluster.Url(i), "/log/checkpoint");
    ASSERT_TRUE(cp.has_value());
    if (i == 0) checkpoint = cp->body;
    EXPECT_EQ(cp->body, checkpoint) << "node " << i << "'s checkpoint differs";
  }
  for (const auto& [id, a] : acked) {
    ASSERT_LT(a.index, *size) << id;
    for (int i = 0; i < 3; ++i) {
      auto e = Get(cluster.Url(i), "/v1/entries/" + std::to_string(a.index));
      ASSERT_TRUE(e.has_value() && e->status == 200) << id << " on node " << i;
      json j = json::parse(e->body, nullptr, false);
      ASSERT_EQ(j.value("leaf", ""), a.leaf) << id << " at " << a.index << " on node " << i;
    }
  }
}

// The etcd primitives the election and the fenced commit rest on, against a real etcd.
TEST(EtcdTest, FencedPutRefusesEveryoneButTheCurrentHolder) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  EtcdProcess etcd;
  ASSERT_TRUE(etcd.Start(tmp.str()));
  // A dead member first: requests go on to the live one.
  auto e = api::Etcd::Connect({"http://127.0.0.1:" + std::to_string(FreePort()), etcd.url()},
                              std::chrono::milliseconds(1000));
  ASSERT_OK(e);
  api::Etcd& kv = **e;
  EXPECT_FALSE(api::Etcd::Connect({"ftp://x"}, std::chrono::milliseconds(1)).ok());
  EXPECT_FALSE(api::Etcd::Connect({}, std::chrono::milliseconds(1)).ok());
  const std::string leader = "/ipledger/t/leader", b0 = "/ipledger/t/batch/0",
                    b1 = "/ipledger/t/batch/1";

  auto lease_a = kv.LeaseGrant(5);
  ASSERT_OK(lease_a);
  auto won = kv.PutIfAbsent(leader, "a http://a", *lease_a);
  ASSERT_OK(won);
  ASSERT_TRUE(won->succeeded);
  auto lost = kv.PutIfAbsent(leader, "b http://b", 0);
  ASSERT_OK(lost);
  EXPECT_FALSE(lost->succeeded);
  auto held = kv.Range(leader);
  ASSERT_OK(held);
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].value, "a http://a");
  EXPECT_EQ((*held)[0].create_revision, won->revision);
  EXPECT_EQ((*held)[0].lease, *lease_a);

  // The holder commits once per key; nobody else commits.
  auto put = kv.PutIfGuarded(leader, "a http://a", won->revision, b0, std::string("\0\xff", 2));
  ASSERT_OK(put);
  EXPECT_TRUE(put->succeeded);
  put = kv.PutIfGuarded(leader, "a http://a", won->revision, b0, "again");
  ASSERT_OK(put);
  EXPECT_FALSE(put->succeeded) << "a batch key is written once";
  put = kv.PutIfGuarded(leader, "b http://b", won->revision, b1, "b");
  ASSERT_OK(put);
  EXPECT_FALSE(put->succeeded) << "another node's value";

  // The lease ends (as when the holder pauses past its TTL); the holder wins again
  // later, with the same value: its old revision no longer commits.
  auto ttl = kv.LeaseKeepAlive(*lease_a);
  ASSERT_OK(ttl);
  EXPECT_GT(*ttl, 0);
  ASSERT_OK(kv.LeaseRevoke(*lease_a));
  ttl = kv.LeaseKeepAlive(*lease_a);
  ASSERT_OK(ttl);
  EXPECT_LE(*ttl, 0);
  auto lease_b = kv.LeaseGrant(5);
  ASSERT_OK(lease_b);
  auto again = kv.PutIfAbsent(leader, "a http://a", *lease_b);
  ASSERT_OK(again);
  ASSERT_TRUE(again->succeeded);
  put = kv.PutIfGuarded(leader, "a http://a", won->revision, b1, "stale");
  ASSERT_OK(put);
  EXPECT_FALSE(put->succeeded) << "a stale creation revision";
  put = kv.PutIfGuarded(leader, "a http://a", again->revision, b1, "fresh");
  ASSERT_OK(put);
  EXPECT_TRUE(put->succeeded);

  auto batches = kv.Range("/ipledger/t/batch/", api::Etcd::PrefixEnd("/ipledger/t/batch/"));
  ASSERT_OK(batches);
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[0].value, std::string("\0\xff", 2));
  EXPECT_EQ((*batches)[1].value, "fresh");
  auto first = kv.Range("/ipledger/t/batch/", api::Etcd::PrefixEnd("/ipledger/t/batch/"), 1);
  ASSERT_OK(first);
  EXPECT_EQ(first->size(), 1u);
  auto gone = kv.DeleteIfValue(leader, "b http://b");
  ASSERT_OK(gone);
  EXPECT_FALSE(*gone);
  gone = kv.DeleteIfValue(leader, "a http://a");
  ASSERT_OK(gone);
  EXPECT_TRUE(*gone);
  auto deleted = kv.DeleteRange("/ipledger/t/", api::Etcd::PrefixEnd("/ipledger/t/"));
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(api::Etcd::PrefixEnd("a\xff"), "b");
}

TEST(ClusterTest, LeaderKilledRepeatedlyLosesNoAcknowledgedEntry) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  Cluster cluster;
  ASSERT_TRUE(cluster.Start(tmp.str(), 2));
  int leader = cluster.WaitForLeader(std::chrono::seconds(15));
  ASSERT_GE(leader, 0) << "no leader elected";
  const SigningKey key = RegistryKey(tmp.str() + "/n0");
  Writers writers(cluster, key, "firm");
  writers.Start(3);
  std::mt19937 rng(42);
  std::vector<double> failovers;
  const int rounds = Rounds();
  for (int round = 0; round < rounds; ++round) {
    // Let writes land, for a random while.
    const std::size_t before = writers.acked();
    const auto until = Clock::now() + std::chrono::milliseconds(500 + rng() % 1000);
    while (Clock::now() < until || writers.acked() < before + 5) {
      ASSERT_TRUE(writers.errors().empty()) << writers.errors().front();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    cluster.Node(leader).Stop(SIGKILL);
    const auto killed = Clock::now();
    const std::size_t acked_at_kill = writers.acked();
    const int next = cluster.WaitForLeader(std::chrono::seconds(20), leader);
    ASSERT_GE(next, 0) << "round " << round << ": no new leader";
    // Serving writes again: a write acknowledged after the kill.
    while (writers.acked() <= acked_at_kill) {
      ASSERT_LT(Clock::now() - killed, std::chrono::seconds(20)) << "no write after failover";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    failovers.push_back(std::chrono::duration<double>(Clock::now() - killed).count());
    ASSERT_TRUE(cluster.StartNode(leader)) << "round " << round;
    leader = next;
  }
  writers.Stop();
  ASSERT_TRUE(writers.errors().empty()) << writers.errors().front();
  const auto acked = writers.TakeAcked();
  std::printf("%d leader kills, %zu entries acknowledged; failover (kill to next ack):", rounds,
              acked.size());
  for (double s : failovers) std::printf(" %.2fs", s);
  std::printf("\n");
  CheckConverged(cluster, acked);
  // Every node's whole log replays into the same state.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cluster.Node(i).Stop(SIGTERM), 0) << "node " << i;
  for (int i = 0; i < 3; ++i) {
    Result v = Cli("verify --replay --data-dir " + tmp.str() + "/n" + std::to_string(i));
    EXPECT_EQ(v.code, 0) << "node " << i << ": " << v.out;
  }
}

TEST(ClusterTest, PausedLeaderIsFencedAndFollows) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  Cluster cluster;
  ASSERT_TRUE(cluster.Start(tmp.str(), 2));
  const int old = cluster.WaitForLeader(std::chrono::seconds(15));
  ASSERT_GE(old, 0);
  const SigningKey key = RegistryKey(tmp.str() + "/n0");
  {
    Writers warmup(cluster, key, "warm");
    warmup.Start(1);
    ASSERT_TRUE(WaitFor([&] { return warmup.acked() >= 3; }, std::chrono::seconds(20)))
        << Logs(tmp.str());
  }
  const std::string old_url = cluster.Url(old);
  ASSERT_EQ(::kill(cluster.Node(old).pid(), SIGSTOP), 0);
  const int next = cluster.WaitForLeader(std::chrono::seconds(15), old);
  ASSERT_GE(next, 0) << "no new leader while the old one is paused";
  // A write sent to the paused leader waits in its socket; it is handled after SIGCONT,
  // when the old leader still believes it leads: the fenced commit must refuse it.
  const std::string firm_key = Base64Encode(testing::TestKey(7).public_key());
  auto complete = api::CompleteStatementJson(
      R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":"paused","name":"Paused","role":"enterprise","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
          firm_key + R"("}]}})",
      NowMs(), "cluster-paused");
  ASSERT_OK(complete);
  auto envelope = api::SignStatementJson(*complete, {{"registry/k1", &key}});
  ASSERT_OK(envelope);
  std::optional<api::HttpResponse> to_old;
  std::jthread sender([&] {
    auto a = Address(old_url);
    api::Client c(a->host, a->port);
    c.SetTimeout(std::chrono::milliseconds(20000));
    auto r = c.Request("POST", "/v1/entries", *envelope);
    if (r.ok()) to_old = *r;
  });
  std::map<std::string, Acked> acked;
  {
    Writers writers(cluster, key, "firm");
    writers.Start(1);
    ASSERT_TRUE(WaitFor([&] { return writers.acked() >= 5; }, std::chrono::seconds(20)))
        << Logs(tmp.str());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(::kill(cluster.Node(old).pid(), SIGCONT), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    writers.Stop();
    ASSERT_TRUE(writers.errors().empty()) << writers.errors().front();
    acked = writers.TakeAcked();
  }
  sender.join();
  ASSERT_TRUE(to_old.has_value()) << "the resumed node never answered";
  std::printf("the resumed old leader answered %d: %s\n", to_old->status, to_old->body.c_str());
  EXPECT_NE(to_old->status, 201) << to_old->body;
  EXPECT_TRUE(to_old->status == 503 || to_old->status == 307) << to_old->status << to_old->body;
  auto ready = cluster.Ready(old);
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->second.value("role", ""), "follower") << ready->second.dump();
  CheckConverged(cluster, acked);
  // The refused envelope is in no node's log.
  for (int i = 0; i < 3; ++i) {
    auto p = Get(cluster.Url(i), "/v1/participants/paused");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->status, 404) << "node " << i << ": " << p->body;
  }
}

}  // namespace
}  // namespace ipledger
