#include "ledger/base/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

namespace ipledger {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_sink_mu;
// Lines waiting for stderr, and whether a thread is writing them (both under g_sink_mu).
std::string& Pending() {
  static auto* pending = new std::string();
  return *pending;
}
bool g_writing = false;

// Writes all of `bytes` to stderr; gives up if stderr is closed or broken (a log line
// has nowhere better to go).
void WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

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
  // JSON has no inf or nan.
  if (!std::isfinite(v)) return "null";
  char buf[32];
  // As printf's "%.6g" (the C++ standard defines to_chars so), without the locale.
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 6);
  return ec == std::errc() ? std::string(buf, end) : "null";
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

namespace {

// Bytes JsonString copies as they are: printable ASCII but the quote and the backslash.
bool Plain(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; }

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    std::size_t run = i;
    while (run < s.size() && Plain(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.substr(i, run - i));
    i = run;
    if (i == s.size()) break;
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
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
}

// `v` as `width` decimal digits, zero-padded.
void AppendDigits(std::string& out, int v, int width) {
  char buf[8];
  for (int k = width - 1; k >= 0; --k) {
    buf[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(out, s);
  return out;
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
  std::size_t size = 64 + msg.size();
  for (const LogField& f : fields) size += f.key.size() + f.json.size() + 4;
  std::string line;
  line.reserve(size);
  line += "{\"ts\":\"";
  const int year = tm.tm_year + 1900;
  if (year >= 0 && year <= 9999) {
    AppendDigits(line, year, 4);
  } else {
    line += std::to_string(year);
  }
  line += '-';
  AppendDigits(line, tm.tm_mon + 1, 2);
  line += '-';
  AppendDigits(line, tm.tm_mday, 2);
  line += 'T';
  AppendDigits(line, tm.tm_hour, 2);
  line += ':';
  AppendDigits(line, tm.tm_min, 2);
  line += ':';
  AppendDigits(line, tm.tm_sec, 2);
  line += '.';
  AppendDigits(line, static_cast<int>((unix_ms % 1000 + 1000) % 1000), 3);
  line += "Z\",\"level\":\"";
  line += LogLevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  for (const LogField& f : fields) {
    if (f.key == "ts" || f.key == "level" || f.key == "msg") continue;  // never twice
    line += ',';
    AppendJsonString(line, f.key);
    line += ':';
    line += f.json;
  }
  line += '}';
  return line;
}

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  WriteLogLine(FormatLogLine(now, level, msg, fields));
}

void WriteLogLine(std::string_view line) {
  std::unique_lock<std::mutex> l(g_sink_mu);
  if (Sink()) {
    Sink()(line);
    return;
  }
  // Lines are queued in order; one thread at a time writes the queue, outside the
  // mutex, and goes on until it is empty. A line queued while a write is in progress
  // goes out with the next write, together with the others queued meanwhile, so under
  // load many lines share a system call and no thread waits for another's write.
  std::string& pending = Pending();
  pending.append(line).push_back('\n');
  if (g_writing) return;  // the writing thread takes this line with its next write
  g_writing = true;
  std::string batch;
  while (!pending.empty()) {
    batch.clear();
    batch.swap(pending);
    l.unlock();
    WriteAll(batch);
    l.lock();
  }
  g_writing = false;
}

}  // namespace ipledger
