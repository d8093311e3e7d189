// The batch journal (issue 17): a follower that applies the leader's journaled batches
// arrives at byte-identical checkpoints and the same derived state; a refused commit
// writes nothing and leaves the registry writable; a batch that does not reproduce the
// leader's tree, starts elsewhere, or is malformed is refused without a write.
#include "ledger/registry/journal.h"

#include <string>
#include <vector>

#include "api/codec/submission_codec.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::RegistryFixture;

// Records every batch; refuses while `refuse` is set.
class RecordingJournal : public BatchJournal {
 public:
  Status Commit(const JournalBatch& batch, std::string_view bytes) override {
    if (refuse) return Status::Unavailable("journal refused");
    EXPECT_EQ(EncodeJournalBatch(batch), bytes);
    batches.emplace_back(bytes);
    return Status::Ok();
  }
  bool refuse = false;
  std::vector<std::string> batches;
};

ParticipantRegister Firm(RegistryFixture& f, const std::string& id) {
  ParticipantRegister b;
  b.id = id;
  b.name = "Firm " + id;
  b.role = Role::kEnterprise;
  b.region_code = "330802";
  b.keys = {{"k1", f.KeyOf(id).public_key()}};
  return b;
}

void BuildHistory(RegistryFixture& f) {
  f.AddParticipant("ccb-quzhou", Role::kBank);
  f.AddParticipant("lanyu-materials", Role::kEnterprise);
  f.AddPatent("2014103620773", {"lanyu-materials"});
  PledgeRegister p = f.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                  DateFromCivil(2028, 1, 1));
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kAccepted);
  p.pledge_id = "PL-2";  // refused (already pledged): a refusal leaf, journaled too
  EXPECT_EQ(f.Submit(f.Make("ccb-quzhou", p), {"ccb-quzhou", "lanyu-materials"}).kind,
            OutcomeKind::kRefused);
  f.SetToday(AddDays(f.today(), 3));
  f.AddParticipant("picc-zhejiang", Role::kInsurer);
}

TEST(JournalTest, FollowerReproducesTheLeaderByteForByte) {
  RegistryFixture leader, follower;
  ASSERT_EQ(leader.registry().ledger().head().signed_checkpoint,
            follower.registry().ledger().head().signed_checkpoint);
  RecordingJournal journal;
  leader.registry().SetJournal(&journal);
  BuildHistory(leader);
  // A rejected submission (not signed by its submitter) is not journaled: nothing is
  // logged.
  const std::size_t before = journal.batches.size();
  Statement st = leader.Make("registry", Firm(leader, "nobody"));
  EXPECT_EQ(leader.Submit(st, {"ccb-quzhou"}).kind, OutcomeKind::kRejected);
  EXPECT_EQ(journal.batches.size(), before);
  ASSERT_FALSE(journal.batches.empty());

  for (const std::string& b : journal.batches) {
    ASSERT_OK(ApplyJournalBytes(follower.registry(), b, api::DecodeSubmission));
  }
  EXPECT_EQ(follower.registry().ledger().head().signed_checkpoint,
            leader.registry().ledger().head().signed_checkpoint);
  ASSERT_OK(follower.registry().CompareDerivedState(leader.registry()));
  ASSERT_OK(follower.registry().CheckStatusMap());
  // Applying a batch twice is refused: it no longer starts at the log's size.
  EXPECT_EQ(
      ApplyJournalBytes(follower.registry(), journal.batches[0], api::DecodeSubmission).code(),
      ErrorCode::kFailedPrecondition);
}

TEST(JournalTest, RefusedCommitWritesNothingAndTheRegistryStaysWritable) {
  RegistryFixture f;
  RecordingJournal journal;
  f.registry().SetJournal(&journal);
  const Head before = f.registry().ledger().head();
  journal.refuse = true;
  Submission s = f.Sign(f.Make("registry", Firm(f, "lanyu-materials")), {"registry"});
  auto refused = f.registry().Submit(std::span<const Submission>(&s, 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(f.registry().ledger().head().signed_checkpoint, before.signed_checkpoint);
  EXPECT_FALSE(f.registry().ledger().read_only());
  journal.refuse = false;
  f.AddParticipant("ccb-quzhou", Role::kBank);
  EXPECT_EQ(f.registry().ledger().size(), before.checkpoint.size + 1);
  EXPECT_EQ(journal.batches.size(), 1u);
}

TEST(JournalTest, BatchThatDoesNotReproduceTheTreeIsRefusedWithoutAWrite) {
  RegistryFixture leader, follower;
  RecordingJournal journal;
  leader.registry().SetJournal(&journal);
  leader.AddParticipant("ccb-quzhou", Role::kBank);
  ASSERT_EQ(journal.batches.size(), 1u);
  auto batch = DecodeJournalBatch(journal.batches[0]);
  ASSERT_OK(batch);
  const std::string before = follower.registry().ledger().head().signed_checkpoint;

  JournalBatch wrong_root = *batch;
  wrong_root.root[0] ^= 1;
  JournalBatch wrong_time = *batch;
  wrong_time.time_ms += 1;  // another time: another leaf, another root
  JournalBatch wrong_first = *batch;
  wrong_first.first = 0;          // the genesis batch, applied long ago
  JournalBatch foreign = *batch;  // an envelope the follower would reject
  foreign.envelopes[0] = "{}";
  for (const auto& [b, code] : {std::pair{wrong_root, ErrorCode::kCorruption},
                                std::pair{wrong_time, ErrorCode::kCorruption},
                                std::pair{wrong_first, ErrorCode::kFailedPrecondition},
                                std::pair{foreign, ErrorCode::kCorruption}}) {
    Status s = ApplyJournalBytes(follower.registry(), EncodeJournalBatch(b), api::DecodeSubmission);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_EQ(follower.registry().ledger().head().signed_checkpoint, before);
    EXPECT_FALSE(follower.registry().ledger().read_only());
  }
  ASSERT_OK(ApplyJournalBytes(follower.registry(), journal.batches[0], api::DecodeSubmission));
  EXPECT_EQ(follower.registry().ledger().head().signed_checkpoint,
            leader.registry().ledger().head().signed_checkpoint);
}

TEST(JournalTest, DecodeAcceptsOnlyTheExactEncoding) {
  JournalBatch b;
  b.first = 7;
  b.time_ms = 1780000000000;
  b.size = 9;
  b.root[3] = 0xab;
  b.envelopes = {"{\"a\":1}", std::string("x\0y", 3)};
  const std::string bytes = EncodeJournalBatch(b);
  auto back = DecodeJournalBatch(bytes);
  ASSERT_OK(back);
  EXPECT_EQ(back->first, 7u);
  EXPECT_EQ(back->time_ms, b.time_ms);
  EXPECT_EQ(back->size, 9u);
  EXPECT_EQ(back->root, b.root);
  EXPECT_EQ(back->envelopes, b.envelopes);
  EXPECT_FALSE(DecodeJournalBatch(bytes + "x").ok());
  EXPECT_FALSE(DecodeJournalBatch(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(DecodeJournalBatch("IPLBAT02" + bytes.substr(8)).ok());
  EXPECT_FALSE(DecodeJournalBatch("").ok());
  JournalBatch empty = b;
  empty.envelopes.clear();
  EXPECT_FALSE(DecodeJournalBatch(EncodeJournalBatch(empty)).ok());
}

}  // namespace
}  // namespace ipledger
