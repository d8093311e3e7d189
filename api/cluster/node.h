// ClusterNode: one ipledgerd of a cluster whose nodes share their batches through etcd.
//
// Keys (NAME = the cluster's name):
//   /ipledger/NAME/leader              "<node id> <advertise URL>", on the leader's lease
//   /ipledger/NAME/batch/<20 digits>   a batch (ledger/registry/journal.h) by first index
//   /ipledger/NAME/applied/<node id>   the node's tree size (decimal), on the node's own
//                                      lease (applied_ttl): gone once the node is away
//
// Every node campaigns: it grants itself a lease (lease_ttl) and creates the leader key
// with it only if the key does not exist (create_revision == 0). The winner first
// applies every batch in etcd it has not applied, then leads: it keeps its lease alive
// and is the registry's BatchJournal, whose Commit writes the batch only while the
// leader key still holds its own value and the creation revision it won with, and only
// if no batch starts at that index yet (the fenced commit). A commit that fails or whose
// outcome is unknown, or a keepalive that fails for a lease's TTL, makes the node step
// down: it stops sequencing at once and follows, applying from etcd whatever was
// committed (its own last batch included, if etcd did commit it), so it never holds a
// batch etcd does not. Followers poll etcd for the batch that starts at their size and
// apply it (Registry::ApplyBatch); a batch that does not reproduce the leader's tree
// stops the follower (not ready), never a divergent log. A node whose own write fails
// (its ledger is read-only until a restart) steps down if it leads and stops following:
// a leader that kept its lease could append nothing, and nobody else could either.
//
// etcd stays small: every node publishes its applied size; every prune_interval the
// leader deletes, in one range delete, the batches below the smallest size a live node
// published that were committed (as far as this node saw) at least `retain` ago, never
// the newest batch, then compacts etcd's history at that revision. A node whose next
// batch is gone (it was away longer than applied_ttl) stops following with
// kBehindRetained in its error: it must be restored from a backup of a live node
// (`ipledger backup`) taken less than `retain` before it starts again, and catches up
// from etcd from there. Because the newest batch is always kept, a node behind always
// sees a gap, never an empty etcd it might mistake for being caught up.
//
// Thread-safety: state() and Commit may be called from any thread; Start/Stop from one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/cluster/etcd.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/registry/journal.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/replay.h"

namespace ipledger::api {

struct ClusterOptions {
  std::vector<std::string> etcd;  // "http://HOST:PORT" of the etcd members
  std::string cluster;            // NAME in the keys above
  std::string node;               // this node's id (unique in the cluster)
  std::string advertise;          // the URL clients reach this node at
  // The leader's lease. Failover takes at most about this plus one poll. Default: 3 s.
  std::int64_t lease_ttl_seconds = 3;
  // How often followers look for new batches and campaign. Default: 50 ms.
  std::chrono::milliseconds poll{50};
  // Bounds each etcd request. Default: 1 s.
  std::chrono::milliseconds etcd_timeout{1000};
  // The lease of this node's applied record: how long after the node stops (or loses
  // etcd) its record, and so the batches it still needs, are kept. Default: 30 s.
  std::int64_t applied_ttl_seconds = 30;
  // How often the leader deletes the batches every live node has applied and compacts
  // etcd's history. Zero: never (etcd keeps every batch). Default: 10 s.
  std::chrono::milliseconds prune_interval{10000};
  // How long a batch stays in etcd at least after it was committed: a node restored from
  // a backup must start within this of the backup. Default: 10 minutes.
  std::chrono::milliseconds retain{600000};
  // Decodes a batch's envelopes (api::DecodeSubmission).
  SubmissionDecoder decode;
};

// The start of a node's error when the batch it needs next was deleted from etcd.
inline constexpr std::string_view kBehindRetained =
    "behind the retained batches: restore from a backup";

struct ClusterState {
  bool leader = false;
  std::string leader_url;         // the leader's advertise URL, when known
  std::uint64_t applied = 0;      // this node's tree size
  bool caught_up = false;         // applied everything etcd had at the last look that reached it
  std::string error;              // why this node stopped following, if it did
  bool etcd_unreachable = false;  // a follower whose last look at etcd failed
  // This node's fenced commits since it started (successful or not) and the time they
  // took, etcd's round trip: the part of a leader's batch time spent waiting for etcd.
  std::uint64_t commits = 0;
  double commit_seconds = 0;
};

class ClusterNode : public BatchJournal {
 public:
  // Checks the options, connects, installs itself as `registry`'s journal and starts
  // the node's thread (which campaigns and follows). `registry` must outlive the node,
  // and the node must outlive the registry's last Submit (stop the GroupCommitter first).
  static StatusOr<std::unique_ptr<ClusterNode>> Start(Registry& registry, ClusterOptions options);
  ~ClusterNode() override;  // Stop()

  // Stops the thread and, if leading, gives up the leader key (revokes the lease).
  void Stop();

  ClusterState state() const EXCLUDES(mu_);

  // BatchJournal: the fenced commit (kUnavailable when not leading or refused).
  Status Commit(const JournalBatch& batch, std::string_view bytes) override EXCLUDES(mu_);

  static std::string BatchKey(std::string_view cluster, std::uint64_t first);
  static std::string AppliedKey(std::string_view cluster, std::string_view node);

 private:
  ClusterNode(Registry& registry, ClusterOptions options);
  void Run();
  // Applies every batch etcd holds from this node's size on. Ok when none is left.
  Status CatchUp(Etcd& etcd);
  void TryToLead(Etcd& etcd);
  void StepDown(Etcd& etcd, const std::string& why) EXCLUDES(mu_);
  // Keeps this node's applied record current (Run's thread only).
  void PublishApplied(Etcd& etcd);
  // The leader's deletion of applied batches and compaction (Run's thread only).
  void Prune(Etcd& etcd) EXCLUDES(mu_);

  Registry& registry_;
  const ClusterOptions options_;
  const std::string leader_key_;
  const std::string my_value_;         // "<node> <advertise>"
  std::unique_ptr<Etcd> commit_etcd_;  // used by Commit (the sequencer thread) only

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool leader_ GUARDED_BY(mu_) = false;
  std::int64_t lease_ GUARDED_BY(mu_) = 0;
  std::int64_t leader_revision_ GUARDED_BY(mu_) = 0;  // the leader key's create_revision
  std::string leader_url_ GUARDED_BY(mu_);
  bool caught_up_ GUARDED_BY(mu_) = false;
  bool etcd_unreachable_ GUARDED_BY(mu_) = false;
  std::string error_ GUARDED_BY(mu_);
  std::uint64_t newest_first_ GUARDED_BY(mu_) = 0;  // the newest batch known to be in etcd
  // (size, when): the batches below size were committed by then, oldest first.
  std::deque<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> seen_ GUARDED_BY(mu_);
  std::uint64_t commits_ GUARDED_BY(mu_) = 0;
  double commit_seconds_ GUARDED_BY(mu_) = 0;
  // Run's thread only.
  std::int64_t applied_lease_ = 0;
  std::chrono::steady_clock::time_point applied_renewed_{};
  std::chrono::steady_clock::time_point published_at_{};
  std::optional<std::uint64_t> published_;
  std::chrono::steady_clock::time_point pruned_at_{};
  std::uint64_t pruned_ = 0;      // batches below this were deleted by this node
  std::uint64_t old_enough_ = 0;  // batches below this were committed `retain` ago
  std::thread thread_;
};

}  // namespace ipledger::api
