// ServerProcess: a server binary (ipledgerd or the crash test's server) run as a child
// process, for tests that drive the real executable. It reads the URL from the line
// "...: listening on URL" the server prints on stdout, and is killed (SIGKILL) if a
// test ends without stopping it, or if the test process dies first (SpawnTiedChild:
// ctest's timeout kill leaves no server behind).
//
// Thread-compatible; one object per child.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace ipledger::testing {

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `binary` with `args`, stderr to `log`; true once it printed its listening
  // line, false if it exited (or closed stdout) first.
  bool Start(const std::string& binary, std::vector<std::string> args, const std::string& log);
  // Sends `sig` and waits up to 60 s; the exit status, or -1 if it did not exit normally.
  int Stop(int sig);
  // Waits up to 60 s for the process to exit by itself; its exit status, or -1.
  int Wait();

  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }  // -1 once stopped

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string url_;
};

}  // namespace ipledger::testing
