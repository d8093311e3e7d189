#include "ledger/registry/asset_status.h"

#include <algorithm>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

constexpr std::uint8_t kRecordVersion = 1;

void PutU32(std::string* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutList(std::string* out, const std::vector<std::uint64_t>& list) {
  PutU32(out, static_cast<std::uint32_t>(list.size()));
  for (std::uint64_t i : list) PutFixed64BE(out, i);
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool Take(size_t n, std::string_view* out) {
    if (s_.size() - pos_ < n) return false;
    *out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool U64(std::uint64_t* v) {
    std::string_view b;
    if (!Take(8, &b)) return false;
    *v = *DecodeFixed64BE(b);
    return true;
  }
  bool UInt(size_t n, std::uint64_t* v) {
    std::string_view b;
    if (!Take(n, &b)) return false;
    *v = 0;
    for (char c : b) *v = (*v << 8) | static_cast<unsigned char>(c);
    return true;
  }
  bool List(std::vector<std::uint64_t>* out) {
    std::uint64_t n = 0;
    if (!UInt(4, &n) || n > (s_.size() - pos_) / 8) return false;
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint64_t v = 0;
      if (!U64(&v) || (!out->empty() && v <= out->back())) return false;
      out->push_back(v);
    }
    return true;
  }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool StatusChanging(std::string_view type) {
  return type == "pledge.register" || type == "pledge.amend" || type == "pledge.release" ||
         type == "policy.issue" || type == "policy.cancel";
}

}  // namespace

std::string EncodeAssetStatus(const AssetStatusRecord& r) {
  std::string out(1, static_cast<char>(kRecordVersion));
  out.push_back(static_cast<char>(r.asset_id.size() >> 8));
  out.push_back(static_cast<char>(r.asset_id.size() & 0xff));
  out += r.asset_id;
  PutFixed64BE(&out, r.last_change);
  PutList(&out, r.pledges);
  PutList(&out, r.policies);
  return out;
}

StatusOr<AssetStatusRecord> DecodeAssetStatus(std::string_view bytes) {
  const auto bad = [](std::string_view what) {
    return Status::InvalidArgument("not an asset status record: " + std::string(what));
  };
  Reader r(bytes);
  AssetStatusRecord out;
  std::uint64_t version = 0;
  std::uint64_t id_size = 0;
  std::string_view id;
  if (!r.UInt(1, &version) || version != kRecordVersion) return bad("unknown version");
  if (!r.UInt(2, &id_size) || id_size == 0 || !r.Take(id_size, &id)) return bad("asset id");
  out.asset_id = std::string(id);
  if (!r.U64(&out.last_change)) return bad("last change");
  if (!r.List(&out.pledges)) return bad("pledge list");
  if (!r.List(&out.policies)) return bad("policy list");
  if (!r.AtEnd()) return bad("trailing bytes");
  return out;
}

Digest AssetStatusHash(const AssetStatusRecord& r) { return Sha256(AsBytes(EncodeAssetStatus(r))); }

StatusOr<std::vector<AssetStatusRecord>> ApplyLeafToStatus(const Entry& e,
                                                           const AssetStatusLookup& current) {
  const std::string where = "entry " + std::to_string(e.index) + ": ";
  std::vector<AssetStatusRecord> changed;
  if (e.map_assets.empty()) {
    if (e.map_ref) return Status::Corruption(where + "map_ref without map_assets");
    return changed;
  }
  if (!StatusChanging(e.type)) {
    return Status::Corruption(where + "map_assets on an entry of type " + e.type +
                              " (only accepted pledge and policy entries change status)");
  }
  const bool registers = e.type == "pledge.register" || e.type == "policy.issue";
  const bool pledge = e.type.rfind("pledge.", 0) == 0;
  if (registers == e.map_ref.has_value()) {
    return Status::Corruption(
        where + (registers ? "map_ref on a registration" : "no map_ref on an entry that ends one"));
  }
  if (e.map_ref && *e.map_ref >= e.index) {
    return Status::Corruption(where + "map_ref " + std::to_string(*e.map_ref) +
                              " is not an earlier entry");
  }
  for (const std::string& asset : e.map_assets) {
    auto rec = current(asset);
    if (!rec.ok()) return rec.status();
    AssetStatusRecord r;
    if (*rec) {
      r = std::move(**rec);
    } else {
      r.asset_id = asset;
    }
    std::vector<std::uint64_t>& list = pledge ? r.pledges : r.policies;
    const std::uint64_t held = registers ? e.index : *e.map_ref;
    auto it = std::lower_bound(list.begin(), list.end(), held);
    const bool present = it != list.end() && *it == held;
    if (registers) {
      if (present) return Status::Corruption(where + asset + " already holds this entry");
      list.insert(it, held);
    } else {
      if (!present) {
        return Status::Corruption(where + asset + " holds no " + (pledge ? "pledge" : "policy") +
                                  " registered by entry " + std::to_string(held));
      }
      list.erase(it);
    }
    r.last_change = e.index;
    changed.push_back(std::move(r));
  }
  return changed;
}

StatusOr<std::vector<AssetStatusRecord>> StatusReplayer::Apply(const Entry& e) {
  auto changed = ApplyLeafToStatus(
      e, [this](std::string_view id) -> StatusOr<std::optional<AssetStatusRecord>> {
        auto it = records_.find(std::string(id));
        if (it == records_.end()) return std::optional<AssetStatusRecord>();
        return std::optional<AssetStatusRecord>(it->second);
      });
  if (!changed.ok()) return changed.status();
  for (const AssetStatusRecord& r : *changed) records_[r.asset_id] = r;
  return changed;
}

}  // namespace ipledger
