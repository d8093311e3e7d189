// The one strict JSON reader of api/: nlohmann-json's parser with a callback that
// refuses duplicate object keys (nlohmann would keep the last one silently, so two
// readers of the same signed bytes could see two different documents) and nesting
// deeper than kMaxJsonDepth, and that names the field path of every refusal. Every
// decoder of client or server JSON (envelopes, statements, the CLI's answers) uses it.
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

// "a.b" / "a[3]": field paths as the messages name them. Client-supplied keys are cut
// short and reduced to printable ASCII (SafeKey) before they go into a path.
std::string JsonPathJoin(const std::string& path, std::string_view key);
std::string JsonPathAt(const std::string& path, std::size_t i);
std::string SafeKey(std::string_view k);

}  // namespace ipledger::api
