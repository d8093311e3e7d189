#include "api/codec/witness_key.h"

#include <cstdint>
#include <optional>

#include "crypto/note.h"
#include "ledger/base/encoding.h"
#include "ledger/registry/statement.h"

namespace ipledger::api {

bool IsWitnessVkey(std::string_view vkey) {
  if (vkey.size() > kMaxWitnessVkeyChars) return false;
  const std::optional<NoteVerifier> parsed = ParseVkey(vkey);
  if (!parsed || FormatVkey(*parsed) != vkey) return false;
  for (char c : parsed->name) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool IsWitnessUrl(std::string_view u) {
  if (u.size() > kMaxWitnessUrlChars) return false;
  for (char c : u) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '@' || c == '\\') return false;
  }
  if (u.starts_with("http://")) {
    u.remove_prefix(7);
  } else if (u.starts_with("https://")) {
    u.remove_prefix(8);
  } else {
    return false;
  }
  std::string_view authority = u.substr(0, u.find('/'));
  if (authority.starts_with("[")) {  // [IPv6]
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : authority.substr(1, close - 1)) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                      c == ':' || c == '.';
      if (!ok) return false;
    }
    authority.remove_prefix(close + 1);
  } else {
    const std::size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (host.empty()) return false;
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.';
      if (!ok) return false;
    }
    authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (authority.empty()) return true;
  if (authority[0] != ':') return false;
  const std::optional<std::uint64_t> port = ParseDecimalU64(authority.substr(1));
  return port && *port >= 1 && *port <= 65535;
}

}  // namespace ipledger::api
