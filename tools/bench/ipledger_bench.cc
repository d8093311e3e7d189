// ipledger-bench: an HTTP load generator for ipledgerd, and the baselines its figures are
// read against (issue #5): one core's Ed25519 verify rate and a PostgreSQL table.
//
//   ipledger-bench append --server URL --data-dir DIR [--connections C] [--count N]
//                         [--kind single|pledge2] [--registry-id ID] [--server-pid PID]
//                         [--load-generator ours|wrk --seconds S] [--wrk PATH]
//   ipledger-bench read --server URL --data-dir DIR [--connections C] [--seconds S]
//                       [--registry-id ID] [--server-pid PID]
//                       [--slices K] [--load-generator ours|wrk] [--wrk PATH]
//   ipledger-bench verify-rate [--seconds S]
//   ipledger-bench floor [--connections C] [--count N] [--kind single|pledge2] [--seconds S]
//                        [--read-seconds S] [--verify-seconds S] [--io-threads T]
//                        [--wrk PATH] [--dir DIR]
//   ipledger-bench pg --conninfo STR [--connections C] [--count N] [--kind single|pledge2]
//   ipledger-bench fill --data-dir DIR [--count N] [--batch B] [--kind single|pledge2]
//
// Each prints one JSON object with its figures on stdout; progress goes to stderr. With
// --server-pid (a server on this machine) the server's CPU time over each measurement is
// reported too, from /proc: CPU per entry is what the throughput is bound by on 2 cores.
//
// append: registers (over HTTP, signed with DIR/registry.key as the registry office
// would) the participants and patents the run needs, pre-signs N envelopes, then posts
// them over C keep-alive connections (one thread each) and measures entries/s, latency
// and the group-commit batch sizes (from the receipts' checkpoints and from /metrics).
// `single` envelopes are data-asset registrations by enterprises (one signature);
// `pledge2` are pledge registrations over distinct patents signed by the pledgee bank
// and the pledgor. Any answer but 201 fails the run (exit 1). Envelopes carry a
// `created` time from before the measurement, so pre-signing and posting must end
// within the server's 10-minute staleness window. With `--load-generator wrk` the
// pre-signed envelopes are posted by wrk for S seconds instead (the load
// generator; each wrk thread posts its own share of them, in order, so none is sent
// twice), and N must be more than S seconds can take: a thread that runs out sends a
// request that fails the run. Every answer must be below 400 (wrk counts the rest as
// errors), and the log must have grown by the answers wrk counted, plus at most the C
// requests in flight when it stopped and, for pledges, one map.root entry per batch.
//
// read: registers a few pledges and policies, then measures GET pledge-status, GET
// coverage, GET of the asset view (RFC 9421-signed by a bank; the signatures are made
// before each slice and reused, which the server allows within its 300 s window) and
// GET /healthz, each for S seconds over C connections, on a log that does not grow
// meanwhile (the server's caches of answers and signatures are at their best). With
// `--slices K` each kind's S seconds are K slices of S/K seconds, interleaved (status,
// coverage, asset, healthz, status, ...), so that load from elsewhere on a shared
// machine falls on every kind alike. With `--load-generator wrk` the slices are driven
// by wrk (Debian's package) over the same connections, with the same pre-signed
// requests, instead of this program's threads; /healthz is then measured with both
// (healthz_own_client_*: the appends' load generator).
//
// verify-rate: crypto_sign_verify_detached (through crypto/keys.h, which is exactly that
// call) of one signature over the PAE of a pre-signed pledge envelope, on one thread.
//
// floor: the least a durable, signature-verified append costs here (RunFloor says what
// its server does and does not do), under wrk, beside one core's verify rate and
// /healthz of the same server: the in-run limit, and the floor's share of it.
// Its RocksDB goes to DIR/store (default: a temporary directory, removed after).
//
// pg: what a bank would build instead: C libpq connections each inserting the same kind
// of pre-signed envelopes, one durable autocommit INSERT each (synchronous_commit=on),
// into entries(id bigserial, idempotency_key text unique, envelope bytea). Only when
// built with libpq; otherwise it says so and exits 1.
//
// fill: appends N `single` statements straight into a stopped server's data directory
// (in process, batches of B, signatures checked on all cores), for measurements of a
// large log: server memory, open and verify time, disk per entry. With `--kind pledge2`
// it registers N patents and then pledges each (2N statements and the status map's
// map.root entries): a log whose status map has N assets, for the monitor's map check.
// `--status-map off` appends without the map (RegistryOptions::status_map false: a log
// as if its map data were lost, which ipledgerd's next open rebuilds; for tests).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if IPLEDGER_BENCH_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/server/server.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "ledger/base/status.h"
#include "ledger/log/store.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/statement.h"
#include "tools/bench/bench_support.h"
#include "tools/key_file.h"
#include "tools/options.h"

namespace ipledger::bench {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  ipledger-bench append --server URL --data-dir DIR [--connections C] [--count N]\n"
    "                        [--kind single|pledge2] [--registry-id ID] [--server-pid PID]\n"
    "                        [--load-generator ours|wrk --seconds S] [--wrk PATH]\n"
    "  ipledger-bench read --server URL --data-dir DIR [--connections C] [--seconds S]\n"
    "                      [--registry-id ID] [--server-pid PID]\n"
    "                      [--slices K] [--load-generator ours|wrk] [--wrk PATH]\n"
    "  ipledger-bench verify-rate [--seconds S]\n"
    "  ipledger-bench floor [--connections C] [--count N] [--kind single|pledge2] [--seconds S]\n"
    "                       [--read-seconds S] [--verify-seconds S] [--io-threads T]\n"
    "                       [--wrk PATH] [--dir DIR]\n"
    "  ipledger-bench pg --conninfo STR [--connections C] [--count N] [--kind single|pledge2]\n"
    "  ipledger-bench fill --data-dir DIR [--count N] [--batch B] [--kind single|pledge2]\n"
    "                      (server stopped)\n"
    "  ipledger-bench --version\n"
    "defaults: --connections 64, --count 20000, --kind single, --seconds 5 (read: per query\n"
    "kind), --registry-id registry; --server-pid (a local server) adds its CPU time\n";

// argv[2..argc) against the command's options (tools/options.h); the last value wins.
StatusOr<Flags> ParseFlags(int argc, char** argv, const std::vector<std::string>& allowed) {
  auto args = ParseCommandLine(argc, argv, 2, {allowed, {}});
  if (!args.ok()) return args.status();
  Flags f;
  f.values = args->LastValues();
  return f;
}

// --- append --------------------------------------------------------------------------------

struct Setup {
  Server server;
  Party registry;               // the registry office, signing with DIR/registry.key
  std::uint64_t tree_size = 0;  // at the start
};

StatusOr<Setup> OpenSetup(const Flags& f) {
  if (f.Get("server").empty() || f.Get("data-dir").empty()) {
    return Status::InvalidArgument("--server and --data-dir are required");
  }
  auto address = api::ParseServerUrl(f.Get("server"));
  if (!address.ok()) return address.status();
  auto key = ReadKeyFile(f.Get("data-dir") + "/registry.key");
  if (!key.ok()) return key.status();
  Setup s{Server{*address}, Party{f.Get("registry-id", "registry"), std::move(*key)}, 0};
  auto size = TreeSize(s.server);
  if (!size.ok()) return size.status();
  s.tree_size = *size;
  return s;
}

// Signs `statements` as the registry office.
std::vector<Envelope> SignAsRegistry(const World& w, const Setup& s,
                                     const std::vector<Statement>& statements) {
  return ParallelMake<Envelope>(
      statements.size(), [&](std::uint64_t i) { return w.Sign(statements[i], {&s.registry}); });
}

Status RegisterParticipants(const World& w, const Setup& s, std::uint64_t connections) {
  return PostAll(s.server, SignAsRegistry(w, s, w.ParticipantStatements()), connections,
                 "participants");
}

Status RegisterPatents(const World& w, const Setup& s, std::uint64_t n, std::uint64_t connections) {
  std::vector<Statement> patents;
  for (std::uint64_t i = 0; i < n; ++i) patents.push_back(w.PatentStatement(i));
  return PostAll(s.server, SignAsRegistry(w, s, patents), connections, "patents");
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "ipledger-bench: %s\n", what.c_str());
  return 1;
}

// --kind (single or pledge2) and --status-map (on or off), as append, pg and fill take them.
struct LoadFlags {
  std::string kind;
  RegistryOptions registry;
};

StatusOr<LoadFlags> ReadLoadFlags(const Flags& f) {
  LoadFlags load;
  load.kind = f.Get("kind", "single");
  if (load.kind != "single" && load.kind != "pledge2") {
    return Status::InvalidArgument("--kind must be single or pledge2");
  }
  const std::string status_map = f.Get("status-map", "on");
  if (status_map != "on" && status_map != "off") {
    return Status::InvalidArgument("--status-map must be on or off");
  }
  load.registry.status_map = status_map == "on";
  return load;
}

struct WrkAppend {
  std::uint64_t connections = 0;
  std::uint64_t seconds = 0;
  std::uint64_t server_pid = 0;
  std::string wrk;
};
int AppendWithWrk(const Setup& setup, const std::string& kind,
                  const std::vector<Envelope>& envelopes, const WrkAppend& w,
                  const std::vector<std::pair<std::string, std::uint64_t>>& hist_before);

int RunAppend(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto count = f.Number("count", 20000, 1, 100'000'000);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!count.ok()) return Fail(count.status().message());
  auto pid = f.Number("server-pid", 0, 0, 1u << 30);
  if (!pid.ok()) return Fail(pid.status().message());
  auto flags = ReadLoadFlags(f);
  if (!flags.ok()) return Fail(flags.status().message());
  const std::string& kind = flags->kind;
  const std::string load_generator = f.Get("load-generator", "ours");
  if (load_generator != "ours" && load_generator != "wrk") {
    return Fail("--load-generator must be ours or wrk, got '" + load_generator + "'");
  }
  const bool use_wrk = load_generator == "wrk";
  if (use_wrk != !f.Get("seconds").empty()) {
    return Fail("--seconds goes with --load-generator wrk (wrk runs for a time, not a count)");
  }
  auto secs = f.Number("seconds", 5, 1, 240);
  if (!secs.ok()) return Fail(secs.status().message());
  auto setup = OpenSetup(f);
  if (!setup.ok()) return Fail(setup.status().ToString());
  const std::uint64_t c = *connections;
  const std::uint64_t n = *count;
  const std::uint64_t server_pid = *pid;

  // Setup: the run's participants (and patents), registered as the registry would.
  World world("t" + std::to_string(setup->tree_size), setup->tree_size);
  if (Status st = RegisterParticipants(world, *setup, c); !st.ok()) return Fail(st.ToString());
  if (kind == "pledge2") {
    if (Status st = RegisterPatents(world, *setup, n, c); !st.ok()) return Fail(st.ToString());
  }
  auto start_sign = Clock::now();
  const std::vector<Envelope> envelopes =
      ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured(kind, i); });
  std::fprintf(stderr, "ipledger-bench: pre-signed %llu %s envelopes in %.1f s\n",
               static_cast<unsigned long long>(n), kind.c_str(), SecondsSince(start_sign));
  auto hist_before = BatchHistogram(setup->server);
  if (!hist_before.ok()) return Fail(hist_before.status().ToString());
  if (use_wrk) {
    return AppendWithWrk(*setup, kind, envelopes, {c, *secs, server_pid, f.Get("wrk", "wrk")},
                         *hist_before);
  }

  // Measurement: C threads, one keep-alive connection each, taking envelopes in order.
  struct PerThread {
    std::vector<std::uint64_t> tree_sizes;
    std::string first_receipt;
  };
  std::vector<PerThread> per(c);
  Load load = RunClients(c, n, server_pid, [&](std::uint64_t t) -> StatusOr<Worker> {
    std::shared_ptr<api::Client> client = setup->server.NewClient();
    auto warm = client->Request("GET", "/healthz");  // connect before the clock starts
    if (!warm.ok()) return Status::Unavailable("connect: " + warm.status().ToString());
    PerThread& me = per[t];
    me.tree_sizes.reserve(n / c + 1);
    return Worker([client, &me, &envelopes](std::uint64_t i) -> Status {
      auto r = client->Request("POST", "/v1/entries", envelopes[i].bytes);
      std::optional<std::uint64_t> size;
      if (r.ok() && r->status == 201) size = ReceiptTreeSize(r->body);
      if (!size) {
        return Status::FailedPrecondition(
            "envelope " + std::to_string(i) + ": " +
            (r.ok() ? "HTTP " + std::to_string(r->status) + ": " + r->body
                    : r.status().ToString()));
      }
      me.tree_sizes.push_back(*size);
      if (me.first_receipt.empty()) me.first_receipt = std::move(r->body);
      return Status::Ok();
    });
  });
  if (!load.status.ok()) {
    return Fail("append " + kind + " failed (every answer must be 201): " + load.status.message());
  }

  // Every receipt's checkpoint was read cheaply above; check a sample in full, offline
  // with the log key: the receipts are real.
  auto vkey = api::FetchVkey(*setup->server.NewClient());
  if (!vkey.ok()) return Fail(vkey.status().ToString());
  std::uint64_t verified = 0;
  std::vector<std::uint64_t> tree_sizes;
  for (PerThread& p : per) {
    tree_sizes.insert(tree_sizes.end(), p.tree_sizes.begin(), p.tree_sizes.end());
    if (p.first_receipt.empty()) continue;
    auto receipt = api::ParseReceiptJson(p.first_receipt);
    if (!receipt.ok()) return Fail("a receipt: " + receipt.status().ToString());
    auto v = api::VerifyReceipt(*receipt, *vkey);
    if (!v.ok()) return Fail("a receipt does not verify: " + v.status().ToString());
    if (v->checkpoint.size != ReceiptTreeSize(p.first_receipt)) {
      return Fail("the checkpoint size read from a receipt is not its verified one");
    }
    ++verified;
  }
  auto hist_after = BatchHistogram(setup->server);
  if (!hist_after.ok()) return Fail(hist_after.status().ToString());

  JsonObject o;
  o.Str("mode", "append")
      .Str("kind", kind)
      .Int("connections", c)
      .Int("count", n)
      .Int("envelope_bytes_mean",
           [&] {
             std::uint64_t b = 0;
             for (const Envelope& e : envelopes) b += e.bytes.size();
             return b / n;
           }())
      .Real("seconds", load.seconds)
      .Real("entries_per_s", static_cast<double>(n) / load.seconds)
      .Raw("latency", "{" + LatencyJson(load.latency_ms, "ms_") + "}")
      .Raw("batch_size_from_receipts", BatchesFromReceipts(tree_sizes))
      .Raw("batch_size_metrics_delta", HistogramDelta(*hist_before, *hist_after))
      .Int("receipts_verified_offline", verified)
      .Real("client_cpu_seconds", load.client_cpu);
  std::string out = o.Render();
  out.insert(out.size() - 1, ServerCpuJson(load.server_cpu0, load.server_cpu1, n, ""));
  std::printf("%s\n", out.c_str());
  return 0;
}

// --- read ----------------------------------------------------------------------------------

struct ReadTarget {
  std::string target;
  std::map<std::string, std::string> headers;  // RFC 9421, signed before the slice
};

// What one query kind measured, summed over its slices.
struct PhaseFigures {
  std::uint64_t requests = 0;
  double seconds = 0;                      // under load
  double client_cpu = 0;                   // the load generator's
  std::optional<double> server_cpu = 0.0;  // nullopt when unknown (no --server-pid)
  std::vector<double> latency_ms;          // one per request
  std::uint64_t wrk_bytes = 0;             // wrk: everything received, headers included
  std::uint64_t checked_body_bytes = 0;    // wrk: the bodies of one answer per target
  std::uint64_t checked_answers = 0;

  void Add(PhaseFigures&& o) {
    requests += o.requests;
    seconds += o.seconds;
    client_cpu += o.client_cpu;
    server_cpu = server_cpu && o.server_cpu ? std::optional<double>(*server_cpu + *o.server_cpu)
                                            : std::nullopt;
    latency_ms.insert(latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
    wrk_bytes += o.wrk_bytes;
    checked_body_bytes += o.checked_body_bytes;
    checked_answers += o.checked_answers;
  }
  double rate() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }

  // The JSON members of the phase, prefixed with `name`.
  std::string Json(const std::string& name, bool wrk) {
    JsonObject o;
    o.Int(name + "_requests", requests)
        .Real(name + "_per_s", rate())
        .Real(name + "_client_cpu_seconds", client_cpu);
    if (wrk && requests > 0 && checked_answers > 0) {
      o.Real(name + "_wrk_bytes_per_answer",
             static_cast<double>(wrk_bytes) / static_cast<double>(requests))
          .Real(name + "_checked_body_bytes_mean",
                static_cast<double>(checked_body_bytes) / static_cast<double>(checked_answers));
    }
    std::string members = o.Render();
    return members.substr(1, members.size() - 2) + "," + LatencyJson(latency_ms, name + "_ms_") +
           ServerCpuJson(0.0, server_cpu, requests, name + "_");
  }
};

std::optional<double> CpuDelta(std::optional<double> before, std::optional<double> after) {
  if (!before || !after) return std::nullopt;
  return *after - *before;
}

// GETs `targets` round robin for `seconds` over `connections` connections with this
// program's client threads; every answer must be 200.
StatusOr<PhaseFigures> ReadSlice(const Server& server, const std::vector<ReadTarget>& targets,
                                 std::uint64_t connections, double seconds,
                                 std::uint64_t server_pid) {
  std::vector<std::vector<double>> per(connections);
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status failure;
  std::latch ready(static_cast<std::ptrdiff_t>(connections) + 1);
  std::latch go(1);
  std::vector<std::thread> pool;
  for (std::uint64_t t = 0; t < connections; ++t) {
    pool.emplace_back([&, t] {
      auto client = server.NewClient();
      auto warm = client->Request("GET", "/healthz");
      ready.count_down();
      go.wait();
      if (!warm.ok()) {
        stop = true;
        std::lock_guard<std::mutex> l(mu);
        failure = warm.status();
        return;
      }
      for (std::uint64_t k = t; !stop; ++k) {
        const ReadTarget& rt = targets[k % targets.size()];
        const auto t0 = Clock::now();
        auto r = client->Request("GET", rt.target, {}, "application/json", rt.headers);
        per[t].push_back(SecondsSince(t0) * 1e3);
        if (!r.ok() || r->status != 200) {
          std::lock_guard<std::mutex> l(mu);
          if (!stop.exchange(true)) {
            failure = r.ok()
                          ? Status::FailedPrecondition("GET " + rt.target + " answered " +
                                                       std::to_string(r->status) + ": " + r->body)
                          : r.status();
          }
          return;
        }
      }
    });
  }
  ready.arrive_and_wait();
  const double cpu0 = ProcessCpuSeconds();
  const auto server_cpu0 = CpuSecondsOf(server_pid);
  const auto start = Clock::now();
  go.count_down();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  PhaseFigures f;
  f.seconds = SecondsSince(start);
  f.client_cpu = ProcessCpuSeconds() - cpu0;
  f.server_cpu = CpuDelta(server_cpu0, CpuSecondsOf(server_pid));
  if (!failure.ok()) return failure;
  for (auto& v : per) f.latency_ms.insert(f.latency_ms.end(), v.begin(), v.end());
  f.requests = f.latency_ms.size();
  return f;
}

// `s` as a Lua string literal.
std::string LuaString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// `s` quoted for /bin/sh.
std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

double ChildrenCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The Lua done() hook of every wrk script here: wrk's summary (duration in µs, answers,
// bytes received, and its error counts) and its latency histogram (µs, value and count),
// on lines RunWrkScript reads back.
constexpr const char* kWrkDoneLua =
    "function done(summary, latency, requests)\n"
    "  local e = summary.errors\n"
    "  io.write(string.format(\"ipledger-wrk %d %d %d %d %d %d %d %d\\n\",\n"
    "    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write,\n"
    "    e.status, e.timeout))\n"
    "  for i = 1, #latency do\n"
    "    local v, c = latency(i)\n"
    "    io.write(string.format(\"ipledger-wrk-latency %d %d\\n\", v, c))\n"
    "  end\n"
    "end\n";

// wrk's threads: one per core, at most one per connection.
std::uint64_t WrkThreads(std::uint64_t connections) {
  return std::min<std::uint64_t>(std::max(1u, std::thread::hardware_concurrency()), connections);
}

// The log's size once it has stopped growing (two reads 200 ms apart agree): requests
// still in flight when a load generator stops may be committed after it returns.
StatusOr<std::uint64_t> SettledTreeSize(const Server& server) {
  auto size = TreeSize(server);
  for (int i = 0; size.ok() && i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto again = TreeSize(server);
    if (!again.ok() || *again == *size) return again;
    size = again;
  }
  return size;
}

// A fresh temporary directory for a wrk script and its data.
StatusOr<std::string> WrkDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipledger-bench-wrk.XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return Status::Internal("mkdtemp " + dir + " failed");
  return dir;
}

// Runs wrk with `script` (which ends with kWrkDoneLua) against `server` over
// `connections` connections for `seconds`, one thread per core, then removes `dir`. Adds
// to `f` the answers, the time, the bytes received, the latencies and the CPU of wrk
// and of the server. Any wrk error (connect, read, write, timeout, an answer of 400 or
// above) fails it.
StatusOr<PhaseFigures> RunWrkScript(const Server& server, const std::string& dir,
                                    const std::string& script, std::uint64_t connections,
                                    std::uint64_t seconds, std::uint64_t server_pid,
                                    const std::string& wrk, PhaseFigures f) {
  const std::string url =
      std::string(server.address.tls ? "https://" : "http://") +
      (server.address.host.find(':') != std::string::npos ? "[" + server.address.host + "]"
                                                          : server.address.host) +
      ":" + std::to_string(server.address.port) + "/";
  const std::string command = ShellQuote(wrk) + " -t" + std::to_string(WrkThreads(connections)) +
                              " -c" + std::to_string(connections) + " -d" +
                              std::to_string(seconds) + "s --timeout 10s -s " + ShellQuote(script) +
                              " " + ShellQuote(url) + " 2>&1";
  const double cpu0 = ChildrenCpuSeconds();
  const auto server_cpu0 = CpuSecondsOf(server_pid);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::Internal("cannot run " + command);
  std::string output;
  char buf[4096];
  for (size_t got; (got = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, got);
  const int rc = pclose(pipe);
  f.server_cpu = CpuDelta(server_cpu0, CpuSecondsOf(server_pid));
  f.client_cpu = ChildrenCpuSeconds() - cpu0;
  std::filesystem::remove_all(dir);
  const size_t at = output.find("ipledger-wrk ");
  std::uint64_t duration_us = 0, requests = 0, bytes = 0, e_connect = 0, e_read = 0, e_write = 0,
                e_status = 0, e_timeout = 0;
  if (rc != 0 || at == std::string::npos ||
      std::sscanf(output.c_str() + at, "ipledger-wrk %lu %lu %lu %lu %lu %lu %lu %lu", &duration_us,
                  &requests, &bytes, &e_connect, &e_read, &e_write, &e_status, &e_timeout) != 8) {
    return Status::Unavailable("wrk failed (" + command + "): " + output);
  }
  if (e_connect + e_read + e_write + e_status + e_timeout > 0 || requests == 0 ||
      duration_us == 0) {
    return Status::FailedPrecondition(
        "wrk: " + std::to_string(requests) + " answers, errors: connect " +
        std::to_string(e_connect) + ", read " + std::to_string(e_read) + ", write " +
        std::to_string(e_write) + ", status >= 400 " + std::to_string(e_status) + ", timeout " +
        std::to_string(e_timeout));
  }
  for (size_t p = output.find("ipledger-wrk-latency "); p != std::string::npos;
       p = output.find("ipledger-wrk-latency ", p + 1)) {
    std::uint64_t value_us = 0, count = 0;
    if (std::sscanf(output.c_str() + p, "ipledger-wrk-latency %lu %lu", &value_us, &count) != 2 ||
        count > requests) {
      return Status::Unavailable("wrk: unreadable latency line: " + output.substr(p, 80));
    }
    f.latency_ms.insert(f.latency_ms.end(), count, static_cast<double>(value_us) / 1e3);
  }
  f.requests = requests;
  f.seconds = static_cast<double>(duration_us) / 1e6;
  f.wrk_bytes = bytes;
  return f;
}

// The same slice as ReadSlice, with wrk (Debian's `wrk`, an event-driven load generator
// in C, one thread per core) in place of this program's client threads: the load
// generator then costs about 10 µs per request instead of 20-40, so more of the
// machine's two cores measure the server. The issue's own figures were taken with wrk.
// Each target is first fetched once with this program's client and must answer 200;
// under load wrk counts every answer of 400 or above as an error (summary.errors.status),
// and any error fails the slice. No Lua `response` hook is set: it would make wrk parse
// every answer into Lua tables, the cost this mode removes. The bytes wrk received per
// answer are reported beside the pre-checked body sizes, so short answers would show.
// wrk's latency histogram (µs, value and count) is printed by the script's done().
StatusOr<PhaseFigures> ReadSliceWrk(const Server& server, const std::vector<ReadTarget>& targets,
                                    std::uint64_t connections, std::uint64_t seconds,
                                    std::uint64_t server_pid, const std::string& wrk) {
  PhaseFigures f;
  {
    auto client = server.NewClient();
    for (const ReadTarget& rt : targets) {
      auto r = client->Request("GET", rt.target, {}, "application/json", rt.headers);
      if (!r.ok()) return r.status();
      if (r->status != 200) {
        return Status::FailedPrecondition("GET " + rt.target + " answered " +
                                          std::to_string(r->status) + ": " + r->body);
      }
      f.checked_body_bytes += r->body.size();
      ++f.checked_answers;
    }
  }
  auto made = WrkDir();
  if (!made.ok()) return made.status();
  const std::string dir = *made;
  const std::string script = dir + "/requests.lua";
  {
    std::ofstream lua(script);
    lua << "-- written by ipledger-bench read --load-generator wrk\n"
        << "function init(args)\n  requests = {\n";
    for (const ReadTarget& rt : targets) {
      lua << "    wrk.format(\"GET\", " << LuaString(rt.target) << ", {";
      for (const auto& [k, v] : rt.headers) {
        lua << "[" << LuaString(k) << "] = " << LuaString(v) << ", ";
      }
      lua << "}),\n";
    }
    lua << "  }\n  n = 0\nend\n"
        << "function request()\n  n = n + 1\n  return requests[(n % #requests) + 1]\nend\n"
        << kWrkDoneLua;
    if (!lua) return Status::Internal("cannot write " + script);
  }
  return RunWrkScript(server, dir, script, connections, seconds, server_pid, wrk, std::move(f));
}

// Writes DIR/append.lua, the wrk script that posts `envelopes` to /v1/entries over
// `threads` wrk threads: thread k posts envelopes [k n / T, (k + 1) n / T), in order, one
// per line of its own file DIR/envelopes-K.txt. Sets *bytes to their total size.
Status WriteAppendScript(const std::string& dir, const std::vector<Envelope>& envelopes,
                         std::uint64_t threads, std::uint64_t* bytes) {
  const std::uint64_t n = envelopes.size();
  *bytes = 0;
  for (std::uint64_t k = 0; k < threads; ++k) {
    const std::string file = dir + "/envelopes-" + std::to_string(k) + ".txt";
    std::ofstream out(file, std::ios::binary);
    for (std::uint64_t i = k * n / threads; i < (k + 1) * n / threads; ++i) {
      const std::string& e = envelopes[i].bytes;
      if (e.find_first_of("\r\n") != std::string::npos) {
        return Status::InvalidArgument("envelope " + std::to_string(i) + " holds a line break");
      }
      out << e << '\n';
      *bytes += e.size();
    }
    if (!out.flush()) return Status::Internal("cannot write " + file);
  }
  const std::string script = dir + "/append.lua";
  {
    std::ofstream lua(script);
    lua << "-- written by ipledger-bench append --load-generator wrk\n"
        << "local threads = 0\n"
        << "function setup(thread)\n  thread:set(\"id\", threads)\n  threads = threads + 1\nend\n"
        << "function init(args)\n  requests = {}\n"
        << "  for line in io.lines(" << LuaString(dir)
        << " .. \"/envelopes-\" .. id .. \".txt\") do\n"
        << "    requests[#requests + 1] = wrk.format(\"POST\", \"/v1/entries\",\n"
        << "      {[\"Content-Type\"] = \"application/json\"}, line)\n"
        << "  end\n"
        << "  -- Past its share a thread asks for a path that does not exist: wrk counts the\n"
        << "  -- 404 as an error, which fails the run, instead of posting an envelope twice.\n"
        << "  ran_out = wrk.format(\"GET\", \"/ipledger-bench/pre-signed-envelopes-ran-out\")\n"
        << "  n = 0\nend\n"
        << "function request()\n  n = n + 1\n"
        << "  if n <= #requests then return requests[n] end\n  return ran_out\nend\n"
        << kWrkDoneLua;
    if (!lua.flush()) return Status::Internal("cannot write " + script);
  }
  return Status::Ok();
}

// append --load-generator wrk (the file comment says what it checks).
int AppendWithWrk(const Setup& setup, const std::string& kind,
                  const std::vector<Envelope>& envelopes, const WrkAppend& w,
                  const std::vector<std::pair<std::string, std::uint64_t>>& hist_before) {
  auto made = WrkDir();
  if (!made.ok()) return Fail(made.status().ToString());
  const std::string dir = *made;
  auto give_up = [&](const std::string& why) {
    std::filesystem::remove_all(dir);
    return Fail("append " + kind + " with wrk: " + why);
  };
  const std::uint64_t n = envelopes.size();
  const std::uint64_t threads = WrkThreads(w.connections);
  std::uint64_t bytes = 0;
  if (Status st = WriteAppendScript(dir, envelopes, threads, &bytes); !st.ok()) {
    return give_up(st.ToString());
  }
  const std::string script = dir + "/append.lua";
  auto before = SettledTreeSize(setup.server);
  if (!before.ok()) return give_up(before.status().ToString());
  auto got = RunWrkScript(setup.server, dir, script, w.connections, w.seconds, w.server_pid, w.wrk,
                          PhaseFigures{});
  if (!got.ok()) {
    return Fail("append " + kind + " with wrk: " + got.status().ToString() +
                " (an answer of 400 or above: a refusal, or a wrk thread that ran out of its " +
                std::to_string(n / threads) + " pre-signed envelopes: raise --count)");
  }
  // Every answer a new entry, none lost: the log grew by the answers wrk counted, plus at
  // most the requests in flight when it stopped (committed after it closed them), plus
  // at most one map.root entry per batch (the status map's, for pledges).
  auto after = SettledTreeSize(setup.server);
  if (!after.ok()) return Fail(after.status().ToString());
  auto hist_after = BatchHistogram(setup.server);
  if (!hist_after.ok()) return Fail(hist_after.status().ToString());
  const std::uint64_t grown = *after - *before;
  const std::uint64_t batches =
      hist_after->empty()
          ? 0
          : hist_after->back().second - (hist_before.empty() ? 0 : hist_before.back().second);
  const std::uint64_t most = got->requests + w.connections + (kind == "pledge2" ? batches : 0);
  if (grown < got->requests || grown > most) {
    return Fail("append " + kind + " with wrk: the log grew by " + std::to_string(grown) +
                " entries for " + std::to_string(got->requests) + " answers in " +
                std::to_string(batches) + " batches");
  }
  JsonObject o;
  o.Str("mode", "append")
      .Str("kind", kind)
      .Str("load_generator", "wrk")
      .Int("connections", w.connections)
      .Int("count", got->requests)
      .Int("pre_signed", n)
      .Int("log_grew_by", grown)
      .Int("envelope_bytes_mean", n > 0 ? bytes / n : 0)
      .Real("seconds", got->seconds)
      .Real("entries_per_s", got->rate())
      .Raw("latency", "{" + LatencyJson(got->latency_ms, "ms_") + "}")
      .Raw("batch_size_metrics_delta", HistogramDelta(hist_before, *hist_after))
      .Real("client_cpu_seconds", got->client_cpu);
  std::string out = o.Render();
  out.insert(out.size() - 1, ServerCpuJson(0.0, got->server_cpu, got->requests, ""));
  std::printf("%s\n", out.c_str());
  return 0;
}

int RunRead(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto secs = f.Number("seconds", 5, 1, 240);  // per slice, the signatures are valid for 300 s
  auto slices = f.Number("slices", 1, 1, 1000);
  auto pid = f.Number("server-pid", 0, 0, 1u << 30);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!secs.ok()) return Fail(secs.status().message());
  if (!slices.ok()) return Fail(slices.status().message());
  if (!pid.ok()) return Fail(pid.status().message());
  if (*secs % *slices != 0) {
    return Fail("--seconds must be a multiple of --slices (each slice lasts whole seconds)");
  }
  const std::string load_generator = f.Get("load-generator", "ours");
  if (load_generator != "ours" && load_generator != "wrk") {
    return Fail("--load-generator must be ours or wrk, got '" + load_generator + "'");
  }
  const bool use_wrk = load_generator == "wrk";
  auto setup = OpenSetup(f);
  if (!setup.ok()) return Fail(setup.status().ToString());
  const std::uint64_t c = *connections;
  const std::string wrk = f.Get("wrk", "wrk");
  const std::uint64_t slice_seconds = *secs / *slices;

  // Setup: 8 patents, each of its own enterprise; the even ones pledged to a bank (two
  // signatures), every one insured against infringement loss with the bank as payee.
  constexpr std::uint64_t kPatents = 8;
  World world("r" + std::to_string(setup->tree_size), setup->tree_size);
  if (Status st = RegisterParticipants(world, *setup, c); !st.ok()) return Fail(st.ToString());
  if (Status st = RegisterPatents(world, *setup, kPatents, c); !st.ok()) return Fail(st.ToString());
  std::vector<Envelope> deals;
  for (std::uint64_t i = 0; i < kPatents; i += 2) deals.push_back(world.SignedPledge(i));
  for (std::uint64_t i = 0; i < kPatents; ++i) {
    deals.push_back(world.SignedPolicy(i, {world.PatentId(i)}));
  }
  if (Status st = PostAll(setup->server, deals, c, "pledges and policies"); !st.ok()) {
    return Fail(st.ToString());
  }

  // The caller: bank 0, pledgee of patents 0 and 4 and loss payee of their policies.
  const Party& caller = world.bank(0);
  const std::string today = FormatDate(world.today());
  auto sign_targets = [&](const std::string& path_suffix) {
    std::vector<ReadTarget> out;
    const std::int64_t created = NowMs() / 1000;
    for (std::uint64_t i = 0; i < kPatents; ++i) {
      ReadTarget rt;
      rt.target = "/v1/assets/" + api::EscapePathSegment(world.PatentId(i)) + path_suffix;
      api::SignatureHeaders h =
          api::SignRequest("GET", rt.target, caller.keyid(), created, caller.key);
      rt.headers = {{"Signature-Input", h.signature_input}, {"Signature", h.signature}};
      out.push_back(std::move(rt));
    }
    return out;
  };
  // The query kinds, measured in interleaved slices (status, coverage, asset, healthz,
  // status, ...) so that a burst of load from elsewhere on the machine falls on all of
  // them alike. With wrk, /healthz is also measured with this program's client: the
  // appends are always driven by it, and the in-run limit they are compared with takes
  // /healthz under the same load generator.
  struct Kind {
    std::string name;
    std::string suffix;  // of the asset path; "" with signed = false: /healthz
    bool signed_request;
    bool wrk;
    PhaseFigures figures;
  };
  std::vector<Kind> kinds = {{"status", "/pledge-status?at=" + today, true, use_wrk, {}},
                             {"coverage", "/coverage?date=" + today, true, use_wrk, {}},
                             {"asset", "", true, use_wrk, {}},
                             {"healthz", "", false, use_wrk, {}}};
  if (use_wrk) kinds.push_back({"healthz_own_client", "", false, false, {}});
  for (std::uint64_t slice = 0; slice < *slices; ++slice) {
    for (Kind& k : kinds) {
      // Signed afresh per slice: a long run stays inside the signatures' 300 s window.
      const std::vector<ReadTarget> targets =
          k.signed_request ? sign_targets(k.suffix)
                           : std::vector<ReadTarget>{ReadTarget{"/healthz", {}}};
      auto got =
          k.wrk ? ReadSliceWrk(setup->server, targets, c, slice_seconds, *pid, wrk)
                : ReadSlice(setup->server, targets, c, static_cast<double>(slice_seconds), *pid);
      if (!got.ok()) return Fail(k.name + ": " + got.status().ToString());
      k.figures.Add(std::move(*got));
    }
  }
  std::string members;
  for (Kind& k : kinds) {
    std::fprintf(stderr, "ipledger-bench: read %s%s: %.0f requests/s\n", k.name.c_str(),
                 k.wrk ? " (wrk)" : "", k.figures.rate());
    members += "," + k.figures.Json(k.name, k.wrk);
  }
  const double h = kinds[3].figures.rate();
  auto over = [h](const Kind& k) { return Num(h > 0 ? k.figures.rate() / h : 0); };
  std::string out = "{\"mode\":\"read\",\"load_generator\":" + JsonString(load_generator) +
                    ",\"connections\":" + std::to_string(c) +
                    ",\"seconds_per_phase\":" + std::to_string(*secs) +
                    ",\"slices\":" + std::to_string(*slices) +
                    ",\"signed\":\"once per slice per target (RFC 9421, bank key)\"" + members +
                    ",\"status_over_healthz\":" + over(kinds[0]) +
                    ",\"coverage_over_healthz\":" + over(kinds[1]) +
                    ",\"asset_over_healthz\":" + over(kinds[2]) + "}";
  std::printf("%s\n", out.c_str());
  return 0;
}

// --- verify-rate ---------------------------------------------------------------------------

struct VerifyRate {
  std::uint64_t pae_bytes = 0;
  std::uint64_t verifies = 0;
  double seconds = 0;
  double per_s() const { return static_cast<double>(verifies) / seconds; }
};

// One core's Ed25519 verifications per second over `secs` seconds.
StatusOr<VerifyRate> MeasureVerifyRate(std::uint64_t secs) {
  // A realistic message: the PAE of a two-signature pledge envelope as a bank sends it.
  World world("verify", 1000);
  const Statement st = world.PledgeStatement(7);
  const std::string json = api::EncodeStatement(st);
  const Bytes pae = Pae(api::kStatementPayloadType, AsBytes(json));
  const Party& signer = world.bank(7);
  const Signature sig = signer.key.Sign(pae);
  const PublicKey pk = signer.key.public_key();

  std::uint64_t verifies = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(secs);
  while (Clock::now() < deadline) {
    for (int i = 0; i < 256; ++i) {
      if (!Verify(pk, pae, sig)) return Status::Internal("a valid signature did not verify");
    }
    verifies += 256;
  }
  return VerifyRate{pae.size(), verifies, SecondsSince(start)};
}

int RunVerifyRate(const Flags& f) {
  auto secs = f.Number("seconds", 3, 1, 600);
  if (!secs.ok()) return Fail(secs.status().message());
  auto v = MeasureVerifyRate(*secs);
  if (!v.ok()) return Fail(v.status().ToString());
  JsonObject o;
  o.Str("mode", "verify-rate")
      .Int("pae_bytes", v->pae_bytes)
      .Int("verifies", v->verifies)
      .Real("seconds", v->seconds)
      .Real("verifies_per_s", v->per_s())
      .Real("us_per_verify", v->seconds * 1e6 / static_cast<double>(v->verifies));
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

// --- floor ---------------------------------------------------------------------------------

// The floor's log: envelopes appended in groups, each group one synced WriteBatch of
// ledger/log's Store (RocksDB, as the ledger writes), each request answered once its
// group is durable. One writer thread, as the ledger's sequencer.
class FloorLog {
 public:
  explicit FloorLog(std::unique_ptr<Store> store)
      : store_(std::move(store)), thread_([this] { Run(); }) {}
  ~FloorLog() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Append(std::string envelope, api::Respond respond) {
    {
      std::lock_guard<std::mutex> l(mu_);
      pending_.emplace_back(std::move(envelope), std::move(respond));
    }
    cv_.notify_one();
  }
  std::uint64_t size() const { return size_.load(); }

 private:
  void Run() {
    std::vector<std::pair<std::string, api::Respond>> group;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !pending_.empty(); });
        if (pending_.empty()) return;
        group.swap(pending_);
      }
      const std::uint64_t first = size_.load();
      WriteSet w;
      for (size_t i = 0; i < group.size(); ++i) {
        std::string key;
        PutFixed64BE(&key, first + i);
        w.Put(Column::kEnvelopes, key, group[i].first);
      }
      const bool durable = failed_ || store_->Write(w).ok();
      failed_ = !durable;  // as the ledger: after a failed write, nothing more is accepted
      if (durable) size_ += group.size();
      for (size_t i = 0; i < group.size(); ++i) {
        api::Response r;
        r.status = durable ? 201 : 503;
        r.body = durable ? "{\"index\":" + std::to_string(first + i) + "}" : "{}";
        group[i].second(std::move(r));
      }
      group.clear();
    }
  }

  std::unique_ptr<Store> store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::pair<std::string, api::Respond>> pending_;
  std::atomic<std::uint64_t> size_{0};
  bool failed_ = false;  // the writer thread's own
  std::thread thread_;
};

// ipledger-bench floor: the least a durable, signature-verified append costs on this
// machine, measured as `append --load-generator wrk` measures ipledgerd. An in-process
// server on the same HTTP layer (api/server: Beast, ipledgerd's default of 4 io
// threads) answers GET /healthz with a small JSON body, and POST /v1/entries by
// decoding the DSSE envelope (api/codec), checking its Ed25519 signatures (one; two for
// --kind pledge2) against the signers' public keys, appending the envelope's bytes (FloorLog: group
// commit, one fsync per group) and answering 201 with the entry's index once durable. None of what
// the registry adds: no statement decoding, rules, Merkle tree, checkpoint, receipt,
// idempotency record or state. With one core's verify rate and /healthz under wrk in the
// same run, it prints the in-run limit and the floor's share of it.
int RunFloor(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto count = f.Number("count", 80000, 1, 10'000'000);
  auto secs = f.Number("seconds", 4, 1, 240);
  auto read_secs = f.Number("read-seconds", 4, 1, 240);
  auto verify_secs = f.Number("verify-seconds", 3, 1, 600);
  auto io_threads = f.Number("io-threads", 4, 1, 64);
  for (const auto* n : {&connections, &count, &secs, &read_secs, &verify_secs, &io_threads}) {
    if (!n->ok()) return Fail(n->status().message());
  }
  const std::string wrk = f.Get("wrk", "wrk");
  const std::string kind = f.Get("kind", "single");
  if (kind != "single" && kind != "pledge2") {
    return Fail("--kind must be single or pledge2, got '" + kind + "'");
  }
  const size_t signatures = kind == "single" ? 1 : 2;
  std::string dir = f.Get("dir");
  const bool own_dir = dir.empty();
  if (own_dir) {
    auto made = WrkDir();
    if (!made.ok()) return Fail(made.status().ToString());
    dir = *made;
  }
  struct Cleanup {
    std::string dir;
    bool own;
    ~Cleanup() {
      if (own) std::filesystem::remove_all(dir);
    }
  } cleanup{dir, own_dir};

  auto verify = MeasureVerifyRate(*verify_secs);
  if (!verify.ok()) return Fail(verify.status().ToString());

  // The envelopes `append --kind KIND` posts: data-asset registrations signed by their
  // enterprise, or pledges signed by the bank and the pledgor.
  World world("floor", 0);
  std::map<std::string, PublicKey> keys;
  for (std::uint64_t i = 0; i < 64; ++i) {
    keys.emplace(world.holder(i).keyid(), world.holder(i).key.public_key());
    keys.emplace(world.bank(i).keyid(), world.bank(i).key.public_key());
  }
  const std::vector<Envelope> envelopes =
      ParallelMake<Envelope>(*count, [&](std::uint64_t i) { return world.Measured(kind, i); });

  StoreOptions so;
  so.create = true;
  auto store = Store::Open(dir + "/store", so);
  if (!store.ok()) return Fail(store.status().ToString());
  FloorLog log(std::move(*store));
  api::ServerOptions options;
  options.io_threads = static_cast<int>(*io_threads);
  options.max_connections_per_address = 0;
  auto handler = [&](api::Request req, api::Respond respond) {
    api::Response r;
    if (req.method == "GET" && req.target == "/healthz") {
      r.body = "{\"status\":\"ok\"}";
      return respond(std::move(r));
    }
    if (req.method != "POST" || req.target != "/v1/entries") {
      r.status = 404;
      return respond(std::move(r));
    }
    auto envelope = api::DecodeEnvelopeJson(req.body);
    r.status = 400;
    if (!envelope.ok() || envelope->signatures.size() != signatures) return respond(std::move(r));
    r.status = 403;
    for (const DsseSignature& sig : envelope->signatures) {
      const auto key = keys.find(sig.keyid);
      if (key == keys.end() || !VerifyDsseSignature(*envelope, sig, key->second)) {
        return respond(std::move(r));
      }
    }
    log.Append(std::move(req.body), std::move(respond));
  };
  auto server = api::Server::Start(options, handler);
  if (!server.ok()) return Fail(server.status().ToString());
  auto address = api::ParseServerUrl("http://127.0.0.1:" + std::to_string((*server)->port()));
  if (!address.ok()) return Fail(address.status().ToString());
  const Server target{*address};

  auto made = WrkDir();
  if (!made.ok()) return Fail(made.status().ToString());
  std::uint64_t bytes = 0;
  if (Status st = WriteAppendScript(*made, envelopes, WrkThreads(*connections), &bytes); !st.ok()) {
    std::filesystem::remove_all(*made);
    return Fail(st.ToString());
  }
  const std::uint64_t pid = static_cast<std::uint64_t>(getpid());
  auto appends = RunWrkScript(target, *made, *made + "/append.lua", *connections, *secs, pid, wrk,
                              PhaseFigures{});
  if (!appends.ok()) {
    return Fail("floor appends: " + appends.status().ToString() +
                " (a wrk thread may have run out of envelopes: raise --count)");
  }
  for (int i = 0; i < 50 && log.size() < appends->requests; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (log.size() < appends->requests || log.size() > appends->requests + *connections) {
    return Fail("floor: " + std::to_string(log.size()) + " entries for " +
                std::to_string(appends->requests) + " answers");
  }
  auto healthz =
      ReadSliceWrk(target, {ReadTarget{"/healthz", {}}}, *connections, *read_secs, pid, wrk);
  if (!healthz.ok()) return Fail("floor /healthz: " + healthz.status().ToString());
  (*server)->Stop();

  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double limit = 1 / (1 / (cores * verify->per_s()) + 1 / healthz->rate());
  JsonObject o;
  o.Str("mode", "floor")
      .Str("kind", kind)
      .Int("connections", *connections)
      .Int("io_threads", *io_threads)
      .Real("verify_per_s", verify->per_s())
      .Real("healthz_per_s", healthz->rate())
      .Real("append_limit_per_s", limit)
      .Int("appends", appends->requests)
      .Int("envelope_bytes_mean", *count > 0 ? bytes / *count : 0)
      .Real("floor_append_per_s", appends->rate())
      .Real("floor_over_limit", appends->rate() / limit)
      .Raw("floor_latency", "{" + LatencyJson(appends->latency_ms, "ms_") + "}")
      .Real("floor_wrk_cpu_us_per_append",
            appends->client_cpu * 1e6 / static_cast<double>(appends->requests))
      .Real("healthz_wrk_cpu_us_per_request",
            healthz->client_cpu * 1e6 / static_cast<double>(healthz->requests));
  std::string out = o.Render();
  out.insert(out.size() - 1,
             ServerCpuJson(0.0, appends->server_cpu, appends->requests, "floor_") +
                 ServerCpuJson(0.0, healthz->server_cpu, healthz->requests, "healthz_"));
  std::printf("%s\n", out.c_str());
  return 0;
}

// --- pg ------------------------------------------------------------------------------------

#if IPLEDGER_BENCH_HAVE_LIBPQ

// One libpq connection, closed on destruction.
struct PgConn {
  PGconn* conn = nullptr;
  explicit PgConn(const std::string& conninfo) : conn(PQconnectdb(conninfo.c_str())) {
    // Notices ("table entries does not exist, skipping") are not results; keep stderr
    // for progress.
    if (conn != nullptr)
      PQsetNoticeProcessor(
          conn, [](void*, const char*) {}, nullptr);
  }
  ~PgConn() { PQfinish(conn); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  bool ok() const { return conn != nullptr && PQstatus(conn) == CONNECTION_OK; }
  std::string error() const { return conn == nullptr ? "out of memory" : PQerrorMessage(conn); }

  // Runs `sql`; kUnavailable with the server's message unless it succeeds.
  Status Exec(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Status::Unavailable(sql + ": " + error());
    }
    return Status::Ok();
  }
  // The single value `sql` answers.
  StatusOr<std::string> Value(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    std::optional<std::string> v;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) v = PQgetvalue(r, 0, 0);
    PQclear(r);
    if (!v) return Status::Unavailable(sql + ": " + error());
    return *v;
  }
};

int RunPg(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto count = f.Number("count", 20000, 1, 100'000'000);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!count.ok()) return Fail(count.status().message());
  auto flags = ReadLoadFlags(f);
  if (!flags.ok()) return Fail(flags.status().message());
  const std::string& kind = flags->kind;
  const std::string conninfo = f.Get("conninfo");
  if (conninfo.empty()) return Fail("--conninfo is required");
  const std::uint64_t c = *connections;
  const std::uint64_t n = *count;

  PgConn admin(conninfo);
  if (!admin.ok()) return Fail("cannot connect to PostgreSQL: " + admin.error());
  for (const char* sql :
       {"DROP TABLE IF EXISTS entries",
        "CREATE TABLE entries(id bigserial primary key, idempotency_key text unique not null, "
        "envelope bytea not null)"}) {
    if (Status s = admin.Exec(sql); !s.ok()) return Fail(s.ToString());
  }
  auto fsync = admin.Value("SHOW fsync");
  auto version = admin.Value("SHOW server_version");
  if (!fsync.ok() || !version.ok()) return Fail("cannot read the server settings");

  // The same generator as `append` (a fixed tag: the table is new each run).
  World world("pg", 0);
  auto start_sign = Clock::now();
  const std::vector<Envelope> envelopes =
      ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured(kind, i); });
  std::fprintf(stderr, "ipledger-bench: pre-signed %llu %s envelopes in %.1f s\n",
               static_cast<unsigned long long>(n), kind.c_str(), SecondsSince(start_sign));

  Load load = RunClients(c, n, 0, [&](std::uint64_t) -> StatusOr<Worker> {
    auto pg = std::make_shared<PgConn>(conninfo);
    if (!pg->ok()) return Status::Unavailable("connect: " + pg->error());
    if (Status st = pg->Exec("SET synchronous_commit = on"); !st.ok()) return st;
    PGresult* r =
        PQprepare(pg->conn, "ins", "INSERT INTO entries(idempotency_key, envelope) VALUES ($1, $2)",
                  2, nullptr);
    const bool prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!prepared) return Status::Unavailable(pg->error());
    return Worker([pg, &envelopes](std::uint64_t i) -> Status {
      const Envelope& e = envelopes[i];
      const char* values[2] = {e.idempotency_key.c_str(), e.bytes.data()};
      const int lengths[2] = {0, static_cast<int>(e.bytes.size())};
      const int formats[2] = {0, 1};  // text key, binary bytea
      PGresult* res = PQexecPrepared(pg->conn, "ins", 2, values, lengths, formats, 0);
      const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
      if (!ok) {
        return Status::Unavailable("INSERT of envelope " + std::to_string(i) + ": " + pg->error());
      }
      return Status::Ok();
    });
  });
  if (!load.status.ok()) return Fail("pg " + kind + " failed: " + load.status.message());
  auto rows = admin.Value("SELECT count(*) FROM entries");
  if (!rows.ok() || *rows != std::to_string(n)) {
    return Fail("the table holds " + (rows.ok() ? *rows : rows.status().ToString()) +
                " rows, not " + std::to_string(n));
  }
  JsonObject o;
  o.Str("mode", "pg")
      .Str("kind", kind)
      .Str("server_version", *version)
      .Str("fsync", *fsync)
      .Str("synchronous_commit", "on")
      .Int("connections", c)
      .Int("count", n)
      .Real("seconds", load.seconds)
      .Real("entries_per_s", static_cast<double>(n) / load.seconds)
      .Raw("latency", "{" + LatencyJson(load.latency_ms, "ms_") + "}")
      .Real("client_cpu_seconds", load.client_cpu);
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

#else

int RunPg(const Flags&) {
  return Fail(
      "pg: this ipledger-bench was built without libpq (install libpq-dev, see "
      "tools/deps.sh, and re-run cmake)");
}

#endif

// --- fill --------------------------------------------------------------------------------

// Resident set size of this process in bytes (VmRSS), or 0 if unknown.
std::uint64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::uint64_t DirectoryBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

// Appends N single-signature statements (the `append --kind single` kind) directly to a
// stopped server's data directory, in process: a large log in minutes instead of hours
// over HTTP, to measure a server that is already big (memory, open and verify time).
// Statements are made in chunks of 100,000, each under a fresh run tag (its own 21
// participants), so none is older than the registry's staleness window when sequenced.
int RunFill(const Flags& f) {
  auto count = f.Number("count", 1'000'000, 1, 100'000'000);
  if (!count.ok()) return Fail(count.status().message());
  auto batch = f.Number("batch", 1000, 1, 100'000);
  if (!batch.ok()) return Fail(batch.status().message());
  const std::string dir = f.Get("data-dir");
  if (dir.empty()) return Fail("fill needs --data-dir (of a stopped server)");
  auto flags = ReadLoadFlags(f);
  if (!flags.ok()) return Fail(flags.status().message());
  const std::string& kind = flags->kind;
  auto log_key = ReadKeyFile(dir + "/log.key");
  if (!log_key.ok()) return Fail(log_key.status().ToString());
  auto office_key = ReadKeyFile(dir + "/registry.key");
  if (!office_key.ok()) return Fail(office_key.status().ToString());
  Party office{f.Get("registry-id", "registry"), std::move(*office_key)};
  auto registry = Registry::Open(dir + "/db", std::move(*log_key), flags->registry);
  if (!registry.ok()) return Fail("cannot open " + dir + "/db: " + registry.status().ToString());
  Registry& r = **registry;
  const std::uint64_t start_size = r.ledger().size();
  const auto start = Clock::now();
  constexpr std::uint64_t kChunk = 100'000;
  for (std::uint64_t done = 0; done < *count;) {
    const std::uint64_t n = std::min(kChunk, *count - done);
    World world("f" + std::to_string(r.ledger().size()), r.ledger().size());
    const std::vector<Statement> people = world.ParticipantStatements();
    std::vector<Envelope> registrations;
    for (const Statement& st : people) registrations.push_back(world.Sign(st, {&office}));
    if (Status st = SubmitAll(r, registrations, *batch); !st.ok()) return Fail(st.ToString());
    if (kind == "pledge2") {  // the patents the pledges need
      const std::vector<Envelope> patents = ParallelMake<Envelope>(
          n, [&](std::uint64_t i) { return world.Sign(world.PatentStatement(i), {&office}); });
      if (Status st = SubmitAll(r, patents, *batch); !st.ok()) return Fail(st.ToString());
    }
    const std::vector<Envelope> envelopes =
        ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured(kind, i); });
    if (Status st = SubmitAll(r, envelopes, *batch); !st.ok()) return Fail(st.ToString());
    done += n;
    std::fprintf(stderr, "ipledger-bench: fill: %llu of %llu, tree size %llu, %.0f entries/s\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(*count),
                 static_cast<unsigned long long>(r.ledger().size()),
                 static_cast<double>(done) / SecondsSince(start));
  }
  const double seconds = SecondsSince(start);
  const std::uint64_t size = r.ledger().size();
  const std::uint64_t rss = RssBytes();
  registry->reset();  // flushes the memtables, so the bytes on disk are all there
  const std::uint64_t bytes = DirectoryBytes(dir + "/db");
  JsonObject o;
  o.Str("mode", "fill")
      .Int("entries_added", size - start_size)
      .Int("tree_size", size)
      .Real("seconds", seconds)
      .Real("entries_per_s", static_cast<double>(size - start_size) / seconds)
      .Int("db_bytes", bytes)
      .Real("db_bytes_per_entry", static_cast<double>(bytes) / static_cast<double>(size))
      .Int("fill_rss_bytes", rss);
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help") {
    std::fprintf(argc < 2 ? stderr : stdout, "%s", kUsage);
    return argc < 2 ? 2 : 0;
  }
  if (std::string_view(argv[1]) == "--version") return PrintVersion("ipledger-bench");
  if (!InitCrypto()) return Fail("libsodium initialization failed");
  const std::string cmd = argv[1];
  std::vector<std::string> allowed;
  int (*run)(const Flags&) = nullptr;
  if (cmd == "append") {
    allowed = {"server",      "data-dir",   "connections",    "count",   "kind",
               "registry-id", "server-pid", "load-generator", "seconds", "wrk"};
    run = RunAppend;
  } else if (cmd == "read") {
    allowed = {"server",      "data-dir",   "connections",    "seconds", "slices",
               "registry-id", "server-pid", "load-generator", "wrk"};
    run = RunRead;
  } else if (cmd == "floor") {
    allowed = {"connections",    "count",      "kind", "seconds", "read-seconds",
               "verify-seconds", "io-threads", "wrk",  "dir"};
    run = RunFloor;
  } else if (cmd == "verify-rate") {
    allowed = {"seconds"};
    run = RunVerifyRate;
  } else if (cmd == "fill") {
    allowed = {"data-dir", "count", "batch", "registry-id", "kind", "status-map"};
    run = RunFill;
  } else if (cmd == "pg") {
    allowed = {"conninfo", "connections", "count", "kind"};
    run = RunPg;
  } else {
    std::fprintf(stderr, "ipledger-bench: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  }
  auto flags = ParseFlags(argc, argv, allowed);
  if (!flags.ok()) {
    std::fprintf(stderr, "ipledger-bench %s: %s\n%s", cmd.c_str(), flags.status().message().c_str(),
                 kUsage);
    return 2;
  }
  return run(*flags);
}

}  // namespace
}  // namespace ipledger::bench

int main(int argc, char** argv) {
  try {
    return ipledger::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipledger-bench: internal error: %s\n", e.what());
    return 1;
  }
}
