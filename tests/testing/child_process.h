// SpawnTiedChild: the one way the test helpers (ServerProcess, RunShell) start a child
// process. The child is tied to the test: it gets SIGKILL when the thread that started
// it dies (prctl PR_SET_PDEATHSIG), so a test that ctest kills on timeout, or that
// crashes, leaves no server behind holding ports and temporary directories.
//
// Linux only. Because the kernel ties the signal to the starting *thread*, start children
// from a thread that outlives them (the test's own thread). Test-only; thread-safe (a
// fork, then only async-signal-safe calls in the child before exec).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ipledger::testing {

// Starts `argv[0]` (a path; no PATH search) with `argv` and this process's environment.
// In the child, stdout becomes `out_fd` and stderr `err_fd` where they are >= 0 (else
// they are inherited); give descriptors opened with O_CLOEXEC so that no other copy
// stays open in the child. The child's pid, or -1 if fork failed; when exec fails the
// child exits with status 127 before writing anything.
pid_t SpawnTiedChild(const std::vector<std::string>& argv, int out_fd, int err_fd);

}  // namespace ipledger::testing
