// The public test vectors of tests/vectors (each file's source in tests/vectors/README.md).
// Thread-safe.
#pragma once

#include <filesystem>

namespace ipledger::testing {

// tests/vectors in the source tree.
std::filesystem::path VectorsDir();

}  // namespace ipledger::testing
