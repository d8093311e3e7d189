// append_loop: a test helper for the crash test. Opens (or creates) a ledger with the
// fixed test log key and appends batches in a loop, forever or for --batches N.
// Before each Append it prints "attempt <new size>", after it returns
// "acked <size> <root base64>", each line flushed, so a parent that kills it with
// SIGKILL knows exactly what was acknowledged.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "ledger/log/ledger.h"

int main(int argc, char** argv) {
  using namespace ipledger;
  if (!InitCrypto()) return 1;
  std::string dir;
  unsigned seed = 1;
  long batches = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--seed") seed = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    if (flag == "--batches") batches = std::strtol(argv[i + 1], nullptr, 10);
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: append_loop --dir D [--seed N] [--batches N]\n");
    return 2;
  }
  auto key = [] { return *SigningKey::FromSeed(Sha256(AsBytes("test key 1"))); };
  auto ledger = Ledger::Open(dir, key(), {});
  if (!ledger.ok() && ledger.status().code() == ErrorCode::kNotFound) {
    if (Status s = Ledger::Create(dir, "crash.test/log", key(), {}); !s.ok()) {
      std::fprintf(stderr, "append_loop: %s\n", s.ToString().c_str());
      return 1;
    }
    ledger = Ledger::Open(dir, key(), {});
  }
  if (!ledger.ok()) {
    std::fprintf(stderr, "append_loop: %s\n", ledger.status().ToString().c_str());
    return 1;
  }
  std::mt19937 rng(seed);
  for (long b = 0; batches < 0 || b < batches; ++b) {
    const std::uint64_t size = (*ledger)->size();
    std::vector<EntryInput> inputs(std::uniform_int_distribution<size_t>(1, 40)(rng));
    for (size_t i = 0; i < inputs.size(); ++i) {
      inputs[i].type = "asset.register";
      inputs[i].envelope = "envelope " + std::to_string(size + i) + " seed " + std::to_string(seed);
      inputs[i].parties = {"registry"};
      inputs[i].signers = {"registry/k1"};
      inputs[i].subjects = {"data:" + std::to_string(size + i)};
    }
    std::printf("attempt %llu\n", static_cast<unsigned long long>(size + inputs.size()));
    std::fflush(stdout);
    auto r = (*ledger)->Append(inputs);
    if (!r.ok()) {
      std::fprintf(stderr, "append_loop: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf("acked %llu %s\n", static_cast<unsigned long long>(r->checkpoint.size),
                Base64Encode(r->checkpoint.root).c_str());
    std::fflush(stdout);
  }
  return 0;
}
