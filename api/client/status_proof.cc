#include "api/client/status_proof.h"

#include <nlohmann/json.hpp>

#include "api/codec/internal/strict_json.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "ledger/map/proof.h"
#include "ledger/registry/map_root.h"

namespace ipledger::api {
namespace {

using json = nlohmann::json;

Status Bad(std::string_view member, std::string_view why) {
  return Status::InvalidArgument("status_map." + std::string(member) + ": " + std::string(why));
}

StatusOr<std::uint64_t> U64(const json& o, std::string_view key) {
  auto it = o.find(std::string(key));
  if (it == o.end() || !it->is_number_unsigned()) return Bad(key, "must be an entry index");
  return it->get<std::uint64_t>();
}

StatusOr<std::string> Str(const json& o, std::string_view key) {
  auto it = o.find(std::string(key));
  if (it == o.end() || !it->is_string()) return Bad(key, "must be a string");
  return it->get<std::string>();
}

StatusOr<Bytes> B64(const json& o, std::string_view key) {
  auto s = Str(o, key);
  if (!s.ok()) return s.status();
  auto b = Base64Decode(*s);
  if (!b) return Bad(key, "must be base64");
  return *b;
}

Status Fail(std::string why) { return Status::FailedPrecondition(std::move(why)); }

std::string IndexList(const std::vector<std::uint64_t>& list) {
  std::string out;
  for (std::uint64_t i : list) out += (out.empty() ? "" : ", ") + std::to_string(i);
  return out;
}

}  // namespace

StatusOr<std::optional<StatusMapEvidence>> ParseStatusMapOfResponse(std::string_view text) {
  std::string error;
  json j = ParseStrictJson(text, "answer", &error);
  if (!error.empty() || !j.is_object())
    return Status::InvalidArgument("the answer is not a JSON object");
  auto m = j.find("status_map");
  if (m != j.end() && m->is_null()) return std::optional<StatusMapEvidence>();
  if (m == j.end() || !m->is_object()) {
    return Status::InvalidArgument("the answer has no status_map (made before the status map?)");
  }
  StatusMapEvidence e;
  auto version = U64(*m, "version");
  if (!version.ok()) return version.status();
  e.version = *version;
  auto root = Str(*m, "root");
  if (!root.ok()) return root.status();
  auto root_bytes = HexDecode(*root);
  auto digest = root_bytes ? DigestFromBytes(*root_bytes) : std::nullopt;
  if (!digest) return Bad("root", "must be 64 hex digits");
  e.root = *digest;
  if (auto r = m->find("record"); r == m->end()) {
    return Bad("record", "missing");
  } else if (!r->is_null()) {
    auto rec = B64(*m, "record");
    if (!rec.ok()) return rec.status();
    e.record = std::move(*rec);
  }
  auto proof = B64(*m, "proof");
  if (!proof.ok()) return proof.status();
  e.proof = std::move(*proof);
  auto re = m->find("root_entry");
  if (re == m->end() || !re->is_object()) return Bad("root_entry", "must be an object");
  auto index = U64(*re, "index");
  if (!index.ok()) return index.status();
  e.root_index = *index;
  auto leaf = B64(*re, "leaf");
  if (!leaf.ok()) return leaf.status();
  e.root_leaf = std::move(*leaf);
  auto envelope = Str(*re, "envelope");
  if (!envelope.ok()) return envelope.status();
  e.root_envelope = std::move(*envelope);
  auto incl = re->find("inclusion_proof");
  if (incl == re->end() || !incl->is_array()) return Bad("root_entry.inclusion_proof", "array");
  for (const json& h : *incl) {
    auto b = h.is_string() ? Base64Decode(h.get<std::string>()) : std::nullopt;
    auto d = b ? DigestFromBytes(*b) : std::nullopt;
    if (!d) return Bad("root_entry.inclusion_proof", "must hold base64 32-byte hashes");
    e.root_inclusion.push_back(*d);
  }
  return std::optional<StatusMapEvidence>(std::move(e));
}

StatusOr<ProvenStatus> VerifyStatusMap(const StatusMapEvidence& e, std::string_view asset,
                                       const Checkpoint& checkpoint, const NoteVerifier& log_key) {
  const std::string v = std::to_string(e.version);
  // The root entry: in the log, for this version and root.
  if (e.root_index != e.version) return Fail("the root entry's index is not the map version");
  auto entry = DecodeLeaf(ToString(e.root_leaf));
  if (!entry.ok() || entry->index != e.version) {
    return Fail("the root entry's leaf is not canonical or has another index than " + v);
  }
  if (entry->type != kMapRootType || !entry->map_root || *entry->map_root != e.root) {
    return Fail("entry " + v + " is not a map.root entry for root " + HexEncode(e.root));
  }
  if (e.version >= checkpoint.size) {
    return Fail("the root entry " + v + " is beyond the checkpoint's tree size " +
                std::to_string(checkpoint.size));
  }
  if (Status s = VerifyInclusion(e.version, checkpoint.size, LeafHash(e.root_leaf),
                                 e.root_inclusion, checkpoint.root);
      !s.ok()) {
    return Fail("the root entry " + v + " is not included in the checkpoint of size " +
                std::to_string(checkpoint.size) + ": " + s.message());
  }
  if (Sha256(AsBytes(e.root_envelope)) != entry->envelope_sha256) {
    return Fail("the root entry's envelope does not hash to its leaf's envelope_sha256");
  }
  auto stmt = OpenMapRoot(e.root_envelope, log_key);
  if (!stmt.ok()) return Fail(stmt.status().message());
  if (stmt->version != e.version || stmt->root != e.root) {
    return Fail("the signed map root statement names another version or root");
  }
  // The record and the map proof.
  auto proof = map::DecodeMapProof(ToString(e.proof));
  if (!proof.ok()) return Fail("the map proof is malformed: " + proof.status().message());
  ProvenStatus out;
  out.asset = std::string(asset);
  out.version = e.version;
  out.root = e.root;
  std::optional<Digest> value;
  if (e.record) {
    auto rec = DecodeAssetStatus(ToString(*e.record));
    if (!rec.ok()) return Fail("the status record is malformed: " + rec.status().message());
    if (rec->asset_id != asset) {
      return Fail("the status record is about asset " + rec->asset_id + ", not " +
                  std::string(asset));
    }
    if (rec->last_change >= e.version) {
      return Fail("the status record changed at or after the root entry it is proven against");
    }
    value = Sha256(*e.record);
    out.record = std::move(*rec);
  }
  if (Status s = map::VerifyMapProof(e.root, map::MapKey(asset), value, *proof); !s.ok()) {
    return Fail(
        std::string(e.record ? "the map proof of the status record" : "the map proof of absence") +
        " for asset " + std::string(asset) + " does not verify against root " + HexEncode(e.root) +
        ": " + s.message());
  }
  return out;
}

std::string DescribePledges(const ProvenStatus& s) {
  const std::string tail = " as of index " + std::to_string(s.version) + " (proven)";
  if (!s.record || s.record->pledges.empty()) {
    return "asset " + s.asset + ": no active pledge" + tail;
  }
  return "asset " + s.asset + ": active pledges registered by entries " +
         IndexList(s.record->pledges) + tail;
}

std::string DescribePolicies(const ProvenStatus& s) {
  const std::string tail = " as of index " + std::to_string(s.version) + " (proven)";
  if (!s.record || s.record->policies.empty()) {
    return "asset " + s.asset + ": no policy issued and not cancelled" + tail;
  }
  return "asset " + s.asset + ": policies issued by entries " + IndexList(s.record->policies) +
         " not cancelled" + tail;
}

}  // namespace ipledger::api
