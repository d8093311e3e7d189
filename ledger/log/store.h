// Store: the one RocksDB database of a ledger, behind a pimpl.
//
// Column families (docs/architecture.md, Storage):
//   leaves     index (u64 BE)               -> leaf bytes
//   envelopes  index (u64 BE)               -> envelope bytes, exactly as received
//   tree       stored-hash index (u64 BE)   -> 32-byte hash (Go tlog numbering)
//   state      registry records (ledger/registry)
//   index      secondary keys (ledger/registry)
//   meta       "format", "origin", "vkey", "size", "checkpoint", "time"
//   map        the status map's versioned nodes (ledger/map/sparse_map.h)
// A database made before a column family existed gets it, empty, at its next writable
// open (a read-only open sees that column as empty).
// Every Write is one WriteBatch with sync=true: it returns only after the batch is
// durable (fsync of the WAL; only the crash test turns this off, StoreOptions.sync).
//
// A store opened read_only is a RocksDB secondary instance, the mechanism RocksDB
// supports for reading a database another process (the server) is writing: it sees
// the state of one moment, the last whole batch the server had written when it was
// opened, and never moves on (see StoreOptions.read_only).
//
// Thread-safe: RocksDB serializes writes; the Ledger above keeps one writer. Columns
// held in memory (StoreOptions::memory_columns) are guarded by a reader-writer lock.
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
class ColumnFamilyHandle;
class DB;
class Env;
class WriteBatch;
}  // namespace rocksdb

namespace ipledger {

enum class Column { kLeaves = 0, kEnvelopes, kTree, kState, kIndex, kMeta, kMap };
inline constexpr int kColumnCount = 7;

// "leaves", "envelopes", ...
std::string_view ColumnName(Column c);

struct StoreOptions {
  // Create the database; fail if one exists. Default: false.
  bool create = false;
  // Open for reading only, as a RocksDB secondary instance (DB::OpenAsSecondary), which
  // is supported while another process (the server) holds the database for writing;
  // DB::OpenForReadOnly is not (RocksDB calls it undefined next to a live writer). The
  // secondary replays the writer's MANIFEST and write-ahead logs once, at Open
  // (TryCatchUpWithPrimary), and never again, so every read through this store sees
  // that one state: a prefix of whole batches, as of Open. (A secondary cannot take
  // snapshots; not catching up again is what keeps the view fixed.) It keeps every
  // table file open (max_open_files = -1), so files the writer's compactions delete
  // stay readable. Its info log goes to a private directory under $TMPDIR, removed on
  // close. Write is kFailedPrecondition. Default: false.
  bool read_only = false;
  // The RocksDB Env (e.g. an in-memory or fault-injecting one); not owned, must outlive
  // the Store. Default: nullptr = rocksdb::Env::Default().
  rocksdb::Env* env = nullptr;
  // Write with sync=true (fsync of the WAL before Write returns). Default: true. false is
  // for the crash test that proves the fsync matters; never use it in production.
  bool sync = true;
  // Columns held in memory instead of RocksDB, as a bit mask of 1 << Column: for replay's
  // throwaway scratch registry, whose derived state (`state`, `index`) is only compared
  // with the stored one and then dropped. Reads and writes of such a column go to an
  // ordered map in this process (Write applies them after the RocksDB batch succeeds);
  // their contents vanish when the store closes. Default: 0 (every column in RocksDB).
  std::uint32_t memory_columns = 0;
};

// The bit of column `c` in StoreOptions::memory_columns.
constexpr std::uint32_t ColumnBit(Column c) { return 1u << static_cast<unsigned>(c); }

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

  // A RocksDB batch for writers that build their own operations against this store's
  // column-family handles (the status map, ledger/map/sparse_map.h, stages its nodes
  // here through Store::raw_handle(Column::kMap)). Store::Write applies its operations
  // in the same atomic write as the rest of the set; Merge carries them over. Owned by
  // this set; created on first use.
  rocksdb::WriteBatch* raw_batch();

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

  // Copies the state this store sees, every column, into a new database in `dir` (with
  // this store's Env), then flushes the copy to table files (synced) and closes it.
  // It only reads this store, so it works on a read-only (secondary) store while a
  // server appends; the copy then holds exactly the state as of this store's Open.
  // (RocksDB's Checkpoint and BackupEngine link or copy the live files by name, which
  // a secondary cannot protect from the writer's deletions, so they are not used.)
  // kAlreadyExists if `dir` holds a database; kUnavailable on an I/O error, after which
  // `dir` holds an incomplete copy that must not be used.
  Status CopyTo(const std::string& dir) const;

  bool read_only() const;

  // The RocksDB database and a column family's handle, for libraries below the
  // registry that keep their own structures in a column (ledger/map). Owned by the
  // store; valid while it is open. raw_handle is nullptr for a column a read-only open
  // did not find (a database made before the column existed).
  rocksdb::DB* raw_db() const;
  rocksdb::ColumnFamilyHandle* raw_handle(Column c) const;

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger
