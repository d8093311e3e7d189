// The registry's rules (internal to ledger/registry): what each statement type checks
// against current state and what it writes. The sequencer (sequencer.cc) authenticates
// and authorizes a statement, fills a Ctx and calls ApplyRules; the rules then refuse,
// warn, forbid or write records and indexes through the Txn, and name the parties and
// subjects the entry is about. A change to a rule touches its rules*.cc file only.
//
// Thread-safety: none; runs inside the sequencer, which is serialized.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/civil_time.h"
#include "ledger/registry/record.h"
#include "ledger/registry/statement.h"
#include "ledger/registry/txn.h"

namespace ipledger {

// Whether a code refuses the statement (E_ errors and unacknowledged A_ alerts); other
// codes are warnings.
inline bool IsRefusing(std::string_view code) {
  return code.rfind("E_", 0) == 0 || code.rfind("A_", 0) == 0;
}

// What one statement is doing while it is sequenced.
struct Ctx {
  // Set by the sequencer before ApplyRules.
  Txn* txn = nullptr;
  const Statement* st = nullptr;
  std::uint64_t index = 0;
  std::int64_t time_ms = 0;
  Date today;
  Role submitter_role = Role::kEnterprise;
  std::set<std::string> signer_participants;
  std::set<std::string> signer_keys;

  // Filled by the rules.
  std::vector<std::string> codes;
  std::vector<std::string> warnings;
  std::string detail;
  bool forbidden = false;
  std::set<std::string> parties;
  std::set<std::string> subjects;
  std::set<std::string> assets;  // subjects that are assets (asset history index)
  // Accepted pledge and policy entries: the assets whose status record (asset_status.h)
  // they change, and the registration entry they end (the leaf's map_ fields).
  std::vector<std::string> map_assets;
  std::optional<std::uint64_t> map_ref;

  void Refuse(const std::string& code, const std::string& why) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
    if (detail.empty()) detail = why;
  }
  void Warn(const std::string& code) {
    if (std::find(warnings.begin(), warnings.end(), code) == warnings.end())
      warnings.push_back(code);
  }
  void Forbid(const std::string& why) {
    forbidden = true;
    if (detail.empty()) detail = why;
  }
  bool refused() const {
    return std::any_of(codes.begin(), codes.end(),
                       [](const std::string& c) { return IsRefusing(c); });
  }
  bool Signed(const std::string& participant) const {
    return signer_participants.contains(participant);
  }
  void Asset(const std::string& id) {
    subjects.insert(id);
    assets.insert(id);
  }
};

// Applies the rules of `c.st`'s statement type: fills c's codes, warnings, detail,
// forbidden, parties and subjects, and writes the records and indexes of an accepted
// statement to c.txn. Storage read failures land in c.txn->error().
void ApplyRules(Ctx& c);

// --- Shared helpers (rules.cc) for the handlers in the rules*.cc files ---------------
// Internal to the rules: a rules*.cc file names the ones it uses with using-declarations.
namespace rules_internal {

// Loads a participant the statement names as `what` ("holder", "debtor", ...) and makes
// it a party; refuses E_UNKNOWN_REFERENCE when it is not registered.
std::optional<ParticipantRecord> NeedParticipant(Ctx& c, const std::string& id,
                                                 std::string_view what);
// Loads an asset the statement is about, makes it a subject and its holders parties;
// refuses E_UNKNOWN_REFERENCE when it is not registered.
std::optional<AssetRecord> NeedAsset(Ctx& c, const std::string& id);
// Whether the submitter has one of `roles`; otherwise forbids c and returns false.
bool RequireRole(Ctx& c, std::initializer_list<Role> roles);
// Appends `index` to a record's history unless it is already the last entry.
void Touch(std::vector<std::uint64_t>& history, std::uint64_t index);

}  // namespace rules_internal

// --- Pledge and policy checks added for issue #19 (rules_pledges.cc) -----------------
// Each refuses through `c` with the code named; none reads the clock, only c.today (the
// date of the entry being sequenced), so replay reaches the same answer.

// How far before the entry's own date an effective date may lie (a correction window
// for late filings): policy.cancel and asset.status effective dates and pledge.enforce
// start dates earlier than today - kCorrectionWindowDays are refused with E_BACKDATED.
// Releases and revocations carry no date of their own: they take effect at their entry.
inline constexpr int kCorrectionWindowDays = 30;

// P-6 / I-3: a secured amount or a claim payment of zero is not a claim (E_ZERO_AMOUNT).
// A claim's `paid` is the amount after the deductible, so any positive payment is in
// keeping with the deductible.
void CheckPositiveAmount(Ctx& c, const Money& m, std::string_view what);

// I-3: an incident after the claim entry's date has not happened (E_OUTSIDE_PERIOD).
void CheckIncidentNotFuture(Ctx& c, Date incident);

// V-2: base_date <= the entry's date and valid_until (when given) >= base_date
// (E_VALUATION_DATES).
void CheckValuationDates(Ctx& c, const ValuationAttest& b);

// V-3: a valuation cited by a pledge values at least one of its collateral assets
// (E_VALUATION_NOT_OF_COLLATERAL).
void CheckValuationOfCollateral(Ctx& c, const ValuationRecord& v,
                                const std::vector<std::string>& collateral);

// L-2: an effective date no earlier than today - kCorrectionWindowDays (E_BACKDATED).
void CheckNotBackdated(Ctx& c, Date effective, std::string_view what);

// §8.3: a pledge whose debt term already ended cannot be registered (E_TERM_ENDED).
void CheckDebtTermNotEnded(Ctx& c, const DateRange& debt_term);

// --- Insurance policies (rules_policies.cc) --------------------------------------------

// policy.issue: by an insurer; the insured holds every covered asset (I-1) and the terms
// are coherent (I-2, E_POLICY_TERMS). Indexes the policy under each covered asset.
void HandlePolicyIssue(Ctx& c, const PolicyIssue& b);
// policy.cancel: by the issuing insurer, effective no earlier than the correction window
// allows (E_BACKDATED); E_NOT_ACTIVE once cancelled.
void HandlePolicyCancel(Ctx& c, const PolicyCancel& b);
// policy.claim: by the issuing insurer, for a covered asset, an incident inside the cover
// (E_OUTSIDE_PERIOD) and a payment within the limits (I-3, E_LIMIT_EXCEEDED).
void HandlePolicyClaim(Ctx& c, const PolicyClaim& b);

}  // namespace ipledger

// --- Asset identity and data-asset checks (rules_assets.cc) ---------------------------
// Called from the Handle functions in rules.cc; each adds refusals to `c` and returns
// whether the statement may go on.
namespace ipledger {

// Domain.md D-4: the shortest publicity period the ledger accepts, in calendar days from
// the data.publicize entry's own date to publicity_end (5 working days ≈ 7 calendar days).
inline constexpr int kMinPublicityDays = 7;

// One identity per asset: the official number's check character (patents), canonical
// form (trademarks), and for data assets no other live registration with the same
// fingerprint (E_INVALID_IDENTIFIER, E_DUPLICATE_ASSET).
void CheckAssetIdentity(Ctx& c, const AssetRegister& b);
// Writes the identity indexes of an accepted asset.register.
void IndexAssetIdentity(Ctx& c, const AssetRegister& b);
// A participant's USCC carries a valid GB 32100-2015 check character.
void CheckParticipantIdentity(Ctx& c, const ParticipantRegister& b);
// D-4: publicity_end is at least kMinPublicityDays after today.
void CheckPublicityPeriod(Ctx& c, const DataPublicize& b);
// D-5: how long a data certificate may run, in years from the data.confirm entry's date
// (the Beijing pilot's three years from the registration announcement).
inline constexpr int kCertificateTermYears = 3;
// D-2: licensed or purchased data names the end of its licence (E_LICENCE_END_MISSING).
void CheckDataSource(Ctx& c, const AssetRegister& b);
// D-5: a certificate runs from today to at most today + kCertificateTermYears and, when
// the data has a licence_end, not beyond it (E_CERTIFICATE_TERM).
void CheckCertificateTerm(Ctx& c, const AssetRecord& a, Date valid_until);
// D-6: an invalidated or terminated data asset secures nothing (E_ASSET_NOT_PLEDGEABLE).
void CheckDataAssetStanding(Ctx& c, const AssetRecord& a);
// I-1: the insured holds every covered asset (E_INSURED_NOT_HOLDER).
void CheckInsuredHolds(Ctx& c, const PolicyIssue& b);
// An enterprise's asset.register names co-holders only with each one's signature
// (admission: E_FORBIDDEN). The registry's own registrations from official records are
// not asked. Returns false when forbidden.
bool CheckCoHolderConsent(Ctx& c, const AssetRegister& b);
// T-4: whether `other`, a mark of `mark`'s similarity group, must be pledged with it: the
// same holders, neither terminated nor invalidated, and not expired on `today` (a mark
// in its renewal grace period cannot be pledged, so it does not hold back the others).
bool SimilarMarkBinds(const AssetRecord& other, const AssetRecord& mark, Date today);
// T-4 on pledge.amend: a released mark may not leave a binding similar mark in the
// collateral (E_SIMILAR_MARKS_SPLIT).
void CheckSimilarMarksKeptTogether(Ctx& c, const std::vector<std::string>& released,
                                   const std::vector<std::string>& remaining);

}  // namespace ipledger

// --- Participant keys (rules_keys.cc) ------------------------------------------------
// A participant's keys belong to it: the registry operator cannot sign for anyone.

namespace ipledger {

// Authorization of participant.keys: submitted by the registry or the participant
// itself, always signed by one of the participant's current keys, and for the registry's
// own keys co-signed by a regulator. Otherwise forbids c (E_FORBIDDEN, nothing written)
// and returns false.
bool AuthorizeKeyChange(Ctx& c, const ParticipantKeys& b);

// The genesis entry's recovery_publicity_days (stored for the recovery rules); the
// field anywhere else forbids c. Returns false if c was forbidden.
bool NoteRecoveryPublicity(Ctx& c, const ParticipantRegister& b);

// participant.recover: registry-submitted, co-signed by a regulator; starts the
// publicity period of a pending recovery (E_RECOVERY_PENDING if one is pending).
void HandleRecover(Ctx& c, const ParticipantRecover& b);
// participant.recover_cancel: signed by a current key of the participant (submitter:
// the participant or the registry); cancels the pending recovery.
void HandleRecoverCancel(Ctx& c, const ParticipantRecoverCancel& b);
// participant.recover_complete: by the registry after the publicity period; revokes
// every key of the participant and adds the recovery's keys. E_RECOVERY_PENDING before
// the end, E_RECOVERY_CANCELLED after a cancel.
void HandleRecoverComplete(Ctx& c, const ParticipantRecoverComplete& b);
// --- Money and valuations (rules_money.cc) ---------------------------------------------

// The valuations a pledge.amend cites: each must exist (E_UNKNOWN_REFERENCE); a withdrawn
// or expired one warns W_VALUATION_STALE. Names them as subjects.
void CheckCitedValuations(Ctx& c, const std::vector<std::string>& valuation_ids);
// Appends to `cited` the ids it does not hold yet, in order: the pledge's cited
// valuations, the only ones Registry::LtvBps reads.
void AddCitedValuations(const std::vector<std::string>& valuation_ids,
                        std::vector<std::string>* cited);
// A pledge naming a financing case shares the case's debtor (one case is one loan to one
// debtor); otherwise E_CASE_DEBTOR_MISMATCH.
void CheckCaseDebtor(Ctx& c, const CaseRecord& kase, const std::string& debtor);

}  // namespace ipledger

// --- Witness keys (rules_witness.cc) -------------------------------------------------
// participant.keys members with "role": "witness" (WitnessKeySpec): the C2SP witness a
// participant runs, for policies derived from the log (`ipledger witness-policy`).

namespace ipledger {

// What one participant.keys statement does to the participant's witness keys.
struct WitnessKeyChange {
  bool touched = false;                     // adds or revokes a witness key
  WitnessKeysRecord record;                 // the current record (id set if new)
  std::vector<std::string> revoke_signing;  // the labels of `revoke` that are not witness keys
};

// Checks b's witness keys against state: a statement that adds or revokes one is
// submitted by the participant itself (forbidden otherwise; AuthorizeKeyChange already
// requires its signature); a label names one key for ever over signing and witness keys,
// and a witness key (its public key) is registered once, by one participant, ever
// (E_DUPLICATE_ID); a revoked label is active (E_UNKNOWN_REFERENCE).
WitnessKeyChange CheckWitnessKeys(Ctx& c, const ParticipantKeys& b, const ParticipantRecord& p);

// Writes the checked change (record tag X, index XK/); nothing if !w.touched.
void ApplyWitnessKeys(Ctx& c, const ParticipantKeys& b, WitnessKeyChange& w);

}  // namespace ipledger
