#include "crypto/dsse.h"

#include <utility>

namespace ipledger {

Bytes Pae(std::string_view payload_type, ByteView payload) {
  const std::string head = "DSSEv1 " + std::to_string(payload_type.size()) + " " +
                           std::string(payload_type) + " " + std::to_string(payload.size()) + " ";
  Bytes out;
  out.reserve(head.size() + payload.size());
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void AddDsseSignature(DsseEnvelope& envelope, std::string keyid, const SigningKey& key) {
  const Signature sig = key.Sign(Pae(envelope.payload_type, envelope.payload));
  envelope.signatures.push_back(DsseSignature{std::move(keyid), Bytes(sig.begin(), sig.end())});
}

bool VerifyDsseSignature(const DsseEnvelope& envelope, const DsseSignature& sig,
                         const PublicKey& key) {
  const std::optional<Signature> raw = SignatureFromBytes(sig.sig);
  return raw && Verify(key, Pae(envelope.payload_type, envelope.payload), *raw);
}

}  // namespace ipledger
