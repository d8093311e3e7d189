// Witnesses in cluster mode (issue 17, item 5): cosignatures are requested by the leader
// only. Two real `ipledger witness` processes and a policy needing both are given to all
// three nodes; only the leader runs cosigning rounds (its log has "cosigned" lines, the
// followers' logs have no cosigning line at all, met or missed) and serves a cosigned
// checkpoint covering what was written. After the leader is SIGKILLed, the new leader
// takes over the rounds and the witnesses cosign the sizes written since; the restarted
// old leader, now a follower, stays idle.
//
// Skipped (GTEST_SKIP) only when no etcd binary is installed (tools/deps.sh installs it).
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/cluster_harness.h"

namespace ipledger {
namespace {

using namespace cluster_testing;  // NOLINT: the harness of these tests

// Every log of node i (one file per start), concatenated.
std::string NodeLogs(const std::string& dir, int i) {
  std::string out;
  const std::string prefix = "n" + std::to_string(i) + ".log.";
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().filename().string().rfind(prefix, 0) == 0) {
      out += testing::ReadFileOrDie(f.path().string());
    }
  }
  return out;
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The size of node `url`'s cosigned checkpoint (its note's second line), if it serves one.
std::optional<std::uint64_t> CosignedSize(const std::string& url) {
  auto r = Get(url, "/v1/checkpoints/cosigned");
  if (!r || r->status != 200) return std::nullopt;
  const auto first = r->body.find('\n');
  if (first == std::string::npos) return std::nullopt;
  const auto second = r->body.find('\n', first + 1);
  if (second == std::string::npos) return std::nullopt;
  std::uint64_t size = 0;
  const char* begin = r->body.data() + first + 1;
  const char* end = r->body.data() + second;
  if (std::from_chars(begin, end, size).ptr != end) return std::nullopt;
  return size;
}

constexpr const char* kCosignLine = "\"event\":\"cosign";  // cosigned and cosign-quorum-missed

TEST(ClusterTest, OnlyTheLeaderAsksWitnessesAndANewLeaderTakesOver) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  const std::string w = tmp.str();
  const std::string policy = w + "/policy.txt";
  std::map<std::string, std::unique_ptr<testing::ServerProcess>> witnesses;
  Cluster cluster;
  cluster.AddNodeArgs(
      {"--witness-policy", policy, "--witness-interval", "200ms", "--witness-timeout", "1s"});
  cluster.BeforeNodes([&] {
    std::string text;
    for (const char* name : {"bank", "regulator"}) {
      auto p = std::make_unique<testing::ServerProcess>();
      if (!p->Start(IPLEDGER_CLI,
                    {"witness", "--data-dir", w + "/" + name, "--listen", "127.0.0.1:0", "--name",
                     std::string("witness.") + name + ".example", "--log-vkey", w + "/n0/log.vkey"},
                    w + "/" + name + ".log")) {
        ADD_FAILURE() << "witness " << name << " did not start";
        return false;
      }
      std::string vkey = testing::ReadFileOrDie(w + "/" + name + "/witness.vkey");
      while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == ' ')) vkey.pop_back();
      text += std::string("witness ") + name + " " + vkey + " " + p->url() + "\n";
      witnesses[name] = std::move(p);
    }
    text += "group both all bank regulator\nquorum both\n";
    std::ofstream(policy) << text;
    return true;
  });
  ASSERT_TRUE(cluster.Start(w, 2));
  const int leader = cluster.WaitForLeader(std::chrono::seconds(15));
  ASSERT_GE(leader, 0) << "no leader elected" << Logs(w);
  const SigningKey key = RegistryKey(w + "/n0");
  std::map<std::string, Acked> acked;
  WriteAcked(cluster, key, "a", 10, w, &acked);
  auto size = cluster.WaitConverged(std::chrono::seconds(15));
  ASSERT_TRUE(size.has_value()) << Logs(w);
  // The leader gets both witnesses' cosignatures on what was written.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto c = CosignedSize(cluster.Url(leader));
        return c && *c >= *size;
      },
      std::chrono::seconds(10)))
      << NodeLogs(w, leader);
  EXPECT_TRUE(Has(NodeLogs(w, leader), "\"event\":\"cosigned\""));
  // The followers never ran a round: no line of a round, met or missed.
  for (int i = 0; i < 3; ++i) {
    if (i == leader) continue;
    EXPECT_FALSE(Has(NodeLogs(w, i), kCosignLine)) << "follower " << i << ":\n" << NodeLogs(w, i);
  }

  // Failover: the new leader takes the rounds over from the witnesses' last sizes.
  cluster.Node(leader).Stop(SIGKILL);
  const int next = cluster.WaitForLeader(std::chrono::seconds(15), leader);
  ASSERT_GE(next, 0) << "no new leader" << Logs(w);
  {
    // It ran no round before it led. (Not "none at all": by the time WaitForLeader sees
    // it lead, its first round may already have started, on a loaded machine.)
    const std::string log = NodeLogs(w, next);
    const auto leading = log.find("cluster: leading");
    ASSERT_NE(leading, std::string::npos) << log;
    ASSERT_FALSE(Has(log.substr(0, leading), kCosignLine)) << "cosigned while following";
  }
  ASSERT_TRUE(cluster.StartNode(leader));  // the old leader comes back as a follower
  WriteAcked(cluster, key, "b", 10, w, &acked);
  size = cluster.WaitConverged(std::chrono::seconds(15));
  ASSERT_TRUE(size.has_value()) << Logs(w);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto c = CosignedSize(cluster.Url(next));
        return c && *c >= *size;
      },
      std::chrono::seconds(10)))
      << NodeLogs(w, next);
  const int third = 3 - leader - next;
  EXPECT_FALSE(Has(NodeLogs(w, third), kCosignLine)) << NodeLogs(w, third);
  // The old leader's second life, as a follower, requested nothing.
  const std::string second_life =
      testing::ReadFileOrDie(w + "/n" + std::to_string(leader) + ".log.4");
  EXPECT_FALSE(Has(second_life, kCosignLine)) << second_life;
  CheckConverged(cluster, acked);
}

}  // namespace
}  // namespace ipledger
