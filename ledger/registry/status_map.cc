// The status map in the registry: staging a batch's changes (sequencer), proofs for
// answers, the check at open, and the recomputation from the public leaves (verify).
#include "ledger/registry/status_map.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/merkle.h"
#include "ledger/map/memory_map.h"
#include "ledger/map/proof.h"
#include "ledger/map/sparse_map.h"
#include "ledger/registry/asset_status.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/map_root.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/txn.h"

namespace ipledger {

Status Registry::OpenStatusMap() {
  const Store& store = ledger_->store();
  auto m = map::SparseMap::Open(store.raw_db(), store.raw_handle(Column::kMap));
  if (!m.ok()) return m.status();
  map_ = std::move(*m);
  return Status::Ok();
}

Status Registry::StageStatusMap(Txn& txn, std::vector<EntryInput>* inputs, std::uint64_t first,
                                std::int64_t time_ms, std::optional<std::uint64_t>* staged) {
  if (map_ == nullptr) return Status::Ok();
  // Assets the map does not hold have no status record: the sequencer learns that from
  // the map's cached upper levels instead of a seek in the state column per asset (most
  // pledges are of assets never pledged before).
  {
    std::vector<std::string> unknown;
    std::vector<map::Hash> keys;
    for (const EntryInput& in : *inputs) {
      for (const std::string& asset : in.map_assets) {
        std::string prefix = RecordPrefix(kStatusTag, asset);
        if (latest_.contains(prefix)) continue;
        unknown.push_back(std::move(prefix));
        keys.push_back(map::MapKey(asset));
      }
    }
    if (!keys.empty()) {
      auto held = map_->GetNewest(keys);
      if (!held.ok()) return held.status();
      for (size_t k = 0; k < keys.size(); ++k) {
        if (!(*held)[k].has_value()) latest_.emplace(std::move(unknown[k]), std::nullopt);
      }
    }
  }
  std::map<std::string, Digest> values;  // asset -> value hash, the batch's last
  std::uint64_t added = 0;
  for (size_t k = 0; k < inputs->size(); ++k) {
    const EntryInput& in = (*inputs)[k];
    if (in.map_assets.empty()) continue;
    Entry e;
    e.index = first + k;
    e.type = in.type;
    e.map_assets = in.map_assets;
    e.map_ref = in.map_ref;
    auto changed = ApplyLeafToStatus(
        e, [&](std::string_view id) -> StatusOr<std::optional<AssetStatusRecord>> {
          auto r = txn.Load<AssetStatusRecord>(kStatusTag, id);
          if (!txn.error().ok()) return txn.error();
          if (!r) ++added;
          return r;
        });
    if (!changed.ok()) {
      return Status::Internal("the sequencer's status change does not apply: " +
                              changed.status().message());
    }
    for (const AssetStatusRecord& r : *changed) {
      txn.Save(kStatusTag, r.asset_id, e.index, r);
      values[r.asset_id] = AssetStatusHash(r);
    }
  }
  if (values.empty()) return Status::Ok();
  const std::uint64_t version = first + inputs->size();
  std::vector<std::pair<map::Hash, map::Hash>> updates;
  updates.reserve(values.size());
  for (const auto& [asset, hash] : values) updates.emplace_back(map::MapKey(asset), hash);
  std::uint64_t count = 0;
  if (auto c = txn.Get(Column::kIndex, std::string(kMapCountKey))) {
    auto n = DecodeFixed64BE(*c);
    if (!n) return Status::Corruption("the status map's count is malformed");
    count = *n;
  }
  if (Status s = StageMapRoot(txn, updates, count + added, version, time_ms, inputs); !s.ok()) {
    return s;
  }
  *staged = version;
  return Status::Ok();
}

Status Registry::StageMapRoot(Txn& txn, const std::vector<std::pair<Digest, Digest>>& updates,
                              std::uint64_t count, std::uint64_t version, std::int64_t /*time_ms*/,
                              std::vector<EntryInput>* inputs) {
  auto root = map_->Stage(version, updates, txn.mutable_writes()->raw_batch());
  if (!root.ok()) return root.status();
  txn.Put(Column::kIndex, std::string(kMapCountKey), EncodeFixed64BE(count));
  auto note =
      ledger_->SignNote(FormatMapRoot({ledger_->origin(), version, version - 1, count, *root}));
  if (!note.ok()) {
    map_->Abandon();
    return note.status();
  }
  EntryInput in;
  in.type = std::string(kMapRootType);
  in.envelope = std::move(*note);
  in.map_root = *root;
  // No time-index key: like every other entry's, its time is derived from the leaves.
  txn.Put(Column::kIndex, IndexKey(kTypePrefix, kMapRootType, version), "");
  inputs->push_back(std::move(in));
  return Status::Ok();
}

namespace {

// Whether the index column holds any entry of statement type `type`.
StatusOr<bool> HasEntryOfType(const Store& store, std::string_view type) {
  std::string prefix(kTypePrefix);
  prefix += type;
  prefix += kIdTerminator;
  bool found = false;
  Status s = store.Scan(Column::kIndex, prefix, PrefixEnd(prefix),
                        [&](std::string_view, std::string_view) {
                          found = true;
                          return false;
                        });
  if (!s.ok()) return s;
  return found;
}

}  // namespace

Status Registry::StartStatusMap(std::optional<std::int64_t> time_ms) {
  MutexLock l(&sequencer_mu_);
  if (ledger_->read_only()) {
    return Status::FailedPrecondition("the status map cannot be built on a read-only registry");
  }
  if (map_ == nullptr) {
    if (Status s = OpenStatusMap(); !s.ok()) return s;
  }
  if (map_->LatestVersion()) return Status::Ok();
  // Only pledge registrations and policies give an asset a status record; without any,
  // there is nothing to build and the first batch that has one starts the map as usual.
  const Store& store = ledger_->store();
  bool any = false;
  for (std::string_view type : {"pledge.register", "policy.issue"}) {
    auto has = HasEntryOfType(store, type);
    if (!has.ok()) return has.status();
    any = any || *has;
  }
  if (!any) return Status::Ok();
  if (!options_.migrate_status_map) {
    return Status::FailedPrecondition(
        "this data directory needs its status map built (one map.root entry appended at "
        "open), which cluster nodes must not do each on their own: migrate it single-node "
        "first (ipledgerd without --etcd, then stop it), then copy it to every node");
  }

  StatusReplayer status;
  const std::uint64_t size = ledger_->size();
  for (std::uint64_t i = 0; i < size; ++i) {
    const std::string where = "entry " + std::to_string(i) + ": ";
    auto leaf = ledger_->GetLeaf(i);
    if (!leaf.ok()) return Status::Corruption(where + leaf.status().message());
    auto e = DecodeLeaf(*leaf);
    if (!e.ok()) return Status::Corruption(where + e.status().message());
    if (e->type == kMapRootType) {
      return Status::Corruption(where + "a map.root entry, but the status map has no version");
    }
    if ((e->type == "pledge.register" || e->type == "policy.issue") && e->map_assets.empty()) {
      return Status::FailedPrecondition(
          where + e->type +
          " without map fields: this log was written before the status map existed, and its "
          "public leaves do not say which assets its pledges and policies hold");
    }
    auto changed = status.Apply(*e);
    if (!changed.ok()) return Status::Corruption(where + changed.status().message());
  }
  const std::uint64_t version = size;
  Txn txn(store, &latest_);
  std::vector<std::pair<map::Hash, map::Hash>> updates;
  updates.reserve(status.records().size());
  for (const auto& [asset, record] : status.records()) {
    txn.Save(kStatusTag, asset, record.last_change, record);
    updates.emplace_back(map::MapKey(asset), AssetStatusHash(record));
  }
  const std::int64_t t = time_ms ? *time_ms : ledger_->NextTime();
  std::vector<EntryInput> inputs;
  if (Status s = StageMapRoot(txn, updates, status.records().size(), version, t, &inputs);
      !s.ok()) {
    return s;
  }
  txn.Put(Column::kIndex, std::string(kMapStartKey), EncodeFixed64BE(version));
  AppendOptions ao;
  ao.time_ms = t;
  ao.first_index = version;
  ao.extra = &txn.writes();
  auto appended = ledger_->Append(inputs, ao);
  latest_.clear();
  if (!appended.ok()) {
    map_->Abandon();
    return appended.status();
  }
  map_->Committed(version);
  return Status::Ok();
}

StatusOr<std::optional<std::uint64_t>> Registry::StatusMapStart() const {
  auto v = ledger_->store().Get(Column::kIndex, kMapStartKey);
  if (v.status().code() == ErrorCode::kNotFound) return std::optional<std::uint64_t>();
  if (!v.ok()) return v.status();
  auto n = DecodeFixed64BE(*v);
  if (!n) return Status::Corruption("the status map's start index is malformed");
  return std::optional<std::uint64_t>(*n);
}

StatusOr<StatusProof> Registry::ProveStatus(std::string_view asset_id, std::uint64_t as_of) const {
  if (map_ == nullptr) return Status::NotFound("this registry has no status map");
  auto root = map_->RootAtOrBefore(as_of);
  if (!root.ok()) {
    return Status::NotFound("no status map root is logged at or before index " +
                            std::to_string(as_of));
  }
  StatusProof p;
  p.version = root->first;
  p.root = root->second;
  auto proof = map_->Prove(map::MapKey(asset_id), p.version);
  if (!proof.ok()) return proof.status();
  p.proof = map::EncodeMapProof(*proof);
  auto found = ledger_->store().LastInRange(Column::kState, RecordKey(kStatusTag, asset_id, 0),
                                            RecordKey(kStatusTag, asset_id, p.version));
  if (!found.ok()) return found.status();
  if (found->has_value()) p.record = (*found)->second;
  return p;
}

StatusOr<std::optional<std::uint64_t>> Registry::CheckStatusMapHead() const {
  if (map_ == nullptr) return std::optional<std::uint64_t>();
  const std::optional<std::uint64_t> version = map_->LatestVersion();
  // The newest map.root entry the log holds, by the type index, must be the map's newest
  // version: a lost newest version (or a stray one) is found here.
  auto newest_entry =
      ledger_->store().LastInRange(Column::kIndex, IndexKey(kTypePrefix, kMapRootType, 0),
                                   IndexKey(kTypePrefix, kMapRootType, ~std::uint64_t{0}));
  if (!newest_entry.ok()) return newest_entry.status();
  std::optional<std::uint64_t> logged;
  if (newest_entry->has_value()) {
    logged = DecodeFixed64BE(
        std::string_view((*newest_entry)->first).substr((*newest_entry)->first.size() - kU64Size));
  }
  if (logged != version) {
    const auto name = [](std::optional<std::uint64_t> v) {
      return v ? std::to_string(*v) : std::string("none");
    };
    return Status::Corruption("the status map's newest version is " + name(version) +
                              " but the log's newest map.root entry is " + name(logged));
  }
  if (!version) return std::optional<std::uint64_t>();
  return CheckMapRootEntry(*version);
}

StatusOr<std::optional<std::uint64_t>> Registry::CheckMapRootEntry(std::uint64_t v) const {
  const std::optional<std::uint64_t> version = v;
  const std::string where = "status map version " + std::to_string(*version);
  auto root = map_->RootAtOrBefore(*version);
  if (!root.ok()) return root.status();
  if (root->first != *version) return Status::Corruption(where + " has no root record");
  if (Status s = map_->CheckRootNode(*version); !s.ok()) {
    return Status::Corruption(where + ": " + s.message());
  }
  // The entry is in the verified log: its leaf's inclusion in the checkpoint Open checked.
  auto leaf = ledger_->GetLeaf(*version);
  if (!leaf.ok()) {
    return Status::Corruption(where + " has no map.root entry: " + leaf.status().message());
  }
  const Head head = ledger_->head();
  auto path = ledger_->ProveInclusion(*version, head.checkpoint.size);
  if (!path.ok()) return path.status();
  if (Status s = VerifyInclusion(*version, head.checkpoint.size, LeafHash(AsBytes(*leaf)), *path,
                                 head.checkpoint.root);
      !s.ok()) {
    return Status::Corruption("entry " + std::to_string(*version) +
                              ": its leaf is not the one the checkpoint includes");
  }
  auto e = DecodeLeaf(*leaf);
  if (!e.ok()) return e.status();
  if (e->type != kMapRootType || !e->map_root || *e->map_root != root->second) {
    return Status::Corruption(where + ": the stored root differs from the logged map.root entry");
  }
  auto note = ledger_->GetEnvelope(*e);
  if (!note.ok()) return note.status();
  auto stmt = OpenMapRoot(*note, ledger_->verifier());
  if (!stmt.ok()) {
    return Status::Corruption("entry " + std::to_string(*version) + ": " + stmt.status().message());
  }
  if (stmt->version != *version || stmt->root != root->second) {
    return Status::Corruption("entry " + std::to_string(*version) +
                              ": the signed map root statement differs from its leaf");
  }
  return std::optional<std::uint64_t>(stmt->count);
}

Status Registry::CheckStatusMap() const {
  auto head = CheckStatusMapHead();
  if (!head.ok()) return head.status();
  return CheckStatusMapFully(nullptr);
}

Status Registry::CheckStatusMapFully(const std::atomic<bool>* stop) const {
  if (map_ == nullptr) return Status::Ok();
  const std::optional<std::uint64_t> version = map_->LatestVersion();
  StatusOr<std::optional<std::uint64_t>> logged_count = std::optional<std::uint64_t>();
  if (version) logged_count = CheckMapRootEntry(*version);
  if (!logged_count.ok()) return logged_count.status();
  if (version) {
    if (Status s = map_->Check(*version, stop); !s.ok()) {
      if (s.code() != ErrorCode::kCorruption) return s;
      return Status::Corruption("status map version " + std::to_string(*version) + ": " +
                                s.message());
    }
  }
  // Every status record's version as of the map's version (later ones, which a batch
  // committed while this check runs may add, are left out) against its value in the map.
  std::uint64_t records = 0;
  const std::string prefix = TagPrefix(kStatusTag);
  std::string last_key;
  std::string last_value;
  Status bad;
  auto check = [&]() -> Status {
    if (last_key.empty()) return Status::Ok();
    ++records;
    const std::string id(RecordIdOfKey(last_key));
    const std::string where =
        "state key " + HexEncode(AsBytes(last_key)) + " (status of " + id + ")";
    auto rec = DecodeAssetStatus(last_value);
    if (!rec.ok() || rec->asset_id != id) return Status::Corruption(where + " is malformed");
    if (!version) return Status::Corruption(where + " exists but the map has no version");
    auto value = map_->Get(map::MapKey(id), *version);
    if (!value.ok()) return Status::Corruption(where + ": " + value.status().message());
    if (!value->has_value() || **value != AssetStatusHash(*rec)) {
      return Status::Corruption(where + " differs from its value in the status map");
    }
    return Status::Ok();
  };
  bool stopped = false;
  Status s = ledger_->store().Scan(
      Column::kState, prefix, PrefixEnd(prefix), [&](std::string_view k, std::string_view v) {
        if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
          stopped = true;
          return false;
        }
        if (version && k.size() > kU64Size) {
          auto index = DecodeFixed64BE(k.substr(k.size() - kU64Size));
          if (index && *index > *version) return true;
        }
        if (!last_key.empty() && RecordPrefixOfKey(k) != RecordPrefixOfKey(last_key)) {
          bad = check();
          if (!bad.ok()) return false;
        }
        last_key = std::string(k);
        last_value = std::string(v);
        return true;
      });
  if (!s.ok()) return s;
  if (stopped) return Status::Unavailable("the status map check was stopped");
  if (!bad.ok()) return bad;
  if (Status c = check(); !c.ok()) return c;
  if (*logged_count && **logged_count != records) {
    return Status::Corruption("the state holds " + std::to_string(records) +
                              " asset status records; the logged map root counts " +
                              std::to_string(**logged_count));
  }
  return Status::Ok();
}

StatusOr<StatusMapReport> VerifyStatusMapFromLeaves(const Ledger& ledger) {
  StatusMapReport report;
  StatusReplayer status;
  map::MemoryMap recomputed;
  const std::uint64_t size = ledger.size();
  for (std::uint64_t i = 0; i < size; ++i) {
    const std::string where = "entry " + std::to_string(i) + ": ";
    auto leaf = ledger.GetLeaf(i);
    if (!leaf.ok()) return Status::Corruption(where + leaf.status().message());
    auto e = DecodeLeaf(*leaf);
    if (!e.ok()) return Status::Corruption(where + e.status().message());
    ++report.entries;
    if (e->type == kMapRootType) {
      if (!e->map_root || !e->map_assets.empty() || e->map_ref) {
        return Status::Corruption(where + "a map.root leaf must carry map_root only");
      }
      if (*e->map_root != recomputed.Root()) {
        return Status::Corruption(where + "the logged status map root " + HexEncode(*e->map_root) +
                                  " differs from the root " + HexEncode(recomputed.Root()) +
                                  " recomputed from the leaves");
      }
      auto note = ledger.GetEnvelope(*e);
      if (!note.ok()) return Status::Corruption(where + note.status().message());
      auto stmt = OpenMapRoot(*note, ledger.verifier());
      if (!stmt.ok()) return Status::Corruption(where + stmt.status().message());
      if (stmt->version != i || stmt->root != *e->map_root || stmt->count != recomputed.size()) {
        return Status::Corruption(where +
                                  "the signed map root statement differs from the leaf "
                                  "or the recomputed map");
      }
      ++report.roots;
      continue;
    }
    if (e->map_root) return Status::Corruption(where + "map_root on a " + e->type + " leaf");
    auto changed = status.Apply(*e);
    if (!changed.ok()) return Status::Corruption(changed.status().message());
    for (const AssetStatusRecord& r : *changed) {
      recomputed.Set(map::MapKey(r.asset_id), AssetStatusHash(r));
    }
  }
  report.assets = recomputed.size();
  return report;
}

}  // namespace ipledger
