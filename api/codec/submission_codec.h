// Submission codec: the one place where the bytes of a DSSE envelope become the
// Submission the sequencer takes (envelope JSON, payload type, statement JSON). The
// server decodes POSTed envelopes with it, `verify --replay` the logged ones.
//
// Pure function; thread-safe.
#pragma once

#include <string>

#include "ledger/base/status.h"
#include "ledger/registry/registry.h"

namespace ipledger::api {

// The submission carried by `envelope_bytes` (kept in it as received). kInvalidArgument
// (E_SCHEMA) naming what is wrong: not a strict envelope (json_codec.h), another payload
// type than kStatementPayloadType, or a payload that is not exactly a v1 statement
// (statement_codec.h).
StatusOr<Submission> DecodeSubmission(std::string envelope_bytes);

}  // namespace ipledger::api
