// The building blocks of the statement decoder (statement_codec.h), shared by the .cc
// files it is split across: statement_codec.cc (field readers, composite values, the
// bodies of asset, data, valuation, case, pledge and policy statements, DecodeStatement)
// and statement_codec_keys.cc (signing and witness keys, participant.* bodies).
//
// Every reader has the shape
//   Status Read(const json& v, const std::string& path, T* out)
// and names `path` in any refusal ("body.keys[0].label: required").
//
// Internal to api/codec (it names nlohmann in its interface). Pure functions; thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/codec/identifier.h"
#include "api/codec/internal/strict_json.h"
#include "crypto/keys.h"
#include "ledger/base/status.h"
#include "ledger/registry/statement.h"

namespace ipledger::api::statement_internal {

using nlohmann::json;

// ---------------------------------------------------------------------------------
// Paths and messages

inline std::string Join(const std::string& path, std::string_view key) {
  return JsonPathJoin(path, key);
}
inline std::string At(const std::string& path, std::size_t i) { return JsonPathAt(path, i); }

// kInvalidArgument "<path>: <problem>" (the path "statement" for the top level).
inline Status Error(const std::string& path, std::string_view problem) {
  std::string m = path.empty() ? std::string("statement") : path;
  m += ": ";
  m += problem;
  return Status::InvalidArgument(std::move(m));
}

// " 'value'" for a short printable value, so messages can echo what was wrong without
// copying arbitrary client bytes into them.
inline std::string Quoted(std::string_view s) {
  if (s.size() > 64) return "";
  for (char c : s) {
    if (c < 0x20 || c >= 0x7f) return "";
  }
  return " '" + std::string(s) + "'";
}

// ---------------------------------------------------------------------------------
// Generic readers

// An object's fields. The first failure sticks and later reads do nothing, so a body
// reads as a flat list of fields and reports the first problem in field order.
class Fields {
 public:
  Fields(const json& j, std::string path, std::initializer_list<std::string_view> allowed)
      : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) {
      status_ = Error(path_, "must be a JSON object");
      return;
    }
    for (const auto& [key, value] : j_.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        status_ = Error(Join(path_, SafeKey(key)), "unknown field");
        return;
      }
    }
  }

  template <typename T, typename Read>
  void Required(std::string_view key, Read read, T* out) {
    if (!status_.ok()) return;
    const json* v = Find(key);
    if (v == nullptr) {
      status_ = Error(Join(path_, key), "required");
      return;
    }
    status_ = read(*v, Join(path_, key), out);
  }

  template <typename T, typename Read>
  void Optional(std::string_view key, Read read, std::optional<T>* out) {
    if (!status_.ok()) return;
    out->reset();
    const json* v = Find(key);
    if (v == nullptr) return;
    T value{};
    status_ = read(*v, Join(path_, key), &value);
    if (status_.ok()) *out = std::move(value);
  }

  // A field whose absence means the default already in `*out` (false, an empty list).
  template <typename T, typename Read>
  void Defaulted(std::string_view key, Read read, T* out) {
    if (!status_.ok()) return;
    const json* v = Find(key);
    if (v == nullptr) return;
    status_ = read(*v, Join(path_, key), out);
  }

  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  std::string PathOf(std::string_view key) const { return Join(path_, key); }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  const json* Find(std::string_view key) const {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(std::string(key));
    return it == j_.end() ? nullptr : &*it;
  }

  const json& j_;
  std::string path_;
  Status status_;
};

// A string satisfying `valid`; `what` completes "must be ...".
template <typename Pred>
Status StringOf(const json& v, const std::string& path, Pred valid, std::string_view what,
                std::string* out) {
  if (!v.is_string() || !valid(v.get_ref<const std::string&>())) {
    return Error(path, "must be " + std::string(what));
  }
  *out = v.get_ref<const std::string&>();
  return Status::Ok();
}

// The one identifier check (identifier.h), as a predicate.
template <IdKind kKind>
bool IdPred(std::string_view s) {
  return IsIdentifier(kKind, s);
}

// One of an enum's names, as `Parse` reads them.
template <typename E, std::optional<E> (*Parse)(std::string_view)>
Status ReadEnum(const json& v, const std::string& path, E* out) {
  if (!v.is_string()) return Error(path, "must be a string");
  std::optional<E> e = Parse(v.get_ref<const std::string&>());
  if (!e) return Error(path, "unknown value" + Quoted(v.get_ref<const std::string&>()));
  *out = *e;
  return Status::Ok();
}

enum class Members { kAny, kDistinct };
enum class Size { kAny, kNonEmpty };

// A reader for a JSON array whose members `read` reads. kDistinct needs operator<.
template <typename T, Members kMembers, typename Read>
constexpr auto ListOf(Read read, Size size) {
  return [read, size](const json& v, const std::string& path, std::vector<T>* out) -> Status {
    if (!v.is_array()) return Error(path, "must be an array");
    if (size == Size::kNonEmpty && v.empty()) return Error(path, "must not be empty");
    out->clear();
    [[maybe_unused]] std::set<T> seen;
    std::size_t i = 0;
    for (const json& member : v.get_ref<const json::array_t&>()) {
      T item{};
      if (Status s = read(member, At(path, i), &item); !s.ok()) return s;
      if constexpr (kMembers == Members::kDistinct) {
        if (!seen.insert(item).second) return Error(At(path, i), "repeats an earlier member");
      }
      out->push_back(std::move(item));
      ++i;
    }
    return Status::Ok();
  };
}

// ---------------------------------------------------------------------------------
// Field readers (statement_codec.cc) that statement_codec_keys.cc uses too

Status ReadParticipantId(const json& v, const std::string& path, std::string* out);
Status ReadKeyLabel(const json& v, const std::string& path, std::string* out);
Status ReadText(const json& v, const std::string& path, std::string* out);
Status ReadUscc(const json& v, const std::string& path, std::string* out);
Status ReadRegionCode(const json& v, const std::string& path, std::string* out);
Status ReadUint64(const json& v, const std::string& path, std::uint64_t* out);
// A key recovery's publicity period: 1 to 365 days.
Status ReadRecoveryPublicityDays(const json& v, const std::string& path, std::uint32_t* out);
Status ReadPublicKey(const json& v, const std::string& path, PublicKey* out);

// ---------------------------------------------------------------------------------
// participant.* bodies (statement_codec_keys.cc), one overload per statement type as
// the body readers of statement_codec.cc, which dispatches to all of them.

Status ReadBody(const json& v, const std::string& path, ParticipantRegister* out);
Status ReadBody(const json& v, const std::string& path, ParticipantRecover* out);
Status ReadBody(const json& v, const std::string& path, ParticipantRecoverCancel* out);
Status ReadBody(const json& v, const std::string& path, ParticipantRecoverComplete* out);
Status ReadBody(const json& v, const std::string& path, ParticipantKeys* out);

}  // namespace ipledger::api::statement_internal
