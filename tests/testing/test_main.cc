// The main() of every test binary: initializes libsodium first (style.md C.8).
#include <gtest/gtest.h>

#include <cstdio>

#include "crypto/init.h"

int main(int argc, char** argv) {
  if (!ipledger::InitCrypto()) {
    std::fprintf(stderr, "libsodium initialization failed\n");
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
