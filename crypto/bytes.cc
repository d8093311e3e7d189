#include "crypto/bytes.h"

#include <sodium.h>

namespace ipledger {

ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string ToString(ByteView b) { return {b.begin(), b.end()}; }

std::string HexEncode(ByteView b) {
  if (b.empty()) return {};
  std::string out(b.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
  out.pop_back();  // sodium writes a terminating NUL
  return out;
}

std::optional<Bytes> HexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  if (s.empty()) return Bytes{};  // libsodium's pointers are declared non-null
  // libsodium declares its output pointer nonnull; an empty vector's data() may be null.
  if (s.empty()) return Bytes{};
  Bytes out(s.size() / 2);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), s.data(), s.size(), nullptr, &written, &end) != 0 ||
      written != out.size() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

std::string Base64Encode(ByteView b) {
  if (b.empty()) return {};
  const size_t len = sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // sodium writes a terminating NUL
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  if (s.empty()) return Bytes{};  // libsodium's pointers are declared non-null
  if (s.empty()) return Bytes{};  // as in HexDecode: keep a null pointer away from libsodium
  Bytes out(s.size() / 4 * 3);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size()) {
    return std::nullopt;
  }
  out.resize(written);
  // libsodium rejects non-zero padding bits, so re-encoding must reproduce `s`;
  // checking it keeps the "one accepted encoding" promise independent of that.
  if (Base64Encode(out) != s) return std::nullopt;
  return out;
}

void SecureWipe(std::span<std::uint8_t> b) { sodium_memzero(b.data(), b.size()); }

void SecureWipe(std::string& s) { sodium_memzero(s.data(), s.size()); }

}  // namespace ipledger
