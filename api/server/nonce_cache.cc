#include "api/server/nonce_cache.h"

namespace ipledger::api {

NonceCache::Result NonceCache::Insert(const std::string& keyid, const std::string& nonce,
                                      std::int64_t keep_until, std::int64_t now) {
  MutexLock l(&mu_);
  while (!by_time_.empty() && by_time_.begin()->first < now) {
    seen_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
  auto key = std::make_pair(keyid, nonce);
  if (seen_.contains(key)) return Result::kReplay;
  if (seen_.size() >= max_entries_) return Result::kFull;
  seen_.insert(key);
  by_time_.emplace(keep_until, std::move(key));
  return Result::kFresh;
}

}  // namespace ipledger::api
