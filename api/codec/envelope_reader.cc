#include "api/codec/internal/envelope_reader.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "api/codec/identifier.h"
#include "api/codec/json_codec.h"
#include "crypto/bytes.h"

namespace ipledger::api {
namespace {

// A cursor over the input. Every Read* returns false at the first byte outside the
// fast subset; the caller then gives up and the DOM reader decides.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  // RFC 8259 §2 whitespace, as nlohmann's lexer skips it.
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }

  bool Expect(char c) {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }

  // A string of printable ASCII without escapes: a view into the input.
  bool String(std::string_view* out) {
    if (!Expect('"')) return false;
    const std::size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        *out = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
      ++i_;
    }
    return false;
  }

  // `"key"` followed by ':'.
  bool Key(std::string_view* key) { return String(key) && Expect(':'); }

  // After a member or element: true with *more if ',' follows, true with !*more at the
  // closing `close`.
  bool Next(char close, bool* more) {
    SkipSpace();
    if (i_ >= s_.size()) return false;
    if (s_[i_] == ',') {
      ++i_;
      *more = true;
      return true;
    }
    if (s_[i_] == close) {
      ++i_;
      *more = false;
      return true;
    }
    return false;
  }

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

bool ReadSignature(Reader& r, const DsseEnvelope& env, DsseSignature* out) {
  if (!r.Expect('{')) return false;
  std::optional<std::string_view> keyid;
  std::optional<std::string_view> sig;
  for (bool more = true; more;) {
    std::string_view key;
    std::string_view value;
    if (!r.Key(&key) || !r.String(&value)) return false;
    std::optional<std::string_view>* slot = key == "keyid" ? &keyid : key == "sig" ? &sig : nullptr;
    if (slot == nullptr || slot->has_value()) return false;
    *slot = value;
    if (!r.Next('}', &more)) return false;
  }
  if (!keyid || !sig) return false;
  if (!CheckIdentifier(IdKind::kKeyId, *keyid, "keyid").ok()) return false;
  for (const DsseSignature& earlier : env.signatures) {
    if (earlier.keyid == *keyid) return false;
  }
  std::optional<Bytes> sig_bytes = Base64Decode(*sig);
  if (!sig_bytes) return false;
  out->keyid = std::string(*keyid);
  out->sig = std::move(*sig_bytes);
  return true;
}

}  // namespace

bool DecodeEnvelopeJsonFast(std::string_view text, DsseEnvelope* out) {
  Reader r(text);
  if (!r.Expect('{')) return false;
  bool seen_type = false;
  bool seen_payload = false;
  bool seen_signatures = false;
  for (bool more = true; more;) {
    std::string_view key;
    if (!r.Key(&key)) return false;
    if (key == "payloadType") {
      std::string_view v;
      if (seen_type || !r.String(&v) || v.empty()) return false;
      out->payload_type = std::string(v);
      seen_type = true;
    } else if (key == "payload") {
      std::string_view v;
      if (seen_payload || !r.String(&v)) return false;
      std::optional<Bytes> payload = Base64Decode(v);
      if (!payload) return false;
      out->payload = std::move(*payload);
      seen_payload = true;
    } else if (key == "signatures") {
      if (seen_signatures || !r.Expect('[')) return false;
      out->signatures.clear();
      for (bool more_sigs = true; more_sigs;) {
        if (out->signatures.size() == kMaxEnvelopeSignatures) return false;
        DsseSignature s;
        if (!ReadSignature(r, *out, &s)) return false;
        out->signatures.push_back(std::move(s));
        if (!r.Next(']', &more_sigs)) return false;
      }
      seen_signatures = true;
    } else {
      return false;
    }
    if (!r.Next('}', &more)) return false;
  }
  return seen_type && seen_payload && seen_signatures && r.AtEnd();
}

}  // namespace ipledger::api
