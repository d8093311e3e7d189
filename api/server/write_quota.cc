// The per-participant token buckets (api/server/write_quota.h).
#include "api/server/write_quota.h"

#include <algorithm>
#include <cmath>

namespace ipledger::api {

std::int64_t WriteQuota::Take(const std::string& participant,
                              std::chrono::steady_clock::time_point now) {
  if (per_minute_ == 0) return 0;
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  std::lock_guard<std::mutex> l(mu_);
  auto [it, inserted] = buckets_.try_emplace(participant, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(capacity, b.tokens + std::max(0.0, elapsed) * per_second);
    b.at = std::max(b.at, now);
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / per_second)));
}

}  // namespace ipledger::api
