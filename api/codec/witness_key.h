// The checks of a witness key's fields (participant.keys members with "role": "witness",
// WitnessKeySpec in ledger/registry/statement.h): its C2SP vkey and its URL. The
// statement codec refuses anything else with E_SCHEMA. Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace ipledger::api {

// A C2SP signed-note vkey "<name>+<8 hex key id>+<base64(type || key)>" that parses (type
// 0x04 cosignature/v1 or 0x01 Ed25519, the key id matching the key), spelled canonically
// (FormatVkey gives it back), at most kMaxWitnessVkeyChars long, whose key name is
// printable ASCII without spaces (it becomes a token of a policy file).
bool IsWitnessVkey(std::string_view vkey);

// "http://" or "https://", a host (a DNS name or IPv4 address of [A-Za-z0-9.-], or
// "[IPv6]"), an optional ":port" (1..65535) and an optional path; printable ASCII
// without spaces, '?', '#', '@' or '\'; at most kMaxWitnessUrlChars long.
bool IsWitnessUrl(std::string_view url);

}  // namespace ipledger::api
