// Official identity numbers of assets and participants, with their check characters
// (pure functions, no state).
//
//  - CNIPA patent application numbers since 2003-10-01: 12 digits (year, type, serial)
//    and a check character, the digits weighted 2,3,4,5,6,7,8,9,2,3,4,5 summed mod 11,
//    10 written 'X' (e.g. 2014103620773). The older 8-digit form (before 2003) is not
//    accepted: such patents' terms (at most 20 years) have ended, so they cannot secure
//    anything; their holders register nothing with the ledger.
//  - Trademark registration numbers: decimal digits, canonical without leading zeros.
//  - Unified social credit codes (GB 32100-2015): 17 characters of the alphabet
//    0-9 A-H J-N P-R T-U W-Y and a check character, 31 - (sum of values weighted
//    3^i mod 31) mod 31, over the same alphabet.
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ipledger {

// The check character of the 12 digits `body`; nullopt unless `body` is 12 digits.
std::optional<char> CnipaCheckCharacter(std::string_view body);
// Whether `s` is 12 digits followed by their check character.
bool IsValidApplicationNo(std::string_view s);

// Whether `s` is a trademark registration number in canonical form (digits, no
// leading zero).
bool IsCanonicalTrademarkNo(std::string_view s);
// The canonical form of a digit-only registration number (leading zeros dropped);
// nullopt if `s` is not all digits or is all zeros.
std::optional<std::string> CanonicalTrademarkNo(std::string_view s);

// The check character of the first 17 characters of a USCC; nullopt unless `first17`
// is 17 characters of the USCC alphabet.
std::optional<char> UsccCheckCharacter(std::string_view first17);
// Whether `s` is 18 characters whose last is the check character of the others.
bool IsValidUscc(std::string_view s);

}  // namespace ipledger
