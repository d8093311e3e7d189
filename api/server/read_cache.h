// Two small bounded caches of the read path (issue #18, item 5):
//
// AnswerCache: encoded 200 answers of the views that are pure functions of the committed
// state, keyed by what the answer depends on (the route, the asset, the query, the
// caller's visibility, the registry's date) and valid for one Registry::write_epoch().
// A batch that becomes visible changes the epoch, so the sequencer's every write
// invalidates every answer: a cached answer is never served after any change to the
// log, hence never after a change to its asset. A handler looks an answer up under the
// epoch it read before building it and stores it only if the epoch is still the same,
// even (no batch was being written) afterwards, so an answer built while a batch became
// visible is never kept. Bounded by entries and by bytes; on a new epoch the old answers
// are dropped at the first store.
//
// SignatureCache: RFC 9421 Ed25519 checks that succeeded, keyed by the exact (public
// key, signature base, signature) and kept until the signature's validity window ends,
// so a repeated signed request skips only the Ed25519 verification. Everything else
// still runs on every request: the key lookup (a revoked key is refused), the created
// and expires checks against the clock, and the nonce replay check after it. Bounded
// by entries (the oldest are dropped first).
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/server/http_types.h"
#include "crypto/keys.h"
#include "ledger/base/mutex.h"

namespace ipledger::api {

class AnswerCache {
 public:
  explicit AnswerCache(std::size_t max_entries = 4096, std::size_t max_bytes = 32 << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The answer stored under `key` in `epoch`, its body shared with the cache (not
  // copied); nullopt if none (a miss is counted).
  std::optional<Response> Find(const std::string& key, std::uint64_t epoch) EXCLUDES(mu_);
  // Stores `r` under `key` for `epoch` if it is a 200 answer that fits; answers of an
  // older epoch are dropped first, the oldest ones when the bounds are reached.
  void Store(const std::string& key, std::uint64_t epoch, const Response& r) EXCLUDES(mu_);

  std::size_t size() const EXCLUDES(mu_);
  std::size_t bytes() const EXCLUDES(mu_);
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static std::size_t Size(const std::string& key, const Response& r);

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable Mutex mu_;
  std::uint64_t epoch_ GUARDED_BY(mu_) = 0;
  // Immutable once stored: a hit takes a reference under the lock and copies only the
  // status and headers outside it.
  std::unordered_map<std::string, std::shared_ptr<const Response>> answers_ GUARDED_BY(mu_);
  std::deque<std::string> order_ GUARDED_BY(mu_);  // keys, oldest first
  std::size_t bytes_ GUARDED_BY(mu_) = 0;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

class SignatureCache {
 public:
  explicit SignatureCache(std::size_t max_entries = 8192) : max_entries_(max_entries) {}

  // Whether `signature` by `key` over `base` verifies: from the cache if this exact
  // triple verified before and `now` is not after its `valid_until`, else by
  // crypto::Verify, remembering a success until `valid_until` (UNIX seconds). `hit`, if
  // given, says which.
  bool Verify(const PublicKey& key, std::string_view base, const Signature& signature,
              std::int64_t valid_until, std::int64_t now, bool* hit = nullptr) EXCLUDES(mu_);

  std::size_t size() const EXCLUDES(mu_);
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  const std::size_t max_entries_;
  mutable Mutex mu_;
  std::unordered_map<std::string, std::int64_t> verified_ GUARDED_BY(mu_);  // -> valid until
  std::deque<std::string> order_ GUARDED_BY(mu_);                           // oldest first
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

// The caches a Router shares among its handlers.
struct ReadCaches {
  AnswerCache answers;
  SignatureCache signatures;
};

}  // namespace ipledger::api
