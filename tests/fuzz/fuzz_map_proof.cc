// libFuzzer target: status map proofs (DecodeMapProof, VerifyMapProof).
// The body, and the invariants it checks, are in tests/fuzz/targets.cc; run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  ipledger::fuzz::Initialize("map_proof");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ipledger::fuzz::RunOrAbort(ipledger::fuzz::FuzzMapProof, data, size);
}
