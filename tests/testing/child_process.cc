#include "tests/testing/child_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char** environ;

namespace ipledger::testing {

pid_t SpawnTiedChild(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  // Everything the child needs is made before fork: after it, a multi-threaded parent's
  // child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent (or -1)

  // The child. PR_SET_PDEATHSIG survives exec; if the parent died before it was set, the
  // child was already reparented and would never get the signal, so it exits now.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
  // dup2 clears O_CLOEXEC on the copy, so the child keeps exactly stdout and stderr.
  if (out_fd >= 0 && ::dup2(out_fd, STDOUT_FILENO) < 0) ::_exit(127);
  if (err_fd >= 0 && ::dup2(err_fd, STDERR_FILENO) < 0) ::_exit(127);
  ::execve(args[0], args.data(), environ);
  ::_exit(127);
}

}  // namespace ipledger::testing
