// Asset identity and data-asset rules (rules.h, rules_assets section). Rule numbers
// (D-4, D-6) are domain.md's.
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/registry/asset_id.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/rules.h"

namespace ipledger {
namespace {

// Column index: data fingerprint (hex) -> asset id, one key per registration.
constexpr std::string_view kDataFingerprintPrefix = "FP/";

std::string FingerprintHex(const DataFacts& d) {
  return HexEncode(ByteView(d.fingerprint_sha256.data(), d.fingerprint_sha256.size()));
}

// A registration that still claims its asset: not rejected, terminated or invalidated.
bool Live(const AssetRecord& a) {
  return a.data_state != DataState::kRejected && a.legal != LegalStatus::kTerminated &&
         a.legal != LegalStatus::kInvalidated;
}

}  // namespace

void CheckAssetIdentity(Ctx& c, const AssetRegister& b) {
  if (b.patent && !IsValidApplicationNo(b.patent->application_no)) {
    const auto check = CnipaCheckCharacter(b.patent->application_no.substr(0, 12));
    c.Refuse("E_INVALID_IDENTIFIER",
             "application no. " + b.patent->application_no +
                 (check ? " has a wrong check character (expected " + std::string(1, *check) + ")"
                        : " is not 12 digits and a check character"));
  }
  if (b.trademark && !IsCanonicalTrademarkNo(b.trademark->reg_no)) {
    const auto canonical = CanonicalTrademarkNo(b.trademark->reg_no);
    c.Refuse("E_INVALID_IDENTIFIER",
             "registration no. " + b.trademark->reg_no +
                 (canonical ? " is not canonical (write " + *canonical + ")" : " is not digits"));
  }
  if (b.data) {
    for (const std::string& key : c.txn->KeysWithPrefix(
             Column::kIndex, PairKey(kDataFingerprintPrefix, FingerprintHex(*b.data), ""))) {
      const std::string other(PairKeySecond(key));
      auto o = c.txn->Load<AssetRecord>(kAssetTag, other);
      if (o && other != b.asset_id && Live(*o)) {
        c.Refuse("E_DUPLICATE_ASSET", "a data set with this fingerprint is registered as " + other);
      }
    }
  }
}

void IndexAssetIdentity(Ctx& c, const AssetRegister& b) {
  if (b.data) {
    c.txn->Put(Column::kIndex, PairKey(kDataFingerprintPrefix, FingerprintHex(*b.data), b.asset_id),
               "");
  }
}

void CheckParticipantIdentity(Ctx& c, const ParticipantRegister& b) {
  if (b.uscc && !IsValidUscc(*b.uscc)) {
    const auto check = UsccCheckCharacter(std::string_view(*b.uscc).substr(0, 17));
    c.Refuse("E_INVALID_IDENTIFIER",
             "USCC " + *b.uscc +
                 (check ? " has a wrong check character (expected " + std::string(1, *check) + ")"
                        : " uses characters outside the GB 32100-2015 alphabet"));
  }
}

void CheckPublicityPeriod(Ctx& c, const DataPublicize& b) {
  const Date earliest = AddDays(c.today, kMinPublicityDays);
  if (b.publicity_end < earliest) {
    c.Refuse("E_PUBLICITY_TOO_SHORT", "publicity of " + b.asset_id + " must run until " +
                                          FormatDate(earliest) + " or later (" +
                                          std::to_string(kMinPublicityDays) + " days)");
  }
}

void CheckDataSource(Ctx& c, const AssetRegister& b) {
  if (!b.data || b.data->licence_end) return;
  if (b.data->source_type == DataSource::kLicensed ||
      b.data->source_type == DataSource::kPurchased) {
    c.Refuse("E_LICENCE_END_MISSING", std::string(DataSourceName(b.data->source_type)) +
                                          " data names its licence's end (licence_end)");
  }
}

void CheckCertificateTerm(Ctx& c, const AssetRecord& a, Date valid_until) {
  const Date latest = AddYears(c.today, kCertificateTermYears);
  if (valid_until < c.today) {
    c.Refuse("E_CERTIFICATE_TERM", "the certificate of " + a.asset_id + " would end on " +
                                       FormatDate(valid_until) + ", before its issue");
  } else if (valid_until > latest) {
    c.Refuse("E_CERTIFICATE_TERM", "the certificate of " + a.asset_id + " may run until " +
                                       FormatDate(latest) + " at the latest (" +
                                       std::to_string(kCertificateTermYears) + " years)");
  }
  if (a.data && a.data->licence_end && valid_until > *a.data->licence_end) {
    c.Refuse("E_CERTIFICATE_TERM", "the certificate of " + a.asset_id +
                                       " may not outlast the licence, which ends on " +
                                       FormatDate(*a.data->licence_end));
  }
}

void CheckDataAssetStanding(Ctx& c, const AssetRecord& a) {
  if (a.legal == LegalStatus::kTerminated || a.legal == LegalStatus::kInvalidated) {
    c.Refuse("E_ASSET_NOT_PLEDGEABLE", a.asset_id + " is " + std::string(LegalStatusName(a.legal)));
  }
}

void CheckInsuredHolds(Ctx& c, const PolicyIssue& b) {
  for (const std::string& id : b.covered_assets) {
    auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
    if (a && std::find(a->holders.begin(), a->holders.end(), b.insured) == a->holders.end()) {
      c.Refuse("E_INSURED_NOT_HOLDER", "the insured " + b.insured + " does not hold " + id);
    }
  }
}

bool CheckCoHolderConsent(Ctx& c, const AssetRegister& b) {
  for (const std::string& h : b.holders) {
    if (!c.Signed(h)) {
      c.Forbid("co-holder " + h + " has not signed the registration of " + b.asset_id);
      return false;
    }
  }
  return true;
}

bool SimilarMarkBinds(const AssetRecord& other, const AssetRecord& mark, Date today) {
  if (!other.trademark) return false;
  std::vector<std::string> a = other.holders, b = mark.holders;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b && other.legal != LegalStatus::kTerminated &&
         other.legal != LegalStatus::kInvalidated && other.trademark->expiry_date >= today;
}

void CheckSimilarMarksKeptTogether(Ctx& c, const std::vector<std::string>& released,
                                   const std::vector<std::string>& remaining) {
  for (const std::string& id : released) {
    auto mark = c.txn->Load<AssetRecord>(kAssetTag, id);
    if (!mark || !mark->trademark || !mark->trademark->similarity_group) continue;
    for (const std::string& other_id : remaining) {
      auto other = c.txn->Load<AssetRecord>(kAssetTag, other_id);
      if (other && other->trademark &&
          other->trademark->similarity_group == mark->trademark->similarity_group &&
          SimilarMarkBinds(*other, *mark, c.today)) {
        c.Refuse("E_SIMILAR_MARKS_SPLIT", "releasing " + id + " splits it from similar mark " +
                                              other_id + " of group " +
                                              *mark->trademark->similarity_group);
      }
    }
  }
}

}  // namespace ipledger
