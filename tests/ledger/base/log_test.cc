#include "ledger/base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

// What `write_lines` writes to stderr (fd 2 points at a temporary file meanwhile).
std::string CaptureStderr(const std::function<void()>& write_lines) {
  char path[] = "/tmp/ipledger-test-log-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  const int saved = dup(STDERR_FILENO);
  EXPECT_GE(saved, 0);
  if (fd < 0 || saved < 0 || dup2(fd, STDERR_FILENO) != STDERR_FILENO) {
    ADD_FAILURE() << "cannot redirect stderr";
    return "";
  }
  write_lines();
  EXPECT_EQ(dup2(saved, STDERR_FILENO), STDERR_FILENO);
  close(saved);
  std::string got;
  char buf[65536];
  EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) got.append(buf, static_cast<size_t>(n));
  close(fd);
  unlink(path);
  return got;
}

TEST(LogTest, JsonStringEscapesWhatJsonRequiresAndReplacesBadUtf8) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("plain text /v1/assets?x=1"), "\"plain text /v1/assets?x=1\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString(std::string("\x00\x01\n\x1f\x7f", 5)),
            "\"\\u0000\\u0001\\u000a\\u001f\\u007f\"");
  EXPECT_EQ(JsonString("\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x94\x92"),
            "\"\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x94\x92\"");  // UTF-8 stays as it is
  // Not UTF-8: a lone continuation byte, an overlong '/', a surrogate, a cut sequence,
  // a code point past U+10FFFF: each bad byte becomes U+FFFD, the rest is kept.
  EXPECT_EQ(JsonString("a\x80z"), "\"a\\ufffdz\"");
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(JsonString("x\xe4\xb8"), "\"x\\ufffd\\ufffd\"");
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(LogTest, FormatLogLineWritesTheTimeLevelMessageAndFieldsInOrder) {
  EXPECT_EQ(FormatLogLine(1733400001123, LogLevel::kInfo, "request",
                          {{"event", "request"},
                           {"status", 200},
                           {"latency_ms", 0.512},
                           {"ok", true},
                           {"path", "/v1/\"x\""}}),
            "{\"ts\":\"2024-12-05T12:00:01.123Z\",\"level\":\"info\",\"msg\":\"request\","
            "\"event\":\"request\",\"status\":200,\"latency_ms\":0.512,\"ok\":true,"
            "\"path\":\"/v1/\\\"x\\\"\"}");
  EXPECT_EQ(FormatLogLine(0, LogLevel::kError, "m\n", {}),
            "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"msg\":\"m\\u000a\"}");
  EXPECT_EQ(FormatLogLine(253402300799999, LogLevel::kDebug, "", {}),
            "{\"ts\":\"9999-12-31T23:59:59.999Z\",\"level\":\"debug\",\"msg\":\"\"}");
  // ts, level and msg are never written twice, whatever the fields say.
  EXPECT_EQ(FormatLogLine(5, LogLevel::kWarn, "x", {{"ts", "no"}, {"msg", "no"}, {"a", 1}}),
            "{\"ts\":\"1970-01-01T00:00:00.005Z\",\"level\":\"warn\",\"msg\":\"x\",\"a\":1}");
}

TEST(LogTest, NumbersAreJsonWithSixSignificantDigits) {
  auto json = [](double v) { return LogField("v", v).json; };
  EXPECT_EQ(json(0), "0");
  EXPECT_EQ(json(1.5), "1.5");
  EXPECT_EQ(json(0.000123), "0.000123");
  EXPECT_EQ(json(123456789.0), "1.23457e+08");
  EXPECT_EQ(json(-2.25), "-2.25");
  EXPECT_EQ(json(1e300 * 1e300), "null");  // JSON has no infinity
  EXPECT_EQ(json(std::nan("")), "null");
  EXPECT_EQ(LogField("n", std::uint64_t{18446744073709551615ULL}).json, "18446744073709551615");
  EXPECT_EQ(LogField("n", -7).json, "-7");
}

TEST(LogTest, WriteLogLineWritesWholeLinesToStderr) {
  const std::string big(200000, 'z');  // more than one pipe or page holds
  const std::string got = CaptureStderr([&] {
    WriteLogLine("first");
    WriteLogLine(big);
    WriteLogLine("");
  });
  EXPECT_EQ(got, "first\n" + big + "\n\n");
}

TEST(LogTest, LinesFromManyThreadsReachStderrWholeAndInEachThreadsOrder) {
  constexpr int kThreads = 6, kLines = 3000;
  const std::string got = CaptureStderr([&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kLines; ++i) {
          // Lines of different lengths, some longer than a pipe's atomic write.
          WriteLogLine("t" + std::to_string(t) + " " + std::to_string(i) + " " +
                       std::string(static_cast<std::size_t>((i * 37 + t) % 5000), 'x'));
        }
      });
    }
    for (auto& th : threads) th.join();
  });
  std::vector<int> next(kThreads, 0);
  std::size_t lines = 0;
  for (std::size_t at = 0; at < got.size();) {
    const std::size_t end = got.find('\n', at);
    ASSERT_NE(end, std::string::npos) << "the last line has no newline";
    const std::string line = got.substr(at, end - at);
    at = end + 1;
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "t%d %d ", &t, &i), 2) << line.substr(0, 40);
    ASSERT_TRUE(t >= 0 && t < kThreads) << line.substr(0, 40);
    EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++) << "thread " << t << " out of order";
    const std::string want = "t" + std::to_string(t) + " " + std::to_string(i) + " " +
                             std::string(static_cast<std::size_t>((i * 37 + t) % 5000), 'x');
    ASSERT_EQ(line, want) << "a line was cut or mixed with another";
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<std::size_t>(kThreads) * kLines);
}

TEST(LogTest, ASinkReceivesLinesWithoutTheirNewline) {
  std::vector<std::string> lines;
  SetLogSink([&](std::string_view line) { lines.emplace_back(line); });
  WriteLogLine("one");
  Log(LogLevel::kError, "two", {{"k", "v"}});
  SetLogSink({});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "one");
  EXPECT_NE(lines[1].find("\"msg\":\"two\",\"k\":\"v\"}"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace ipledger
