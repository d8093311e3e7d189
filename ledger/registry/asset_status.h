// Asset status: what the status map (ledger/map/) commits to for each asset, derived
// from the PUBLIC leaves alone, so that anyone holding the log's leaves can recompute it.
//
// The record of an asset lists the entry indexes of its active pledges (the
// pledge.register entries not yet ended by a pledge.release or by a pledge.amend that
// released the asset) and of its policies not cancelled (policy.issue entries not ended
// by a policy.cancel), with the index of the last entry that changed it. Which assets an
// entry changes, and which earlier entry it ends, are leaf fields (ledger/log/entry.h:
// map_assets, map_ref), written by the sequencer for accepted statements only: a
// refusal never changes the map. States that follow from dates alone (a debt term or a
// policy period that ended) are not leaf events and not in the record; a verifier reads
// them from the terms of the entries the record names.
//
// RECORD ENCODING (a contract, docs/formats.md "Status record and root entry"):
//   u8  version = 1
//   u16 BE length of the asset id || asset id bytes (UTF-8, as in the leaf)
//   u64 BE last_change
//   u32 BE number of pledges  || that many u64 BE entry indexes, strictly ascending
//   u32 BE number of policies || that many u64 BE entry indexes, strictly ascending
// value_hash = SHA-256(record bytes); the map key is SHA-256(asset id).
//
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/status.h"
#include "ledger/log/entry.h"

namespace ipledger {

// The statement type of the log's own entries committing the status map's root.
inline constexpr std::string_view kMapRootType = "map.root";

struct AssetStatusRecord {
  std::string asset_id;
  std::uint64_t last_change = 0;
  std::vector<std::uint64_t> pledges;   // pledge.register indexes, ascending
  std::vector<std::uint64_t> policies;  // policy.issue indexes, ascending

  friend bool operator==(const AssetStatusRecord&, const AssetStatusRecord&) = default;
};

std::string EncodeAssetStatus(const AssetStatusRecord& r);
// Strict: exactly the encoding above (ascending lists, no trailing bytes);
// kInvalidArgument otherwise.
StatusOr<AssetStatusRecord> DecodeAssetStatus(std::string_view bytes);
// SHA-256 of the encoding: the map value.
Digest AssetStatusHash(const AssetStatusRecord& r);
// The same encoding under the names Txn::Load / Save use for records (column `state`,
// tag S).
inline std::string EncodeRecord(const AssetStatusRecord& r) { return EncodeAssetStatus(r); }
inline Status DecodeRecord(std::string_view bytes, AssetStatusRecord* r) {
  auto d = DecodeAssetStatus(bytes);
  if (!d.ok()) return d.status();
  *r = std::move(*d);
  return Status::Ok();
}

// The current record of an asset (before the entry being applied); nullopt = none yet.
using AssetStatusLookup =
    std::function<StatusOr<std::optional<AssetStatusRecord>>(std::string_view asset_id)>;

// The records entry `e` changes, each with last_change = e.index, in the order of
// e.map_assets (sorted). Empty for entries without map_assets. kCorruption if the leaf's
// map fields are not what a sequencer writes: map fields on a refusal or on a type that
// does not change status, a missing or extra map_ref, an entry ending a pledge or
// policy the asset does not hold, a registration already held. Lookup errors pass
// through.
StatusOr<std::vector<AssetStatusRecord>> ApplyLeafToStatus(const Entry& e,
                                                           const AssetStatusLookup& current);

// The whole status, recomputed from leaves in log order (verify, tests, the monitor):
// Apply takes each leaf; records() is the current record of every asset.
class StatusReplayer {
 public:
  // Applies `e` and returns the records it changed (see ApplyLeafToStatus).
  StatusOr<std::vector<AssetStatusRecord>> Apply(const Entry& e);
  const std::map<std::string, AssetStatusRecord>& records() const { return records_; }

 private:
  std::map<std::string, AssetStatusRecord> records_;
};

}  // namespace ipledger
