// Statement: the typed form of every v1 statement (api.md §3).
//
// api/statement_codec turns a DSSE payload (JSON) into a Statement, refusing anything
// off-schema (E_SCHEMA); ledger/ validates and applies Statements against state and
// never sees JSON. Identifiers are checked by the codec against api.md §1:
//   participant ids ^[a-z0-9][a-z0-9-]{1,63}$, key labels the same pattern,
//   asset ids patent:<13-char application no.> | trademark:<reg no.> | data:<token>,
//   other ids ^[A-Za-z0-9._-]{1,64}$.
// Value types; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"

namespace ipledger {

// The largest amount a statement may carry: 10^15 minor units (¥10 trillion in fen).
// The codec refuses larger amounts (E_SCHEMA), so sums of amounts over any number of
// log entries (< 2^64) stay below 2^114 and fit a 128-bit integer.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;

// Money in minor units (fen for CNY) with an ISO 4217 code; 0 <= amount <= kMaxAmount.
struct Money {
  std::int64_t amount = 0;
  std::string currency;  // three upper-case letters
  friend bool operator==(const Money&, const Money&) = default;
};

struct DateRange {
  Date start;
  Date end;  // inclusive; the codec requires start <= end
  friend bool operator==(const DateRange&, const DateRange&) = default;
};

enum class Role { kRegistry, kBank, kInsurer, kAppraiser, kRegulator, kEnterprise };
enum class AssetKind { kPatent, kTrademark, kData };
enum class PatentType { kInvention, kUtilityModel, kDesign };
enum class DataSource { kSelfCollected, kLicensed, kPurchased, kPublicAuthorised };
enum class AssetEvent {
  kAnnuityPaid,
  kFeeGrace,
  kInvalidationStarted,
  kInvalidationEnded,
  kInvalidated,
  kPartiallyInvalidated,
  kTerminated,
  kPreservation,
  kPreservationLifted,
  kRenewed,
  kTransferred,
};
enum class ValuationMethod { kIncome, kMarket, kCost };
enum class CollateralKind {
  kRealEstate,
  kEquipment,
  kInventory,
  kReceivables,
  kGuarantee,
  kCredit
};
enum class SecuredType { kLoan, kCeiling };
enum class ReleaseReason { kRepaid, kPrepaid, kRealised, kWaived, kContractVoid, kOther };

// Wire names: "registry", "utility_model", "annuity_paid", ... (as api.md §3 spells them).
std::string_view RoleName(Role r);
std::string_view AssetKindName(AssetKind k);
std::string_view PatentTypeName(PatentType t);
std::string_view DataSourceName(DataSource s);
std::string_view AssetEventName(AssetEvent e);
std::string_view ValuationMethodName(ValuationMethod m);
std::string_view CollateralKindName(CollateralKind k);
std::string_view SecuredTypeName(SecuredType t);
std::string_view ReleaseReasonName(ReleaseReason r);
std::optional<Role> ParseRole(std::string_view s);
std::optional<AssetKind> ParseAssetKind(std::string_view s);
std::optional<PatentType> ParsePatentType(std::string_view s);
std::optional<DataSource> ParseDataSource(std::string_view s);
std::optional<AssetEvent> ParseAssetEvent(std::string_view s);
std::optional<ValuationMethod> ParseValuationMethod(std::string_view s);
std::optional<CollateralKind> ParseCollateralKind(std::string_view s);
std::optional<SecuredType> ParseSecuredType(std::string_view s);
std::optional<ReleaseReason> ParseReleaseReason(std::string_view s);

struct KeySpec {
  std::string label;  // key id = <participant>/<label>
  PublicKey ed25519{};
  friend bool operator==(const KeySpec&, const KeySpec&) = default;
};

struct ParticipantRegister {
  std::string id;
  std::string name;
  Role role = Role::kEnterprise;
  std::optional<std::string> uscc;
  std::optional<std::string> region_code;  // GB/T 2260, digits
  std::vector<KeySpec> keys;               // at least one; labels unique
  // Genesis only: the publicity period of a key recovery, in days (default 7).
  std::optional<std::uint32_t> recovery_publicity_days;
  friend bool operator==(const ParticipantRegister&, const ParticipantRegister&) = default;
};

// A witness key (docs/operations.md, "Witness keys in the registry"): an entry of
// participant.keys' `add` with "role": "witness". It never signs statements: it names
// the C2SP tlog-witness the participant runs, for policies derived from the log. The
// codec checks both fields (kMaxWitnessVkeyChars, kMaxWitnessUrlChars).
struct WitnessKeySpec {
  std::string label;  // shares the participant's key labels: a label names one key for ever
  std::string vkey;   // C2SP signed-note vkey (type 0x04 cosignature/v1, or 0x01 Ed25519)
  std::string url;    // http:// or https:// where the witness answers add-checkpoint
  friend bool operator==(const WitnessKeySpec&, const WitnessKeySpec&) = default;
};

inline constexpr std::size_t kMaxWitnessVkeyChars = 256;
inline constexpr std::size_t kMaxWitnessUrlChars = 256;

struct ParticipantKeys {
  std::string id;
  std::vector<KeySpec> add;
  std::vector<std::string> revoke;  // labels (signing or witness keys)
  // `add` members with "role": "witness"; only the participant itself may add or revoke them.
  std::vector<WitnessKeySpec> add_witnesses;
  friend bool operator==(const ParticipantKeys&, const ParticipantKeys&) = default;
};

// Recovery of a participant that lost every key: proposed by the registry with a
// regulator's co-signature, public for a period during which any current key of the
// participant can cancel it, then completed by the registry.
struct ParticipantRecover {
  std::string id;
  std::vector<KeySpec> keys;  // at least one; labels unique
  std::string reason;
  friend bool operator==(const ParticipantRecover&, const ParticipantRecover&) = default;
};

struct ParticipantRecoverCancel {
  std::string id;
  std::uint64_t recovery_index = 0;  // log index of the participant.recover entry
  friend bool operator==(const ParticipantRecoverCancel&,
                         const ParticipantRecoverCancel&) = default;
};

struct ParticipantRecoverComplete {
  std::string id;
  std::uint64_t recovery_index = 0;  // log index of the participant.recover entry
  friend bool operator==(const ParticipantRecoverComplete&,
                         const ParticipantRecoverComplete&) = default;
};

struct PatentFacts {
  std::string application_no;  // 13 characters
  std::optional<std::string> patent_no;
  PatentType type = PatentType::kInvention;
  std::string title;
  Date filing_date;
  std::optional<Date> grant_date;  // absent: not granted
  std::optional<Date> term_end;    // absent: derived from type and filing date
  Date annuity_paid_through;
  friend bool operator==(const PatentFacts&, const PatentFacts&) = default;
};

struct TrademarkFacts {
  std::string reg_no;
  int nice_class = 0;  // 1..45
  std::vector<std::string> goods;
  Date reg_date;
  Date expiry_date;
  std::optional<std::string> similarity_group;
  friend bool operator==(const TrademarkFacts&, const TrademarkFacts&) = default;
};

struct DataFacts {
  std::string name;
  std::string description;
  std::uint64_t record_count = 0;
  Digest fingerprint_sha256{};
  DataSource source_type = DataSource::kSelfCollected;
  std::string scenario;
  // When the licence or purchase contract the data was obtained under ends (domain.md
  // D-2): required for licensed and purchased data; the certificate ends no later.
  std::optional<Date> licence_end;
  friend bool operator==(const DataFacts&, const DataFacts&) = default;
};

struct AssetRegister {
  std::string asset_id;
  AssetKind kind = AssetKind::kPatent;
  std::vector<std::string> holders;   // participant ids, at least one
  std::optional<PatentFacts> patent;  // exactly the one matching `kind`
  std::optional<TrademarkFacts> trademark;
  std::optional<DataFacts> data;
  friend bool operator==(const AssetRegister&, const AssetRegister&) = default;
};

struct AssetStatus {
  std::string asset_id;
  AssetEvent event = AssetEvent::kAnnuityPaid;
  Date effective_date;
  std::optional<Date> annuity_paid_through;         // required for annuity_paid
  std::optional<Date> expiry_date;                  // required for renewed
  std::optional<std::vector<std::string>> holders;  // required for transferred
  friend bool operator==(const AssetStatus&, const AssetStatus&) = default;
};

struct DataPublicize {
  std::string asset_id;
  Date publicity_end;
  friend bool operator==(const DataPublicize&, const DataPublicize&) = default;
};

struct DataObject {
  std::string asset_id;
  std::string reason;
  Digest evidence_sha256{};
  friend bool operator==(const DataObject&, const DataObject&) = default;
};

struct DataResolveObjection {
  std::string asset_id;
  std::uint64_t objection_index = 0;  // log index of the data.object entry
  bool upheld = false;
  friend bool operator==(const DataResolveObjection&, const DataResolveObjection&) = default;
};

struct DataConfirm {
  std::string asset_id;
  std::string certificate_no;
  Date valid_until;
  friend bool operator==(const DataConfirm&, const DataConfirm&) = default;
};

struct DataReject {
  std::string asset_id;
  std::string reason;
  friend bool operator==(const DataReject&, const DataReject&) = default;
};

struct ValuationItem {
  std::string asset_id;
  Money value;
  std::optional<std::uint32_t> legal_score;
  std::optional<std::uint32_t> technical_score;
  std::optional<std::uint32_t> economic_score;
  friend bool operator==(const ValuationItem&, const ValuationItem&) = default;
};

struct ValuationAttest {
  std::string valuation_id;
  std::vector<ValuationItem> items;  // at least one; the codec checks total = sum
  Money total;
  std::string standard;  // e.g. "GB/T 42748-2023"
  std::vector<ValuationMethod> methods;
  Date base_date;
  std::optional<Date> valid_until;  // absent: base_date + 1 year
  Digest report_sha256{};
  friend bool operator==(const ValuationAttest&, const ValuationAttest&) = default;
};

struct ValuationWithdraw {
  std::string valuation_id;
  std::string reason;
  friend bool operator==(const ValuationWithdraw&, const ValuationWithdraw&) = default;
};

struct OtherCollateral {
  CollateralKind kind = CollateralKind::kRealEstate;
  std::string description;
  Money amount;
  friend bool operator==(const OtherCollateral&, const OtherCollateral&) = default;
};

struct CaseRegister {
  std::string case_id;
  std::string debtor;
  Money facility;
  DateRange term;
  std::vector<OtherCollateral> other_collateral;
  friend bool operator==(const CaseRegister&, const CaseRegister&) = default;
};

struct Secured {
  SecuredType type = SecuredType::kLoan;
  Money amount;
  friend bool operator==(const Secured&, const Secured&) = default;
};

struct PledgeRegister {
  std::string pledge_id;
  std::optional<std::string> case_id;
  std::vector<std::string> pledgors;  // at least one
  std::string debtor;
  std::vector<std::string> collateral;  // asset ids, at least one, distinct
  Secured secured;
  DateRange debt_term;
  std::optional<std::string> official_reg_no;
  std::vector<std::string> valuation_ids;
  Digest contract_sha256{};
  std::vector<std::string> acknowledgements;  // rule ids ("P-8") or codes
  bool forfeiture_clause = false;
  friend bool operator==(const PledgeRegister&, const PledgeRegister&) = default;
};

struct PledgeAmend {
  std::string pledge_id;
  std::optional<Secured> secured;
  std::optional<DateRange> debt_term;
  std::vector<std::string> release_collateral;
  std::optional<std::string> official_reg_no;
  // Valuations the amendment cites; they join the pledge's cited valuations, the only
  // ones its LTV is computed from. Empty: none (the field is omitted).
  std::vector<std::string> valuation_ids;
  friend bool operator==(const PledgeAmend&, const PledgeAmend&) = default;
};

struct PledgeRelease {
  std::string pledge_id;
  ReleaseReason reason = ReleaseReason::kRepaid;
  std::optional<Digest> evidence_sha256;
  friend bool operator==(const PledgeRelease&, const PledgeRelease&) = default;
};

struct PledgeEnforce {
  std::string pledge_id;
  Date started;
  friend bool operator==(const PledgeEnforce&, const PledgeEnforce&) = default;
};

// The registry revokes a pledge on a court order (domain.md §8.3 REVOKE), naming the
// order by its SHA-256. Submitted and signed by the registry.
struct PledgeRevoke {
  std::string pledge_id;
  Digest order_sha256{};
  std::string reason;
  friend bool operator==(const PledgeRevoke&, const PledgeRevoke&) = default;
};

// A pledgor's release request with its repayment proof (domain.md R-2), submitted by a
// pledgor and countersigned by the pledgee; it releases the pledge as pledge.release.
struct PledgeReleaseRequest {
  std::string pledge_id;
  ReleaseReason reason = ReleaseReason::kRepaid;
  Digest evidence_sha256{};
  friend bool operator==(const PledgeReleaseRequest&, const PledgeReleaseRequest&) = default;
};

struct PolicyIssue {
  std::string policy_id;
  std::string product;  // infringement_loss | enforcement_cost | data_ip_loss | ...
  std::string insured;
  std::vector<std::string> loss_payees;
  std::vector<std::string> covered_assets;  // at least one
  DateRange period;  // the codec accepts start > end; the rules refuse it (E_POLICY_TERMS)
  Money limit_per_claim;
  Money aggregate_limit;
  Money deductible;
  std::vector<std::string> covered_costs;
  friend bool operator==(const PolicyIssue&, const PolicyIssue&) = default;
};

struct PolicyCancel {
  std::string policy_id;
  Date effective_date;
  std::string reason;
  friend bool operator==(const PolicyCancel&, const PolicyCancel&) = default;
};

struct PolicyClaim {
  std::string claim_no;
  std::string policy_id;
  std::string asset_id;
  Date incident_date;
  Money paid;
  friend bool operator==(const PolicyClaim&, const PolicyClaim&) = default;
};

using StatementBody =
    std::variant<ParticipantRegister, ParticipantKeys, AssetRegister, AssetStatus, DataPublicize,
                 DataObject, DataResolveObjection, DataConfirm, DataReject, ValuationAttest,
                 ValuationWithdraw, CaseRegister, PledgeRegister, PledgeAmend, PledgeRelease,
                 PledgeEnforce, PolicyIssue, PolicyCancel, PolicyClaim, ParticipantRecover,
                 ParticipantRecoverCancel, ParticipantRecoverComplete, PledgeRevoke,
                 PledgeReleaseRequest>;

// The statement type names, in StatementBody's order ("participant.register", ...).
std::string_view StatementTypeName(const StatementBody& body);
// All v1 type names, in StatementBody's order.
const std::vector<std::string_view>& StatementTypeNames();

struct Statement {
  int v = 1;
  std::string type;  // equals StatementTypeName(body)
  std::string submitter;
  std::string idempotency_key;  // 1..128 characters
  std::int64_t created_ms = 0;  // from "created", RFC 3339 UTC with milliseconds
  StatementBody body;
  friend bool operator==(const Statement&, const Statement&) = default;
};

}  // namespace ipledger
