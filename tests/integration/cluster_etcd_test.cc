// Cluster mode and etcd's own limits (issue 17), over real etcd members and three real
// ipledgerd nodes (cluster_harness.h).
//
// Pruning: once every node has applied them, the leader deletes the batches from etcd
// (the newest stays) and compacts its history. A node stopped while the others go on,
// whose applied record has gone, finds its next batch deleted: it applies nothing and is
// not ready, saying to restore from a backup; started again from `ipledger backup` of a
// live node (taken while writes go on), it catches up.
//
// Quorum: over a 3-member etcd, losing one member changes nothing for clients; losing
// two makes writes 503 (no-quorum or no-leader, never "read-only") while every node
// serves reads; with the members back, writes resume and every acknowledged entry is on
// every node.
//
// Skipped (GTEST_SKIP) only when no etcd binary is installed (tools/deps.sh installs it).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/cluster_harness.h"

namespace ipledger {
namespace {

using namespace cluster_testing;  // NOLINT: the harness of these tests

TEST(ClusterTest, AppliedBatchesAreDeletedAndANodeLeftBehindIsRestoredFromABackup) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  const std::string w = tmp.str();
  Cluster cluster;
  // Batches go 6 s after their commit: the restore below starts within that of its backup.
  cluster.AddNodeArgs({"--prune-interval", "200ms", "--retain", "6s"});
  ASSERT_TRUE(cluster.Start(w, 2));
  const int leader = cluster.WaitForLeader(std::chrono::seconds(15));
  ASSERT_GE(leader, 0) << "no leader elected";
  // Cosigned checkpoints are the leader's alone: a follower sends the reader there.
  const int follower = (leader + 1) % 3;
  auto cosigned = Get(cluster.Url(follower), "/v1/checkpoints/cosigned");
  ASSERT_TRUE(cosigned.has_value());
  EXPECT_EQ(cosigned->status, 307) << cosigned->body;
  EXPECT_EQ(cosigned->headers["location"], cluster.Url(leader) + "/v1/checkpoints/cosigned");
  cosigned = Get(cluster.Url(leader), "/v1/checkpoints/cosigned");
  ASSERT_TRUE(cosigned.has_value());
  EXPECT_EQ(cosigned->status, 404) << "no witness policy: nothing cosigned yet";
  auto etcd = api::Etcd::Connect({cluster.etcd_url()}, std::chrono::milliseconds(2000));
  ASSERT_OK(etcd);
  const SigningKey key = RegistryKey(w + "/n0");
  std::map<std::string, Acked> acked;
  auto write = [&](const std::string& prefix, std::size_t n) {
    WriteAcked(cluster, key, prefix, n, w, &acked);
  };
  write("a", 20);
  const auto size = cluster.WaitConverged(std::chrono::seconds(20));
  ASSERT_TRUE(size.has_value()) << Logs(w);
  // Every node applied everything: only the newest batch is left, and every node's
  // applied record holds its size on a lease of its own.
  std::vector<std::uint64_t> firsts;
  EXPECT_TRUE(WaitFor(
      [&] {
        firsts = BatchFirsts(**etcd);
        return firsts.size() == 1;
      },
      std::chrono::seconds(15)))
      << firsts.size() << " batches left";
  ASSERT_FALSE(firsts.empty());
  EXPECT_LT(firsts.front(), *size);
  auto records =
      (*etcd)->Range("/ipledger/test/applied/", api::Etcd::PrefixEnd("/ipledger/test/applied/"));
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 3u);
  std::set<std::int64_t> leases;
  for (const auto& r : *records) {
    EXPECT_EQ(r.value, std::to_string(*size)) << r.key;
    leases.insert(r.lease);
  }
  EXPECT_EQ(leases.size(), 3u);
  EXPECT_FALSE(leases.contains(0));

  // Node 2 stops; its record's lease ends (as applied_ttl after it stopped), and the
  // others go on: the batches it would need next are deleted.
  ASSERT_EQ(cluster.Node(2).Stop(SIGTERM), 0);
  auto mine = (*etcd)->Range("/ipledger/test/applied/node2");
  ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 1u);
  ASSERT_OK((*etcd)->LeaseRevoke(mine->front().lease));
  write("b", 20);
  ASSERT_TRUE(WaitFor(
      [&] {
        firsts = BatchFirsts(**etcd);
        return !firsts.empty() && firsts.front() > *size;
      },
      std::chrono::seconds(15)))
      << "the batches node 2 needs were not deleted";

  // Restarted as it was, it must not guess: it applies nothing and says why.
  ASSERT_TRUE(cluster.StartNode(2));
  std::optional<std::pair<int, json>> ready;
  EXPECT_TRUE(WaitFor(
      [&] {
        ready = cluster.Ready(2);
        return ready && testing::Contains(ready->second.value("reason", ""),
                                          "behind the retained batches: restore from a backup");
      },
      std::chrono::seconds(15)))
      << (ready ? ready->second.dump() : "unreachable");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->first, 503);
  EXPECT_EQ(ready->second.value("applied", std::uint64_t{0}), *size);
  ASSERT_EQ(cluster.Node(2).Stop(SIGTERM), 0);

  // The documented procedure: an online backup of a live node, taken while writes go
  // on, replaces node 2's directory; started from it, node 2 catches up from etcd.
  {
    Writers during(cluster, key, "c");
    during.Start(1);
    ASSERT_TRUE(WaitFor([&] { return during.acked() >= 2; }, std::chrono::seconds(20)));
    Result backup = Cli("backup --data-dir " + w + "/n0 --out " + w + "/restore");
    ASSERT_EQ(backup.code, 0) << backup.out;
    during.Stop();
    ASSERT_TRUE(during.errors().empty()) << during.errors().front();
    for (auto& [id, a] : during.TakeAcked()) acked[id] = a;
  }
  std::filesystem::remove_all(w + "/n2");
  std::filesystem::rename(w + "/restore", w + "/n2");
  ASSERT_TRUE(cluster.StartNode(2));
  CheckConverged(cluster, acked);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cluster.Node(i).Stop(SIGTERM), 0) << "node " << i;
  Result v = Cli("verify --replay --data-dir " + w + "/n2");
  EXPECT_EQ(v.code, 0) << v.out;
}

// The index of the etcd member that is raft leader (from /v3/maintenance/status), or -1.
int EtcdRaftLeader(Cluster& cluster, int members) {
  for (int k = 0; k < members; ++k) {
    auto a = Address(cluster.etcd_member(k).url());
    if (!a) continue;
    api::Client c(a->host, a->port);
    c.SetTimeout(std::chrono::milliseconds(1000));
    auto r = c.Request("POST", "/v3/maintenance/status", "{}");
    if (!r.ok() || r->status != 200) continue;
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string id = j.contains("header") ? j["header"].value("member_id", "") : "";
    if (!id.empty() && id == j.value("leader", "")) return k;
  }
  return -1;
}

TEST(ClusterTest, LosingEtcdQuorumPausesWritesButNotReadsAndLosesNothing) {
  if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
  testing::TempDir tmp;
  const std::string w = tmp.str();
  Cluster cluster;
  ASSERT_TRUE(cluster.Start(w, 2, 3)) << "a 3-member etcd and 3 nodes did not start";
  const int leader = cluster.WaitForLeader(std::chrono::seconds(20));
  ASSERT_GE(leader, 0) << Logs(w);
  const SigningKey key = RegistryKey(w + "/n0");
  std::map<std::string, Acked> acked;
  auto write = [&](const std::string& prefix, std::size_t n) {
    WriteAcked(cluster, key, prefix, n, w, &acked);
  };
  write("a", 5);

  // One member of three down (not etcd's raft leader, whose loss costs an etcd
  // election first): the same leader goes on acknowledging, at once.
  const int raft_leader = EtcdRaftLeader(cluster, 3);
  ASSERT_GE(raft_leader, 0);
  const int down1 = (raft_leader + 1) % 3, down2 = (raft_leader + 2) % 3;
  cluster.etcd_member(down1).Kill();
  const auto one_down = Clock::now();
  auto first = PostFollowing(cluster.Url(leader), FirmEnvelope(key, "one-down"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 201) << first->body;
  EXPECT_LT(Clock::now() - one_down, std::chrono::seconds(2));
  write("b", 5);
  EXPECT_EQ(cluster.WaitForLeader(std::chrono::seconds(5)), leader);

  // Two down: writes are refused 503 saying why; reads go on on every node.
  cluster.etcd_member(down2).Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::set<std::string> types;
  const auto until = Clock::now() + std::chrono::seconds(4);
  for (int i = 0; Clock::now() < until; ++i) {
    auto r = PostFollowing(cluster.Url(i % 3), FirmEnvelope(key, "no-quorum-" + std::to_string(i)));
    ASSERT_TRUE(r.has_value()) << "node " << i % 3 << " unreachable";
    ASSERT_EQ(r->status, 503) << r->body;
    json j = json::parse(r->body, nullptr, false);
    const std::string type = j.value("type", "");
    types.insert(type);
    EXPECT_TRUE(type == "urn:ipledger:problem:no-quorum" ||
                type == "urn:ipledger:problem:no-leader")
        << r->body;
    EXPECT_FALSE(testing::Contains(j.value("title", ""), "read-only")) << r->body;
    EXPECT_TRUE(r->headers.contains("retry-after")) << r->body;
  }
  EXPECT_TRUE(types.contains("urn:ipledger:problem:no-quorum"));
  for (int i = 0; i < 3; ++i) {
    auto cp = Get(cluster.Url(i), "/log/checkpoint");
    ASSERT_TRUE(cp.has_value());
    EXPECT_EQ(cp->status, 200) << "node " << i;
    auto e = Get(cluster.Url(i), "/v1/entries/" + std::to_string(acked.begin()->second.index));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->status, 200) << "node " << i;
  }

  // etcd back: writes resume, and everything acknowledged is on every node.
  ASSERT_TRUE(cluster.etcd_member(down1).Launch());
  ASSERT_TRUE(cluster.etcd_member(down2).Launch());
  const auto back = Clock::now();
  write("c", 3);
  std::printf("writes resumed %.2fs after etcd's quorum came back\n",
              std::chrono::duration<double>(Clock::now() - back).count());
  CheckConverged(cluster, acked);
}

}  // namespace
}  // namespace ipledger
