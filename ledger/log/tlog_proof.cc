#include "ledger/log/tlog_proof.h"

#include <utility>

#include "ledger/base/encoding.h"
#include "ledger/log/merkle.h"

namespace ipledger {
namespace {

constexpr std::string_view kHeader = "c2sp.org/tlog-proof@v1";
constexpr std::string_view kExtraPrefix = "extra ";
constexpr std::string_view kIndexPrefix = "index ";
// An inclusion path in a tree of at most 2^64 - 1 leaves has at most 64 hashes.
constexpr std::size_t kMaxProofHashes = 64;

// Takes the next '\n'-terminated line (without its '\n') off the front of `rest`;
// nullopt if there is no complete line.
std::optional<std::string_view> NextLine(std::string_view* rest) {
  const std::size_t nl = rest->find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  const std::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl + 1);
  return line;
}

}  // namespace

std::string FormatTlogProof(const TlogProof& proof) {
  std::string out(kHeader);
  out.push_back('\n');
  if (proof.extra) {
    out.append(kExtraPrefix);
    out.append(Base64Encode(*proof.extra));
    out.push_back('\n');
  }
  out.append(kIndexPrefix);
  out.append(std::to_string(proof.index));
  out.push_back('\n');
  for (const Digest& hash : proof.inclusion_proof) {
    out.append(Base64Encode(hash));
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(proof.checkpoint);
  return out;
}

StatusOr<TlogProof> ParseTlogProof(std::string_view text) {
  std::string_view rest = text;
  std::optional<std::string_view> line = NextLine(&rest);
  if (!line || *line != kHeader) {
    return Status::InvalidArgument("tlog-proof does not start with " + std::string(kHeader));
  }
  TlogProof proof;
  line = NextLine(&rest);
  if (line && line->starts_with(kExtraPrefix)) {
    proof.extra = Base64Decode(line->substr(kExtraPrefix.size()));
    if (!proof.extra) return Status::InvalidArgument("tlog-proof extra is not canonical base64");
    line = NextLine(&rest);
  }
  if (!line || !line->starts_with(kIndexPrefix)) {
    return Status::InvalidArgument("tlog-proof has no index line");
  }
  const std::optional<std::uint64_t> index = ParseDecimalU64(line->substr(kIndexPrefix.size()));
  if (!index) {
    return Status::InvalidArgument("tlog-proof index is not a canonical decimal: " +
                                   std::string(*line));
  }
  proof.index = *index;
  while (true) {
    line = NextLine(&rest);
    if (!line) return Status::InvalidArgument("tlog-proof has no empty line before the checkpoint");
    if (line->empty()) break;
    if (proof.inclusion_proof.size() == kMaxProofHashes) {
      return Status::InvalidArgument("tlog-proof has more than 64 inclusion proof hashes");
    }
    const std::optional<Bytes> raw = Base64Decode(*line);
    const std::optional<Digest> hash = raw ? DigestFromBytes(*raw) : std::optional<Digest>();
    if (!hash) {
      return Status::InvalidArgument("tlog-proof hash is not canonical base64 of 32 bytes: " +
                                     std::string(*line));
    }
    proof.inclusion_proof.push_back(*hash);
  }
  // The checkpoint is kept verbatim, but must at least be a well-formed one.
  const std::optional<Note> note = ParseNote(rest);
  if (!note) return Status::InvalidArgument("tlog-proof checkpoint is not a well-formed note");
  if (StatusOr<Checkpoint> cp = ParseCheckpointText(note->text); !cp.ok()) {
    return Status::InvalidArgument("tlog-proof checkpoint: " + cp.status().message());
  }
  proof.checkpoint = std::string(rest);
  return proof;
}

StatusOr<Checkpoint> VerifyTlogProof(std::string_view text, ByteView leaf_bytes,
                                     const NoteVerifier& log_key) {
  StatusOr<TlogProof> proof = ParseTlogProof(text);
  if (!proof.ok()) return proof.status();
  StatusOr<Checkpoint> cp = OpenCheckpoint(proof->checkpoint, log_key);
  if (!cp.ok()) return cp.status();
  // Size and root come from the verified checkpoint, never from the proof itself.
  if (Status s = VerifyInclusion(proof->index, cp->size, LeafHash(leaf_bytes),
                                 proof->inclusion_proof, cp->root);
      !s.ok()) {
    return Status::FailedPrecondition(
        "tlog-proof inclusion of index " + std::to_string(proof->index) + " in " + cp->origin +
        " at size " + std::to_string(cp->size) + " does not verify: " + s.message());
  }
  return cp;
}

}  // namespace ipledger
