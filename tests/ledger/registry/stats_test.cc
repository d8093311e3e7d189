// Regulator statistics against hand-computed figures (api.md §9, domain.md §7.2, S-1):
// a year of pledges across regions, banks and kinds, a combination loan counted once,
// a release (still a registration), a refusal (never counted), a foreign-currency
// pledge kept in its own currency, the previous year and year-on-year changes.
#include "ledger/registry/stats.h"

#include <random>
#include <set>

#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::RegistryFixture;

constexpr std::int64_t kYuan = 100;  // fen per yuan

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.SetToday(DateFromCivil(2023, 1, 2));
    f_.AddParticipant("registry-bank-ccb", Role::kBank, "330802");
    f_.AddParticipant("icbc-jiangshan", Role::kBank, "330881");
    f_.AddParticipant("firm-a", Role::kEnterprise, "330802");  // Quzhou, Kecheng
    f_.AddParticipant("firm-b", Role::kEnterprise, "330881");  // Quzhou, Jiangshan
    f_.AddParticipant("firm-c", Role::kEnterprise, "330106");  // Hangzhou
    for (const char* p : {"2014100000001", "2014100000020", "2014100000035", "201410000004X"}) {
      Patent(p, "firm-a");
    }
    Patent("201410000011X", "firm-b");
    Patent("2014100000124", "firm-b");
    Patent("2014100000213", "firm-c");
    f_.AddTrademark("70000001", {"firm-a"}, DateFromCivil(2033, 1, 1));
    // D-5: a certificate runs at most 3 years from its confirmation.
    f_.AddConfirmedData("water-b", "firm-b", DateFromCivil(2026, 1, 1));
  }

  void Patent(const std::string& no, const std::string& holder) {
    f_.AddPatent(no, {holder});
    AssetStatus paid{
        "patent:" + no, AssetEvent::kAnnuityPaid, f_.today(), DateFromCivil(2030, 1, 1), {}, {}};
    EXPECT_EQ(f_.Submit(f_.Make("registry", paid)).kind, OutcomeKind::kAccepted);
  }

  // Registers a pledge on `day`; returns its outcome.
  SubmitOutcome Pledge(Date day, const std::string& bank, const std::string& id,
                       const std::string& debtor, const std::vector<std::string>& collateral,
                       std::int64_t amount, const std::string& currency = "CNY",
                       std::optional<std::string> case_id = {},
                       Date end = DateFromCivil(2029, 12, 31)) {
    f_.SetToday(day);
    PledgeRegister b = f_.PledgeBody(id, {debtor}, collateral, end, amount);
    b.secured.amount.currency = currency;
    b.case_id = case_id;
    return f_.Submit(f_.Make(bank, b), {bank, debtor});
  }

  void Accept(const SubmitOutcome& o) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  }

  void BuildTwoYears() {
    // 2023, the previous year: two plain pledges.
    Accept(Pledge(DateFromCivil(2023, 4, 1), "registry-bank-ccb", "Q1", "firm-a",
                  {"patent:201410000004X"}, 10'000'000 * kYuan));
    Accept(Pledge(DateFromCivil(2023, 6, 1), "icbc-jiangshan", "Q2", "firm-b",
                  {"patent:2014100000124"}, 4'000'000 * kYuan));
    // 2024. A combination loan: one case, a patent pledge and a trademark pledge.
    f_.SetToday(DateFromCivil(2024, 3, 1));
    CaseRegister c;
    c.case_id = "C1";
    c.debtor = "firm-a";
    c.facility = {45'000'000 * kYuan, "CNY"};
    c.term = {f_.today(), DateFromCivil(2029, 12, 31)};
    c.other_collateral = {{CollateralKind::kRealEstate, "factory", {26'600'000 * kYuan, "CNY"}}};
    Accept(f_.Submit(f_.Make("registry-bank-ccb", c)));
    Accept(Pledge(DateFromCivil(2024, 3, 10), "registry-bank-ccb", "P1", "firm-a",
                  {"patent:2014100000001"}, 18'400'000 * kYuan, "CNY", "C1"));
    Accept(Pledge(DateFromCivil(2024, 3, 12), "registry-bank-ccb", "P2", "firm-a",
                  {"trademark:70000001"}, 18'400'000 * kYuan, "CNY", "C1"));
    Accept(Pledge(DateFromCivil(2024, 5, 20), "icbc-jiangshan", "P3", "firm-b",
                  {"patent:201410000011X"}, 5'800'000 * kYuan));
    SubmitOutcome p4 =
        Pledge(DateFromCivil(2024, 7, 1), "registry-bank-ccb", "P4", "firm-b", {"data:water-b"},
               30'000'000 * kYuan, "CNY", {}, DateFromCivil(2025, 12, 31));
    Accept(p4);
    p4_index_ = p4.index;
    Accept(Pledge(DateFromCivil(2024, 8, 8), "icbc-jiangshan", "P5", "firm-c",
                  {"patent:2014100000213"}, 1'000'000 * 100, "USD"));
    // A refusal (the patent is pledged under P1) is never counted.
    SubmitOutcome refused = Pledge(DateFromCivil(2024, 9, 1), "icbc-jiangshan", "P6", "firm-a",
                                   {"patent:2014100000001"}, 9'000'000 * kYuan);
    EXPECT_EQ(refused.kind, OutcomeKind::kRefused);
    // A release does not undo a registration.
    f_.SetToday(DateFromCivil(2024, 10, 1));
    Accept(f_.Submit(f_.Make("icbc-jiangshan", PledgeRelease{"P3", ReleaseReason::kRepaid, {}})));
    Accept(Pledge(DateFromCivil(2024, 12, 31), "registry-bank-ccb", "P7", "firm-a",
                  {"patent:2014100000020"}, 2'000'000 * kYuan));
    // 2025: outside the window.
    Accept(Pledge(DateFromCivil(2025, 1, 1), "registry-bank-ccb", "P8", "firm-a",
                  {"patent:2014100000035"}, 7'000'000 * kYuan));
  }

  StatsResult Query(std::string region = "", StatsGroupBy g = StatsGroupBy::kNone,
                    std::optional<std::uint64_t> as_of = {}, int year = 2024) {
    StatsQuery q;
    q.from = DateFromCivil(year, 1, 1);
    q.to = DateFromCivil(year, 12, 31);
    q.region_prefix = std::move(region);
    q.group_by = g;
    q.as_of = as_of;
    return f_.registry().Stats(q);
  }

  RegistryFixture f_{DateFromCivil(2023, 1, 2)};
  std::uint64_t p4_index_ = 0;
};

TEST_F(StatsTest, YearTotalsCountEachCaseOnceAndKeepCurrenciesApart) {
  BuildTwoYears();
  const StatsTotals t = Query().totals;
  EXPECT_EQ(t.registrations, 6u);  // P1 P2 P3 P4 P5 P7
  EXPECT_EQ(t.cases, 5u);          // C1 (P1+P2), P3, P4, P5, P7
  EXPECT_EQ(t.enterprises, 3u);
  // 18.4 m (C1 once) + 5.8 m + 30 m + 2 m.
  EXPECT_EQ(t.amount.at("CNY"), 56'200'000 * kYuan);
  EXPECT_EQ(t.amount.at("USD"), 1'000'000 * 100);
  EXPECT_EQ(t.amount.size(), 2u);
  EXPECT_EQ(t.patents, 4u);
  EXPECT_EQ(t.trademarks, 1u);
  EXPECT_EQ(t.data, 1u);
  // Cases under ¥20 m: C1, P3, P7 -> firm-a and firm-b of three enterprises.
  EXPECT_EQ(t.inclusive_enterprises, 2u);
  EXPECT_EQ(t.inclusive_share_bps, 6667);
}

TEST_F(StatsTest, PreviousYearAndYearOnYear) {
  BuildTwoYears();
  const StatsTotals prev = Query("", StatsGroupBy::kNone, {}, 2023).totals;
  EXPECT_EQ(prev.registrations, 2u);
  EXPECT_EQ(prev.cases, 2u);
  EXPECT_EQ(prev.enterprises, 2u);
  EXPECT_EQ(prev.amount.at("CNY"), 14'000'000 * kYuan);
  const StatsTotals cur = Query().totals;
  // (56.2 - 14) / 14 = 301.428...% -> 30143 bps; (6 - 2) / 2 = 200%; (3 - 2) / 2 = 50%.
  EXPECT_EQ(ChangeBps(cur.amount.at("CNY"), prev.amount.at("CNY")), 30143);
  EXPECT_EQ(ChangeBps(6, 2), 20000);
  EXPECT_EQ(ChangeBps(3, 2), 5000);
  EXPECT_EQ(ChangeBps(1, 3), -6667);
  EXPECT_EQ(ChangeBps(5, 0), std::nullopt);
}

TEST_F(StatsTest, RegionPrefixMatchesTheDebtorsRegionAtRegistration) {
  BuildTwoYears();
  const StatsTotals quzhou = Query("3308").totals;
  EXPECT_EQ(quzhou.registrations, 5u);
  EXPECT_EQ(quzhou.cases, 4u);
  EXPECT_EQ(quzhou.enterprises, 2u);
  EXPECT_EQ(quzhou.amount.at("CNY"), 56'200'000 * kYuan);
  EXPECT_FALSE(quzhou.amount.contains("USD"));
  EXPECT_EQ(quzhou.inclusive_share_bps, 10000);
  const StatsTotals jiangshan = Query("330881").totals;
  EXPECT_EQ(jiangshan.registrations, 2u);
  EXPECT_EQ(jiangshan.amount.at("CNY"), 35'800'000 * kYuan);
  EXPECT_EQ(jiangshan.enterprises, 1u);
  EXPECT_EQ(Query("3301").totals.registrations, 1u);
  EXPECT_EQ(Query("44").totals.registrations, 0u);
}

TEST_F(StatsTest, GroupsByBankAssetKindAndMonth) {
  BuildTwoYears();
  const StatsResult by_bank = Query("", StatsGroupBy::kBank);
  ASSERT_EQ(by_bank.groups.size(), 2u);
  EXPECT_EQ(by_bank.groups[0].key, "icbc-jiangshan");
  EXPECT_EQ(by_bank.groups[0].totals.registrations, 2u);
  EXPECT_EQ(by_bank.groups[0].totals.amount.at("CNY"), 5'800'000 * kYuan);
  EXPECT_EQ(by_bank.groups[0].totals.amount.at("USD"), 1'000'000 * 100);
  EXPECT_EQ(by_bank.groups[1].key, "registry-bank-ccb");
  EXPECT_EQ(by_bank.groups[1].totals.registrations, 4u);
  EXPECT_EQ(by_bank.groups[1].totals.cases, 3u);
  EXPECT_EQ(by_bank.groups[1].totals.amount.at("CNY"), 50'400'000 * kYuan);
  EXPECT_EQ(by_bank.groups[1].totals.enterprises, 2u);

  const StatsResult by_kind = Query("", StatsGroupBy::kAssetKind);
  ASSERT_EQ(by_kind.groups.size(), 3u);
  EXPECT_EQ(by_kind.groups[0].key, "data");
  EXPECT_EQ(by_kind.groups[0].totals.amount.at("CNY"), 30'000'000 * kYuan);
  EXPECT_EQ(by_kind.groups[1].key, "patent");
  EXPECT_EQ(by_kind.groups[1].totals.registrations, 4u);
  EXPECT_EQ(by_kind.groups[1].totals.amount.at("CNY"), 26'200'000 * kYuan);
  EXPECT_EQ(by_kind.groups[2].key, "trademark");
  EXPECT_EQ(by_kind.groups[2].totals.amount.at("CNY"), 18'400'000 * kYuan);

  const StatsResult by_month = Query("", StatsGroupBy::kMonth);
  std::vector<std::string> months;
  for (const auto& g : by_month.groups) months.push_back(g.key);
  EXPECT_EQ(months,
            (std::vector<std::string>{"2024-03", "2024-05", "2024-07", "2024-08", "2024-12"}));
  EXPECT_EQ(by_month.groups[0].totals.registrations, 2u);
  EXPECT_EQ(by_month.groups[0].totals.cases, 1u);
  EXPECT_EQ(by_month.groups[0].totals.amount.at("CNY"), 18'400'000 * kYuan);

  const StatsResult by_region = Query("33", StatsGroupBy::kRegion);
  ASSERT_EQ(by_region.groups.size(), 3u);
  EXPECT_EQ(by_region.groups[0].key, "330106");
  EXPECT_EQ(by_region.groups[1].key, "330802");
  EXPECT_EQ(by_region.groups[1].totals.registrations, 3u);
  EXPECT_EQ(by_region.groups[2].key, "330881");
}

TEST_F(StatsTest, AsOfAnIndexIgnoresEverythingLater) {
  BuildTwoYears();
  const StatsTotals then = Query("", StatsGroupBy::kNone, p4_index_).totals;
  EXPECT_EQ(then.registrations, 4u);  // P1 P2 P3 P4
  EXPECT_EQ(then.amount.at("CNY"), 54'200'000 * kYuan);
  EXPECT_FALSE(then.amount.contains("USD"));
}

TEST_F(StatsTest, FactsSurviveReopenAndReplayComparesThem) {
  BuildTwoYears();
  const StatsTotals before = Query().totals;
  f_.Close();
  f_.Reopen();
  const StatsTotals after = Query().totals;
  EXPECT_EQ(after.registrations, before.registrations);
  EXPECT_EQ(after.amount, before.amount);
  EXPECT_EQ(after.enterprises, before.enterprises);
}

// The fast path (interned ids, epoch-stamped arrays) against a naive implementation of
// the same definitions, on random facts with mixed currencies and multi-debtor cases.
StatsTotals NaiveTotals(const std::vector<PledgeFact>& facts, std::int64_t threshold) {
  StatsTotals t;
  std::set<std::string> debtors;
  std::map<std::pair<std::string, std::string>, std::int64_t> case_max;  // (case, currency)
  std::map<std::string, std::set<std::string>> case_debtors;
  for (const PledgeFact& f : facts) {
    ++t.registrations;
    t.patents += f.patents;
    t.trademarks += f.trademarks;
    t.data += f.data;
    debtors.insert(f.debtor);
    auto [it, inserted] = case_max.try_emplace({f.case_key, f.currency}, f.amount);
    if (!inserted) it->second = std::max(it->second, f.amount);
    case_debtors[f.case_key].insert(f.debtor);
  }
  std::set<std::string> cases;
  std::set<std::string> inclusive;
  for (const auto& [key, amount] : case_max) {
    cases.insert(key.first);
    t.amount[key.second] += amount;
    if (key.second == "CNY" && amount < threshold) {
      inclusive.insert(case_debtors[key.first].begin(), case_debtors[key.first].end());
    }
  }
  t.cases = cases.size();
  t.enterprises = debtors.size();
  t.inclusive_enterprises = inclusive.size();
  if (t.enterprises > 0) {
    t.inclusive_share_bps = static_cast<std::int64_t>(
        (t.inclusive_enterprises * 20000 + t.enterprises) / (2 * t.enterprises));
  }
  return t;
}

void ExpectSameTotals(const StatsTotals& a, const StatsTotals& b, const std::string& where) {
  EXPECT_EQ(a.registrations, b.registrations) << where;
  EXPECT_EQ(a.cases, b.cases) << where;
  EXPECT_EQ(a.enterprises, b.enterprises) << where;
  EXPECT_EQ(a.amount, b.amount) << where;
  EXPECT_EQ(a.patents, b.patents) << where;
  EXPECT_EQ(a.trademarks, b.trademarks) << where;
  EXPECT_EQ(a.data, b.data) << where;
  EXPECT_EQ(a.inclusive_enterprises, b.inclusive_enterprises) << where;
  EXPECT_EQ(a.inclusive_share_bps, b.inclusive_share_bps) << where;
}

TEST(StatsIndexTest, AgreesWithANaiveImplementationOnRandomFacts) {
  std::mt19937 rng(20240101);
  StatsIndex index;
  std::vector<PledgeFact> facts;
  const Date start = DateFromCivil(2023, 1, 1);
  const char* regions[] = {"330802", "330881", "330106", "440300", ""};
  const char* currencies[] = {"CNY", "CNY", "CNY", "USD"};
  for (std::uint64_t i = 0; i < 3000; ++i) {
    PledgeFact f;
    f.index = 10 + i * 2;
    f.date = AddDays(start, static_cast<std::int32_t>(i / 4));
    f.pledge_id = "P" + std::to_string(i);
    f.bank = "bank-" + std::to_string(rng() % 4);
    f.debtor = "firm-" + std::to_string(rng() % 300);
    f.region = regions[rng() % 5];
    f.case_key = rng() % 3 == 0 ? "case:" + std::to_string(rng() % 200) : "pledge:" + f.pledge_id;
    f.amount = static_cast<std::int64_t>(rng() % 4'000'000'000);
    f.currency = currencies[rng() % 4];
    f.patents = static_cast<std::uint32_t>(rng() % 3);
    f.trademarks = static_cast<std::uint32_t>(rng() % 2);
    f.data = static_cast<std::uint32_t>(rng() % 2);
    ASSERT_OK(index.Add(f));
    facts.push_back(f);
  }
  for (int round = 0; round < 60; ++round) {
    StatsQuery q;
    q.from = AddDays(start, static_cast<std::int32_t>(rng() % 700));
    q.to = AddDays(q.from, static_cast<std::int32_t>(rng() % 400));
    q.region_prefix = std::vector<std::string>{"", "33", "3308", "330881", "44"}[rng() % 5];
    q.inclusive_threshold = static_cast<std::int64_t>(rng() % 4'000'000'000);
    if (rng() % 2 == 0) q.as_of = 10 + (rng() % 6000);
    q.group_by = static_cast<StatsGroupBy>(rng() % 5);
    std::vector<PledgeFact> window;
    for (const PledgeFact& f : facts) {
      if (f.date < q.from || q.to < f.date || (q.as_of && f.index > *q.as_of)) continue;
      if (f.region.compare(0, q.region_prefix.size(), q.region_prefix) != 0) continue;
      window.push_back(f);
    }
    const StatsResult got = index.Query(q);
    const std::string where = "round " + std::to_string(round);
    ExpectSameTotals(got.totals, NaiveTotals(window, q.inclusive_threshold), where);
    std::map<std::string, std::vector<PledgeFact>> groups;
    for (const PledgeFact& f : window) {
      switch (q.group_by) {
        case StatsGroupBy::kNone:
          break;
        case StatsGroupBy::kBank:
          groups[f.bank].push_back(f);
          break;
        case StatsGroupBy::kRegion:
          groups[f.region.empty() ? "unknown" : f.region].push_back(f);
          break;
        case StatsGroupBy::kAssetKind:
          if (f.patents > 0) groups["patent"].push_back(f);
          if (f.trademarks > 0) groups["trademark"].push_back(f);
          if (f.data > 0) groups["data"].push_back(f);
          break;
        case StatsGroupBy::kMonth:
          groups[FormatDate(f.date).substr(0, 7)].push_back(f);
          break;
      }
    }
    ASSERT_EQ(got.groups.size(), groups.size()) << where;
    size_t k = 0;
    for (const auto& [key, members] : groups) {
      EXPECT_EQ(got.groups[k].key, key) << where;
      ExpectSameTotals(got.groups[k].totals, NaiveTotals(members, q.inclusive_threshold),
                       where + " group " + key);
      ++k;
    }
  }
}

TEST(StatsFactTest, EncodingRoundTripsAndRejectsDamage) {
  PledgeFact f;
  f.index = 42;
  f.date = DateFromCivil(2024, 2, 29);
  f.pledge_id = "P1";
  f.bank = "b";
  f.debtor = "d";
  f.region = "330802";
  f.case_key = "case:C1";
  f.amount = 123;
  f.currency = "CNY";
  f.patents = 2;
  const std::string bytes = EncodeFact(f);
  PledgeFact g;
  ASSERT_OK(DecodeFact(bytes, &g));
  EXPECT_EQ(EncodeFact(g), bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeFact(bytes.substr(0, n), &g).code(), ErrorCode::kCorruption) << n;
  }
  EXPECT_EQ(DecodeFact(bytes + "x", &g).code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace ipledger
