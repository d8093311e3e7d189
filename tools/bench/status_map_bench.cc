// status_map_bench: what the status map (issue 13) costs the registry, in process on
// real RocksDB with real signatures; a tool that prints figures, not a test
// (docs/performance.md, "Status map in the registry").
//
//   build/release/tools/bench/status_map_bench [--pledges N] [--batch B] [--runs R]
//                                              [--proofs K] [--dir D] [--only with|without]
//
// 1. Appends with the map and without it, in the same run: R runs (default 3), each
//    with two fresh registries, one keeping the map and one with RegistryOptions::
//    status_map false (the order alternates between runs). Each registers the run's 21
//    participants and N patents (default 100,000; not measured), then N pledge
//    registrations (two signatures each, pre-verified as the server's IO threads do) in
//    durable batches of B (default 256, one fsync each; with the map, each batch also
//    stages the map and appends its map.root entry). Prints statements/s of every run,
//    the medians and their ratio (with / without), and per pledge: the wall time in
//    Submit, its CPU (the calling thread, and all threads) and the bytes written.
// 2. On the last run's registry with the map (N assets in it):
//    - Registry::Open (the log's own checks plus the status map check at open), and
//      CheckStatusMap alone (every node of the latest version, every status record);
//      Registry::Open with MapCheck::kBackground (ipledgerd's default) and the time of
//      its check on the registry's thread;
//    - ProveStatus of K random pledged assets and K never registered (default 2,000):
//      p50 / p99 and the encoded map proof's size (median / max);
//    - VerifyStatusMapFromLeaves: the map recomputed from every leaf and compared with
//      every logged root (what `ipledger verify` and the monitor do), entries/s.
// `--only with` (or `without`) runs one registry per run, for a profiler (perf record) to
// see one side alone; no ratio is printed then.
// The registries live in D (default: a fresh directory under $TMPDIR, removed at
// exit). Figures depend on the machine; run it on an otherwise idle one.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/init.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/status_map.h"
#include "tools/bench/bench_support.h"

namespace ipledger::bench {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "status_map_bench: %s\n", message.c_str());
  return 1;
}

struct Signed {
  Envelope genesis;
  std::vector<Envelope> setup;    // participants and patents
  std::vector<Envelope> pledges;  // measured
};

Signed SignRun(const World& world, const Party& office, std::uint64_t n) {
  Signed s;
  ParticipantRegister g;
  g.id = office.id;
  g.name = "Registry office";
  g.role = Role::kRegistry;
  g.keys = {{"k1", office.key.public_key()}};
  Statement st;
  st.type = std::string(StatementTypeName(StatementBody(g)));
  st.submitter = office.id;
  st.idempotency_key = "genesis";
  st.created_ms = NowMs();
  st.body = g;
  s.genesis = world.Sign(st, {&office});
  for (const Statement& p : world.ParticipantStatements()) {
    s.setup.push_back(world.Sign(p, {&office}));
  }
  std::vector<Envelope> patents = ParallelMake<Envelope>(
      n, [&](std::uint64_t i) { return world.Sign(world.PatentStatement(i), {&office}); });
  s.setup.insert(s.setup.end(), patents.begin(), patents.end());
  s.pledges = ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.SignedPledge(i); });
  return s;
}

// What the calls to Registry::Submit cost, summed over the measured batches.
struct Cost {
  double seconds = 0;         // wall time
  double thread_cpu_s = 0;    // CPU of the calling thread (the sequencer's own work)
  double process_cpu_s = 0;   // CPU of every thread while in Submit (RocksDB's too)
  std::uint64_t written = 0;  // bytes the process passed to write() (WAL, flushes)
};

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// `wchar` of /proc/self/io: every byte written by the process, to files or not.
std::uint64_t BytesWritten() {
  std::ifstream io("/proc/self/io");
  std::string name;
  std::uint64_t value = 0;
  while (io >> name >> value) {
    if (name == "wchar:") return value;
  }
  return 0;
}

// SubmitAll with Cost measured around each Submit.
Status SubmitMeasured(Registry& registry, const std::vector<Envelope>& envelopes,
                      std::uint64_t batch, Cost* cost) {
  std::uint64_t written = 0;
  double thread_cpu = 0;
  double process_cpu = 0;
  return SubmitAll(registry, envelopes, batch, &cost->seconds, [&](bool before) {
    if (before) {
      written = BytesWritten();
      thread_cpu = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
      process_cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
      return;
    }
    cost->thread_cpu_s += CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - thread_cpu;
    cost->process_cpu_s += CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process_cpu;
    cost->written += BytesWritten() - written;
  });
}

struct Made {
  double pledges_per_s = 0;
  Cost cost;
  std::uint64_t entries = 0;
  std::string dir;
  SigningKey log_key;
};

StatusOr<Made> RunOne(const Signed& s, const std::string& dir, bool with_map, std::uint64_t batch) {
  RegistryOptions options;
  options.status_map = with_map;
  SigningKey log_key = SigningKey::Generate();
  auto genesis = api::DecodeEnvelopeJson(s.genesis.bytes);
  if (!genesis.ok()) return genesis.status();
  Submission g;
  g.envelope = *genesis;
  auto gst = api::DecodeStatement(ToString(genesis->payload));
  if (!gst.ok()) return gst.status();
  g.statement = std::move(*gst);
  g.envelope_bytes = s.genesis.bytes;
  if (Status st = Registry::Create(dir, "bench.example/map", log_key, g, options); !st.ok()) {
    return st;
  }
  auto registry = Registry::Open(dir, *SigningKey::FromSeed(log_key.seed()), options);
  if (!registry.ok()) return registry.status();
  if (Status st = SubmitAll(**registry, s.setup, 1000, nullptr); !st.ok()) return st;
  Cost cost;
  if (Status st = SubmitMeasured(**registry, s.pledges, batch, &cost); !st.ok()) return st;
  Made m{static_cast<double>(s.pledges.size()) / cost.seconds, cost, (*registry)->ledger().size(),
         dir, std::move(log_key)};
  return m;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) return Fail("usage: see the file comment");
    f.values[a.substr(2)] = argv[++i];
  }
  auto n = f.Number("pledges", 100'000, 10, 10'000'000);
  auto batch = f.Number("batch", 256, 1, 100'000);
  auto runs = f.Number("runs", 3, 1, 99);
  auto proofs = f.Number("proofs", 2000, 1, 1'000'000);
  for (const auto* v : {&n, &batch, &runs, &proofs}) {
    if (!v->ok()) return Fail(v->status().message());
  }
  const std::string only = f.Get("only");
  if (!only.empty() && only != "with" && only != "without") {
    return Fail("--only takes `with` or `without`");
  }
  if (!InitCrypto()) return Fail("libsodium initialization failed");
  std::string root = f.Get("dir");
  const bool remove = root.empty();
  if (remove) {
    root = (std::filesystem::temp_directory_path() /
            ("ipledger-status-map-bench-" + std::to_string(NowMs())))
               .string();
  }
  std::filesystem::create_directories(root);

  const Party office = MakeParty("registry");
  std::vector<double> with, without;
  std::optional<Made> last_with;
  for (std::uint64_t run = 0; run < *runs; ++run) {
    // A World per run: its statements are created now, well inside the stale window.
    World world("m" + std::to_string(run), 0);
    const Signed s = SignRun(world, office, *n);
    for (int k = 0; k < 2; ++k) {
      const bool with_map = (k == 0) == (run % 2 == 0);
      if (!only.empty() && with_map != (only == "with")) continue;
      const std::string dir =
          root + "/run" + std::to_string(run) + (with_map ? "-map" : "-nomap") + "/db";
      std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
      auto made = RunOne(s, dir, with_map, *batch);
      if (!made.ok()) return Fail(made.status().ToString());
      std::printf("run %llu, %s: %llu pledges in batches of %llu: %.0f pledges/s (%llu entries)\n",
                  static_cast<unsigned long long>(run + 1),
                  with_map ? "with the map   " : "without the map",
                  static_cast<unsigned long long>(*n), static_cast<unsigned long long>(*batch),
                  made->pledges_per_s, static_cast<unsigned long long>(made->entries));
      const double per = 1e6 / static_cast<double>(*n);
      std::printf(
          "  per pledge: %.1f us in Submit, of which CPU %.1f us on its thread, %.1f us on all "
          "threads; %.0f bytes written\n",
          made->cost.seconds * per, made->cost.thread_cpu_s * per, made->cost.process_cpu_s * per,
          static_cast<double>(made->cost.written) / static_cast<double>(*n));
      std::fflush(stdout);
      (with_map ? with : without).push_back(made->pledges_per_s);
      if (with_map) {
        last_with = std::move(*made);
      } else if (remove) {
        std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
      }
    }
  }
  if (only.empty()) {
    std::printf("appends, medians of %llu: with the map %.0f/s, without %.0f/s, ratio %.3f\n",
                static_cast<unsigned long long>(*runs), Median(with), Median(without),
                Median(with) / Median(without));
  }
  if (!last_with) return 0;

  // Open, check, prove, recompute on the last registry with the map.
  const auto open_start = Clock::now();
  auto registry =
      Registry::Open(last_with->dir, *SigningKey::FromSeed(last_with->log_key.seed()), {});
  const double open_s = SecondsSince(open_start);
  if (!registry.ok()) return Fail(registry.status().ToString());
  const auto check_start = Clock::now();
  if (Status st = (*registry)->CheckStatusMap(); !st.ok()) return Fail(st.ToString());
  const double check_s = SecondsSince(check_start);
  std::printf("%llu assets: Registry::Open %.3f s, of which CheckStatusMap %.3f s\n",
              static_cast<unsigned long long>(*n), open_s, check_s);
  {
    // ipledgerd's default: the head of the map checked at open, the rest on a thread.
    RegistryOptions background;
    background.map_check = MapCheck::kBackground;
    auto done = std::make_shared<std::promise<std::pair<Status, double>>>();
    background.on_map_check = [done](const Status& st, double seconds) {
      done->set_value({st, seconds});
    };
    auto verdict = done->get_future();
    // A second instance of the same database cannot open while the first holds its lock.
    registry->reset();
    const auto bg_start = Clock::now();
    auto bg = Registry::Open(last_with->dir, *SigningKey::FromSeed(last_with->log_key.seed()),
                             background);
    const double bg_open_s = SecondsSince(bg_start);
    if (!bg.ok()) return Fail(bg.status().ToString());
    const auto [bg_status, bg_s] = verdict.get();
    if (!bg_status.ok()) return Fail(bg_status.ToString());
    std::printf(
        "%llu assets, --map-check background: Registry::Open %.3f s, then the check on its "
        "thread %.3f s\n",
        static_cast<unsigned long long>(*n), bg_open_s, bg_s);
    bg->reset();
    registry = Registry::Open(last_with->dir, *SigningKey::FromSeed(last_with->log_key.seed()), {});
    if (!registry.ok()) return Fail(registry.status().ToString());
  }

  const Registry& r = **registry;
  World world("m" + std::to_string(*runs - 1), 0);
  std::mt19937_64 rng(13);
  const std::uint64_t at = r.ledger().size() - 1;
  for (const bool present : {true, false}) {
    std::vector<double> micros;
    std::vector<double> sizes;
    for (std::uint64_t k = 0; k < *proofs; ++k) {
      const std::uint64_t i = rng() % *n;
      const std::string asset =
          present ? world.PatentId(i) : "patent:" + ApplicationNo(5'000'000 + i);
      const auto start = Clock::now();
      auto p = r.ProveStatus(asset, at);
      micros.push_back(SecondsSince(start) * 1e6);
      if (!p.ok()) return Fail(p.status().ToString());
      if (p->record.has_value() != present) return Fail("unexpected record for " + asset);
      sizes.push_back(static_cast<double>(p->proof.size()));
    }
    std::printf("ProveStatus (%s): p50 %.1f us, p99 %.1f us; map proof %.0f B median, %.0f B max\n",
                present ? "present" : "absent ", Percentile(micros, 0.5), Percentile(micros, 0.99),
                Median(sizes), *std::max_element(sizes.begin(), sizes.end()));
  }
  const auto verify_start = Clock::now();
  auto report = VerifyStatusMapFromLeaves(r.ledger());
  const double verify_s = SecondsSince(verify_start);
  if (!report.ok()) return Fail(report.status().ToString());
  std::printf(
      "VerifyStatusMapFromLeaves: %llu entries, %llu roots compared, %llu assets in %.2f s: "
      "%.0f entries/s\n",
      static_cast<unsigned long long>(report->entries),
      static_cast<unsigned long long>(report->roots),
      static_cast<unsigned long long>(report->assets), verify_s,
      static_cast<double>(report->entries) / verify_s);
  registry->reset();
  if (remove) std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace ipledger::bench

int main(int argc, char** argv) { return ipledger::bench::Main(argc, argv); }
