#include "api/cluster/node.h"

#include <cctype>
#include <cstdio>
#include <utility>

#include "ledger/base/log.h"

namespace ipledger::api {
namespace {

constexpr std::int64_t kBatchesPerRange = 64;

std::string Prefix(std::string_view cluster) { return "/ipledger/" + std::string(cluster) + "/"; }

std::string BatchPrefix(std::string_view cluster) { return Prefix(cluster) + "batch/"; }

// The advertise URL in a leader key's value "<node> <url>".
std::string UrlOf(const std::string& value) {
  const auto space = value.find(' ');
  return space == std::string::npos ? "" : value.substr(space + 1);
}

}  // namespace

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
  {
    MutexLock l(&mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

ClusterState ClusterNode::state() const {
  ClusterState s;
  s.applied = registry_.ledger().size();
  MutexLock l(&mu_);
  s.leader = leader_;
  s.leader_url = leader_url_;
  s.caught_up = caught_up_ && error_.empty();
  s.error = error_;
  return s;
}

Status ClusterNode::Commit(const JournalBatch& batch, std::string_view bytes) {
  std::int64_t revision = 0;
  {
    MutexLock l(&mu_);
    if (!leader_) {
      return Status::Unavailable("this node is not the cluster's leader" +
                                 (leader_url_.empty() ? std::string(" (no leader is known yet)")
                                                      : "; the leader is " + leader_url_));
    }
    revision = leader_revision_;
  }
  auto r = commit_etcd_->PutIfGuarded(leader_key_, my_value_, revision,
                                      BatchKey(options_.cluster, batch.first), bytes);
  if (!r.ok()) {
    StepDown(*commit_etcd_, "the commit of the batch at " + std::to_string(batch.first) +
                                " to etcd failed (outcome unknown): " + r.status().message());
    return Status::Unavailable("the batch could not be committed to etcd: " + r.status().message());
  }
  if (!r->succeeded) {
    StepDown(*commit_etcd_, "fenced: etcd refused the batch at " + std::to_string(batch.first) +
                                " (this node's leadership ended)");
    return Status::Unavailable("this node no longer leads the cluster; nothing was written");
  }
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
      if (kv.key != BatchKey(options_.cluster, at)) {
        return Status::Corruption("etcd holds " + kv.key + " but no batch starting at " +
                                  std::to_string(at));
      }
      if (Status s = ApplyJournalBytes(registry_, kv.value, options_.decode); !s.ok()) return s;
    }
  }
}

void ClusterNode::TryToLead(Etcd& etcd) {
  auto current = etcd.Range(leader_key_);
  if (!current.ok()) return;
  if (!current->empty()) {
    MutexLock l(&mu_);
    leader_url_ = UrlOf(current->front().value);
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
  for (;;) {
    bool leader = false;
    std::int64_t lease = 0;
    {
      MutexLock l(&mu_);
      if (stopping_) break;
      leader = leader_;
      lease = lease_;
    }
    std::chrono::milliseconds wait = options_.poll;
    if (leader) {
      auto left = etcd.LeaseKeepAlive(lease);
      const auto now = std::chrono::steady_clock::now();
      if (left.ok() && *left > 0) {
        renewed = now;
      } else if ((left.ok() && *left <= 0) || now - renewed >= ttl) {
        StepDown(etcd, left.ok() ? "the leader lease expired"
                                 : "could not renew the leader lease: " + left.status().message());
      }
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
