#include "tools/clock_file.h"

#include <algorithm>
#include <utility>

#include "ledger/log/entry.h"
#include "tools/key_file.h"

namespace ipledger {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Clock files are tiny; anything longer is not one.
constexpr std::size_t kMaxClockText = 64;

}  // namespace

std::optional<std::int64_t> ParseClockText(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxClockText) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), IsDigit)) {
    if (text.size() > 15) return std::nullopt;  // past the year 33658: not a clock
    std::int64_t ms = 0;
    for (char c : text) ms = ms * 10 + (c - '0');
    return ms;
  }
  // "YYYY-MM-DDTHH:MM:SS" [ "." 1*9DIGIT ] "Z", made into ParseInstant's exact form.
  constexpr std::size_t kSeconds = 19;
  if (text.size() < kSeconds + 1 || text.back() != 'Z') return std::nullopt;
  std::string fraction(text.substr(kSeconds, text.size() - kSeconds - 1));
  if (!fraction.empty()) {
    if (fraction[0] != '.' || fraction.size() < 2 || fraction.size() > 10 ||
        !std::all_of(fraction.begin() + 1, fraction.end(), IsDigit)) {
      return std::nullopt;
    }
    fraction.erase(0, 1);
  }
  fraction.resize(3, '0');  // pads or drops digits past milliseconds
  auto ms = ParseInstant(std::string(text.substr(0, kSeconds)) + "." + fraction + "Z");
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

std::int64_t SystemClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ClockFile::ClockFile(std::string path, ClockFileOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

std::int64_t ClockFile::Now() {
  const std::int64_t system = options_.system_ms ? options_.system_ms() : SystemClockMillis();
  std::optional<std::int64_t> held;
  {
    MutexLock l(&mu_);
    if (!read_ || std::chrono::steady_clock::now() - last_read_ >= options_.refresh) Reread();
    held = held_;
  }
  return held ? std::min(*held, system) : system;
}

void ClockFile::Reread() {
  read_ = true;
  last_read_ = std::chrono::steady_clock::now();
  std::optional<std::int64_t> held;
  std::string why;
  auto text = ReadWholeFile(path_);
  if (!text.ok()) {
    why = path_ + (text.status().code() == ErrorCode::kNotFound
                       ? " is absent"
                       : " cannot be read: " + text.status().message());
  } else if (held = ParseClockText(*text); !held) {
    why = path_ + " does not hold an RFC 3339 UTC time or integer milliseconds";
  } else {
    why = path_ + " holds " + FormatInstant(*held);
  }
  if (held != held_ || why != why_) {
    held_ = held;
    why_ = why;
    if (options_.on_change) options_.on_change(held_, why_);
  }
}

}  // namespace ipledger
