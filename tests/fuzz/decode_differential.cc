#include "tests/fuzz/decode_differential.h"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "api/codec/internal/envelope_reader.h"
#include "api/codec/internal/strict_json.h"
#include "api/codec/json_codec.h"
#include "crypto/dsse.h"

namespace ipledger::fuzz {
namespace {

using nlohmann::json;

// Equal values of equal types all the way down (nlohmann's == finds 1 == 1.0 == 1u).
bool SameJson(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      auto ia = a.begin();
      auto ib = b.begin();
      for (; ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key() || !SameJson(ia.value(), ib.value())) return false;
      }
      return true;
    }
    case json::value_t::array:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!SameJson(a[i], b[i])) return false;
      }
      return true;
    case json::value_t::number_float:
      // Bit-for-bit: both come from the same lexer, so even -0.0 must match.
      return a.dump() == b.dump();
    default:
      return a == b;
  }
}

std::string Head(std::string_view s) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const char c = s[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

Status Differs(std::string what, std::string_view input) {
  return Status::Internal(what + ": '" + Head(input) + "'");
}

}  // namespace

bool SameEnvelope(const DsseEnvelope& a, const DsseEnvelope& b) {
  if (a.payload_type != b.payload_type || a.payload != b.payload ||
      a.signatures.size() != b.signatures.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.signatures.size(); ++i) {
    if (a.signatures[i].keyid != b.signatures[i].keyid ||
        a.signatures[i].sig != b.signatures[i].sig) {
      return false;
    }
  }
  return true;
}

Status CheckStrictJsonPasses(std::string_view input) {
  json fast;
  const bool fast_ok = api::ParseStrictJsonFast(input, &fast);
  std::string error;
  const json reference = api::ParseStrictJsonReference(input, "root", &error);
  const bool reference_ok = error.empty();
  if (fast_ok != reference_ok) {
    return Differs(fast_ok ? "the SAX pass accepts what the reference refuses (" + error + ")"
                           : "the SAX pass refuses what the reference accepts",
                   input);
  }
  if (fast_ok && !SameJson(fast, reference)) {
    return Differs("the SAX pass and the reference build different documents", input);
  }
  std::string combined_error;
  const json combined = api::ParseStrictJson(input, "root", &combined_error);
  if (combined_error != error || (reference_ok && !SameJson(combined, reference))) {
    return Differs("ParseStrictJson differs from the reference", input);
  }
  return Status::Ok();
}

Status CheckEnvelopePasses(std::string_view input) {
  DsseEnvelope fast;
  const bool fast_ok = api::DecodeEnvelopeJsonFast(input, &fast);
  const StatusOr<DsseEnvelope> dom = api::DecodeEnvelopeJsonDom(input);
  if (fast_ok && !dom.ok()) {
    return Differs(
        "the fast envelope reader accepts what the DOM refuses (" + dom.status().message() + ")",
        input);
  }
  if (fast_ok && !SameEnvelope(fast, *dom)) {
    return Differs("the fast envelope reader and the DOM decode different envelopes", input);
  }
  const StatusOr<DsseEnvelope> combined = api::DecodeEnvelopeJson(input);
  if (combined.ok() != dom.ok() || (dom.ok() && !SameEnvelope(*combined, *dom)) ||
      (!dom.ok() && (combined.status().code() != dom.status().code() ||
                     combined.status().message() != dom.status().message()))) {
    return Differs("DecodeEnvelopeJson differs from its DOM pass", input);
  }
  return Status::Ok();
}

bool EnvelopeTakesFastPass(std::string_view input) {
  DsseEnvelope env;
  return api::DecodeEnvelopeJsonFast(input, &env);
}

}  // namespace ipledger::fuzz
