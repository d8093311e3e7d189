// Running the built programs (ipledger, ipledgerd, ipledger-bench) from the integration
// tests through the shell, and the small file helpers those tests share: one command
// line runs to its exit and its exit code, stdout and stderr come back as text.
//
// Test-only; thread-compatible (each call runs one child process to its end).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace ipledger::testing {

// A command that ran: its exit code (-1 when it did not exit normally), stdout and stderr.
struct ShellResult {
  int code = -1;
  std::string out;
  std::string err;  // empty when stderr was merged into out or thrown away
  std::string all() const { return out + err; }
};

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The whole file, or "" when it cannot be read (a file not written yet).
inline std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `text` as the whole file; fails the current test if it cannot.
inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// Runs `command` (a shell command line) through /bin/sh to its exit. Its stderr goes to
// `err_file` and comes back in `err`; with `err_file` empty it is merged into `out`
// (2>&1), and with "/dev/null" it is thrown away.
inline ShellResult RunShell(const std::string& command, const std::string& err_file = "") {
  ShellResult r;
  const std::string redirect = err_file.empty() ? " 2>&1" : " 2>" + err_file;
  FILE* p = popen((command + redirect).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!err_file.empty()) r.err = ReadOrEmpty(err_file);
  return r;
}

}  // namespace ipledger::testing
