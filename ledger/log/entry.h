// Entry: one log entry's public metadata, and its canonical leaf bytes.
//
// LEAF FORMAT (a contract; api.md §6; change only with a format-version bump):
// canonical JSON — keys sorted bytewise, no whitespace, values only strings, arrays of
// strings and non-negative integers — of
//   {"codes":[...],            refusals only: the rule codes that refused it
//    "envelope_sha256":"<64 lowercase hex>",
//    "index":<u64>,
//    "map_assets":[sorted asset ids], omitted when empty: the assets whose status record
//                              (the status map, ledger/registry/asset_status.h) this
//                              accepted entry changes
//    "map_ref":<u64>,          omitted when absent: for a pledge.amend that releases
//                              collateral, a pledge.release or a policy.cancel, the index
//                              of the pledge.register / policy.issue entry it ends
//    "map_root":"<64 lowercase hex>", map.root entries only: the status map's root
//    "parties":[sorted participant ids],
//    "refused":"<type>",       refusals only: the refused statement type
//    "signers":[sorted key ids],
//    "subjects":[sorted asset/pledge/policy/valuation/case ids],
//    "time":"<RFC 3339 UTC with milliseconds>",
//    "type":"<statement type or refusal>",
//    "v":1}
// Strings are escaped as RFC 8785 does (\" \\ \b \f \n \r \t, other controls \u00xx,
// everything else verbatim UTF-8). The leaf hash is SHA-256(0x00 || leaf bytes).
// Amounts never appear in a leaf. The three map_ fields were added with the status map
// (v stays 1: a leaf without them encodes exactly as before).
//
// Value type and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/status.h"

namespace ipledger {

inline constexpr std::string_view kRefusalType = "refusal";

struct Entry {
  std::uint64_t index = 0;
  std::int64_t time_ms = 0;  // integrated time, milliseconds since the Unix epoch (UTC)
  std::string type;          // statement type, or "refusal"
  Digest envelope_sha256{};
  std::vector<std::string> parties;
  std::vector<std::string> signers;
  std::vector<std::string> subjects;
  std::vector<std::string> codes;        // refusals only
  std::string refused;                   // refusals only
  std::vector<std::string> map_assets;   // assets whose status record this entry changes
  std::optional<std::uint64_t> map_ref;  // the pledge/policy entry this one ends
  std::optional<Digest> map_root;        // map.root entries: the status map's root

  friend bool operator==(const Entry&, const Entry&) = default;
};

// The canonical leaf bytes of `e` (lists sorted and de-duplicated on the way out).
std::string EncodeLeaf(const Entry& e);

// Decodes leaf bytes. Accepts only the exact canonical form EncodeLeaf writes:
// kCorruption otherwise (leaves come from storage or from the log, never from clients).
StatusOr<Entry> DecodeLeaf(std::string_view leaf);

// "2026-11-26T08:00:00.123Z" for `ms` since the epoch; years 0000..9999.
std::string FormatInstant(std::int64_t ms);

// Parses exactly the form FormatInstant writes; kInvalidArgument otherwise.
StatusOr<std::int64_t> ParseInstant(std::string_view s);

}  // namespace ipledger
