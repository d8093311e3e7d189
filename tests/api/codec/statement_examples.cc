// The example statements of the statement codec tests (statement_examples.h).
#include "tests/api/codec/statement_examples.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"

namespace ipledger::api {
namespace {

Date D(std::string_view s) {
  std::optional<Date> d = ParseDate(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or(Date{});
}

Digest H(std::string_view hex) {
  std::optional<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  std::optional<Digest> d = b ? DigestFromBytes(*b) : std::nullopt;
  EXPECT_TRUE(d.has_value()) << hex;
  return d.value_or(Digest{});
}

PublicKey K(std::uint8_t first) {
  PublicKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

Money Cny(std::int64_t fen) { return Money{fen, "CNY"}; }

// SHA-256("abc") and SHA-256("test").
constexpr std::string_view kHexAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kHexTest =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
// 2026-11-26T08:00:00.123Z
constexpr std::int64_t kCreatedMs = 1795680000123;

Statement Make(std::string type, std::string submitter, std::string key, StatementBody body) {
  Statement s;
  s.type = std::move(type);
  s.submitter = std::move(submitter);
  s.idempotency_key = std::move(key);
  s.created_ms = kCreatedMs;
  s.body = std::move(body);
  return s;
}

}  // namespace

// One example per statement type (asset.register once per kind), each using every
// optional field, as a client would send them: pretty-printed, keys in api.md order.
std::vector<Example> Examples() {
  std::vector<Example> out;

  out.push_back({"participant_register", R"json({
  "v": 1,
  "type": "participant.register",
  "submitter": "registry",
  "idempotency_key": "reg-ccb-quzhou-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "id": "ccb-quzhou",
    "name": "中国建设银行衢州分行",
    "role": "bank",
    "uscc": "91330800MA2DXXXX16",
    "region_code": "330802",
    "keys": [
      {"label": "k1", "ed25519": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
      {"label": "k2", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}
    ]
  }
})json",
                 Make("participant.register", "registry", "reg-ccb-quzhou-0001",
                      ParticipantRegister{"ccb-quzhou",
                                          "中国建设银行衢州分行",
                                          Role::kBank,
                                          "91330800MA2DXXXX16",
                                          "330802",
                                          {{"k1", K(0)}, {"k2", K(32)}},
                                          std::nullopt})});

  out.push_back({"participant_keys", R"json({
  "v": 1,
  "type": "participant.keys",
  "submitter": "registry",
  "idempotency_key": "keys-ccb-quzhou-0002",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "id": "ccb-quzhou",
    "add": [{"label": "k3", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}],
    "revoke": ["k1"]
  }
})json",
                 Make("participant.keys", "registry", "keys-ccb-quzhou-0002",
                      ParticipantKeys{"ccb-quzhou", {{"k3", K(32)}}, {"k1"}, {}})});

  // A witness key beside a signing key (docs/operations.md, witness keys in the registry).
  out.push_back({"participant_keys_witness", R"json({
  "v": 1,
  "type": "participant.keys",
  "submitter": "ccb-quzhou",
  "idempotency_key": "keys-ccb-quzhou-0003",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "id": "ccb-quzhou",
    "add": [{"label": "w1", "role": "witness", "vkey": "witness.ccb-quzhou.example+cb58af5f+BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f", "url": "https://witness.ccb-quzhou.example:8443/tlog"},
            {"label": "k4", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}],
    "revoke": []
  }
})json",
                 Make("participant.keys", "ccb-quzhou", "keys-ccb-quzhou-0003",
                      ParticipantKeys{"ccb-quzhou",
                                      {{"k4", K(32)}},
                                      {},
                                      {{"w1",
                                        "witness.ccb-quzhou.example+cb58af5f+"
                                        "BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f",
                                        "https://witness.ccb-quzhou.example:8443/tlog"}}})});

  out.push_back(
      {"asset_register_patent", R"json({
  "v": 1,
  "type": "asset.register",
  "submitter": "registry",
  "idempotency_key": "asset-patent-2014103620773",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "patent:2014103620773",
    "kind": "patent",
    "holders": ["lanyu-materials"],
    "patent": {
      "application_no": "2014103620773",
      "patent_no": "ZL201410362077.3",
      "type": "invention",
      "title": "一种复合材料的制备方法",
      "filing_date": "2014-07-28",
      "grant_date": "2016-09-14",
      "term_end": "2034-07-27",
      "annuity_paid_through": "2026-07-27"
    }
  }
})json",
       Make("asset.register", "registry", "asset-patent-2014103620773",
            AssetRegister{"patent:2014103620773",
                          AssetKind::kPatent,
                          {"lanyu-materials"},
                          PatentFacts{"2014103620773", "ZL201410362077.3", PatentType::kInvention,
                                      "一种复合材料的制备方法", D("2014-07-28"), D("2016-09-14"),
                                      D("2034-07-27"), D("2026-07-27")},
                          std::nullopt,
                          std::nullopt})});

  out.push_back({"asset_register_trademark", R"json({
  "v": 1,
  "type": "asset.register",
  "submitter": "registry",
  "idempotency_key": "asset-trademark-12345678",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "trademark:12345678",
    "kind": "trademark",
    "holders": ["lanyu-materials", "lanyu-holdings"],
    "trademark": {
      "reg_no": "12345678",
      "nice_class": 45,
      "goods": ["化工原料", "adhesives"],
      "reg_date": "2015-03-14",
      "expiry_date": "2035-03-13",
      "similarity_group": "lanyu-g1"
    }
  }
})json",
                 Make("asset.register", "registry", "asset-trademark-12345678",
                      AssetRegister{"trademark:12345678",
                                    AssetKind::kTrademark,
                                    {"lanyu-materials", "lanyu-holdings"},
                                    std::nullopt,
                                    TrademarkFacts{"12345678",
                                                   45,
                                                   {"化工原料", "adhesives"},
                                                   D("2015-03-14"),
                                                   D("2035-03-13"),
                                                   "lanyu-g1"},
                                    std::nullopt})});

  out.push_back({"asset_register_data", R"json({
  "v": 1,
  "type": "asset.register",
  "submitter": "qz-logistics",
  "idempotency_key": "data-app-2026-001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "data:qz-logistics.routes_2025",
    "kind": "data",
    "holders": ["qz-logistics"],
    "data": {
      "name": "Quzhou cold-chain routes 2025",
      "description": "GPS traces and delivery times of 1,200 refrigerated trucks",
      "record_count": 18446744073709551615,
      "fingerprint_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "source_type": "public_authorised",
      "scenario": "route optimisation"
    }
  }
})json",
                 Make("asset.register", "qz-logistics", "data-app-2026-001",
                      AssetRegister{"data:qz-logistics.routes_2025",
                                    AssetKind::kData,
                                    {"qz-logistics"},
                                    std::nullopt,
                                    std::nullopt,
                                    DataFacts{"Quzhou cold-chain routes 2025",
                                              "GPS traces and delivery times of 1,200 "
                                              "refrigerated trucks",
                                              std::numeric_limits<std::uint64_t>::max(),
                                              H(kHexTest), DataSource::kPublicAuthorised,
                                              "route optimisation", std::nullopt}})});

  out.push_back({"asset_status", R"json({
  "v": 1,
  "type": "asset.status",
  "submitter": "registry",
  "idempotency_key": "status-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "patent:2014103620773",
    "event": "transferred",
    "effective_date": "2026-11-20",
    "annuity_paid_through": "2027-07-27",
    "expiry_date": "2034-07-27",
    "holders": ["lanyu-holdings"]
  }
})json",
                 Make("asset.status", "registry", "status-0001",
                      AssetStatus{"patent:2014103620773", AssetEvent::kTransferred, D("2026-11-20"),
                                  D("2027-07-27"), D("2034-07-27"),
                                  std::vector<std::string>{"lanyu-holdings"}})});

  out.push_back({"data_publicize", R"json({
  "v": 1,
  "type": "data.publicize",
  "submitter": "registry",
  "idempotency_key": "pub-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"asset_id": "data:qz-logistics.routes_2025", "publicity_end": "2026-12-10"}
})json",
                 Make("data.publicize", "registry", "pub-0001",
                      DataPublicize{"data:qz-logistics.routes_2025", D("2026-12-10")})});

  out.push_back({"data_object", R"json({
  "v": 1,
  "type": "data.object",
  "submitter": "zj-data-co",
  "idempotency_key": "obj-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "data:qz-logistics.routes_2025",
    "reason": "Includes our licensed traces without consent",
    "evidence_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
  }
})json",
                 Make("data.object", "zj-data-co", "obj-0001",
                      DataObject{"data:qz-logistics.routes_2025",
                                 "Includes our licensed traces without consent", H(kHexAbc)})});

  out.push_back({"data_resolve_objection", R"json({
  "v": 1,
  "type": "data.resolve_objection",
  "submitter": "registry",
  "idempotency_key": "res-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"asset_id": "data:qz-logistics.routes_2025", "objection_index": 1042, "upheld": true}
})json",
                 Make("data.resolve_objection", "registry", "res-0001",
                      DataResolveObjection{"data:qz-logistics.routes_2025", 1042, true})});

  out.push_back(
      {"data_confirm", R"json({
  "v": 1,
  "type": "data.confirm",
  "submitter": "registry",
  "idempotency_key": "conf-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "asset_id": "data:qz-logistics.routes_2025",
    "certificate_no": "ZJ-DATA-2026-000123",
    "valid_until": "2029-12-10"
  }
})json",
       Make("data.confirm", "registry", "conf-0001",
            DataConfirm{"data:qz-logistics.routes_2025", "ZJ-DATA-2026-000123", D("2029-12-10")})});

  out.push_back({"data_reject", R"json({
  "v": 1,
  "type": "data.reject",
  "submitter": "registry",
  "idempotency_key": "rej-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"asset_id": "data:qz-logistics.routes_2025", "reason": "objection upheld"}
})json",
                 Make("data.reject", "registry", "rej-0001",
                      DataReject{"data:qz-logistics.routes_2025", "objection upheld"})});

  out.push_back(
      {"valuation_attest", R"json({
  "v": 1,
  "type": "valuation.attest",
  "submitter": "zj-appraisal",
  "idempotency_key": "val-ZJA-2026-0117",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "valuation_id": "ZJA-2026-0117",
    "items": [
      {"asset_id": "patent:2014103620773",
       "value": {"amount_fen": 12000000000, "currency": "CNY"},
       "legal_score": 85, "technical_score": 100, "economic_score": 0},
      {"asset_id": "trademark:12345678",
       "value": {"amount_fen": 6400000000, "currency": "CNY"}}
    ],
    "total": {"amount_fen": 18400000000, "currency": "CNY"},
    "standard": "GB/T 42748-2023",
    "methods": ["income", "market", "cost"],
    "base_date": "2026-10-31",
    "valid_until": "2027-10-30",
    "report_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
  }
})json",
       Make("valuation.attest", "zj-appraisal", "val-ZJA-2026-0117",
            ValuationAttest{
                "ZJA-2026-0117",
                {{"patent:2014103620773", Cny(12000000000), 85, 100, 0},
                 {"trademark:12345678", Cny(6400000000), std::nullopt, std::nullopt, std::nullopt}},
                Cny(18400000000),
                "GB/T 42748-2023",
                {ValuationMethod::kIncome, ValuationMethod::kMarket, ValuationMethod::kCost},
                D("2026-10-31"),
                D("2027-10-30"),
                H(kHexAbc)})});

  out.push_back({"valuation_withdraw", R"json({
  "v": 1,
  "type": "valuation.withdraw",
  "submitter": "zj-appraisal",
  "idempotency_key": "valw-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"valuation_id": "ZJA-2026-0117", "reason": "market comparables revised"}
})json",
                 Make("valuation.withdraw", "zj-appraisal", "valw-0001",
                      ValuationWithdraw{"ZJA-2026-0117", "market comparables revised"})});

  out.push_back(
      {"case_register", R"json({
  "v": 1,
  "type": "case.register",
  "submitter": "ccb-quzhou",
  "idempotency_key": "case-CCB-QZ-2026-0042",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "case_id": "CCB-QZ-2026-0042",
    "debtor": "lanyu-materials",
    "facility": {"amount_fen": 30000000000, "currency": "CNY"},
    "term": {"start": "2026-12-01", "end": "2029-11-30"},
    "other_collateral": [
      {"kind": "real_estate", "description": "Plant No. 3, Quzhou Green Industry Park",
       "amount": {"amount_fen": 9000000000, "currency": "CNY"}},
      {"kind": "guarantee", "description": "Quzhou credit guarantee fund",
       "amount": {"amount_fen": 0, "currency": "CNY"}}
    ]
  }
})json",
       Make("case.register", "ccb-quzhou", "case-CCB-QZ-2026-0042",
            CaseRegister{"CCB-QZ-2026-0042",
                         "lanyu-materials",
                         Cny(30000000000),
                         {D("2026-12-01"), D("2029-11-30")},
                         {{CollateralKind::kRealEstate, "Plant No. 3, Quzhou Green Industry Park",
                           Cny(9000000000)},
                          {CollateralKind::kGuarantee, "Quzhou credit guarantee fund", Cny(0)}}})});

  out.push_back({"pledge_register", R"json({
  "v": 1,
  "type": "pledge.register",
  "submitter": "ccb-quzhou",
  "idempotency_key": "8f2c1f0e-7d1b-4a53-9f4e-0c1d2e3f4a5b",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "pledge_id": "CCB-QZ-2026-0042-P1",
    "case_id": "CCB-QZ-2026-0042",
    "pledgors": ["lanyu-materials"],
    "debtor": "lanyu-materials",
    "collateral": ["patent:2014103620773", "trademark:12345678"],
    "secured": {"type": "loan", "amount": {"amount_fen": 18400000000, "currency": "CNY"}},
    "debt_term": {"start": "2026-12-01", "end": "2029-11-30"},
    "official_reg_no": "Y2026330000123",
    "valuation_ids": ["ZJA-2026-0117"],
    "contract_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "acknowledgements": ["P-8"],
    "forfeiture_clause": true
  }
})json",
                 Make("pledge.register", "ccb-quzhou", "8f2c1f0e-7d1b-4a53-9f4e-0c1d2e3f4a5b",
                      PledgeRegister{"CCB-QZ-2026-0042-P1",
                                     "CCB-QZ-2026-0042",
                                     {"lanyu-materials"},
                                     "lanyu-materials",
                                     {"patent:2014103620773", "trademark:12345678"},
                                     Secured{SecuredType::kLoan, Cny(18400000000)},
                                     {D("2026-12-01"), D("2029-11-30")},
                                     "Y2026330000123",
                                     {"ZJA-2026-0117"},
                                     H(kHexAbc),
                                     {"P-8"},
                                     true})});

  out.push_back({"pledge_amend", R"json({
  "v": 1,
  "type": "pledge.amend",
  "submitter": "ccb-quzhou",
  "idempotency_key": "amend-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "pledge_id": "CCB-QZ-2026-0042-P1",
    "secured": {"type": "ceiling", "amount": {"amount_fen": 20000000000, "currency": "CNY"}},
    "debt_term": {"start": "2026-12-01", "end": "2030-11-30"},
    "release_collateral": ["trademark:12345678"],
    "official_reg_no": "Y2026330000124",
    "valuation_ids": ["ZJA-2026-0118"]
  }
})json",
                 Make("pledge.amend", "ccb-quzhou", "amend-0001",
                      PledgeAmend{"CCB-QZ-2026-0042-P1",
                                  Secured{SecuredType::kCeiling, Cny(20000000000)},
                                  DateRange{D("2026-12-01"), D("2030-11-30")},
                                  {"trademark:12345678"},
                                  "Y2026330000124",
                                  {"ZJA-2026-0118"}})});

  out.push_back(
      {"pledge_release", R"json({
  "v": 1,
  "type": "pledge.release",
  "submitter": "ccb-quzhou",
  "idempotency_key": "rel-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "pledge_id": "CCB-QZ-2026-0042-P1",
    "reason": "contract_void",
    "evidence_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  }
})json",
       Make("pledge.release", "ccb-quzhou", "rel-0001",
            PledgeRelease{"CCB-QZ-2026-0042-P1", ReleaseReason::kContractVoid, H(kHexTest)})});

  out.push_back({"pledge_enforce", R"json({
  "v": 1,
  "type": "pledge.enforce",
  "submitter": "ccb-quzhou",
  "idempotency_key": "enf-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"pledge_id": "CCB-QZ-2026-0042-P1", "started": "2028-03-01"}
})json",
                 Make("pledge.enforce", "ccb-quzhou", "enf-0001",
                      PledgeEnforce{"CCB-QZ-2026-0042-P1", D("2028-03-01")})});

  out.push_back(
      {"pledge_revoke", R"json({
  "v": 1,
  "type": "pledge.revoke",
  "submitter": "registry",
  "idempotency_key": "rvk-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "pledge_id": "CCB-QZ-2026-0042-P1",
    "order_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "reason": "(2026) Zhe 08 Min Chu 118 ruling"
  }
})json",
       Make("pledge.revoke", "registry", "rvk-0001",
            PledgeRevoke{"CCB-QZ-2026-0042-P1", H(kHexTest), "(2026) Zhe 08 Min Chu 118 ruling"})});

  out.push_back(
      {"pledge_release_request", R"json({
  "v": 1,
  "type": "pledge.release_request",
  "submitter": "zj-greenfield",
  "idempotency_key": "rrq-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "pledge_id": "CCB-QZ-2026-0042-P1",
    "reason": "repaid",
    "evidence_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  }
})json",
       Make("pledge.release_request", "zj-greenfield", "rrq-0001",
            PledgeReleaseRequest{"CCB-QZ-2026-0042-P1", ReleaseReason::kRepaid, H(kHexTest)})});

  out.push_back({"policy_issue", R"json({
  "v": 1,
  "type": "policy.issue",
  "submitter": "picc-zj",
  "idempotency_key": "pol-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "policy_id": "PICC-ZJ-IP-2026-088",
    "product": "infringement_loss",
    "insured": "lanyu-materials",
    "loss_payees": ["ccb-quzhou"],
    "covered_assets": ["patent:2014103620773"],
    "period": {"start": "2026-12-01", "end": "2027-11-30"},
    "limit_per_claim": {"amount_fen": 500000000, "currency": "CNY"},
    "aggregate_limit": {"amount_fen": 2000000000, "currency": "CNY"},
    "deductible": {"amount_fen": 5000000, "currency": "CNY"},
    "covered_costs": ["investigation", "legal"]
  }
})json",
                 Make("policy.issue", "picc-zj", "pol-0001",
                      PolicyIssue{"PICC-ZJ-IP-2026-088",
                                  "infringement_loss",
                                  "lanyu-materials",
                                  {"ccb-quzhou"},
                                  {"patent:2014103620773"},
                                  {D("2026-12-01"), D("2027-11-30")},
                                  Cny(500000000),
                                  Cny(2000000000),
                                  Cny(5000000),
                                  {"investigation", "legal"}})});

  out.push_back({"policy_cancel", R"json({
  "v": 1,
  "type": "policy.cancel",
  "submitter": "picc-zj",
  "idempotency_key": "polc-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"policy_id": "PICC-ZJ-IP-2026-088", "effective_date": "2027-06-30",
           "reason": "premium unpaid"}
})json",
                 Make("policy.cancel", "picc-zj", "polc-0001",
                      PolicyCancel{"PICC-ZJ-IP-2026-088", D("2027-06-30"), "premium unpaid"})});

  out.push_back({"policy_claim", R"json({
  "v": 1,
  "type": "policy.claim",
  "submitter": "picc-zj",
  "idempotency_key": "claim-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "claim_no": "PICC-CLM-2027-0003",
    "policy_id": "PICC-ZJ-IP-2026-088",
    "asset_id": "patent:2014103620773",
    "incident_date": "2027-05-06",
    "paid": {"amount_fen": 120000000, "currency": "CNY"}
  }
})json",
                 Make("policy.claim", "picc-zj", "claim-0001",
                      PolicyClaim{"PICC-CLM-2027-0003", "PICC-ZJ-IP-2026-088",
                                  "patent:2014103620773", D("2027-05-06"), Cny(120000000)})});

  out.push_back({"participant_register_genesis", R"json({
  "v": 1,
  "type": "participant.register",
  "submitter": "registry",
  "idempotency_key": "genesis",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "id": "registry",
    "name": "Quzhou registry office",
    "role": "registry",
    "keys": [{"label": "k1", "ed25519": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}],
    "recovery_publicity_days": 14
  }
})json",
                 Make("participant.register", "registry", "genesis",
                      ParticipantRegister{"registry",
                                          "Quzhou registry office",
                                          Role::kRegistry,
                                          std::nullopt,
                                          std::nullopt,
                                          {{"k1", K(0)}},
                                          14})});

  out.push_back(
      {"participant_recover", R"json({
  "v": 1,
  "type": "participant.recover",
  "submitter": "registry",
  "idempotency_key": "recover-ccb-quzhou-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {
    "id": "ccb-quzhou",
    "keys": [{"label": "r1", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}],
    "reason": "HSM destroyed; identity checked in person on 2026-11-25"
  }
})json",
       Make("participant.recover", "registry", "recover-ccb-quzhou-0001",
            ParticipantRecover{"ccb-quzhou",
                               {{"r1", K(32)}},
                               "HSM destroyed; identity checked in person on 2026-11-25"})});

  out.push_back({"participant_recover_cancel", R"json({
  "v": 1,
  "type": "participant.recover_cancel",
  "submitter": "ccb-quzhou",
  "idempotency_key": "cancel-recovery-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"id": "ccb-quzhou", "recovery_index": 812}
})json",
                 Make("participant.recover_cancel", "ccb-quzhou", "cancel-recovery-0001",
                      ParticipantRecoverCancel{"ccb-quzhou", 812})});

  out.push_back({"participant_recover_complete", R"json({
  "v": 1,
  "type": "participant.recover_complete",
  "submitter": "registry",
  "idempotency_key": "complete-recovery-0001",
  "created": "2026-11-26T08:00:00.123Z",
  "body": {"id": "ccb-quzhou", "recovery_index": 812}
})json",
                 Make("participant.recover_complete", "registry", "complete-recovery-0001",
                      ParticipantRecoverComplete{"ccb-quzhou", 812})});
  return out;
}

const Example& ExampleNamed(std::string_view name) {
  static const std::vector<Example>* const examples = new std::vector<Example>(Examples());
  for (const Example& e : *examples) {
    if (e.name == name) return e;
  }
  ADD_FAILURE() << "no example " << name;
  return examples->front();
}

// Statements with every optional field absent, so that omission round-trips too.
std::vector<Statement> MinimalStatements() {
  std::vector<Statement> out;
  out.push_back(Make("participant.register", "registry", "m1",
                     ParticipantRegister{"acme",
                                         "Acme",
                                         Role::kEnterprise,
                                         std::nullopt,
                                         std::nullopt,
                                         {{"k1", K(7)}},
                                         std::nullopt}));
  out.push_back(Make("participant.keys", "registry", "m2", ParticipantKeys{"acme", {}, {}, {}}));
  out.push_back(
      Make("asset.register", "registry", "m3",
           AssetRegister{"patent:2023100000015",
                         AssetKind::kPatent,
                         {"acme"},
                         PatentFacts{"2023100000015", std::nullopt, PatentType::kUtilityModel, "t",
                                     D("2023-01-01"), std::nullopt, std::nullopt, D("2024-01-01")},
                         std::nullopt,
                         std::nullopt}));
  out.push_back(
      Make("asset.register", "registry", "m3b",
           AssetRegister{"trademark:1",
                         AssetKind::kTrademark,
                         {"acme"},
                         std::nullopt,
                         TrademarkFacts{"1", 1, {}, D("2020-01-01"), D("2030-01-01"), std::nullopt},
                         std::nullopt}));
  out.push_back(Make("asset.status", "registry", "m4",
                     AssetStatus{"trademark:1", AssetEvent::kPreservationLifted, D("2026-01-01"),
                                 std::nullopt, std::nullopt, std::nullopt}));
  out.push_back(Make("valuation.attest", "appraiser-1", "m5",
                     ValuationAttest{"V1",
                                     {{"data:d", Cny(0), std::nullopt, std::nullopt, std::nullopt}},
                                     Cny(0),
                                     "GB/T 42748-2023",
                                     {},
                                     D("2026-01-01"),
                                     std::nullopt,
                                     H(kHexTest)}));
  out.push_back(Make("case.register", "bank-1", "m6",
                     CaseRegister{"C1", "acme", Cny(1), {D("2026-01-01"), D("2026-01-01")}, {}}));
  out.push_back(Make("pledge.register", "bank-1", "m7",
                     PledgeRegister{"P1",
                                    std::nullopt,
                                    {"acme"},
                                    "acme",
                                    {"data:d"},
                                    Secured{SecuredType::kLoan, Cny(kMaxAmount)},
                                    {D("2026-01-01"), D("2027-01-01")},
                                    std::nullopt,
                                    {},
                                    H(kHexTest),
                                    {},
                                    false}));
  out.push_back(Make("pledge.amend", "bank-1", "m8",
                     PledgeAmend{"P1", std::nullopt, std::nullopt, {}, std::nullopt, {}}));
  out.push_back(Make("pledge.release", "bank-1", "m9",
                     PledgeRelease{"P1", ReleaseReason::kOther, std::nullopt}));
  // A reversed period decodes: the rules refuse it (E_POLICY_TERMS), not the schema.
  out.push_back(Make("policy.issue", "insurer-1", "m10",
                     PolicyIssue{"POL1",
                                 "data_ip_loss",
                                 "acme",
                                 {},
                                 {"data:d"},
                                 {D("2027-01-01"), D("2026-01-01")},
                                 Money{2, "USD"},
                                 Money{3, "USD"},
                                 Money{1, "USD"},
                                 {}}));
  return out;
}

}  // namespace ipledger::api
