#include "ledger/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ipledger {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_sink_mu;
std::function<void(std::string_view)>& Sink() {
  static auto* sink = new std::function<void(std::string_view)>();
  return *sink;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;                   // overlong
  if (n == 3 && c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
  if (n == 3 && c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90))) {
    return 0;
  }
  return n;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  const std::string s = buf;
  // JSON has no inf or nan.
  return s.find_first_of("in") == std::string::npos ? s : "null";
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void SetLogSink(std::function<void(std::string_view line)> sink) {
  std::lock_guard<std::mutex> l(g_sink_mu);
  Sink() = std::move(sink);
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out + "\"";
}

LogField::LogField(std::string_view k, std::string_view v) : key(k), json(JsonString(v)) {}
LogField::LogField(std::string_view k, const char* v) : LogField(k, std::string_view(v)) {}
LogField::LogField(std::string_view k, const std::string& v) : LogField(k, std::string_view(v)) {}
LogField::LogField(std::string_view k, std::int64_t v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, std::uint64_t v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, int v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, unsigned v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, long long v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, unsigned long long v) : key(k), json(std::to_string(v)) {}
LogField::LogField(std::string_view k, double v) : key(k), json(Number(v)) {}
LogField::LogField(std::string_view k, bool v) : key(k), json(v ? "true" : "false") {}

std::string FormatLogLine(std::int64_t unix_ms, LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char ts[48];
  std::snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  std::string line = "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":\"";
  line += LogLevelName(level);
  line += "\",\"msg\":" + JsonString(msg);
  for (const LogField& f : fields) {
    if (f.key == "ts" || f.key == "level" || f.key == "msg") continue;  // never twice
    line += "," + JsonString(f.key) + ":" + f.json;
  }
  return line + "}";
}

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  WriteLogLine(FormatLogLine(now, level, msg, fields));
}

void WriteLogLine(std::string_view line) {
  std::lock_guard<std::mutex> l(g_sink_mu);
  if (Sink()) {
    Sink()(line);
    return;
  }
  const std::string out = std::string(line) + "\n";
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace ipledger
