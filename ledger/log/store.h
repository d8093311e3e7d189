// Store: the one RocksDB database of a ledger, behind a pimpl.
//
// Column families (design.md, Storage):
//   leaves     index (u64 BE)               -> leaf bytes
//   envelopes  SHA-256 of envelope (32 B)   -> envelope bytes, exactly as received
//   tree       stored-hash index (u64 BE)   -> 32-byte hash (Go tlog numbering)
//   state      registry records (issue 3)
//   index      secondary keys (issue 3)
//   meta       "format", "origin", "vkey", "size", "checkpoint", "time"
// Every Write is one WriteBatch with sync=true: it returns only after the batch is
// durable (fsync of the WAL; only the crash test turns this off, StoreOptions.sync).
// Thread-safe: RocksDB serializes writes; the Ledger above keeps one writer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/base/status.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ipledger {

enum class Column { kLeaves = 0, kEnvelopes, kTree, kState, kIndex, kMeta };
inline constexpr int kColumnCount = 6;

// "leaves", "envelopes", ...
std::string_view ColumnName(Column c);

struct StoreOptions {
  // Create the database; fail if one exists. Default: false.
  bool create = false;
  // Open with DB::OpenForReadOnly (allowed while another process writes). Default: false.
  bool read_only = false;
  // The RocksDB Env (e.g. an in-memory or fault-injecting one); not owned, must outlive
  // the Store. Default: nullptr = rocksdb::Env::Default().
  rocksdb::Env* env = nullptr;
  // Write with sync=true (fsync of the WAL before Write returns). Default: true. false is
  // for the crash test that proves the fsync matters; never use it in production.
  bool sync = true;
};

// A set of puts applied atomically by Store::Write.
class WriteSet {
 public:
  WriteSet();
  ~WriteSet();
  WriteSet(WriteSet&&) noexcept;
  WriteSet& operator=(WriteSet&&) noexcept;

  void Put(Column c, std::string_view key, std::string_view value);
  void Delete(Column c, std::string_view key);
  // Appends every operation of `other`, in order.
  void Merge(const WriteSet& other);
  // Approximate size in bytes.
  size_t ByteSize() const;

 private:
  friend class Store;
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

class Store {
 public:
  // Opens (or with options.create, creates) the database in `dir`.
  // kAlreadyExists if creating over an existing database; kNotFound if opening a
  // directory that holds none; kUnavailable if another process holds it for writing;
  // kCorruption if RocksDB finds damage.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);

  ~Store();  // closes the database, logging a failed Close() to stderr
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies `writes` atomically and durably (sync=true). On any failure the outcome is
  // unknown (style.md B.7): kUnavailable, and the caller must stop writing.
  Status Write(WriteSet& writes);

  // The value at `key`; kNotFound if absent, kCorruption if unreadable.
  StatusOr<std::string> Get(Column c, std::string_view key) const;

  // Values of `keys` in order; kNotFound naming the first missing key (hex).
  Status MultiGet(Column c, std::span<const std::string> keys,
                  std::vector<std::string>* values) const;

  // Calls `fn(key, value)` for keys in [start, end) in order (end empty = to the end)
  // until it returns false. kCorruption if iteration fails. A bulk scan (a full check
  // of the log) reads ahead and leaves the block cache to the server's working set.
  enum class ScanMode { kNormal, kBulk };
  Status Scan(Column c, std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn,
              ScanMode mode = ScanMode::kNormal) const;

  // The last key/value in [lower, upper] (bytewise), or nullopt if none.
  StatusOr<std::optional<std::pair<std::string, std::string>>> LastInRange(
      Column c, std::string_view lower, std::string_view upper) const;

  // Writes a consistent copy of the database to `dir` (which must not exist) with
  // RocksDB's Checkpoint: hard links to the immutable table files plus copies of the
  // rest. Works on a read-only store, so a backup can be taken while a server writes;
  // the copy then holds the state as of this store's opening. kAlreadyExists if `dir`
  // exists; kUnavailable on an I/O error.
  Status Checkpoint(const std::string& dir) const;

  bool read_only() const;

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger
