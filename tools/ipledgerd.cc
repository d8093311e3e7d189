// ipledgerd: the registry server (api.md §10).
//
//   ipledgerd --data-dir D [--listen HOST:PORT] [--io-threads N] [--skip-verify]
//             [--tls-cert FILE --tls-key FILE] [--config FILE] [--clock-file FILE]
//             [--max-connections-per-address N] [--write-quota-per-minute N]
//             [--log-level debug|info|warn|error] [--metrics-listen HOST:PORT]
//             [--witness-policy FILE [--witness-interval D] [--witness-timeout D]]
//             [--ui-dir DIR] [--map-check background|full]
//             [--etcd URL[,URL...] --cluster NAME --node ID [--advertise URL]
//              [--lease-ttl SECONDS] [--prune-interval D|off] [--retain D]]
//   ipledgerd --version
//
// Opens D/db with D/log.key, checks the whole log (unless --skip-verify), serves the
// HTTP API (HTTPS, TLS 1.2 or later, with --tls-cert and --tls-key, PEM files) and
// logs one JSON object per line to stderr (ledger/base/log.h: ts, level, msg, fields) for
// its start, requests and committed batches; the one line on stdout is the port line
// "ipledgerd: listening on http://HOST:PORT". --metrics-listen serves GET /metrics (only)
// on a second address as well. --config FILE
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
//
// --map-check: how the status map is checked against the log at open. background (the
// default): the root and its logged map.root entry before serving (O(log n)), every node
// and asset status record on a thread after; a mismatch found there is logged (error
// level, naming the first bad key), the registry refuses writes and /readyz answers 503
// with the reason. full: all of it before serving, refusing to start on a mismatch
// (O(assets): minutes at 1e6 assets).
//
// --etcd starts cluster mode (api/cluster/node.h, docs/operations.md): the nodes elect a
// leader through etcd; the leader commits each batch to etcd before writing it, the
// others apply the batches in order, serve reads and answer writes 307 to the leader.
// --advertise defaults to http://HOST:PORT of --listen (with the port bound).
// --prune-interval: how often the leader deletes the batches every live node applied
// and that are older than --retain (defaults 10s and 600s; off: never). A data
// directory that would need its status map built at open is refused in cluster mode
// (migrate it single-node first).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/client/cosigner.h"
#include "api/cluster/node.h"
#include "api/codec/submission_codec.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "api/server/server.h"
#include "crypto/bytes.h"
#include "crypto/init.h"
#include "ledger/base/encoding.h"
#include "ledger/base/log.h"
#include "ledger/log/witness_policy.h"
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
    "                 [--log-level debug|info|warn|error]  (default info; JSON lines on stderr)\n"
    "                 [--metrics-listen HOST:PORT]  (GET /metrics on a second address too)\n"
    "                 [--witness-policy FILE]  (gather witness cosignatures; see\n"
    "                 docs/operations.md) [--witness-interval D] (default 1s)\n"
    "                 [--witness-timeout D] (per witness request, default 2s; D: 500ms, 2s)\n"
    "                 [--ui-dir DIR]  (the web console's files, served at /ui/)\n"
    "                 [--map-check background|full]  (status map check at open; default\n"
    "                 background: the root now, every node and record after, on a thread)\n"
    "                 [--etcd URL[,URL...] --cluster NAME --node ID [--advertise URL]\n"
    "                  [--lease-ttl SECONDS]  (cluster mode; default TTL 3 s)\n"
    "                  [--prune-interval D|off]  (deleting applied batches; default 10s)\n"
    "                  [--retain D]]  (keep each batch at least this long; default 600s)\n"
    "       ipledgerd --version\n"
    "  --config FILE reads the same options from an INI-style file: \"name = value\" lines\n"
    "  (e.g. \"data-dir = /srv/ipledger\", \"skip-verify = true\") and '#' comments; an\n"
    "  option given on the command line wins over the file.\n"
    "  --clock-file FILE, for demos and tests only: while FILE holds an RFC 3339 UTC time\n"
    "  (or integer milliseconds), the registry's clock reads that time, never later than\n"
    "  the real clock; without FILE the real clock is used. Re-read every 0.1 s.\n";

// The options a config file may hold (INI-style names as on the command line).
const OptionSpec kFileOptions{{"data-dir",
                               "listen",
                               "io-threads",
                               "tls-cert",
                               "tls-key",
                               "clock-file",
                               "max-connections-per-address",
                               "write-quota-per-minute",
                               "log-level",
                               "metrics-listen",
                               "witness-policy",
                               "witness-interval",
                               "witness-timeout",
                               "ui-dir",
                               "etcd",
                               "cluster",
                               "node",
                               "advertise",
                               "lease-ttl",
                               "map-check",
                               "prune-interval",
                               "retain"},
                              {"skip-verify"}};
// The command line: the file's options, --config, --help and --version.
OptionSpec CommandLineOptions() {
  OptionSpec spec = kFileOptions;
  spec.valued.push_back("config");
  spec.switches.insert(spec.switches.end(), {"help,h", "version"});
  return spec;
}

int Fail(const std::string& what) {
  Log(LogLevel::kError, "ipledgerd: " + what, {{"event", "fatal"}});
  return 1;
}

// Splits "HOST:PORT"; nullopt unless PORT is 0..65535.
std::optional<std::pair<std::string, std::uint16_t>> HostPort(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  auto port = ParseDecimalU64(s.substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  return std::pair{s.substr(0, colon), static_cast<std::uint16_t>(*port)};
}

// "500ms", "2s" or a plain number of seconds; nullopt otherwise or beyond an hour.
std::optional<std::chrono::milliseconds> ParseDuration(std::string s) {
  std::uint64_t scale = 1000;
  if (s.ends_with("ms")) {
    scale = 1;
    s.resize(s.size() - 2);
  } else if (s.ends_with("s")) {
    s.pop_back();
  }
  auto n = ParseDecimalU64(s);
  if (!n || *n == 0 || *n > 3600000 / scale) return std::nullopt;
  return std::chrono::milliseconds(*n * scale);
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

int Main(int argc, char** argv) {
  auto args = ParseCommandLine(argc, argv, 1, CommandLineOptions());
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
  const std::string metrics_listen = value("metrics-listen", "");
  if (args->Has("log-level")) {
    auto level = ParseLogLevel(args->Get("log-level"));
    if (!level)
      return UsageError("ipledgerd", "--log-level must be debug, info, warn or error", kUsage);
    SetLogLevel(*level);
  }
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
  const auto listen_at = HostPort(listen);
  if (!listen_at) return Fail("--listen must be HOST:PORT, got '" + listen + "'");
  const auto metrics_at = HostPort(metrics_listen);
  if (!metrics_listen.empty() && !metrics_at) {
    return Fail("--metrics-listen must be HOST:PORT, got '" + metrics_listen + "'");
  }
  if (!InitCrypto()) return Fail("libsodium initialization failed");
  std::optional<WitnessPolicy> witness_policy;
  api::CosignerOptions cosigner_options;
  if (args->Has("witness-policy")) {
    auto text = ReadWholeFile(args->Get("witness-policy"));
    if (!text.ok()) return Fail("--witness-policy: " + text.status().ToString());
    auto policy = ParseWitnessPolicy(*text);
    if (!policy.ok()) return Fail("--witness-policy: " + policy.status().message());
    witness_policy = std::move(*policy);
  }
  for (auto [name, out] : {std::pair{"witness-interval", &cosigner_options.interval},
                           std::pair{"witness-timeout", &cosigner_options.timeout}}) {
    if (!args->Has(name)) continue;
    auto d = ParseDuration(args->Get(name));
    if (!d) return Fail("--" + std::string(name) + " must be a duration such as 500ms or 2s");
    *out = *d;
  }

  // Cluster mode (--etcd): checked here, started once the server listens.
  std::optional<api::ClusterOptions> cluster_options;
  if (args->Has("etcd")) {
    api::ClusterOptions co;
    const std::string urls = args->Get("etcd");
    for (std::size_t at = 0; at <= urls.size();) {
      const std::size_t comma = std::min(urls.find(',', at), urls.size());
      if (comma > at) co.etcd.push_back(urls.substr(at, comma - at));
      at = comma + 1;
    }
    co.cluster = value("cluster", "");
    co.node = value("node", "");
    co.advertise = value("advertise", "");
    if (co.etcd.empty() || co.cluster.empty() || co.node.empty()) {
      return UsageError("ipledgerd", "--etcd needs --cluster NAME and --node ID", kUsage);
    }
    if (args->Has("lease-ttl")) {
      auto n = ParseDecimalU64(args->Get("lease-ttl"));
      if (!n || *n == 0 || *n > 60)
        return UsageError("ipledgerd", "--lease-ttl must be 1..60", kUsage);
      co.lease_ttl_seconds = static_cast<std::int64_t>(*n);
    }
    if (args->Has("prune-interval")) {
      const std::string v = args->Get("prune-interval");
      auto d = v == "off" ? std::optional<std::chrono::milliseconds>(0) : ParseDuration(v);
      if (!d) {
        return UsageError("ipledgerd", "--prune-interval must be a duration such as 10s, or off",
                          kUsage);
      }
      co.prune_interval = *d;
    }
    if (args->Has("retain")) {
      auto d = ParseDuration(args->Get("retain"));
      if (!d) return UsageError("ipledgerd", "--retain must be a duration such as 600s", kUsage);
      co.retain = *d;
    }
    co.decode = api::DecodeSubmission;
    cluster_options = std::move(co);
  } else if (args->Has("cluster") || args->Has("node") || args->Has("advertise") ||
             args->Has("lease-ttl") || args->Has("prune-interval") || args->Has("retain")) {
    return UsageError("ipledgerd",
                      "--cluster, --node, --advertise, --lease-ttl, --prune-interval and --retain "
                      "need --etcd",
                      kUsage);
  }

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
#if IPLEDGER_BENCH_WITHOUT_STATUS_MAP
  // tools/bench's ipledgerd-without-status-map: the status map's cost measured end to end
  // (docs/performance.md). Never installed; the real ipledgerd always keeps the map.
  registry_options.status_map = false;
#endif
  if (!clock_file.empty()) {
    ClockFileOptions co;
    co.on_change = [](std::optional<std::int64_t> held, const std::string& why) {
      Log(LogLevel::kWarn, "clock",
          {{"event", "clock"}, {"source", held ? "clock-file" : "system"}, {"detail", why}});
    };
    clock = std::make_unique<ClockFile>(clock_file, std::move(co));
    clock->Now();  // logs, from the start, which clock the registry follows
    registry_options.ledger.clock = [c = clock.get()] { return c->Now(); };
  }
  const std::string map_check = value("map-check", "background");
  if (map_check != "background" && map_check != "full") {
    return UsageError("ipledgerd", "--map-check must be background or full", kUsage);
  }
  registry_options.map_check = map_check == "full" ? MapCheck::kFull : MapCheck::kBackground;
  registry_options.on_map_check = [](const Status& s, double seconds) {
    if (s.ok()) {
      Log(LogLevel::kInfo, "status map checked",
          {{"event", "map-check"}, {"result", "ok"}, {"seconds", seconds}});
    } else {
      Log(LogLevel::kError,
          s.code() == ErrorCode::kCorruption
              ? "the status map disagrees with the log; refusing writes: " + s.message()
              : "the status map check could not finish: " + s.ToString(),
          {{"event", "map-check"},
           {"result", s.code() == ErrorCode::kCorruption ? "mismatch" : "error"},
           {"detail", s.message()},
           {"seconds", seconds}});
    }
  };
  // A map.root entry appended at open by each node on its own would fork the cluster.
  if (cluster_options) registry_options.migrate_status_map = false;
  auto registry = Registry::Open(data_dir + "/db", std::move(*key), registry_options);
  if (!registry.ok())
    return Fail("cannot open " + data_dir + "/db: " + registry.status().ToString());
  if (!skip_verify) {
    const auto start = std::chrono::steady_clock::now();
    if (Status s = (*registry)->ledger().Verify(); !s.ok()) {
      return Fail("refusing to serve a ledger that does not verify: " + s.ToString());
    }
    Log(LogLevel::kInfo, "verified the whole log",
        {{"event", "verified"},
         {"tree_size", (*registry)->ledger().size()},
         {"seconds",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}});
  }

  api::Metrics metrics;
  metrics.SetTreeSize((*registry)->ledger().size());
  // Cluster mode: declared before the committer, which must stop first (the node is the
  // registry's journal). Set once the server listens; the router reads it meanwhile.
  std::unique_ptr<api::ClusterNode> cluster_node;
  std::atomic<api::ClusterNode*> cluster_ptr{nullptr};
  GroupCommitOptions gco;
  if (cluster_options) {
    // A batch travels to etcd base64-encoded in one request: stay under etcd's default
    // 1.5 MiB request limit (docs/operations.md).
    gco.max_batch_bytes = 1 << 20;
  }
  gco.on_batch = [&metrics](std::size_t batch, std::uint64_t tree_size, double seconds) {
    metrics.ObserveBatch(batch, tree_size, seconds);
    Log(LogLevel::kDebug, "batch committed",
        {{"event", "batch"},
         {"size", batch},
         {"tree_size", tree_size},
         {"append_ms", seconds * 1000}});
  };
  GroupCommitter committer(**registry, gco);
  api::RouterOptions ro;
  ro.write_quota_per_minute = static_cast<std::uint32_t>(write_quota);
  ro.ui_dir = args->Has("ui-dir") ? args->Get("ui-dir") : DefaultUiDir();
  if (cluster_options) {
    ro.cluster = [&cluster_ptr]() {
      api::ClusterView v;
      api::ClusterNode* node = cluster_ptr.load();
      if (node == nullptr) {
        v.reason = "starting";
        return v;
      }
      const api::ClusterState st = node->state();
      v.leader = st.leader;
      v.leader_url = st.leader_url;
      v.applied = st.applied;
      v.ready = st.caught_up;
      v.no_quorum = st.etcd_unreachable;
      v.reason = !st.error.empty() ? "stopped following: " + st.error
                 : st.caught_up    ? ""
                                   : "catching up with the cluster";
      return v;
    };
  }
  api::Router router(**registry, committer, metrics, ro);
  api::ServerOptions so;
  so.host = listen_at->first;
  so.port = listen_at->second;
  so.io_threads = io_threads;
  so.tls_cert_file = tls_cert;
  so.tls_key_file = tls_key;
  so.max_connections_per_address = static_cast<int>(per_address);
  auto server = api::Server::Start(so, [&router](api::Request r, api::Respond done) {
    router.Handle(std::move(r), std::move(done));
  });
  if (!server.ok()) return Fail(server.status().ToString());
  // --metrics-listen: GET /metrics alone on its own address (plain HTTP), e.g. for a
  // scraper on an internal network while the API faces the banks.
  std::unique_ptr<api::Server> metrics_server;
  if (metrics_at) {
    api::ServerOptions mo;
    mo.host = metrics_at->first;
    mo.port = metrics_at->second;
    mo.io_threads = 1;
    auto ms = api::Server::Start(mo, [&](api::Request r, api::Respond done) {
      api::Response out;
      if (r.target == "/metrics" && r.method == "GET") {
        metrics.SetLive((*registry)->ledger().size(), (*registry)->ledger().read_only(),
                        committer.queue_depth());
        out.content_type = "text/plain; version=0.0.4; charset=utf-8";
        out.body = metrics.Render();
      } else {
        out.status = 404;
        out.body = "{\"status\":404,\"detail\":\"only GET /metrics is served here\"}";
      }
      done(std::move(out));
    });
    if (!ms.ok()) return Fail("--metrics-listen: " + ms.status().ToString());
    metrics_server = std::move(*ms);
    Log(LogLevel::kInfo, "metrics listening",
        {{"event", "metrics-listen"},
         {"listen", mo.host + ":" + std::to_string(metrics_server->port())}});
  }
  // Witness cosignatures, gathered in the background (never on the append path).
  std::unique_ptr<api::Cosigner> cosigner;
  if (witness_policy && cluster_options) {
    cosigner_options.active = [&cluster_ptr] {
      api::ClusterNode* node = cluster_ptr.load();
      return node != nullptr && node->state().leader;
    };
  }
  if (witness_policy) {
    cosigner = std::make_unique<api::Cosigner>((*registry)->ledger(), std::move(*witness_policy),
                                               cosigner_options);
  }
  if (cluster_options) {
    if (cluster_options->advertise.empty()) {
      cluster_options->advertise = std::string(tls_cert.empty() ? "http" : "https") + "://" +
                                   so.host + ":" + std::to_string((*server)->port());
    }
    auto node = api::ClusterNode::Start(**registry, std::move(*cluster_options));
    if (!node.ok()) return Fail("--etcd: " + node.status().message());
    cluster_node = std::move(*node);
    cluster_ptr.store(cluster_node.get());
  }
  const Head head = (*registry)->ledger().head();
  Log(LogLevel::kInfo, "serving",
      {{"event", "start"},
       {"version", std::string(Version())},
       {"allocator", Allocator()},
       {"origin", (*registry)->ledger().origin()},
       {"tree_size", head.checkpoint.size},
       {"root", Base64Encode(head.checkpoint.root)},
       {"listen", so.host + ":" + std::to_string((*server)->port())}});
  std::printf("ipledgerd: listening on %s://%s:%u\n", tls_cert.empty() ? "http" : "https",
              so.host.c_str(), (*server)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "stopping", {{"event", "stopping"}, {"signal", signal_number}});
  if (metrics_server) metrics_server->Stop();
  (*server)->Stop();  // no new requests; responses in flight finish
  cosigner.reset();   // the round in flight ends within the witness timeouts
  committer.Stop();   // the batch in flight and everything queued are committed
  if (cluster_node) cluster_node->Stop();  // gives up the leadership, if held
  const std::uint64_t final_size = (*registry)->ledger().size();
  registry->reset();  // closes the database (flushes memtables)
  Log(LogLevel::kInfo, "stopped", {{"event", "stopped"}, {"tree_size", final_size}});
  return 0;
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  try {
    return ipledger::Main(argc, argv);
  } catch (const std::exception& e) {
    ipledger::Log(ipledger::LogLevel::kError, std::string("ipledgerd: internal error: ") + e.what(),
                  {{"event", "fatal"}});
    return 1;
  }
}
