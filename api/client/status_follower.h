// The status map as a monitor follows it (issue 13 item 5): the asset status records and
// the map recomputed from the public leaves alone, in log order, with the registry's own
// derivation (ledger/registry/asset_status.h StatusReplayer) and the map library's
// in-memory tree (ledger/map/memory_map.h), and every logged root (the map_root of each
// map.root leaf) compared with the root recomputed from the leaves before it.
//
// Thread-compatible: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/status.h"

namespace ipledger::api {

// A change of a watched asset's status: the entry that made it and the status after it.
struct StatusChange {
  std::string asset_id;
  std::uint64_t index = 0;
  std::vector<std::uint64_t> pledges;   // entry indexes of the active pledges
  std::vector<std::uint64_t> policies;  // entry indexes of the policies not cancelled
};

class StatusFollower {
 public:
  // Reports changes of the assets in `watch` (none if empty).
  explicit StatusFollower(std::set<std::string> watch);
  ~StatusFollower();
  StatusFollower(const StatusFollower&) = delete;
  StatusFollower& operator=(const StatusFollower&) = delete;

  // Applies leaf `index` (the next one in log order). A map.root leaf whose root differs
  // from the one recomputed from the leaves before it, or a leaf whose map fields are not
  // what a sequencer writes, is kFailedPrecondition naming the entry index. Changes of
  // watched assets are appended to `changes` (may be null).
  Status Apply(std::uint64_t index, std::string_view leaf, std::vector<StatusChange>* changes);

  std::uint64_t roots_checked() const;  // map.root entries compared so far
  std::uint64_t assets() const;         // assets in the recomputed map
  std::string root_hex() const;         // the recomputed map root, lowercase hex

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// "patent:X at entry 12: 1 active pledge (12), 0 policies"
std::string FormatStatusChange(const StatusChange& c);
// {"asset":"patent:X","index":12,"active_pledges":[12],"policies":[]} (one line).
std::string FormatStatusChangeJson(const StatusChange& c);

}  // namespace ipledger::api
