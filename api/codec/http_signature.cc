#include "api/codec/http_signature.h"

#include <charconv>
#include <cstddef>
#include <utility>
#include <vector>

#include "crypto/bytes.h"

namespace ipledger::api {
namespace {

constexpr std::string_view kAlg = "ed25519";
// RFC 8941 §3.3.1: an sf-integer has at most 15 digits.
constexpr std::size_t kMaxIntegerDigits = 15;

bool IsOws(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 8941 §4.1.6: sf-string with `"` and `\` escaped, appended to `out`.
void AppendSerializedString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string SerializeString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendSerializedString(out, s);
  return out;
}

// A cursor over one header value implementing the subset of RFC 8941 (§4.2) the
// profile uses. Every error names the header and what was expected.
class SfParser {
 public:
  SfParser(std::string_view header, std::string_view text) : header_(header), s_(text) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  std::size_t pos() const { return pos_; }
  std::string_view Slice(std::size_t from, std::size_t to) const {
    return s_.substr(from, to - from);
  }
  void Advance() { ++pos_; }
  bool Consume(char c) {
    if (AtEnd() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void SkipSp() {
    while (!AtEnd() && s_[pos_] == ' ') ++pos_;
  }
  void SkipOws() {
    while (!AtEnd() && IsOws(s_[pos_])) ++pos_;
  }

  Status Error(const std::string& what) const {
    return Status::InvalidArgument(std::string(header_) + ": " + what + " (at offset " +
                                   std::to_string(pos_) + ")");
  }

  // key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
  StatusOr<std::string> Key(std::string_view what) {
    const std::size_t start = pos_;
    if (!IsLcAlpha(Peek()) && Peek() != '*') {
      return Error("expected " + std::string(what) + " (a lowercase key)");
    }
    while (!AtEnd()) {
      const char c = s_[pos_];
      if (!IsLcAlpha(c) && !IsDigit(c) && c != '_' && c != '-' && c != '.' && c != '*') break;
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  // sf-string: DQUOTE *( %x20-21 / %x23-5B / %x5D-7E / "\" ( DQUOTE / "\" ) ) DQUOTE
  StatusOr<std::string> String(std::string_view what) {
    if (!Consume('"')) return Error(std::string(what) + " must be a string");
    std::string out;
    while (true) {
      if (AtEnd()) return Error("unterminated string in " + std::string(what));
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd()) return Error("unterminated string in " + std::string(what));
        const char e = s_[pos_++];
        if (e != '"' && e != '\\') return Error("invalid escape in " + std::string(what));
        out += e;
      } else if (c < 0x20 || c > 0x7e) {
        return Error("non-printable character in " + std::string(what));
      } else {
        out += c;
      }
    }
  }

  // sf-integer: ["-"] 1*15DIGIT, and not the start of an sf-decimal.
  StatusOr<std::int64_t> Integer(std::string_view what) {
    const std::size_t start = pos_;
    Consume('-');
    const std::size_t digits_start = pos_;
    while (IsDigit(Peek())) ++pos_;
    const std::size_t digits = pos_ - digits_start;
    if (digits == 0) return Error(std::string(what) + " must be an integer");
    if (Peek() == '.') return Error(std::string(what) + " must be an integer, not a decimal");
    if (digits > kMaxIntegerDigits) {
      return Error(std::string(what) + " has more than 15 digits");
    }
    std::int64_t value = 0;
    const std::string_view text = s_.substr(start, pos_ - start);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Error(std::string(what) + " is not a valid integer");
    }
    return value;
  }

 private:
  std::string_view header_;
  std::string_view s_;
  std::size_t pos_ = 0;
};

// After a dictionary's only member: nothing but optional whitespace may follow.
Status ExpectSingleMember(SfParser& p) {
  p.SkipOws();
  if (p.AtEnd()) return Status::Ok();
  if (p.Peek() == ',') return p.Error("must have exactly one member, found more");
  return p.Error("unexpected character '" + std::string(1, p.Peek()) + "' after the member");
}

// The serialized member value of a signature: the inner list of components and the
// parameters in the order given. Used both to sign and to require that a received
// Signature-Input is in the canonical form (so the text signed "exactly as sent" and
// RFC 9421's re-serialization are the same bytes).
struct ParamEntry {
  std::string name;
  std::string serialized_value;
};
std::string SerializeParams(const std::vector<std::string>& components,
                            const std::vector<ParamEntry>& params) {
  std::string out;
  out.reserve(96);
  out += '(';
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i > 0) out += ' ';
    AppendSerializedString(out, components[i]);
  }
  out += ')';
  for (const auto& p : params) {
    out += ';';
    out += p.name;
    out += '=';
    out += p.serialized_value;
  }
  return out;
}

// Derived components (RFC 9421 §2.2) the profile accepts besides the required three.
bool IsAcceptedDerived(std::string_view c) {
  return c == "@method" || c == "@path" || c == "@query" || c == "@authority" ||
         c == "@request-target";
}

// A header field name as a component identifier: lower-case token characters.
bool IsFieldName(std::string_view c) {
  if (c.empty()) return false;
  for (const char ch : c) {
    if (!IsLcAlpha(ch) && !IsDigit(ch) &&
        std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

struct ParsedInput {
  SignatureParams params;
  std::string params_text;
};

StatusOr<ParsedInput> ParseSignatureInput(std::string_view header_value) {
  const std::string_view text = TrimOws(header_value);
  SfParser p("Signature-Input", text);
  if (text.empty()) return p.Error("is empty");
  ParsedInput out;
  auto label = p.Key("a signature label");
  if (!label.ok()) return label.status();
  out.params.label = std::move(*label);
  if (!p.Consume('=')) return p.Error("member '" + out.params.label + "' has no value");
  const std::size_t value_start = p.pos();
  if (!p.Consume('(')) return p.Error("member value must be an inner list of components");

  // RFC 8941 §4.2.1.2: "(" *SP [ item *( 1*SP item ) *SP ] ")".
  std::vector<std::string> components;
  components.reserve(4);
  p.SkipSp();
  while (!p.Consume(')')) {
    if (p.AtEnd()) return p.Error("unterminated inner list");
    auto component = p.String("a component identifier");
    if (!component.ok()) return component.status();
    if (p.Peek() == ';') return p.Error("component identifiers must not have parameters");
    for (const auto& c : components) {
      if (c == *component) return p.Error("component \"" + c + "\" is covered twice");
    }
    const bool derived = !component->empty() && component->front() == '@';
    if (derived ? !IsAcceptedDerived(*component) : !IsFieldName(*component)) {
      return p.Error("unsupported covered component \"" + *component + "\"");
    }
    components.push_back(std::move(*component));
    if (p.AtEnd()) return p.Error("unterminated inner list");
    if (p.Peek() != ')' && p.Peek() != ' ') {
      return p.Error("expected a space or ')' in the inner list");
    }
    p.SkipSp();
  }
  for (const char* required : {"@method", "@path", "@query"}) {
    bool found = false;
    for (const auto& c : components) found = found || c == required;
    if (!found) {
      return p.Error(std::string("covered components must include \"") + required +
                     "\" (required: \"@method\" \"@path\" \"@query\")");
    }
  }
  bool has_created = false, has_keyid = false, has_alg = false;
  std::vector<ParamEntry> seen;
  seen.reserve(6);  // created, expires, keyid, alg, nonce, tag
  while (p.Consume(';')) {
    p.SkipSp();
    auto name = p.Key("a parameter name");
    if (!name.ok()) return name.status();
    for (const auto& s : seen) {
      if (s.name == *name) return p.Error("duplicate parameter '" + *name + "'");
    }
    if (!p.Consume('=')) return p.Error("parameter '" + *name + "' has no value");
    ParamEntry entry{*name, {}};
    if (*name == "created" || *name == "expires") {
      auto value = p.Integer(*name);
      if (!value.ok()) return value.status();
      entry.serialized_value = std::to_string(*value);
      if (*name == "created") {
        out.params.created = *value;
        has_created = true;
      } else {
        out.params.expires = *value;
      }
    } else if (*name == "keyid") {
      auto keyid = p.String("keyid");
      if (!keyid.ok()) return keyid.status();
      entry.serialized_value = SerializeString(*keyid);
      out.params.keyid = std::move(*keyid);
      has_keyid = true;
    } else if (*name == "alg") {
      auto alg = p.String("alg");
      if (!alg.ok()) return alg.status();
      if (*alg != kAlg) return p.Error("alg must be \"ed25519\", not \"" + *alg + "\"");
      out.params.alg = std::move(*alg);
      entry.serialized_value = SerializeString(out.params.alg);
      has_alg = true;
    } else if (*name == "nonce" || *name == "tag") {
      auto value = p.String(*name);
      if (!value.ok()) return value.status();
      if (value->empty()) return p.Error(*name + " is empty");
      entry.serialized_value = SerializeString(*value);
      (*name == "nonce" ? out.params.nonce : out.params.tag) = std::move(*value);
    } else {
      return p.Error("unsupported parameter '" + *name + "'");
    }
    seen.push_back(std::move(entry));
  }
  const std::size_t value_end = p.pos();
  if (Status s = ExpectSingleMember(p); !s.ok()) return s;
  if (!has_created) return p.Error("missing parameter 'created'");
  if (!has_keyid) return p.Error("missing parameter 'keyid'");
  if (out.params.keyid.empty()) return p.Error("keyid is empty");
  if (!has_alg) return p.Error("missing parameter 'alg'");

  out.params_text = std::string(p.Slice(value_start, value_end));
  const std::string canonical = SerializeParams(components, seen);
  if (out.params_text != canonical) {
    return Status::InvalidArgument(
        "Signature-Input: member value is not in canonical RFC 8941 form (expected " + canonical +
        ")");
  }
  out.params.components = std::move(components);
  return out;
}

struct ParsedSignatureValue {
  std::string label;
  Signature signature{};
};

StatusOr<ParsedSignatureValue> ParseSignatureValue(std::string_view header_value) {
  const std::string_view text = TrimOws(header_value);
  SfParser p("Signature", text);
  if (text.empty()) return p.Error("is empty");
  ParsedSignatureValue out;
  auto label = p.Key("a signature label");
  if (!label.ok()) return label.status();
  out.label = std::move(*label);
  if (!p.Consume('=')) return p.Error("member '" + out.label + "' has no value");
  if (!p.Consume(':')) return p.Error("member value must be a byte sequence (:base64:)");
  const std::size_t start = p.pos();
  while (!p.AtEnd() && p.Peek() != ':') p.Advance();
  if (p.AtEnd()) return p.Error("unterminated byte sequence");
  const std::string_view encoded = p.Slice(start, p.pos());
  p.Advance();  // the closing ':'
  if (p.Peek() == ';') return p.Error("parameters are not allowed on the signature");
  if (Status s = ExpectSingleMember(p); !s.ok()) return s;
  std::optional<Bytes> raw = Base64Decode(encoded);
  if (!raw) return Status::InvalidArgument("Signature: byte sequence is not valid base64");
  std::optional<Signature> sig = SignatureFromBytes(*raw);
  if (!sig) {
    return Status::InvalidArgument("Signature: an Ed25519 signature has 64 bytes, not " +
                                   std::to_string(raw->size()));
  }
  out.signature = *sig;
  return out;
}

// The signature base of `params` for this request: one line per covered component in the
// order sent, then the @signature-params line. kFailedPrecondition if a covered header
// field is absent.
StatusOr<std::string> FullSignatureBase(const ParsedSignature& parsed, std::string_view method,
                                        std::string_view target,
                                        const std::map<std::string, std::string>* headers) {
  const std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path.empty()) path = "/";  // RFC 9421 §2.2.6
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const auto header = [headers](const std::string& name) -> std::optional<std::string> {
    if (headers == nullptr) return std::nullopt;
    auto it = headers->find(name);
    if (it == headers->end()) return std::nullopt;
    return std::string(TrimOws(it->second));
  };
  std::string base;
  base.reserve(target.size() + parsed.params_text.size() + 96);
  for (const std::string& c : parsed.params.components) {
    AppendSerializedString(base, c);
    base += ": ";
    if (c == "@method") {
      base += method;
    } else if (c == "@path") {
      base += path;
    } else if (c == "@query") {
      base += '?';
      base += query;
    } else if (c == "@request-target") {
      base += target;
    } else if (c == "@authority") {
      auto host = header("host");
      if (!host) {
        return Status::FailedPrecondition(
            "signature covers \"@authority\" but the request has no Host");
      }
      for (char& ch : *host) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      }
      base += *host;
    } else {
      auto field = header(c);
      if (!field) {
        return Status::FailedPrecondition("signature covers \"" + c +
                                          "\" but the request has no such header");
      }
      base += *field;
    }
    base += '\n';
  }
  base += "\"@signature-params\": ";
  base += parsed.params_text;
  return base;
}

}  // namespace

std::string SignatureBase(std::string_view method, std::string_view target,
                          std::string_view params) {
  const std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  // RFC 9421 §2.2.6: an empty path is normalized to "/".
  if (path.empty()) path = "/";
  // RFC 9421 §2.2.7: "?" followed by the query, or "?" alone when there is none.
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  std::string base;
  base.reserve(method.size() + target.size() + params.size() + 64);
  base.append("\"@method\": ").append(method).append("\n");
  base.append("\"@path\": ").append(path).append("\n");
  base.append("\"@query\": ?").append(query).append("\n");
  base.append("\"@signature-params\": ").append(params);
  return base;
}

SignatureHeaders SignRequest(std::string_view method, std::string_view target,
                             std::string_view keyid, std::int64_t created, const SigningKey& key) {
  const std::string params =
      SerializeParams({"@method", "@path", "@query"}, {
                                                          {"created", std::to_string(created)},
                                                          {"keyid", SerializeString(keyid)},
                                                          {"alg", SerializeString(kAlg)},
                                                      });
  const std::string base = SignatureBase(method, target, params);
  const Signature sig = key.Sign(AsBytes(base));
  SignatureHeaders headers;
  headers.signature_input = "ipl=" + params;
  headers.signature = "ipl=:" + Base64Encode(sig) + ":";
  return headers;
}

StatusOr<ParsedSignature> ParseSignatureHeaders(std::string_view signature_input,
                                                std::string_view signature) {
  auto input = ParseSignatureInput(signature_input);
  if (!input.ok()) return input.status();
  auto value = ParseSignatureValue(signature);
  if (!value.ok()) return value.status();
  if (value->label != input->params.label) {
    return Status::InvalidArgument("Signature label '" + value->label +
                                   "' does not match Signature-Input label '" +
                                   input->params.label + "'");
  }
  return ParsedSignature{std::move(input->params), std::move(input->params_text), value->signature};
}

StatusOr<std::string> CheckRequestSignature(const ParsedSignature& parsed, std::string_view method,
                                            std::string_view target, std::int64_t now_seconds,
                                            std::int64_t window_seconds,
                                            const std::map<std::string, std::string>* headers) {
  const std::int64_t created = parsed.params.created;
  const std::uint64_t window = window_seconds < 0 ? 0 : static_cast<std::uint64_t>(window_seconds);
  // Differences in unsigned arithmetic: exact for any two int64 values, no overflow.
  if (now_seconds > created) {
    const std::uint64_t age =
        static_cast<std::uint64_t>(now_seconds) - static_cast<std::uint64_t>(created);
    if (age > window) {
      return Status::FailedPrecondition("request signature of " + parsed.params.keyid +
                                        " expired: created " + std::to_string(age) +
                                        " s ago, window " + std::to_string(window) + " s");
    }
  } else if (created > now_seconds) {
    const std::uint64_t ahead =
        static_cast<std::uint64_t>(created) - static_cast<std::uint64_t>(now_seconds);
    if (ahead > window) {
      return Status::FailedPrecondition("request signature of " + parsed.params.keyid +
                                        " created in the future: " + std::to_string(ahead) +
                                        " s ahead, window " + std::to_string(window) + " s");
    }
  }
  if (const auto& expires = parsed.params.expires) {
    if (*expires <= now_seconds) {
      return Status::FailedPrecondition("request signature of " + parsed.params.keyid +
                                        " expired: expires " + std::to_string(*expires) +
                                        " is not after the server clock " +
                                        std::to_string(now_seconds));
    }
    if (*expires < created ||
        static_cast<std::uint64_t>(*expires) - static_cast<std::uint64_t>(created) > window) {
      return Status::FailedPrecondition("request signature of " + parsed.params.keyid +
                                        ": expires must be at most " + std::to_string(window) +
                                        " s after created");
    }
  }
  return FullSignatureBase(parsed, method, target, headers);
}

Status VerifyRequestSignature(const ParsedSignature& parsed, std::string_view method,
                              std::string_view target, const PublicKey& key,
                              std::int64_t now_seconds, std::int64_t window_seconds,
                              const std::map<std::string, std::string>* headers) {
  auto base = CheckRequestSignature(parsed, method, target, now_seconds, window_seconds, headers);
  if (!base.ok()) return base.status();
  if (!Verify(key, AsBytes(*base), parsed.signature)) {
    return Status::FailedPrecondition("request signature of " + parsed.params.keyid +
                                      " does not verify");
  }
  return Status::Ok();
}

}  // namespace ipledger::api
