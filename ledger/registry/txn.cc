#include "ledger/registry/txn.h"

#include <set>

namespace ipledger {

std::optional<std::string> Txn::Get(Column c, const std::string& key) {
  auto& o = Overlay(c);
  if (auto it = o.find(key); it != o.end()) return it->second;
  auto v = store_.Get(c, key);
  if (v.ok()) return std::move(*v);
  if (v.status().code() != ErrorCode::kNotFound && error_.ok()) error_ = v.status();
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> Txn::Last(Column c, const std::string& lo,
                                                             const std::string& hi) {
  std::optional<std::pair<std::string, std::string>> best;
  auto stored = store_.LastInRange(c, lo, hi);
  if (!stored.ok()) {
    if (error_.ok()) error_ = stored.status();
  } else {
    best = std::move(*stored);
  }
  auto& o = Overlay(c);
  auto it = o.upper_bound(hi);
  if (it != o.begin()) {
    --it;
    if (it->first >= lo && (!best || it->first >= best->first)) best.emplace(it->first, it->second);
  }
  return best;
}

std::vector<std::string> Txn::KeysWithPrefix(Column c, const std::string& prefix) {
  std::set<std::string> keys;
  Status s = store_.Scan(c, prefix, PrefixEnd(prefix), [&](std::string_view k, std::string_view) {
    keys.emplace(k);
    return true;
  });
  if (!s.ok() && error_.ok()) error_ = s;
  auto& o = Overlay(c);
  for (auto it = o.lower_bound(prefix); it != o.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    keys.insert(it->first);
  }
  return {keys.begin(), keys.end()};
}

void Txn::Put(Column c, const std::string& key, const std::string& value) {
  Overlay(c)[key] = value;
  writes_.Put(c, key, value);
}

std::optional<std::pair<std::string, std::string>> Txn::LatestCached(const std::string& prefix) {
  auto it = state_overlay_.lower_bound(prefix);
  std::optional<std::pair<std::string, std::string>> own;
  for (; it != state_overlay_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    own.emplace(it->first, it->second);
  }
  if (own) return own;
  if (auto c = latest_cache_->find(prefix); c != latest_cache_->end()) {
    if (!c->second) return std::nullopt;
    return std::make_pair(prefix, *c->second);
  }
  auto stored = store_.LastInRange(Column::kState, prefix + EncodeFixed64BE(0),
                                   prefix + EncodeFixed64BE(kLatestIndex));
  if (!stored.ok()) {
    if (error_.ok()) error_ = stored.status();
    return std::nullopt;
  }
  std::optional<std::string> value;
  if (*stored) value = (*stored)->second;
  latest_cache_->emplace(prefix, std::move(value));
  return std::move(*stored);
}

void Txn::PublishToCache(std::size_t limit) {
  if (latest_cache_ == nullptr) return;
  if (latest_cache_->size() + state_overlay_.size() > limit) latest_cache_->clear();
  for (const auto& [key, value] : state_overlay_) {
    (*latest_cache_)[std::string(RecordPrefixOfKey(key))] = value;
  }
}

}  // namespace ipledger
