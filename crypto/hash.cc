#include "crypto/hash.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace ipledger {
namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256Hasher::state_ too small");
static_assert(crypto_hash_sha256_BYTES == 32);

crypto_hash_sha256_state* State(std::array<std::uint8_t, 128>& s) {
  return reinterpret_cast<crypto_hash_sha256_state*>(s.data());
}

}  // namespace

Digest Sha256(ByteView data) {
  Digest d;
  crypto_hash_sha256(d.data(), data.data(), data.size());
  return d;
}

std::optional<Digest> DigestFromBytes(ByteView b) {
  if (b.size() != 32) return std::nullopt;
  Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

Sha256Hasher::Sha256Hasher() : state_{} { crypto_hash_sha256_init(State(state_)); }

Sha256Hasher& Sha256Hasher::Update(ByteView data) {
  crypto_hash_sha256_update(State(state_), data.data(), data.size());
  return *this;
}

Digest Sha256Hasher::Final() {
  Digest d;
  crypto_hash_sha256_final(State(state_), d.data());
  return d;
}

}  // namespace ipledger
