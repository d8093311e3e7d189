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

json ParseStrictJsonReference(std::string_view text, std::string_view root, std::string* error) {
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

namespace {

// Builds the document as nlohmann's own SAX DOM parser does, refusing a duplicate key
// (the object already holds it) and an object or array opened at depth kMaxJsonDepth
// (the reference's `depth` is the number of enclosing containers, as stack_.size()
// here). Any refusal stops the parse: sax_parse returns false.
class StrictDomBuilder {
 public:
  explicit StrictDomBuilder(json* root) : root_(root) {}

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(json::number_integer_t v) { return Value(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value(v); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) { return Value(v); }
  bool string(json::string_t& v) { return Value(std::move(v)); }
  bool binary(json::binary_t& /*v*/) { return false; }  // not produced by the JSON lexer

  bool start_object(std::size_t /*n*/) { return Open(json::value_t::object); }
  bool start_array(std::size_t /*n*/) { return Open(json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(json::string_t& k) {
    // The lexer clears its token buffer before the next token, so the key may be moved.
    auto [it, inserted] = stack_.back()->get_ref<json::object_t&>().emplace(std::move(k), nullptr);
    if (!inserted) return false;
    slot_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*e*/) {
    return false;
  }

 private:
  template <typename V>
  json* Place(V&& v) {
    if (stack_.empty()) {
      *root_ = json(std::forward<V>(v));
      return root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      auto& a = top->get_ref<json::array_t&>();
      a.emplace_back(std::forward<V>(v));
      return &a.back();
    }
    *slot_ = json(std::forward<V>(v));
    return slot_;
  }

  template <typename V>
  bool Value(V&& v) {
    Place(std::forward<V>(v));
    return true;
  }

  bool Open(json::value_t t) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxJsonDepth)) return false;
    stack_.push_back(Place(t));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  json* root_;
  std::vector<json*> stack_;
  json* slot_ = nullptr;
};

}  // namespace

bool ParseStrictJsonFast(std::string_view text, json* out) {
  StrictDomBuilder builder(out);
  return json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                         /*strict=*/true);
}

json ParseStrictJson(std::string_view text, std::string_view root, std::string* error) {
  error->clear();
  json value;
  if (ParseStrictJsonFast(text, &value)) return value;
  return ParseStrictJsonReference(text, root, error);
}

}  // namespace ipledger::api
