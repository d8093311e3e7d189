// Benchmarks of the registry in process (no HTTP), next to the ceiling they are held
// against: one core's Ed25519 verify rate, measured in the same run.
//
//   - Ed25519VerifyDsse: one DSSE signature of a real statement checked (one core);
//   - SequencePreverified: the sequencer alone (rules, derived state, one fsync per
//     batch) on single-signature statements whose signatures the IO threads already
//     checked, as in the server;
//   - VerifyRegistry: Ledger::Verify (`ipledger verify`) of a registry of n entries;
//   - ReplayRegistry: ReplayAndCompare (`ipledger verify --replay`) of the same.
//
//   build/release/tools/bench/ipledger_registry_bench
//   IPLEDGER_BENCH_ENTRIES=200000 ipledger_registry_bench     (default 20,000)
//
// The statements are participant registrations by the registry office, each with its
// own key and idempotency key, signed before any measurement.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/replay.h"

namespace ipledger {
namespace {

SigningKey KeyOf(const std::string& id) {
  return *SigningKey::FromSeed(Sha256(AsBytes("bench participant key " + id)));
}

Submission Sign(const std::string& submitter, StatementBody body, const std::string& idem,
                const SigningKey& key) {
  Submission s;
  s.statement.type = std::string(StatementTypeName(body));
  s.statement.submitter = submitter;
  s.statement.idempotency_key = idem;
  s.statement.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  s.statement.body = std::move(body);
  const std::string json = api::EncodeStatement(s.statement);
  s.envelope.payload_type = std::string(api::kStatementPayloadType);
  s.envelope.payload.assign(json.begin(), json.end());
  AddDsseSignature(s.envelope, submitter + "/k1", key);
  s.envelope_bytes = api::EncodeEnvelopeJson(s.envelope);
  return s;
}

ParticipantRegister Participant(const std::string& id, Role role) {
  ParticipantRegister b;
  b.id = id;
  b.name = "Participant " + id;
  b.role = role;
  b.region_code = "330802";
  b.keys = {{"k1", KeyOf(id).public_key()}};
  return b;
}

// Registrations of firm-<first> .. firm-<first+count-1> by the registry, signed on all
// cores.
std::vector<Submission> Registrations(std::uint64_t first, std::uint64_t count) {
  std::vector<Submission> out(count);
  const SigningKey registry = KeyOf("registry");
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (std::uint64_t k = count * w / workers; k < count * (w + 1) / workers; ++k) {
        const std::string id = "firm-" + std::to_string(first + k);
        out[k] = Sign("registry", Participant(id, Role::kEnterprise), "idem-" + id, registry);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "ipledger_registry_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

std::string BenchDir() {
  const char* d = std::getenv("IPLEDGER_BENCH_DIR");
  if (d == nullptr || *d == '\0') d = std::getenv("TMPDIR");
  if (d == nullptr || *d == '\0') d = "/tmp";
  return d;
}

// A registry in a fresh directory under BenchDir(), removed when destroyed.
struct BenchRegistry {
  std::string dir;
  std::unique_ptr<Registry> registry;

  BenchRegistry() {
    std::string templ = BenchDir() + "/ipledger-registry-bench-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) Die("mkdtemp", Status::Unavailable(templ));
    dir = templ;
    auto log_key = [] { return *SigningKey::FromSeed(Sha256(AsBytes("bench log key"))); };
    Submission genesis = Sign("registry", Participant("registry", Role::kRegistry), "idem-genesis",
                              KeyOf("registry"));
    if (Status s = Registry::Create(dir + "/db", "bench.ipledger/log", log_key(), genesis, {});
        !s.ok()) {
      Die("creating the registry", s);
    }
    auto opened = Registry::Open(dir + "/db", log_key(), {});
    if (!opened.ok()) Die("opening the registry", opened.status());
    registry = std::move(*opened);
  }
  ~BenchRegistry() {
    registry.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void BM_Ed25519VerifyDsse(benchmark::State& state) {
  const Submission s = Registrations(0, 1)[0];
  const PublicKey key = KeyOf("registry").public_key();
  for (auto _ : state) {
    bool ok = VerifyDsseSignature(s.envelope, s.envelope.signatures[0], key);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("signature does not verify");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SequencePreverified(benchmark::State& state) {
  const auto batch_size = static_cast<std::uint64_t>(state.range(0));
  BenchRegistry r;
  std::uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Submission> batch = Registrations(next, batch_size);
    for (Submission& s : batch) r.registry->PreverifySignatures(&s);
    state.ResumeTiming();
    auto out = r.registry->Submit(batch);
    if (!out.ok() || out->size() != batch_size || (*out)[0].kind != OutcomeKind::kAccepted) {
      state.SkipWithError("the batch was not accepted");
      break;
    }
    next += batch_size;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next));
}

// One registry of IPLEDGER_BENCH_ENTRIES entries, built on first use in batches of 1,000.
// The filled registry the verify and replay benchmarks share, made on first use; main()
// deletes it (closing its database and removing its directory) after the benchmarks.
BenchRegistry* filled_registry = nullptr;

BenchRegistry& FilledRegistry() {
  static BenchRegistry* r = filled_registry = [] {
    const char* env = std::getenv("IPLEDGER_BENCH_ENTRIES");
    const std::uint64_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 20'000;
    auto* b = new BenchRegistry();
    for (std::uint64_t first = 0; first < n; first += 1000) {
      std::vector<Submission> batch =
          Registrations(first, std::min<std::uint64_t>(1000, n - first));
      for (Submission& s : batch) b->registry->PreverifySignatures(&s);
      auto out = b->registry->Submit(batch);
      if (!out.ok()) Die("filling the registry", out.status());
    }
    return b;
  }();
  return *r;
}

void BM_VerifyRegistry(benchmark::State& state) {
  BenchRegistry& r = FilledRegistry();
  for (auto _ : state) {
    Status s = r.registry->ledger().Verify();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(r.registry->ledger().size()) *
                          state.iterations());
}

void BM_ReplayRegistry(benchmark::State& state) {
  BenchRegistry& r = FilledRegistry();
  int round = 0;
  for (auto _ : state) {
    const std::string scratch = r.dir + "/replay-" + std::to_string(round++);
    auto report = ReplayAndCompare(*r.registry, scratch, api::DecodeSubmission);
    if (!report.ok()) state.SkipWithError(report.status().ToString().c_str());
    state.PauseTiming();
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(r.registry->ledger().size()) *
                          state.iterations());
}

BENCHMARK(BM_Ed25519VerifyDsse);
BENCHMARK(BM_SequencePreverified)->Arg(1)->Arg(64)->Arg(256)->UseRealTime();
BENCHMARK(BM_VerifyRegistry)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayRegistry)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  if (!ipledger::InitCrypto()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete ipledger::filled_registry;  // before static destruction: RocksDB is still whole
  return 0;
}
