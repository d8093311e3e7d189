// The write routes (api.md §5): submissions are decoded and checked for schema here, their
// Ed25519 signatures verified on the calling io thread, then queued to the GroupCommitter
// and answered when their batch is durable; prechecks run the rules without appending.
#include <algorithm>
#include <optional>
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
  // Cheap checks first: every key id must name a registered, unrevoked key before any
  // Ed25519 verification is spent on the envelope (the genesis entry is not posted).
  if (c.registry.ledger().size() > 0) {
    for (const DsseSignature& sig : submission->envelope.signatures) {
      if (!c.registry.KeyIsCurrent(sig.keyid)) {
        *problem =
            Problem(401, "signature", "Signature not accepted",
                    "key " + sig.keyid + " is not registered or is revoked", {"E_SIGNATURE"});
        return Status::FailedPrecondition("unknown key");
      }
    }
  }
  // The Ed25519 checks run here, on this io thread, in parallel with other requests;
  // the sequencer then only confirms the keys are still current.
  c.registry.PreverifySignatures(&*submission);
  return submission;
}

// Charges the submitter's write quota if its own signature verified (an envelope it did
// not sign is rejected by the sequencer without a leaf, and must not spend its quota);
// the 429 problem with Retry-After when the quota is spent.
std::optional<Response> ChargeQuota(Call& c, const Submission& s) {
  if (c.quota == nullptr) return std::nullopt;
  const std::string& submitter = s.statement.submitter;
  const bool signed_by_submitter =
      std::any_of(s.preverified.begin(), s.preverified.end(), [&submitter](const auto& p) {
        return p.first.size() > submitter.size() && p.first.starts_with(submitter) &&
               p.first[submitter.size()] == '/';
      });
  if (!signed_by_submitter) return std::nullopt;
  const std::int64_t wait = c.quota->Take(submitter);
  if (wait == 0) return std::nullopt;
  Response r = Problem(429, "write-quota", "Write quota exceeded",
                       submitter + " has used its " + std::to_string(c.quota->per_minute()) +
                           " writes per minute; retry in " + std::to_string(wait) + " s",
                       {"E_WRITE_QUOTA"}, {{"retry_after", wait}});
  r.headers.emplace_back("retry-after", std::to_string(wait));
  return r;
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
  if (auto refused = ChargeQuota(c, *submission)) return reply(std::move(*refused));
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
