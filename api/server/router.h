// Router: the HTTP API of api.md §5–8 over a Registry, without sockets.
//
// One route table (router.cc) lists each route once: method, pattern, whether it needs a
// signature, and its handler (reads.cc, regulator.cc, writes.cc; internal/handlers.h).
// Reads are answered on the calling (io) thread; writes are decoded and checked for
// schema here, then queued to the GroupCommitter, and answered when their batch is
// durable. Callers are identified by RFC 9421 signatures (api.md §8): a request without
// one is anonymous and sees public views; a bad one is 401, never a silent downgrade.
//
// Thread-safety: Handle may be called concurrently from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/server/http_types.h"
#include "api/server/metrics.h"
#include "api/server/nonce_cache.h"
#include "api/server/read_cache.h"
#include "api/server/write_quota.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"

namespace ipledger::api {

// What a node of a cluster (api/cluster/node.h; ipledgerd --etcd) reports of itself.
struct ClusterView {
  bool leader = false;
  std::string leader_url;     // the leader's advertise URL; empty while none is known
  std::uint64_t applied = 0;  // the tree size this node has applied
  bool ready = false;         // caught up with the cluster (and leading or following)
  std::string reason;         // why not, when not ready
  bool no_quorum = false;     // a follower that cannot reach etcd (or etcd has no quorum)
};

struct RouterOptions {
  // Seconds since the epoch, for RFC 9421 `created` checks. Default: the system clock.
  std::function<std::int64_t()> clock_seconds;
  // Allowed distance of `created` from the clock. Default: 300 s (api.md §8).
  std::int64_t signature_window_seconds = 300;
  // Where request log lines go (one JSON line each, ledger/base/log.h format, every
  // level). Default: the process log (ledger/base/log.h: stderr, at its level).
  std::function<void(const std::string&)> log;
  // Writes (POST /v1/entries) each participant may submit per minute, as a token bucket
  // of that size (write_quota.h); beyond it 429 E_WRITE_QUOTA with Retry-After. 0: no
  // quota. Default: 0 here; ipledgerd sets --write-quota-per-minute (default 600).
  std::uint32_t write_quota_per_minute = 0;
  // The web console's built files, served at GET /ui/ (ui.h). Empty: /ui/ answers 404.
  std::string ui_dir;
  // Cluster mode: this node's role. Then GET /readyz reports it, and POST /v1/entries
  // sent to a follower is answered 307 with Location on the leader (503 "no-leader"
  // while none is known). Empty (the default): a single node.
  std::function<ClusterView()> cluster;
};

class Router {
 public:
  // `registry`, `committer` and `metrics` must outlive the Router.
  Router(Registry& registry, GroupCommitter& committer, Metrics& metrics, RouterOptions options);

  void Handle(Request request, Respond respond);

  // Every (method, path pattern) the router serves, e.g. {"GET", "/v1/entries/{index}"},
  // in the order of the route table in router.cc.
  static const std::vector<std::pair<std::string, std::string>>& Routes();

 private:
  Registry& registry_;
  GroupCommitter& committer_;
  Metrics& metrics_;
  RouterOptions options_;
  WriteQuota quota_;
  NonceCache nonces_;  // RFC 9421 nonces seen inside the signature window
  ReadCaches caches_;  // encoded answers and verified RFC 9421 signatures (read_cache.h)
};

}  // namespace ipledger::api
