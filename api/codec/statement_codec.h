// Statement codec: the JSON of a v1 statement (a DSSE payload, api.md §2–3) <-> Statement.
//
// Decoding is strict, so that a typo or an ambiguous document never passes silently:
// exactly the fields api.md names at every level, the right JSON types, no duplicate
// keys, integers only where integers are meant (1.0 and 1e3 are not integers), ids,
// dates, digests and keys in their §1 forms, and nesting at most 32 deep. Every
// refusal is kInvalidArgument (E_SCHEMA) and its message begins with the path of the
// offending field, e.g. "body.secured.amount.amount_fen: must be an integer >= 0".
// Business rules that depend on state are not checked here (ledger/ does that).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ledger/base/status.h"
#include "ledger/registry/statement.h"

namespace ipledger::api {

// The statement held in `json` (UTF-8). kInvalidArgument with a message naming the
// field path if it is not valid JSON or not exactly a v1 statement. `json` is only
// read during the call.
StatusOr<Statement> DecodeStatement(std::string_view json);

// Compact JSON of `s` (field names as api.md §3, keys in sorted order, absent
// optionals and empty optional lists omitted). For any `s` that DecodeStatement could
// have produced, DecodeStatement(EncodeStatement(s)) reproduces `s`. Invalid UTF-8 in
// a string is replaced (U+FFFD), never thrown.
std::string EncodeStatement(const Statement& s);

}  // namespace ipledger::api
