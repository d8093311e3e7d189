// Check characters of official numbers (asset_id.h).
#include "ledger/registry/asset_id.h"

#include <algorithm>

namespace ipledger {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

}  // namespace

std::optional<char> CnipaCheckCharacter(std::string_view body) {
  if (body.size() != 12 || !std::all_of(body.begin(), body.end(), IsDigit)) return std::nullopt;
  static constexpr int kWeights[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (std::size_t i = 0; i < 12; ++i) sum += (body[i] - '0') * kWeights[i];
  const int check = sum % 11;
  return check == 10 ? 'X' : static_cast<char>('0' + check);
}

bool IsValidApplicationNo(std::string_view s) {
  if (s.size() != 13) return false;
  const auto check = CnipaCheckCharacter(s.substr(0, 12));
  return check && *check == s[12];
}

bool IsCanonicalTrademarkNo(std::string_view s) {
  return !s.empty() && s[0] != '0' && std::all_of(s.begin(), s.end(), IsDigit);
}

std::optional<std::string> CanonicalTrademarkNo(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), IsDigit)) return std::nullopt;
  const std::size_t first = s.find_first_not_of('0');
  if (first == std::string_view::npos) return std::nullopt;
  return std::string(s.substr(first));
}

std::optional<char> UsccCheckCharacter(std::string_view first17) {
  if (first17.size() != 17) return std::nullopt;
  static constexpr int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    const std::size_t v = kUsccAlphabet.find(first17[i]);
    if (v == std::string_view::npos) return std::nullopt;
    sum += static_cast<int>(v) * kWeights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return kUsccAlphabet[static_cast<std::size_t>(check)];
}

bool IsValidUscc(std::string_view s) {
  if (s.size() != 18) return false;
  const auto check = UsccCheckCharacter(s.substr(0, 17));
  return check && *check == s[17];
}

}  // namespace ipledger
