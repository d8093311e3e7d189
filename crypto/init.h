// InitCrypto: the single libsodium initialization of the process.
//
// Call it first in main() (and in test_main.cc) before any other crypto/ function.
// Thread-safety: safe to call more than once and from several threads.
#pragma once

namespace ipledger {

// Initializes libsodium. Returns false if the library cannot be used (the caller
// must then exit); true if it is ready, including when it already was.
[[nodiscard]] bool InitCrypto();

}  // namespace ipledger
