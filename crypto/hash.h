// SHA-256 digests.
//
// Pure functions and a small incremental hasher; thread-safe (a Sha256Hasher object
// is not shared between threads).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "crypto/bytes.h"

namespace ipledger {

using Digest = std::array<std::uint8_t, 32>;

// SHA-256 of `data`.
Digest Sha256(ByteView data);

// Returns the digest held in `b`, or nullopt if `b` is not exactly 32 bytes.
std::optional<Digest> DigestFromBytes(ByteView b);

// Incremental SHA-256, for hashing several pieces without concatenating them.
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher& Update(ByteView data);
  // Returns the digest; the hasher must not be used afterwards.
  Digest Final();

 private:
  alignas(16) std::array<std::uint8_t, 128> state_;  // crypto_hash_sha256_state
};

}  // namespace ipledger
