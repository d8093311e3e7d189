// ClockFile: a clock that the operator of a demo or a test holds back by writing a file
// (`ipledgerd --clock-file FILE`, `ipledger init --clock-file FILE`). Never for a
// production registry: its integrated times would no longer be the time of admission.
//
// While FILE exists and holds one instant, Now() reads that instant, but never later
// than the system clock: the file can hold time back, never push the log into the
// future. When FILE is absent, or holds anything else, Now() is the system clock. FILE
// is re-read at most once per `refresh` (default 100 ms), so a change takes effect within
// that time. The ledger keeps integrated times non-decreasing on top of any clock
// (max(clock, last time)), so moving the file back never moves the log back.
//
// Thread-safe: Now() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/base/mutex.h"

namespace ipledger {

// The instant a clock file holds: RFC 3339 UTC with a 'Z' and 0 to 9 fractional digits
// ("2026-11-20T08:00:00Z", "2026-11-20T08:00:00.250Z"; digits past milliseconds are
// dropped) or a decimal count of milliseconds since the Unix epoch; surrounding ASCII
// whitespace is ignored. nullopt for anything else.
std::optional<std::int64_t> ParseClockText(std::string_view text);

// Milliseconds since the Unix epoch by the system clock.
std::int64_t SystemClockMillis();

struct ClockFileOptions {
  // The real clock, in milliseconds since the epoch. Default: SystemClockMillis.
  std::function<std::int64_t()> system_ms;
  // The file is read again when this much (steady) time has passed since the last read.
  // Default: 100 ms; 0 reads it on every call.
  std::chrono::milliseconds refresh{100};
  // Called (with the clock's lock held; it must not call Now()) whenever what the clock
  // follows changes: the instant of the file, or nullopt with a reason ("FILE is absent",
  // "FILE does not hold an instant") when it follows the system clock. Default: none.
  std::function<void(std::optional<std::int64_t> held, const std::string& why)> on_change;
};

class ClockFile {
 public:
  explicit ClockFile(std::string path, ClockFileOptions options = {});
  ClockFile(const ClockFile&) = delete;
  ClockFile& operator=(const ClockFile&) = delete;

  // min(the file's instant, the system clock), or the system clock without a file.
  std::int64_t Now() EXCLUDES(mu_);

  const std::string& path() const { return path_; }

 private:
  void Reread() REQUIRES(mu_);

  const std::string path_;
  const ClockFileOptions options_;
  Mutex mu_;
  bool read_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point last_read_ GUARDED_BY(mu_);
  std::optional<std::int64_t> held_ GUARDED_BY(mu_);
  std::string why_ GUARDED_BY(mu_);  // what the last read found, for on_change
};

}  // namespace ipledger
