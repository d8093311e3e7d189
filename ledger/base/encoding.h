// Fixed-width big-endian integers for storage keys and signed bytes.
//
// Big-endian so that RocksDB's bytewise key order is numeric order. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipledger {

// Appends the 8 big-endian bytes of `v` to `dst`.
void PutFixed64BE(std::string* dst, std::uint64_t v);
// The 8 big-endian bytes of `v`.
std::string EncodeFixed64BE(std::uint64_t v);
// Decodes exactly 8 big-endian bytes; nullopt on any other length.
std::optional<std::uint64_t> DecodeFixed64BE(std::string_view s);

// Parses a decimal integer with no sign, no leading zeros (except "0") and no
// other characters; nullopt otherwise or on overflow.
std::optional<std::uint64_t> ParseDecimalU64(std::string_view s);

}  // namespace ipledger
