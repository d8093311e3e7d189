// JSON codecs: DSSE envelopes and statements <-> their typed forms.
//
// nlohmann-json stays inside api/ (style.md C.2, checked by tests/check_layering.sh):
// this file's .cc, statement_codec.cc, api/server/router.cc and api/client/cli_support.cc
// use it, and no header includes it. Parsing never throws: malformed input is
// kInvalidArgument with a message naming the field. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/dsse.h"
#include "crypto/keys.h"
#include "ledger/base/status.h"

namespace ipledger::api {

inline constexpr std::string_view kStatementPayloadType =
    "application/vnd.ipledger.statement.v1+json";

// The most signatures one envelope may carry. Each costs an Ed25519 verification, and
// no statement needs more signers than this (the submitter, the pledgee and the
// pledgors or holders); a larger envelope is refused before any signature is checked.
inline constexpr std::size_t kMaxEnvelopeSignatures = 8;

// {"payloadType":..,"payload":"<base64>","signatures":[{"keyid":..,"sig":"<base64>"}]}
std::string EncodeEnvelopeJson(const DsseEnvelope& envelope);

// Parses an envelope strictly: exactly those fields, of those types, base64 canonical,
// 1 to kMaxEnvelopeSignatures signatures with distinct key ids of the identifier form
// (identifier.h), no duplicate keys. kInvalidArgument naming what is wrong.
StatusOr<DsseEnvelope> DecodeEnvelopeJson(std::string_view json);

// The statement of the genesis entry (api.md §10): `registry_id` registers itself as
// participant of role registry with key `<registry_id>/k1`.
std::string GenesisStatementJson(std::string_view registry_id, const PublicKey& key,
                                 std::string_view created);

}  // namespace ipledger::api
