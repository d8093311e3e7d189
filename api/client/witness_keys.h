// The witness keys registered in the log (GET /v1/witnesses: participant.keys members
// with "role": "witness") and the witness policy derived from them, for
// `ipledger witness-policy`.
//
// The derived policy is in the text format of ledger/log/witness_policy.h, so ipledgerd
// --witness-policy and the CLI's --policy accept it. Witnesses are named
// "<participant>/<label>". Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/status.h"

namespace ipledger::api {

struct RegisteredWitness {
  std::string participant;
  std::string role;  // the participant's role ("regulator", "bank", ...)
  std::string label;
  std::string vkey;
  std::string url;
  std::uint64_t added_index = 0;
};

struct WitnessKeysAnswer {
  std::uint64_t tree_size = 0;
  std::vector<RegisteredWitness> witnesses;
};

// Parses the body of GET /v1/witnesses; kInvalidArgument naming the field otherwise.
StatusOr<WitnessKeysAnswer> ParseWitnessKeysJson(std::string_view text);

// The quorum of a derived policy:
//   "default"  every kind present must be met: one of the regulators' witnesses
//              (group "regulators", any) and one of the other participants' witnesses
//              (group "others", any); the one group alone if only one kind registered
//   "any" | "all" | K (1..number of witnesses)   over all the witnesses (group "quorum")
// The policy text: a comment naming `source`, one `witness` line per key, the groups and
// the quorum line; it parses with ParseWitnessPolicy (checked before returning).
// kInvalidArgument for an unknown quorum or a K out of range; kFailedPrecondition if no
// witness is registered or the keys do not make a valid policy (a key listed twice).
StatusOr<std::string> DeriveWitnessPolicy(const WitnessKeysAnswer& answer, std::string_view quorum,
                                          std::string_view source);

}  // namespace ipledger::api
