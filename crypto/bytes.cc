#include "crypto/bytes.h"

#include <sodium.h>

#include <array>
#include <cstdint>

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
  Bytes out(s.size() / 2);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), s.data(), s.size(), nullptr, &written, &end) != 0 ||
      written != out.size() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of each base64 character; -1 for every other byte ('=' included).
constexpr std::array<std::int8_t, 256> kBase64Values = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}();

}  // namespace

std::string Base64Encode(ByteView b) {
  std::string out;
  out.resize((b.size() + 2) / 3 * 4);
  char* o = out.data();
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = kBase64Alphabet[(v >> 6) & 63];
    *o++ = kBase64Alphabet[v & 63];
  }
  if (const std::size_t left = b.size() - i; left > 0) {
    const std::uint32_t v =
        (std::uint32_t{b[i]} << 16) | (left == 2 ? std::uint32_t{b[i + 1]} << 8 : 0);
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = left == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  // Padding only at the end of the last group: one '=' or two.
  const std::size_t pad = s.empty() || s.back() != '=' ? 0 : s[s.size() - 2] == '=' ? 2 : 1;
  const std::size_t whole = s.empty() ? 0 : pad == 0 ? s.size() : s.size() - 4;
  Bytes out;
  out.reserve(s.size() / 4 * 3);
  const auto value = [&](std::size_t k) {
    return static_cast<std::int32_t>(kBase64Values[static_cast<unsigned char>(s[k])]);
  };
  for (std::size_t i = 0; i < whole; i += 4) {
    const std::int32_t a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
    if ((a | b | c | d) < 0) return std::nullopt;
    const std::uint32_t v = (static_cast<std::uint32_t>(a) << 18) |
                            (static_cast<std::uint32_t>(b) << 12) |
                            (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  }
  if (pad > 0) {
    const std::size_t i = whole;
    const std::int32_t a = value(i), b = value(i + 1);
    const std::int32_t c = pad == 1 ? value(i + 2) : 0;
    if ((a | b | c) < 0) return std::nullopt;
    // The bits below the last byte must be zero: any other value would be a second
    // encoding of the same bytes (RFC 4648 section 3.5).
    if (pad == 2 ? (b & 0x0F) != 0 : (c & 0x03) != 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((a << 2) | (b >> 4)));
    if (pad == 1) out.push_back(static_cast<std::uint8_t>(((b & 0x0F) << 4) | (c >> 2)));
  }
  return out;
}

std::string Base64EncodeSecret(ByteView b) {
  if (b.empty()) return {};
  const size_t len = sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // sodium writes a terminating NUL
  return out;
}

std::optional<Bytes> Base64DecodeSecret(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  if (s.empty()) return Bytes{};  // libsodium's pointers are declared non-null
  Bytes out(s.size() / 4 * 3);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size()) {
    SecureWipe(out);
    return std::nullopt;
  }
  out.resize(written);
  // libsodium rejects non-zero padding bits, so re-encoding must reproduce `s`;
  // checking it keeps the "one accepted encoding" promise independent of that.
  std::string again = Base64EncodeSecret(out);
  const bool same =
      again.size() == s.size() && sodium_memcmp(again.data(), s.data(), s.size()) == 0;
  SecureWipe(again);
  if (!same) {
    SecureWipe(out);
    return std::nullopt;
  }
  return out;
}

void SecureWipe(std::span<std::uint8_t> b) { sodium_memzero(b.data(), b.size()); }

void SecureWipe(std::string& s) { sodium_memzero(s.data(), s.size()); }

}  // namespace ipledger
