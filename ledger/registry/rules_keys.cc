// The rules about participants' keys (rules.h, "Participant keys"): who may change a
// participant's keys, and the visible recovery of a participant that lost them all.
#include <algorithm>
#include <string>

#include "ledger/base/encoding.h"
#include "ledger/log/entry.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/rules.h"

namespace ipledger {
namespace {

constexpr std::uint64_t kDefaultRecoveryPublicityDays = 7;
constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;

// Whether a participant of role regulator signed the statement.
bool RegulatorSigned(Ctx& c) {
  for (const std::string& id : c.signer_participants) {
    auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, id);
    if (p && p->role == Role::kRegulator) return true;
  }
  return false;
}

bool RequireRegistry(Ctx& c) {
  if (c.submitter_role == Role::kRegistry) return true;
  c.Forbid("a participant of role " + std::string(RoleName(c.submitter_role)) + " may not submit " +
           c.st->type);
  return false;
}

void Touch(std::vector<std::uint64_t>& history, std::uint64_t index) {
  if (history.empty() || history.back() != index) history.push_back(index);
}

std::uint64_t RecoveryPublicityDays(Ctx& c) {
  auto v = c.txn->Get(Column::kIndex, std::string(kRecoveryPublicityKey));
  if (!v) return kDefaultRecoveryPublicityDays;
  return DecodeFixed64BE(*v).value_or(kDefaultRecoveryPublicityDays);
}

// Refuses (E_DUPLICATE_ID) each new label the participant already has, revoked or not:
// a key id names one key for ever.
void CheckNewLabels(Ctx& c, const ParticipantRecord& p, const std::vector<std::string>& labels) {
  for (const std::string& label : labels) {
    for (const KeyRecord& k : p.keys) {
      if (k.label == label) {
        c.Refuse("E_DUPLICATE_ID", "key " + p.id + "/" + label + " already exists");
      }
    }
  }
}

// The participant's recovery `index`, refusing (E_UNKNOWN_REFERENCE) if it is not the
// participant's latest recovery or was completed.
std::optional<RecoveryRecord> NeedRecovery(Ctx& c, const std::string& id, std::uint64_t index) {
  auto r = c.txn->Load<RecoveryRecord>(kRecoveryTag, id);
  if (!r || r->index != index) {
    c.Refuse("E_UNKNOWN_REFERENCE",
             "entry " + std::to_string(index) + " is not the latest recovery of " + id);
    return std::nullopt;
  }
  if (r->completed_index) {
    c.Refuse("E_UNKNOWN_REFERENCE", "the recovery of " + id + " at " + std::to_string(index) +
                                        " was completed at " + std::to_string(*r->completed_index));
    return std::nullopt;
  }
  if (r->cancelled_index) {
    c.Refuse("E_RECOVERY_CANCELLED", "the recovery of " + id + " at " + std::to_string(index) +
                                         " was cancelled at " +
                                         std::to_string(*r->cancelled_index));
    return std::nullopt;
  }
  return r;
}

}  // namespace

bool AuthorizeKeyChange(Ctx& c, const ParticipantKeys& b) {
  if (c.submitter_role != Role::kRegistry && c.st->submitter != b.id) {
    c.Forbid("participant.keys for " + b.id + " is submitted by the registry or by " + b.id);
    return false;
  }
  auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, b.id);
  if (!p) return true;  // the rule refuses the unknown reference
  if (!c.Signed(b.id)) {
    c.Forbid("participant.keys for " + b.id + " must be signed by one of " + b.id +
             "'s current keys");
    return false;
  }
  if (p->role == Role::kRegistry && !RegulatorSigned(c)) {
    c.Forbid("the registry's own keys change only with a regulator's co-signature");
    return false;
  }
  return true;
}

bool NoteRecoveryPublicity(Ctx& c, const ParticipantRegister& b) {
  if (!b.recovery_publicity_days) return true;
  if (c.index != 0) {
    c.Forbid("recovery_publicity_days is set only by the genesis entry");
    return false;
  }
  c.txn->Put(Column::kIndex, std::string(kRecoveryPublicityKey),
             EncodeFixed64BE(*b.recovery_publicity_days));
  return true;
}

void HandleRecover(Ctx& c, const ParticipantRecover& b) {
  c.parties.insert(b.id);
  c.subjects.insert(b.id);
  if (!RequireRegistry(c)) return;
  if (!RegulatorSigned(c)) {
    c.Forbid("participant.recover needs a regulator's co-signature");
    return;
  }
  auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, b.id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "participant " + b.id + " is not registered");
    return;
  }
  auto prior = c.txn->Load<RecoveryRecord>(kRecoveryTag, b.id);
  if (prior && !prior->cancelled_index && !prior->completed_index) {
    c.Refuse("E_RECOVERY_PENDING",
             "the recovery of " + b.id + " at " + std::to_string(prior->index) + " is pending");
  }
  std::vector<std::string> labels;
  for (const KeySpec& k : b.keys) labels.push_back(k.label);
  CheckNewLabels(c, *p, labels);
  if (c.refused()) return;
  RecoveryRecord r;
  r.id = b.id;
  r.index = c.index;
  for (const KeySpec& k : b.keys) r.keys.push_back({k.label, k.ed25519, c.index, std::nullopt});
  r.reason = b.reason;
  r.publicity_end_ms = c.time_ms + static_cast<std::int64_t>(RecoveryPublicityDays(c)) * kDayMs;
  c.txn->Save(kRecoveryTag, b.id, c.index, r);
}

void HandleRecoverCancel(Ctx& c, const ParticipantRecoverCancel& b) {
  c.parties.insert(b.id);
  c.subjects.insert(b.id);
  if (c.submitter_role != Role::kRegistry && c.st->submitter != b.id) {
    c.Forbid("participant.recover_cancel for " + b.id + " is submitted by the registry or by " +
             b.id);
    return;
  }
  if (!c.Signed(b.id)) {
    c.Forbid("participant.recover_cancel for " + b.id + " must be signed by one of " + b.id +
             "'s current keys");
    return;
  }
  auto r = NeedRecovery(c, b.id, b.recovery_index);
  if (!r) return;
  r->cancelled_index = c.index;
  c.txn->Save(kRecoveryTag, b.id, c.index, *r);
}

void HandleRecoverComplete(Ctx& c, const ParticipantRecoverComplete& b) {
  c.parties.insert(b.id);
  c.subjects.insert(b.id);
  if (!RequireRegistry(c)) return;
  auto r = NeedRecovery(c, b.id, b.recovery_index);
  if (!r) return;
  if (c.time_ms < r->publicity_end_ms) {
    c.Refuse("E_RECOVERY_PENDING",
             "the recovery of " + b.id + " is public until " + FormatInstant(r->publicity_end_ms));
    return;
  }
  auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, b.id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "participant " + b.id + " is not registered");
    return;
  }
  std::vector<std::string> labels;
  for (const KeyRecord& k : r->keys) labels.push_back(k.label);
  CheckNewLabels(c, *p, labels);
  if (c.refused()) return;
  for (KeyRecord& k : p->keys) {
    if (!k.revoked_index) k.revoked_index = c.index;
  }
  for (const KeyRecord& k : r->keys) p->keys.push_back({k.label, k.key, c.index, std::nullopt});
  Touch(p->history, c.index);
  c.txn->Save(kParticipantTag, b.id, c.index, *p);
  r->completed_index = c.index;
  c.txn->Save(kRecoveryTag, b.id, c.index, *r);
}

}  // namespace ipledger
