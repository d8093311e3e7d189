// GET /v1/witnesses: the witness keys participants registered in the log (participant.keys
// members with "role": "witness"), from which `ipledger witness-policy` derives a policy.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/views.h"

namespace ipledger::api {

Response GetWitnessKeys(Call& c) {
  auto list = c.registry.ListWitnessKeys();
  if (!list.ok()) return StatusProblem(list.status());
  // Read after the list: every key listed was registered by an entry below this size.
  const std::uint64_t size = c.registry.ledger().size();
  std::sort(list->begin(), list->end(),
            [](const WitnessKeysRecord& a, const WitnessKeysRecord& b) { return a.id < b.id; });
  nlohmann::json out = nlohmann::json::array();
  for (const WitnessKeysRecord& r : *list) {
    auto p = c.registry.GetParticipant(r.id);
    if (!p.ok()) return StatusProblem(p.status());
    for (const WitnessKeyRecord& k : r.keys) {
      if (k.revoked_index) continue;
      out.push_back({{"participant", r.id},
                     {"role", std::string(RoleName(p->role))},
                     {"label", k.label},
                     {"vkey", k.vkey},
                     {"url", k.url},
                     {"added_index", k.added_index}});
    }
  }
  return Json(nlohmann::json{{"tree_size", size}, {"witnesses", out}});
}

}  // namespace ipledger::api
