#include "ledger/log/checkpoint.h"

#include <optional>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {

std::string FormatCheckpointText(const Checkpoint& cp) {
  return cp.origin + "\n" + std::to_string(cp.size) + "\n" + Base64Encode(cp.root) + "\n";
}

StatusOr<Checkpoint> ParseCheckpointText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("checkpoint text does not end in a newline");
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') {
      return Status::InvalidArgument("checkpoint text has a control character");
    }
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text.substr(0, text.size() - 1);;) {
    const std::size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) {
    return Status::InvalidArgument("checkpoint text has fewer than three lines");
  }
  for (const std::string_view line : lines) {
    if (line.empty()) return Status::InvalidArgument("checkpoint text has an empty line");
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  const std::optional<std::uint64_t> size = ParseDecimalU64(lines[1]);
  if (!size) {
    return Status::InvalidArgument("checkpoint tree size is not a canonical decimal: " +
                                   std::string(lines[1]));
  }
  cp.size = *size;
  const std::optional<Bytes> root_bytes = Base64Decode(lines[2]);
  const std::optional<Digest> root =
      root_bytes ? DigestFromBytes(*root_bytes) : std::optional<Digest>();
  if (!root) {
    return Status::InvalidArgument("checkpoint root is not canonical base64 of 32 bytes: " +
                                   std::string(lines[2]));
  }
  cp.root = *root;
  // Lines after the third are extension lines: opaque, and deliberately ignored.
  return cp;
}

std::string SignCheckpoint(const Checkpoint& cp, const SigningKey& key) {
  return SignNote(FormatCheckpointText(cp), cp.origin, key);
}

StatusOr<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log_key) {
  if (log_key.type != kNoteSigEd25519) {
    return Status::InvalidArgument("log key " + log_key.name + " is not an Ed25519 note key");
  }
  const std::optional<Note> parsed = ParseNote(note);
  if (!parsed) return Status::InvalidArgument("checkpoint is not a well-formed signed note");
  StatusOr<Checkpoint> cp = ParseCheckpointText(parsed->text);
  if (!cp.ok()) return cp.status();
  if (!OpenNote(note, std::span<const NoteVerifier>(&log_key, 1))) {
    return Status::FailedPrecondition("checkpoint of " + cp->origin +
                                      " has no valid signature by log key " + log_key.name);
  }
  if (cp->origin != log_key.name) {
    return Status::FailedPrecondition("checkpoint origin " + cp->origin +
                                      " differs from log key name " + log_key.name);
  }
  return cp;
}

}  // namespace ipledger
