// C2SP tlog-proof (c2sp.org/tlog-proof@v1): an offline proof that an entry is in a log.
//
//   c2sp.org/tlog-proof@v1
//   [extra <base64>]
//   index <decimal>
//   <base64 inclusion-proof hash, leaf sibling first>...
//   <empty line>
//   <the signed checkpoint, verbatim>
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"

namespace ipledger {

struct TlogProof {
  std::optional<Bytes> extra;
  std::uint64_t index = 0;
  std::vector<Digest> inclusion_proof;
  std::string checkpoint;  // signed note text, verbatim
};

std::string FormatTlogProof(const TlogProof& proof);

// Parses strictly; kInvalidArgument on any deviation.
StatusOr<TlogProof> ParseTlogProof(std::string_view text);

// Verifies the checkpoint's log signature with `log_key` and the inclusion of
// `leaf_bytes` (hashed with LeafHash) at `proof.index`. Returns the checkpoint.
// kInvalidArgument if malformed, kFailedPrecondition if anything fails to verify.
StatusOr<Checkpoint> VerifyTlogProof(std::string_view text, ByteView leaf_bytes,
                                     const NoteVerifier& log_key);

}  // namespace ipledger
