// The §1 forms of the strings a statement holds (api/codec/statement_format.h).
#include "api/codec/statement_format.h"

#include <algorithm>

namespace ipledger::api {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsTokenChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

}  // namespace

bool IsParticipantId(std::string_view s) {
  if (s.size() < 2 || s.size() > 64 || !IsLowerAlnum(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool IsOtherId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), IsTokenChar);
}

bool IsApplicationNo(std::string_view s) {
  return s.size() == 13 &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '.'; });
}

bool IsRegNo(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), IsAlnum);
}

bool IsAssetId(std::string_view s) {
  if (s.starts_with("patent:")) return IsApplicationNo(s.substr(7));
  if (s.starts_with("trademark:")) return IsRegNo(s.substr(10));
  if (s.starts_with("data:")) return IsOtherId(s.substr(5));
  return false;
}

bool IsSnakeName(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '_'; });
}

bool IsUscc(std::string_view s) {
  return s.size() == 18 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
         });
}

bool IsRegionCode(std::string_view s) {
  return s.size() == 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsCurrency(std::string_view s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace ipledger::api
