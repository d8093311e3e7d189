// Etcd: the few etcd v3 operations a cluster node needs, spoken as JSON over HTTP to
// etcd's gRPC gateway (etcd 3.4: POST /v3/kv/range, /v3/kv/put, /v3/kv/txn,
// /v3/kv/deleterange, /v3/kv/compaction, /v3/lease/grant, /v3/lease/keepalive,
// /v3/lease/revoke; keys and values base64).
//
// Several endpoints may be given (the members of one etcd cluster); a request that
// cannot reach one (transport failure or a 5xx answer) is tried once on each of the
// others. Every failure is a Status: kUnavailable when no member answered or etcd
// refused the request; the outcome of a failed write is then unknown.
//
// Thread-compatible: one Etcd per thread (each holds its own connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/status.h"

namespace ipledger::api {

class Client;

struct EtcdKv {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t lease = 0;
};

struct EtcdTxnResult {
  bool succeeded = false;
  std::int64_t revision = 0;  // the store's revision after the transaction
};

class Etcd {
 public:
  // `endpoints`: "http://HOST:PORT" each. kInvalidArgument on a bad URL or none.
  static StatusOr<std::unique_ptr<Etcd>> Connect(const std::vector<std::string>& endpoints,
                                                 std::chrono::milliseconds timeout);
  ~Etcd();
  Etcd(const Etcd&) = delete;
  Etcd& operator=(const Etcd&) = delete;

  // How a Range is read. kLinearizable (etcd's default) goes through the Raft leader
  // and sees every write committed before it. kSerializable is answered by the member
  // asked, from what it has applied: committed data only, never an uncommitted write,
  // but possibly behind the newest commit; no round to the Raft leader.
  enum class Read { kLinearizable, kSerializable };

  // The keys in [key, range_end) in key order, at most `limit` (0: no limit); with an
  // empty `range_end` just `key`.
  StatusOr<std::vector<EtcdKv>> Range(std::string_view key, std::string_view range_end = {},
                                      std::int64_t limit = 0, Read read = Read::kLinearizable);
  // Puts `key` = `value` (with `lease` unless 0) if `key` does not exist.
  StatusOr<EtcdTxnResult> PutIfAbsent(std::string_view key, std::string_view value,
                                      std::int64_t lease);
  // Puts `key` = `value` only while `guard` holds `guard_value` created at revision
  // `guard_create_revision` and `key` does not exist (the fenced commit).
  StatusOr<EtcdTxnResult> PutIfGuarded(std::string_view guard, std::string_view guard_value,
                                       std::int64_t guard_create_revision, std::string_view key,
                                       std::string_view value);
  // Deletes `key` only while it holds `value` (stepping down); true if it did.
  StatusOr<bool> DeleteIfValue(std::string_view key, std::string_view value);
  // Puts `key` = `value` (attached to `lease` unless 0), whatever it held.
  Status Put(std::string_view key, std::string_view value, std::int64_t lease);
  // Deletes every key in [key, range_end); returns how many. `revision`, if given,
  // receives the store's revision after the deletion.
  StatusOr<std::int64_t> DeleteRange(std::string_view key, std::string_view range_end,
                                     std::int64_t* revision = nullptr);
  // Discards the store's history before `revision` (the space of deleted and
  // overwritten values becomes free for reuse; the current keys are untouched).
  Status Compact(std::int64_t revision);

  // A new lease of `ttl_seconds`; its id.
  StatusOr<std::int64_t> LeaseGrant(std::int64_t ttl_seconds);
  // Renews `lease`; its remaining TTL in seconds (0 or less: it has expired).
  StatusOr<std::int64_t> LeaseKeepAlive(std::int64_t lease);
  Status LeaseRevoke(std::int64_t lease);

  // The end of the range of every key that starts with `prefix` (etcd's prefix rule).
  static std::string PrefixEnd(std::string_view prefix);

 private:
  explicit Etcd(std::vector<std::unique_ptr<Client>> clients);
  // POSTs `body` to `path`, trying each member from the last one that answered; the
  // answer's JSON body text on 200.
  StatusOr<std::string> Post(std::string_view path, const std::string& body);

  std::vector<std::unique_ptr<Client>> clients_;
  std::size_t current_ = 0;
};

}  // namespace ipledger::api
