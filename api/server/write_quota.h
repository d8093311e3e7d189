// WriteQuota: a token bucket per participant for POST /v1/entries, so that no single
// participant can grow the log (refused statements are logged too) without limit.
//
// Each participant's bucket holds up to `per_minute` tokens, starts full and refills at
// per_minute / 60 tokens per second; a write takes one. The router charges the
// submitter of an envelope once its signature has verified, so nobody can spend
// another participant's quota. Buckets live in memory only: a restart refills them.
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ipledger::api {

class WriteQuota {
 public:
  // `per_minute` 0 disables the quota (every Take succeeds).
  explicit WriteQuota(std::uint32_t per_minute) : per_minute_(per_minute) {}

  // Takes one token from `participant`'s bucket at `now`. Returns 0 if it was taken,
  // else the whole seconds (at least 1) until one will be there, for Retry-After.
  std::int64_t Take(const std::string& participant,
                    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  std::uint32_t per_minute() const { return per_minute_; }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  const std::uint32_t per_minute_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace ipledger::api
