// Test fixtures shared by every test binary: temporary directories, the shared
// vectors folder, fixed keys and Status assertions.
//
// Thread-compatible; each test owns its fixtures.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "crypto/keys.h"
#include "ledger/status.h"

#define EXPECT_OK(expr)                                             \
  do {                                                              \
    const ::ipledger::Status _s = ::ipledger::testing::AsStatus(expr); \
    EXPECT_TRUE(_s.ok()) << _s.ToString();                          \
  } while (0)
#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const ::ipledger::Status _s = ::ipledger::testing::AsStatus(expr); \
    ASSERT_TRUE(_s.ok()) << _s.ToString();                          \
  } while (0)

namespace ipledger::testing {

inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
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

// The ../shared folder (vectors/, conformance/); $IPLEDGER_SHARED overrides it.
std::filesystem::path SharedDir();

// Reads a whole file; fails the current test if it cannot.
std::string ReadFileOrDie(const std::filesystem::path& p);

// A deterministic signing key derived from `n` (seed = SHA-256("test key <n>")).
SigningKey TestKey(int n);

}  // namespace ipledger::testing
