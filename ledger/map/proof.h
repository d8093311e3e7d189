// The status map's hashing and proofs: a compact sparse Merkle tree over 256-bit keys
// (docs/formats.md, "Status map", is the byte-exact description).
//
//   key        = SHA-256(asset id)            path bit i = bit (7 - i%8) of byte i/8
//   EMPTY      = 32 zero bytes                the hash of any subtree without a leaf
//   leaf(k, v) = SHA-256(0x00 || k || v)      v = SHA-256(value bytes)
//   node(l, r) = SHA-256(0x01 || l || r)
//
// A subtree holding exactly one leaf is that leaf, at the shallowest depth where it is
// alone; internal nodes exist only above two or more leaves; the empty map's root is
// EMPTY. A proof for a key is its path's sibling hashes plus what the path ends in:
//
//   u8 kind   0 = present, 1 = absent (empty subtree), 2 = absent (another leaf)
//   u8 d      number of siblings
//   d x 32    sibling hashes, the root's child level first
//   kind 2:   32-byte other_key || 32-byte other_value_hash
//
// Pure functions and value types; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/status.h"

namespace ipledger::map {

using Hash = Digest;  // std::array<std::uint8_t, 32>

inline constexpr Hash kEmptyHash{};  // EMPTY: all zero
inline constexpr size_t kMaxProofDepth = 255;

// SHA-256 of the asset id's bytes (its canonical form, as the registry writes it).
Hash MapKey(std::string_view asset_id);

// Bit `i` (0..255) of a key's path: bit (7 - i%8) of byte i/8, most significant first.
bool PathBit(const Hash& key, size_t i);

Hash LeafHash(const Hash& key, const Hash& value_hash);  // SHA-256(0x00 || key || value)
Hash NodeHash(const Hash& left, const Hash& right);      // SHA-256(0x01 || left || right)

enum class MapProofKind : std::uint8_t {
  kPresent = 0,      // the path ends in the key's own leaf
  kAbsentEmpty = 1,  // the path ends in an empty subtree
  kAbsentOther = 2,  // the path ends in another key's leaf
};

struct MapProof {
  MapProofKind kind = MapProofKind::kAbsentEmpty;
  std::vector<Hash> siblings;  // siblings[0] is at depth 1 (a child of the root)
  Hash other_key{};            // kAbsentOther only (zero otherwise)
  Hash other_value_hash{};     // kAbsentOther only (zero otherwise)

  bool operator==(const MapProof&) const = default;
};

// The encoding above. Precondition: siblings.size() <= 255.
std::string EncodeMapProof(const MapProof& proof);

// Strict: kInvalidArgument unless `bytes` is exactly one encoding (known kind, length
// exactly 2 + 32 d (+ 64 for kind 2)). other_key / other_value_hash are zero for
// kinds 0 and 1.
StatusOr<MapProof> DecodeMapProof(std::string_view bytes);

// Ok iff `proof` shows, against `root`, that `key` maps to `*value_hash` (a claim of
// presence: the proof must be kind 0) or that `key` has no leaf (value_hash nullopt:
// kind 1 or 2; for kind 2 other_key != key and shares the first d path bits with key).
// Folds the terminal up: for i = d-1 .. 0, h = bit_i(key) ? node(sib[i], h) : node(h, sib[i]).
// kInvalidArgument (naming what failed) otherwise.
Status VerifyMapProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const MapProof& proof);

}  // namespace ipledger::map
