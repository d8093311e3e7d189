#include "api/codec/json_codec.h"

#include <nlohmann/json.hpp>

#include "api/codec/identifier.h"
#include "api/codec/internal/envelope_reader.h"
#include "api/codec/internal/strict_json.h"
#include "crypto/bytes.h"

namespace ipledger::api {

using nlohmann::json;

std::string EncodeEnvelopeJson(const DsseEnvelope& envelope) {
  json sigs = json::array();
  for (const auto& s : envelope.signatures) {
    sigs.push_back({{"keyid", s.keyid}, {"sig", Base64Encode(s.sig)}});
  }
  json j = {{"payloadType", envelope.payload_type},
            {"payload", Base64Encode(envelope.payload)},
            {"signatures", sigs}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<DsseEnvelope> DecodeEnvelopeJson(std::string_view text) {
  // Envelopes as clients write them take the fast pass; everything else, and every
  // refusal with its message, the strict DOM below (internal/envelope_reader.h).
  if (DsseEnvelope fast; DecodeEnvelopeJsonFast(text, &fast)) return fast;
  return DecodeEnvelopeJsonDom(text);
}

StatusOr<DsseEnvelope> DecodeEnvelopeJsonDom(std::string_view text) {
  std::string error;
  json j = ParseStrictJson(text, "envelope", &error);
  if (!error.empty()) return Status::InvalidArgument(std::move(error));
  if (!j.is_object()) return Status::InvalidArgument("envelope: not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "payloadType" && key != "payload" && key != "signatures") {
      return Status::InvalidArgument("envelope: unknown field '" + key + "'");
    }
  }
  DsseEnvelope env;
  auto pt = j.find("payloadType");
  if (pt == j.end() || !pt->is_string() || pt->get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument("envelope: payloadType must be a non-empty string");
  }
  env.payload_type = pt->get<std::string>();
  auto payload = j.find("payload");
  if (payload == j.end() || !payload->is_string()) {
    return Status::InvalidArgument("envelope: payload must be a base64 string");
  }
  auto payload_bytes = Base64Decode(payload->get_ref<const std::string&>());
  if (!payload_bytes) return Status::InvalidArgument("envelope: payload is not canonical base64");
  env.payload = std::move(*payload_bytes);
  auto sigs = j.find("signatures");
  if (sigs == j.end() || !sigs->is_array() || sigs->empty()) {
    return Status::InvalidArgument("envelope: signatures must be a non-empty array");
  }
  if (sigs->size() > kMaxEnvelopeSignatures) {
    return Status::InvalidArgument("envelope: at most " + std::to_string(kMaxEnvelopeSignatures) +
                                   " signatures, got " + std::to_string(sigs->size()));
  }
  for (size_t i = 0; i < sigs->size(); ++i) {
    const json& s = (*sigs)[i];
    const std::string where = "envelope: signatures[" + std::to_string(i) + "]";
    if (!s.is_object()) return Status::InvalidArgument(where + " is not an object");
    for (const auto& [key, value] : s.items()) {
      if (key != "keyid" && key != "sig") {
        return Status::InvalidArgument(where + ": unknown field '" + key + "'");
      }
    }
    auto keyid = s.find("keyid");
    auto sig = s.find("sig");
    if (keyid == s.end() || !keyid->is_string() || sig == s.end() || !sig->is_string()) {
      return Status::InvalidArgument(where + ": keyid and sig must be strings");
    }
    const std::string& id = keyid->get_ref<const std::string&>();
    if (Status st = CheckIdentifier(IdKind::kKeyId, id, where + ".keyid"); !st.ok()) return st;
    for (const DsseSignature& earlier : env.signatures) {
      if (earlier.keyid == id) return Status::InvalidArgument(where + ".keyid repeats " + id);
    }
    auto sig_bytes = Base64Decode(sig->get_ref<const std::string&>());
    if (!sig_bytes) return Status::InvalidArgument(where + ".sig is not canonical base64");
    env.signatures.push_back({keyid->get<std::string>(), std::move(*sig_bytes)});
  }
  return env;
}

std::string GenesisStatementJson(std::string_view registry_id, const PublicKey& key,
                                 std::string_view created) {
  json body = {{"id", registry_id},
               {"name", "Registry office"},
               {"role", "registry"},
               {"keys", json::array({{{"label", "k1"}, {"ed25519", Base64Encode(key)}}})}};
  json statement = {{"v", 1},
                    {"type", "participant.register"},
                    {"submitter", registry_id},
                    {"idempotency_key", "genesis"},
                    {"created", created},
                    {"body", body}};
  return statement.dump();
}

}  // namespace ipledger::api
