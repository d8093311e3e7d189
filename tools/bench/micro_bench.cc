// Micro benchmarks of the per-submission CPU costs on the write path, each in
// isolation: Ed25519 verification, DSSE (envelope JSON decode and signature check), the
// statement codec on a realistic pledge.register, the whole submission decode (envelope
// bytes to typed statement) with each JSON pass alone (fast and reference), and
// appending one leaf (canonical
// leaf bytes and hashes alone, then a whole Ledger::Append without the fsync), and
// SHA-256 itself: crypto/'s (libsodium) beside OpenSSL's EVP (which uses the CPU's SHA
// extensions), at a map node's 65 bytes, two tree nodes' 130 and an envelope's 1,000.
//
//   build/release/tools/bench/ipledger_micro_bench [--benchmark_filter=...]
//
// The temporary ledger lives in $TMPDIR and is removed at exit.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "api/codec/internal/envelope_reader.h"
#include "api/codec/internal/strict_json.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "crypto/keys.h"
#include "ledger/log/entry.h"
#include "ledger/log/ledger.h"
#include "ledger/log/merkle.h"

namespace ipledger {
namespace {

SigningKey KeyOf(std::string_view name) { return *SigningKey::FromSeed(Sha256(AsBytes(name))); }

// A pledge.register as a bank would submit it (api.md §3; fuzz corpus pledge_register).
constexpr std::string_view kPledgeRegister =
    R"({"v":1,"type":"pledge.register","submitter":"ccb-quzhou",)"
    R"("idempotency_key":"8f2c1f0e-7d1b-4a53-9f4e-0c1d2e3f4a5b",)"
    R"("created":"2026-11-26T08:00:00.123Z","body":{"pledge_id":"CCB-QZ-2026-0042-P1",)"
    R"("case_id":"CCB-QZ-2026-0042","pledgors":["lanyu-materials"],)"
    R"("debtor":"lanyu-materials","collateral":["patent:2014103620773",)"
    R"("trademark:12345678"],"secured":{"type":"loan","amount":{"amount_fen":18400000000,)"
    R"("currency":"CNY"}},"debt_term":{"start":"2026-12-01","end":"2029-11-30"},)"
    R"("official_reg_no":"Y2026330000123","valuation_ids":["ZJA-2026-0117"],)"
    R"("contract_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",)"
    R"("acknowledgements":["P-8"],"forfeiture_clause":true}})";

// The envelope of kPledgeRegister signed by the bank and the pledgor.
DsseEnvelope PledgeEnvelope() {
  DsseEnvelope env;
  env.payload_type = std::string(api::kStatementPayloadType);
  env.payload = Bytes(kPledgeRegister.begin(), kPledgeRegister.end());
  AddDsseSignature(env, "ccb-quzhou/k1", KeyOf("ccb-quzhou/k1"));
  AddDsseSignature(env, "lanyu-materials/k1", KeyOf("lanyu-materials/k1"));
  return env;
}

void BM_Ed25519Verify(benchmark::State& state) {
  const SigningKey key = KeyOf("ccb-quzhou/k1");
  const std::string message(static_cast<std::size_t>(state.range(0)), 'm');
  const Signature sig = key.Sign(AsBytes(message));
  for (auto _ : state) {
    bool ok = Verify(key.public_key(), AsBytes(message), sig);
    if (!ok) state.SkipWithError("signature does not verify");
    benchmark::DoNotOptimize(ok);
  }
  state.SetLabel("message bytes=" + std::to_string(message.size()));
}

void BM_DsseEnvelopeDecode(benchmark::State& state) {
  const std::string json = api::EncodeEnvelopeJson(PledgeEnvelope());
  for (auto _ : state) {
    auto env = api::DecodeEnvelopeJson(json);
    if (!env.ok()) state.SkipWithError(env.status().ToString().c_str());
    benchmark::DoNotOptimize(env);
  }
  state.SetLabel("envelope bytes=" + std::to_string(json.size()));
}

void BM_DsseVerifySignature(benchmark::State& state) {
  const DsseEnvelope env = PledgeEnvelope();
  const PublicKey key = KeyOf("ccb-quzhou/k1").public_key();
  for (auto _ : state) {
    bool ok = VerifyDsseSignature(env, env.signatures[0], key);
    if (!ok) state.SkipWithError("DSSE signature does not verify");
    benchmark::DoNotOptimize(ok);
  }
}

void BM_StatementDecode(benchmark::State& state) {
  for (auto _ : state) {
    auto statement = api::DecodeStatement(kPledgeRegister);
    if (!statement.ok()) state.SkipWithError(statement.status().ToString().c_str());
    benchmark::DoNotOptimize(statement);
  }
  state.SetLabel("statement bytes=" + std::to_string(kPledgeRegister.size()));
}

// The server's decode of a POSTed envelope: envelope, payload and statement (the string
// copy of the body is part of the server's call too).
void BM_SubmissionDecode(benchmark::State& state) {
  const std::string json = api::EncodeEnvelopeJson(PledgeEnvelope());
  for (auto _ : state) {
    auto submission = api::DecodeSubmission(json);
    if (!submission.ok()) state.SkipWithError(submission.status().ToString().c_str());
    benchmark::DoNotOptimize(submission);
  }
  state.SetLabel("envelope bytes=" + std::to_string(json.size()));
}

// The envelope through one pass alone: 0 = the DOM pass (what every envelope took
// before), 1 = the fast reader.
void BM_EnvelopePass(benchmark::State& state) {
  const std::string json = api::EncodeEnvelopeJson(PledgeEnvelope());
  const bool fast = state.range(0) == 1;
  for (auto _ : state) {
    DsseEnvelope env;
    bool ok =
        fast ? api::DecodeEnvelopeJsonFast(json, &env) : api::DecodeEnvelopeJsonDom(json).ok();
    if (!ok) state.SkipWithError("envelope refused");
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(env);
  }
  state.SetLabel(fast ? "fast reader" : "DOM");
}

// The statement's strict JSON parse alone: 0 = the parser callback with paths (what
// every statement took before), 1 = the SAX pass.
void BM_StrictJsonPass(benchmark::State& state) {
  const bool fast = state.range(0) == 1;
  for (auto _ : state) {
    nlohmann::json j;
    std::string error;
    bool ok =
        fast ? api::ParseStrictJsonFast(kPledgeRegister, &j)
             : (j = api::ParseStrictJsonReference(kPledgeRegister, "s", &error), error.empty());
    if (!ok) state.SkipWithError("statement refused");
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(j);
  }
  state.SetLabel(fast ? "SAX" : "reference callback");
}

Entry PledgeEntry(std::uint64_t index) {
  Entry e;
  e.index = index;
  e.time_ms = 1795680000123;
  e.type = "pledge.register";
  e.envelope_sha256 = Sha256(AsBytes(kPledgeRegister));
  e.parties = {"ccb-quzhou", "lanyu-materials"};
  e.signers = {"ccb-quzhou/k1", "lanyu-materials/k1"};
  e.subjects = {"case:CCB-QZ-2026-0042", "patent:2014103620773", "pledge:CCB-QZ-2026-0042-P1",
                "trademark:12345678"};
  return e;
}

void BM_LeafEncodeAndHash(benchmark::State& state) {
  // The canonical leaf bytes and leaf hash of one entry, and the stored tree hashes
  // appending it adds (here at a leaf completing 6 subtrees, hashes read from memory).
  std::vector<Digest> earlier(64);
  const HashReader reader = [&](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) {
    out->assign(indexes.size(), earlier[0]);
    return Status::Ok();
  };
  Entry e = PledgeEntry(63);
  for (auto _ : state) {
    const std::string leaf = EncodeLeaf(e);
    auto hashes = StoredHashesForLeaf(e.index, LeafHash(AsBytes(leaf)), reader);
    if (!hashes.ok()) state.SkipWithError(hashes.status().ToString().c_str());
    benchmark::DoNotOptimize(hashes);
  }
}

void BM_Sha256Libsodium(benchmark::State& state) {
  Bytes data(static_cast<size_t>(state.range(0)), 7);
  for (auto _ : state) {
    data[0] = static_cast<std::uint8_t>(data[0] + 1);
    benchmark::DoNotOptimize(Sha256(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Sha256OpenSslEvp(benchmark::State& state) {
  Bytes data(static_cast<size_t>(state.range(0)), 7);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) {
    state.SkipWithError("no SHA256 in libcrypto");
    return;
  }
  for (auto _ : state) {
    data[0] = static_cast<std::uint8_t>(data[0] + 1);
    Digest d;
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), d.data(), &n, md, nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
      break;
    }
    benchmark::DoNotOptimize(d);
  }
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_AppendOneNoSync(benchmark::State& state) {
  // Ledger::Append of one entry, without the fsync: leaf, hashes, signing the
  // checkpoint, one RocksDB WriteBatch into the WAL and memtable.
  const std::string base = [] {
    const char* d = std::getenv("TMPDIR");
    return std::string(d != nullptr && *d != '\0' ? d : "/tmp");
  }();
  const std::string dir = base + "/ipledger-micro-append-" + std::to_string(::getpid());
  LedgerOptions options;
  options.sync = false;
  {
    if (!Ledger::Create(dir, "bench.ipledger/log", KeyOf("log"), options).ok()) {
      state.SkipWithError("create failed");
      return;
    }
    auto ledger = Ledger::Open(dir, KeyOf("log"), options);
    if (!ledger.ok()) {
      state.SkipWithError(ledger.status().ToString().c_str());
      return;
    }
    std::vector<EntryInput> in(1);
    in[0].type = "pledge.register";
    in[0].parties = {"ccb-quzhou", "lanyu-materials"};
    in[0].signers = {"ccb-quzhou/k1", "lanyu-materials/k1"};
    in[0].subjects = {"case:CCB-QZ-2026-0042", "patent:2014103620773"};
    const std::string envelope = api::EncodeEnvelopeJson(PledgeEnvelope());
    std::uint64_t n = 0;
    for (auto _ : state) {
      state.PauseTiming();
      in[0].envelope = envelope + std::to_string(n++);  // distinct envelope keys
      state.ResumeTiming();
      auto r = (*ledger)->Append(in);
      if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
      benchmark::DoNotOptimize(r);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  using namespace ipledger;
  if (!InitCrypto()) return 1;
  benchmark::RegisterBenchmark("Ed25519Verify", BM_Ed25519Verify)->Arg(32)->Arg(1024);
  benchmark::RegisterBenchmark("DsseEnvelopeDecode", BM_DsseEnvelopeDecode);
  benchmark::RegisterBenchmark("DsseVerifySignature", BM_DsseVerifySignature);
  benchmark::RegisterBenchmark("StatementDecode", BM_StatementDecode);
  benchmark::RegisterBenchmark("SubmissionDecode", BM_SubmissionDecode);
  benchmark::RegisterBenchmark("EnvelopePass", BM_EnvelopePass)->Arg(0)->Arg(1);
  benchmark::RegisterBenchmark("StrictJsonPass", BM_StrictJsonPass)->Arg(0)->Arg(1);
  benchmark::RegisterBenchmark("LeafEncodeAndHash", BM_LeafEncodeAndHash);
  benchmark::RegisterBenchmark("Sha256Libsodium", BM_Sha256Libsodium)->Arg(65)->Arg(130)->Arg(1000);
  benchmark::RegisterBenchmark("Sha256OpenSslEvp", BM_Sha256OpenSslEvp)
      ->Arg(65)
      ->Arg(130)
      ->Arg(1000);
  benchmark::RegisterBenchmark("AppendOneNoSync", BM_AppendOneNoSync)
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
