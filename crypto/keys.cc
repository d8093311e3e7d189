#include "crypto/keys.h"

#include <sodium.h>

#include <algorithm>

namespace ipledger {

static_assert(crypto_sign_SEEDBYTES == 32 && crypto_sign_PUBLICKEYBYTES == 32 &&
              crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64);

SigningKey SigningKey::Generate() {
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = *FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

std::optional<SigningKey> SigningKey::FromSeed(ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) return std::nullopt;
  SigningKey key;
  std::copy(seed.begin(), seed.end(), key.seed_.begin());
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_.data(), key.seed_.data());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : seed_(other.seed_), secret_(other.secret_), public_key_(other.public_key_) {
  other.Wipe();
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    seed_ = other.seed_;
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    other.Wipe();
  }
  return *this;
}

SigningKey::~SigningKey() { Wipe(); }

void SigningKey::Wipe() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

Signature SigningKey::Sign(ByteView message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

bool Verify(const PublicKey& key, ByteView message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

std::optional<PublicKey> PublicKeyFromBytes(ByteView b) {
  if (b.size() != 32) return std::nullopt;
  PublicKey k;
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

std::optional<Signature> SignatureFromBytes(ByteView b) {
  if (b.size() != 64) return std::nullopt;
  Signature s;
  std::copy(b.begin(), b.end(), s.begin());
  return s;
}

}  // namespace ipledger
