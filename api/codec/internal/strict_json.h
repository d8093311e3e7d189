// The one strict JSON reader of api/: nlohmann-json's parser, refusing duplicate object
// keys (nlohmann would keep the last one silently, so two readers of the same signed
// bytes could see two different documents) and nesting deeper than kMaxJsonDepth, and
// naming the field path of every refusal. Every decoder of client or server JSON
// (envelopes, statements, the CLI's answers) uses it.
//
// Two passes only when the input is refused: a SAX handler builds the document with the
// checks and no bookkeeping of paths (ParseStrictJsonFast); if it refuses, the input is
// parsed again by the reference parser, a parser callback that tracks every field's path
// (ParseStrictJsonReference), and its message is the answer. Both refuse exactly the
// same inputs and build the same documents (tests/api/codec/decode_differential_test.cc).
//
// Internal to api/ (it names nlohmann in its interface). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ipledger::api {

// Legitimate documents nest about five deep; the cap keeps hostile input from building
// deep trees that later recursive code (dump, comparisons) would walk.
inline constexpr int kMaxJsonDepth = 32;

// Parses `text` without exceptions. On refusal sets `*error` to "<path>: <problem>"
// (the path of the offending field, or `root` at the top level, e.g. "statement:
// duplicate key" or "body.keys[1]: JSON nested deeper than 32 levels") and the result
// is to be ignored; on success `*error` is empty.
nlohmann::json ParseStrictJson(std::string_view text, std::string_view root, std::string* error);

// The fast pass: true and the document in `*out` if `text` is acceptable, false (and
// `*out` to be ignored) if ParseStrictJson would refuse it. No message.
bool ParseStrictJsonFast(std::string_view text, nlohmann::json* out);

// The reference pass (what ParseStrictJson did in one pass before): same contract as
// ParseStrictJson. Kept for the messages of refusals and for the differential tests.
nlohmann::json ParseStrictJsonReference(std::string_view text, std::string_view root,
                                        std::string* error);

// "a.b" / "a[3]": field paths as the messages name them. Client-supplied keys are cut
// short and reduced to printable ASCII (SafeKey) before they go into a path.
std::string JsonPathJoin(const std::string& path, std::string_view key);
std::string JsonPathAt(const std::string& path, std::size_t i);
std::string SafeKey(std::string_view k);

}  // namespace ipledger::api
