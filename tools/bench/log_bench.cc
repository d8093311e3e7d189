// Benchmarks of the verifiable log on real RocksDB: proof generation and verification
// at several log sizes, batched append, and the full offline verification.
//
//   build/release/tools/bench/ipledger_log_bench                  sizes 1e3 and 1e6
//   IPLEDGER_BENCH_SIZES=1000,1000000,10000000 ipledger_log_bench  adds 1e7
//   IPLEDGER_BENCH_DIR=/path  keep the ledgers in /path/ipledger-bench-<n> and reuse them
//                             on later runs (default: build in $TMPDIR, remove at exit)
//   IPLEDGER_BENCH_CACHE_LEVEL=L  LedgerOptions::hash_cache_min_level (63 = no cache)
//
// Building a ledger of n leaves is done once per size, before the measurements, in
// batches of 10,000 (one fsync each), and its time is printed to stderr; a kept ledger
// that a run left unfinished is completed. Proof benchmarks report the mean (Google
// Benchmark's time) and, as counters, the p50 and p99 of the per-call latencies of the
// last run, in microseconds.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "ledger/base/encoding.h"
#include "ledger/log/ledger.h"
#include "ledger/registry/stats.h"

namespace ipledger {
namespace {

SigningKey BenchKey() { return *SigningKey::FromSeed(Sha256(AsBytes("bench log key"))); }

std::vector<EntryInput> MakeBatch(std::uint64_t first, std::uint64_t count) {
  std::vector<EntryInput> v(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    v[i].type = "pledge.register";
    v[i].envelope = "{\"bench envelope\":" + std::to_string(first + i) + ",\"padding\":\"" +
                    std::string(400, 'x') + "\"}";
    v[i].parties = {"ccb-quzhou", "lanyu-materials"};
    v[i].signers = {"ccb-quzhou/k1", "lanyu-materials/k1"};
    v[i].subjects = {"patent:20141036" + std::to_string(first + i),
                     "PL-" + std::to_string(first + i)};
  }
  return v;
}

// The directory given by IPLEDGER_BENCH_DIR, if any: ledgers there are kept.
std::string KeptDir() {
  const char* d = std::getenv("IPLEDGER_BENCH_DIR");
  return d != nullptr ? d : "";
}

std::string TempBase() {
  const char* d = std::getenv("TMPDIR");
  return d != nullptr && *d != '\0' ? d : "/tmp";
}

LedgerOptions BenchOptions() {
  LedgerOptions options;
  const char* level = std::getenv("IPLEDGER_BENCH_CACHE_LEVEL");
  if (level != nullptr && *level != '\0') {
    auto l = ParseDecimalU64(level);
    if (!l || *l > static_cast<std::uint64_t>(kHashCacheOff)) {
      std::fprintf(stderr, "IPLEDGER_BENCH_CACHE_LEVEL: '%s' is not in 0..63\n", level);
      std::exit(2);
    }
    options.hash_cache_min_level = static_cast<int>(*l);
  }
  return options;
}

// The resident set size of this process in MiB (Linux), or -1.
double RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return -1;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One ledger per size, built (or reopened) on first use; removed at exit unless kept.
struct BenchLedger {
  std::string dir;
  bool keep = false;
  std::unique_ptr<Ledger> ledger;
  ~BenchLedger() {
    ledger.reset();
    if (keep) return;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Cleared explicitly at the end of main: RocksDB must close before its own static
// objects are destroyed at exit.
std::map<std::uint64_t, std::unique_ptr<BenchLedger>>& Ledgers() {
  static auto* ledgers = new std::map<std::uint64_t, std::unique_ptr<BenchLedger>>();
  return *ledgers;
}

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

Ledger& LedgerOfSize(std::uint64_t n) {
  auto& slot = Ledgers()[n];
  if (slot) return *slot->ledger;
  slot = std::make_unique<BenchLedger>();
  const std::string kept = KeptDir();
  slot->keep = !kept.empty();
  slot->dir = slot->keep ? kept + "/ipledger-bench-" + std::to_string(n)
                         : TempBase() + "/ipledger-bench-" + std::to_string(n) + "-" +
                               std::to_string(::getpid());
  const bool reuse = slot->keep && std::filesystem::exists(slot->dir);
  if (!reuse) {
    if (Status s = Ledger::Create(slot->dir, "bench.ipledger/log", BenchKey(), {}); !s.ok()) {
      Die("create", s);
    }
  }
  auto open_start = std::chrono::steady_clock::now();
  auto opened = Ledger::Open(slot->dir, BenchKey(), BenchOptions());
  if (!opened.ok()) Die("open", opened.status());
  slot->ledger = std::move(*opened);
  std::uint64_t done = slot->ledger->size();
  if (reuse) {
    std::fprintf(stderr,
                 "opened %s (%llu leaves) in %.3f s; hash cache %.2f MiB, process RSS %.0f MiB\n",
                 slot->dir.c_str(), static_cast<unsigned long long>(done), SecondsSince(open_start),
                 static_cast<double>(slot->ledger->hash_cache_bytes()) / (1 << 20), RssMiB());
  }
  if (done > n) {
    std::fprintf(stderr, "%s holds %llu leaves, more than %llu; remove it\n", slot->dir.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(n));
    std::exit(1);
  }
  if (done == n) return *slot->ledger;
  const std::uint64_t first = done;
  const auto start = std::chrono::steady_clock::now();
  while (done < n) {
    const std::uint64_t k = std::min<std::uint64_t>(10000, n - done);
    auto batch = MakeBatch(done, k);
    if (auto r = slot->ledger->Append(batch); !r.ok()) Die("append", r.status());
    done += k;
  }
  const double secs = SecondsSince(start);
  std::fprintf(stderr, "built a ledger of %llu leaves (%llu new) in %.1f s (%.0f leaves/s)\n",
               static_cast<unsigned long long>(n), static_cast<unsigned long long>(n - first), secs,
               static_cast<double>(n - first) / secs);
  return *slot->ledger;
}

// Per-call latencies of one benchmark run; reports their p50 and p99 as counters (µs).
class Latencies {
 public:
  explicit Latencies(benchmark::State& state) : state_(state) {}
  ~Latencies() {
    if (ns_.empty()) return;
    std::sort(ns_.begin(), ns_.end());
    auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(ns_.size() - 1));
      return static_cast<double>(ns_[i]) / 1000.0;
    };
    state_.counters["p50_us"] = at(0.50);
    state_.counters["p99_us"] = at(0.99);
  }
  Latencies(const Latencies&) = delete;
  Latencies& operator=(const Latencies&) = delete;

  void Start() { start_ = std::chrono::steady_clock::now(); }
  void Stop() {
    ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - start_)
                      .count());
  }

 private:
  benchmark::State& state_;
  std::vector<std::int64_t> ns_;
  std::chrono::steady_clock::time_point start_;
};

void BM_ProveInclusion(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  Ledger& ledger = LedgerOfSize(n);
  std::mt19937_64 rng(1);
  Latencies lat(state);
  for (auto _ : state) {
    const std::uint64_t index = rng() % n;
    lat.Start();
    auto proof = ledger.ProveInclusion(index, n);
    lat.Stop();
    if (!proof.ok()) state.SkipWithError(proof.status().ToString().c_str());
    benchmark::DoNotOptimize(proof);
  }
  state.SetLabel("leaves=" + std::to_string(n));
}

// The group committer's completion work for one batch's receipts: the proofs of the
// last `batch` leaves of a log of `n` (their leaf bytes in memory, as the committer has
// them). mode 0: one ProveInclusion per entry (before); mode 1: the leaf hashes and
// ProveInclusionOfLast, the hashes above the batch once (now). Reports µs per entry.
void BM_BatchReceipts(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const auto batch = static_cast<std::uint64_t>(state.range(1));
  const bool together = state.range(2) != 0;
  Ledger& ledger = LedgerOfSize(n);
  std::vector<std::string> leaves;
  for (std::uint64_t i = n - batch; i < n; ++i) {
    auto leaf = ledger.GetLeaf(i);
    if (!leaf.ok()) Die("leaf", leaf.status());
    leaves.push_back(std::move(*leaf));
  }
  std::vector<Digest> leaf_hashes(leaves.size());
  for (auto _ : state) {
    if (together) {
      for (std::size_t k = 0; k < leaves.size(); ++k) leaf_hashes[k] = LeafHash(AsBytes(leaves[k]));
      auto proofs = ledger.ProveInclusionOfLast(leaf_hashes, n);
      if (!proofs.ok()) state.SkipWithError(proofs.status().ToString().c_str());
      benchmark::DoNotOptimize(proofs);
    } else {
      for (std::uint64_t i = n - batch; i < n; ++i) {
        auto proof = ledger.ProveInclusion(i, n);
        if (!proof.ok()) state.SkipWithError(proof.status().ToString().c_str());
        benchmark::DoNotOptimize(proof);
      }
    }
  }
  state.counters["us_per_entry"] = benchmark::Counter(
      static_cast<double>(batch) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel("leaves=" + std::to_string(n) + (together ? " together" : " per entry"));
}

void BM_ProveConsistency(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  Ledger& ledger = LedgerOfSize(n);
  std::mt19937_64 rng(2);
  Latencies lat(state);
  for (auto _ : state) {
    const std::uint64_t old_size = 1 + rng() % (n - 1);
    lat.Start();
    auto proof = ledger.ProveConsistency(old_size, n);
    lat.Stop();
    if (!proof.ok()) state.SkipWithError(proof.status().ToString().c_str());
    benchmark::DoNotOptimize(proof);
  }
  state.SetLabel("leaves=" + std::to_string(n));
}

void BM_VerifyInclusion(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  Ledger& ledger = LedgerOfSize(n);
  const std::uint64_t index = n / 3;
  auto proof = ledger.ProveInclusion(index, n);
  auto leaf = ledger.GetLeaf(index);
  const Digest root = ledger.head().checkpoint.root;
  const Digest leaf_hash = LeafHash(AsBytes(*leaf));
  Latencies lat(state);
  for (auto _ : state) {
    lat.Start();
    Status s = VerifyInclusion(index, n, leaf_hash, *proof, root);
    lat.Stop();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(s);
  }
  state.SetLabel("leaves=" + std::to_string(n));
}

void BM_AppendBatch(benchmark::State& state) {
  // Appends batches of `range(0)` entries (one fsync each) to a fresh ledger.
  const auto k = static_cast<std::uint64_t>(state.range(0));
  BenchLedger fresh;
  fresh.dir = (KeptDir().empty() ? TempBase() : KeptDir()) + "/ipledger-bench-append-" +
              std::to_string(::getpid());
  if (!Ledger::Create(fresh.dir, "bench.ipledger/log", BenchKey(), {}).ok()) {
    state.SkipWithError("create failed");
    return;
  }
  fresh.ledger = std::move(*Ledger::Open(fresh.dir, BenchKey(), BenchOptions()));
  std::uint64_t done = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = MakeBatch(done, k);
    state.ResumeTiming();
    auto r = fresh.ledger->Append(batch);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    done += k;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(done));
}

void BM_OpenReadOnly(benchmark::State& state) {
  // Opening (all of Open's checks) a second, read-only instance of the ledger of
  // `range(0)` leaves, whose files the first instance has warmed in the page cache.
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const std::string dir = [&] {
    LedgerOfSize(n);
    return Ledgers()[n]->dir;
  }();
  std::size_t cache_bytes = 0;
  for (auto _ : state) {
    auto reader = Ledger::OpenReadOnly(dir, BenchOptions());
    if (!reader.ok()) {
      state.SkipWithError(reader.status().ToString().c_str());
      break;
    }
    cache_bytes = (*reader)->hash_cache_bytes();
    benchmark::DoNotOptimize(reader);
  }
  state.counters["cache_MiB"] = static_cast<double>(cache_bytes) / (1 << 20);
  state.SetLabel("leaves=" + std::to_string(n));
}

void BM_VerifyWholeLog(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  Ledger& ledger = LedgerOfSize(n);
  for (auto _ : state) {
    Status s = ledger.Verify();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

// Statistics: a yearly query over an index of `n` pledge facts spread over two years
// (n/2 per year), 20,000 enterprises in 60 regions, 12 banks, one in ten pledges part
// of a two-pledge combination case. Facts are what the registry writes per accepted
// pledge.register; the query scans the window's run of them in memory.
StatsIndex& StatsOfSize(std::uint64_t n) {
  static auto* indexes = new std::map<std::uint64_t, std::unique_ptr<StatsIndex>>();
  auto& slot = (*indexes)[n];
  if (slot) return *slot;
  slot = std::make_unique<StatsIndex>();
  std::mt19937_64 rng(7);
  const Date start = DateFromCivil(2023, 1, 1);
  for (std::uint64_t i = 0; i < n; ++i) {
    PledgeFact f;
    f.index = 1000 + i;
    f.date = AddDays(start, static_cast<std::int32_t>(i * 730 / n));
    f.pledge_id = "P" + std::to_string(i);
    f.bank = "bank-" + std::to_string(rng() % 12);
    const std::uint64_t debtor = rng() % 20000;
    f.debtor = "firm-" + std::to_string(debtor);
    f.region = "33" + std::to_string(10 + debtor % 60) + "0" + std::to_string(debtor % 10);
    f.case_key = (i % 10 == 1) ? "case:" + std::to_string(i - 1) : "pledge:" + f.pledge_id;
    f.amount = static_cast<std::int64_t>(100'000'000 + rng() % 5'000'000'000);
    f.currency = "CNY";
    f.patents = 1 + static_cast<std::uint32_t>(rng() % 3);
    if (!slot->Add(f).ok()) std::exit(1);
  }
  return *slot;
}

void BM_StatsYearQuery(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  StatsIndex& index = StatsOfSize(n);
  StatsQuery q;
  q.from = DateFromCivil(2024, 1, 1);
  q.to = DateFromCivil(2024, 12, 31);
  q.region_prefix = state.range(1) == 1 ? "3310" : "";
  q.group_by = state.range(2) == 1 ? StatsGroupBy::kBank : StatsGroupBy::kNone;
  std::uint64_t regs = 0;
  for (auto _ : state) {
    StatsResult r = index.Query(q);
    regs = r.totals.registrations;
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel("facts=" + std::to_string(n) + " in_window=" + std::to_string(regs));
}

std::vector<std::int64_t> Sizes() {
  const char* env = std::getenv("IPLEDGER_BENCH_SIZES");
  std::string spec = env != nullptr && *env != '\0' ? env : "1000,1000000";
  std::vector<std::int64_t> sizes;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto n = ParseDecimalU64(item);
    if (!n || *n < 2) {
      std::fprintf(stderr, "IPLEDGER_BENCH_SIZES: '%s' is not a size of at least 2\n",
                   item.c_str());
      std::exit(2);
    }
    sizes.push_back(static_cast<std::int64_t>(*n));
  }
  return sizes;
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  using namespace ipledger;
  if (!InitCrypto()) return 1;
  for (std::int64_t n : Sizes()) {
    benchmark::RegisterBenchmark("ProveInclusion", BM_ProveInclusion)->Arg(n);
    benchmark::RegisterBenchmark("ProveConsistency", BM_ProveConsistency)->Arg(n);
    for (std::int64_t batch : {1, 16, 64, 256}) {
      benchmark::RegisterBenchmark("BatchReceipts", BM_BatchReceipts)
          ->Args({n, batch, 0})
          ->Args({n, batch, 1})
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark("VerifyInclusion", BM_VerifyInclusion)->Arg(n);
    benchmark::RegisterBenchmark("OpenReadOnly", BM_OpenReadOnly)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
    benchmark::RegisterBenchmark("VerifyWholeLog", BM_VerifyWholeLog)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  for (std::int64_t n : Sizes()) {
    // (facts, region filter on/off, group by bank on/off)
    benchmark::RegisterBenchmark("StatsYearQuery", BM_StatsYearQuery)
        ->Args({n, 0, 0})
        ->Args({n, 1, 0})
        ->Args({n, 0, 1})
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("AppendBatch", BM_AppendBatch)
      ->Arg(1)
      ->Arg(100)
      ->Arg(1000)
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Ledgers().clear();
  return 0;
}
