#include "api/client/witness_keys.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ledger/base/encoding.h"
#include "ledger/log/witness_policy.h"

namespace ipledger::api {
namespace {

using nlohmann::json;

Status Str(const json& o, const std::string& path, const char* key, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) {
    return Status::InvalidArgument(path + key + ": must be a string");
  }
  *out = it->get<std::string>();
  // Every value becomes a token of the policy text: no spaces, no control characters.
  for (char c : *out) {
    if (c <= 0x20 || c == 0x7f) {
      return Status::InvalidArgument(path + key +
                                     ": must not contain spaces or control characters");
    }
  }
  if (out->empty()) return Status::InvalidArgument(path + key + ": must not be empty");
  return Status::Ok();
}

Status U64(const json& o, const std::string& path, const char* key, std::uint64_t* out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number_unsigned()) {
    return Status::InvalidArgument(path + key + ": must be an integer >= 0");
  }
  *out = it->get<std::uint64_t>();
  return Status::Ok();
}

std::string Members(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += " " + n;
  return out;
}

}  // namespace

StatusOr<WitnessKeysAnswer> ParseWitnessKeysJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("witness keys: not a JSON object");
  WitnessKeysAnswer out;
  if (Status s = U64(j, "", "tree_size", &out.tree_size); !s.ok()) return s;
  auto list = j.find("witnesses");
  if (list == j.end() || !list->is_array()) {
    return Status::InvalidArgument("witnesses: must be an array");
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& w = (*list)[i];
    const std::string path = "witnesses[" + std::to_string(i) + "].";
    if (!w.is_object()) return Status::InvalidArgument(path + ": must be an object");
    RegisteredWitness r;
    for (auto [key, field] :
         {std::pair{"participant", &r.participant}, std::pair{"role", &r.role},
          std::pair{"label", &r.label}, std::pair{"vkey", &r.vkey}, std::pair{"url", &r.url}}) {
      if (Status s = Str(w, path, key, field); !s.ok()) return s;
    }
    if (Status s = U64(w, path, "added_index", &r.added_index); !s.ok()) return s;
    out.witnesses.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::string> DeriveWitnessPolicy(const WitnessKeysAnswer& answer, std::string_view quorum,
                                          std::string_view source) {
  if (answer.witnesses.empty()) {
    return Status::FailedPrecondition("no witness keys are registered in the log at " +
                                      std::string(source));
  }
  std::vector<std::string> all, regulators, others;
  std::string text = "# Witness policy derived from the witness keys registered in the log\n";
  text += "# (" + std::string(source) + "/v1/witnesses at tree size " +
          std::to_string(answer.tree_size) + "); quorum: " + std::string(quorum) + "\n";
  for (const RegisteredWitness& w : answer.witnesses) {
    const std::string name = w.participant + "/" + w.label;
    text += "# " + name + " (" + w.role + ") registered by entry " + std::to_string(w.added_index) +
            "\n";
    text += "witness " + name + " " + w.vkey + " " + w.url + "\n";
    all.push_back(name);
    (w.role == "regulator" ? regulators : others).push_back(name);
  }
  if (quorum == "default") {
    if (!regulators.empty()) text += "group regulators any" + Members(regulators) + "\n";
    if (!others.empty()) text += "group others any" + Members(others) + "\n";
    if (!regulators.empty() && !others.empty()) {
      text += "group quorum all regulators others\nquorum quorum\n";
    } else {
      text += std::string("quorum ") + (regulators.empty() ? "others" : "regulators") + "\n";
    }
  } else {
    std::string threshold(quorum);
    if (quorum != "any" && quorum != "all") {
      auto k = ParseDecimalU64(quorum);
      if (!k || *k == 0 || *k > all.size()) {
        return Status::InvalidArgument("--quorum must be default, any, all or a number from 1 to " +
                                       std::to_string(all.size()) + " (the witnesses registered)");
      }
    }
    text += "group quorum " + threshold + Members(all) + "\nquorum quorum\n";
  }
  if (auto parsed = ParseWitnessPolicy(text); !parsed.ok()) {
    return Status::FailedPrecondition("the registered witness keys do not make a valid policy: " +
                                      parsed.status().message());
  }
  return text;
}

}  // namespace ipledger::api
