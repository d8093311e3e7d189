#include "ledger/base/encoding.h"

#include <charconv>

namespace ipledger {

void PutFixed64BE(std::string* dst, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
  }
}

std::string EncodeFixed64BE(std::uint64_t v) {
  std::string s;
  s.reserve(8);
  PutFixed64BE(&s, v);
  return s;
}

std::optional<std::uint64_t> DecodeFixed64BE(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::optional<std::uint64_t> ParseDecimalU64(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace ipledger
