// map_bench: figures for the status map (ledger/map) on real RocksDB; a tool that
// prints a table, not a test (docs/performance.md, "Status map").
//
//   build/release/tools/bench/map_bench [--max N] [--dir D] [--load-batch B]
//                                       [--proofs K] [--batches R]
//
// One map grows through the sizes 1e3, 1e6 and 1e7 (those <= --max, default 1e6), loaded
// in versions of B random keys each (default 250,000: Stage sorts each batch and builds
// its subtrees bottom-up; one WriteBatch per version, fsync'd). At each size, after the
// store is reopened (memtables flushed, block cache cold), it measures:
//   - Prove at the latest version: K random keys on the cold cache (p99), then K present
//     and K absent other random keys (default K = 2,000): p50 / p99 latency, and the
//     encoded proof size (median, max), and the p50 of Prove's thread CPU time (what a
//     proof costs apart from waiting for a core or the disk, on a shared machine);
//   - VerifyMapProof of those proofs: p50;
//   - Stage + durable write + Committed of R batches (default 50) of 64 updates (32
//     updates of present keys, 32 new keys): p50 / p99, and Stage alone.
// The database lives in D (default: a fresh directory under $TMPDIR, removed at exit)
// and its size on disk is printed with each row. Figures depend on the machine; run it
// on an otherwise idle one.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "ledger/log/store.h"
#include "ledger/map/proof.h"
#include "ledger/map/sparse_map.h"

namespace ipledger {
namespace {

using Clock = std::chrono::steady_clock;
using map::Hash;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// This thread's CPU time: what a call costs apart from waiting for a core or the disk.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Hash AssetKey(std::uint64_t i) { return map::MapKey("bench-asset-" + std::to_string(i)); }
Hash ValueOf(std::uint64_t i, std::uint64_t round) {
  return Sha256(AsBytes("bench-status-" + std::to_string(i) + "-" + std::to_string(round)));
}

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

struct Bench {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<map::SparseMap> map;
  std::uint64_t version = 0;

  bool Open(bool create) {
    map.reset();
    store.reset();
    StoreOptions o;
    o.create = create;
    auto s = Store::Open(dir, o);
    if (!s.ok()) {
      std::fprintf(stderr, "map_bench: %s\n", s.status().ToString().c_str());
      return false;
    }
    store = std::move(*s);
    auto m = map::SparseMap::Open(store->raw_db(), store->raw_handle(Column::kMap));
    if (!m.ok()) {
      std::fprintf(stderr, "map_bench: %s\n", m.status().ToString().c_str());
      return false;
    }
    map = std::move(*m);
    return true;
  }

  // Stage + durable write + Committed; the Stage time into *stage_us if given.
  bool Commit(const std::vector<std::pair<Hash, Hash>>& ups, double* stage_us = nullptr) {
    WriteSet w;
    ++version;
    const auto t0 = Clock::now();
    auto root = map->Stage(version, ups, w.raw_batch());
    if (stage_us != nullptr) *stage_us = Micros(Clock::now() - t0);
    if (!root.ok()) {
      std::fprintf(stderr, "map_bench: stage: %s\n", root.status().ToString().c_str());
      return false;
    }
    if (Status s = store->Write(w); !s.ok()) {
      std::fprintf(stderr, "map_bench: write: %s\n", s.ToString().c_str());
      return false;
    }
    map->Committed(version);
    return true;
  }
};

int Run(std::uint64_t max, const std::string& dir_arg, std::uint64_t load_batch, size_t proofs,
        size_t batches) {
  std::string dir = dir_arg;
  bool remove = false;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipledger-map-bench-" +
          std::to_string(::getpid());
    remove = true;
  }
  std::filesystem::remove_all(dir);
  Bench b;
  b.dir = dir;
  if (!b.Open(true)) return 1;
  std::mt19937_64 rng(1);
  std::uint64_t loaded = 0;
  std::uint64_t fresh = 0;  // keys added by the update batches

  std::printf("%-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "n", "load_s",
              "size_med", "size_max", "cold_p99", "cpu_p50", "prove_p50", "prove_p99", "absent_50",
              "absent_99", "verify_50", "stage_p50", "commit_50", "commit_99");
  std::printf("%-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "", "", "bytes",
              "bytes", "us", "us", "us", "us", "us", "us", "us", "us", "us", "us");
  for (std::uint64_t n : {std::uint64_t{1000}, std::uint64_t{1000000}, std::uint64_t{10000000}}) {
    if (n > max) break;
    const auto t0 = Clock::now();
    while (loaded < n) {
      const std::uint64_t count = std::min(load_batch, n - loaded);
      std::vector<std::pair<Hash, Hash>> ups;
      ups.reserve(count);
      for (std::uint64_t i = loaded; i < loaded + count; ++i)
        ups.emplace_back(AssetKey(i), ValueOf(i, 0));
      if (!b.Commit(ups)) return 1;
      loaded += count;
      std::fprintf(stderr, "map_bench: loaded %llu keys (version %llu)\n",
                   static_cast<unsigned long long>(loaded),
                   static_cast<unsigned long long>(b.version));
    }
    const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!b.Open(false)) return 1;  // flushed, cold cache
    const std::uint64_t v = *b.map->LatestVersion();
    auto root = b.map->RootAtOrBefore(v);
    if (!root.ok()) return 1;

    // A first pass on a cold cache (just reopened), then the measured pass on other keys.
    std::vector<double> cold_us;
    for (size_t i = 0; i < proofs; ++i) {
      const Hash key = i % 2 == 0 ? AssetKey(rng() % loaded)
                                  : map::MapKey("bench-absent-" + std::to_string(rng()));
      const auto p0 = Clock::now();
      if (!b.map->Prove(key, v).ok()) return 1;
      cold_us.push_back(Micros(Clock::now() - p0));
    }
    std::vector<double> present_us, absent_us, verify_us, sizes, cpu_us;
    for (size_t i = 0; i < 2 * proofs; ++i) {
      const bool present = i % 2 == 0;
      const Hash key =
          present ? AssetKey(rng() % loaded) : map::MapKey("bench-absent-" + std::to_string(rng()));
      const auto p0 = Clock::now();
      const double c0 = ThreadCpuMicros();
      auto proof = b.map->Prove(key, v);
      cpu_us.push_back(ThreadCpuMicros() - c0);
      const double us = Micros(Clock::now() - p0);
      if (!proof.ok()) {
        std::fprintf(stderr, "map_bench: prove: %s\n", proof.status().ToString().c_str());
        return 1;
      }
      (present ? present_us : absent_us).push_back(us);
      sizes.push_back(static_cast<double>(map::EncodeMapProof(*proof).size()));
      std::optional<Hash> claim;
      if (present) {
        auto g = b.map->Get(key, v);
        if (!g.ok() || !g->has_value()) return 1;
        claim = **g;
      }
      const auto q0 = Clock::now();
      Status ok = map::VerifyMapProof(root->second, key, claim, *proof);
      verify_us.push_back(Micros(Clock::now() - q0));
      if (!ok.ok()) {
        std::fprintf(stderr, "map_bench: verify: %s\n", ok.ToString().c_str());
        return 1;
      }
    }

    std::vector<double> stage_us, commit_us;
    for (size_t r = 0; r < batches; ++r) {
      std::vector<std::pair<Hash, Hash>> ups;
      for (int i = 0; i < 32; ++i) {
        const std::uint64_t k = rng() % loaded;
        ups.emplace_back(AssetKey(k), ValueOf(k, r + 1));
      }
      for (int i = 0; i < 32; ++i) {
        const std::uint64_t k = fresh++;
        ups.emplace_back(map::MapKey("bench-new-" + std::to_string(k)), ValueOf(k, 0));
      }
      double stage = 0;
      const auto c0 = Clock::now();
      if (!b.Commit(ups, &stage)) return 1;
      commit_us.push_back(Micros(Clock::now() - c0));
      stage_us.push_back(stage);
    }
    std::printf(
        "%-9llu %9.1f %9.0f %9.0f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f   "
        "disk "
        "%.0f MB\n",
        static_cast<unsigned long long>(n), load_s, Percentile(sizes, 0.5), Percentile(sizes, 1.0),
        Percentile(cold_us, 0.99), Percentile(cpu_us, 0.5), Percentile(present_us, 0.5),
        Percentile(present_us, 0.99), Percentile(absent_us, 0.5), Percentile(absent_us, 0.99),
        Percentile(verify_us, 0.5), Percentile(stage_us, 0.5), Percentile(commit_us, 0.5),
        Percentile(commit_us, 0.99), static_cast<double>(DirBytes(dir)) / 1e6);
    std::fflush(stdout);
    if (n == 1000) {  // Check walks every node: on the small map only
      if (Status s = b.map->Check(b.version); !s.ok()) {
        std::fprintf(stderr, "map_bench: check: %s\n", s.ToString().c_str());
        return 1;
      }
    }
  }
  b.map.reset();
  b.store.reset();
  if (remove) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  std::uint64_t max = 1000000;
  std::uint64_t load_batch = 250000;
  std::string dir;
  size_t proofs = 2000;
  size_t batches = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "map_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--max") {
      max = static_cast<std::uint64_t>(std::stod(next()));
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--load-batch") {
      load_batch = static_cast<std::uint64_t>(std::stod(next()));
    } else if (a == "--proofs") {
      proofs = static_cast<size_t>(std::stod(next()));
    } else if (a == "--batches") {
      batches = static_cast<size_t>(std::stod(next()));
    } else {
      std::fprintf(stderr,
                   "usage: map_bench [--max N (1e6)] [--dir D] [--load-batch B (250000)] "
                   "[--proofs K (2000)] [--batches R (50)]\n");
      return 2;
    }
  }
  if (!ipledger::InitCrypto()) return 1;
  return ipledger::Run(max, dir, std::max<std::uint64_t>(load_batch, 1), proofs, batches);
}
