#include "api/codec/internal/strict_json.h"

#include <set>
#include <utility>
#include <vector>

namespace ipledger::api {
namespace {

using nlohmann::json;

// Where the parser is, so that every refusal (a duplicate key, excess depth, even a
// syntax error or invalid UTF-8) can name the field it happened in.
struct Frame {
  std::string path;
  bool is_array = false;
  std::size_t next_index = 0;  // arrays: index of the element being parsed
  std::string key;             // objects: the key being parsed
  std::set<std::string> keys;  // objects: keys seen so far
};

std::string ChildPath(const std::vector<Frame>& frames) {
  if (frames.empty()) return "";
  const Frame& f = frames.back();
  return f.is_array ? JsonPathAt(f.path, f.next_index) : JsonPathJoin(f.path, f.key);
}

std::string Message(std::string_view root, const std::string& path, std::string_view problem) {
  std::string m = path.empty() ? std::string(root) : path;
  m += ": ";
  m += problem;
  return m;
}

}  // namespace

std::string SafeKey(std::string_view k) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (std::size_t i = 0; i < k.size() && i < kMax; ++i) {
    const char c = k[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (k.size() > kMax) out += "...";
  return out;
}

std::string JsonPathJoin(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

std::string JsonPathAt(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

json ParseStrictJson(std::string_view text, std::string_view root, std::string* error) {
  error->clear();
  std::vector<Frame> frames;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    // Once refused, build nothing more: hostile input (say 10^5 nested arrays) then
    // costs no memory beyond the point of refusal.
    if (!error->empty()) return false;
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        Frame f;
        f.path = ChildPath(frames);
        f.is_array = event == json::parse_event_t::array_start;
        if (!frames.empty() && frames.back().is_array) ++frames.back().next_index;
        if (depth >= kMaxJsonDepth) {
          *error = Message(root, f.path, "JSON nested deeper than 32 levels");
        }
        frames.push_back(std::move(f));
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case json::parse_event_t::key:
        if (!frames.empty() && parsed.is_string()) {
          Frame& f = frames.back();
          f.key = SafeKey(parsed.get_ref<const std::string&>());
          if (!f.keys.insert(parsed.get_ref<const std::string&>()).second) {
            *error = Message(root, JsonPathJoin(f.path, f.key), "duplicate key");
          }
        }
        break;
      case json::parse_event_t::value:
        if (!frames.empty() && frames.back().is_array) ++frames.back().next_index;
        break;
    }
    // Keep everything while the input is acceptable: discarding would skip the *_end
    // events the frames rely on.
    return true;
  };
  json value = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (error->empty() && value.is_discarded()) {
    *error = Message(root, ChildPath(frames), "not valid JSON (syntax error or invalid UTF-8)");
  }
  return value;
}

}  // namespace ipledger::api
