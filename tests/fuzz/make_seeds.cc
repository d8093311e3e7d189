// fuzz_make_seeds CORPUS_DIR: writes the seeds that need this project's keys, clock and
// encoders (signed envelopes, RFC 9421 headers, raw HTTP requests against the
// http_request target's registry) into CORPUS_DIR/<target>/generated-*. The rest of the
// corpus is copied from tests/vectors and the tests (tests/fuzz/README.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/init.h"
#include "tests/fuzz/targets.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  if (!ipledger::InitCrypto()) {
    std::fprintf(stderr, "fuzz_make_seeds: libsodium initialization failed\n");
    return 1;
  }
  const std::filesystem::path root = argv[1];
  for (const ipledger::fuzz::Target& t : ipledger::fuzz::Targets()) {
    for (const auto& [name, bytes] : ipledger::fuzz::GeneratedSeeds(t.name)) {
      const std::filesystem::path dir = root / t.name;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      const std::string file_name = name.rfind("generated-", 0) == 0 ? name : "generated-" + name;
      std::ofstream out(dir / file_name, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "fuzz_make_seeds: cannot write %s\n", (dir / file_name).c_str());
        return 1;
      }
    }
  }
  return 0;
}
