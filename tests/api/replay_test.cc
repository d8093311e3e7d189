// verify --replay's engine: the derived state rebuilt from the log equals the stored
// one, and any change to a stored state record, outcome or index is found and named.
#include "api/replay.h"

#include <algorithm>

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
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})).kind,
            OutcomeKind::kAccepted);
}

TEST(ReplayTest, RebuiltStateEqualsStoredState) {
  RegistryFixture f;
  BuildHistory(f);
  const std::uint64_t size = f.registry().ledger().size();
  testing::TempDir scratch;
  auto report = api::ReplayAndCompare(f.registry(), scratch.str() + "/db");
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, size);
  EXPECT_GT(report->batches, 1u);
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
  auto report = api::ReplayAndCompare(**source, scratch.str() + "/db");
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
