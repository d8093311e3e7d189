// JSON views of the registry's records as the API publishes them (api.md §7): participants,
// assets, pledges, policies, valuations, cases, log entries and receipts. Each view shows
// what the Caller may see: amounts and envelopes only to parties and regulators.
//
// Internal to api/server: included only by its .cc files. Pure functions of their
// arguments (and Registry reads); thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/server/internal/handlers.h"
#include "crypto/hash.h"
#include "ledger/log/entry.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"

namespace ipledger::api {

nlohmann::json MoneyJson(const Money& m);
nlohmann::json RangeJson(const DateRange& r);
// Base64 of each digest, in order.
nlohmann::json B64List(const std::vector<Digest>& v);

nlohmann::json ParticipantJson(const ParticipantRecord& p);
// A participant's witness keys (participant.keys members with "role": "witness"), revoked
// ones too, each with its status ("active" or "revoked"), for the participant view.
nlohmann::json WitnessKeysJson(const WitnessKeysRecord& w);

// Gazette-level pledge fields: no amounts (api.md §7, domain.md §8.6 public search).
nlohmann::json PublicPledgeJson(Registry& registry, const PledgeRecord& p);
// The pledge; its secured amount and LTV on `today` only to parties and regulators.
nlohmann::json PledgeJson(Registry& registry, const Caller& c, const PledgeRecord& p, Date today);

// The asset's public record, with its active pledges' public views.
nlohmann::json AssetPublicJson(Registry& registry, const AssetRecord& a);

nlohmann::json PolicyJson(const PolicyRecord& p);
// Item values and scores only to the appraiser, the valued assets' holders and regulators.
nlohmann::json ValuationJson(Registry& registry, const Caller& c, const ValuationRecord& v,
                             Date today);
// The facility and other collateral only to the lender, the debtor and regulators.
nlohmann::json CaseJson(const Caller& c, const CaseRecord& k);

// True if `c` may see the envelope of `e`: a party, a signer or a regulator.
bool CanSeeEntry(const Caller& c, const Entry& e);
// The entry at `index`, with its envelope if CanSeeEntry. The ledger's errors otherwise.
StatusOr<nlohmann::json> EntryJson(Registry& registry, const Caller& c, std::uint64_t index);

// The receipt of a committed submission (api.md §5).
nlohmann::json ReceiptJson(const CommitResult& r);

}  // namespace ipledger::api
