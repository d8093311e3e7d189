// Structured logging: one JSON object per line, the format of every line ipledgerd writes
// to stderr: {"ts":"2026-12-05T17:20:01.123Z","level":"info","msg":"...", fields...}.
// `ts` is RFC 3339 UTC with milliseconds; `level` is debug, info, warn or error. Lines
// below the process-wide level (SetLogLevel; default info) are dropped.
//
// Thread-safe: Log may be called from any thread. Lines reach stderr whole and in the
// order they were logged; lines logged while another thread writes go out together in
// its next write (one system call for many under load, none held up by the mutex).
// A sink gets each line by itself. SetLogLevel and SetLogSink are meant for start-up
// (and tests).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace ipledger {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" or "error"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Where finished lines go (each without its trailing newline). Default: stderr. An
// empty function restores the default.
void SetLogSink(std::function<void(std::string_view line)> sink);

// One field of a log line: a key and its value, already encoded as JSON.
struct LogField {
  LogField(std::string_view k, std::string_view v);  // a string
  LogField(std::string_view k, const char* v);       // a string
  LogField(std::string_view k, const std::string& v);
  LogField(std::string_view k, std::int64_t v);
  LogField(std::string_view k, std::uint64_t v);
  LogField(std::string_view k, int v);
  LogField(std::string_view k, unsigned v);
  LogField(std::string_view k, long long v);
  LogField(std::string_view k, unsigned long long v);
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v);
  std::string key;
  std::string json;
};

// `s` as a JSON string literal (quotes included); bytes that are not valid UTF-8 become
// U+FFFD, control characters \u00XX.
std::string JsonString(std::string_view s);

// The line Log would write for these arguments at time `unix_ms`.
std::string FormatLogLine(std::int64_t unix_ms, LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields);

// Writes a line made by FormatLogLine to the sink, whatever the level.
void WriteLogLine(std::string_view line);

// Writes one line if `level` is enabled.
void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace ipledger
