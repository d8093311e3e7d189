// Cosigner: the log's gatherer of witness cosignatures (C2SP tlog-witness client).
//
// A background thread wakes at most every `interval`; when the log has grown past the
// latest cosigned checkpoint it sends the newest signed checkpoint, with a consistency
// proof from the size each witness last cosigned, to every witness of the policy that
// has a URL, all at once, each bounded by `timeout`. A 409 answer carries the witness's
// size (text/x.tlog.size): the request is sent again once from that size. Cosignature
// lines that verify under the policy's keys are added to the checkpoint; when the
// quorum is met, the result is saved in the ledger (Ledger::SaveCosignedCheckpoint,
// durable, served by GET /v1/checkpoints/cosigned). When it is not, the previous
// cosigned checkpoint stays and a log line says which witnesses answered: on the change
// (the first round that misses) and then at most one reminder per `missed_reminder`
// while it keeps missing (QuorumLogThrottle); the next round that meets it says the
// quorum is back. The thread only reads the ledger and writes one meta key: appends
// never wait for a witness.
//
// Thread-safety: construct, Stop and destroy from one thread; stats() from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/log/ledger.h"
#include "ledger/log/witness_policy.h"

namespace ipledger::api {

struct CosignerOptions {
  // Least time between two rounds. Default: 1 s.
  std::chrono::milliseconds interval{1000};
  // Bound on each step (connect, write, read) of one witness request. Default: 2 s.
  std::chrono::milliseconds timeout{2000};
  // Where the JSON log lines go (one line each, no newline). Default: stderr.
  std::function<void(const std::string&)> log;
  // While the quorum keeps being missed, at most one reminder line per this long.
  // Default: 5 minutes.
  std::chrono::milliseconds missed_reminder{5 * 60 * 1000};
  // When set, a round runs only while it answers true (cluster mode: only the leader
  // requests cosignatures). Default: always.
  std::function<bool()> active;
};

// Which log line a round gets: a met round always its "cosigned" line (kRestored when
// rounds missed the quorum before it); a round that misses the quorum a line only on a
// change (met or the first round → missed, or another reason `why`: kMissed) and then
// at most once per `reminder` (kStillMissed), the rounds in between counted in
// suppressed(). Thread-compatible.
class QuorumLogThrottle {
 public:
  enum class Line { kNone, kMet, kRestored, kMissed, kStillMissed };
  explicit QuorumLogThrottle(std::chrono::steady_clock::duration reminder) : reminder_(reminder) {}
  // `why`: what failed, in a form that stays the same while the failure does (the
  // cosigner passes the failing witnesses and their errors without digits).
  Line Next(bool met, std::chrono::steady_clock::time_point now, std::string_view why = {});
  // Rounds that missed the quorum since the last missed line, without a line (read it
  // before Next: a reminder starts the count again).
  std::uint64_t suppressed() const { return suppressed_; }

 private:
  std::chrono::steady_clock::duration reminder_;
  bool missing_ = false;
  std::chrono::steady_clock::time_point last_line_{};
  std::uint64_t suppressed_ = 0;
  std::string why_;
};

struct CosignerStats {
  std::uint64_t rounds = 0;
  std::uint64_t quorum_missed = 0;         // rounds that ended without meeting the quorum
  std::uint64_t cosigned_size = 0;         // size of the latest saved cosigned checkpoint
  std::uint64_t witnesses_last_round = 0;  // cosignatures gathered in the last round
};

class Cosigner {
 public:
  // `ledger` (open for writing) must outlive the Cosigner. Starts the thread.
  Cosigner(const Ledger& ledger, WitnessPolicy policy, CosignerOptions options);
  ~Cosigner();  // Stop()
  Cosigner(const Cosigner&) = delete;
  Cosigner& operator=(const Cosigner&) = delete;

  // Stops the thread (waits for the round in flight, bounded by the timeouts).
  void Stop() EXCLUDES(mu_);

  CosignerStats stats() const EXCLUDES(mu_);

  struct WitnessLink;  // cosigner.cc: one witness, its client and what it last said

 private:
  void Loop() EXCLUDES(mu_);
  void Round() EXCLUDES(mu_);
  void Log(const std::string& line) const;

  const Ledger& ledger_;
  const WitnessPolicy policy_;
  const CosignerOptions options_;
  std::map<std::string, std::unique_ptr<WitnessLink>> links_;  // the Loop thread's only
  QuorumLogThrottle throttle_;                                 // the Loop thread's only

  mutable Mutex mu_;
  std::condition_variable_any wake_;
  bool stop_ GUARDED_BY(mu_) = false;
  CosignerStats stats_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace ipledger::api
