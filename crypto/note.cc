#include "crypto/note.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <limits>

#include "crypto/hash.h"

namespace ipledger {
namespace {

// U+2014 EM DASH followed by a space: the start of every signature line.
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";
constexpr std::string_view kCosignatureV1Label = "cosignature/v1\n";
// golang/mod rejects notes with more signatures than this as malformed; C2SP asks
// verifiers to accept at least 16.
constexpr std::size_t kMaxSignatures = 100;
constexpr std::size_t kKeyIdSize = 4;
constexpr std::size_t kTimestampSize = 8;
constexpr std::uint64_t kMaxTimestamp =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Decodes one UTF-8 code point at the start of `s` as Go's utf8.DecodeRune does for
// valid input (no overlong forms, no surrogates, nothing above U+10FFFF). Returns the
// code point and writes its length to `len`, or nullopt if the encoding is invalid.
std::optional<char32_t> DecodeRune(std::string_view s, std::size_t* len) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  auto cont = [&](std::size_t i, std::uint8_t lo, std::uint8_t hi) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const std::uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1, 0x80, 0xBF)) return std::nullopt;
    *len = 2;
    return static_cast<char32_t>(((b0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu));
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const std::uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const std::uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;  // 0xED A0.. would be surrogates
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) return std::nullopt;
    *len = 3;
    return static_cast<char32_t>(((b0 & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) |
                                 (byte(2) & 0x3Fu));
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const std::uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const std::uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) return std::nullopt;
    *len = 4;
    return static_cast<char32_t>(((b0 & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) |
                                 ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu));
  }
  return std::nullopt;
}

// Go's unicode.IsSpace: the Unicode White_Space property.
bool IsUnicodeSpace(char32_t r) {
  switch (r) {
    case U'\t':
    case U'\n':
    case U'\v':
    case U'\f':
    case U'\r':
    case U' ':
    case U'\u0085':
    case U'\u00A0':
    case U'\u1680':
    case U'\u2028':
    case U'\u2029':
    case U'\u202F':
    case U'\u205F':
    case U'\u3000':
      return true;
    default:
      return r >= U'\u2000' && r <= U'\u200A';
  }
}

// Valid UTF-8 without control characters other than '\n' (signed-note §Format).
bool IsValidNoteEncoding(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 0;
    const std::optional<char32_t> r = DecodeRune(s.substr(i), &len);
    if (!r || (*r < 0x20 && *r != U'\n')) return false;
    i += len;
  }
  return true;
}

// Exactly 8 lowercase hex digits, as FormatVkey writes them.
std::optional<std::uint32_t> ParseKeyIdHex(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t id = 0;
  for (const char c : s) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    id = (id << 4) | digit;
  }
  return id;
}

// Splits `s` at the first `sep`: returns the part before and leaves the rest in `s`.
// With no `sep`, returns all of `s` and leaves it empty (Go's `chop`).
std::string_view Chop(std::string_view* s, char sep) {
  const std::size_t at = s->find(sep);
  if (at == std::string_view::npos) {
    const std::string_view all = *s;
    *s = {};
    return all;
  }
  const std::string_view head = s->substr(0, at);
  s->remove_prefix(at + 1);
  return head;
}

void AppendBigEndian32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

void AppendBigEndian64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

std::uint64_t ReadBigEndian64(ByteView b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

std::string FormatSignatureLine(std::string_view name, ByteView blob) {
  std::string line(kSigPrefix);
  line.append(name);
  line.push_back(' ');
  line.append(Base64Encode(blob));
  line.push_back('\n');
  return line;
}

bool VerifyNoteSignature(const NoteVerifier& verifier, std::string_view text, ByteView blob) {
  switch (verifier.type) {
    case kNoteSigEd25519: {
      const std::optional<Signature> sig = SignatureFromBytes(blob);
      return sig && Verify(verifier.key, AsBytes(text), *sig);
    }
    case kNoteSigCosignatureV1: {
      if (blob.size() != kTimestampSize + 64) return false;
      const std::uint64_t timestamp = ReadBigEndian64(blob.first(kTimestampSize));
      if (timestamp > kMaxTimestamp) return false;
      const std::optional<Signature> sig = SignatureFromBytes(blob.subspan(kTimestampSize));
      return sig && Verify(verifier.key, AsBytes(CosignatureV1Message(text, timestamp)), *sig);
    }
    default:
      return false;  // a verifier of a type this code cannot check never vouches
  }
}

}  // namespace

std::uint32_t NoteKeyId(std::string_view name, std::uint8_t type, ByteView public_key) {
  const std::uint8_t separator[2] = {'\n', type};
  const Digest d =
      Sha256Hasher().Update(AsBytes(name)).Update(separator).Update(public_key).Final();
  return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) |
         std::uint32_t{d[3]};
}

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size();) {
    std::size_t len = 0;
    const std::optional<char32_t> r = DecodeRune(name.substr(i), &len);
    if (!r || IsUnicodeSpace(*r) || *r == U'+') return false;
    i += len;
  }
  return true;
}

NoteVerifier MakeNoteVerifier(std::string_view name, const PublicKey& key) {
  NoteVerifier v;
  v.name = std::string(name);
  v.type = kNoteSigEd25519;
  v.key = key;
  v.key_id = NoteKeyId(name, v.type, key);
  return v;
}

std::string FormatVkey(const NoteVerifier& verifier) {
  Bytes key_bytes;
  key_bytes.reserve(1 + verifier.key.size());
  key_bytes.push_back(verifier.type);
  key_bytes.insert(key_bytes.end(), verifier.key.begin(), verifier.key.end());
  Bytes id;
  AppendBigEndian32(id, verifier.key_id);
  return verifier.name + "+" + HexEncode(id) + "+" + Base64Encode(key_bytes);
}

std::optional<NoteVerifier> ParseVkey(std::string_view vkey) {
  // The base64 key may itself contain '+', so only the first two split.
  const std::string_view name = Chop(&vkey, '+');
  const std::string_view id_hex = Chop(&vkey, '+');
  const std::string_view key64 = vkey;
  if (!IsValidNoteKeyName(name)) return std::nullopt;
  const std::optional<std::uint32_t> key_id = ParseKeyIdHex(id_hex);
  const std::optional<Bytes> key = Base64Decode(key64);
  if (!key_id || !key || key->empty()) return std::nullopt;
  const std::uint8_t type = (*key)[0];
  if (type != kNoteSigEd25519 && type != kNoteSigCosignatureV1) return std::nullopt;
  const std::optional<PublicKey> public_key = PublicKeyFromBytes(ByteView(*key).subspan(1));
  if (!public_key) return std::nullopt;
  if (NoteKeyId(name, type, *public_key) != *key_id) return std::nullopt;
  NoteVerifier v;
  v.name = std::string(name);
  v.key_id = *key_id;
  v.type = type;
  v.key = *public_key;
  return v;
}

std::optional<Note> ParseNote(std::string_view note) {
  if (!IsValidNoteEncoding(note)) return std::nullopt;
  // The signature block starts after the last empty line; the text keeps its final '\n'.
  const std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return std::nullopt;
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return std::nullopt;
  while (!sigs.empty()) {
    std::string_view line = Chop(&sigs, '\n');
    if (!line.starts_with(kSigPrefix)) return std::nullopt;
    line.remove_prefix(kSigPrefix.size());
    const std::string_view name = Chop(&line, ' ');
    const std::string_view b64 = line;
    if (!IsValidNoteKeyName(name) || b64.empty()) return std::nullopt;
    const std::optional<Bytes> raw = Base64Decode(b64);
    if (!raw || raw->size() <= kKeyIdSize) return std::nullopt;
    if (out.signatures.size() == kMaxSignatures) return std::nullopt;
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = (std::uint32_t{(*raw)[0]} << 24) | (std::uint32_t{(*raw)[1]} << 16) |
                 (std::uint32_t{(*raw)[2]} << 8) | std::uint32_t{(*raw)[3]};
    sig.blob.assign(raw->begin() + kKeyIdSize, raw->end());
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

std::string SignNoteLine(std::string_view text, std::string_view name, const SigningKey& key) {
  assert(!text.empty() && text.back() == '\n');
  Bytes blob;
  blob.reserve(kKeyIdSize + 64);
  AppendBigEndian32(blob, NoteKeyId(name, kNoteSigEd25519, key.public_key()));
  const Signature sig = key.Sign(AsBytes(text));
  blob.insert(blob.end(), sig.begin(), sig.end());
  return FormatSignatureLine(name, blob);
}

std::string SignNote(std::string_view text, std::string_view name, const SigningKey& key) {
  std::string note(text);
  note.push_back('\n');
  note.append(SignNoteLine(text, name, key));
  return note;
}

std::string CosignatureV1Message(std::string_view text, std::uint64_t timestamp) {
  std::string message(kCosignatureV1Label);
  message.append("time ");
  message.append(std::to_string(timestamp));
  message.push_back('\n');
  message.append(text);
  return message;
}

std::string SignCosignatureLine(std::string_view text, std::string_view name,
                                std::uint64_t timestamp, const SigningKey& key) {
  assert(!text.empty() && text.back() == '\n');
  assert(timestamp <= kMaxTimestamp);
  Bytes blob;
  blob.reserve(kKeyIdSize + kTimestampSize + 64);
  AppendBigEndian32(blob, NoteKeyId(name, kNoteSigCosignatureV1, key.public_key()));
  AppendBigEndian64(blob, timestamp);
  const Signature sig = key.Sign(AsBytes(CosignatureV1Message(text, timestamp)));
  blob.insert(blob.end(), sig.begin(), sig.end());
  return FormatSignatureLine(name, blob);
}

std::optional<std::uint64_t> CosignatureTimestamp(const NoteSignature& sig) {
  if (sig.blob.size() != kTimestampSize + 64) return std::nullopt;
  const std::uint64_t timestamp = ReadBigEndian64(sig.blob);
  if (timestamp > kMaxTimestamp) return std::nullopt;
  return timestamp;
}

std::optional<SigningKey> ParseGoPrivateKey(std::string_view skey) {
  const std::string_view private_word = Chop(&skey, '+');
  const std::string_view key_word = Chop(&skey, '+');
  const std::string_view name = Chop(&skey, '+');
  const std::string_view id_hex = Chop(&skey, '+');
  const std::string_view key64 = skey;
  if (private_word != "PRIVATE" || key_word != "KEY" || !IsValidNoteKeyName(name)) {
    return std::nullopt;
  }
  const std::optional<std::uint32_t> key_id = ParseKeyIdHex(id_hex);
  std::optional<Bytes> raw = Base64DecodeSecret(key64);
  if (!key_id || !raw) return std::nullopt;
  std::optional<SigningKey> key;
  if (raw->size() == 1 + crypto_sign_SEEDBYTES && (*raw)[0] == kNoteSigEd25519) {
    key = SigningKey::FromSeed(ByteView(*raw).subspan(1));
  }
  sodium_memzero(raw->data(), raw->size());
  if (!key || NoteKeyId(name, kNoteSigEd25519, key->public_key()) != *key_id) {
    return std::nullopt;
  }
  return key;
}

std::optional<Note> OpenNote(std::string_view note, std::span<const NoteVerifier> verifiers) {
  std::optional<Note> parsed = ParseNote(note);
  if (!parsed) return std::nullopt;
  Note out;
  out.text = parsed->text;
  for (NoteSignature& sig : parsed->signatures) {
    const auto known = std::find_if(verifiers.begin(), verifiers.end(), [&](const NoteVerifier& v) {
      return v.name == sig.name && v.key_id == sig.key_id;
    });
    // Unknown (name, key id) pairs are other parties' business (witnesses, rotated keys).
    if (known == verifiers.end()) continue;
    // A known signer whose signature fails means the note was tampered with or the
    // key is misused; rejecting it beats quietly accepting on another signature.
    if (!VerifyNoteSignature(*known, out.text, sig.blob)) return std::nullopt;
    const bool repeated = std::any_of(
        out.signatures.begin(), out.signatures.end(),
        [&](const NoteSignature& s) { return s.name == sig.name && s.key_id == sig.key_id; });
    if (!repeated) out.signatures.push_back(std::move(sig));
  }
  if (out.signatures.empty()) return std::nullopt;
  return out;
}

}  // namespace ipledger
