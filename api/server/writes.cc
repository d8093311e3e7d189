// The write routes (api.md §5): submissions are decoded and checked for schema here, their
// Ed25519 signatures verified on the calling io thread, then queued to the GroupCommitter
// and answered when their batch is durable; prechecks run the rules without appending.
#include <utility>

#include "api/codec/submission_codec.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/views.h"

namespace ipledger::api {

using nlohmann::json;

namespace {

// The submission in the request body, its signatures preverified; or the problem.
StatusOr<Submission> DecodeAndPreverify(Call& c, Response* problem) {
  auto submission = DecodeSubmission(c.req.body);
  if (!submission.ok()) {
    *problem = Problem(400, "schema", "Statement does not match the schema",
                       submission.status().message(), {"E_SCHEMA"});
    return submission.status();
  }
  // The Ed25519 checks run here, on this io thread, in parallel with other requests;
  // the sequencer then only confirms the keys are still current.
  c.registry.PreverifySignatures(&*submission);
  return submission;
}

Response RefusalProblem(const CommitResult& r) {
  const SubmitOutcome& o = r.outcome;
  return CodesProblem(o.codes, o.detail, {{"refusal_index", o.index}, {"receipt", ReceiptJson(r)}});
}

}  // namespace

void PostEntry(Call& c, Reply reply) {
  Response problem;
  auto submission = DecodeAndPreverify(c, &problem);
  if (!submission.ok()) return reply(std::move(problem));
  c.committer.Enqueue(std::move(*submission), [reply](StatusOr<CommitResult> r) {
    if (!r.ok()) return reply(StatusProblem(r.status()));
    const SubmitOutcome& o = r->outcome;
    switch (o.kind) {
      case OutcomeKind::kAccepted:
        return reply(Json(ReceiptJson(*r), 201));
      case OutcomeKind::kReplayed:
        if (o.replayed_refusal) return reply(RefusalProblem(*r));
        return reply(Json(ReceiptJson(*r), 200));
      case OutcomeKind::kRefused:
        return reply(RefusalProblem(*r));
      case OutcomeKind::kRejected:
        return reply(CodesProblem(o.codes, o.detail));
    }
  });
}

void PostPrecheck(Call& c, Reply reply) {
  Response problem;
  auto submission = DecodeAndPreverify(c, &problem);
  if (!submission.ok()) return reply(std::move(problem));
  SubmitOutcome o = c.registry.Precheck(*submission);
  const bool ok =
      o.kind == OutcomeKind::kAccepted || (o.kind == OutcomeKind::kReplayed && !o.replayed_refusal);
  reply(Json({{"ok", ok}, {"codes", o.codes}, {"warnings", o.warnings}, {"detail", o.detail}}));
}

}  // namespace ipledger::api
