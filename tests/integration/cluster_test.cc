// Cluster mode end to end (issue 17): a real etcd from Debian (one member, on free
// ports) and three real ipledgerd nodes started from copies of one `ipledger init`
// directory (cluster_harness.h).
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
// A data directory that needs its status map built is refused in cluster mode.
//
// Skipped (GTEST_SKIP) only when no etcd binary is installed (tools/deps.sh installs it).
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/cluster_harness.h"

namespace ipledger {
namespace {

using namespace cluster_testing;  // NOLINT: the harness of these tests

int Rounds() {
  const char* v = std::getenv("IPLEDGER_CLUSTER_ROUNDS");
  int n = 3;
  if (v != nullptr && *v != '\0') std::from_chars(v, v + std::strlen(v), n);
  return std::clamp(n, 1, 100);
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
  // An applied record: a plain put on a lease, overwritten in place.
  auto lease_c = kv.LeaseGrant(5);
  ASSERT_OK(lease_c);
  ASSERT_OK(kv.Put("/ipledger/t/applied/a", "7", *lease_c));
  ASSERT_OK(kv.Put("/ipledger/t/applied/a", "9", *lease_c));
  auto record = kv.Range("/ipledger/t/applied/a");
  ASSERT_OK(record);
  ASSERT_EQ(record->size(), 1u);
  EXPECT_EQ((*record)[0].value, "9");
  EXPECT_EQ((*record)[0].lease, *lease_c);
  std::int64_t revision = 0;
  auto deleted = kv.DeleteRange("/ipledger/t/", api::Etcd::PrefixEnd("/ipledger/t/"), &revision);
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 3);
  EXPECT_GT(revision, again->revision);
  // The history before the deletion is discarded, once.
  ASSERT_OK(kv.Compact(revision));
  EXPECT_FALSE(kv.Compact(revision).ok());
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

// Building the status map at open appends an entry: cluster nodes must not each do it.
TEST(ClusterTest, ADataDirectoryThatNeedsMigratingIsRefusedInClusterMode) {
#ifndef IPLEDGER_BENCH
  GTEST_SKIP() << "ipledger-bench is not built";
#else
  testing::TempDir tmp;
  const std::string d = tmp.str() + "/reg";
  ASSERT_EQ(Cli("init --data-dir " + d + " --origin cluster.example/ipledger").code, 0);
  Result fill = testing::RunShell(std::string(IPLEDGER_BENCH) + " fill --data-dir " + d +
                                  " --count 10 --kind pledge2 --status-map off");
  ASSERT_EQ(fill.code, 0) << fill.out;
  // No etcd is needed: the refusal comes at open, before the node connects.
  const std::string cluster_flags =
      " --etcd http://127.0.0.1:9 --cluster test --node node0 --skip-verify";
  Result refused = testing::RunShell("timeout 60 " + std::string(IPLEDGERD) + " --data-dir " + d +
                                     " --listen 127.0.0.1:0" + cluster_flags);
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_TRUE(testing::Contains(refused.out, "migrate it single-node first")) << refused.out;
  auto size_of = [&] {
    Result c = Cli("checkpoint --data-dir " + d);
    return c.out;
  };
  const std::string before = size_of();
  // Migrated single-node (started without --etcd, stopped), it starts as a node.
  testing::ServerProcess single;
  ASSERT_TRUE(single.Start(IPLEDGERD, {"--data-dir", d, "--listen", "127.0.0.1:0"}, d + ".log"))
      << testing::ReadOrEmpty(d + ".log");
  ASSERT_EQ(single.Stop(SIGTERM), 0);
  EXPECT_NE(size_of(), before) << "the map.root entry was appended";
  testing::ServerProcess node;
  ASSERT_TRUE(node.Start(IPLEDGERD,
                         {"--data-dir", d, "--listen", "127.0.0.1:0", "--etcd",
                          "http://127.0.0.1:9", "--cluster", "test", "--node", "node0"},
                         d + ".node.log"))
      << testing::ReadOrEmpty(d + ".node.log");
  auto ready = Get(node.url(), "/readyz");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 503) << ready->body;  // no etcd: it cannot catch up
  EXPECT_EQ(node.Stop(SIGTERM), 0);
#endif
}

}  // namespace
}  // namespace ipledger
