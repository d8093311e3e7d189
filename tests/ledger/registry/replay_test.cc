// verify --replay's engine: the derived state rebuilt from the log equals the stored
// one, and any change to a stored state record, outcome or index is found and named.
#include "ledger/registry/replay.h"

#include <algorithm>

#include "api/codec/json_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "ledger/log/entry.h"
#include "ledger/log/store.h"
#include "ledger/registry/asset_status.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/record.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::RegistryFixture;

// A small but varied history: participants, assets, a valuation, pledges (one
// refused), an amendment, a release, a policy and a claim, over several days.
void BuildHistory(RegistryFixture& f) {
  f.AddParticipant("ccb-quzhou", Role::kBank);
  f.AddParticipant("lanyu-materials", Role::kEnterprise);
  f.AddParticipant("picc-zhejiang", Role::kInsurer);
  f.AddParticipant("zhonghe-appraisal", Role::kAppraiser);
  f.AddPatent("2014103620773", {"lanyu-materials"});
  f.AddTrademark("12345678", {"lanyu-materials"}, DateFromCivil(2032, 1, 1), "G1");
  f.AddConfirmedData("greenhouse", "lanyu-materials", DateFromCivil(2029, 6, 1));
  PledgeRegister p = f.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                  DateFromCivil(2028, 1, 1));
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kAccepted);
  p.pledge_id = "PL-2";  // refused: already pledged
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kRefused);
  f.SetToday(AddDays(f.today(), 2));
  PledgeAmend a;
  a.pledge_id = "PL-1";
  a.secured = Secured{SecuredType::kCeiling, {150'000'000, "CNY"}};
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", a), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kAccepted);
  PolicyIssue pol;
  pol.policy_id = "POL-1";
  pol.product = "data_ip_loss";
  pol.insured = "lanyu-materials";
  pol.loss_payees = {"ccb-quzhou"};
  pol.covered_assets = {"data:greenhouse"};
  pol.period = {f.today(), AddYears(f.today(), 1)};
  pol.limit_per_claim = {50'000'000, "CNY"};
  pol.aggregate_limit = {100'000'000, "CNY"};
  pol.deductible = {0, "CNY"};
  EXPECT_EQ(f.Submit(f.Make("picc-zhejiang", pol)).kind, OutcomeKind::kAccepted);
  EXPECT_EQ(f.Submit(f.Make("picc-zhejiang",
                            PolicyClaim{
                                "CL-1", "POL-1", "data:greenhouse", f.today(), {2'000'000, "CNY"}}))
                .kind,
            OutcomeKind::kAccepted);
  // Issue #19's refusals replay to the same refusal leaves.
  EXPECT_EQ(
      f.Submit(f.Make("picc-zhejiang",
                      PolicyClaim{
                          "CL-2", "POL-1", "data:greenhouse", AddDays(f.today(), 200), {1, "CNY"}}))
          .kind,
      OutcomeKind::kRefused);
  EXPECT_EQ(f.Submit(f.Make("picc-zhejiang",
                            PolicyClaim{"CL-3", "POL-1", "data:greenhouse", f.today(), {0, "CNY"}}))
                .kind,
            OutcomeKind::kRefused);
  EXPECT_EQ(f.Submit(f.Make("picc-zhejiang",
                            PolicyCancel{"POL-1", DateFromCivil(2020, 1, 1), "backdated"}))
                .kind,
            OutcomeKind::kRefused);
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})).kind,
            OutcomeKind::kAccepted);
}

TEST(ReplayTest, RebuiltStateEqualsStoredState) {
  RegistryFixture f;
  BuildHistory(f);
  const std::uint64_t size = f.registry().ledger().size();
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, size);
  EXPECT_GT(report->batches, 1u);
}

// Adds what stores written before 2026-12 held and this code derives (keys.h): a
// time-index key for every entry and an outcome record for every plain acceptance.
void AddLegacyKeys(const std::string& db) {
  auto store = Store::Open(db, {});
  ASSERT_OK(store);
  WriteSet w;
  std::vector<std::pair<std::string, std::string>> leaves;
  ASSERT_OK((*store)->Scan(Column::kLeaves, "", "", [&](std::string_view k, std::string_view v) {
    leaves.emplace_back(std::string(k), std::string(v));
    return true;
  }));
  int outcomes = 0;
  for (const auto& [k, v] : leaves) {
    auto e = DecodeLeaf(v);
    ASSERT_OK(e);
    w.Put(Column::kIndex, TimeKey(e->time_ms, e->index), "");
    if (e->type == kMapRootType || e->type == kRefusalType) continue;
    auto held = (*store)->Get(Column::kIndex, OutcomeKey(e->index));
    if (held.ok()) continue;  // warnings: this code writes it too
    w.Put(Column::kIndex, OutcomeKey(e->index), EncodeRecord(OutcomeRecord{e->type, {}, {}, ""}));
    ++outcomes;
  }
  EXPECT_GT(outcomes, 10);
  ASSERT_OK((*store)->Write(w));
}

// A directory written before the time index and plain outcomes were derived replays
// without a difference, the reads by date answer as before, and a legacy key that
// disagrees with the log is still found and named.
TEST(ReplayTest, OldDirectoryWithTimeIndexAndOutcomesReplays) {
  RegistryFixture f;
  BuildHistory(f);
  const std::uint64_t size = f.registry().ledger().size();
  auto at_date = f.registry().IndexAtDate(f.today());
  ASSERT_OK(at_date);
  auto first_after = f.registry().FirstIndexAtOrAfter(f.now_ms() - 3'600'000);
  ASSERT_OK(first_after);
  f.Close();
  const std::string db = f.dir() + "/db";
  AddLegacyKeys(db);
  {
    auto source = Registry::OpenReadOnly(db, {});
    ASSERT_OK(source);
    testing::TempDir scratch;
    auto report = ReplayAndCompare(**source, scratch.str() + "/db", api::DecodeSubmission);
    ASSERT_OK(report);
    EXPECT_EQ(report->entries, size);
    EXPECT_EQ(*(*source)->IndexAtDate(f.today()), *at_date);
    EXPECT_EQ(*(*source)->FirstIndexAtOrAfter(f.now_ms() - 3'600'000), *first_after);
    auto outcome = (*source)->GetOutcome(1);
    ASSERT_OK(outcome);
    EXPECT_EQ(outcome->type, "participant.register");
  }
  // A legacy time key that names another time than its leaf's.
  const std::string bad = TimeKey(1, 3);
  testing::OverwriteStored(db, "index", bad, std::string());
  auto source = Registry::OpenReadOnly(db, {});
  ASSERT_OK(source);
  testing::TempDir scratch;
  auto report = ReplayAndCompare(**source, scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(report.status().message().find(HexEncode(AsBytes(bad))), std::string::npos)
      << report.status().message();
}

// A new directory holds neither: the outcome of a plain acceptance comes from its leaf.
TEST(ReplayTest, NewDirectoryDerivesTimesAndPlainOutcomes) {
  RegistryFixture f;
  BuildHistory(f);
  bool any_time_key = false;
  std::uint64_t outcome_keys = 0;
  ASSERT_OK(f.registry().ledger().store().Scan(
      Column::kIndex, "", "", [&](std::string_view k, std::string_view) {
        if (k.substr(0, kOutcomePrefix.size()) == kOutcomePrefix) ++outcome_keys;
        // Not even the status map's own map.root entries carry one.
        if (k.substr(0, kTimePrefix.size()) == kTimePrefix) any_time_key = true;
        return true;
      }));
  EXPECT_FALSE(any_time_key);
  std::uint64_t map_roots = 0;
  for (std::uint64_t i = 0; i < f.registry().ledger().size(); ++i) {
    if (DecodeLeaf(*f.registry().ledger().GetLeaf(i))->type == kMapRootType) ++map_roots;
  }
  EXPECT_GT(map_roots, 0u);
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_GT(outcome_keys, 0u);  // the refusals
  EXPECT_LT(outcome_keys, 8u);
  auto genesis = f.registry().GetOutcome(0);
  ASSERT_OK(genesis);
  EXPECT_EQ(genesis->type, "participant.register");
  EXPECT_TRUE(genesis->codes.empty() && genesis->warnings.empty() && genesis->detail.empty());
  EXPECT_EQ(f.registry().GetOutcome(f.registry().ledger().size()).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(f.registry().IndexAtDate(DateFromCivil(2000, 1, 1)).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(*f.registry().IndexAtDate(AddDays(f.today(), 1)), f.registry().ledger().size() - 1);
  EXPECT_EQ(*f.registry().FirstIndexAtOrAfter(f.now_ms() + 1), f.registry().ledger().size());
  EXPECT_EQ(*f.registry().FirstIndexAtOrAfter(0), 0u);
}

// Issue #19's refusals (a wrong check character, a second registration of one data set,
// a publicity period too short) replay to the same state.
TEST(ReplayTest, AssetIdentityRefusalsReplay) {
  RegistryFixture f;
  BuildHistory(f);
  AssetRegister pat;
  pat.asset_id = "patent:2014103620774";
  pat.kind = AssetKind::kPatent;
  pat.holders = {"lanyu-materials"};
  pat.patent = PatentFacts{
      "2014103620774",           std::nullopt, PatentType::kInvention, "copy",
      DateFromCivil(2018, 3, 1), std::nullopt, std::nullopt,           DateFromCivil(2027, 3, 1)};
  EXPECT_EQ(f.Submit(f.Make("registry", pat)).kind, OutcomeKind::kRefused);
  AssetRegister data;
  data.asset_id = "data:greenhouse_copy";
  data.kind = AssetKind::kData;
  data.holders = {"lanyu-materials"};
  data.data =
      DataFacts{"copy", "d",         10, Sha256(AsBytes("greenhouse")), DataSource::kSelfCollected,
                "s",    std::nullopt};
  EXPECT_EQ(f.Submit(f.Make("lanyu-materials", data)).kind, OutcomeKind::kRefused);
  data.asset_id = "data:orchard";
  data.data->fingerprint_sha256 = Sha256(AsBytes("orchard"));
  EXPECT_EQ(f.Submit(f.Make("lanyu-materials", data)).kind, OutcomeKind::kAccepted);
  EXPECT_EQ(f.Submit(f.Make("registry", DataPublicize{"data:orchard", f.today()})).kind,
            OutcomeKind::kRefused);
  const std::uint64_t size = f.registry().ledger().size();
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, size);
}

// The money rules' refusal (a pledge whose debtor is not its case's, E_CASE_DEBTOR_MISMATCH)
// replays to the same state, next to the accepted pledge of the case's own debtor.
TEST(ReplayTest, CaseDebtorRefusalReplays) {
  RegistryFixture f;
  BuildHistory(f);
  f.AddParticipant("hengtai-valve", Role::kEnterprise, "330881");
  CaseRegister k;
  k.case_id = "C9";
  k.debtor = "hengtai-valve";
  k.facility = {4'500'000'000, "CNY"};
  k.term = {f.today(), DateFromCivil(2029, 12, 31)};
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", k)).kind, OutcomeKind::kAccepted);
  PledgeRegister b =
      f.PledgeBody("PL-9", {"lanyu-materials"}, {"trademark:12345678"}, DateFromCivil(2028, 6, 1));
  b.case_id = "C9";
  SubmitOutcome bad = f.Submit(f.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(bad.codes, std::vector<std::string>{"E_CASE_DEBTOR_MISMATCH"});
  b.debtor = "hengtai-valve";
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kAccepted);
  const std::uint64_t size = f.registry().ledger().size();
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, size);
}

// Keys belong to their participant: a forbidden key change (never logged), a bank's own
// key, a recovery refused before its publicity end, a cancelled one, a completed one,
// and a re-serialized envelope answered with the original receipt all replay.
TEST(ReplayTest, ReplaysKeyChangesRecoveriesAndReSerializedEnvelopes) {
  RegistryFixture f(DateFromCivil(2026, 6, 1), nullptr, 3);
  BuildHistory(f);
  f.AddParticipant("cnipa-zj-regulator", Role::kRegulator);
  ParticipantKeys add;
  add.id = "ccb-quzhou";
  add.add = {{"ops", testing::TestKey(60).public_key()}};
  EXPECT_EQ(f.Submit(f.Make("registry", add)).kind, OutcomeKind::kRejected);
  add.add = {{"k2", testing::TestKey(61).public_key()}};
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", add)).kind, OutcomeKind::kAccepted);
  ParticipantRecover r;
  r.id = "lanyu-materials";
  r.keys = {{"r1", testing::TestKey(90).public_key()}};
  r.reason = "lost";
  const SubmitOutcome first = f.Submit(f.Make("registry", r), {"registry", "cnipa-zj-regulator"});
  EXPECT_EQ(first.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(f.Submit(f.Make("registry", ParticipantRecoverComplete{r.id, first.index})).kind,
            OutcomeKind::kRefused);
  EXPECT_EQ(f.Submit(f.Make("lanyu-materials", ParticipantRecoverCancel{r.id, first.index})).kind,
            OutcomeKind::kAccepted);
  const SubmitOutcome second = f.Submit(f.Make("registry", r), {"registry", "cnipa-zj-regulator"});
  EXPECT_EQ(second.kind, OutcomeKind::kAccepted);
  f.SetToday(AddDays(f.today(), 3));
  EXPECT_EQ(f.Submit(f.Make("registry", ParticipantRecoverComplete{r.id, first.index})).kind,
            OutcomeKind::kRefused);
  EXPECT_EQ(f.Submit(f.Make("registry", ParticipantRecoverComplete{r.id, second.index})).kind,
            OutcomeKind::kAccepted);
  // A statement signed twice by the bank (k1 and k2), sent re-serialized first.
  const SigningKey k2 = testing::TestKey(61);
  Submission original =
      f.SignWithKeys(f.Make("ccb-quzhou", PledgeEnforce{"PL-X", f.today()}),
                     {{"ccb-quzhou/k1", &f.KeyOf("ccb-quzhou")}, {"ccb-quzhou/k2", &k2}});
  Submission copy = original;
  std::reverse(copy.envelope.signatures.begin(), copy.envelope.signatures.end());
  copy.envelope_bytes = api::EncodeEnvelopeJson(copy.envelope) + "\n";
  const SubmitOutcome refused = f.SubmitSigned(copy);
  EXPECT_EQ(refused.kind, OutcomeKind::kRefused);
  EXPECT_EQ(f.SubmitSigned(original).index, refused.index);

  testing::TempDir scratch;
  auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, f.registry().ledger().size());
}

// Replay prepares chunks of 128 entries on all cores ahead of the sequencer: batches
// that straddle chunks replay as one batch, and a fault deep in a later chunk is named.
class ReplayLongHistoryTest : public ::testing::Test {
 protected:
  // 2,401 entries: the genesis, then 3 days of 800 participant registrations each,
  // submitted as batches of 400 (each straddles chunks).
  void SetUp() override {
    int n = 0;
    for (int day = 0; day < 3; ++day) {
      f_.SetToday(AddDays(f_.today(), 1));
      for (int half = 0; half < 2; ++half) {
        std::vector<Submission> batch;
        for (int k = 0; k < 400; ++k, ++n) {
          ParticipantRegister b;
          b.id = "firm-" + std::to_string(n);
          b.name = "Firm " + std::to_string(n);
          b.role = Role::kEnterprise;
          b.region_code = "330802";
          b.keys = {{"k1", f_.KeyOf(b.id).public_key()}};
          batch.push_back(f_.Sign(f_.Make("registry", b), {"registry"}));
        }
        auto outcomes = f_.registry().Submit(batch);
        ASSERT_OK(outcomes);
        for (const SubmitOutcome& o : *outcomes) ASSERT_EQ(o.kind, OutcomeKind::kAccepted);
      }
    }
    ASSERT_EQ(f_.registry().ledger().size(), 2401u);
  }

  RegistryFixture f_;
};

TEST_F(ReplayLongHistoryTest, ReplaysEveryEntryInItsOriginalDays) {
  testing::TempDir scratch;
  auto report = ReplayAndCompare(f_.registry(), scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, 2401u);
  // The genesis, then one batch per day: the two submissions of a day share its time.
  EXPECT_EQ(report->batches, 4u);
}

TEST_F(ReplayLongHistoryTest, ABrokenSignatureInALaterRunIsNamed) {
  f_.Close();
  const std::string db = f_.dir() + "/db";
  // A changed signature byte in entry 2,200's envelope (in chunk 17) breaks its
  // hash: the log check names leaf 2200, and replay, which reads the same envelope on
  // a worker thread, must name entry 2200.
  ASSERT_TRUE(testing::BreakStoredSignature(db, 2200));
  auto source = Registry::OpenReadOnly(db, {});
  ASSERT_OK(source);
  Status verify = (*source)->ledger().Verify();
  EXPECT_NE(verify.message().find("leaf 2200"), std::string::npos) << verify.message();
  testing::TempDir scratch;
  auto report = ReplayAndCompare(**source, scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(report.status().message().find("entry 2200"), std::string::npos)
      << report.status().message();
}

struct Tamper {
  const char* name;
  const char* cf;
  const char* prefix;   // the first key with this prefix is changed
  bool flip_last_byte;  // else a byte is appended
};

class ReplayTamperTest : public ::testing::TestWithParam<Tamper> {};

TEST_P(ReplayTamperTest, ChangedStoredRecordIsFoundAndNamed) {
  const Tamper t = GetParam();
  RegistryFixture f;
  BuildHistory(f);
  f.Close();
  const std::string db = f.dir() + "/db";
  const std::string prefix = t.prefix;
  const std::string key = testing::MutateStored(
      db, t.cf, [&](std::string_view k) { return k.substr(0, prefix.size()) == prefix; },
      [&](std::string* v) {
        if (t.flip_last_byte && !v->empty()) {
          v->back() = static_cast<char>(v->back() ^ 0x01);
        } else {
          v->push_back('x');
        }
      });
  ASSERT_FALSE(key.empty()) << "no key with prefix " << prefix;
  auto source = Registry::OpenReadOnly(db, {});
  ASSERT_OK(source);
  // The log itself is intact: only the derived state was changed.
  EXPECT_OK((*source)->ledger().Verify());
  testing::TempDir scratch;
  auto report = ReplayAndCompare(**source, scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_FALSE(report.ok()) << t.name << ": tampering with " << prefix << " went unnoticed";
  EXPECT_EQ(report.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(report.status().message().find(prefix), std::string::npos) << report.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    EveryKindOfRecord, ReplayTamperTest,
    ::testing::Values(Tamper{"pledge", "state", "L/PL-1", true},
                      Tamper{"asset", "state", "A/patent:2014103620773", false},
                      Tamper{"participant", "state", "P/ccb-quzhou", true},
                      Tamper{"policy", "state", "Y/POL-1", true},
                      Tamper{"outcome", "index", "O/", false},
                      Tamper{"asset history", "index", "H/data:greenhouse", false}),
    [](const ::testing::TestParamInfo<Tamper>& param_info) {
      std::string n = param_info.param.name;
      std::replace(n.begin(), n.end(), ' ', '_');
      return n;
    });

}  // namespace
}  // namespace ipledger
