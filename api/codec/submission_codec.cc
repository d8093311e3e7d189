#include "api/codec/submission_codec.h"

#include <utility>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"

namespace ipledger::api {

StatusOr<Submission> DecodeSubmission(std::string envelope_bytes) {
  auto envelope = DecodeEnvelopeJson(envelope_bytes);
  if (!envelope.ok()) return envelope.status();
  if (envelope->payload_type != kStatementPayloadType) {
    return Status::InvalidArgument("envelope: payloadType must be " +
                                   std::string(kStatementPayloadType));
  }
  // The statement is read from the payload's bytes where they are, without a copy.
  const Bytes& payload = envelope->payload;
  auto statement = DecodeStatement(
      std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
  if (!statement.ok()) return statement.status();
  Submission s;
  s.envelope = std::move(*envelope);
  s.envelope_bytes = std::move(envelope_bytes);
  s.statement = std::move(*statement);
  return s;
}

}  // namespace ipledger::api
