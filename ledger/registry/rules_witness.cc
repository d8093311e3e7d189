// The rules about witness keys (rules.h, "Witness keys"): participant.keys members with
// "role": "witness" name the C2SP tlog-witness a participant runs. Only the participant
// itself adds or revokes them; they never sign statements.
#include <algorithm>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/rules.h"

namespace ipledger {
namespace {

WitnessKeyRecord* FindWitnessKey(WitnessKeysRecord& r, const std::string& label) {
  auto it = std::find_if(r.keys.begin(), r.keys.end(),
                         [&](const WitnessKeyRecord& k) { return k.label == label; });
  return it == r.keys.end() ? nullptr : &*it;
}

// "XK/<hex of the key>" for a vkey the codec accepted; empty if it does not parse.
std::string WitnessKeyIndexKey(const std::string& vkey) {
  std::optional<NoteVerifier> v = ParseVkey(vkey);
  if (!v) return "";
  return std::string(kWitnessKeyPrefix) + HexEncode(v->key);
}

}  // namespace

WitnessKeyChange CheckWitnessKeys(Ctx& c, const ParticipantKeys& b, const ParticipantRecord& p) {
  WitnessKeyChange w;
  if (auto existing = c.txn->Load<WitnessKeysRecord>(kWitnessKeysTag, b.id)) {
    w.record = std::move(*existing);
  } else {
    w.record.id = b.id;
  }
  bool revokes_witness = false;
  for (const std::string& label : b.revoke) {
    if (FindWitnessKey(w.record, label) != nullptr) {
      revokes_witness = true;
    } else {
      w.revoke_signing.push_back(label);
    }
  }
  w.touched = revokes_witness || !b.add_witnesses.empty();
  if (w.touched && c.st->submitter != b.id) {
    c.Forbid("the witness keys of " + b.id + " are added and revoked only by " + b.id +
             " itself, with its own signature");
    return w;
  }
  for (const std::string& label : b.revoke) {
    const WitnessKeyRecord* k = FindWitnessKey(w.record, label);
    if (k != nullptr && k->revoked_index) {
      c.Refuse("E_UNKNOWN_REFERENCE", "no active key " + b.id + "/" + label);
    }
  }
  // A label names one key for ever, over signing and witness keys.
  for (const KeySpec& k : b.add) {
    if (FindWitnessKey(w.record, k.label) != nullptr) {
      c.Refuse("E_DUPLICATE_ID", "key " + b.id + "/" + k.label + " already exists");
    }
  }
  for (const WitnessKeySpec& k : b.add_witnesses) {
    const bool signing = std::any_of(p.keys.begin(), p.keys.end(),
                                     [&](const KeyRecord& r) { return r.label == k.label; });
    if (signing || FindWitnessKey(w.record, k.label) != nullptr) {
      c.Refuse("E_DUPLICATE_ID", "key " + b.id + "/" + k.label + " already exists");
      continue;
    }
    // One witness key, one registration for ever: a participant cannot pass another's
    // witness off as its own (a policy counting it twice would need one cosignature).
    const std::string index_key = WitnessKeyIndexKey(k.vkey);
    if (index_key.empty()) continue;  // the codec accepts only vkeys that parse
    if (auto owner = c.txn->Get(Column::kIndex, index_key)) {
      c.Refuse("E_DUPLICATE_ID", "the witness key of " + b.id + "/" + k.label +
                                     " is already registered as " + *owner);
    }
  }
  return w;
}

void ApplyWitnessKeys(Ctx& c, const ParticipantKeys& b, WitnessKeyChange& w) {
  if (!w.touched) return;
  for (const std::string& label : b.revoke) {
    if (WitnessKeyRecord* k = FindWitnessKey(w.record, label)) k->revoked_index = c.index;
  }
  for (const WitnessKeySpec& k : b.add_witnesses) {
    w.record.keys.push_back({k.label, k.vkey, k.url, c.index, std::nullopt});
    c.txn->Put(Column::kIndex, WitnessKeyIndexKey(k.vkey), b.id + "/" + k.label);
  }
  if (w.record.history.empty() || w.record.history.back() != c.index) {
    w.record.history.push_back(c.index);
  }
  c.txn->Save(kWitnessKeysTag, b.id, c.index, w.record);
}

}  // namespace ipledger
