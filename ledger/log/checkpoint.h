// C2SP tlog-checkpoint (v1.0.0): the signed statement of a log's size and root.
//
// Text (each line ends in '\n'):
//   <origin>
//   <tree size, decimal, no leading zeros>
//   <base64 of the 32-byte RFC 6962 root>
// signed as a C2SP signed note by the log key, whose key name is the origin.
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/status.h"

namespace ipledger {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Digest root{};

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The three-line note text of `cp`.
std::string FormatCheckpointText(const Checkpoint& cp);

// Parses note text strictly (origin non-empty, size without leading zeros or sign,
// root canonical base64 of 32 bytes; extension lines allowed and ignored).
// kInvalidArgument otherwise.
StatusOr<Checkpoint> ParseCheckpointText(std::string_view text);

// The signed note: checkpoint text signed by `key` under the name `cp.origin`.
std::string SignCheckpoint(const Checkpoint& cp, const SigningKey& key);

// Verifies `note` with `log_key` (and ignores other signers, such as witnesses) and
// parses its text. kFailedPrecondition if the signature does not verify, or the
// origin differs from the key name; kInvalidArgument if malformed.
StatusOr<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log_key);

}  // namespace ipledger
