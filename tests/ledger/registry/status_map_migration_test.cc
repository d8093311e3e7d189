// The status map of a log that had none (issue 13, migration): a registry sequenced
// without the map (RegistryOptions::status_map false: leaves with map fields, no roots, no
// status records) gets its map at the next open, from its public leaves, in one map.root
// entry covering every earlier entry. Pledges registered before it are released and
// proven afterwards; the map recomputed from the leaves, the check at open and a full
// replay agree. A log whose pledge leaves predate the map fields is refused plainly.
#include <optional>
#include <set>
#include <string>

#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "ledger/map/proof.h"
#include "ledger/registry/asset_id.h"
#include "ledger/registry/asset_status.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/replay.h"
#include "ledger/registry/status_map.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::RegistryFixture;

std::string Patent(int serial) {
  return testing::TestPatentNumber("20191", static_cast<std::uint32_t>(serial));
}

// The pledge.register indexes the map proves for `asset` as of `at`, after checking the
// proof against the logged root; nullopt for a proven absence.
std::optional<std::set<std::uint64_t>> Proven(const Registry& r, const std::string& asset,
                                              std::uint64_t at) {
  auto p = r.ProveStatus(asset, at);
  EXPECT_OK(p);
  if (!p.ok()) return std::nullopt;
  auto proof = map::DecodeMapProof(p->proof);
  EXPECT_OK(proof);
  if (!proof.ok()) return std::nullopt;
  std::optional<Digest> value;
  if (p->record) value = Sha256(AsBytes(*p->record));
  EXPECT_OK(map::VerifyMapProof(p->root, map::MapKey(asset), value, *proof)) << asset;
  if (!p->record) return std::nullopt;
  auto rec = DecodeAssetStatus(*p->record);
  EXPECT_OK(rec);
  if (!rec.ok()) return std::nullopt;
  return std::set<std::uint64_t>(rec->pledges.begin(), rec->pledges.end());
}

class StatusMapMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.Close();
    f_.SetStatusMap(false);
    f_.Reopen();
    f_.AddParticipant("ccb-quzhou", Role::kBank);
    f_.AddParticipant("lanyu-materials", Role::kEnterprise);
    for (int i = 1; i <= 4; ++i) f_.AddPatent(Patent(i), {"lanyu-materials"});
  }
  // Registers pledge `id` over the patents `serials`; its entry index.
  std::uint64_t Pledge(const std::string& id, const std::vector<int>& serials) {
    std::vector<std::string> collateral;
    for (int s : serials) collateral.push_back("patent:" + Patent(s));
    PledgeRegister b = f_.PledgeBody(id, {"lanyu-materials"}, collateral, AddYears(f_.today(), 2));
    SubmitOutcome o = f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "lanyu-materials"});
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << testing::CodesOf(o) << " " << o.detail;
    return o.index;
  }
  SubmitOutcome Release(const std::string& id) {
    PledgeRelease b;
    b.pledge_id = id;
    return f_.Submit(f_.Make("ccb-quzhou", b));
  }
  bool HasMapRoot() {
    for (std::uint64_t i = 0; i < f_.registry().ledger().size(); ++i) {
      auto e = DecodeLeaf(*f_.registry().ledger().GetLeaf(i));
      if (e.ok() && e->type == kMapRootType) return true;
    }
    return false;
  }

  RegistryFixture f_;
};

TEST_F(StatusMapMigrationTest, AnOpenBuildsTheMapFromTheLeavesAndOldPledgesReleaseAndProve) {
  const std::uint64_t pl1 = Pledge("PL-1", {1, 2});
  const std::uint64_t pl2 = Pledge("PL-2", {3});
  ASSERT_EQ(Release("PL-2").kind, OutcomeKind::kAccepted);
  // Without the map: no root, no record, nothing to prove.
  EXPECT_FALSE(HasMapRoot());
  EXPECT_EQ(f_.registry().ProveStatus("patent:" + Patent(1), pl1).status().code(),
            ErrorCode::kNotFound);
  const std::uint64_t old_size = f_.registry().ledger().size();

  f_.Close();
  f_.SetStatusMap(true);
  f_.Reopen();
  Registry& r = f_.registry();
  // One map.root entry, appended at the open, covers every earlier entry.
  ASSERT_EQ(r.ledger().size(), old_size + 1);
  auto root = DecodeLeaf(*r.ledger().GetLeaf(old_size));
  ASSERT_OK(root);
  EXPECT_EQ(root->type, kMapRootType);
  auto start = r.StatusMapStart();
  ASSERT_OK(start);
  EXPECT_EQ(*start, std::optional<std::uint64_t>(old_size));
  EXPECT_OK(r.CheckStatusMap());
  EXPECT_EQ(Proven(r, "patent:" + Patent(1), old_size), (std::set<std::uint64_t>{pl1}));
  EXPECT_EQ(Proven(r, "patent:" + Patent(2), old_size), (std::set<std::uint64_t>{pl1}));
  EXPECT_EQ(Proven(r, "patent:" + Patent(3), old_size), std::set<std::uint64_t>{});
  EXPECT_EQ(Proven(r, "patent:" + Patent(4), old_size), std::nullopt);  // never pledged
  // Before the start there is no root to answer from.
  EXPECT_EQ(r.ProveStatus("patent:" + Patent(1), old_size - 1).status().code(),
            ErrorCode::kNotFound);

  // The old pledge is released (it failed with an internal error before the migration)
  // and a new one registered; both are proven.
  SubmitOutcome released = Release("PL-1");
  ASSERT_EQ(released.kind, OutcomeKind::kAccepted) << testing::CodesOf(released);
  const std::uint64_t pl3 = Pledge("PL-3", {3, 4});
  const std::uint64_t last = r.ledger().size() - 1;
  EXPECT_EQ(Proven(r, "patent:" + Patent(1), last), std::set<std::uint64_t>{});
  EXPECT_EQ(Proven(r, "patent:" + Patent(3), last), (std::set<std::uint64_t>{pl3}));
  EXPECT_EQ(Proven(r, "patent:" + Patent(4), last), (std::set<std::uint64_t>{pl3}));
  EXPECT_EQ(Proven(r, "patent:" + Patent(9), last), std::nullopt);
  (void)pl2;

  // `ipledger verify`: the map recomputed from leaf 0 equals every logged root.
  auto report = VerifyStatusMapFromLeaves(r.ledger());
  ASSERT_OK(report);
  EXPECT_EQ(report->roots, 3u);
  EXPECT_EQ(report->assets, 4u);
  // `ipledger verify --replay`: the scratch registry starts its map at the same entry.
  testing::TempDir scratch;
  auto replayed = ReplayAndCompare(r, scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_OK(replayed);
  EXPECT_EQ(replayed->entries, r.ledger().size());
  // Opening again builds nothing more.
  const std::uint64_t size = r.ledger().size();
  f_.Close();
  f_.Reopen();
  EXPECT_EQ(f_.registry().ledger().size(), size);
  EXPECT_OK(f_.registry().CheckStatusMap());
}

TEST_F(StatusMapMigrationTest, ALogWithoutPledgesOrPoliciesGetsNoRootUntilItHasOne) {
  const std::uint64_t size = f_.registry().ledger().size();
  f_.Close();
  f_.SetStatusMap(true);
  f_.Reopen();
  EXPECT_EQ(f_.registry().ledger().size(), size);
  auto start = f_.registry().StatusMapStart();
  ASSERT_OK(start);
  EXPECT_FALSE(start->has_value());
  // The first pledge starts the map as in a registry that always had it.
  const std::uint64_t pl = Pledge("PL-1", {1});
  EXPECT_EQ(Proven(f_.registry(), "patent:" + Patent(1), pl + 1), (std::set<std::uint64_t>{pl}));
  ASSERT_OK(VerifyStatusMapFromLeaves(f_.registry().ledger()));
}

TEST_F(StatusMapMigrationTest, ALostMapWithLoggedRootsIsCorruptionNotRebuilt) {
  Pledge("PL-1", {1});
  f_.Close();
  f_.SetStatusMap(true);
  f_.Reopen();  // migrates
  Pledge("PL-2", {2});
  f_.Close();
  // The map's root records deleted on disk while map.root entries are logged.
  const std::string db = f_.dir() + "/db";
  int deleted = 0;
  for (;;) {
    const std::string k = testing::MutateStored(
        db, "map", [](std::string_view key) { return key[0] == 'r'; }, [](std::string*) {});
    if (k.empty()) break;
    testing::OverwriteStored(db, "map", k, std::nullopt);
    ++deleted;
  }
  EXPECT_EQ(deleted, 2);
  auto opened = Registry::Open(db, testing::TestKey(1000), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kCorruption) << opened.status().ToString();
}

TEST_F(StatusMapMigrationTest, PledgeLeavesWithoutMapFieldsAreRefusedPlainly) {
  f_.Close();
  // A pledge.register leaf as a build before the status map wrote it: no map fields.
  {
    auto ledger = Ledger::Open(f_.dir() + "/db", testing::TestKey(1000), {});
    ASSERT_OK(ledger);
    EntryInput in;
    in.type = "pledge.register";
    in.envelope = "an envelope of an older build";
    in.subjects = {"PL-OLD", "patent:" + Patent(1)};
    WriteSet extra;
    const std::uint64_t index = (*ledger)->size();
    extra.Put(Column::kIndex, IndexKey(kTypePrefix, "pledge.register", index), "");
    AppendOptions ao;
    ao.extra = &extra;
    ASSERT_OK((*ledger)->Append({&in, 1}, ao));
  }
  auto opened = Registry::Open(f_.dir() + "/db", testing::TestKey(1000), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("before the status map existed"), std::string::npos)
      << opened.status().message();
  // Without the map it still opens, as before.
  RegistryOptions off;
  off.status_map = false;
  EXPECT_OK(Registry::Open(f_.dir() + "/db", testing::TestKey(1000), off));
}

}  // namespace
}  // namespace ipledger
