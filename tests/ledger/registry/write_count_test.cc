// Keys and bytes the registry writes per entry (issue 18, item 2): every column is read
// before and after a batch, and every key that is new or changed counts as one write of
// its key and value bytes (uncompressed). The table it prints is the one in
// docs/performance.md ("Keys and bytes per entry"); the assertions pin the keys that
// are derived instead of written: no time index (a date lookup is a binary search over
// the leaves' times) and no outcome record for a plain acceptance (the leaf says it all).
#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/registry/keys.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::RegistryFixture;

using Snapshot = std::array<std::map<std::string, std::string>, kColumnCount>;

Snapshot Take(const Store& store) {
  Snapshot s;
  for (int c = 0; c < kColumnCount; ++c) {
    Status st =
        store.Scan(static_cast<Column>(c), "", "", [&](std::string_view k, std::string_view v) {
          s[static_cast<size_t>(c)].emplace(std::string(k), std::string(v));
          return true;
        });
    EXPECT_OK(st);
  }
  return s;
}

// "state A", "index I/", "leaves", ...: what a written key is.
std::string Group(Column c, const std::string& key) {
  if (c == Column::kState) return "state " + key.substr(0, 1);
  if (c == Column::kIndex) return "index " + key.substr(0, key.find('/') + 1);
  return std::string(ColumnName(c));
}

struct Written {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> groups;  // keys, bytes
  std::uint64_t keys = 0;
  std::uint64_t bytes = 0;
  std::uint64_t KeysOf(const std::string& g) const {
    auto it = groups.find(g);
    return it == groups.end() ? 0 : it->second.first;
  }
};

Written Diff(const Snapshot& before, const Snapshot& after) {
  Written w;
  for (int c = 0; c < kColumnCount; ++c) {
    for (const auto& [k, v] : after[static_cast<size_t>(c)]) {
      auto it = before[static_cast<size_t>(c)].find(k);
      if (it != before[static_cast<size_t>(c)].end() && it->second == v) continue;
      auto& g = w.groups[Group(static_cast<Column>(c), k)];
      g.first += 1;
      g.second += k.size() + v.size();
      w.keys += 1;
      w.bytes += k.size() + v.size();
    }
  }
  return w;
}

void Print(const std::string& what, const Written& w, std::uint64_t entries) {
  std::printf("%s: %.2f keys, %.0f bytes per entry (%llu entries)\n", what.c_str(),
              static_cast<double>(w.keys) / static_cast<double>(entries),
              static_cast<double>(w.bytes) / static_cast<double>(entries),
              static_cast<unsigned long long>(entries));
  for (const auto& [g, kb] : w.groups) {
    std::printf("  %-12s %6.2f keys %7.1f bytes\n", g.c_str(),
                static_cast<double>(kb.first) / static_cast<double>(entries),
                static_cast<double>(kb.second) / static_cast<double>(entries));
  }
}

class WriteCountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank);
    f_.AddParticipant("lanyu-materials", Role::kEnterprise);
  }

  // A data-asset registration by the enterprise: one signature.
  Submission Single(int i) {
    AssetRegister b;
    b.asset_id = "data:count-" + std::to_string(i);
    b.kind = AssetKind::kData;
    b.holders = {"lanyu-materials"};
    DataFacts d;
    d.name = "Greenhouse microclimate records, base " + std::to_string(i);
    d.description = "Hourly temperature, humidity, CO2 and irrigation readings with yields";
    d.record_count = 1501;
    d.fingerprint_sha256 = Sha256(AsBytes("count " + std::to_string(i)));
    d.source_type = DataSource::kSelfCollected;
    d.scenario = "greenhouse climate control and yield forecasting";
    b.data = d;
    return f_.Sign(f_.Make("lanyu-materials", b), {"lanyu-materials"});
  }

  // A pledge of patent i by the bank and the enterprise: two signatures.
  Submission Pledge2(int i) {
    const std::string no = testing::TestPatentNumber("20201", static_cast<std::uint32_t>(i));
    f_.AddPatent(no, {"lanyu-materials"});
    PledgeRegister p = f_.PledgeBody("PL-" + std::to_string(i), {"lanyu-materials"},
                                     {"patent:" + no}, AddYears(f_.today(), 1));
    return f_.Sign(f_.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"});
  }

  // Sequences `batch` as one batch; what it wrote.
  Written Measure(const std::vector<Submission>& batch) {
    const Snapshot before = Take(f_.registry().ledger().store());
    auto outcomes = f_.registry().Submit(batch);
    EXPECT_OK(outcomes);
    if (outcomes.ok()) {
      for (const SubmitOutcome& o : *outcomes) {
        EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << testing::CodesOf(o) << " " << o.detail;
      }
    }
    return Diff(before, Take(f_.registry().ledger().store()));
  }

  RegistryFixture f_;
};

TEST_F(WriteCountTest, SingleSignatureAppend) {
  const Written one = Measure({Single(0)});
  Print("single, batch of 1", one, 1);
  std::vector<Submission> batch;
  for (int i = 1; i <= 64; ++i) batch.push_back(Single(i));
  const Written many = Measure(batch);
  Print("single, batch of 64", many, 64);
  // Derived, not written: the time index and the outcome of a plain acceptance.
  EXPECT_EQ(many.KeysOf("index D/"), 0u);
  EXPECT_EQ(many.KeysOf("index O/"), 0u);
  // The idempotency record, the type, asset and participant histories: one each.
  for (const char* g : {"index I/", "index T/", "index H/", "index W/", "state A"}) {
    EXPECT_EQ(many.KeysOf(g), 64u) << g;
  }
  EXPECT_EQ(one.KeysOf("index D/"), 0u);
  EXPECT_EQ(one.KeysOf("index O/"), 0u);
}

TEST_F(WriteCountTest, TwoSignaturePledge) {
  const Submission first = Pledge2(0);
  const Written one = Measure({first});
  Print("pledge2, batch of 1", one, 1);
  std::vector<Submission> batch;
  for (int i = 1; i <= 64; ++i) batch.push_back(Pledge2(i));
  const Written many = Measure(batch);
  Print("pledge2, batch of 64", many, 64);
  EXPECT_EQ(many.KeysOf("index O/"), 0u);
  EXPECT_EQ(many.KeysOf("index I/"), 64u);
  // Nor for the batch's map.root entry (its time is derived like every other's).
  EXPECT_EQ(many.KeysOf("index D/"), 0u);
  EXPECT_EQ(one.KeysOf("index D/"), 0u);
}

// A warning is not in the leaf: its outcome record is still written, and an idempotent
// retry returns it.
TEST_F(WriteCountTest, AnOutcomeWithAWarningIsKept) {
  const std::string no = testing::TestPatentNumber("20201", 9);
  f_.AddPatent(no, {"lanyu-materials"});
  PledgeRegister p =
      f_.PledgeBody("PL-W", {"lanyu-materials"}, {"patent:" + no}, AddYears(f_.today(), 1));
  p.forfeiture_clause = true;
  const Submission s = f_.Sign(f_.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"});
  const Written w = Measure({s});
  EXPECT_EQ(w.KeysOf("index O/"), 1u);
  const SubmitOutcome again = f_.SubmitSigned(s);
  EXPECT_EQ(again.kind, OutcomeKind::kReplayed);
  EXPECT_EQ(again.warnings, std::vector<std::string>{"W_FORFEITURE_CLAUSE"});
}

}  // namespace
}  // namespace ipledger
