// The statement decoder, part 1: field readers, composite values, and the bodies of all
// statement types but participant.* (statement_codec_keys.cc).
#include "api/codec/statement_codec.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api/codec/identifier.h"
#include "api/codec/internal/statement_readers.h"
#include "api/codec/internal/strict_json.h"
#include "api/codec/statement_format.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/entry.h"

namespace ipledger::api::statement_internal {

// ---------------------------------------------------------------------------------
// Field readers that statement_codec_keys.cc uses too (statement_readers.h)

Status ReadParticipantId(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IdPred<IdKind::kParticipant>,
                  "a participant id (^[a-z0-9][a-z0-9-]{1,63}$)", out);
}

Status ReadKeyLabel(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IdPred<IdKind::kKeyLabel>, "a key label (^[a-z0-9][a-z0-9-]{1,63}$)",
                  out);
}

Status ReadText(const json& v, const std::string& path, std::string* out) {
  return StringOf(
      v, path, [](std::string_view s) { return !s.empty(); }, "a non-empty string", out);
}

Status ReadUscc(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsUscc, "a unified social credit code (18 of [0-9A-Z])", out);
}

Status ReadRegionCode(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsRegionCode, "a GB/T 2260 region code (6 digits)", out);
}

// Only number_unsigned: nlohmann reads 1.0 and 1e3 as floats and -0 as signed, and a
// value beyond uint64 as a float, so all of those are refused here.
Status ReadUint64(const json& v, const std::string& path, std::uint64_t* out) {
  if (!v.is_number_unsigned()) return Error(path, "must be an integer >= 0");
  *out = v.get<std::uint64_t>();
  return Status::Ok();
}

// A key recovery's publicity period: 1 to 365 days.
Status ReadRecoveryPublicityDays(const json& v, const std::string& path, std::uint32_t* out) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > 365) {
    return Error(path, "must be an integer from 1 to 365");
  }
  *out = static_cast<std::uint32_t>(v.get<std::uint64_t>());
  return Status::Ok();
}

Status ReadPublicKey(const json& v, const std::string& path, PublicKey* out) {
  constexpr std::string_view kWhat = "must be base64 of a 32-byte Ed25519 public key";
  if (!v.is_string()) return Error(path, kWhat);
  std::optional<Bytes> bytes = Base64Decode(v.get_ref<const std::string&>());
  std::optional<PublicKey> key = bytes ? PublicKeyFromBytes(*bytes) : std::nullopt;
  if (!key) return Error(path, kWhat);
  *out = *key;
  return Status::Ok();
}

namespace {

constexpr std::size_t kMaxIdempotencyKeyChars = 128;

// ---------------------------------------------------------------------------------
// Field readers of this file only

Status ReadOtherId(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IdPred<IdKind::kRecord>, "an id (^[A-Za-z0-9._-]{1,64}$)", out);
}

Status ReadAssetId(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IdPred<IdKind::kAsset>,
                  "an asset id (patent:<13-char application no.>, trademark:<registration "
                  "no.>, data:<token>)",
                  out);
}

// data.* statements can only concern data assets.
Status ReadDataAssetId(const json& v, const std::string& path, std::string* out) {
  return StringOf(
      v, path,
      [](std::string_view s) { return s.starts_with("data:") && IsIdentifier(IdKind::kAsset, s); },
      "a data asset id (data:<token>)", out);
}

Status ReadSnakeName(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsSnakeName, "a snake_case name (^[a-z][a-z0-9_]{0,63}$)", out);
}

Status ReadApplicationNo(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsApplicationNo, "a 13-character application no. ([0-9A-Za-z.])", out);
}

Status ReadRegNo(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsRegNo, "a registration no. (1 to 32 of [0-9A-Za-z])", out);
}

Status ReadCurrency(const json& v, const std::string& path, std::string* out) {
  return StringOf(v, path, IsCurrency, "an ISO 4217 code (3 upper-case letters)", out);
}

// Counted in code points: the parser has already refused invalid UTF-8.
Status ReadIdempotencyKey(const json& v, const std::string& path, std::string* out) {
  return StringOf(
      v, path,
      [](std::string_view s) {
        const auto chars = static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
          return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }));
        return chars >= 1 && chars <= kMaxIdempotencyKeyChars;
      },
      "a string of 1 to 128 characters", out);
}

Status ReadBool(const json& v, const std::string& path, bool* out) {
  if (!v.is_boolean()) return Error(path, "must be true or false");
  *out = v.get<bool>();
  return Status::Ok();
}

// Every Money amount: an integer from 0 to kMaxAmount (10^15 minor units).
Status ReadAmount(const json& v, const std::string& path, std::int64_t* out) {
  constexpr auto kMax = static_cast<std::uint64_t>(kMaxAmount);
  if (!v.is_number_unsigned()) return Error(path, "must be an integer >= 0");
  const auto u = v.get<std::uint64_t>();
  if (u > kMax) return Error(path, "must be an integer <= 1000000000000000 (10^15)");
  *out = static_cast<std::int64_t>(u);
  return Status::Ok();
}

Status ReadNiceClass(const json& v, const std::string& path, int* out) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > 45) {
    return Error(path, "must be an integer from 1 to 45 (a Nice class)");
  }
  *out = static_cast<int>(v.get<std::uint64_t>());
  return Status::Ok();
}

Status ReadScore(const json& v, const std::string& path, std::uint32_t* out) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 100) {
    return Error(path, "must be an integer from 0 to 100");
  }
  *out = static_cast<std::uint32_t>(v.get<std::uint64_t>());
  return Status::Ok();
}

Status ReadVersion(const json& v, const std::string& path, int* out) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() != 1) return Error(path, "must be 1");
  *out = 1;
  return Status::Ok();
}

Status ReadType(const json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return Error(path, "must be a string");
  const std::string& t = v.get_ref<const std::string&>();
  const auto& names = StatementTypeNames();
  if (std::find(names.begin(), names.end(), t) == names.end()) {
    return Error(path, "unknown statement type" + Quoted(t));
  }
  *out = t;
  return Status::Ok();
}

Status ReadInstant(const json& v, const std::string& path, std::int64_t* out) {
  constexpr std::string_view kWhat =
      "must be an RFC 3339 UTC instant with milliseconds (2026-11-26T08:00:00.123Z)";
  if (!v.is_string()) return Error(path, kWhat);
  StatusOr<std::int64_t> ms = ParseInstant(v.get_ref<const std::string&>());
  if (!ms.ok()) return Error(path, kWhat);
  *out = *ms;
  return Status::Ok();
}

Status ReadDate(const json& v, const std::string& path, Date* out) {
  constexpr std::string_view kWhat = "must be a calendar date YYYY-MM-DD";
  if (!v.is_string()) return Error(path, kWhat);
  std::optional<Date> d = ParseDate(v.get_ref<const std::string&>());
  if (!d) return Error(path, kWhat);
  *out = *d;
  return Status::Ok();
}

// Lowercase only: api.md §1, and one spelling per digest keeps statements comparable.
Status ReadDigest(const json& v, const std::string& path, Digest* out) {
  constexpr std::string_view kWhat = "must be 64 lowercase hex digits (SHA-256)";
  if (!v.is_string()) return Error(path, kWhat);
  const std::string& s = v.get_ref<const std::string&>();
  const bool lower_hex = s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
                           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                         });
  std::optional<Bytes> bytes = lower_hex ? HexDecode(s) : std::nullopt;
  std::optional<Digest> d = bytes ? DigestFromBytes(*bytes) : std::nullopt;
  if (!d) return Error(path, kWhat);
  *out = *d;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------
// Composite values

Status ReadMoney(const json& v, const std::string& path, Money* out) {
  Fields f(v, path, {"amount_fen", "currency"});
  f.Required("amount_fen", ReadAmount, &out->amount);
  f.Required("currency", ReadCurrency, &out->currency);
  return f.status();
}

Status ReadRange(const json& v, const std::string& path, DateRange* out, bool ordered) {
  Fields f(v, path, {"start", "end"});
  f.Required("start", ReadDate, &out->start);
  f.Required("end", ReadDate, &out->end);
  if (f.ok() && ordered && out->end < out->start) {
    return Error(f.PathOf("end"), "must not be before start");
  }
  return f.status();
}

Status ReadOrderedRange(const json& v, const std::string& path, DateRange* out) {
  return ReadRange(v, path, out, /*ordered=*/true);
}

// policy.issue's period: an empty period is a business refusal (E_POLICY_TERMS, I-2)
// that ledger/ records, not a schema error.
Status ReadAnyRange(const json& v, const std::string& path, DateRange* out) {
  return ReadRange(v, path, out, /*ordered=*/false);
}

Status ReadSecured(const json& v, const std::string& path, Secured* out) {
  Fields f(v, path, {"type", "amount"});
  f.Required("type", ReadEnum<SecuredType, ParseSecuredType>, &out->type);
  f.Required("amount", ReadMoney, &out->amount);
  return f.status();
}

constexpr auto kHolders =
    ListOf<std::string, Members::kDistinct>(ReadParticipantId, Size::kNonEmpty);
constexpr auto kParticipants =
    ListOf<std::string, Members::kDistinct>(ReadParticipantId, Size::kAny);
constexpr auto kAssets = ListOf<std::string, Members::kDistinct>(ReadAssetId, Size::kNonEmpty);
constexpr auto kAnyAssets = ListOf<std::string, Members::kDistinct>(ReadAssetId, Size::kAny);
constexpr auto kOtherIds = ListOf<std::string, Members::kDistinct>(ReadOtherId, Size::kAny);
constexpr auto kSnakeNames = ListOf<std::string, Members::kDistinct>(ReadSnakeName, Size::kAny);
constexpr auto kTexts = ListOf<std::string, Members::kAny>(ReadText, Size::kAny);

Status ReadPatentFacts(const json& v, const std::string& path, PatentFacts* out) {
  Fields f(v, path,
           {"application_no", "patent_no", "type", "title", "filing_date", "grant_date", "term_end",
            "annuity_paid_through"});
  f.Required("application_no", ReadApplicationNo, &out->application_no);
  f.Optional("patent_no", ReadText, &out->patent_no);
  f.Required("type", ReadEnum<PatentType, ParsePatentType>, &out->type);
  f.Required("title", ReadText, &out->title);
  f.Required("filing_date", ReadDate, &out->filing_date);
  f.Optional("grant_date", ReadDate, &out->grant_date);
  f.Optional("term_end", ReadDate, &out->term_end);
  f.Required("annuity_paid_through", ReadDate, &out->annuity_paid_through);
  return f.status();
}

Status ReadTrademarkFacts(const json& v, const std::string& path, TrademarkFacts* out) {
  Fields f(v, path,
           {"reg_no", "nice_class", "goods", "reg_date", "expiry_date", "similarity_group"});
  f.Required("reg_no", ReadRegNo, &out->reg_no);
  f.Required("nice_class", ReadNiceClass, &out->nice_class);
  f.Required("goods", kTexts, &out->goods);
  f.Required("reg_date", ReadDate, &out->reg_date);
  f.Required("expiry_date", ReadDate, &out->expiry_date);
  f.Optional("similarity_group", ReadOtherId, &out->similarity_group);
  return f.status();
}

Status ReadDataFacts(const json& v, const std::string& path, DataFacts* out) {
  Fields f(v, path,
           {"name", "description", "record_count", "fingerprint_sha256", "source_type", "scenario",
            "licence_end"});
  f.Required("name", ReadText, &out->name);
  f.Required("description", ReadText, &out->description);
  f.Required("record_count", ReadUint64, &out->record_count);
  f.Required("fingerprint_sha256", ReadDigest, &out->fingerprint_sha256);
  f.Required("source_type", ReadEnum<DataSource, ParseDataSource>, &out->source_type);
  f.Required("scenario", ReadText, &out->scenario);
  f.Optional("licence_end", ReadDate, &out->licence_end);
  return f.status();
}

Status ReadValuationItem(const json& v, const std::string& path, ValuationItem* out) {
  Fields f(v, path, {"asset_id", "value", "legal_score", "technical_score", "economic_score"});
  f.Required("asset_id", ReadAssetId, &out->asset_id);
  f.Required("value", ReadMoney, &out->value);
  f.Optional("legal_score", ReadScore, &out->legal_score);
  f.Optional("technical_score", ReadScore, &out->technical_score);
  f.Optional("economic_score", ReadScore, &out->economic_score);
  return f.status();
}

Status ReadOtherCollateral(const json& v, const std::string& path, OtherCollateral* out) {
  Fields f(v, path, {"kind", "description", "amount"});
  f.Required("kind", ReadEnum<CollateralKind, ParseCollateralKind>, &out->kind);
  f.Required("description", ReadText, &out->description);
  f.Required("amount", ReadMoney, &out->amount);
  return f.status();
}

// ---------------------------------------------------------------------------------
// Bodies, one reader per statement type (api.md §3)
Status ReadBody(const json& v, const std::string& path, AssetRegister* out) {
  Fields f(v, path, {"asset_id", "kind", "holders", "patent", "trademark", "data"});
  f.Required("asset_id", ReadAssetId, &out->asset_id);
  f.Required("kind", ReadEnum<AssetKind, ParseAssetKind>, &out->kind);
  f.Required("holders", kHolders, &out->holders);
  f.Optional("patent", ReadPatentFacts, &out->patent);
  f.Optional("trademark", ReadTrademarkFacts, &out->trademark);
  f.Optional("data", ReadDataFacts, &out->data);
  if (!f.ok()) return f.status();

  // Exactly the facts object named by `kind`, so the record never holds facts of a
  // kind the asset is not.
  const std::string kind(AssetKindName(out->kind));
  const std::pair<std::string_view, bool> facts[] = {{"patent", out->patent.has_value()},
                                                     {"trademark", out->trademark.has_value()},
                                                     {"data", out->data.has_value()}};
  for (const auto& [name, present] : facts) {
    if (name == kind && !present) return Error(f.PathOf(name), "required for kind " + kind);
    if (name != kind && present) return Error(f.PathOf(name), "not allowed for kind " + kind);
  }

  // The id is derived from the official number, so one asset cannot be registered
  // twice under two ids.
  std::string expected;
  switch (out->kind) {
    case AssetKind::kPatent:
      expected = "patent:" + out->patent->application_no;
      break;
    case AssetKind::kTrademark:
      expected = "trademark:" + out->trademark->reg_no;
      break;
    case AssetKind::kData:
      if (!out->asset_id.starts_with("data:")) {
        return Error(f.PathOf("asset_id"), "must be a data: id for kind data");
      }
      return Status::Ok();
  }
  if (out->asset_id != expected) {
    return Error(f.PathOf("asset_id"), "must be " + expected + " (kind and official number)");
  }
  return Status::Ok();
}

Status ReadBody(const json& v, const std::string& path, AssetStatus* out) {
  Fields f(
      v, path,
      {"asset_id", "event", "effective_date", "annuity_paid_through", "expiry_date", "holders"});
  f.Required("asset_id", ReadAssetId, &out->asset_id);
  f.Required("event", ReadEnum<AssetEvent, ParseAssetEvent>, &out->event);
  f.Required("effective_date", ReadDate, &out->effective_date);
  f.Optional("annuity_paid_through", ReadDate, &out->annuity_paid_through);
  f.Optional("expiry_date", ReadDate, &out->expiry_date);
  f.Optional("holders", kHolders, &out->holders);
  if (!f.ok()) return f.status();

  const std::string event(AssetEventName(out->event));
  if (out->event == AssetEvent::kAnnuityPaid && !out->annuity_paid_through) {
    return Error(f.PathOf("annuity_paid_through"), "required for event " + event);
  }
  if (out->event == AssetEvent::kRenewed && !out->expiry_date) {
    return Error(f.PathOf("expiry_date"), "required for event " + event);
  }
  if (out->event == AssetEvent::kTransferred && !out->holders) {
    return Error(f.PathOf("holders"), "required for event " + event);
  }
  return Status::Ok();
}

Status ReadBody(const json& v, const std::string& path, DataPublicize* out) {
  Fields f(v, path, {"asset_id", "publicity_end"});
  f.Required("asset_id", ReadDataAssetId, &out->asset_id);
  f.Required("publicity_end", ReadDate, &out->publicity_end);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, DataObject* out) {
  Fields f(v, path, {"asset_id", "reason", "evidence_sha256"});
  f.Required("asset_id", ReadDataAssetId, &out->asset_id);
  f.Required("reason", ReadText, &out->reason);
  f.Required("evidence_sha256", ReadDigest, &out->evidence_sha256);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, DataResolveObjection* out) {
  Fields f(v, path, {"asset_id", "objection_index", "upheld"});
  f.Required("asset_id", ReadDataAssetId, &out->asset_id);
  f.Required("objection_index", ReadUint64, &out->objection_index);
  f.Required("upheld", ReadBool, &out->upheld);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, DataConfirm* out) {
  Fields f(v, path, {"asset_id", "certificate_no", "valid_until"});
  f.Required("asset_id", ReadDataAssetId, &out->asset_id);
  f.Required("certificate_no", ReadText, &out->certificate_no);
  f.Required("valid_until", ReadDate, &out->valid_until);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, DataReject* out) {
  Fields f(v, path, {"asset_id", "reason"});
  f.Required("asset_id", ReadDataAssetId, &out->asset_id);
  f.Required("reason", ReadText, &out->reason);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, ValuationAttest* out) {
  Fields f(v, path,
           {"valuation_id", "items", "total", "standard", "methods", "base_date", "valid_until",
            "report_sha256"});
  f.Required("valuation_id", ReadOtherId, &out->valuation_id);
  f.Required("items", ListOf<ValuationItem, Members::kAny>(ReadValuationItem, Size::kNonEmpty),
             &out->items);
  f.Required("total", ReadMoney, &out->total);
  f.Required("standard", ReadText, &out->standard);
  f.Required("methods",
             ListOf<ValuationMethod, Members::kDistinct>(
                 ReadEnum<ValuationMethod, ParseValuationMethod>, Size::kAny),
             &out->methods);
  f.Required("base_date", ReadDate, &out->base_date);
  f.Optional("valid_until", ReadDate, &out->valid_until);
  f.Required("report_sha256", ReadDigest, &out->report_sha256);
  if (!f.ok()) return f.status();

  // An asset valued twice in one report would make the total meaningless.
  std::set<std::string> assets;
  const std::string items = f.PathOf("items");
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < out->items.size(); ++i) {
    const ValuationItem& item = out->items[i];
    if (!assets.insert(item.asset_id).second) {
      return Error(Join(At(items, i), "asset_id"), "repeats an earlier item's asset");
    }
    if (item.value.currency != out->total.currency) {
      return Error(Join(At(items, i), "value.currency"),
                   "must equal total.currency (" + out->total.currency + ")");
    }
    if (item.value.amount > std::numeric_limits<std::int64_t>::max() - sum) {
      return Error(Join(At(items, i), "value.amount_fen"), "the sum of item values overflows");
    }
    sum += item.value.amount;
  }
  if (sum != out->total.amount) {
    return Error(Join(f.PathOf("total"), "amount_fen"),
                 "must equal the sum of the item values (" + std::to_string(sum) + ")");
  }
  return Status::Ok();
}

Status ReadBody(const json& v, const std::string& path, ValuationWithdraw* out) {
  Fields f(v, path, {"valuation_id", "reason"});
  f.Required("valuation_id", ReadOtherId, &out->valuation_id);
  f.Required("reason", ReadText, &out->reason);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, CaseRegister* out) {
  Fields f(v, path, {"case_id", "debtor", "facility", "term", "other_collateral"});
  f.Required("case_id", ReadOtherId, &out->case_id);
  f.Required("debtor", ReadParticipantId, &out->debtor);
  f.Required("facility", ReadMoney, &out->facility);
  f.Required("term", ReadOrderedRange, &out->term);
  f.Required("other_collateral",
             ListOf<OtherCollateral, Members::kAny>(ReadOtherCollateral, Size::kAny),
             &out->other_collateral);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeRegister* out) {
  Fields f(v, path,
           {"pledge_id", "case_id", "pledgors", "debtor", "collateral", "secured", "debt_term",
            "official_reg_no", "valuation_ids", "contract_sha256", "acknowledgements",
            "forfeiture_clause"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Optional("case_id", ReadOtherId, &out->case_id);
  f.Required("pledgors", kHolders, &out->pledgors);
  f.Required("debtor", ReadParticipantId, &out->debtor);
  f.Required("collateral", kAssets, &out->collateral);
  f.Required("secured", ReadSecured, &out->secured);
  f.Required("debt_term", ReadOrderedRange, &out->debt_term);
  f.Optional("official_reg_no", ReadText, &out->official_reg_no);
  f.Required("valuation_ids", kOtherIds, &out->valuation_ids);
  f.Required("contract_sha256", ReadDigest, &out->contract_sha256);
  f.Defaulted("acknowledgements", kOtherIds, &out->acknowledgements);
  f.Defaulted("forfeiture_clause", ReadBool, &out->forfeiture_clause);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeAmend* out) {
  Fields f(v, path,
           {"pledge_id", "secured", "debt_term", "release_collateral", "official_reg_no",
            "valuation_ids"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Optional("secured", ReadSecured, &out->secured);
  f.Optional("debt_term", ReadOrderedRange, &out->debt_term);
  f.Defaulted("release_collateral", kAnyAssets, &out->release_collateral);
  f.Optional("official_reg_no", ReadText, &out->official_reg_no);
  f.Defaulted("valuation_ids", kOtherIds, &out->valuation_ids);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeRelease* out) {
  Fields f(v, path, {"pledge_id", "reason", "evidence_sha256"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Required("reason", ReadEnum<ReleaseReason, ParseReleaseReason>, &out->reason);
  f.Optional("evidence_sha256", ReadDigest, &out->evidence_sha256);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeEnforce* out) {
  Fields f(v, path, {"pledge_id", "started"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Required("started", ReadDate, &out->started);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeRevoke* out) {
  Fields f(v, path, {"pledge_id", "order_sha256", "reason"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Required("order_sha256", ReadDigest, &out->order_sha256);
  f.Required("reason", ReadText, &out->reason);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PledgeReleaseRequest* out) {
  Fields f(v, path, {"pledge_id", "reason", "evidence_sha256"});
  f.Required("pledge_id", ReadOtherId, &out->pledge_id);
  f.Required("reason", ReadEnum<ReleaseReason, ParseReleaseReason>, &out->reason);
  f.Required("evidence_sha256", ReadDigest, &out->evidence_sha256);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PolicyIssue* out) {
  Fields f(v, path,
           {"policy_id", "product", "insured", "loss_payees", "covered_assets", "period",
            "limit_per_claim", "aggregate_limit", "deductible", "covered_costs"});
  f.Required("policy_id", ReadOtherId, &out->policy_id);
  f.Required("product", ReadSnakeName, &out->product);
  f.Required("insured", ReadParticipantId, &out->insured);
  f.Defaulted("loss_payees", kParticipants, &out->loss_payees);
  f.Required("covered_assets", kAssets, &out->covered_assets);
  f.Required("period", ReadAnyRange, &out->period);
  f.Required("limit_per_claim", ReadMoney, &out->limit_per_claim);
  f.Required("aggregate_limit", ReadMoney, &out->aggregate_limit);
  f.Required("deductible", ReadMoney, &out->deductible);
  f.Required("covered_costs", kSnakeNames, &out->covered_costs);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PolicyCancel* out) {
  Fields f(v, path, {"policy_id", "effective_date", "reason"});
  f.Required("policy_id", ReadOtherId, &out->policy_id);
  f.Required("effective_date", ReadDate, &out->effective_date);
  f.Required("reason", ReadText, &out->reason);
  return f.status();
}

Status ReadBody(const json& v, const std::string& path, PolicyClaim* out) {
  Fields f(v, path, {"claim_no", "policy_id", "asset_id", "incident_date", "paid"});
  f.Required("claim_no", ReadOtherId, &out->claim_no);
  f.Required("policy_id", ReadOtherId, &out->policy_id);
  f.Required("asset_id", ReadAssetId, &out->asset_id);
  f.Required("incident_date", ReadDate, &out->incident_date);
  f.Required("paid", ReadMoney, &out->paid);
  return f.status();
}

}  // namespace

template <std::size_t I>
StatusOr<StatementBody> ReadAlternative(const json& v) {
  std::variant_alternative_t<I, StatementBody> body{};
  if (Status s = ReadBody(v, "body", &body); !s.ok()) return s;
  return StatementBody(std::in_place_index<I>, std::move(body));
}

// Reads the body as the alternative at `index`, which StatementTypeNames() orders
// exactly as StatementBody.
template <std::size_t... I>
StatusOr<StatementBody> ReadBodyAt(std::size_t index, const json& v, std::index_sequence<I...>) {
  using Reader = StatusOr<StatementBody> (*)(const json&);
  static constexpr Reader kReaders[] = {&ReadAlternative<I>...};
  return kReaders[index](v);
}

// DecodeStatement (statement_codec.h).
StatusOr<Statement> Decode(std::string_view text) {
  // nlohmann skips a UTF-8 byte order mark; RFC 8259 §8.1 forbids sending one, and
  // refusing it keeps one spelling per statement.
  if (text.starts_with("\xEF\xBB\xBF")) return Error("", "byte order mark not allowed");
  std::string error;
  const json j = ParseStrictJson(text, "statement", &error);
  if (!error.empty()) return Status::InvalidArgument(std::move(error));

  Statement st;
  Fields f(j, "", {"v", "type", "submitter", "idempotency_key", "created", "body"});
  f.Required("v", ReadVersion, &st.v);
  f.Required("type", ReadType, &st.type);
  f.Required("submitter", ReadParticipantId, &st.submitter);
  f.Required("idempotency_key", ReadIdempotencyKey, &st.idempotency_key);
  f.Required("created", ReadInstant, &st.created_ms);
  if (!f.ok()) return f.status();
  if (!f.Has("body")) return Error("body", "required");

  const auto& names = StatementTypeNames();
  const auto index =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), st.type) - names.begin());
  StatusOr<StatementBody> body = ReadBodyAt(
      index, *j.find("body"), std::make_index_sequence<std::variant_size_v<StatementBody>>());
  if (!body.ok()) return body.status();
  st.body = std::move(*body);
  return st;
}

}  // namespace ipledger::api::statement_internal

namespace ipledger::api {

StatusOr<Statement> DecodeStatement(std::string_view text) {
  return statement_internal::Decode(text);
}

}  // namespace ipledger::api
