// Byte strings and their text encodings (lowercase hex, RFC 4648 base64).
//
// Value types and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipledger {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Views the characters of `s` as bytes. The view borrows `s`.
ByteView AsBytes(std::string_view s);

// Copies `b` into a std::string (bytes unchanged).
std::string ToString(ByteView b);

// Lowercase hex, two digits per byte.
std::string HexEncode(ByteView b);

// Decodes hex (either case). Returns nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view s);

// Standard base64 alphabet (RFC 4648 section 4) with padding.
std::string Base64Encode(ByteView b);

// Decodes standard padded base64 strictly: returns nullopt on a length that is not a
// multiple of 4, characters outside the alphabet, misplaced padding or non-zero
// padding bits (so every byte string has exactly one accepted encoding).
std::optional<Bytes> Base64Decode(std::string_view s);

// The same encodings for secrets (key seeds), in constant time (libsodium): how long
// they take does not depend on the bytes. Base64Encode and Base64Decode use table
// lookups, which do, and are for public data (payloads, signatures, hashes, public keys).
std::string Base64EncodeSecret(ByteView b);
std::optional<Bytes> Base64DecodeSecret(std::string_view s);

// Overwrites `b` with zeros in a way the compiler cannot elide (for secrets).
void SecureWipe(std::span<std::uint8_t> b);
void SecureWipe(std::string& s);

}  // namespace ipledger
