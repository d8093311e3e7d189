// The fast pass of DecodeEnvelopeJson (json_codec.h): a hand-written reader of the one
// shape a DSSE envelope has, straight from the bytes into a DsseEnvelope, with no JSON
// document in between and each base64 string decoded once from the input.
//
// It accepts a subset of what DecodeEnvelopeJson accepts: JSON whitespace, the three
// fields and the two of each signature in any order and each once, and strings of
// printable ASCII without escapes (base64, key ids and payload types need nothing else).
// Anything else (an escape, a non-ASCII byte, a byte order mark, a missing or repeated
// field, a failed check) returns false, and DecodeEnvelopeJson then decodes the input
// through the strict DOM reader, which accepts or refuses it with its message. So the
// two passes together accept exactly what the DOM reader alone accepts
// (tests/api/codec/decode_differential_test.cc).
//
// Internal to api/codec. Pure function; thread-safe.
#pragma once

#include <string_view>

#include "crypto/dsse.h"
#include "ledger/base/status.h"

namespace ipledger::api {

// True and the envelope in `*out` if `text` is an envelope of the fast subset that
// passes every check of DecodeEnvelopeJson; false otherwise (`*out` to be ignored).
bool DecodeEnvelopeJsonFast(std::string_view text, DsseEnvelope* out);

// The DOM pass alone (defined in json_codec.cc): what DecodeEnvelopeJson returns for
// every input the fast pass does not take. Exposed for the differential tests.
StatusOr<DsseEnvelope> DecodeEnvelopeJsonDom(std::string_view text);

}  // namespace ipledger::api
