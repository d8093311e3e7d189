// Rules about money and valuations (rules.h, "money" section): the valuations a pledge
// cites, which alone feed its LTV (issue #12, item 3).
#include <algorithm>
#include <string>
#include <vector>

#include "ledger/base/civil_time.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/rules.h"

namespace ipledger {

void CheckCitedValuations(Ctx& c, const std::vector<std::string>& valuation_ids) {
  for (const std::string& vid : valuation_ids) {
    c.subjects.insert(vid);
    auto v = c.txn->Load<ValuationRecord>(kValuationTag, vid);
    if (!v) {
      c.Refuse("E_UNKNOWN_REFERENCE", "valuation " + vid + " does not exist");
    } else if (v->withdrawn || *v->attest.valid_until < c.today) {
      c.Warn("W_VALUATION_STALE");
    }
  }
}

void AddCitedValuations(const std::vector<std::string>& valuation_ids,
                        std::vector<std::string>* cited) {
  for (const std::string& vid : valuation_ids) {
    if (std::find(cited->begin(), cited->end(), vid) == cited->end()) cited->push_back(vid);
  }
}

void CheckCaseDebtor(Ctx& c, const CaseRecord& kase, const std::string& debtor) {
  if (kase.terms.debtor != debtor) {
    c.Refuse("E_CASE_DEBTOR_MISMATCH", "case " + kase.terms.case_id + " lends to " +
                                           kase.terms.debtor + ", not to " + debtor);
  }
}

}  // namespace ipledger
