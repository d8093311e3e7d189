// libFuzzer target: RFC 9421 headers (api::ParseSignatureHeaders).
// The body, and the invariants it checks, are in tests/fuzz/targets.cc; run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  ipledger::fuzz::Initialize("http_signature");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ipledger::fuzz::RunOrAbort(ipledger::fuzz::FuzzHttpSignature, data, size);
}
