// The per-statement rules (rules.h). Rule numbers (P-1, T-2, D-6, ...) are domain.md's.
#include "ledger/registry/rules.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "ledger/registry/keys.h"

namespace ipledger {
namespace rules_internal {

// --- Shared checks (rules.h, "Shared helpers") ----------------------------------------

std::optional<ParticipantRecord> NeedParticipant(Ctx& c, const std::string& id,
                                                 std::string_view what) {
  c.parties.insert(id);
  auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, id);
  if (!p) c.Refuse("E_UNKNOWN_REFERENCE", std::string(what) + " " + id + " is not registered");
  return p;
}

std::optional<AssetRecord> NeedAsset(Ctx& c, const std::string& id) {
  c.Asset(id);
  auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
  if (!a) {
    c.Refuse("E_UNKNOWN_REFERENCE", "asset " + id + " is not registered");
  } else {
    // The holders are parties to every entry about their asset (api.md §8 visibility).
    c.parties.insert(a->holders.begin(), a->holders.end());
  }
  return a;
}

bool RequireRole(Ctx& c, std::initializer_list<Role> roles) {
  for (Role r : roles) {
    if (c.submitter_role == r) return true;
  }
  c.Forbid("a participant of role " + std::string(RoleName(c.submitter_role)) + " may not submit " +
           c.st->type);
  return false;
}

void Touch(std::vector<std::uint64_t>& history, std::uint64_t index) {
  if (history.empty() || history.back() != index) history.push_back(index);
}

}  // namespace rules_internal

using rules_internal::NeedAsset;
using rules_internal::NeedParticipant;
using rules_internal::RequireRole;
using rules_internal::Touch;

namespace {

// Patent term (domain.md §1.9): invention 20 years, utility model 10, design 15 for
// filings from 2021-06-01 (10 before), counted from the filing date; the term ends the
// day before the anniversary.
Date DerivedPatentTermEnd(const PatentFacts& p) {
  int years = 20;
  if (p.type == PatentType::kUtilityModel) years = 10;
  if (p.type == PatentType::kDesign) years = p.filing_date >= DateFromCivil(2021, 6, 1) ? 15 : 10;
  return AddDays(AddYears(p.filing_date, years), -1);
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// P-1..P-5, P-7, P-8, T-2..T-4, D-6 for one collateral asset of a pledge whose debt term
// ends on `debt_end`. `pledgors` empty skips the holder check (amendments).
void CheckCollateral(Ctx& c, const AssetRecord& a, const std::set<std::string>& pledgors,
                     const std::set<std::string>& collateral, Date debt_end,
                     const std::vector<std::string>& acknowledgements,
                     const std::string& ignore_pledge) {
  const std::string& id = a.asset_id;
  if (!pledgors.empty() && AsSet(a.holders) != pledgors) {
    c.Refuse("E_PLEDGOR_NOT_HOLDER", "the pledgors are not the holders of " + id);
  }
  if (a.preservation) c.Refuse("E_PRESERVATION", id + " is under court preservation");
  switch (a.kind) {
    case AssetKind::kPatent: {
      const PatentFacts& p = *a.patent;
      const Date term_end = p.term_end ? *p.term_end : DerivedPatentTermEnd(p);
      if (a.legal == LegalStatus::kTerminated || a.legal == LegalStatus::kInvalidated) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is " + std::string(LegalStatusName(a.legal)));
      } else if (!p.grant_date || *p.grant_date > c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is not granted");
      } else if (term_end < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " expired on " + FormatDate(term_end));
      }
      if (a.fee_grace || p.annuity_paid_through < c.today) {
        c.Refuse("E_FEE_GRACE", id + " is in the annuity grace period (paid through " +
                                    FormatDate(p.annuity_paid_through) + ")");
      }
      if (debt_end > term_end) {
        c.Refuse("E_TERM_BEYOND_ASSET",
                 "the debt term ends after " + id + "'s term (" + FormatDate(term_end) + ")");
      }
      break;
    }
    case AssetKind::kTrademark: {
      const TrademarkFacts& t = *a.trademark;
      if (a.legal == LegalStatus::kTerminated || a.legal == LegalStatus::kInvalidated) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is " + std::string(LegalStatusName(a.legal)));
      } else if (t.expiry_date < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " expired on " + FormatDate(t.expiry_date));
      }
      if (debt_end > t.expiry_date) {
        c.Refuse("E_TERM_BEYOND_ASSET",
                 "the debt term ends after " + id + " expires (" + FormatDate(t.expiry_date) + ")");
      }
      if (t.similarity_group && !pledgors.empty()) {
        for (const std::string& key : c.txn->KeysWithPrefix(
                 Column::kIndex, PairKey(kSimilarityGroupPrefix, *t.similarity_group, ""))) {
          const std::string other(PairKeySecond(key));
          if (collateral.contains(other)) continue;
          auto o = c.txn->Load<AssetRecord>(kAssetTag, other);
          if (o && SimilarMarkBinds(*o, a, c.today)) {
            c.Refuse("E_SIMILAR_MARKS_SPLIT", "similar mark " + other + " of group " +
                                                  *t.similarity_group + " is not pledged with " +
                                                  id);
          }
        }
      }
      break;
    }
    case AssetKind::kData: {
      CheckDataAssetStanding(c, a);
      if (a.data_state != DataState::kConfirmed) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is not a confirmed data asset (" +
                                               std::string(DataStateName(a.data_state)) + ")");
      } else if (*a.certificate_valid_until < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE",
                 id + "'s certificate expired on " + FormatDate(*a.certificate_valid_until));
      } else if (debt_end > *a.certificate_valid_until) {
        c.Refuse("E_TERM_BEYOND_ASSET", "the debt term ends after " + id + "'s certificate (" +
                                            FormatDate(*a.certificate_valid_until) + ")");
      }
      break;
    }
  }
  for (const std::string& other : a.active_pledges) {
    if (other != ignore_pledge) {
      c.Refuse("E_ALREADY_PLEDGED", id + " is pledged under " + other);
    }
  }
  if (a.invalidation_pending) {
    const bool acknowledged =
        std::find_if(acknowledgements.begin(), acknowledgements.end(), [](const std::string& r) {
          return r == "P-8" || r == "A_INVALIDATION_PENDING";
        }) != acknowledgements.end();
    if (!acknowledged) {
      c.Refuse("A_INVALIDATION_PENDING",
               "invalidation proceedings against " + id + " are pending; acknowledge rule P-8");
    }
  }
}

// --- Participants --------------------------------------------------------------------

void Handle(Ctx& c, const ParticipantRegister& b) {
  c.parties.insert(b.id);
  c.subjects.insert(b.id);
  if (c.index > 0 && !RequireRole(c, {Role::kRegistry})) return;
  if (!NoteRecoveryPublicity(c, b)) return;
  if (c.txn->Load<ParticipantRecord>(kParticipantTag, b.id)) {
    c.Refuse("E_DUPLICATE_ID", "participant " + b.id + " is already registered");
    return;
  }
  CheckParticipantIdentity(c, b);
  if (c.refused()) return;
  ParticipantRecord r;
  r.id = b.id;
  r.name = b.name;
  r.role = b.role;
  r.uscc = b.uscc;
  r.region_code = b.region_code;
  for (const KeySpec& k : b.keys) r.keys.push_back({k.label, k.ed25519, c.index, std::nullopt});
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kParticipantTag, b.id, c.index, r);
}

void Handle(Ctx& c, const ParticipantKeys& b) {
  c.subjects.insert(b.id);
  if (!AuthorizeKeyChange(c, b)) return;
  auto p = NeedParticipant(c, b.id, "participant");
  if (!p) return;
  WitnessKeyChange witness = CheckWitnessKeys(c, b, *p);
  if (c.forbidden) return;
  for (const KeySpec& k : b.add) {
    for (const KeyRecord& existing : p->keys) {
      if (existing.label == k.label) {
        c.Refuse("E_DUPLICATE_ID", "key " + b.id + "/" + k.label + " already exists");
      }
    }
  }
  for (const std::string& label : witness.revoke_signing) {
    auto it = std::find_if(p->keys.begin(), p->keys.end(), [&](const KeyRecord& k) {
      return k.label == label && !k.revoked_index;
    });
    if (it == p->keys.end()) {
      c.Refuse("E_UNKNOWN_REFERENCE", "no active key " + b.id + "/" + label);
    }
  }
  if (c.refused()) return;
  for (const KeySpec& k : b.add) p->keys.push_back({k.label, k.ed25519, c.index, std::nullopt});
  for (const std::string& label : witness.revoke_signing) {
    for (KeyRecord& k : p->keys) {
      if (k.label == label) k.revoked_index = c.index;
    }
  }
  ApplyWitnessKeys(c, b, witness);
  Touch(p->history, c.index);
  c.txn->Save(kParticipantTag, b.id, c.index, *p);
}

void Handle(Ctx& c, const ParticipantRecover& b) { HandleRecover(c, b); }
void Handle(Ctx& c, const ParticipantRecoverCancel& b) { HandleRecoverCancel(c, b); }
void Handle(Ctx& c, const ParticipantRecoverComplete& b) { HandleRecoverComplete(c, b); }

// --- Assets ------------------------------------------------------------------------------

void Handle(Ctx& c, const AssetRegister& b) {
  c.Asset(b.asset_id);
  if (b.kind == AssetKind::kData) {
    // A data registration is the holding enterprise's application (api.md §3).
    if (!RequireRole(c, {Role::kEnterprise})) return;
    if (std::find(b.holders.begin(), b.holders.end(), c.st->submitter) == b.holders.end()) {
      c.Forbid("a data asset is registered by one of its holders");
      return;
    }
    if (!CheckCoHolderConsent(c, b)) return;
  } else if (!RequireRole(c, {Role::kRegistry})) {
    return;
  }
  for (const std::string& h : b.holders) NeedParticipant(c, h, "holder");
  if (c.txn->Load<AssetRecord>(kAssetTag, b.asset_id)) {
    c.Refuse("E_DUPLICATE_ID", "asset " + b.asset_id + " is already registered");
  }
  CheckAssetIdentity(c, b);
  CheckDataSource(c, b);
  if (c.refused()) return;
  AssetRecord r;
  r.asset_id = b.asset_id;
  r.kind = b.kind;
  r.holders = b.holders;
  r.patent = b.patent;
  if (r.patent && !r.patent->term_end) r.patent->term_end = DerivedPatentTermEnd(*r.patent);
  r.trademark = b.trademark;
  r.data = b.data;
  r.data_state = DataState::kApplied;
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kAssetTag, b.asset_id, c.index, r);
  IndexAssetIdentity(c, b);
  if (r.trademark && r.trademark->similarity_group) {
    c.txn->Put(Column::kIndex,
               PairKey(kSimilarityGroupPrefix, *r.trademark->similarity_group, b.asset_id), "");
  }
}

void Handle(Ctx& c, const AssetStatus& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedAsset(c, b.asset_id);
  if (!a) return;
  CheckNotBackdated(c, b.effective_date, "the event");
  if (c.refused()) return;
  const bool patent = a->kind == AssetKind::kPatent;
  const bool trademark = a->kind == AssetKind::kTrademark;
  auto wrong_kind = [&] {
    c.Refuse("E_WRONG_ASSET_KIND", std::string(AssetEventName(b.event)) + " does not apply to a " +
                                       std::string(AssetKindName(a->kind)) + " asset");
  };
  switch (b.event) {
    case AssetEvent::kAnnuityPaid:
      if (!patent) return wrong_kind();
      a->patent->annuity_paid_through = *b.annuity_paid_through;
      a->fee_grace = false;
      break;
    case AssetEvent::kFeeGrace:
      if (!patent) return wrong_kind();
      a->fee_grace = true;
      break;
    case AssetEvent::kInvalidationStarted:
      a->invalidation_pending = true;
      break;
    case AssetEvent::kInvalidationEnded:
      a->invalidation_pending = false;
      break;
    case AssetEvent::kInvalidated:
      // Termination is final in v1 (there is no restoration event): a later decision
      // on validity does not bring a terminated right back.
      if (a->legal != LegalStatus::kTerminated) a->legal = LegalStatus::kInvalidated;
      a->invalidation_pending = false;
      break;
    case AssetEvent::kPartiallyInvalidated:
      // A later decision may narrow a full invalidation (on appeal) but not a termination.
      if (a->legal != LegalStatus::kTerminated) a->legal = LegalStatus::kPartiallyInvalidated;
      a->invalidation_pending = false;
      break;
    case AssetEvent::kTerminated:
      a->legal = LegalStatus::kTerminated;
      break;
    case AssetEvent::kPreservation:
      a->preservation = true;
      break;
    case AssetEvent::kPreservationLifted:
      a->preservation = false;
      break;
    case AssetEvent::kRenewed:
      if (!trademark) return wrong_kind();
      a->trademark->expiry_date = *b.expiry_date;
      break;
    case AssetEvent::kTransferred:
      // a pledged asset changes hands only with every pledgee's consent.
      for (const std::string& pid : a->active_pledges) {
        auto pl = c.txn->Load<PledgeRecord>(kPledgeTag, pid);
        if (pl && !c.Signed(pl->pledgee)) {
          c.Refuse("E_ALREADY_PLEDGED", b.asset_id + " is pledged under " + pid +
                                            "; the transfer needs " + pl->pledgee + "'s signature");
        }
      }
      for (const std::string& h : *b.holders) NeedParticipant(c, h, "holder");
      if (c.refused()) return;
      a->holders = *b.holders;
      break;
  }
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

std::optional<AssetRecord> NeedDataAsset(Ctx& c, const std::string& id) {
  auto a = NeedAsset(c, id);
  if (a && a->kind != AssetKind::kData) {
    c.Refuse("E_NOT_ACTIVE", id + " is not a data asset");
    return std::nullopt;
  }
  return a;
}

void Handle(Ctx& c, const DataPublicize& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state != DataState::kApplied) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is " + std::string(DataStateName(a->data_state)) +
                                 ", not awaiting publicity");
    return;
  }
  CheckPublicityPeriod(c, b);
  if (c.refused()) return;
  a->data_state = DataState::kInPublicity;
  a->publicity_end = b.publicity_end;
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataObject& b) {
  // Any participant may object during publicity (domain.md §3.5).
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  const bool open =
      (a->data_state == DataState::kInPublicity || a->data_state == DataState::kObjected) &&
      a->publicity_end && c.today <= *a->publicity_end;
  if (!open) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is not in its publicity period");
    return;
  }
  a->data_state = DataState::kObjected;
  a->pending_objections.push_back(c.index);
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataResolveObjection& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  auto it =
      std::find(a->pending_objections.begin(), a->pending_objections.end(), b.objection_index);
  if (it == a->pending_objections.end()) {
    c.Refuse("E_UNKNOWN_REFERENCE", "no pending objection at index " +
                                        std::to_string(b.objection_index) + " against " +
                                        b.asset_id);
    return;
  }
  a->pending_objections.erase(it);
  if (b.upheld) {
    a->data_state = DataState::kRejected;
  } else if (a->pending_objections.empty()) {
    a->data_state = DataState::kInPublicity;
  }
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataConfirm& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state == DataState::kObjected || !a->pending_objections.empty()) {
    c.Refuse("E_OBJECTION_PENDING", b.asset_id + " has an unresolved objection");
    return;
  }
  if (a->data_state != DataState::kInPublicity) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is " + std::string(DataStateName(a->data_state)) +
                                 ", not in publicity");
    return;
  }
  if (c.today <= *a->publicity_end) {
    c.Refuse("E_PUBLICITY_OPEN",
             "publicity of " + b.asset_id + " runs until " + FormatDate(*a->publicity_end));
    return;
  }
  CheckCertificateTerm(c, *a, b.valid_until);
  if (c.refused()) return;
  a->data_state = DataState::kConfirmed;
  a->certificate_no = b.certificate_no;
  a->certificate_valid_until = b.valid_until;
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataReject& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state == DataState::kConfirmed || a->data_state == DataState::kRejected) {
    c.Refuse("E_NOT_ACTIVE",
             b.asset_id + " is already " + std::string(DataStateName(a->data_state)));
    return;
  }
  a->data_state = DataState::kRejected;
  a->pending_objections.clear();
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

// --- Valuations --------------------------------------------------------------------------

void Handle(Ctx& c, const ValuationAttest& b) {
  c.subjects.insert(b.valuation_id);
  if (!RequireRole(c, {Role::kAppraiser})) return;
  CheckValuationDates(c, b);
  if (c.txn->Load<ValuationRecord>(kValuationTag, b.valuation_id)) {
    c.Refuse("E_DUPLICATE_ID", "valuation " + b.valuation_id + " already exists");
  }
  for (const ValuationItem& item : b.items) NeedAsset(c, item.asset_id);
  if (c.refused()) return;
  ValuationRecord r;
  r.attest = b;
  if (!r.attest.valid_until) r.attest.valid_until = AddYears(b.base_date, 1);
  r.appraiser = c.st->submitter;
  r.attested_index = c.index;
  r.history = {c.index};
  c.txn->Save(kValuationTag, b.valuation_id, c.index, r);
  for (const ValuationItem& item : b.items) {
    c.txn->Put(Column::kIndex, PairKey(kAssetValuationPrefix, item.asset_id, b.valuation_id), "");
  }
}

void Handle(Ctx& c, const ValuationWithdraw& b) {
  c.subjects.insert(b.valuation_id);
  if (!RequireRole(c, {Role::kAppraiser})) return;
  auto v = c.txn->Load<ValuationRecord>(kValuationTag, b.valuation_id);
  if (!v) {
    c.Refuse("E_UNKNOWN_REFERENCE", "valuation " + b.valuation_id + " does not exist");
    return;
  }
  if (v->appraiser != c.st->submitter) {
    c.Forbid("only the attesting appraiser " + v->appraiser + " may withdraw " + b.valuation_id);
    return;
  }
  if (v->withdrawn) {
    c.Refuse("E_NOT_ACTIVE", "valuation " + b.valuation_id + " is already withdrawn");
    return;
  }
  v->withdrawn = true;
  Touch(v->history, c.index);
  c.txn->Save(kValuationTag, b.valuation_id, c.index, *v);
}

// --- Financing cases and pledges ----------------------------------------------------------

void Handle(Ctx& c, const CaseRegister& b) {
  c.subjects.insert(b.case_id);
  if (!RequireRole(c, {Role::kBank})) return;
  if (c.txn->Load<CaseRecord>(kCaseTag, b.case_id)) {
    c.Refuse("E_DUPLICATE_ID", "case " + b.case_id + " already exists");
  }
  NeedParticipant(c, b.debtor, "debtor");
  if (c.refused()) return;
  CaseRecord r;
  r.terms = b;
  r.lender = c.st->submitter;
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kCaseTag, b.case_id, c.index, r);
}

void Handle(Ctx& c, const PledgeRegister& b) {
  c.subjects.insert(b.pledge_id);
  if (!RequireRole(c, {Role::kBank})) return;
  for (const std::string& p : b.pledgors) {
    c.parties.insert(p);
    if (!c.Signed(p)) {
      c.Forbid("pledgor " + p + " has not signed the pledge");
      return;
    }
  }
  std::optional<CaseRecord> kase;
  if (b.case_id) {
    c.subjects.insert(*b.case_id);
    kase = c.txn->Load<CaseRecord>(kCaseTag, *b.case_id);
    if (!kase) {
      c.Refuse("E_UNKNOWN_REFERENCE", "case " + *b.case_id + " does not exist");
    } else if (kase->lender != c.st->submitter) {
      c.Forbid("case " + *b.case_id + " belongs to " + kase->lender);
      return;
    } else {
      CheckCaseDebtor(c, *kase, b.debtor);
    }
  }
  if (c.txn->Load<PledgeRecord>(kPledgeTag, b.pledge_id)) {
    c.Refuse("E_DUPLICATE_ID", "pledge " + b.pledge_id + " already exists");
  }
  for (const std::string& p : b.pledgors) NeedParticipant(c, p, "pledgor");
  auto debtor = NeedParticipant(c, b.debtor, "debtor");
  const std::set<std::string> pledgors = AsSet(b.pledgors);
  const std::set<std::string> collateral = AsSet(b.collateral);
  for (const std::string& id : b.collateral) {
    auto a = NeedAsset(c, id);
    if (a) CheckCollateral(c, *a, pledgors, collateral, b.debt_term.end, b.acknowledgements, "");
  }
  for (const std::string& vid : b.valuation_ids) {
    c.subjects.insert(vid);
    auto v = c.txn->Load<ValuationRecord>(kValuationTag, vid);
    if (!v) {
      c.Refuse("E_UNKNOWN_REFERENCE", "valuation " + vid + " does not exist");
      continue;
    }
    CheckValuationOfCollateral(c, *v, b.collateral);
    if (v->withdrawn || *v->attest.valid_until < c.today) {
      c.Warn("W_VALUATION_STALE");
    }
  }
  if (b.forfeiture_clause) c.Warn("W_FORFEITURE_CLAUSE");
  CheckPositiveAmount(c, b.secured.amount, "the secured amount");
  CheckDebtTermNotEnded(c, b.debt_term);
  if (c.refused()) return;

  PledgeRecord r;
  r.terms = b;
  r.pledgee = c.st->submitter;
  r.registered_index = c.index;
  r.registered_time_ms = c.time_ms;
  if (debtor) r.debtor_region = debtor->region_code;
  r.history = {c.index};
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, r);
  c.map_assets = b.collateral;
  PledgeFact fact;
  fact.index = c.index;
  fact.date = c.today;
  fact.pledge_id = b.pledge_id;
  fact.bank = r.pledgee;
  fact.debtor = b.debtor;
  fact.region = r.debtor_region.value_or("");
  fact.case_key = b.case_id ? "case:" + *b.case_id : "pledge:" + b.pledge_id;
  fact.amount = b.secured.amount.amount;
  fact.currency = b.secured.amount.currency;
  // S-1: enterprises by USCC; a case counts at most its facility; its other collateral
  // gives the combination loan's IP share.
  fact.enterprise = debtor && debtor->uscc ? "uscc:" + *debtor->uscc : "id:" + b.debtor;
  if (kase) {
    if (kase->terms.facility.currency == fact.currency) fact.facility = kase->terms.facility.amount;
    for (const OtherCollateral& o : kase->terms.other_collateral) {
      if (o.amount.currency == fact.currency) fact.other_collateral += o.amount.amount;
    }
  }
  for (const std::string& id : b.collateral) {
    auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
    a->active_pledges.push_back(b.pledge_id);
    Touch(a->history, c.index);
    c.txn->Save(kAssetTag, id, c.index, *a);
    if (a->kind == AssetKind::kPatent) ++fact.patents;
    if (a->kind == AssetKind::kTrademark) ++fact.trademarks;
    if (a->kind == AssetKind::kData) ++fact.data;
  }
  c.txn->Put(Column::kIndex, FactKey(c.index), EncodeFact(fact));
  c.txn->facts().push_back(std::move(fact));
  if (kase) {
    kase->pledges.push_back(b.pledge_id);
    Touch(kase->history, c.index);
    c.txn->Save(kCaseTag, *b.case_id, c.index, *kase);
  }
}

// Loads a pledge for an operation only its pledgee may perform.
std::optional<PledgeRecord> NeedOwnPledge(Ctx& c, const std::string& id) {
  c.subjects.insert(id);
  if (!RequireRole(c, {Role::kBank})) return std::nullopt;
  auto p = c.txn->Load<PledgeRecord>(kPledgeTag, id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "pledge " + id + " does not exist");
    return std::nullopt;
  }
  if (p->pledgee != c.st->submitter) {
    c.Forbid("only the pledgee " + p->pledgee + " may change pledge " + id);
    return std::nullopt;
  }
  for (const std::string& a : p->terms.collateral) c.Asset(a);
  for (const std::string& x : p->terms.pledgors) c.parties.insert(x);
  c.parties.insert(p->terms.debtor);
  return p;
}

void ReleaseAssets(Ctx& c, const std::vector<std::string>& assets, const std::string& pledge_id) {
  for (const std::string& id : assets) {
    auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
    if (!a) continue;
    std::erase(a->active_pledges, pledge_id);
    Touch(a->history, c.index);
    c.txn->Save(kAssetTag, id, c.index, *a);
  }
}

void Handle(Ctx& c, const PledgeAmend& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  // a change agreement is signed by the pledgee and every pledgor.
  for (const std::string& x : p->terms.pledgors) {
    if (!c.Signed(x)) {
      c.Forbid("pledgor " + x + " has not signed the amendment");
      return;
    }
  }
  if (p->state != PledgeState::kRegistered) {
    c.Refuse("E_NOT_ACTIVE",
             "pledge " + b.pledge_id + " is " + std::string(PledgeStateName(p->state)));
    return;
  }
  std::vector<std::string> remaining;
  for (const std::string& id : p->terms.collateral) {
    if (std::find(b.release_collateral.begin(), b.release_collateral.end(), id) ==
        b.release_collateral.end()) {
      remaining.push_back(id);
    }
  }
  for (const std::string& id : b.release_collateral) {
    if (std::find(p->terms.collateral.begin(), p->terms.collateral.end(), id) ==
        p->terms.collateral.end()) {
      c.Refuse("E_UNKNOWN_REFERENCE", id + " is not collateral of " + b.pledge_id);
    }
  }
  if (b.secured) CheckPositiveAmount(c, b.secured->amount, "the secured amount");
  if (remaining.empty()) {
    c.Refuse("E_NOT_ACTIVE", "an amendment cannot release all collateral; release the pledge");
  }
  CheckSimilarMarksKeptTogether(c, b.release_collateral, remaining);
  if (b.debt_term && b.debt_term->end != p->terms.debt_term.end) {
    // P-5 / D-6 again when the term moves: the pledge's own assets stay pledged to it.
    for (const std::string& id : remaining) {
      auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
      if (!a) continue;
      Ctx probe;
      probe.txn = c.txn;
      probe.st = c.st;
      probe.today = c.today;
      CheckCollateral(probe, *a, {}, AsSet(remaining), b.debt_term->end, p->terms.acknowledgements,
                      b.pledge_id);
      for (const std::string& code : probe.codes) {
        if (code == "E_TERM_BEYOND_ASSET") c.Refuse(code, probe.detail);
      }
    }
  }
  CheckCitedValuations(c, b.valuation_ids);
  if (c.refused()) return;
  AddCitedValuations(b.valuation_ids, &p->terms.valuation_ids);
  if (b.secured && b.secured->amount != p->terms.secured.amount) {
    // S-1: the statistics count the amended amount from this index on.
    PledgeFact fact;
    fact.index = c.index;
    fact.date = c.today;
    fact.pledge_id = b.pledge_id;
    fact.amount = b.secured->amount.amount;
    fact.currency = b.secured->amount.currency;
    fact.amendment = true;
    c.txn->Put(Column::kIndex, FactKey(c.index), EncodeFact(fact));
    c.txn->facts().push_back(std::move(fact));
  }
  if (b.secured) p->terms.secured = *b.secured;
  if (b.debt_term) p->terms.debt_term = *b.debt_term;
  if (b.official_reg_no) p->terms.official_reg_no = b.official_reg_no;
  for (const std::string& id : b.release_collateral) p->released_collateral.push_back(id);
  if (!b.release_collateral.empty()) {
    c.map_assets = b.release_collateral;
    c.map_ref = p->registered_index;
  }
  p->terms.collateral = remaining;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, b.release_collateral, b.pledge_id);
}

// Ends an active pledge: released (by its pledgee, or on the pledgor's countersigned
// request) or revoked by the registry. E_NOT_ACTIVE once it has ended.
bool EndPledge(Ctx& c, PledgeRecord& p, PledgeState to) {
  if (p.state == PledgeState::kReleased || p.state == PledgeState::kRevoked) {
    c.Refuse("E_NOT_ACTIVE", "pledge " + p.terms.pledge_id + " is already " +
                                 std::string(PledgeStateName(p.state)));
    return false;
  }
  p.state = to;
  p.released_time_ms = c.time_ms;
  ++p.version;
  Touch(p.history, c.index);
  return true;
}

void Handle(Ctx& c, const PledgeRevoke& b) {
  c.subjects.insert(b.pledge_id);
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto p = c.txn->Load<PledgeRecord>(kPledgeTag, b.pledge_id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "pledge " + b.pledge_id + " does not exist");
    return;
  }
  for (const std::string& a : p->terms.collateral) c.Asset(a);
  for (const std::string& x : p->terms.pledgors) c.parties.insert(x);
  c.parties.insert(p->terms.debtor);
  c.parties.insert(p->pledgee);
  if (!EndPledge(c, *p, PledgeState::kRevoked)) return;
  p->revocation_order_sha256 = b.order_sha256;
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, p->terms.collateral, b.pledge_id);
}

void Handle(Ctx& c, const PledgeReleaseRequest& b) {
  c.subjects.insert(b.pledge_id);
  if (!RequireRole(c, {Role::kEnterprise})) return;
  auto p = c.txn->Load<PledgeRecord>(kPledgeTag, b.pledge_id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "pledge " + b.pledge_id + " does not exist");
    return;
  }
  const auto& pledgors = p->terms.pledgors;
  if (std::find(pledgors.begin(), pledgors.end(), c.st->submitter) == pledgors.end()) {
    c.Forbid(c.st->submitter + " is not a pledgor of " + b.pledge_id);
    return;
  }
  if (!c.Signed(p->pledgee)) {
    c.Forbid("the release request needs the pledgee " + p->pledgee + "'s countersignature");
    return;
  }
  for (const std::string& a : p->terms.collateral) c.Asset(a);
  for (const std::string& x : pledgors) c.parties.insert(x);
  c.parties.insert(p->terms.debtor);
  c.parties.insert(p->pledgee);
  if (!EndPledge(c, *p, PledgeState::kReleased)) return;
  p->release_reason = b.reason;
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, p->terms.collateral, b.pledge_id);
}

void Handle(Ctx& c, const PledgeRelease& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  if (p->state == PledgeState::kReleased || p->state == PledgeState::kRevoked) {
    c.Refuse("E_NOT_ACTIVE",
             "pledge " + b.pledge_id + " is already " + std::string(PledgeStateName(p->state)));
    return;
  }
  if (p->state == PledgeState::kRegistered || p->state == PledgeState::kEnforcing) {
    c.map_assets = p->terms.collateral;
    c.map_ref = p->registered_index;
  }
  p->state = PledgeState::kReleased;
  p->release_reason = b.reason;
  p->released_time_ms = c.time_ms;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, p->terms.collateral, b.pledge_id);
}

void Handle(Ctx& c, const PledgeEnforce& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  if (p->state != PledgeState::kRegistered) {
    c.Refuse("E_NOT_ACTIVE",
             "pledge " + b.pledge_id + " is " + std::string(PledgeStateName(p->state)));
    return;
  }
  CheckNotBackdated(c, b.started, "the enforcement");
  if (c.refused()) return;
  p->state = PledgeState::kEnforcing;
  p->enforcement_started = b.started;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
}

// --- Policies (rules_policies.cc) ----------------------------------------------------

void Handle(Ctx& c, const PolicyIssue& b) { HandlePolicyIssue(c, b); }
void Handle(Ctx& c, const PolicyCancel& b) { HandlePolicyCancel(c, b); }
void Handle(Ctx& c, const PolicyClaim& b) { HandlePolicyClaim(c, b); }

}  // namespace

void ApplyRules(Ctx& c) {
  std::visit([&c](const auto& body) { Handle(c, body); }, c.st->body);
}

}  // namespace ipledger
