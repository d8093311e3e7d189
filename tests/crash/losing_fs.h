// LosingFileSystem: a RocksDB FileSystem that simulates a power cut on SIGKILL, for the
// crash test (style.md C.6: RocksDB's own seams, not new interfaces).
//
// SIGKILL alone loses nothing a process wrote: the OS page cache survives it, so a
// missing fsync would go unnoticed. Here every writable file keeps what is appended to
// it in this process's memory and writes it to the real file (pwrite, then fdatasync or
// fsync) only on Sync or Fsync; a killed process therefore loses exactly the bytes it
// did not sync, as a power cut would. Flush and RangeSync make nothing durable (they
// only move bytes towards the page cache). Close writes the unsynced bytes too, since a
// clean close is not a crash (a real kernel would keep them after a SIGKILL as well).
//
// What it does not simulate: directory entries (creation, rename and deletion of files
// take effect at once, as if every directory were fsynced) and torn sectors. Renames
// move the real file, so a file renamed before its Sync keeps only what was synced.
// GetFileSize of an open file is the bytes written so far plus the bytes buffered.
// Direct I/O rewrites of already written bytes (PositionedAppend below the written
// size) are refused with NotSupported; ipledger uses buffered I/O.
//
// Thread-safe: each file guards its buffer with a mutex.
#pragma once

#include <memory>

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ipledger::testing {

class LosingFileSystem {
 public:
  LosingFileSystem();
  ~LosingFileSystem();
  LosingFileSystem(const LosingFileSystem&) = delete;
  LosingFileSystem& operator=(const LosingFileSystem&) = delete;

  // The Env to pass in LedgerOptions/StoreOptions; owned by this object, which must
  // outlive every database opened with it.
  rocksdb::Env* env() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger::testing
