// Money limits in the regulator statistics (issue #12, item 2): totals are sums in 128
// bits of amounts at most kMaxAmount, checked against arbitrary-precision arithmetic.
#include <boost/multiprecision/cpp_int.hpp>
#include <map>
#include <random>
#include <string>

#include "ledger/registry/statement.h"
#include "ledger/registry/stats.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using boost::multiprecision::cpp_int;

cpp_int Big(Amount128 v) { return cpp_int(Amount128String(v)); }

TEST(StatsMoneyTest, Amount128StringPrintsEveryDigit) {
  EXPECT_EQ(Amount128String(0), "0");
  EXPECT_EQ(Amount128String(-42), "-42");
  const Amount128 big = static_cast<Amount128>(kMaxAmount) * kMaxAmount * 100;
  EXPECT_EQ(Amount128String(big), "100000000000000000000000000000000");
}

// Issue #12, attack "Two pledges of 9,223,372,036,854,775,807 fen wrap the regulator's CNY
// total; chosen amounts shift the total anywhere". Amounts above 10^15 never pass the
// codec (statement_codec_test); here random amounts up to that maximum, with many at the
// maximum, are summed by the statistics and by cpp_int and must agree exactly, well past
// the int64 range (9,223 amounts at the maximum already exceed it).
TEST(StatsMoneyTest, TwoPledgesOfInt64MaxFenCannotWrapTheCnyTotal) {
  std::mt19937_64 rng(0x1d12'0002);
  std::uniform_int_distribution<std::int64_t> any_amount(0, kMaxAmount);
  StatsIndex index;
  std::map<std::string, cpp_int> expected;  // currency -> sum, one case per pledge
  const Date day = DateFromCivil(2024, 6, 1);
  constexpr int kFacts = 40'000;
  for (int i = 0; i < kFacts; ++i) {
    PledgeFact f;
    f.index = 1 + static_cast<std::uint64_t>(i);
    f.date = day;
    f.pledge_id = "P" + std::to_string(i);
    f.bank = "bank";
    f.debtor = "firm-" + std::to_string(i % 97);
    f.case_key = "pledge:" + f.pledge_id;
    f.amount = rng() % 4 == 0 ? kMaxAmount : any_amount(rng);
    f.currency = rng() % 5 == 0 ? "USD" : "CNY";
    ASSERT_OK(index.Add(f));
    expected[f.currency] += f.amount;
  }
  StatsQuery q;
  q.from = day;
  q.to = day;
  const StatsTotals t = index.Query(q).totals;
  ASSERT_EQ(t.amount.size(), 2u);
  EXPECT_GT(expected["CNY"], cpp_int(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(Big(t.amount.at("CNY")), expected["CNY"]);
  EXPECT_EQ(Big(t.amount.at("USD")), expected["USD"]);
  // Prefixes of the log (as_of) agree too: every partial sum, not only the last.
  for (std::uint64_t as_of : {1ull, 2ull, 9'224ull, 20'000ull}) {
    StatsQuery p = q;
    p.as_of = as_of;
    std::mt19937_64 replay(0x1d12'0002);
    std::uniform_int_distribution<std::int64_t> again(0, kMaxAmount);
    cpp_int cny = 0;
    for (std::uint64_t i = 0; i < as_of; ++i) {
      const std::int64_t amount = replay() % 4 == 0 ? kMaxAmount : again(replay);
      if (replay() % 5 != 0) cny += amount;
    }
    const StatsTotals pt = index.Query(p).totals;
    const cpp_int got = pt.amount.contains("CNY") ? Big(pt.amount.at("CNY")) : cpp_int(0);
    EXPECT_EQ(got, cny) << "as_of " << as_of;
  }
}

TEST(StatsMoneyTest, ChangeBpsClampsInsteadOfWrapping) {
  const Amount128 huge = static_cast<Amount128>(kMaxAmount) * 1'000'000;
  EXPECT_EQ(ChangeBps(huge, 1), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ChangeBps(1, huge), -10000);
  EXPECT_EQ(ChangeBps(150, 100), 5000);
  EXPECT_EQ(ChangeBps(5, 0), std::nullopt);
}

}  // namespace
}  // namespace ipledger
