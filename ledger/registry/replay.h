// Replay: rebuilds a registry's derived state from its log and compares.
//
// Every logged envelope is decoded again (JSON, DSSE) and re-sequenced, in log order
// and with its original integrated time, into a fresh scratch registry whose derived
// state (columns `state` and `index`) is held in memory, its log in a scratch RocksDB
// without fsyncs: every signature and every rule runs again, each entry must come out
// as the same leaf bytes (same type, codes, parties, subjects, time), and at the end
// the `state` and `index` columns must equal the original key by key (records older
// stores wrote and this code derives from the leaves are checked against them). Loading,
// decoding and the Ed25519 checks run on all cores, in chunks ahead of the sequencer (which
// checks each signature's key against its own state and verifies any signature not already
// verified). Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ledger/base/status.h"
#include "ledger/registry/registry.h"

namespace ipledger {

struct ReplayReport {
  std::uint64_t entries = 0;
  std::uint64_t batches = 0;
};

// Turns a logged envelope's bytes into the Submission the sequencer takes (JSON and
// DSSE decoding live in api/codec/, which the registry does not include: callers pass
// api::DecodeSubmission). Called from several threads at once; must be thread-safe.
using SubmissionDecoder = std::function<StatusOr<Submission>(std::string envelope_bytes)>;

// Replays `source` into a new registry created in `scratch_dir` (which must not exist;
// the caller removes it afterwards), decoding each envelope with `decode`. kCorruption
// naming the first entry or state key that differs (or an envelope that no longer
// decodes); other codes if the scratch registry cannot be written.
StatusOr<ReplayReport> ReplayAndCompare(const Registry& source, const std::string& scratch_dir,
                                        const SubmissionDecoder& decode);

}  // namespace ipledger
