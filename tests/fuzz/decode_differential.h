// Differential checks of the two-pass decoders of api/codec: the fast pass of each must
// accept only what its reference accepts, and decode it to the same value.
//
//   - ParseStrictJsonFast (SAX) vs ParseStrictJsonReference (parser callback): the same
//     inputs accepted, and the same document (types included: 1 vs 1.0 vs -1).
//   - DecodeEnvelopeJsonFast (hand-written reader) vs DecodeEnvelopeJsonDom: what the fast
//     pass accepts, the DOM pass accepts with the same envelope; DecodeEnvelopeJson gives
//     the DOM pass's answer (the same envelope, or the same refusal and message).
//
// The fuzz targets "envelope" and "statement" run these on every input, and so does their
// regression test over the corpora (tests/api/codec/decode_differential_test.cc).
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "crypto/dsse.h"
#include "ledger/base/status.h"

namespace ipledger::fuzz {

// kInternal naming the difference, Ok if none.
Status CheckStrictJsonPasses(std::string_view input);
Status CheckEnvelopePasses(std::string_view input);

// The same payload type, payload and signatures (key ids and bytes), in order.
bool SameEnvelope(const DsseEnvelope& a, const DsseEnvelope& b);

// Whether the fast pass of DecodeEnvelopeJson takes `input` (tests assert that the
// envelopes clients write do not all fall back to the DOM).
bool EnvelopeTakesFastPass(std::string_view input);

}  // namespace ipledger::fuzz
