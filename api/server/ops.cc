// The operations routes: GET /readyz and GET /openapi.yaml.
#include "api/server/internal/handlers.h"
#include "api/server/internal/openapi_yaml.h"
#include "api/server/internal/problems.h"

namespace ipledger::api {

Response GetReady(Call& c) {
  const Ledger& ledger = c.registry.ledger();
  if (ledger.read_only()) {
    Response r = Json({{"status", "not-ready"},
                       {"reason",
                        "read-only: a write failed; the registry refuses writes until "
                        "it is restarted (see the error log lines)"},
                       {"tree_size", ledger.size()}},
                      503);
    r.headers.emplace_back("cache-control", "no-store");
    return r;
  }
  if (auto why = c.registry.MapCheckFailure()) {
    Response r = Json({{"status", "not-ready"},
                       {"reason", "read-only: " + *why +
                                      " (the registry refuses writes; run "
                                      "`ipledger verify` and restore from a backup)"},
                       {"tree_size", ledger.size()}},
                      503);
    r.headers.emplace_back("cache-control", "no-store");
    return r;
  }
  if (c.cluster != nullptr) {
    const ClusterView v = (*c.cluster)();
    nlohmann::json j = {{"status", v.ready ? "ready" : "not-ready"},
                        {"role", v.leader ? "leader" : "follower"},
                        {"applied", v.applied},
                        {"tree_size", ledger.size()},
                        {"queue_depth", c.committer.queue_depth()}};
    if (!v.leader_url.empty()) j["leader"] = v.leader_url;
    if (!v.ready) j["reason"] = v.reason;
    Response r = Json(j, v.ready ? 200 : 503);
    r.headers.emplace_back("cache-control", "no-store");
    return r;
  }
  Response r = Json({{"status", "ready"},
                     {"tree_size", ledger.size()},
                     {"queue_depth", c.committer.queue_depth()}});
  r.headers.emplace_back("cache-control", "no-store");
  return r;
}

std::optional<Response> FollowerWrite(const ClusterView& view, const std::string& target) {
  if (view.leader) return std::nullopt;
  const bool cosigned = target.starts_with("/v1/checkpoints/cosigned");
  if (view.no_quorum && !cosigned) {
    Response r = Problem(503, "no-quorum", "No etcd quorum: writes are paused",
                         "this node cannot reach an etcd quorum, so no batch can be committed; "
                         "reads go on; retry shortly");
    r.headers.emplace_back("retry-after", "1");
    return r;
  }
  if (view.leader_url.empty()) {
    Response r = Problem(503, "no-leader", "No cluster leader",
                         "this node follows and no leader is known yet; retry shortly");
    r.headers.emplace_back("retry-after", "1");
    return r;
  }
  std::string location = view.leader_url;
  while (!location.empty() && location.back() == '/') location.pop_back();
  location += target;
  Response r = Problem(307, "not-leader", "Not the cluster leader",
                       "this node follows; send " +
                           std::string(cosigned ? "requests for cosigned checkpoints" : "writes") +
                           " to the leader at " + view.leader_url);
  r.headers.emplace_back("location", location);
  return r;
}

Response GetOpenapi(Call&) {
  Response r = Text(std::string(OpenapiYaml()), "application/yaml; charset=utf-8");
  r.headers.emplace_back("cache-control", "public, max-age=300");
  return r;
}

}  // namespace ipledger::api
