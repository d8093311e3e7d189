// The status map's evidence in pledge-status and coverage answers (docs/formats.md,
// "Status record and root entry"), parsed and verified offline with the log's vkey:
// the map.root entry's inclusion in the answer's checkpoint and its signed statement,
// the map proof of the asset's record (presence) or of its absence, and the record's
// hash and asset. What `ipledger verify-certificate --response` runs.
//
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"
#include "ledger/registry/asset_status.h"

namespace ipledger::api {

// The `status_map` member of an answer.
struct StatusMapEvidence {
  std::uint64_t version = 0;  // the map.root entry's index
  Digest root{};
  std::optional<Bytes> record;  // encoded AssetStatusRecord; nullopt = JSON null
  Bytes proof;                  // encoded map proof
  std::uint64_t root_index = 0;
  Bytes root_leaf;
  std::string root_envelope;  // the signed map root statement
  std::vector<Digest> root_inclusion;
};

// The status_map member of the answer `json` (a pledge-status or coverage answer);
// nullopt if it is null (no map root logged at or before the answer's index yet);
// kInvalidArgument naming the first malformed member, or if it is missing.
StatusOr<std::optional<StatusMapEvidence>> ParseStatusMapOfResponse(std::string_view json);

// What the evidence proves about `asset`.
struct ProvenStatus {
  std::string asset;
  std::uint64_t version = 0;                // the status is as of this entry (the map.root entry)
  Digest root{};                            // the map root proven against
  std::optional<AssetStatusRecord> record;  // nullopt: the asset has no leaf (absence)
};

// Verifies `e` for `asset` against `checkpoint` (already verified with `log_key`): the
// root entry's leaf is canonical, has index e.version, type map.root and map_root
// e.root, and is included in the checkpoint's tree; its envelope hashes to the leaf's
// envelope_sha256 and is a map root statement signed by `log_key` for that version and
// root; the record (if any) decodes, names `asset`, and the map proof shows
// SHA-256(asset) -> SHA-256(record) against the root, or, without a record, shows that
// SHA-256(asset) has no leaf. kFailedPrecondition naming the first check that fails.
StatusOr<ProvenStatus> VerifyStatusMap(const StatusMapEvidence& e, std::string_view asset,
                                       const Checkpoint& checkpoint, const NoteVerifier& log_key);

// "asset X: no active pledge as of index I (proven)" or "asset X: active pledges
// registered by entries 5, 9 as of index I (proven)".
std::string DescribePledges(const ProvenStatus& s);
// The same for policies: "asset X: no policy in force (none issued and not cancelled)
// as of index I (proven)" or "... policies issued by entries 7 not cancelled ...".
std::string DescribePolicies(const ProvenStatus& s);

}  // namespace ipledger::api
