// Readers of signing keys {label, ed25519} and witness keys {label, "role": "witness",
// vkey, url}, and the bodies of the participant.* statements that carry them (api.md §3).
// The rest of the statement decoder is in statement_codec.cc.
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/codec/internal/statement_readers.h"
#include "api/codec/witness_key.h"

namespace ipledger::api::statement_internal {
namespace {

Status ReadKeySpec(const json& v, const std::string& path, KeySpec* out) {
  Fields f(v, path, {"label", "ed25519"});
  f.Required("label", ReadKeyLabel, &out->label);
  f.Required("ed25519", ReadPublicKey, &out->ed25519);
  return f.status();
}

Status ReadKeys(const json& v, const std::string& path, std::vector<KeySpec>* out, Size size) {
  if (Status s = ListOf<KeySpec, Members::kAny>(ReadKeySpec, size)(v, path, out); !s.ok()) {
    return s;
  }
  std::set<std::string> labels;
  for (std::size_t i = 0; i < out->size(); ++i) {
    if (!labels.insert((*out)[i].label).second) {
      return Error(Join(At(path, i), "label"), "repeats an earlier label");
    }
  }
  return Status::Ok();
}

Status ReadNonEmptyKeys(const json& v, const std::string& path, std::vector<KeySpec>* out) {
  return ReadKeys(v, path, out, Size::kNonEmpty);
}

Status ReadWitnessVkey(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsWitnessVkey,
                  "a C2SP vkey <name>+<key id>+<base64(type || key)> of type 0x04 or 0x01, at "
                  "most 256 characters, its name printable ASCII without spaces",
                  out);
}

Status ReadWitnessUrl(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsWitnessUrl,
                  "an http:// or https:// URL of at most 256 printable ASCII characters (host, "
                  "optional port and path; no query, fragment or user info)",
                  out);
}

Status ReadWitnessRole(const json& v, const std::string& path, std::string* out) {
  return StringOf(
      v, path, [](std::string_view s) { return s == "witness"; }, "\"witness\"", out);
}

Status ReadWitnessKeySpec(const json& v, const std::string& path, WitnessKeySpec* out) {
  Fields f(v, path, {"label", "role", "vkey", "url"});
  std::string role;
  f.Required("label", ReadKeyLabel, &out->label);
  f.Required("role", ReadWitnessRole, &role);
  f.Required("vkey", ReadWitnessVkey, &out->vkey);
  f.Required("url", ReadWitnessUrl, &out->url);
  return f.status();
}

// participant.keys' `add`: signing keys {label, ed25519} and witness keys {label,
// "role": "witness", vkey, url}, labels unique over both.
Status ReadKeyChanges(const json& v, const std::string& path, ParticipantKeys* out) {
  if (!v.is_array()) return Error(path, "must be an array");
  out->add.clear();
  out->add_witnesses.clear();
  std::set<std::string> labels;
  std::size_t i = 0;
  for (const json& member : v.get_ref<const json::array_t&>()) {
    std::string label;
    if (member.is_object() && member.contains("role")) {
      WitnessKeySpec w;
      if (Status s = ReadWitnessKeySpec(member, At(path, i), &w); !s.ok()) return s;
      label = w.label;
      out->add_witnesses.push_back(std::move(w));
    } else {
      KeySpec k;
      if (Status s = ReadKeySpec(member, At(path, i), &k); !s.ok()) return s;
      label = k.label;
      out->add.push_back(std::move(k));
    }
    if (!labels.insert(label).second) {
      return Error(Join(At(path, i), "label"), "repeats an earlier label");
    }
    ++i;
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------
// participant.* bodies (declared in statement_readers.h for statement_codec.cc)

Status ReadBody(const json& v, const std::string& path, ParticipantRegister* out) {
  Fields f(v, path,
           {"id", "name", "role", "uscc", "region_code", "keys", "recovery_publicity_days"});
  f.Required("id", ReadParticipantId, &out->id);
  f.Required("name", ReadText, &out->name);
  f.Required("role", ReadEnum<Role, ParseRole>, &out->role);
  f.Optional("uscc", ReadUscc, &out->uscc);
  f.Optional("region_code", ReadRegionCode, &out->region_code);
  f.Required("keys", ReadNonEmptyKeys, &out->keys);
  f.Optional("recovery_publicity_days", ReadRecoveryPublicityDays, &out->recovery_publicity_days);
  if (!f.ok()) return f.status();
  if (out->recovery_publicity_days && out->role != Role::kRegistry) {
    return Error(f.PathOf("recovery_publicity_days"), "only the registry's genesis entry sets it");
  }
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, ParticipantRecover* out) {
  Fields f(v, path, {"id", "keys", "reason"});
  f.Required("id", ReadParticipantId, &out->id);
  f.Required("keys", ReadNonEmptyKeys, &out->keys);
  f.Required("reason", ReadText, &out->reason);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, ParticipantRecoverCancel* out) {
  Fields f(v, path, {"id", "recovery_index"});
  f.Required("id", ReadParticipantId, &out->id);
  f.Required("recovery_index", ReadUint64, &out->recovery_index);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, ParticipantRecoverComplete* out) {
  Fields f(v, path, {"id", "recovery_index"});
  f.Required("id", ReadParticipantId, &out->id);
  f.Required("recovery_index", ReadUint64, &out->recovery_index);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, ParticipantKeys* out) {
  Fields f(v, path, {"id", "add", "revoke"});
  f.Required("id", ReadParticipantId, &out->id);
  f.Required("add", ReadKeyChanges, out);
  f.Required("revoke", ListOf<std::string, Members::kDistinct>(ReadKeyLabel, Size::kAny),
             &out->revoke);
  return f.status();
}

}  // namespace ipledger::api::statement_internal
