#include "api/cluster/node.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "ledger/base/encoding.h"
#include "ledger/base/log.h"

namespace ipledger::api {
namespace {

constexpr std::int64_t kBatchesPerRange = 64;

std::string Prefix(std::string_view cluster) { return "/ipledger/" + std::string(cluster) + "/"; }

std::string BatchPrefix(std::string_view cluster) { return Prefix(cluster) + "batch/"; }

std::string AppliedPrefix(std::string_view cluster) { return Prefix(cluster) + "applied/"; }

// A node publishes a new applied size at most this often.
constexpr std::chrono::milliseconds kPublishEvery{200};

// The advertise URL in a leader key's value "<node> <url>".
std::string UrlOf(const std::string& value) {
  const auto space = value.find(' ');
  return space == std::string::npos ? "" : value.substr(space + 1);
}

}  // namespace

std::string ClusterNode::AppliedKey(std::string_view cluster, std::string_view node) {
  return AppliedPrefix(cluster) + std::string(node);
}

std::string ClusterNode::BatchKey(std::string_view cluster, std::uint64_t first) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(first));
  return BatchPrefix(cluster) + digits;
}

ClusterNode::ClusterNode(Registry& registry, ClusterOptions options)
    : registry_(registry),
      options_(std::move(options)),
      leader_key_(Prefix(options_.cluster) + "leader"),
      my_value_(options_.node + " " + options_.advertise) {}

StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Start(Registry& registry,
                                                          ClusterOptions options) {
  auto plain = [](const std::string& s) {
    if (s.empty() || s.size() > 128) return false;
    for (char c : s) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  };
  if (!plain(options.cluster)) {
    return Status::InvalidArgument("--cluster must be 1-128 characters of [A-Za-z0-9._-]");
  }
  if (!plain(options.node)) {
    return Status::InvalidArgument("--node must be 1-128 characters of [A-Za-z0-9._-]");
  }
  if (options.advertise.empty() || options.advertise.find(' ') != std::string::npos) {
    return Status::InvalidArgument("--advertise must be this node's URL (http://HOST:PORT)");
  }
  if (options.lease_ttl_seconds < 1) return Status::InvalidArgument("lease TTL must be >= 1 s");
  if (options.applied_ttl_seconds < 1) {
    return Status::InvalidArgument("applied record TTL must be >= 1 s");
  }
  if (!options.decode) return Status::InvalidArgument("ClusterOptions.decode is required");
  auto etcd = Etcd::Connect(options.etcd, options.etcd_timeout);
  if (!etcd.ok()) return etcd.status();
  std::unique_ptr<ClusterNode> node(new ClusterNode(registry, std::move(options)));
  node->commit_etcd_ = std::move(*etcd);
  registry.SetJournal(node.get());
  node->thread_ = std::thread([n = node.get()] { n->Run(); });
  return node;
}

ClusterNode::~ClusterNode() { Stop(); }

void ClusterNode::Stop() {
  std::uint64_t commits = 0;
  double seconds = 0;
  {
    MutexLock l(&mu_);
    stopping_ = true;
    cv_.notify_all();
    commits = commits_;
    seconds = commit_seconds_;
  }
  if (thread_.joinable()) {
    thread_.join();
    // Where a leader's batch time went (compare with ipledger_append_seconds).
    Log(LogLevel::kInfo, "cluster: stopped",
        {{"node", options_.node},
         {"commits", commits},
         {"commit_ms", static_cast<std::uint64_t>(seconds * 1000)}});
  }
}

ClusterState ClusterNode::state() const {
  ClusterState s;
  s.applied = registry_.ledger().size();
  MutexLock l(&mu_);
  s.leader = leader_;
  s.leader_url = leader_url_;
  s.caught_up = caught_up_ && error_.empty();
  s.error = error_;
  s.etcd_unreachable = etcd_unreachable_ && !leader_;
  s.commits = commits_;
  s.commit_seconds = commit_seconds_;
  return s;
}

Status ClusterNode::Commit(const JournalBatch& batch, std::string_view bytes) {
  std::int64_t revision = 0;
  {
    MutexLock l(&mu_);
    if (!leader_) {
      return Status::Unavailable(std::string(kJournalNotLeader) +
                                 "this node is not the cluster's leader" +
                                 (leader_url_.empty() ? std::string(" (no leader is known yet)")
                                                      : "; the leader is " + leader_url_));
    }
    revision = leader_revision_;
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = commit_etcd_->PutIfGuarded(leader_key_, my_value_, revision,
                                      BatchKey(options_.cluster, batch.first), bytes);
  {
    MutexLock l(&mu_);
    ++commits_;
    commit_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (!r.ok()) {
    StepDown(*commit_etcd_, "the commit of the batch at " + std::to_string(batch.first) +
                                " to etcd failed (outcome unknown): " + r.status().message());
    return Status::Unavailable(std::string(kJournalNoQuorum) +
                               "etcd did not commit the batch (no quorum, or no member reached); "
                               "nothing was written here: " +
                               r.status().message());
  }
  if (!r->succeeded) {
    StepDown(*commit_etcd_, "fenced: etcd refused the batch at " + std::to_string(batch.first) +
                                " (this node's leadership ended)");
    return Status::Unavailable(std::string(kJournalNotLeader) +
                               "this node no longer leads the cluster; nothing was written");
  }
  MutexLock l(&mu_);
  newest_first_ = batch.first;
  seen_.emplace_back(batch.size, std::chrono::steady_clock::now());
  return Status::Ok();
}

void ClusterNode::StepDown(Etcd& etcd, const std::string& why) {
  std::int64_t lease = 0;
  {
    MutexLock l(&mu_);
    if (!leader_) return;
    leader_ = false;
    caught_up_ = false;
    leader_url_.clear();
    lease = lease_;
    lease_ = 0;
  }
  Log(LogLevel::kWarn, "cluster: stepping down", {{"node", options_.node}, {"reason", why}});
  // Best effort: the lease expires anyway, and the fenced commit refuses a deposed leader.
  (void)etcd.LeaseRevoke(lease);
}

Status ClusterNode::CatchUp(Etcd& etcd) {
  const std::string end = Etcd::PrefixEnd(BatchPrefix(options_.cluster));
  for (;;) {
    const std::uint64_t size = registry_.ledger().size();
    auto kvs = etcd.Range(BatchKey(options_.cluster, size), end, kBatchesPerRange);
    if (!kvs.ok()) return kvs.status();
    if (kvs->empty()) return Status::Ok();
    for (const EtcdKv& kv : *kvs) {
      const std::uint64_t at = registry_.ledger().size();
      const std::string want = BatchKey(options_.cluster, at);
      if (kv.key > want) {
        // The batch this node needs next was deleted: every live node had applied it.
        return Status::FailedPrecondition(
            std::string(kBehindRetained) + " of a live node (ipledger backup) and start from it: " +
            "this node has " + std::to_string(at) + " entries and the oldest batch etcd keeps is " +
            kv.key.substr(BatchPrefix(options_.cluster).size()));
      }
      if (kv.key != want) {
        return Status::Corruption("etcd holds " + kv.key + " but no batch starting at " +
                                  std::to_string(at));
      }
      if (Status s = ApplyJournalBytes(registry_, kv.value, options_.decode); !s.ok()) return s;
      MutexLock l(&mu_);
      newest_first_ = at;
      seen_.emplace_back(registry_.ledger().size(), std::chrono::steady_clock::now());
    }
  }
}

void ClusterNode::PublishApplied(Etcd& etcd) {
  const auto now = std::chrono::steady_clock::now();
  const auto ttl = std::chrono::seconds(options_.applied_ttl_seconds);
  if (applied_lease_ != 0 && now - applied_renewed_ >= ttl / 3) {
    auto left = etcd.LeaseKeepAlive(applied_lease_);
    if (!left.ok()) return;  // etcd out of reach: again on the next turn
    if (*left > 0) {
      applied_renewed_ = now;
    } else {
      applied_lease_ = 0;  // expired with the record: a new lease and record below
    }
  }
  if (applied_lease_ == 0) {
    auto lease = etcd.LeaseGrant(options_.applied_ttl_seconds);
    if (!lease.ok()) return;
    applied_lease_ = *lease;
    applied_renewed_ = now;
    published_.reset();
  }
  const std::uint64_t size = registry_.ledger().size();
  if (published_ == size || (published_ && now - published_at_ < kPublishEvery)) return;
  if (etcd.Put(AppliedKey(options_.cluster, options_.node), std::to_string(size), applied_lease_)
          .ok()) {
    published_ = size;
    published_at_ = now;
  }
}

void ClusterNode::Prune(Etcd& etcd) {
  if (options_.prune_interval.count() <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - pruned_at_ < options_.prune_interval) return;
  pruned_at_ = now;
  std::uint64_t keep = registry_.ledger().size();
  {
    MutexLock l(&mu_);
    keep = std::min({keep, newest_first_, old_enough_});  // the newest batch stays
  }
  const std::string prefix = AppliedPrefix(options_.cluster);
  auto records = etcd.Range(prefix, Etcd::PrefixEnd(prefix));
  if (!records.ok()) return;
  for (const EtcdKv& kv : *records) {
    const auto applied = ParseDecimalU64(kv.value);
    keep = std::min(keep, applied.value_or(0));
  }
  if (keep <= pruned_) return;
  std::int64_t revision = 0;
  auto deleted =
      etcd.DeleteRange(BatchPrefix(options_.cluster), BatchKey(options_.cluster, keep), &revision);
  if (!deleted.ok()) return;
  pruned_ = keep;
  if (*deleted == 0) return;
  const Status compacted = revision > 0 ? etcd.Compact(revision) : Status::Ok();
  Log(compacted.ok() ? LogLevel::kDebug : LogLevel::kWarn, "cluster: deleted applied batches",
      {{"node", options_.node},
       {"below", keep},
       {"deleted", *deleted},
       {"compacted_at", revision},
       {"error", compacted.message()}});
}

void ClusterNode::TryToLead(Etcd& etcd) {
  // Most polls find a leader: a serializable read (the member asked answers from what
  // it has applied, without a round to etcd's Raft leader) is enough to see it. An
  // empty answer only leads to the election itself, PutIfAbsent, which etcd decides
  // linearizably; and CatchUp's linearizable read, just before, is what notices etcd
  // without a quorum.
  auto current = etcd.Range(leader_key_, {}, 0, Etcd::Read::kSerializable);
  if (!current.ok()) return;
  if (!current->empty()) {
    MutexLock l(&mu_);
    // This node's own key, left behind when it stepped down without reaching etcd,
    // names no leader: it goes with its lease, and a write must not be sent here.
    leader_url_ =
        current->front().value == my_value_ ? std::string() : UrlOf(current->front().value);
    return;
  }
  auto lease = etcd.LeaseGrant(options_.lease_ttl_seconds);
  if (!lease.ok()) return;
  auto won = etcd.PutIfAbsent(leader_key_, my_value_, *lease);
  if (!won.ok() || !won->succeeded) {
    (void)etcd.LeaseRevoke(*lease);
    return;
  }
  // Nobody else can commit now (the fenced commit names this key): apply every batch the
  // previous leaders committed, then lead.
  if (Status s = CatchUp(etcd); !s.ok()) {
    Log(LogLevel::kError, "cluster: won the election but could not catch up",
        {{"node", options_.node}, {"error", s.message()}});
    (void)etcd.LeaseRevoke(*lease);
    if (s.code() == ErrorCode::kCorruption || s.code() == ErrorCode::kFailedPrecondition) {
      MutexLock l(&mu_);
      error_ = s.message();
    }
    return;
  }
  {
    MutexLock l(&mu_);
    leader_ = true;
    lease_ = *lease;
    leader_revision_ = won->revision;
    leader_url_ = options_.advertise;
    caught_up_ = true;
  }
  Log(LogLevel::kInfo, "cluster: leading",
      {{"node", options_.node}, {"tree_size", registry_.ledger().size()}});
}

void ClusterNode::Run() {
  auto connected = Etcd::Connect(options_.etcd, options_.etcd_timeout);
  if (!connected.ok()) return;  // Start connected the same endpoints already
  Etcd& etcd = **connected;
  Log(LogLevel::kInfo, "cluster: following",
      {{"node", options_.node}, {"cluster", options_.cluster}});
  const auto ttl = std::chrono::seconds(options_.lease_ttl_seconds);
  auto renewed = std::chrono::steady_clock::now();
  {
    // Whatever this node holds was committed by now, as far as it can tell.
    MutexLock l(&mu_);
    seen_.emplace_back(registry_.ledger().size(), renewed);
  }
  for (;;) {
    bool leader = false;
    std::int64_t lease = 0;
    {
      MutexLock l(&mu_);
      if (stopping_) break;
      if (error_.empty() && registry_.ledger().read_only()) {
        // A failed write or WAL sync: the ledger refuses writes until a restart, which
        // recovers what it holds and catches up from etcd.
        error_ = "the ledger is read-only after a failed write; restart the node";
        Log(LogLevel::kError, "cluster: stopped following",
            {{"node", options_.node}, {"error", error_}});
      }
      leader = leader_ && error_.empty();
      lease = lease_;
    }
    std::chrono::milliseconds wait = options_.poll;
    bool stopped_following = false;
    std::string error_copy;
    {
      MutexLock l(&mu_);
      stopped_following = !error_.empty();
      error_copy = error_;
    }
    {
      // What was committed `retain` ago may go (once every live node applied it).
      const auto old = std::chrono::steady_clock::now() - options_.retain;
      MutexLock l(&mu_);
      while (!seen_.empty() && seen_.front().second <= old) {
        old_enough_ = std::max(old_enough_, seen_.front().first);
        seen_.pop_front();
      }
    }
    if (stopped_following) {
      // Its record would hold back the deletion of batches for a node that applies none.
      if (applied_lease_ != 0) (void)etcd.LeaseRevoke(applied_lease_);
      applied_lease_ = 0;
    } else {
      PublishApplied(etcd);
    }
    if (stopped_following) {
      StepDown(etcd, "stopped: " + error_copy);
    } else if (leader) {
      auto left = etcd.LeaseKeepAlive(lease);
      const auto now = std::chrono::steady_clock::now();
      if (left.ok() && *left > 0) {
        renewed = now;
      } else if ((left.ok() && *left <= 0) || now - renewed >= ttl) {
        StepDown(etcd, left.ok() ? "the leader lease expired"
                                 : "could not renew the leader lease: " + left.status().message());
      }
      Prune(etcd);
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 4;
    } else {
      bool failed = false;
      {
        MutexLock l(&mu_);
        failed = !error_.empty();
      }
      if (!failed) {
        Status s = CatchUp(etcd);
        MutexLock l(&mu_);
        // etcd out of reach keeps the last answer: reads go on being served (and
        // ready) from what this node applied while no batch can be committed anyway.
        if (s.code() != ErrorCode::kUnavailable) caught_up_ = s.ok();
        etcd_unreachable_ = s.code() == ErrorCode::kUnavailable;
        if (s.code() == ErrorCode::kCorruption || s.code() == ErrorCode::kFailedPrecondition ||
            s.code() == ErrorCode::kInvalidArgument) {
          error_ = s.message();
          Log(LogLevel::kError, "cluster: stopped following",
              {{"node", options_.node}, {"error", error_}});
        }
      }
      bool try_lead = false;
      {
        MutexLock l(&mu_);
        try_lead = caught_up_ && error_.empty();
      }
      if (try_lead) {
        TryToLead(etcd);
        renewed = std::chrono::steady_clock::now();
      }
    }
    MutexLock l(&mu_);
    if (!stopping_) cv_.wait_for(mu_, wait);
  }
  std::int64_t lease = 0;
  {
    MutexLock l(&mu_);
    lease = leader_ ? lease_ : 0;
    leader_ = false;
  }
  if (lease != 0) (void)etcd.LeaseRevoke(lease);
}

}  // namespace ipledger::api
