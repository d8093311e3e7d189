// FaultFileSystem: a RocksDB FileSystem that fails chosen operations on demand, for
// storage fault tests (style.md C.6: RocksDB's own seams, not new interfaces).
//
// Arm it with the operation to fail; every later such operation fails with an
// IOError until it is disarmed. Thread-safe (the flags are atomic).
#pragma once

#include <atomic>
#include <memory>

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ipledger::testing {

class FaultFileSystem {
 public:
  // kNoSpace fails appends the way a full disk does (IOStatus::NoSpace).
  enum Op : unsigned { kSync = 1, kAppend = 2, kRename = 4, kNoSpace = 8 };

  FaultFileSystem();
  ~FaultFileSystem();

  // The Env to pass in LedgerOptions/StoreOptions; owned by this object.
  rocksdb::Env* env() const;

  // Makes every later operation in `ops` (a bit set of Op) fail.
  void Fail(unsigned ops) { failing_.store(ops); }
  void Heal() { failing_.store(0); }
  bool failing(Op op) const { return (failing_.load() & op) != 0; }
  // Number of operations that were failed.
  int injected() const { return injected_.load(); }
  void CountInjection() { injected_.fetch_add(1); }

 private:
  std::atomic<unsigned> failing_{0};
  std::atomic<int> injected_{0};
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger::testing
