// The registry's rules (internal to ledger/registry): what each statement type checks
// against current state and what it writes. The sequencer (sequencer.cc) authenticates
// and authorizes a statement, fills a Ctx and calls ApplyRules; the rules then refuse,
// warn, forbid or write records and indexes through the Txn, and name the parties and
// subjects the entry is about. A change to a rule touches rules.cc only.
//
// Thread-safety: none; runs inside the sequencer, which is serialized.
#pragma once

#include <algorithm>
#include <cstdint>
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
