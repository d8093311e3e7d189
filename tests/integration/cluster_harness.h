// The harness of the cluster tests (cluster_test.cc, cluster_etcd_test.cc): real etcd
// members from Debian on free ports (killed with the test process), three real ipledgerd
// nodes started from copies of one `ipledger init` directory, writer threads that
// submit real signed envelopes to every node, and the checks of convergence.
//
// Test-only. Cluster, Writers: their methods may be called from the test thread and,
// for Cluster::Url and Writers' counters, from any thread; EtcdProcess is
// thread-compatible.
#pragma once

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
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
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
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger::cluster_testing {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kEtcd = "/usr/bin/etcd";

inline std::uint16_t FreePort() {
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

// One etcd member, killed at the end.
class EtcdProcess {
 public:
  ~EtcdProcess() { Kill(); }
  // A single-member etcd on free ports, ready when this returns true.
  bool Start(const std::string& dir) {
    const std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
    Configure(dir, "e0", FreePort(), peer, "e0=" + peer);
    return Launch() && WaitReady(std::chrono::seconds(10));
  }
  // Member `name` of the etcd cluster `initial` ("e0=PEER_URL,..."), not started yet.
  void Configure(const std::string& dir, const std::string& name, std::uint16_t client_port,
                 const std::string& peer_url, const std::string& initial) {
    url_ = "http://127.0.0.1:" + std::to_string(client_port);
    args_ = {kEtcd,
             "--name",
             name,
             "--data-dir",
             dir + "/etcd-" + name,
             "--listen-client-urls",
             url_,
             "--advertise-client-urls",
             url_,
             "--listen-peer-urls",
             peer_url,
             "--initial-advertise-peer-urls",
             peer_url,
             "--initial-cluster",
             initial};
    log_ = dir + "/etcd-" + name + ".log";
  }
  // Starts (or restarts, on its data) the member.
  bool Launch() {
    Kill();
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    // fork + exec rather than posix_spawn: the member dies with the test process, even
    // when a timeout kills the test before its destructors run.
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execv(kEtcd, argv.data());
      ::_exit(127);
    }
    return true;
  }
  // Until the member answers a (linearizable) read: it is part of a quorum.
  bool WaitReady(std::chrono::milliseconds limit) {
    auto a = api::ParseServerUrl(url_);
    if (!a.ok()) return false;
    api::Client c(a->host, a->port);
    c.SetTimeout(std::chrono::milliseconds(500));
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      auto r = c.Request("POST", "/v3/kv/range", R"({"key":"AA=="})");
      if (r.ok() && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
  std::vector<std::string> args_;
  std::string log_;
};

using Result = testing::ShellResult;

// The CLI with stderr merged into `out`.
inline Result Cli(const std::string& args) {
  return testing::RunShell(std::string(IPLEDGER_CLI) + " " + args);
}

inline std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::optional<api::ServerAddress> Address(const std::string& url) {
  auto a = api::ParseServerUrl(url);
  if (!a.ok()) return std::nullopt;
  return *a;
}

// GET `path` from `url`; nullopt on a transport failure.
inline std::optional<api::HttpResponse> Get(const std::string& url, const std::string& path) {
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
  // Arguments every node gets besides the usual ones (before Start).
  void AddNodeArgs(std::vector<std::string> args) {
    extra_.insert(extra_.end(), args.begin(), args.end());
  }
  // Runs after `ipledger init` (in WORK/n0) and before the nodes start, e.g. to start
  // witnesses that need the log's vkey and write the policy the nodes are given.
  void BeforeNodes(std::function<bool()> f) { before_nodes_ = std::move(f); }
  // Three nodes over an etcd of `members` members (1 or 3).
  bool Start(const std::string& work, int lease_ttl, int members = 1) {
    work_ = work;
    lease_ttl_ = lease_ttl;
    if (members == 1) {
      etcd_.push_back(std::make_unique<EtcdProcess>());
      if (!etcd_[0]->Start(work)) return false;
    } else {
      std::string initial;
      std::vector<std::string> peers;
      for (int k = 0; k < members; ++k) {
        peers.push_back("http://127.0.0.1:" + std::to_string(FreePort()));
        initial += (k ? "," : "") + ("e" + std::to_string(k)) + "=" + peers.back();
      }
      for (int k = 0; k < members; ++k) {
        etcd_.push_back(std::make_unique<EtcdProcess>());
        etcd_.back()->Configure(work, "e" + std::to_string(k), FreePort(),
                                peers[static_cast<size_t>(k)], initial);
        if (!etcd_.back()->Launch()) return false;
      }
      for (auto& e : etcd_) {
        if (!e->WaitReady(std::chrono::seconds(20))) return false;
      }
    }
    for (auto& e : etcd_) etcd_urls_ += (etcd_urls_.empty() ? "" : ",") + e->url();
    Result init = Cli("init --data-dir " + work + "/n0 --origin cluster.example/ipledger");
    if (init.code != 0) {
      ADD_FAILURE() << init.out;
      return false;
    }
    for (int i = 1; i < 3; ++i) {
      std::filesystem::copy(work + "/n0", work + "/n" + std::to_string(i),
                            std::filesystem::copy_options::recursive);
    }
    if (before_nodes_ && !before_nodes_()) return false;
    for (int i = 0; i < 3; ++i) {
      nodes_.push_back(std::make_unique<testing::ServerProcess>());
      if (!StartNode(i)) return false;
    }
    return true;
  }
  bool StartNode(int i) {
    nodes_[static_cast<size_t>(i)] = std::make_unique<testing::ServerProcess>();
    const std::string n = std::to_string(i);
    std::vector<std::string> args = {
        "--data-dir", work_ + "/n" + n, "--listen", "127.0.0.1:0", "--write-quota-per-minute",
        "0",          "--skip-verify",  "--etcd",   etcd_urls_,    "--cluster",
        "test",       "--node",         "node" + n, "--lease-ttl", std::to_string(lease_ttl_)};
    args.insert(args.end(), extra_.begin(), extra_.end());
    const bool ok = nodes_[static_cast<size_t>(i)]->Start(
        IPLEDGERD, std::move(args), work_ + "/n" + n + ".log." + std::to_string(++starts_));
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
  const std::string& etcd_url() const { return etcd_urls_; }
  EtcdProcess& etcd_member(int k) { return *etcd_[static_cast<size_t>(k)]; }

 private:
  std::vector<std::unique_ptr<EtcdProcess>> etcd_;
  std::string etcd_urls_;
  std::string work_;
  int lease_ttl_ = 2;
  int starts_ = 0;
  std::vector<std::string> extra_;
  std::function<bool()> before_nodes_;
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

inline SigningKey RegistryKey(const std::string& dir) {
  std::string seed_line = testing::ReadFileOrDie(dir + "/registry.key");
  while (!seed_line.empty() && seed_line.back() == '\n') seed_line.pop_back();
  auto seed = Base64Decode(seed_line);
  EXPECT_TRUE(seed.has_value());
  auto key = SigningKey::FromSeed(seed.value_or(Bytes(32, 0)));
  return std::move(*key);
}

template <typename F>
inline bool WaitFor(F done, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The last lines of every node's logs, for failure messages.
inline std::string Logs(const std::string& dir) {
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

// Two writer threads register firms "<prefix>-..." until at least `n` are acknowledged
// (30 s at most), with no error; adds what was acknowledged to `acked`.
inline void WriteAcked(Cluster& cluster, const SigningKey& key, const std::string& prefix,
                       std::size_t n, const std::string& dir, std::map<std::string, Acked>* acked) {
  Writers writers(cluster, key, prefix);
  writers.Start(2);
  ASSERT_TRUE(WaitFor([&] { return writers.acked() >= n; }, std::chrono::seconds(30))) << Logs(dir);
  writers.Stop();
  ASSERT_TRUE(writers.errors().empty()) << writers.errors().front();
  for (auto& [id, a] : writers.TakeAcked()) (*acked)[id] = a;
}

// Every acknowledged entry is on every node at its index with its leaf; the nodes'
// checkpoints are byte-identical; returns the common size.
inline void CheckConverged(Cluster& cluster, const std::map<std::string, Acked>& acked) {
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

// The batch keys etcd holds for cluster "test", as first indexes in key order.
inline std::vector<std::uint64_t> BatchFirsts(api::Etcd& etcd) {
  const std::string prefix = "/ipledger/test/batch/";
  auto kvs = etcd.Range(prefix, api::Etcd::PrefixEnd(prefix));
  std::vector<std::uint64_t> out;
  if (!kvs.ok()) return out;
  for (const auto& kv : *kvs) out.push_back(std::stoull(kv.key.substr(prefix.size())));
  return out;
}

// A signed registration of firm `id` (a new entry each time).
inline std::string FirmEnvelope(const SigningKey& key, const std::string& id) {
  const std::string firm_key = Base64Encode(testing::TestKey(7).public_key());
  auto complete = api::CompleteStatementJson(
      R"({"v":1,"type":"participant.register","submitter":"registry","body":{"id":")" + id +
          R"(","name":"Firm )" + id +
          R"(","role":"enterprise","region_code":"330802","keys":[{"label":"k1","ed25519":")" +
          firm_key + R"("}]}})",
      NowMs(), "cluster-" + id);
  auto envelope = complete.ok() ? api::SignStatementJson(*complete, {{"registry/k1", &key}})
                                : complete.status();
  return envelope.ok() ? *envelope : "";
}

// POSTs `envelope` to `url`, following up to three 307s; nullopt if unreachable.
inline std::optional<api::HttpResponse> PostFollowing(std::string url,
                                                      const std::string& envelope) {
  for (int hop = 0; hop < 4; ++hop) {
    auto a = Address(url);
    if (!a) return std::nullopt;
    api::Client c(a->host, a->port);
    c.SetTimeout(std::chrono::milliseconds(5000));
    auto r = c.Request("POST", "/v1/entries", envelope);
    if (!r.ok()) return std::nullopt;
    if (r->status != 307 || !r->headers.contains("location")) return *r;
    const std::string loc = r->headers.at("location");
    url = loc.substr(0, loc.find("/v1/entries"));
  }
  return std::nullopt;
}

}  // namespace ipledger::cluster_testing
