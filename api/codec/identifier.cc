// The identifier check (api/codec/identifier.h).
#include "api/codec/identifier.h"

#include <algorithm>
#include <string>

#include "api/codec/statement_format.h"

namespace ipledger::api {
namespace {

bool InAlphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-';
}

std::string_view FormOf(IdKind kind) {
  switch (kind) {
    case IdKind::kParticipant:
    case IdKind::kKeyLabel:
      return "^[a-z0-9][a-z0-9-]{1,63}$";
    case IdKind::kKeyId:
      return "<participant id>/<key label>";
    case IdKind::kAsset:
      return "patent:<application no>, trademark:<reg no> or data:<id>";
    case IdKind::kRecord:
      return "^[A-Za-z0-9._-]{1,64}$";
  }
  return "";
}

}  // namespace

std::string_view IdKindName(IdKind kind) {
  switch (kind) {
    case IdKind::kParticipant:
      return "participant id";
    case IdKind::kKeyLabel:
      return "key label";
    case IdKind::kKeyId:
      return "key id";
    case IdKind::kAsset:
      return "asset id";
    case IdKind::kRecord:
      return "id";
  }
  return "id";
}

bool IsIdentifier(IdKind kind, std::string_view s) {
  if (s.empty() || s.size() > kMaxIdentifierBytes || !std::all_of(s.begin(), s.end(), InAlphabet)) {
    return false;
  }
  switch (kind) {
    case IdKind::kParticipant:
    case IdKind::kKeyLabel:
      return IsParticipantId(s);
    case IdKind::kKeyId: {
      const size_t slash = s.find('/');
      return slash != std::string_view::npos && IsParticipantId(s.substr(0, slash)) &&
             IsParticipantId(s.substr(slash + 1));
    }
    case IdKind::kAsset:
      return IsAssetId(s);
    case IdKind::kRecord:
      return IsOtherId(s);
  }
  return false;
}

std::string ShowIdentifier(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b >= 0x7f || b == '\\' || b == '"') {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

Status CheckIdentifier(IdKind kind, std::string_view s, std::string_view what) {
  if (IsIdentifier(kind, s)) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " '" + ShowIdentifier(s) + "' is not a " +
                                 std::string(IdKindName(kind)) + " (" + std::string(FormOf(kind)) +
                                 "; at most " + std::to_string(kMaxIdentifierBytes) +
                                 " bytes of [A-Za-z0-9._:/-])");
}

}  // namespace ipledger::api
