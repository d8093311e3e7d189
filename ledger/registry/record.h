// Registry state records and their storage encoding.
//
// Every record is derived from the log by ledger/registry.cc and stored in the `state`
// column family under a versioned key (see registry.h), so any past version can be read
// back. The encoding is a private, versioned binary format (format byte 1): fields in
// declaration order, integers as fixed-width big-endian, strings and lists
// length-prefixed. One `Fields` visitor per record both encodes and decodes it, so the
// two cannot drift apart. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/status.h"
#include "ledger/registry/statement.h"

namespace ipledger {

struct KeyRecord {
  std::string label;
  PublicKey key{};
  std::uint64_t added_index = 0;
  std::optional<std::uint64_t> revoked_index;
  friend bool operator==(const KeyRecord&, const KeyRecord&) = default;
};

struct ParticipantRecord {
  std::string id;
  std::string name;
  Role role = Role::kEnterprise;
  std::optional<std::string> uscc;
  std::optional<std::string> region_code;
  std::vector<KeyRecord> keys;
  std::uint64_t registered_index = 0;
  std::vector<std::uint64_t> history;  // indexes of the entries that changed it
  friend bool operator==(const ParticipantRecord&, const ParticipantRecord&) = default;
};

enum class LegalStatus { kValid, kTerminated, kInvalidated, kPartiallyInvalidated };
enum class DataState { kApplied, kInPublicity, kObjected, kConfirmed, kRejected };

std::string_view LegalStatusName(LegalStatus s);
std::string_view DataStateName(DataState s);

struct AssetRecord {
  std::string asset_id;
  AssetKind kind = AssetKind::kPatent;
  std::vector<std::string> holders;
  std::optional<PatentFacts> patent;
  std::optional<TrademarkFacts> trademark;
  std::optional<DataFacts> data;
  LegalStatus legal = LegalStatus::kValid;
  bool fee_grace = false;  // set by a fee_grace event, cleared by annuity_paid
  bool invalidation_pending = false;
  bool preservation = false;
  // Data assets: the registration lifecycle (domain.md §8.3).
  DataState data_state = DataState::kApplied;
  std::optional<Date> publicity_end;
  std::vector<std::uint64_t> pending_objections;  // indexes of unresolved data.object entries
  std::optional<std::string> certificate_no;
  std::optional<Date> certificate_valid_until;
  std::vector<std::string> active_pledges;  // pledge ids in registered or enforcing state
  std::uint64_t registered_index = 0;
  std::vector<std::uint64_t> history;
  friend bool operator==(const AssetRecord&, const AssetRecord&) = default;
};

enum class PledgeState { kRegistered, kEnforcing, kReleased, kRevoked };
std::string_view PledgeStateName(PledgeState s);

struct PledgeRecord {
  PledgeRegister terms;  // as amended; released collateral removed from terms.collateral
  std::string pledgee;
  PledgeState state = PledgeState::kRegistered;
  std::uint32_t version = 1;
  std::vector<std::string> released_collateral;
  std::optional<ReleaseReason> release_reason;
  std::optional<Date> enforcement_started;
  std::uint64_t registered_index = 0;
  std::int64_t registered_time_ms = 0;
  std::optional<std::int64_t> released_time_ms;
  std::optional<std::string> debtor_region;  // the debtor's region_code at registration
  std::vector<std::uint64_t> history;
  // pledge.revoke: the SHA-256 of the court order the registry revoked the pledge on.
  std::optional<Digest> revocation_order_sha256;
  friend bool operator==(const PledgeRecord&, const PledgeRecord&) = default;
};

struct ValuationRecord {
  ValuationAttest attest;  // valid_until filled in (base_date + 1 year when absent)
  std::string appraiser;
  bool withdrawn = false;
  std::uint64_t attested_index = 0;
  std::vector<std::uint64_t> history;
  friend bool operator==(const ValuationRecord&, const ValuationRecord&) = default;
};

struct PolicyRecord {
  PolicyIssue terms;
  std::string insurer;
  std::optional<Date> cancelled_from;  // cover ends the day before
  std::int64_t claims_paid = 0;        // in terms.aggregate_limit.currency
  std::vector<std::string> claims;
  std::uint64_t issued_index = 0;
  std::vector<std::uint64_t> history;
  friend bool operator==(const PolicyRecord&, const PolicyRecord&) = default;
};

struct CaseRecord {
  CaseRegister terms;
  std::string lender;
  std::vector<std::string> pledges;
  std::uint64_t registered_index = 0;
  std::vector<std::uint64_t> history;
  friend bool operator==(const CaseRecord&, const CaseRecord&) = default;
};

struct ClaimRecord {
  PolicyClaim claim;
  std::uint64_t index = 0;
  friend bool operator==(const ClaimRecord&, const ClaimRecord&) = default;
};

// A key recovery of participant `id` (participant.recover at `index`). Pending until
// cancelled or completed; completable from `publicity_end_ms`.
struct RecoveryRecord {
  std::string id;
  std::uint64_t index = 0;
  std::vector<KeyRecord> keys;  // the new keys, added_index = index
  std::string reason;
  std::int64_t publicity_end_ms = 0;
  std::optional<std::uint64_t> cancelled_index;
  std::optional<std::uint64_t> completed_index;
  friend bool operator==(const RecoveryRecord&, const RecoveryRecord&) = default;
};

// A participant's witness keys (participant.keys members with "role": "witness"),
// tag X, keyed by the participant id. They never sign statements.
struct WitnessKeyRecord {
  std::string label;
  std::string vkey;  // C2SP vkey, canonical (the codec checked it)
  std::string url;
  std::uint64_t added_index = 0;
  std::optional<std::uint64_t> revoked_index;
  friend bool operator==(const WitnessKeyRecord&, const WitnessKeyRecord&) = default;
};

struct WitnessKeysRecord {
  std::string id;
  std::vector<WitnessKeyRecord> keys;
  std::vector<std::uint64_t> history;
  friend bool operator==(const WitnessKeysRecord&, const WitnessKeysRecord&) = default;
};

// What the registry decided for one logged entry; kept so an idempotent replay gets
// the original answer.
struct OutcomeRecord {
  std::string type;                // the statement type
  std::vector<std::string> codes;  // refusal codes (empty if accepted)
  std::vector<std::string> warnings;
  std::string detail;
  friend bool operator==(const OutcomeRecord&, const OutcomeRecord&) = default;
};

std::string EncodeRecord(const ParticipantRecord& r);
std::string EncodeRecord(const AssetRecord& r);
std::string EncodeRecord(const PledgeRecord& r);
std::string EncodeRecord(const ValuationRecord& r);
std::string EncodeRecord(const PolicyRecord& r);
std::string EncodeRecord(const CaseRecord& r);
std::string EncodeRecord(const ClaimRecord& r);
std::string EncodeRecord(const OutcomeRecord& r);
std::string EncodeRecord(const RecoveryRecord& r);
std::string EncodeRecord(const WitnessKeysRecord& r);

// Each returns kCorruption if `bytes` is not a complete record of that kind.
Status DecodeRecord(std::string_view bytes, ParticipantRecord* r);
Status DecodeRecord(std::string_view bytes, AssetRecord* r);
Status DecodeRecord(std::string_view bytes, PledgeRecord* r);
Status DecodeRecord(std::string_view bytes, ValuationRecord* r);
Status DecodeRecord(std::string_view bytes, PolicyRecord* r);
Status DecodeRecord(std::string_view bytes, CaseRecord* r);
Status DecodeRecord(std::string_view bytes, ClaimRecord* r);
Status DecodeRecord(std::string_view bytes, OutcomeRecord* r);
Status DecodeRecord(std::string_view bytes, RecoveryRecord* r);
Status DecodeRecord(std::string_view bytes, WitnessKeysRecord* r);

}  // namespace ipledger
