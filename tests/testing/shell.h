// Running the built programs (ipledger, ipledgerd, ipledger-bench) from the integration
// tests through the shell, and the small file helpers those tests share: one command
// line runs to its exit and its exit code, stdout and stderr come back as text.
//
// Test-only; thread-compatible (each call runs one child process to its end).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/testing/child_process.h"

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
// (2>&1), and with "/dev/null" it is thrown away. The shell is started with
// SpawnTiedChild, so it dies with the test (a command the shell does not exec, such as
// one in a pipeline, may outlive it).
inline ShellResult RunShell(const std::string& command, const std::string& err_file = "") {
  ShellResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r;
  const int err = err_file.empty()
                      ? fds[1]
                      : ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t pid = err < 0 ? -1 : SpawnTiedChild({"/bin/sh", "-c", command}, fds[1], err);
  ::close(fds[1]);
  if (err >= 0 && err != fds[1]) ::close(err);
  if (pid < 0) {
    ::close(fds[0]);
    return r;
  }
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof(buf))) != 0) {
    if (n > 0) {
      r.out.append(buf, static_cast<size_t>(n));
    } else if (errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!err_file.empty()) r.err = ReadOrEmpty(err_file);
  return r;
}

}  // namespace ipledger::testing
