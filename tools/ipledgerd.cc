// ipledgerd: the registry server (api.md §10).
//
//   ipledgerd --data-dir D [--listen HOST:PORT] [--io-threads N] [--skip-verify]
//             [--tls-cert FILE --tls-key FILE] [--config FILE] [--clock-file FILE]
//             [--max-connections-per-address N] [--write-quota-per-minute N]
//             [--ui-dir DIR]
//   ipledgerd --version
//
// Opens D/db with D/log.key, checks the whole log (unless --skip-verify), serves the
// HTTP API (HTTPS, TLS 1.2 or later, with --tls-cert and --tls-key, PEM files) and
// logs one JSON line per start, request and committed batch to stderr. --config FILE
// reads the same options from an INI-style file; the command line wins over it.
// SIGINT or SIGTERM stops it gracefully: no new connections, the batch in flight and
// everything queued are committed, then the database is closed.
//
// --clock-file FILE is for demos and tests only: while FILE holds a time, the registry's
// clock reads that time (never later than the real clock); see tools/clock_file.h.
//
// --ui-dir DIR serves the web console (api/web/, built into the build's web/ folder) at
// /ui/; by default the web/ folder beside the binary's folder (build/<preset>/web) or,
// when installed, <prefix>/share/ipledger/web.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/server/metrics.h"
#include "api/server/router.h"
#include "api/server/server.h"
#include "crypto/bytes.h"
#include "crypto/init.h"
#include "ledger/base/encoding.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"
#include "tools/clock_file.h"
#include "tools/key_file.h"
#include "tools/options.h"

namespace ipledger {
namespace {

constexpr const char* kUsage =
    "usage: ipledgerd --data-dir D [--listen HOST:PORT] [--io-threads N] [--skip-verify]\n"
    "                 [--tls-cert FILE --tls-key FILE]   (HTTPS; PEM files)\n"
    "                 [--config FILE] [--clock-file FILE]\n"
    "                 [--max-connections-per-address N]  (default 64; 0: no cap)\n"
    "                 [--write-quota-per-minute N]  (writes per participant; default 600; 0: "
    "none)\n"
    "                 [--ui-dir DIR]  (the web console's files, served at /ui/)\n"
    "       ipledgerd --version\n"
    "  --config FILE reads the same options from an INI-style file: \"name = value\" lines\n"
    "  (e.g. \"data-dir = /srv/ipledger\", \"skip-verify = true\") and '#' comments; an\n"
    "  option given on the command line wins over the file.\n"
    "  --clock-file FILE, for demos and tests only: while FILE holds an RFC 3339 UTC time\n"
    "  (or integer milliseconds), the registry's clock reads that time, never later than\n"
    "  the real clock; without FILE the real clock is used. Re-read every 0.1 s.\n";

// The options of the command line; a config file holds the same ones but --config.
const OptionSpec kFileOptions{
    {"data-dir", "listen", "io-threads", "tls-cert", "tls-key", "clock-file",
     "max-connections-per-address", "write-quota-per-minute", "ui-dir"},
    {"skip-verify"}};
const OptionSpec kCommandLineOptions{
    {"data-dir", "listen", "io-threads", "tls-cert", "tls-key", "clock-file", "config",
     "max-connections-per-address", "write-quota-per-minute", "ui-dir"},
    {"skip-verify", "help,h", "version"}};

// `s` as a JSON string, for the log lines.
std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The web console's folder when --ui-dir is not given: web/ beside the binary's folder
// (build/<preset>/tools/ipledgerd -> build/<preset>/web), else share/ipledger/web of an
// installed prefix; empty if neither exists (then /ui/ answers 404 saying so).
std::string DefaultUiDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const std::filesystem::path up = exe.parent_path().parent_path();
  for (const auto& dir : {up / "web", up / "share" / "ipledger" / "web"}) {
    if (std::filesystem::is_regular_file(dir / "index.html", ec)) return dir.string();
  }
  return "";
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "ipledgerd: %s\n", what.c_str());
  return 1;
}

int Main(int argc, char** argv) {
  auto args = ParseCommandLine(argc, argv, 1, kCommandLineOptions);
  if (!args.ok()) return UsageError("ipledgerd", args.status().message(), kUsage);
  if (args->switches.contains("help")) {
    std::printf("%s", kUsage);
    return 0;
  }
  if (args->switches.contains("version")) return PrintVersion("ipledgerd");
  if (args->Has("config")) {
    if (Status s = MergeConfigFile(args->Get("config"), kFileOptions, &*args); !s.ok()) {
      if (s.code() == ErrorCode::kInvalidArgument) {
        return UsageError("ipledgerd", "--config " + s.message(), kUsage);
      }
      return Fail("--config: " + s.message());
    }
  }
  auto value = [&args](const std::string& name, const std::string& fallback) {
    return args->Has(name) ? args->Get(name) : fallback;
  };
  const std::string data_dir = value("data-dir", "");
  const std::string listen = value("listen", "127.0.0.1:8080");
  int io_threads = 4;
  const bool skip_verify = args->switches.contains("skip-verify");
  const std::string tls_cert = value("tls-cert", "");
  const std::string tls_key = value("tls-key", "");
  const std::string clock_file = value("clock-file", "");
  if (args->Has("io-threads")) {
    auto n = ParseDecimalU64(args->Get("io-threads"));
    if (!n || *n == 0 || *n > 64) return Fail("--io-threads must be 1..64\n" + std::string(kUsage));
    io_threads = static_cast<int>(*n);
  }
  std::uint64_t per_address = 64, write_quota = 600;
  for (auto [name, out] : {std::pair{"max-connections-per-address", &per_address},
                           std::pair{"write-quota-per-minute", &write_quota}}) {
    if (!args->Has(name)) continue;
    auto n = ParseDecimalU64(args->Get(name));
    if (!n || *n > 1000000) {
      return Fail("--" + std::string(name) + " must be 0..1000000\n" + std::string(kUsage));
    }
    *out = *n;
  }
  if (data_dir.empty()) {
    std::fprintf(stderr, "ipledgerd: --data-dir is required\n%s", kUsage);
    return 2;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    std::fprintf(stderr, "ipledgerd: --tls-cert and --tls-key go together\n%s", kUsage);
    return 2;
  }
  const size_t colon = listen.rfind(':');
  auto port = colon == std::string::npos ? std::nullopt : ParseDecimalU64(listen.substr(colon + 1));
  if (!port || *port > 65535) return Fail("--listen must be HOST:PORT, got '" + listen + "'");
  if (!InitCrypto()) return Fail("libsodium initialization failed");

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto key = ReadKeyFile(data_dir + "/log.key");
  if (!key.ok()) return Fail(key.status().ToString());
  // Demos and tests only: a clock held back by a file, each change logged.
  std::unique_ptr<ClockFile> clock;
  RegistryOptions registry_options;
  if (!clock_file.empty()) {
    ClockFileOptions co;
    co.on_change = [](std::optional<std::int64_t> held, const std::string& why) {
      std::fprintf(stderr, "{\"event\":\"clock\",\"source\":\"%s\",\"detail\":%s}\n",
                   held ? "clock-file" : "system", JsonQuote(why).c_str());
    };
    clock = std::make_unique<ClockFile>(clock_file, std::move(co));
    clock->Now();  // logs, from the start, which clock the registry follows
    registry_options.ledger.clock = [c = clock.get()] { return c->Now(); };
  }
  auto registry = Registry::Open(data_dir + "/db", std::move(*key), registry_options);
  if (!registry.ok())
    return Fail("cannot open " + data_dir + "/db: " + registry.status().ToString());
  if (!skip_verify) {
    const auto start = std::chrono::steady_clock::now();
    if (Status s = (*registry)->ledger().Verify(); !s.ok()) {
      return Fail("refusing to serve a ledger that does not verify: " + s.ToString());
    }
    std::fprintf(stderr, "{\"event\":\"verified\",\"tree_size\":%llu,\"seconds\":%.3f}\n",
                 static_cast<unsigned long long>((*registry)->ledger().size()),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  api::Metrics metrics;
  metrics.SetTreeSize((*registry)->ledger().size());
  GroupCommitOptions gco;
  gco.on_batch = [&metrics](std::size_t batch, std::uint64_t tree_size, double seconds) {
    metrics.ObserveBatch(batch, tree_size, seconds);
    std::fprintf(stderr,
                 "{\"event\":\"batch\",\"size\":%zu,\"tree_size\":%llu,\"append_ms\":%.3f}\n",
                 batch, static_cast<unsigned long long>(tree_size), seconds * 1000);
  };
  GroupCommitter committer(**registry, gco);
  api::RouterOptions ro;
  ro.write_quota_per_minute = static_cast<std::uint32_t>(write_quota);
  ro.ui_dir = args->Has("ui-dir") ? args->Get("ui-dir") : DefaultUiDir();
  api::Router router(**registry, committer, metrics, ro);
  api::ServerOptions so;
  so.host = listen.substr(0, colon);
  so.port = static_cast<std::uint16_t>(*port);
  so.io_threads = io_threads;
  so.tls_cert_file = tls_cert;
  so.tls_key_file = tls_key;
  so.max_connections_per_address = static_cast<int>(per_address);
  auto server = api::Server::Start(so, [&router](api::Request r, api::Respond done) {
    router.Handle(std::move(r), std::move(done));
  });
  if (!server.ok()) return Fail(server.status().ToString());
  const Head head = (*registry)->ledger().head();
  std::fprintf(stderr,
               "{\"event\":\"start\",\"origin\":\"%s\",\"tree_size\":%llu,\"root\":\"%s\","
               "\"listen\":\"%s:%u\"}\n",
               (*registry)->ledger().origin().c_str(),
               static_cast<unsigned long long>(head.checkpoint.size),
               Base64Encode(head.checkpoint.root).c_str(), so.host.c_str(), (*server)->port());
  std::printf("ipledgerd: listening on %s://%s:%u\n", tls_cert.empty() ? "http" : "https",
              so.host.c_str(), (*server)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "{\"event\":\"stopping\",\"signal\":%d}\n", signal_number);
  (*server)->Stop();  // no new requests; responses in flight finish
  committer.Stop();   // the batch in flight and everything queued are committed
  const std::uint64_t final_size = (*registry)->ledger().size();
  registry->reset();  // closes the database (flushes memtables)
  std::fprintf(stderr, "{\"event\":\"stopped\",\"tree_size\":%llu}\n",
               static_cast<unsigned long long>(final_size));
  return 0;
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  try {
    return ipledger::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipledgerd: internal error: %s\n", e.what());
    return 1;
  }
}
