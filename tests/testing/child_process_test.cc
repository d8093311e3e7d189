// Children of the test helpers die with the test (tests/testing/child_process.h): a
// helper process, forked as ctest's timeout kill would find a test binary, starts a
// child through ServerProcess or RunShell and is then killed with SIGKILL; the child
// must be gone within a second instead of living on with its ports and directories.
#include "tests/testing/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

namespace ipledger::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Whether `pid` is a live process: it exists and is not a zombie waiting to be reaped
// (its new parent, init or a subreaper, may take a moment to reap it).
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

bool GoneWithin(pid_t pid, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (Alive(pid)) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// Forks a helper that runs `start(dir)`, which starts a child and writes its pid to
// `dir`/pid, and then waits. Once the pid is there, SIGKILLs the helper and expects the
// child gone within a second.
void ExpectChildDiesWithKilledHelper(const std::function<void(const std::string& dir)>& start) {
  TempDir dir;
  const std::string pid_file = dir.str() + "/pid";
  const pid_t helper = ::fork();
  if (helper == 0) {
    start(dir.str());
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(helper, 0);
  pid_t child = -1;
  for (int i = 0; i < 500 && child <= 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> child)) child = -1;
    if (child <= 0) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GT(child, 0) << "the helper did not report its child";
  if (child > 0) {
    EXPECT_TRUE(Alive(child)) << "the child should run while the helper does";
  }
  ::kill(helper, SIGKILL);
  int status = 0;
  ::waitpid(helper, &status, 0);
  if (child <= 0) return;
  EXPECT_TRUE(GoneWithin(child, milliseconds(1000))) << "pid " << child << " outlived the test";
  if (Alive(child)) ::kill(child, SIGKILL);
}

TEST(ChildProcessTest, AServerProcessDiesWithTheTestThatStartedIt) {
  ExpectChildDiesWithKilledHelper([](const std::string& dir) {
    // A stand-in server: prints its listening line, then stays up (exec keeps the pid).
    auto* s = new ServerProcess();  // never destroyed: the helper is killed
    if (!s->Start("/bin/sh", {"-c", "echo 'test: listening on http://x'; exec sleep 30"},
                  dir + "/server.log")) {
      ::_exit(1);
    }
    std::ofstream(dir + "/pid.tmp") << s->pid() << "\n";
    std::rename((dir + "/pid.tmp").c_str(), (dir + "/pid").c_str());
  });
}

TEST(ChildProcessTest, AShellCommandDiesWithTheTestThatStartedIt) {
  ExpectChildDiesWithKilledHelper([](const std::string& dir) {
    // $$ is the shell's pid, which `exec sleep` keeps.
    RunShell("echo $$ > " + dir + "/pid.tmp && mv " + dir + "/pid.tmp " + dir +
             "/pid && exec sleep 30");
    ::_exit(1);
  });
}

// The other half of the contract: a child started normally runs until it is stopped.
TEST(ChildProcessTest, AServerProcessRunsUntilStopped) {
  TempDir dir;
  ServerProcess s;
  ASSERT_TRUE(s.Start("/bin/sh", {"-c", "echo 'test: listening on http://x'; exec sleep 30"},
                      dir.str() + "/server.log"));
  EXPECT_EQ(s.url(), "http://x");
  const pid_t pid = s.pid();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(Alive(pid));
  EXPECT_EQ(s.Stop(SIGTERM), -1);  // killed by the signal: no normal exit
  EXPECT_FALSE(Alive(pid));
}

TEST(ChildProcessTest, AMissingBinaryIsRefused) {
  TempDir dir;
  ServerProcess s;
  EXPECT_FALSE(s.Start(dir.str() + "/no-such-server", {}, dir.str() + "/server.log"));
}

TEST(ChildProcessTest, RunShellMergesOrDropsStderr) {
  const ShellResult r = RunShell("echo out; echo err >&2; exit 3");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "out\nerr\n");
  const ShellResult quiet = RunShell("echo out; echo err >&2", "/dev/null");
  EXPECT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.out, "out\n");
  EXPECT_EQ(quiet.err, "");
}

}  // namespace
}  // namespace ipledger::testing
