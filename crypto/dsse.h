// DSSE v1 (Dead Simple Signing Envelope): pre-authentication encoding (PAE) and
// envelope signing and verification with Ed25519.
//
// The envelope here is the decoded structure; its JSON form lives in api/. Values
// and pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keys.h"

namespace ipledger {

// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with LEN the
// ASCII decimal byte length.
Bytes Pae(std::string_view payload_type, ByteView payload);

struct DsseSignature {
  std::string keyid;  // e.g. "ccb-quzhou/k1"
  Bytes sig;          // 64 bytes for Ed25519; kept as received
};

struct DsseEnvelope {
  std::string payload_type;
  Bytes payload;  // the exact payload bytes (base64-decoded)
  std::vector<DsseSignature> signatures;
};

// Signs PAE(envelope.payload_type, envelope.payload) with `key` and appends the
// signature under `keyid`.
void AddDsseSignature(DsseEnvelope& envelope, std::string keyid, const SigningKey& key);

// True iff `sig.sig` is a valid Ed25519 signature by `key` over the envelope's PAE.
[[nodiscard]] bool VerifyDsseSignature(const DsseEnvelope& envelope, const DsseSignature& sig,
                                       const PublicKey& key);

}  // namespace ipledger
