// Identifiers: the one check every participant id, key label, key id, asset id and
// record id (pledge, policy, valuation, case, claim) goes through, wherever it comes
// from: a statement body (statement_codec), a signature's key id (DSSE envelopes and
// RFC 9421 Signature-Input), or a path or query parameter of the HTTP API.
//
// Every identifier is printable ASCII from one alphabet, [A-Za-z0-9._:/-], at most
// kMaxIdentifierBytes long, and has the form of its kind (api.md §1):
//   participant id, key label  ^[a-z0-9][a-z0-9-]{1,63}$
//   key id                     <participant id>/<key label>
//   asset id                   patent:<13 of [A-Za-z0-9.]>, trademark:<1-32 of [A-Za-z0-9]>,
//                              data:<record id>
//   record id                  ^[A-Za-z0-9._-]{1,64}$
// So no NUL, no control character, no space, no non-ASCII byte can name anything: the
// store's keys (which end an id with a NUL) can never be aliased by an id with trailing
// NULs, and no two spellings name the same record.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "ledger/base/status.h"

namespace ipledger::api {

inline constexpr std::size_t kMaxIdentifierBytes = 129;  // a key id: 64 + '/' + 64

enum class IdKind { kParticipant, kKeyLabel, kKeyId, kAsset, kRecord };

// "participant id", "key id", ...
std::string_view IdKindName(IdKind kind);

// True if `s` is an identifier of `kind`.
bool IsIdentifier(IdKind kind, std::string_view s);

// OK, or kInvalidArgument (E_SCHEMA) saying what `what` must be, with the offending
// value shown escaped (control bytes as \xNN).
Status CheckIdentifier(IdKind kind, std::string_view s, std::string_view what);

// `s` printable, control bytes and non-ASCII as \xNN, cut after 80 bytes: for messages.
std::string ShowIdentifier(std::string_view s);

}  // namespace ipledger::api
