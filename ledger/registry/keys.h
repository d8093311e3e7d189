// The registry's key schema: every key the registry writes to the columns `state` and
// `index`, its builders and its parsers, in one place. These bytes are a contract (a
// replayed state is compared key by key, and the golden test pins the published
// output): changing one needs a format-version bump.
//
// Column `state` (versioned: one key per change, so any past version can be read):
//   "<tag>/<id>\0<index u64 BE>" -> record (ledger/registry/record.h), tags
//   P participant, A asset, L pledge, V valuation, Y policy, C case, K claim,
//   R key recovery (latest recovery of a participant, keyed by the participant id),
//   X witness keys (a participant's witness keys and URLs, keyed by the participant id),
//   S asset status (the status map's records, ledger/registry/asset_status.h: the raw
//   record encoding, keyed by the asset id, versioned by the entry that changed it).
// Column `index`:
//   "I/<submitter>\0<idempotency key>"  -> index u64 BE || payload SHA-256 (the DSSE
//                                          payload; stores written before 2026-12 hold
//                                          the envelope's SHA-256 instead)
//   "O/<index u64 BE>"                  -> outcome record, only where the leaf does not
//                                          tell it: refusals and acceptances with
//                                          warnings or a detail (OutcomeNeedsRecord);
//                                          a plain acceptance's outcome is derived from
//                                          its leaf (stores written before 2026-12 hold
//                                          one for every logged entry)
//   "H/<asset>\0<index u64 BE>"         -> "" (asset history)
//   "W/<participant>\0<index u64 BE>"   -> "" (participant history)
//   "T/<type>\0<index u64 BE>"          -> "" (entries by type)
//   "D/<time ms u64 BE><index u64 BE>"  -> "" (legacy time index: statements no longer
//                                          write it, since integrated times never
//                                          decrease and a date is a binary search over
//                                          the leaves; stores written before 2026-12
//                                          hold one per entry, ignored by the reads and
//                                          checked against the leaf by replay)
//   "G/<similarity group>\0<asset>"     -> "" (trademarks by similarity group)
//   "AV/<asset>\0<valuation>"           -> "" (valuations of an asset)
//   "AY/<asset>\0<policy>"              -> "" (policies covering an asset)
//   "RP/"                               -> key recovery publicity days, u64 BE (set by
//                                          the genesis entry; absent: 7 days)
//   "F/<index u64 BE>"                  -> statistics fact of an accepted pledge
//                                          registration (ledger/registry/stats.h)
//   "MN/"                               -> number of assets in the status map, u64 BE
//   "XK/<hex of the witness public key>" -> "<participant>/<label>" that registered it
//                                          (a witness key is registered once, ever)
//
// Pure functions and constants; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/encoding.h"

namespace ipledger {

// "Latest" as an as-of index: above every real index.
inline constexpr std::uint64_t kLatestIndex = std::numeric_limits<std::uint64_t>::max();

// Tags of the versioned records in column `state`.
inline constexpr char kParticipantTag = 'P';
inline constexpr char kAssetTag = 'A';
inline constexpr char kPledgeTag = 'L';
inline constexpr char kValuationTag = 'V';
inline constexpr char kPolicyTag = 'Y';
inline constexpr char kCaseTag = 'C';
inline constexpr char kClaimTag = 'K';
inline constexpr char kRecoveryTag = 'R';
inline constexpr char kStatusTag = 'S';
inline constexpr char kWitnessKeysTag = 'X';

// Separates a tag or index prefix from what follows ("P/...").
inline constexpr char kTagSeparator = '/';
// Ends an id inside a key, before an index or a second id.
inline constexpr char kIdTerminator = '\0';
// Bytes of a big-endian u64 (index or time) inside a key.
inline constexpr std::size_t kU64Size = 8;
// Bytes of a record tag and its separator: "P/".
inline constexpr std::size_t kTagPrefixSize = 2;

// Prefixes of the keys in column `index`.
inline constexpr std::string_view kIdempotencyPrefix = "I/";
inline constexpr std::string_view kOutcomePrefix = "O/";
inline constexpr std::string_view kAssetHistoryPrefix = "H/";
inline constexpr std::string_view kParticipantHistoryPrefix = "W/";
inline constexpr std::string_view kTypePrefix = "T/";
inline constexpr std::string_view kTimePrefix = "D/";
inline constexpr std::string_view kSimilarityGroupPrefix = "G/";
inline constexpr std::string_view kAssetValuationPrefix = "AV/";
inline constexpr std::string_view kAssetPolicyPrefix = "AY/";
inline constexpr std::string_view kFactPrefix = "F/";
inline constexpr std::string_view kRecoveryPublicityKey = "RP/";
inline constexpr std::string_view kMapCountKey = "MN/";
// u64 BE: the index of the map.root entry that started the status map of a log that
// had none (Registry::StartStatusMap); absent when the map was kept from the start.
inline constexpr std::string_view kMapStartKey = "MS/";
inline constexpr std::string_view kWitnessKeyPrefix = "XK/";

// The value of an idempotency key: index u64 BE || SHA-256 of the signed payload
// (legacy: of the envelope bytes).
inline constexpr std::size_t kIdempotencyValueSize = kU64Size + 32;

// The first key after every key that starts with `prefix` (non-empty), as a scan's
// exclusive end: "F/" -> "F0", "H/a\0" -> "H/a\1".
inline std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

// "<tag>/<id>\0": every version of one record.
inline std::string RecordPrefix(char tag, std::string_view id) {
  std::string k(1, tag);
  k += kTagSeparator;
  k += id;
  k += kIdTerminator;
  return k;
}

// "<tag>/": every record with `tag`.
inline std::string TagPrefix(char tag) { return std::string{tag, kTagSeparator}; }

// "<tag>/<id>\0<index>": the version of a record written by entry `index`.
inline std::string RecordKey(char tag, std::string_view id, std::uint64_t index) {
  return RecordPrefix(tag, id) + EncodeFixed64BE(index);
}

// The id of a record key or prefix ("<tag>/<id>\0...").
inline std::string_view RecordIdOfKey(std::string_view key) {
  const std::size_t end = key.find(kIdTerminator, kTagPrefixSize);
  return key.substr(kTagPrefixSize, end - kTagPrefixSize);
}

// The record prefix of a record key: the key without its index suffix.
inline std::string_view RecordPrefixOfKey(std::string_view key) {
  return key.substr(0, key.size() - kU64Size);
}

// "<prefix><id>\0<index>".
inline std::string IndexKey(std::string_view prefix, std::string_view id, std::uint64_t index) {
  std::string k(prefix);
  k += id;
  k += kIdTerminator;
  PutFixed64BE(&k, index);
  return k;
}

// "<prefix><a>\0<b>"; with b empty, the prefix of every key about `a`.
inline std::string PairKey(std::string_view prefix, std::string_view a, std::string_view b) {
  std::string k(prefix);
  k += a;
  k += kIdTerminator;
  k += b;
  return k;
}

// The second id of a pair key "<prefix><a>\0<b>".
inline std::string_view PairKeySecond(std::string_view key) {
  return key.substr(key.find(kIdTerminator) + 1);
}

inline std::string IdempotencyKey(std::string_view submitter, std::string_view key) {
  return PairKey(kIdempotencyPrefix, submitter, key);
}

inline std::string OutcomeKey(std::uint64_t index) {
  return std::string(kOutcomePrefix) + EncodeFixed64BE(index);
}

// Whether an outcome needs its "O/" record: a refusal (the leaf has its codes but not
// the detail) or anything with warnings or a detail. A plain acceptance (no codes, no
// warnings, no detail) is fully told by its leaf (type) and writes none.
inline bool OutcomeNeedsRecord(bool refused, const std::vector<std::string>& warnings,
                               std::string_view detail) {
  return refused || !warnings.empty() || !detail.empty();
}

inline std::string FactKey(std::uint64_t index) {
  return std::string(kFactPrefix) + EncodeFixed64BE(index);
}

// "D/<time ms><index>": negative times are not expected (the log starts after 1970).
inline std::string TimeKey(std::int64_t time_ms, std::uint64_t index) {
  std::string k(kTimePrefix);
  PutFixed64BE(&k, static_cast<std::uint64_t>(time_ms));
  PutFixed64BE(&k, index);
  return k;
}

// The index of a time key; nullopt if malformed.
inline std::optional<std::uint64_t> IndexOfTimeKey(std::string_view key) {
  if (key.size() < kTimePrefix.size() + 2 * kU64Size) return std::nullopt;
  return DecodeFixed64BE(key.substr(kTimePrefix.size() + kU64Size, kU64Size));
}

}  // namespace ipledger
