// RFC 9421 HTTP message signatures, the Ed25519 profile of api.md §8. A signed
// request carries two headers:
//
//   Signature-Input: ipl=("@method" "@path" "@query");created=1764144000;
//       keyid="ccb-quzhou/k1";alg="ed25519"
//   Signature: ipl=:<base64 Ed25519 signature over the signature base>:
//
// (Signature-Input is one line on the wire.) The signature base (RFC 9421 §2.5) is one
// line per covered component, `"@method": GET`, `"@path": /v1/...`, `"@query": ?a=b`
// (`?` when the query is empty), then `"@signature-params": ` followed by the
// Signature-Input member value exactly as sent; lines joined by "\n" with no trailing
// newline.
//
// Interoperability with RFC 9421 libraries (api.md §8, v1.1): the parameters may come in
// any order and may include `expires` (after the verifier's clock, at most the window
// after `created`), `nonce` and `tag` (strings; replay protection of nonces is the
// caller's, see api/server/nonce_cache.h); the covered components may come in any order
// and include others besides the three required: `"@authority"`, `"@request-target"`
// and lower-case header field names (RFC 9421 §2.1: the field's value, trimmed, several
// lines joined by ", "), each once and without component parameters.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "ledger/base/status.h"

namespace ipledger::api {

// What a verified (or to-be-signed) request signature says.
struct SignatureParams {
  std::string label = "ipl";  // the dictionary member name
  std::string keyid;          // "<participant>/<label>"
  std::int64_t created = 0;   // UNIX seconds
  std::string alg = "ed25519";
  std::optional<std::int64_t> expires;  // UNIX seconds, when sent
  std::optional<std::string> nonce;     // when sent
  std::optional<std::string> tag;       // when sent
  // The covered components in the order sent, e.g. {"@method", "@path", "@query"}.
  std::vector<std::string> components = {"@method", "@path", "@query"};
};

// The two header values for a request `method` `target` (path plus optional "?query"),
// signed by `key` as `keyid` at `created`.
struct SignatureHeaders {
  std::string signature_input;
  std::string signature;
};
SignatureHeaders SignRequest(std::string_view method, std::string_view target,
                             std::string_view keyid, std::int64_t created, const SigningKey& key);

// The RFC 9421 signature base for `method`, `target` and the serialized signature
// parameters `params` (the Signature-Input member value, e.g.
// `("@method" "@path" "@query");created=...;keyid="...";alg="ed25519"`).
std::string SignatureBase(std::string_view method, std::string_view target,
                          std::string_view params);

// A parsed but not yet verified request signature.
struct ParsedSignature {
  SignatureParams params;
  std::string params_text;  // the member value exactly as sent (goes into the base)
  Signature signature{};
};

// Parses the two headers strictly: exactly one member in canonical RFC 8941 form,
// covering "@method", "@path" and "@query" (and optionally the other components above),
// with created (integer), keyid (string) and alg="ed25519", and optionally expires
// (integer), nonce and tag (strings); the Signature member has the same label and is a
// byte sequence of 64 bytes. kInvalidArgument naming what is wrong otherwise (an
// unknown parameter or component by its name).
StatusOr<ParsedSignature> ParseSignatureHeaders(std::string_view signature_input,
                                                std::string_view signature);

// Verifies `parsed` for this request with `key`: the created time within
// `window_seconds` of `now_seconds` (either side; kFailedPrecondition "expired" /
// "in the future" otherwise), `expires`, when sent, after `now_seconds` and at most
// `window_seconds` after `created` (kFailedPrecondition otherwise), and the Ed25519
// signature over the base (kFailedPrecondition otherwise). `headers` (lower-case names)
// give the values of covered header fields and "@authority" (from `host`); a covered
// field the request lacks is kFailedPrecondition.
Status VerifyRequestSignature(const ParsedSignature& parsed, std::string_view method,
                              std::string_view target, const PublicKey& key,
                              std::int64_t now_seconds, std::int64_t window_seconds = 300,
                              const std::map<std::string, std::string>* headers = nullptr);

// The checks of VerifyRequestSignature before the Ed25519 one (the times and the covered
// fields, with the same errors) and, when they pass, the signature base the Ed25519
// signature must verify over. For callers that cache verified (key, base, signature)
// triples (api/server/read_cache.h); VerifyRequestSignature is this plus the Ed25519 check.
StatusOr<std::string> CheckRequestSignature(
    const ParsedSignature& parsed, std::string_view method, std::string_view target,
    std::int64_t now_seconds, std::int64_t window_seconds = 300,
    const std::map<std::string, std::string>* headers = nullptr);

}  // namespace ipledger::api
