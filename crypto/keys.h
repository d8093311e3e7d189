// Ed25519 keys and signatures (RFC 8032), via libsodium.
//
// PublicKey and Signature are plain values. SigningKey holds a secret: it is
// move-only, never printed, and zeroed on destruction and when moved from. Only its
// 32-byte seed is ever persisted (by tools/key_file). All functions are thread-safe;
// a SigningKey may be used for signing from several threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "crypto/bytes.h"

namespace ipledger {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;
using Seed = std::array<std::uint8_t, 32>;

class SigningKey {
 public:
  // A new key from the system's secure random source.
  static SigningKey Generate();
  // The key derived from a 32-byte seed; nullopt if `seed` is not 32 bytes.
  static std::optional<SigningKey> FromSeed(ByteView seed);

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  // The secret seed, for writing a key file. Copy it only into memory you zero.
  const Seed& seed() const { return seed_; }

  // Ed25519 signature of `message` (deterministic).
  Signature Sign(ByteView message) const;

 private:
  SigningKey() = default;
  void Wipe();

  Seed seed_{};
  std::array<std::uint8_t, 64> secret_{};  // libsodium's expanded secret key
  PublicKey public_key_{};
};

// True iff `sig` is a valid Ed25519 signature of `message` under `key`.
[[nodiscard]] bool Verify(const PublicKey& key, ByteView message, const Signature& sig);

// Converts 32 / 64 bytes into a key / signature; nullopt on a wrong length.
std::optional<PublicKey> PublicKeyFromBytes(ByteView b);
std::optional<Signature> SignatureFromBytes(ByteView b);

}  // namespace ipledger
