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

// Records compare with their defaulted operator==, which covers every field (a field
// both encoder and decoder skipped would survive a re-encoding comparison, not this).

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
                       "agriculture",
                       DateFromCivil(2030, 6, 30)};
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
    r.released_collateral = {"patent:2017100000081"};
    r.release_reason = ReleaseReason::kRealised;
    r.enforcement_started = DateFromCivil(2028, 2, 1);
    r.registered_index = 40;
    r.registered_time_ms = 1'780'000'000'123;
    r.released_time_ms = -1;
    r.debtor_region = "330802";
    r.history = {40, 41, 57};
    r.revocation_order_sha256 = DigestOf("court order");
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
  EXPECT_EQ(decoded, r);
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
  EXPECT_EQ(decoded, r);
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
