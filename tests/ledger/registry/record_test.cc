// The storage encoding of registry state records (ledger/record.h): every record type
// round-trips with all optional fields present and with them absent, and anything that
// is not exactly one complete record decodes to kCorruption.
#include "ledger/registry/record.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/base/encoding.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

Digest DigestOf(const std::string& s) { return Sha256(AsBytes(s)); }

PublicKey KeyOf(std::uint8_t fill) {
  PublicKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(fill + i);
  return k;
}

// --- Field-by-field comparison (a field both encoder and decoder skipped would survive a
// re-encoding comparison, so every field is compared by name). ---------------------------

void ExpectSame(const Money& a, const Money& b) {
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.currency, b.currency);
}

void ExpectSame(const DateRange& a, const DateRange& b) {
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
}

void ExpectSame(const KeyRecord& a, const KeyRecord& b) {
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.added_index, b.added_index);
  EXPECT_EQ(a.revoked_index, b.revoked_index);
}

void ExpectSame(const ValuationItem& a, const ValuationItem& b);
void ExpectSame(const OtherCollateral& a, const OtherCollateral& b);

template <typename T>
void ExpectSameList(const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ExpectSame(a[i], b[i]);
}

void ExpectSame(const ParticipantRecord& a, const ParticipantRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.uscc, b.uscc);
  EXPECT_EQ(a.region_code, b.region_code);
  ExpectSameList(a.keys, b.keys);
  EXPECT_EQ(a.registered_index, b.registered_index);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const PatentFacts& a, const PatentFacts& b) {
  EXPECT_EQ(a.application_no, b.application_no);
  EXPECT_EQ(a.patent_no, b.patent_no);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.filing_date, b.filing_date);
  EXPECT_EQ(a.grant_date, b.grant_date);
  EXPECT_EQ(a.term_end, b.term_end);
  EXPECT_EQ(a.annuity_paid_through, b.annuity_paid_through);
}

void ExpectSame(const TrademarkFacts& a, const TrademarkFacts& b) {
  EXPECT_EQ(a.reg_no, b.reg_no);
  EXPECT_EQ(a.nice_class, b.nice_class);
  EXPECT_EQ(a.goods, b.goods);
  EXPECT_EQ(a.reg_date, b.reg_date);
  EXPECT_EQ(a.expiry_date, b.expiry_date);
  EXPECT_EQ(a.similarity_group, b.similarity_group);
}

void ExpectSame(const DataFacts& a, const DataFacts& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.record_count, b.record_count);
  EXPECT_EQ(a.fingerprint_sha256, b.fingerprint_sha256);
  EXPECT_EQ(a.source_type, b.source_type);
  EXPECT_EQ(a.scenario, b.scenario);
}

template <typename T>
void ExpectSameOptional(const std::optional<T>& a, const std::optional<T>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (a) ExpectSame(*a, *b);
}

void ExpectSame(const AssetRecord& a, const AssetRecord& b) {
  EXPECT_EQ(a.asset_id, b.asset_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.holders, b.holders);
  ExpectSameOptional(a.patent, b.patent);
  ExpectSameOptional(a.trademark, b.trademark);
  ExpectSameOptional(a.data, b.data);
  EXPECT_EQ(a.legal, b.legal);
  EXPECT_EQ(a.fee_grace, b.fee_grace);
  EXPECT_EQ(a.invalidation_pending, b.invalidation_pending);
  EXPECT_EQ(a.preservation, b.preservation);
  EXPECT_EQ(a.data_state, b.data_state);
  EXPECT_EQ(a.publicity_end, b.publicity_end);
  EXPECT_EQ(a.pending_objections, b.pending_objections);
  EXPECT_EQ(a.certificate_no, b.certificate_no);
  EXPECT_EQ(a.certificate_valid_until, b.certificate_valid_until);
  EXPECT_EQ(a.active_pledges, b.active_pledges);
  EXPECT_EQ(a.registered_index, b.registered_index);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const PledgeRegister& a, const PledgeRegister& b) {
  EXPECT_EQ(a.pledge_id, b.pledge_id);
  EXPECT_EQ(a.case_id, b.case_id);
  EXPECT_EQ(a.pledgors, b.pledgors);
  EXPECT_EQ(a.debtor, b.debtor);
  EXPECT_EQ(a.collateral, b.collateral);
  EXPECT_EQ(a.secured.type, b.secured.type);
  ExpectSame(a.secured.amount, b.secured.amount);
  ExpectSame(a.debt_term, b.debt_term);
  EXPECT_EQ(a.official_reg_no, b.official_reg_no);
  EXPECT_EQ(a.valuation_ids, b.valuation_ids);
  EXPECT_EQ(a.contract_sha256, b.contract_sha256);
  EXPECT_EQ(a.acknowledgements, b.acknowledgements);
  EXPECT_EQ(a.forfeiture_clause, b.forfeiture_clause);
}

void ExpectSame(const PledgeRecord& a, const PledgeRecord& b) {
  ExpectSame(a.terms, b.terms);
  EXPECT_EQ(a.pledgee, b.pledgee);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.released_collateral, b.released_collateral);
  EXPECT_EQ(a.release_reason, b.release_reason);
  EXPECT_EQ(a.enforcement_started, b.enforcement_started);
  EXPECT_EQ(a.registered_index, b.registered_index);
  EXPECT_EQ(a.registered_time_ms, b.registered_time_ms);
  EXPECT_EQ(a.released_time_ms, b.released_time_ms);
  EXPECT_EQ(a.debtor_region, b.debtor_region);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const ValuationItem& a, const ValuationItem& b) {
  EXPECT_EQ(a.asset_id, b.asset_id);
  ExpectSame(a.value, b.value);
  EXPECT_EQ(a.legal_score, b.legal_score);
  EXPECT_EQ(a.technical_score, b.technical_score);
  EXPECT_EQ(a.economic_score, b.economic_score);
}

void ExpectSame(const ValuationRecord& a, const ValuationRecord& b) {
  EXPECT_EQ(a.attest.valuation_id, b.attest.valuation_id);
  ExpectSameList(a.attest.items, b.attest.items);
  ExpectSame(a.attest.total, b.attest.total);
  EXPECT_EQ(a.attest.standard, b.attest.standard);
  EXPECT_EQ(a.attest.methods, b.attest.methods);
  EXPECT_EQ(a.attest.base_date, b.attest.base_date);
  EXPECT_EQ(a.attest.valid_until, b.attest.valid_until);
  EXPECT_EQ(a.attest.report_sha256, b.attest.report_sha256);
  EXPECT_EQ(a.appraiser, b.appraiser);
  EXPECT_EQ(a.withdrawn, b.withdrawn);
  EXPECT_EQ(a.attested_index, b.attested_index);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const PolicyRecord& a, const PolicyRecord& b) {
  EXPECT_EQ(a.terms.policy_id, b.terms.policy_id);
  EXPECT_EQ(a.terms.product, b.terms.product);
  EXPECT_EQ(a.terms.insured, b.terms.insured);
  EXPECT_EQ(a.terms.loss_payees, b.terms.loss_payees);
  EXPECT_EQ(a.terms.covered_assets, b.terms.covered_assets);
  ExpectSame(a.terms.period, b.terms.period);
  ExpectSame(a.terms.limit_per_claim, b.terms.limit_per_claim);
  ExpectSame(a.terms.aggregate_limit, b.terms.aggregate_limit);
  ExpectSame(a.terms.deductible, b.terms.deductible);
  EXPECT_EQ(a.terms.covered_costs, b.terms.covered_costs);
  EXPECT_EQ(a.insurer, b.insurer);
  EXPECT_EQ(a.cancelled_from, b.cancelled_from);
  EXPECT_EQ(a.claims_paid, b.claims_paid);
  EXPECT_EQ(a.claims, b.claims);
  EXPECT_EQ(a.issued_index, b.issued_index);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const OtherCollateral& a, const OtherCollateral& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.description, b.description);
  ExpectSame(a.amount, b.amount);
}

void ExpectSame(const CaseRecord& a, const CaseRecord& b) {
  EXPECT_EQ(a.terms.case_id, b.terms.case_id);
  EXPECT_EQ(a.terms.debtor, b.terms.debtor);
  ExpectSame(a.terms.facility, b.terms.facility);
  ExpectSame(a.terms.term, b.terms.term);
  ExpectSameList(a.terms.other_collateral, b.terms.other_collateral);
  EXPECT_EQ(a.lender, b.lender);
  EXPECT_EQ(a.pledges, b.pledges);
  EXPECT_EQ(a.registered_index, b.registered_index);
  EXPECT_EQ(a.history, b.history);
}

void ExpectSame(const ClaimRecord& a, const ClaimRecord& b) {
  EXPECT_EQ(a.claim.claim_no, b.claim.claim_no);
  EXPECT_EQ(a.claim.policy_id, b.claim.policy_id);
  EXPECT_EQ(a.claim.asset_id, b.claim.asset_id);
  EXPECT_EQ(a.claim.incident_date, b.claim.incident_date);
  ExpectSame(a.claim.paid, b.claim.paid);
  EXPECT_EQ(a.index, b.index);
}

void ExpectSame(const OutcomeRecord& a, const OutcomeRecord& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.warnings, b.warnings);
  EXPECT_EQ(a.detail, b.detail);
}

// --- Samples: every field away from its default; `Sparse` leaves optionals absent and
// lists empty. Dates before 1970 and large integers check sign and width. ----------------

template <typename T>
struct Samples;

template <>
struct Samples<ParticipantRecord> {
  static ParticipantRecord Full() {
    ParticipantRecord r;
    r.id = "ccb-quzhou";
    r.name = "China Construction Bank, Quzhou branch";
    r.role = Role::kBank;
    r.uscc = "91330800MA2DXXXX0Y";
    r.region_code = "330802";
    r.keys = {{"k1", KeyOf(1), 4, 17}, {"k2", KeyOf(100), 17, std::nullopt}};
    r.registered_index = 4;
    r.history = {4, 17};
    return r;
  }
  static ParticipantRecord Sparse() {
    ParticipantRecord r;
    r.id = "lanyu-materials";
    r.name = "Lanyu";
    r.role = Role::kEnterprise;
    r.registered_index = 9;
    return r;
  }
};

template <>
struct Samples<AssetRecord> {
  static AssetRecord Full() {
    AssetRecord r;
    r.asset_id = "patent:2014103620773";
    r.kind = AssetKind::kPatent;
    r.holders = {"lanyu-materials", "hengtai-valve"};
    // The encoding carries all three fact blocks; a real asset has one.
    r.patent = PatentFacts{"2014103620773",
                           "ZL201410362077.3",
                           PatentType::kUtilityModel,
                           "Valve seat",
                           DateFromCivil(1969, 12, 31),
                           DateFromCivil(2016, 1, 5),
                           DateFromCivil(2034, 7, 29),
                           DateFromCivil(2027, 7, 30)};
    r.trademark = TrademarkFacts{"12345678",
                                 45,
                                 {"software", "consulting"},
                                 DateFromCivil(2021, 1, 1),
                                 DateFromCivil(2031, 1, 1),
                                 "G-0901"};
    r.data = DataFacts{"Greenhouse data",
                       "sensor records",
                       std::numeric_limits<std::uint64_t>::max(),
                       DigestOf("fingerprint"),
                       DataSource::kPublicAuthorised,
                       "agriculture"};
    r.legal = LegalStatus::kPartiallyInvalidated;
    r.fee_grace = true;
    r.invalidation_pending = true;
    r.preservation = true;
    r.data_state = DataState::kRejected;
    r.publicity_end = DateFromCivil(2026, 6, 11);
    r.pending_objections = {31, 35};
    r.certificate_no = "33000020260000001";
    r.certificate_valid_until = DateFromCivil(2029, 1, 1);
    r.active_pledges = {"PL-1", "PL-2"};
    r.registered_index = 12;
    r.history = {12, 31, 35};
    return r;
  }
  static AssetRecord Sparse() {
    AssetRecord r;
    r.asset_id = "trademark:22345670";
    r.kind = AssetKind::kTrademark;
    r.registered_index = 13;
    return r;
  }
};

PledgeRegister FullPledgeTerms() {
  PledgeRegister t;
  t.pledge_id = "ABC-QZ-2024-0001";
  t.case_id = "CASE-1";
  t.pledgors = {"lanyu-materials", "hengtai-valve"};
  t.debtor = "lanyu-materials";
  t.collateral = {"patent:2014103620773", "trademark:12345678"};
  t.secured = {SecuredType::kCeiling, {18'400'000'000, "CNY"}};
  t.debt_term = {DateFromCivil(2026, 6, 1), DateFromCivil(2029, 5, 31)};
  t.official_reg_no = "Y2026330000123";
  t.valuation_ids = {"VAL-1", "VAL-2"};
  t.contract_sha256 = DigestOf("contract");
  t.acknowledgements = {"P-8"};
  t.forfeiture_clause = true;
  return t;
}

template <>
struct Samples<PledgeRecord> {
  static PledgeRecord Full() {
    PledgeRecord r;
    r.terms = FullPledgeTerms();
    r.pledgee = "ccb-quzhou";
    r.state = PledgeState::kReleased;
    r.version = std::numeric_limits<std::uint32_t>::max();
    r.released_collateral = {"patent:2017100000008"};
    r.release_reason = ReleaseReason::kRealised;
    r.enforcement_started = DateFromCivil(2028, 2, 1);
    r.registered_index = 40;
    r.registered_time_ms = 1'780'000'000'123;
    r.released_time_ms = -1;
    r.debtor_region = "330802";
    r.history = {40, 41, 57};
    return r;
  }
  static PledgeRecord Sparse() {
    PledgeRecord r;
    r.terms.pledge_id = "PL-2";
    r.terms.pledgors = {"lanyu-materials"};
    r.terms.debtor = "lanyu-materials";
    r.terms.collateral = {"patent:2014103620773"};
    r.terms.secured = {SecuredType::kLoan, {100, "CNY"}};
    r.terms.debt_term = {DateFromCivil(2026, 6, 1), DateFromCivil(2027, 6, 1)};
    r.terms.contract_sha256 = DigestOf("c2");
    r.pledgee = "icbc-jiangshan";
    r.registered_index = 50;
    r.registered_time_ms = 1'780'000'000'000;
    return r;
  }
};

template <>
struct Samples<ValuationRecord> {
  static ValuationRecord Full() {
    ValuationRecord r;
    r.attest.valuation_id = "VAL-1";
    r.attest.items = {{"patent:2014103620773", {400'000'000, "CNY"}, 80, 75, 70},
                      {"trademark:12345678", {100'000'000, "CNY"}, 0, 1, 2}};
    r.attest.total = {500'000'000, "CNY"};
    r.attest.standard = "GB/T 42748-2023";
    r.attest.methods = {ValuationMethod::kIncome, ValuationMethod::kCost};
    r.attest.base_date = DateFromCivil(2026, 3, 31);
    r.attest.valid_until = DateFromCivil(2027, 3, 31);
    r.attest.report_sha256 = DigestOf("report");
    r.appraiser = "zhonghe-appraisal";
    r.withdrawn = true;
    r.attested_index = 22;
    r.history = {22, 60};
    return r;
  }
  static ValuationRecord Sparse() {
    ValuationRecord r;
    r.attest.valuation_id = "VAL-2";
    r.attest.total = {0, "CNY"};
    r.attest.standard = "other";
    r.attest.base_date = DateFromCivil(2026, 1, 1);
    r.appraiser = "zhonghe-appraisal";
    r.attested_index = 23;
    return r;
  }
};

template <>
struct Samples<PolicyRecord> {
  static PolicyRecord Full() {
    PolicyRecord r;
    r.terms.policy_id = "POL-1";
    r.terms.product = "infringement_loss";
    r.terms.insured = "lanyu-materials";
    r.terms.loss_payees = {"ccb-quzhou", "icbc-jiangshan"};
    r.terms.covered_assets = {"patent:2014103620773", "trademark:12345678"};
    r.terms.period = {DateFromCivil(2026, 6, 1), DateFromCivil(2027, 5, 31)};
    r.terms.limit_per_claim = {50'000'000, "CNY"};
    r.terms.aggregate_limit = {100'000'000, "CNY"};
    r.terms.deductible = {1'000'000, "CNY"};
    r.terms.covered_costs = {"legal", "direct_loss"};
    r.insurer = "picc-zhejiang";
    r.cancelled_from = DateFromCivil(2026, 12, 1);
    r.claims_paid = -std::int64_t{90'000'000};
    r.claims = {"CL-1", "CL-2"};
    r.issued_index = 70;
    r.history = {70, 71, 72};
    return r;
  }
  static PolicyRecord Sparse() {
    PolicyRecord r;
    r.terms.policy_id = "POL-2";
    r.terms.product = "enforcement_cost";
    r.terms.insured = "hengtai-valve";
    r.terms.period = {DateFromCivil(2026, 6, 1), DateFromCivil(2026, 6, 1)};
    r.insurer = "picc-zhejiang";
    r.issued_index = 80;
    return r;
  }
};

template <>
struct Samples<CaseRecord> {
  static CaseRecord Full() {
    CaseRecord r;
    r.terms.case_id = "CASE-1";
    r.terms.debtor = "lanyu-materials";
    r.terms.facility = {300'000'000, "CNY"};
    r.terms.term = {DateFromCivil(2026, 6, 1), DateFromCivil(2029, 1, 1)};
    r.terms.other_collateral = {{CollateralKind::kRealEstate, "plant", {200'000'000, "CNY"}},
                                {CollateralKind::kCredit, "guarantee fund", {1, "USD"}}};
    r.lender = "ccb-quzhou";
    r.pledges = {"PL-1", "PL-3"};
    r.registered_index = 90;
    r.history = {90, 91};
    return r;
  }
  static CaseRecord Sparse() {
    CaseRecord r;
    r.terms.case_id = "CASE-2";
    r.terms.debtor = "hengtai-valve";
    r.terms.facility = {5, "CNY"};
    r.lender = "icbc-jiangshan";
    r.registered_index = 91;
    return r;
  }
};

template <>
struct Samples<ClaimRecord> {
  // A claim has no optional fields or lists: the sparse sample is the zero record.
  static ClaimRecord Full() {
    return {
        {"CL-1", "POL-1", "patent:2014103620773", DateFromCivil(1960, 2, 29), {50'000'000, "CNY"}},
        std::numeric_limits<std::uint64_t>::max()};
  }
  static ClaimRecord Sparse() { return {}; }
};

template <>
struct Samples<OutcomeRecord> {
  static OutcomeRecord Full() {
    return {"pledge.register",
            {"E_ALREADY_PLEDGED", "A_INVALIDATION_PENDING"},
            {"W_FORFEITURE_CLAUSE"},
            "patent:2014103620773 is pledged under PL-1"};
  }
  static OutcomeRecord Sparse() { return {"policy.cancel", {}, {}, ""}; }
};

template <typename T>
Status Decode(std::string_view bytes) {
  T r;
  return DecodeRecord(bytes, &r);
}

template <typename T>
class RecordCodecTest : public ::testing::Test {};

using RecordTypes = ::testing::Types<ParticipantRecord, AssetRecord, PledgeRecord, ValuationRecord,
                                     PolicyRecord, CaseRecord, ClaimRecord, OutcomeRecord>;
TYPED_TEST_SUITE(RecordCodecTest, RecordTypes);

TYPED_TEST(RecordCodecTest, FullRecordRoundTrips) {
  const TypeParam r = Samples<TypeParam>::Full();
  const std::string bytes = EncodeRecord(r);
  EXPECT_EQ(bytes[0], 1) << "format byte";
  TypeParam decoded;
  ASSERT_OK(DecodeRecord(bytes, &decoded));
  ExpectSame(r, decoded);
  EXPECT_EQ(EncodeRecord(decoded), bytes);
}

TYPED_TEST(RecordCodecTest, SparseRecordRoundTripsAndResetsWhatTheTargetHeld) {
  const TypeParam r = Samples<TypeParam>::Sparse();
  const std::string bytes = EncodeRecord(r);
  EXPECT_NE(bytes, EncodeRecord(Samples<TypeParam>::Full()));
  // Decoding into a record that holds every field: absent optionals and empty lists in
  // the bytes must clear them.
  TypeParam decoded = Samples<TypeParam>::Full();
  ASSERT_OK(DecodeRecord(bytes, &decoded));
  ExpectSame(r, decoded);
  EXPECT_EQ(EncodeRecord(decoded), bytes);
}

TYPED_TEST(RecordCodecTest, EmptyInputIsCorruption) {
  EXPECT_EQ(Decode<TypeParam>("").code(), ErrorCode::kCorruption);
}

TYPED_TEST(RecordCodecTest, WrongFormatByteIsCorruption) {
  std::string bytes = EncodeRecord(Samples<TypeParam>::Full());
  ASSERT_OK(Decode<TypeParam>(bytes));
  for (const char format : {'\0', '\2', '\xff'}) {
    bytes[0] = format;
    EXPECT_EQ(Decode<TypeParam>(bytes).code(), ErrorCode::kCorruption)
        << "format byte " << static_cast<int>(static_cast<unsigned char>(format));
  }
}

TYPED_TEST(RecordCodecTest, EveryTruncationIsCorruption) {
  for (const TypeParam& r : {Samples<TypeParam>::Full(), Samples<TypeParam>::Sparse()}) {
    const std::string bytes = EncodeRecord(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_EQ(Decode<TypeParam>(std::string_view(bytes).substr(0, n)).code(),
                ErrorCode::kCorruption)
          << "prefix of " << n << " of " << bytes.size() << " bytes";
    }
  }
}

TYPED_TEST(RecordCodecTest, TrailingByteIsCorruption) {
  for (const TypeParam& r : {Samples<TypeParam>::Full(), Samples<TypeParam>::Sparse()}) {
    const std::string bytes = EncodeRecord(r);
    EXPECT_EQ(Decode<TypeParam>(bytes + '\0').code(), ErrorCode::kCorruption);
    EXPECT_EQ(Decode<TypeParam>(bytes + '\1').code(), ErrorCode::kCorruption);
  }
}

// The offset of the one byte in which `a` and `b` (same length) differ.
size_t OnlyDifference(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  size_t at = a.size();
  int differences = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      at = i;
      ++differences;
    }
  }
  EXPECT_EQ(differences, 1);
  return at;
}

TEST(RecordDecodeTest, BoolByteOfTwoIsCorruption) {
  // Plain bool fields: the byte that differs between false and true.
  {
    AssetRecord off = Samples<AssetRecord>::Full();
    off.preservation = false;
    const std::string bytes = EncodeRecord(off);
    const size_t at = OnlyDifference(bytes, EncodeRecord(Samples<AssetRecord>::Full()));
    ASSERT_LT(at, bytes.size());
    std::string bad = bytes;
    bad[at] = 2;
    EXPECT_EQ(Decode<AssetRecord>(bad).code(), ErrorCode::kCorruption);
    bad[at] = '\xff';
    EXPECT_EQ(Decode<AssetRecord>(bad).code(), ErrorCode::kCorruption);
  }
  {
    ValuationRecord off = Samples<ValuationRecord>::Full();
    off.withdrawn = false;
    const std::string bytes = EncodeRecord(off);
    const size_t at = OnlyDifference(bytes, EncodeRecord(Samples<ValuationRecord>::Full()));
    ASSERT_LT(at, bytes.size());
    std::string bad = bytes;
    bad[at] = 2;
    EXPECT_EQ(Decode<ValuationRecord>(bad).code(), ErrorCode::kCorruption);
  }
  // An optional's presence byte: ParticipantRecord = format, id, name, role, uscc?...
  {
    const ParticipantRecord r = Samples<ParticipantRecord>::Full();
    std::string bytes = EncodeRecord(r);
    const size_t at = 1 + (8 + r.id.size()) + (8 + r.name.size()) + 8;
    ASSERT_EQ(bytes[at], 1) << "uscc is present";
    bytes[at] = 2;
    EXPECT_EQ(Decode<ParticipantRecord>(bytes).code(), ErrorCode::kCorruption);
  }
  // ... and one of an absent optional (PledgeRecord: format, pledge_id, case_id?).
  {
    const PledgeRecord r = Samples<PledgeRecord>::Sparse();
    std::string bytes = EncodeRecord(r);
    const size_t at = 1 + 8 + r.terms.pledge_id.size();
    ASSERT_EQ(bytes[at], 0) << "case_id is absent";
    bytes[at] = 2;
    EXPECT_EQ(Decode<PledgeRecord>(bytes).code(), ErrorCode::kCorruption);
  }
}

// Replaces the 8-byte big-endian count or length at `at`.
std::string WithCount(std::string bytes, size_t at, std::uint64_t count) {
  const std::string be = EncodeFixed64BE(count);
  bytes.replace(at, 8, be);
  return bytes;
}

TEST(RecordDecodeTest, ListCountLargerThanTheRemainingBytesIsCorruption) {
  // OutcomeRecord = format, type, codes (count, then strings), warnings, detail.
  const OutcomeRecord r = Samples<OutcomeRecord>::Full();
  const std::string bytes = EncodeRecord(r);
  const size_t at = 1 + 8 + r.type.size();
  ASSERT_EQ(DecodeFixed64BE(std::string_view(bytes).substr(at, 8)), r.codes.size());
  const std::uint64_t remaining = bytes.size() - at - 8;
  for (const std::uint64_t count : {remaining + 1, remaining * 2, std::uint64_t{1} << 63,
                                    std::numeric_limits<std::uint64_t>::max()}) {
    EXPECT_EQ(Decode<OutcomeRecord>(WithCount(bytes, at, count)).code(), ErrorCode::kCorruption)
        << "count " << count;
  }
  // A count that fits the bytes but not the elements is corruption too.
  EXPECT_EQ(Decode<OutcomeRecord>(WithCount(bytes, at, r.codes.size() + 1)).code(),
            ErrorCode::kCorruption);

  // The last field of a ParticipantRecord is its history: 8 bytes per index.
  const ParticipantRecord p = Samples<ParticipantRecord>::Full();
  const std::string pb = EncodeRecord(p);
  const size_t history_at = pb.size() - 8 - 8 * p.history.size();
  ASSERT_EQ(DecodeFixed64BE(std::string_view(pb).substr(history_at, 8)), p.history.size());
  EXPECT_EQ(Decode<ParticipantRecord>(WithCount(pb, history_at, 8 * p.history.size() + 1)).code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(Decode<ParticipantRecord>(WithCount(pb, history_at, p.history.size() + 1)).code(),
            ErrorCode::kCorruption);
  EXPECT_OK(Decode<ParticipantRecord>(WithCount(pb, history_at, p.history.size())));
}

TEST(RecordDecodeTest, StringLengthLargerThanTheRemainingBytesIsCorruption) {
  const OutcomeRecord r = Samples<OutcomeRecord>::Full();
  const std::string bytes = EncodeRecord(r);
  // The detail is the last field: its length sits 8 + detail bytes from the end.
  const size_t at = bytes.size() - 8 - r.detail.size();
  ASSERT_EQ(DecodeFixed64BE(std::string_view(bytes).substr(at, 8)), r.detail.size());
  EXPECT_EQ(Decode<OutcomeRecord>(WithCount(bytes, at, r.detail.size() + 1)).code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(
      Decode<OutcomeRecord>(WithCount(bytes, at, std::numeric_limits<std::uint64_t>::max())).code(),
      ErrorCode::kCorruption);
  // A shorter length leaves trailing bytes.
  EXPECT_EQ(Decode<OutcomeRecord>(WithCount(bytes, at, r.detail.size() - 1)).code(),
            ErrorCode::kCorruption);
}

TEST(RecordDecodeTest, StateNamesAreTheWireNames) {
  EXPECT_EQ(LegalStatusName(LegalStatus::kPartiallyInvalidated), "partially_invalidated");
  EXPECT_EQ(DataStateName(DataState::kInPublicity), "in_publicity");
  EXPECT_EQ(PledgeStateName(PledgeState::kEnforcing), "enforcing");
}

}  // namespace
}  // namespace ipledger
