#include "ledger/map/proof.h"

#include "crypto/bytes.h"

namespace ipledger::map {
namespace {

constexpr size_t kHashSize = 32;

void Append(std::string* out, const Hash& h) {
  out->append(reinterpret_cast<const char*>(h.data()), h.size());
}

Hash ReadHash(std::string_view bytes, size_t offset) {
  Hash h;
  for (size_t i = 0; i < kHashSize; ++i) h[i] = static_cast<std::uint8_t>(bytes[offset + i]);
  return h;
}

// True iff `a` and `b` agree on their first `n` path bits.
bool SharePrefix(const Hash& a, const Hash& b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (PathBit(a, i) != PathBit(b, i)) return false;
  }
  return true;
}

}  // namespace

Hash MapKey(std::string_view asset_id) { return Sha256(AsBytes(asset_id)); }

bool PathBit(const Hash& key, size_t i) {
  return ((static_cast<unsigned>(key[i / 8]) >> (7U - static_cast<unsigned>(i % 8))) & 1U) != 0;
}

Hash LeafHash(const Hash& key, const Hash& value_hash) {
  static constexpr std::uint8_t kPrefix[1] = {0x00};
  Sha256Hasher h;
  h.Update(kPrefix).Update(key).Update(value_hash);
  return h.Final();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  static constexpr std::uint8_t kPrefix[1] = {0x01};
  Sha256Hasher h;
  h.Update(kPrefix).Update(left).Update(right);
  return h.Final();
}

std::string EncodeMapProof(const MapProof& proof) {
  std::string out;
  out.reserve(2 + kHashSize * (proof.siblings.size() + 2));
  out.push_back(static_cast<char>(proof.kind));
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(proof.siblings.size())));
  for (const Hash& s : proof.siblings) Append(&out, s);
  if (proof.kind == MapProofKind::kAbsentOther) {
    Append(&out, proof.other_key);
    Append(&out, proof.other_value_hash);
  }
  return out;
}

StatusOr<MapProof> DecodeMapProof(std::string_view bytes) {
  if (bytes.size() < 2) {
    return Status::InvalidArgument("map proof: " + std::to_string(bytes.size()) +
                                   " bytes, shorter than its 2-byte header");
  }
  const auto kind = static_cast<std::uint8_t>(bytes[0]);
  if (kind > 2) {
    return Status::InvalidArgument("map proof: unknown kind " + std::to_string(kind));
  }
  const size_t depth = static_cast<std::uint8_t>(bytes[1]);
  const size_t want = 2 + kHashSize * depth + (kind == 2 ? 2 * kHashSize : 0);
  if (bytes.size() != want) {
    return Status::InvalidArgument("map proof: kind " + std::to_string(kind) + " with depth " +
                                   std::to_string(depth) + " is " + std::to_string(want) +
                                   " bytes, got " + std::to_string(bytes.size()));
  }
  MapProof proof;
  proof.kind = static_cast<MapProofKind>(kind);
  proof.siblings.reserve(depth);
  for (size_t i = 0; i < depth; ++i) proof.siblings.push_back(ReadHash(bytes, 2 + kHashSize * i));
  if (kind == 2) {
    proof.other_key = ReadHash(bytes, 2 + kHashSize * depth);
    proof.other_value_hash = ReadHash(bytes, 2 + kHashSize * (depth + 1));
  }
  return proof;
}

Status VerifyMapProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const MapProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kMaxProofDepth) {
    return Status::InvalidArgument("map proof: " + std::to_string(depth) +
                                   " siblings, more than 255");
  }
  Hash h;
  switch (proof.kind) {
    case MapProofKind::kPresent:
      if (!value_hash.has_value()) {
        return Status::InvalidArgument("map proof: proves presence, but absence was claimed");
      }
      h = LeafHash(key, *value_hash);
      break;
    case MapProofKind::kAbsentEmpty:
      if (value_hash.has_value()) {
        return Status::InvalidArgument("map proof: proves absence, but presence was claimed");
      }
      h = kEmptyHash;
      break;
    case MapProofKind::kAbsentOther:
      if (value_hash.has_value()) {
        return Status::InvalidArgument("map proof: proves absence, but presence was claimed");
      }
      if (proof.other_key == key) {
        return Status::InvalidArgument("map proof: the other leaf's key is the key itself");
      }
      if (!SharePrefix(proof.other_key, key, depth)) {
        return Status::InvalidArgument("map proof: the other leaf's key is not on the key's path");
      }
      h = LeafHash(proof.other_key, proof.other_value_hash);
      break;
    default:
      return Status::InvalidArgument("map proof: unknown kind");
  }
  for (size_t i = depth; i-- > 0;) {
    h = PathBit(key, i) ? NodeHash(proof.siblings[i], h) : NodeHash(h, proof.siblings[i]);
  }
  if (h != root) {
    return Status::InvalidArgument("map proof: folds to " + HexEncode(h) + ", not the root " +
                                   HexEncode(root));
  }
  return Status::Ok();
}

}  // namespace ipledger::map
