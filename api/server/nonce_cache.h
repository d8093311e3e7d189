// NonceCache: the RFC 9421 `nonce` values seen inside the signature window (api.md §8,
// v1.1): a nonce seen again for the same key while its first signature could still be
// accepted is a replay, refused with 401.
//
// Each entry is kept until `created + window` of its signature has passed (after that a
// replay fails the `created` check anyway), so memory is bounded by the signed requests
// of one window; beyond `max_entries` live entries new nonces are refused too (the
// caller retries later) rather than forgetting live ones.
//
// Thread-safe: Insert may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "ledger/base/mutex.h"

namespace ipledger::api {

class NonceCache {
 public:
  explicit NonceCache(std::size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

  enum class Result { kFresh, kReplay, kFull };
  // Records (keyid, nonce) until `keep_until` (UNIX seconds), forgetting entries whose
  // time is before `now`. kReplay if it is already recorded; kFull if the cache holds
  // max_entries live entries.
  Result Insert(const std::string& keyid, const std::string& nonce, std::int64_t keep_until,
                std::int64_t now) EXCLUDES(mu_);

 private:
  const std::size_t max_entries_;
  Mutex mu_;
  std::set<std::pair<std::string, std::string>> seen_ GUARDED_BY(mu_);
  std::multimap<std::int64_t, std::pair<std::string, std::string>> by_time_ GUARDED_BY(mu_);
};

}  // namespace ipledger::api
