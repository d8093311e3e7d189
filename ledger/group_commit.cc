#include "ledger/group_commit.h"

#include <chrono>

namespace ipledger {

GroupCommitter::GroupCommitter(Registry& registry, GroupCommitOptions options)
    : registry_(registry), options_(std::move(options)), thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Enqueue(Submission s, Done done) {
  bool stopping = false;
  {
    std::lock_guard<std::mutex> l(mu_);
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
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  // Several threads may call Stop at once: exactly one of them joins.
  std::lock_guard<std::mutex> j(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void GroupCommitter::Run() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
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
    for (Item& item : batch) submissions.push_back(std::move(item.submission));
    const auto start = std::chrono::steady_clock::now();
    auto outcomes = registry_.Submit(submissions);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!outcomes.ok()) {
      for (Item& item : batch) item.done(outcomes.status());
      continue;
    }
    // The writer is the only appender, so the head now is this batch's checkpoint.
    const Head head = registry_.ledger().head();
    if (options_.on_batch) options_.on_batch(batch.size(), head.checkpoint.size, seconds);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      CommitResult r;
      r.outcome = std::move((*outcomes)[i]);
      r.tree_size = head.checkpoint.size;
      r.signed_checkpoint = head.signed_checkpoint;
      if (r.outcome.kind != OutcomeKind::kRejected) {
        auto proof = registry_.ledger().ProveInclusion(r.outcome.index, r.tree_size);
        if (!proof.ok()) {
          batch[i].done(proof.status());
          continue;
        }
        r.inclusion_proof = std::move(*proof);
      }
      batch[i].done(std::move(r));
    }
  }
}

}  // namespace ipledger
