// The forms api.md §1 gives the strings of a statement (ids, numbers, codes), as
// predicates. The statement codec checks every such field with these.
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace ipledger::api {

// ^[a-z0-9][a-z0-9-]{1,63}$ (participant ids and key labels).
bool IsParticipantId(std::string_view s);

// ^[A-Za-z0-9._-]{1,64}$ (pledge, policy, valuation, case and claim ids; data tokens).
bool IsOtherId(std::string_view s);

// A CNIPA application number: 13 letters, digits or '.'.
bool IsApplicationNo(std::string_view s);

// A trademark registration number: 1 to 32 letters or digits.
bool IsRegNo(std::string_view s);

// "patent:<application no>", "trademark:<reg no>" or "data:<other id>".
bool IsAssetId(std::string_view s);

// Product and cost names: an open set of snake_case words (api.md §3 lists examples),
// at most 64 characters.
bool IsSnakeName(std::string_view s);

// GB 32100: 18 characters of digits and upper-case letters (the check character is
// not verified here).
bool IsUscc(std::string_view s);

// GB/T 2260 administrative division: six digits (domain.md §7 snapshots it).
bool IsRegionCode(std::string_view s);

// Three upper-case letters (ISO 4217).
bool IsCurrency(std::string_view s);

}  // namespace ipledger::api
