// The batch journal: how a cluster's nodes share one sequence of batches.
//
// In cluster mode (api/cluster/) one node, the leader, sequences. Before a batch becomes
// durable in its RocksDB, the sequencer hands it to a BatchJournal, which commits it to
// the cluster's shared store (etcd) or refuses; a refused batch is not written and not
// acknowledged. The batch names everything another node needs to apply it
// deterministically: the envelopes of its logged entries in log order (not the map.root
// entry the sequencer adds: every node writes its own, byte-identical because the nodes
// share the log key and Ed25519 is deterministic), the integrated time, and the tree
// size and root the leader arrived at, which the applying node must reproduce
// exactly (Registry::ApplyBatch writes nothing otherwise).
//
// Encoding (all integers big-endian):
//   "IPLBAT01" | first u64 | time_ms u64 (two's complement) | size u64 | root [32] |
//   count u32 | count × (length u32 | envelope bytes)
// and nothing after.
//
// Thread-safety: the free functions are thread-safe; a BatchJournal is called by the
// sequencer only (one call at a time) and must be thread-safe towards its own owner.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/status.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/replay.h"

namespace ipledger {

struct JournalBatch {
  std::uint64_t first = 0;  // index of the batch's first entry
  std::int64_t time_ms = 0;
  std::uint64_t size = 0;              // the tree size after the batch (map.root entry included)
  Digest root{};                       // the tree root at `size`
  std::vector<std::string> envelopes;  // the logged submissions, in log order
};

std::string EncodeJournalBatch(const JournalBatch& b);
// kInvalidArgument on anything but the exact encoding above.
StatusOr<JournalBatch> DecodeJournalBatch(std::string_view bytes);

// A BatchJournal's kUnavailable refusal starts with one of these, so that the server can
// tell clients why writes are paused (api/server/problems.cc): the shared store did not
// commit (no quorum, or unreachable), or this node does not lead (any more).
inline constexpr std::string_view kJournalNoQuorum = "no quorum: ";
inline constexpr std::string_view kJournalNotLeader = "not the leader: ";

class BatchJournal {
 public:
  virtual ~BatchJournal() = default;
  // Commits `batch` (encoded as `bytes`) durably to the shared journal, or refuses
  // (kUnavailable: not the leader, fenced off, or the store unreachable; the caller must
  // treat the outcome as not committed, and a journal whose commit outcome is unknown must
  // stop sequencing until it has re-read the journal).
  virtual Status Commit(const JournalBatch& batch, std::string_view bytes) = 0;
};

// Decodes `bytes` and applies the batch to `registry` (Registry::ApplyBatch), decoding
// each envelope with `decode`. kFailedPrecondition if the batch does not start at the
// registry's size; kCorruption if it does not reproduce the recorded size and root.
Status ApplyJournalBytes(Registry& registry, std::string_view bytes,
                         const SubmissionDecoder& decode);

}  // namespace ipledger
