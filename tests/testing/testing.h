// Test fixtures shared by every test binary: temporary directories, the shared
// vectors folder, fixed keys and Status assertions.
//
// Thread-compatible; each test owns its fixtures.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "crypto/keys.h"
#include "ledger/base/status.h"

// EXPECT_OK(status_or_statusor) << "context"; ASSERT_OK likewise.
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::ipledger::testing::IsOk, expr)
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::ipledger::testing::IsOk, expr)

namespace ipledger::testing {

inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const StatusOr<T>& s) {
  return s.status();
}

template <typename T>
::testing::AssertionResult IsOk(const char* expr, const T& value) {
  const Status& s = AsStatus(value);
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " is " << s.ToString();
}

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// tests/ (SharedDir() / "vectors/x" is VectorsDir() / "x"; tests/testing/vectors.h).
std::filesystem::path SharedDir();

// Reads a whole file; fails the current test if it cannot.
std::string ReadFileOrDie(const std::filesystem::path& p);

// Opens the RocksDB database in `db_dir` directly (bypassing ipledger, as a failing disk
// or a tampering operator would), applies `mutate` to the value of the first key of
// column family `cf` for which `pick` is true, and writes it back. Returns the key (empty
// if none matched).
std::string MutateStored(const std::string& db_dir, const std::string& cf,
                         const std::function<bool(std::string_view key)>& pick,
                         const std::function<void(std::string* value)>& mutate);

// Changes one character of the first signature of the stored envelope of entry `index`
// (MutateStored on column `envelopes`): its hash then no longer matches its leaf. False
// if there is no such envelope.
bool BreakStoredSignature(const std::string& db_dir, std::uint64_t index);

// Opens the RocksDB database in `db_dir` directly and sets `key` of column family `cf`
// to `value`, or deletes it if `value` is nullopt (a lost or planted record).
void OverwriteStored(const std::string& db_dir, const std::string& cf, const std::string& key,
                     const std::optional<std::string>& value);

// A deterministic signing key derived from `n` (seed = SHA-256("test key <n>")).
SigningKey TestKey(int n);

// The C2SP cosignature/v1 vkey (type 0x04) of TestKey(seed) as the witness `name`.
std::string TestWitnessVkey(const std::string& name, int seed);

}  // namespace ipledger::testing
