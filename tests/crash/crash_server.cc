// crash_server: ipledgerd as tools/ipledgerd.cc assembles it (Registry::Open with
// D/log.key, full Verify, GroupCommitter, Metrics, Router, Server), but on a
// LosingFileSystem, so that a SIGKILL loses every byte not fsynced, as a power cut
// would (tests/crash/losing_fs.h). For http_crash_test only.
//
//   crash_server --data-dir D [--no-sync]
//
// Listens on 127.0.0.1, port 0, and prints "crash_server: listening on
// http://127.0.0.1:PORT" once it serves. --no-sync turns off the fsync before
// acknowledging (LedgerOptions.sync = false): the server the crash test must catch
// losing acknowledged entries. SIGINT or SIGTERM stops it gracefully, as ipledgerd.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "api/server/metrics.h"
#include "api/server/router.h"
#include "api/server/server.h"
#include "crypto/init.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"
#include "tests/crash/losing_fs.h"
#include "tools/key_file.h"

namespace ipledger {
namespace {

constexpr const char* kUsage = "usage: crash_server --data-dir D [--no-sync]\n";

int Fail(const std::string& what) {
  std::fprintf(stderr, "crash_server: %s\n", what.c_str());
  return 1;
}

int Main(int argc, char** argv) {
  std::string data_dir;
  bool sync = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (a == "--no-sync") {
      sync = false;
    } else {
      std::fprintf(stderr, "crash_server: unexpected argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::fprintf(stderr, "crash_server: --data-dir is required\n%s", kUsage);
    return 2;
  }
  if (!InitCrypto()) return Fail("libsodium initialization failed");

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Declared before the registry: the Env must outlive the database.
  testing::LosingFileSystem losing_fs;
  RegistryOptions options;
  options.ledger.env = losing_fs.env();
  options.ledger.sync = sync;

  auto key = ReadKeyFile(data_dir + "/log.key");
  if (!key.ok()) return Fail(key.status().ToString());
  auto registry = Registry::Open(data_dir + "/db", std::move(*key), options);
  if (!registry.ok())
    return Fail("cannot open " + data_dir + "/db: " + registry.status().ToString());
  if (Status s = (*registry)->ledger().Verify(); !s.ok()) {
    return Fail("refusing to serve a ledger that does not verify: " + s.ToString());
  }

  api::Metrics metrics;
  metrics.SetTreeSize((*registry)->ledger().size());
  GroupCommitOptions gco;
  gco.on_batch = [&metrics](std::size_t batch, std::uint64_t tree_size, double seconds) {
    metrics.ObserveBatch(batch, tree_size, seconds);
  };
  GroupCommitter committer(**registry, gco);
  api::Router router(**registry, committer, metrics, {});
  api::ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.io_threads = 4;
  auto server = api::Server::Start(so, [&router](api::Request r, api::Respond done) {
    router.Handle(std::move(r), std::move(done));
  });
  if (!server.ok()) return Fail(server.status().ToString());
  std::fprintf(stderr, "crash_server: tree size %llu, sync %s\n",
               static_cast<unsigned long long>((*registry)->ledger().size()), sync ? "on" : "OFF");
  std::printf("crash_server: listening on http://127.0.0.1:%u\n", (*server)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Stop();
  committer.Stop();
  registry->reset();
  std::fprintf(stderr, "crash_server: stopped\n");
  return 0;
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  try {
    return ipledger::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_server: internal error: %s\n", e.what());
    return 1;
  }
}
