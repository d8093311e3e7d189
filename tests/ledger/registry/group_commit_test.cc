// GroupCommitter's receipts: the proofs of a batch's entries, computed together, are
// each the per-entry inclusion proof and verify against the batch's signed checkpoint,
// for batches of many sizes, including ones that straddle a 256-leaf tile, with
// retries (within the batch and of an earlier entry) and rejections mixed in.
#include "ledger/registry/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/merkle.h"
#include "tests/testing/registry_fixture.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

Statement NewFirm(testing::RegistryFixture& f, int n) {
  ParticipantRegister p;
  p.id = "firm-" + std::to_string(n);
  p.name = p.id;
  p.role = Role::kEnterprise;
  p.keys = {{"k1", testing::TestKey(5000 + n).public_key()}};
  return f.Make("registry", p);
}

// Holds the writer thread inside on_batch after a one-entry "gate" batch while the test
// queues the next batch, so that each batch has exactly the entries queued for it.
class Gate {
 public:
  void OnBatch() {
    std::unique_lock<std::mutex> l(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(l, [this] { return open_; });
    open_ = false;
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return entered_; });
    entered_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

TEST(GroupCommitTest, EveryReceiptOfABatchIsThePerEntryProofAndVerifies) {
  testing::RegistryFixture f;
  f.SetSync(false);
  int next = 0;
  // A log just below a tile's edge (256), so that the batches below straddle it.
  std::vector<Submission> fill;
  while (f.registry().ledger().size() + fill.size() < 250) {
    fill.push_back(f.Sign(NewFirm(f, next++), {"registry"}));
  }
  ASSERT_OK(f.registry().Submit(fill));
  const Submission earlier = fill[0];  // logged before the batches below

  Gate gate;
  std::vector<std::size_t> batch_sizes;  // written by the writer thread, read after Stop
  GroupCommitOptions options;
  options.on_batch = [&](std::size_t batch, std::uint64_t, double) {
    batch_sizes.push_back(batch);
    if (batch == 1) gate.OnBatch();
  };
  GroupCommitter committer(f.registry(), options);
  std::mutex mu;
  std::vector<StatusOr<CommitResult>> results;  // guarded by mu
  auto done = [&](StatusOr<CommitResult> r) {
    std::lock_guard<std::mutex> l(mu);
    results.push_back(std::move(r));
  };
  std::size_t expected = 0;
  for (std::size_t n : std::vector<std::size_t>{2, 3, 7, 64, 2, 100, 5}) {
    committer.Enqueue(f.Sign(NewFirm(f, next++), {"registry"}), done);  // the gate batch
    gate.WaitEntered();
    std::vector<Submission> batch;
    for (std::size_t i = 0; i < n; ++i) batch.push_back(f.Sign(NewFirm(f, next++), {"registry"}));
    if (n == 7) {
      batch.push_back(batch[1]);  // a retry of an entry of the same batch
      batch.push_back(earlier);   // a retry of an entry before the batch
      batch.push_back(f.Sign(NewFirm(f, next - 1), {"registry"}));  // a second registration
    }
    for (Submission& s : batch) committer.Enqueue(std::move(s), done);
    expected += 1 + batch.size();
    gate.Open();
    // The writer takes all of it as one batch before the next gate is queued.
    while (committer.queue_depth() != 0) std::this_thread::yield();
  }
  committer.Enqueue(f.Sign(NewFirm(f, next++), {"registry"}), done);
  gate.WaitEntered();
  gate.Open();
  committer.Stop();
  ++expected;

  EXPECT_EQ(batch_sizes,
            (std::vector<std::size_t>{1, 2, 1, 3, 1, 10, 1, 64, 1, 2, 1, 100, 1, 5, 1}));
  ASSERT_EQ(results.size(), expected);
  const Ledger& ledger = f.registry().ledger();
  int logged = 0;
  int kinds[3] = {0, 0, 0};
  for (const StatusOr<CommitResult>& r : results) {
    ASSERT_OK(r);
    auto cp = OpenCheckpoint(r->signed_checkpoint, ledger.verifier());
    ASSERT_OK(cp);
    ASSERT_EQ(cp->size, r->tree_size);
    if (r->outcome.kind == OutcomeKind::kRejected) {
      EXPECT_TRUE(r->inclusion_proof.empty());
      ++kinds[2];
      continue;
    }
    ++kinds[r->outcome.kind == OutcomeKind::kReplayed ? 1 : 0];
    auto one = ledger.ProveInclusion(r->outcome.index, r->tree_size);
    ASSERT_OK(one);
    EXPECT_EQ(r->inclusion_proof, *one) << r->outcome.index << " in " << r->tree_size;
    EXPECT_OK(VerifyInclusion(r->outcome.index, r->tree_size, LeafHash(AsBytes(r->outcome.leaf)),
                              r->inclusion_proof, cp->root));
    ++logged;
  }
  EXPECT_EQ(kinds[1], 2);  // the two retries
  EXPECT_GE(kinds[0] + kinds[2], static_cast<int>(expected) - 2);
  EXPECT_GT(logged, 180);
  EXPECT_OK(ledger.Verify());
}

}  // namespace
}  // namespace ipledger
