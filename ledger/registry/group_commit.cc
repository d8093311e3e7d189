#include "ledger/registry/group_commit.h"

#include <chrono>
#include <cstdint>
#include <utility>

#include "crypto/bytes.h"
#include "ledger/log/merkle.h"

namespace ipledger {

GroupCommitter::GroupCommitter(Registry& registry, GroupCommitOptions options)
    : registry_(registry),
      options_(std::move(options)),
      completer_([this] { Complete(); }),
      thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

std::size_t GroupCommitter::queue_depth() {
  MutexLock l(&mu_);
  return queue_.size();
}

void GroupCommitter::Enqueue(Submission s, Done done) {
  bool stopping = false;
  {
    MutexLock l(&mu_);
    stopping = stopping_;
    if (!stopping && queue_.size() < options_.max_queue) {
      queue_.push_back({std::move(s), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Status::Unavailable(stopping ? "the registry is shutting down"
                                    : "overloaded: too many submissions queued"));
}

void GroupCommitter::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  // Several threads may call Stop at once: exactly one of them joins. The writer
  // first (it finishes what is queued), then the completer (it drains what is left).
  MutexLock j(&join_mu_);
  if (thread_.joinable()) thread_.join();
  {
    MutexLock l(&done_mu_);
    writer_done_ = true;
    done_cv_.notify_all();
  }
  if (completer_.joinable()) completer_.join();
}

void GroupCommitter::Run() {
  for (;;) {
    std::vector<Item> batch;
    {
      MutexLock l(&mu_);
      while (!stopping_ && queue_.empty()) cv_.wait(mu_);
      if (queue_.empty()) return;  // stopping, and everything queued is done
      std::size_t bytes = 0;
      while (!queue_.empty() && batch.size() < options_.max_batch &&
             (batch.empty() || bytes + queue_.front().submission.envelope_bytes.size() <=
                                   options_.max_batch_bytes)) {
        bytes += queue_.front().submission.envelope_bytes.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<Submission> submissions;
    submissions.reserve(batch.size());
    Committed c;
    c.done.reserve(batch.size());
    for (Item& item : batch) {
      submissions.push_back(std::move(item.submission));
      c.done.push_back(std::move(item.done));
    }
    // The writer is the only appender: the batch's new leaves start here.
    c.first = registry_.ledger().size();
    const auto start = std::chrono::steady_clock::now();
    c.outcomes = registry_.Submit(submissions);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (c.outcomes.ok()) {
      // The writer is the only appender, so the head now is this batch's checkpoint.
      c.head = registry_.ledger().head();
      if (options_.on_batch) options_.on_batch(batch.size(), c.head.checkpoint.size, seconds);
    }
    MutexLock l(&done_mu_);
    while (committed_.size() >= kMaxCommittedBatches) done_cv_.wait(done_mu_);
    committed_.push_back(std::move(c));
    done_cv_.notify_all();
  }
}

StatusOr<std::vector<std::vector<Digest>>> GroupCommitter::BatchProofs(const Committed& c) const {
  const std::uint64_t size = c.head.checkpoint.size;
  if (size <= c.first) return std::vector<std::vector<Digest>>{};
  // The leaf hashes of the batch from the leaves in the outcomes; a leaf no outcome
  // carries (the status map's map.root entry) is read back.
  std::vector<Digest> leaf_hashes(size - c.first);
  std::vector<bool> have(leaf_hashes.size(), false);
  for (const SubmitOutcome& o : *c.outcomes) {
    if (o.kind == OutcomeKind::kRejected || o.index < c.first || o.index >= size) continue;
    const std::uint64_t k = o.index - c.first;
    if (have[k]) continue;
    leaf_hashes[k] = LeafHash(AsBytes(o.leaf));
    have[k] = true;
  }
  for (std::size_t k = 0; k < leaf_hashes.size(); ++k) {
    if (have[k]) continue;
    auto leaf = registry_.ledger().GetLeaf(c.first + k);
    if (!leaf.ok()) return leaf.status();
    leaf_hashes[k] = LeafHash(AsBytes(*leaf));
  }
  return registry_.ledger().ProveInclusionOfLast(leaf_hashes, size);
}

void GroupCommitter::Complete() {
  for (;;) {
    Committed c;
    {
      MutexLock l(&done_mu_);
      while (!writer_done_ && committed_.empty()) done_cv_.wait(done_mu_);
      if (committed_.empty()) return;  // the writer stopped and everything is completed
      c = std::move(committed_.front());
      committed_.pop_front();
      done_cv_.notify_all();
    }
    if (!c.outcomes.ok()) {
      for (Done& done : c.done) done(c.outcomes.status());
      continue;
    }
    auto batch_proofs = BatchProofs(c);
    if (!batch_proofs.ok()) {
      for (Done& done : c.done) done(batch_proofs.status());
      continue;
    }
    for (std::size_t i = 0; i < c.done.size(); ++i) {
      CommitResult r;
      r.outcome = std::move((*c.outcomes)[i]);
      r.tree_size = c.head.checkpoint.size;
      r.signed_checkpoint = c.head.signed_checkpoint;
      if (r.outcome.kind != OutcomeKind::kRejected) {
        const std::uint64_t index = r.outcome.index;
        if (index >= c.first && index - c.first < batch_proofs->size()) {
          // A copy: a retry within the batch names the same index.
          r.inclusion_proof = (*batch_proofs)[index - c.first];
          c.done[i](std::move(r));
          continue;
        }
        // An earlier entry (an idempotent retry of one logged before this batch).
        auto proof = registry_.ledger().ProveInclusion(index, r.tree_size);
        if (!proof.ok()) {
          c.done[i](proof.status());
          continue;
        }
        r.inclusion_proof = std::move(*proof);
      }
      c.done[i](std::move(r));
    }
  }
}

}  // namespace ipledger
