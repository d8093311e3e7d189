// GroupCommitter: the single writer thread in front of a Registry.
//
// Callers enqueue submissions from any thread; the writer drains everything queued
// (bounded by count and bytes) into one Registry::Submit — one WriteBatch, one fsync,
// one signed checkpoint — and hands the batch to the completion thread, which completes
// every waiting caller with its outcome, the checkpoint covering the batch and, for
// logged entries, the inclusion proof against it (group commit, design.md principle 5;
// the proofs of a batch's new entries are computed together, the hashes above the batch
// once for all of them),
// while the writer already sequences the next batch. Completions run on the completion
// thread, in batch order, and should be quick. After a failed write every later
// submission completes with kUnavailable (the registry is read-only until restart).
//
// Thread-safety: Enqueue may be called from any thread; Stop is idempotent.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/registry/registry.h"

namespace ipledger {

struct CommitResult {
  SubmitOutcome outcome;
  std::uint64_t tree_size = 0;          // size of `signed_checkpoint`
  std::string signed_checkpoint;        // the head right after this batch
  std::vector<Digest> inclusion_proof;  // of outcome.index in tree_size (logged outcomes)
};

struct GroupCommitOptions {
  // Largest batch. Default: 1024 submissions.
  std::size_t max_batch = 1024;
  // Largest batch in envelope bytes. Default: 8 MiB.
  std::size_t max_batch_bytes = 8 << 20;
  // Largest queue; Enqueue beyond it completes at once with kUnavailable ("overloaded",
  // HTTP 429). Default: 16384.
  std::size_t max_queue = 16384;
  // Called after each committed batch with its size and the new tree size. Default: none.
  std::function<void(std::size_t batch, std::uint64_t tree_size, double seconds)> on_batch;
};

class GroupCommitter {
 public:
  using Done = std::function<void(StatusOr<CommitResult>)>;

  // Starts the writer thread. `registry` must outlive this object.
  GroupCommitter(Registry& registry, GroupCommitOptions options);
  ~GroupCommitter();  // Stop()
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `s`; `done` runs exactly once, on the completion thread (or here, on the
  // caller's thread, if refused at once: kUnavailable when stopped or overloaded).
  void Enqueue(Submission s, Done done) EXCLUDES(mu_);

  // Finishes the batch in flight and everything queued, then stops both threads.
  void Stop() EXCLUDES(mu_, join_mu_, done_mu_);

  // Submissions queued and not yet taken into a batch (for the queue-depth gauge).
  std::size_t queue_depth() EXCLUDES(mu_);

 private:
  struct Item {
    Submission submission;
    Done done;
  };
  // A durable batch (or a failed one) whose callers are still to be completed.
  struct Committed {
    std::vector<Done> done;
    StatusOr<std::vector<SubmitOutcome>> outcomes;
    Head head;
    std::uint64_t first = 0;  // the tree size before this batch
  };
  // The inclusion proofs of the batch's new leaves [c.first, head size), computed
  // together (Ledger::ProveInclusionOfLast) from their leaf hashes; empty if the batch
  // appended nothing.
  StatusOr<std::vector<std::vector<Digest>>> BatchProofs(const Committed& c) const;
  void Run() EXCLUDES(mu_, done_mu_);  // the writer thread
  void Complete() EXCLUDES(done_mu_);  // the completion thread

  Registry& registry_;
  const GroupCommitOptions options_;
  Mutex mu_;
  std::condition_variable_any cv_;  // signals queue_ and stopping_
  std::deque<Item> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  Mutex join_mu_;  // serializes the joins in Stop

  Mutex done_mu_;
  std::condition_variable_any done_cv_;  // signals committed_ and writer_done_
  std::deque<Committed> committed_ GUARDED_BY(done_mu_);
  bool writer_done_ GUARDED_BY(done_mu_) = false;
  static constexpr std::size_t kMaxCommittedBatches = 8;  // then the writer waits

  std::thread completer_;
  std::thread thread_;
};

}  // namespace ipledger
