// The status map followed from the public leaves (api/client/status_follower.h).
#include "api/client/status_follower.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "crypto/bytes.h"
#include "ledger/log/entry.h"
#include "ledger/map/memory_map.h"
#include "ledger/map/proof.h"
#include "ledger/registry/asset_status.h"

namespace ipledger::api {

struct StatusFollower::Rep {
  std::set<std::string> watch;
  StatusReplayer status;
  map::MemoryMap map;
  std::uint64_t roots = 0;
};

StatusFollower::StatusFollower(std::set<std::string> watch) : rep_(std::make_unique<Rep>()) {
  rep_->watch = std::move(watch);
}
StatusFollower::~StatusFollower() = default;

std::uint64_t StatusFollower::roots_checked() const { return rep_->roots; }
std::uint64_t StatusFollower::assets() const { return rep_->map.size(); }
std::string StatusFollower::root_hex() const {
  const map::Hash root = rep_->map.Root();
  return HexEncode(ByteView(root.data(), root.size()));
}

Status StatusFollower::Apply(std::uint64_t index, std::string_view leaf,
                             std::vector<StatusChange>* changes) {
  const std::string where = "entry " + std::to_string(index) + ": ";
  auto e = DecodeLeaf(leaf);
  if (!e.ok()) return Status::FailedPrecondition(where + e.status().message());
  if (e->type == kMapRootType) {
    if (!e->map_root || !e->map_assets.empty() || e->map_ref) {
      return Status::FailedPrecondition(where + "a map.root leaf must carry map_root only");
    }
    const map::Hash recomputed = rep_->map.Root();
    if (!std::equal(e->map_root->begin(), e->map_root->end(), recomputed.begin())) {
      return Status::FailedPrecondition("wrong status map root logged at entry " +
                                        std::to_string(index) + ": " + HexEncode(*e->map_root) +
                                        ", recomputed from the leaves before it: " + root_hex());
    }
    ++rep_->roots;
    return Status::Ok();
  }
  if (e->map_root) {
    return Status::FailedPrecondition(where + "map_root on a " + e->type + " leaf");
  }
  auto changed = rep_->status.Apply(*e);
  if (!changed.ok()) return Status::FailedPrecondition(where + changed.status().message());
  for (const AssetStatusRecord& r : *changed) {
    rep_->map.Set(map::MapKey(r.asset_id), AssetStatusHash(r));
    if (changes != nullptr && rep_->watch.contains(r.asset_id)) {
      changes->push_back({r.asset_id, index, r.pledges, r.policies});
    }
  }
  return Status::Ok();
}

namespace {
std::string IndexList(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (std::uint64_t i : v) s += (s.empty() ? "" : ", ") + std::to_string(i);
  return s;
}
}  // namespace

std::string FormatStatusChange(const StatusChange& c) {
  std::string s = c.asset_id + " at entry " + std::to_string(c.index) + ": ";
  s += std::to_string(c.pledges.size()) +
       (c.pledges.size() == 1 ? " active pledge" : " active pledges");
  if (!c.pledges.empty()) s += " (" + IndexList(c.pledges) + ")";
  s +=
      ", " + std::to_string(c.policies.size()) + (c.policies.size() == 1 ? " policy" : " policies");
  if (!c.policies.empty()) s += " (" + IndexList(c.policies) + ")";
  return s;
}

std::string FormatStatusChangeJson(const StatusChange& c) {
  nlohmann::json j = {{"asset", c.asset_id},
                      {"index", c.index},
                      {"active_pledges", c.pledges},
                      {"policies", c.policies}};
  return j.dump();
}

}  // namespace ipledger::api
