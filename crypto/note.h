// C2SP signed notes (signed-note v1.0.0), verifier keys (vkeys) and key ids.
//
// A note is text ending in '\n', an empty line, and one or more signature lines
// "— <name> <base64(key_id[4] || signature)>\n". Supported signature types:
// 0x01 Ed25519 (over the text) and 0x04 Ed25519 cosignature/v1 (tlog-cosignature,
// over "cosignature/v1\ntime <t>\n" + text; blob = key_id || u64 time || sig).
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keys.h"

namespace ipledger {

inline constexpr std::uint8_t kNoteSigEd25519 = 0x01;
inline constexpr std::uint8_t kNoteSigCosignatureV1 = 0x04;

// C2SP key id: first 4 bytes (big-endian) of SHA-256(name || 0x0A || type || key).
std::uint32_t NoteKeyId(std::string_view name, std::uint8_t type, ByteView public_key);

// True iff `name` is a valid key name: non-empty, valid UTF-8, no Unicode spaces, no '+'.
bool IsValidNoteKeyName(std::string_view name);

// A verifier: who may sign, and the key that checks it.
struct NoteVerifier {
  std::string name;
  std::uint32_t key_id = 0;
  std::uint8_t type = kNoteSigEd25519;
  PublicKey key{};
};

// The verifier for an Ed25519 (type 0x01) key named `name`.
NoteVerifier MakeNoteVerifier(std::string_view name, const PublicKey& key);

// "<name>+<8 hex key id>+<base64(type || key)>".
std::string FormatVkey(const NoteVerifier& verifier);

// Parses a vkey of type 0x01 or 0x04 (splitting on the first two '+'). Returns
// nullopt if malformed, of another type, or if the key id does not match the key.
std::optional<NoteVerifier> ParseVkey(std::string_view vkey);

// One signature line of a note.
struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  Bytes blob;  // everything after the 4-byte key id (Ed25519: 64 bytes)
};

struct Note {
  std::string text;  // including its final '\n'
  std::vector<NoteSignature> signatures;
};

// Splits a note into text and signature lines without verifying anything. Returns
// nullopt if it is not a well-formed note (encoding, control characters, missing
// separator, malformed signature line, more than 100 signatures).
std::optional<Note> ParseNote(std::string_view note);

// The signature line "— <name> <base64>\n" of an Ed25519 signature by `key` over
// `text` (which must end in '\n').
std::string SignNoteLine(std::string_view text, std::string_view name, const SigningKey& key);

// `text` + "\n" + the signature line by `key` under `name`.
std::string SignNote(std::string_view text, std::string_view name, const SigningKey& key);

// The exact bytes a cosignature/v1 (type 0x04) signs for `text` at `timestamp`:
// "cosignature/v1\ntime <timestamp, decimal>\n" + text.
std::string CosignatureV1Message(std::string_view text, std::uint64_t timestamp);

// The cosignature/v1 signature line "— <name> <base64>\n" by `key` over `text` (a
// checkpoint's note text, ending in '\n'), with blob = key_id (type 0x04) || u64
// big-endian `timestamp` || Ed25519 signature of CosignatureV1Message(text, timestamp).
// `timestamp` (POSIX seconds) must be at most 2^63 - 1.
std::string SignCosignatureLine(std::string_view text, std::string_view name,
                                std::uint64_t timestamp, const SigningKey& key);

// The timestamp of a cosignature/v1 signature, or nullopt if `sig.blob` does not have
// the cosignature/v1 shape (8-byte timestamp + 64-byte signature, timestamp at most
// 2^63 - 1). Does not verify anything.
std::optional<std::uint64_t> CosignatureTimestamp(const NoteSignature& sig);

// Parses a golang.org/x/mod/sumdb/note private key
// "PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>" (the key name is
// the third field). Returns nullopt if malformed, not Ed25519, or if the key id does
// not match the derived public key. Intermediate copies of the seed are zeroed.
std::optional<SigningKey> ParseGoPrivateKey(std::string_view skey);

// Verifies a note against known verifiers: signatures whose (name, key id) matches
// no verifier are ignored; a matching one that fails rejects the whole note; at
// least one must verify. Returns the verified note (text and the signatures that
// verified) or nullopt.
std::optional<Note> OpenNote(std::string_view note, std::span<const NoteVerifier> verifiers);

}  // namespace ipledger
