// Txn: the sequencer's view of state while one batch is built (internal to
// ledger/registry; registry.h's users never see it). Reads see the committed store plus
// this batch's earlier writes; writes go to both the overlay and the WriteSet that
// Ledger::Append commits with the leaves, so a batch that fails to append leaves no
// trace.
//
// Thread-safety: none; a Txn lives inside one Registry::Submit or Precheck call, under
// the sequencer mutex, which also guards the `latest` cache it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/base/status.h"
#include "ledger/log/store.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/record.h"
#include "ledger/registry/stats.h"

namespace ipledger {

// The latest committed version of records, by record prefix ("<tag>/<id>\0");
// nullopt = no such record.
using LatestCache = std::unordered_map<std::string, std::optional<std::string>>;

class Txn {
 public:
  // `store` must outlive the Txn. `latest` (may be null): the registry's cache of the
  // latest committed records, read and filled by Load.
  Txn(const Store& store, LatestCache* latest) : store_(store), latest_cache_(latest) {}
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // The value of `key`, this batch's own write first. A storage failure is recorded in
  // error() and reads as absent.
  std::optional<std::string> Get(Column c, const std::string& key);
  // The last key in [lo, hi] and its value, over the store and this batch.
  std::optional<std::pair<std::string, std::string>> Last(Column c, const std::string& lo,
                                                          const std::string& hi);
  // Keys starting with `prefix`, from the store and the overlay, in order.
  std::vector<std::string> KeysWithPrefix(Column c, const std::string& prefix);
  void Put(Column c, const std::string& key, const std::string& value);

  // The record `tag`/`id` as of entry `as_of` (default: latest, including this batch);
  // nullopt if absent or unreadable (then error() says why).
  template <typename R>
  std::optional<R> Load(char tag, std::string_view id, std::uint64_t as_of = kLatestIndex) {
    const std::string prefix = RecordPrefix(tag, id);
    std::optional<std::pair<std::string, std::string>> found;
    if (as_of == kLatestIndex && latest_cache_ != nullptr) {
      found = LatestCached(prefix);
    } else {
      found = Last(Column::kState, prefix + EncodeFixed64BE(0), prefix + EncodeFixed64BE(as_of));
    }
    if (!found) return std::nullopt;
    R r;
    if (Status s = DecodeRecord(found->second, &r); !s.ok()) {
      if (error_.ok())
        error_ = Status::Corruption(s.message() + " at key " + HexEncode(AsBytes(found->first)));
      return std::nullopt;
    }
    return r;
  }

  // Writes the version of record `tag`/`id` made by entry `index`.
  template <typename R>
  void Save(char tag, std::string_view id, std::uint64_t index, const R& r) {
    Put(Column::kState, RecordKey(tag, id, index), EncodeRecord(r));
  }

  // After the batch is durable: its state writes are the latest versions now. Clears
  // the cache first if it would grow past `limit`.
  void PublishToCache(std::size_t limit);

  // The first storage failure while reading; OK if none.
  const Status& error() const { return error_; }
  // What Ledger::Append commits with the leaves.
  const WriteSet& writes() const { return writes_; }
  // The same, for writers of their own columns into the batch (the status map).
  WriteSet* mutable_writes() { return &writes_; }
  // This batch's writes to column `state`, by key.
  const std::map<std::string, std::string>& state_writes() const { return state_overlay_; }
  // Statistics facts of this batch, in log order.
  std::vector<PledgeFact>& facts() { return facts_; }

 private:
  std::map<std::string, std::string>& Overlay(Column c) {
    return c == Column::kState ? state_overlay_ : index_overlay_;
  }
  // The latest version of the record with `prefix`: this batch's own write if any (it
  // is newer than anything committed), else the cache, else the store (then cached).
  std::optional<std::pair<std::string, std::string>> LatestCached(const std::string& prefix);

  const Store& store_;
  LatestCache* const latest_cache_;
  std::map<std::string, std::string> state_overlay_;
  std::map<std::string, std::string> index_overlay_;
  WriteSet writes_;
  Status error_;
  std::vector<PledgeFact> facts_;
};

}  // namespace ipledger
