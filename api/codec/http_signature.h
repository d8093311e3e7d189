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
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "ledger/base/status.h"

namespace ipledger::api {

// What a verified (or to-be-signed) request signature says.
struct SignatureParams {
  std::string label = "ipl";  // the dictionary member name
  std::string keyid;          // "<participant>/<label>"
  std::int64_t created = 0;   // UNIX seconds
  std::string alg = "ed25519";
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

// Parses the two headers strictly: exactly one member, covering exactly
// ("@method" "@path" "@query") in that order, with created (integer), keyid (string) and
// alg="ed25519"; the Signature member has the same label and is a byte sequence of 64
// bytes. kInvalidArgument naming what is wrong otherwise.
StatusOr<ParsedSignature> ParseSignatureHeaders(std::string_view signature_input,
                                                std::string_view signature);

// Verifies `parsed` for this request with `key`: the created time within
// `window_seconds` of `now_seconds` (either side; kFailedPrecondition "expired" /
// "in the future" otherwise) and the Ed25519 signature over the base
// (kFailedPrecondition otherwise).
Status VerifyRequestSignature(const ParsedSignature& parsed, std::string_view method,
                              std::string_view target, const PublicKey& key,
                              std::int64_t now_seconds, std::int64_t window_seconds = 300);

}  // namespace ipledger::api
