#include "api/server/read_cache.h"

#include <algorithm>
#include <utility>

#include "crypto/bytes.h"

namespace ipledger::api {

std::size_t AnswerCache::Size(const std::string& key, const Response& r) {
  std::size_t n = key.size() + r.Body().size() + r.content_type.size() + 128;
  for (const auto& [name, value] : r.headers) n += name.size() + value.size();
  return n;
}

std::optional<Response> AnswerCache::Find(const std::string& key, std::uint64_t epoch) {
  std::shared_ptr<const Response> cached;
  {
    MutexLock l(&mu_);
    if (epoch == epoch_) {
      auto it = answers_.find(key);
      if (it != answers_.end()) cached = it->second;
    }
  }
  if (cached == nullptr) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  Response r;
  r.status = cached->status;
  r.content_type = cached->content_type;
  r.headers = cached->headers;
  r.route = cached->route;
  r.caller = cached->caller;
  // Aliasing: shares the cached answer's ownership, points at its body.
  r.shared_body = std::shared_ptr<const std::string>(
      cached, cached->shared_body ? cached->shared_body.get() : &cached->body);
  return r;
}

void AnswerCache::Store(const std::string& key, std::uint64_t epoch, const Response& r) {
  if (r.status != 200) return;
  const std::size_t size = Size(key, r);
  if (size > max_bytes_ || max_entries_ == 0) return;
  auto stored = std::make_shared<const Response>(r);  // copied outside the lock
  MutexLock l(&mu_);
  if (epoch < epoch_) return;  // built from older state than what is cached now
  if (epoch > epoch_) {        // every cached answer is of an older state: none can hit
    answers_.clear();
    order_.clear();
    bytes_ = 0;
    epoch_ = epoch;
  }
  if (answers_.contains(key)) return;
  while (!order_.empty() && (answers_.size() >= max_entries_ || bytes_ + size > max_bytes_)) {
    auto it = answers_.find(order_.front());
    bytes_ -= Size(it->first, *it->second);
    answers_.erase(it);
    order_.pop_front();
  }
  answers_.emplace(key, std::move(stored));
  order_.push_back(key);
  bytes_ += size;
}

std::size_t AnswerCache::size() const {
  MutexLock l(&mu_);
  return answers_.size();
}

std::size_t AnswerCache::bytes() const {
  MutexLock l(&mu_);
  return bytes_;
}

bool SignatureCache::Verify(const PublicKey& key, std::string_view base, const Signature& signature,
                            std::int64_t valid_until, std::int64_t now, bool* hit) {
  if (hit) *hit = false;
  std::string k;
  k.reserve(key.size() + signature.size() + base.size());
  k.append(reinterpret_cast<const char*>(key.data()), key.size());
  k.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  k.append(base);
  {
    MutexLock l(&mu_);
    auto it = verified_.find(k);
    if (it != verified_.end() && now <= it->second) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      if (hit) *hit = true;
      return true;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (!ipledger::Verify(key, AsBytes(base), signature)) return false;
  if (max_entries_ == 0) return true;
  MutexLock l(&mu_);
  auto [it, inserted] = verified_.try_emplace(k, valid_until);
  if (!inserted) {
    it->second = std::max(it->second, valid_until);
    return true;
  }
  order_.push_back(std::move(k));
  while (verified_.size() > max_entries_) {
    verified_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

std::size_t SignatureCache::size() const {
  MutexLock l(&mu_);
  return verified_.size();
}

}  // namespace ipledger::api
