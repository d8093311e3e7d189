#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/testing/child_process.h"

namespace ipledger::testing {

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_ != nullptr) std::fclose(out_);
}

bool ServerProcess::Start(const std::string& binary, std::vector<std::string> args,
                          const std::string& log) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  args.insert(args.begin(), binary);
  pid_ = SpawnTiedChild(args, fds[1], err);
  ::close(fds[1]);
  ::close(err);
  if (pid_ < 0) {
    ::close(fds[0]);
    pid_ = -1;
    return false;
  }
  out_ = ::fdopen(fds[0], "r");
  char line[512];
  const std::string marker = "listening on ";
  while (out_ != nullptr && std::fgets(line, sizeof(line), out_) != nullptr) {
    const std::string s = line;
    const size_t at = s.find(marker);
    if (at != std::string::npos) {
      url_ = s.substr(at + marker.size());
      while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
      return true;
    }
  }
  return false;
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  return Wait();
}

int ServerProcess::Wait() {
  int status = 0;
  for (int i = 0; i < 6000 && pid_ > 0; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace ipledger::testing
