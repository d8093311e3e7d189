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
  Response r = Json({{"status", "ready"},
                     {"tree_size", ledger.size()},
                     {"queue_depth", c.committer.queue_depth()}});
  r.headers.emplace_back("cache-control", "no-store");
  return r;
}

Response GetOpenapi(Call&) {
  Response r = Text(std::string(OpenapiYaml()), "application/yaml; charset=utf-8");
  r.headers.emplace_back("cache-control", "public, max-age=300");
  return r;
}

}  // namespace ipledger::api
