// A cluster node in process (api/cluster/node.h) over a real single-member etcd, with
// its registry on a RocksDB file system that fails on demand (tests/testing/fault_fs.h):
// a leader whose own write fails after etcd committed the batch must not keep the
// lease, or every bank's writes would stay at 503 until someone restarted it. It steps
// down (its leader key goes, so another node can lead), stops following and says why.
//
// Also: a node's own leader key left from a previous run names no leader (it would
// send writes to itself), and the serializable range the nodes' polls use.
//
// Skipped (GTEST_SKIP) only when no etcd binary is installed (tools/deps.sh installs it).
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/cluster/etcd.h"
#include "api/cluster/node.h"
#include "api/codec/submission_codec.h"
#include "tests/integration/cluster_harness.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using namespace cluster_testing;  // NOLINT: the harness of these tests

// Each test gets its own single-member etcd and a client of it.
class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kEtcd, X_OK) != 0) GTEST_SKIP() << "etcd is not installed (tools/deps.sh)";
    ASSERT_TRUE(etcd_.Start(tmp_.str()));
    auto c = api::Etcd::Connect({etcd_.url()}, std::chrono::milliseconds(2000));
    ASSERT_OK(c);
    client_ = std::move(*c);
  }
  // Node n1 of cluster "t", advertising http://127.0.0.1:1.
  api::ClusterOptions Options(int lease_ttl_seconds) const {
    api::ClusterOptions o;
    o.etcd = {etcd_.url()};
    o.cluster = "t";
    o.node = "n1";
    o.advertise = "http://127.0.0.1:1";
    o.lease_ttl_seconds = lease_ttl_seconds;
    o.decode = api::DecodeSubmission;
    return o;
  }

  testing::TempDir tmp_;
  EtcdProcess etcd_;
  std::unique_ptr<api::Etcd> client_;
};

TEST_F(ClusterNodeTest, ALeaderWhoseLedgerTurnsReadOnlyStepsDownAndStopsFollowing) {
  testing::FaultFileSystem faults;
  testing::RegistryFixture f(DateFromCivil(2026, 6, 1), faults.env());
  auto node = api::ClusterNode::Start(f.registry(), Options(2));
  ASSERT_OK(node);
  ASSERT_TRUE(WaitFor([&] { return (*node)->state().leader; }, std::chrono::seconds(10)));
  const std::uint64_t before = f.registry().ledger().size();

  ParticipantRegister b;
  b.id = "bank-a";
  b.name = "Bank A";
  b.role = Role::kBank;
  b.region_code = "330802";
  b.keys = {{"k1", f.KeyOf("bank-a").public_key()}};
  faults.Fail(testing::FaultFileSystem::kSync);
  const Submission s = f.Sign(f.Make("registry", b), {"registry"});
  auto out = f.registry().Submit({&s, 1});
  EXPECT_EQ(out.status().code(), ErrorCode::kUnavailable);
  EXPECT_GT(faults.injected(), 0);
  EXPECT_TRUE(f.registry().ledger().read_only());
  EXPECT_EQ(f.registry().ledger().size(), before);

  // It gives up the lead and applies nothing more, saying why.
  api::ClusterState st;
  EXPECT_TRUE(WaitFor(
      [&] {
        st = (*node)->state();
        return !st.leader && !st.error.empty();
      },
      std::chrono::seconds(10)))
      << "leader " << st.leader << ", error '" << st.error << "'";
  EXPECT_NE(st.error.find("read-only"), std::string::npos) << st.error;
  // The leader key is gone from etcd at once (its lease revoked), not after the TTL, and
  // the node does not campaign again.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto leader = client_->Range("/ipledger/t/leader");
  ASSERT_OK(leader);
  EXPECT_TRUE(leader->empty());
  EXPECT_FALSE((*node)->state().leader);
  // The batch etcd committed before the local write failed stays there for the next
  // leader (or this node, restarted) to apply: nothing acknowledged-or-not is lost.
  auto batches = client_->Range("/ipledger/t/batch/", api::Etcd::PrefixEnd("/ipledger/t/batch/"));
  ASSERT_OK(batches);
  EXPECT_EQ(batches->size(), 1u);
  (*node)->Stop();
  faults.Heal();
}

TEST_F(ClusterNodeTest, ItsOwnLeftoverLeaderKeyNamesNoLeaderUntilItsLeaseEnds) {
  // A node restarted while the leader key of its previous run still lives (killed, its
  // lease not yet expired) must not take that key for a leader elsewhere: it would
  // answer every write with a 307 to itself. It knows no leader until the lease ends,
  // then wins the election.
  auto lease = client_->LeaseGrant(15);  // far longer than the test needs it
  ASSERT_OK(lease);
  auto put = client_->PutIfAbsent("/ipledger/t/leader", "n1 http://127.0.0.1:1", *lease);
  ASSERT_OK(put);
  ASSERT_TRUE(put->succeeded);

  testing::RegistryFixture f(DateFromCivil(2026, 6, 1));
  auto node = api::ClusterNode::Start(f.registry(), Options(3));
  ASSERT_OK(node);
  ASSERT_TRUE(WaitFor([&] { return (*node)->state().caught_up; }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several polls
  api::ClusterState st = (*node)->state();
  EXPECT_FALSE(st.leader);
  EXPECT_EQ(st.leader_url, "");
  // Another node's key is a leader, though (the serializable look sees it).
  auto other = client_->LeaseGrant(30);
  ASSERT_OK(other);
  // Overwritten in one write, so that the key never goes missing in between.
  ASSERT_OK(client_->Put("/ipledger/t/leader", "n2 http://127.0.0.1:2", *other));
  ASSERT_OK(client_->LeaseRevoke(*lease));
  EXPECT_TRUE(WaitFor([&] { return (*node)->state().leader_url == "http://127.0.0.1:2"; },
                      std::chrono::seconds(5)))
      << (*node)->state().leader_url;
  EXPECT_FALSE((*node)->state().leader);
  // Once that key is gone, this node campaigns and leads.
  ASSERT_OK(client_->LeaseRevoke(*other));
  EXPECT_TRUE(WaitFor([&] { return (*node)->state().leader; }, std::chrono::seconds(10)));
  (*node)->Stop();
}

TEST_F(ClusterNodeTest, SerializableRangeReadsWhatWasCommitted) {
  // Followers poll with serializable ranges: etcd must accept the request and answer
  // the committed keys, in key order, within the limit, like a linearizable read.
  for (const char* k : {"/s/b", "/s/a", "/s/c"}) {
    ASSERT_OK(client_->Put(k, std::string("v") + k, 0));
  }
  const std::string end = api::Etcd::PrefixEnd("/s/");
  auto lin = client_->Range("/s/", end, 2);
  auto ser = client_->Range("/s/", end, 2, api::Etcd::Read::kSerializable);
  ASSERT_OK(lin);
  ASSERT_OK(ser);
  ASSERT_EQ(ser->size(), 2u);
  EXPECT_EQ((*ser)[0].key, "/s/a");
  EXPECT_EQ((*ser)[0].value, "v/s/a");
  EXPECT_EQ((*ser)[1].key, "/s/b");
  for (size_t i = 0; i < ser->size(); ++i) {
    EXPECT_EQ((*ser)[i].key, (*lin)[i].key);
    EXPECT_EQ((*ser)[i].mod_revision, (*lin)[i].mod_revision);
  }
  auto one = client_->Range("/s/c", {}, 0, api::Etcd::Read::kSerializable);
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].value, "v/s/c");
  auto none = client_->Range("/s/d", {}, 0, api::Etcd::Read::kSerializable);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace ipledger
