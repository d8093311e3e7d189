// Witness policies: which witnesses' cosignatures make a checkpoint trustworthy.
//
// The text format of sigsum and Go's transparency tools (one statement a line, '#'
// starts a comment, blank lines ignored, tokens separated by spaces or tabs):
//
//   witness NAME VKEY [URL]          a witness: its C2SP vkey (cosignature/v1, type 0x04,
//                                    or an Ed25519 0x01 vkey, taken as its cosigning key)
//                                    and where it answers add-checkpoint (http://host:port)
//   group NAME k|any|all MEMBER...   at least k (any = 1, all = every) of the members,
//                                    each a witness or a group defined above
//   quorum NAME                      exactly once: the witness or group that must be met
//
// Names are unique over witnesses and groups. Parsing is strict: anything else is
// kInvalidArgument naming the line. Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"

namespace ipledger {

struct PolicyWitness {
  std::string name;       // the policy's name for it
  NoteVerifier verifier;  // type 0x04; verifier.name is the key name in signature lines
  std::string url;        // may be empty
};

struct PolicyGroup {
  std::string name;
  std::size_t threshold = 1;
  std::vector<std::string> members;
};

struct WitnessPolicy {
  std::vector<PolicyWitness> witnesses;
  std::vector<PolicyGroup> groups;  // in definition order (members come first)
  std::string quorum;
};

StatusOr<WitnessPolicy> ParseWitnessPolicy(std::string_view text);

// The policy in its text format (parses back to the same policy).
std::string FormatWitnessPolicy(const WitnessPolicy& policy);

// The policy names of the witnesses whose cosignature/v1 lines in `note` verify over
// its text (the checkpoint). A line that claims a witness's key but fails counts as no
// cosignature from that witness.
std::set<std::string> CosigningWitnesses(const WitnessPolicy& policy, std::string_view note);

// True iff the witnesses named in `cosigned` satisfy the policy's quorum.
bool QuorumMet(const WitnessPolicy& policy, const std::set<std::string>& cosigned);

// What a cosigned checkpoint proves.
struct CosignedCheckpoint {
  Checkpoint checkpoint;
  std::set<std::string> witnesses;  // those whose cosignatures verify
  bool quorum = false;
};

// Opens `note` with the log key (kFailedPrecondition / kInvalidArgument as
// OpenCheckpoint) and checks its cosignatures against the policy.
StatusOr<CosignedCheckpoint> OpenCosignedCheckpoint(std::string_view note,
                                                    const NoteVerifier& log_key,
                                                    const WitnessPolicy& policy);

}  // namespace ipledger
