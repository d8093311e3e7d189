// The witness-cosigned checkpoint (api/client/cosigner.h saves it) and proofs against it.
#include <string>

#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/tlog_proof.h"

namespace ipledger::api {

Response GetCosignedCheckpoint(Call& c) {
  auto note = c.registry.ledger().CosignedCheckpoint();
  if (!note.ok()) {
    if (note.status().code() != ErrorCode::kNotFound) return StatusProblem(note.status());
    return Problem(404, "not-found", "Not found",
                   "no checkpoint has met the witness policy yet (or none is configured)");
  }
  Response r = Text(*note);
  r.headers.emplace_back("cache-control", "no-cache");
  return r;
}

Response GetCosignedTlogProof(Call& c, std::uint64_t index) {
  auto note = c.registry.ledger().CosignedCheckpoint();
  if (!note.ok()) {
    if (note.status().code() != ErrorCode::kNotFound) return StatusProblem(note.status());
    return Problem(404, "not-found", "Not found", "no checkpoint has met the witness policy yet");
  }
  auto cp = OpenCheckpoint(*note, c.registry.ledger().verifier());
  if (!cp.ok()) return StatusProblem(cp.status());
  if (index >= cp->size) {
    return Problem(404, "not-found", "Not found",
                   "entry " + std::to_string(index) +
                       " is not yet covered by the cosigned checkpoint"
                       " (size " +
                       std::to_string(cp->size) + ")");
  }
  auto path = c.registry.ledger().ProveInclusion(index, cp->size);
  if (!path.ok()) return StatusProblem(path.status());
  TlogProof proof;
  proof.index = index;
  proof.inclusion_proof = std::move(*path);
  proof.checkpoint = std::move(*note);
  return Text(FormatTlogProof(proof));
}

}  // namespace ipledger::api
