// --policy for the client commands: the answer must lie on the branch the witnesses
// cosigned (GET /v1/checkpoints/cosigned), and the policy's quorum must be met. And
// `ipledger witness-policy`: the policy derived from the witness keys in the log.
#include <cstdio>
#include <string>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/client/witness_keys.h"
#include "crypto/bytes.h"
#include "ledger/log/merkle.h"
#include "ledger/log/tlog_proof.h"
#include "ledger/log/witness_policy.h"
#include "tools/client_common.h"
#include "tools/key_file.h"

namespace ipledger::cli {
namespace {

// OK iff (a.size, a.root) and (b.size, b.root) are on one branch (the smaller a prefix of
// the larger), proved by the server's consistency proof.
Status CheckSameBranch(api::Client& client, const Checkpoint& a, const Checkpoint& b) {
  const Checkpoint& small = a.size <= b.size ? a : b;
  const Checkpoint& large = a.size <= b.size ? b : a;
  if (small.size == 0) return Status::Ok();
  if (small.size == large.size) {
    return small.root == large.root
               ? Status::Ok()
               : Status::FailedPrecondition("two checkpoints of size " +
                                            std::to_string(small.size) + " with different roots");
  }
  auto proof = api::FetchConsistencyProof(client, small.size, large.size);
  if (!proof.ok()) return proof.status();
  if (Status s = VerifyConsistency(small.size, large.size, small.root, large.root, *proof);
      !s.ok()) {
    return Status::FailedPrecondition("the checkpoint of tree size " + std::to_string(a.size) +
                                      " is not on the cosigned branch: " + s.message());
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> CheckWitnessPolicy(const Args& a, api::Client& client,
                                         const NoteVerifier& log_key, const Checkpoint& cp,
                                         std::optional<std::uint64_t> index,
                                         std::optional<Digest> leaf_hash) {
  auto text = ReadWholeFile(a.Get("policy"));
  if (!text.ok()) return Status::InvalidArgument("--policy: " + text.status().message());
  auto policy = ParseWitnessPolicy(*text);
  if (!policy.ok()) return Status::InvalidArgument("--policy: " + policy.status().message());

  std::string note;
  if (index) {
    // The entry's tlog-proof against the cosigned checkpoint: inclusion on that branch.
    auto r = client.Request(
        "GET", "/v1/entries/" + std::to_string(*index) + "/tlog-proof?checkpoint=cosigned");
    if (!r.ok()) return Status::Unavailable("cannot reach the server: " + r.status().message());
    if (r->status != 200) {
      return Status::FailedPrecondition("QUORUM NOT MET: no cosigned checkpoint covers entry " +
                                        std::to_string(*index) + " yet (" + DescribeProblem(*r) +
                                        ")");
    }
    auto proof = ParseTlogProof(r->body);
    if (!proof.ok() || proof->index != *index) {
      return Status::FailedPrecondition("malformed tlog-proof against the cosigned checkpoint");
    }
    note = proof->checkpoint;
    auto cosigned = OpenCheckpoint(note, log_key);
    if (!cosigned.ok()) return cosigned.status();
    if (Status s = VerifyInclusion(*index, cosigned->size, *leaf_hash, proof->inclusion_proof,
                                   cosigned->root);
        !s.ok()) {
      return Status::FailedPrecondition("entry " + std::to_string(*index) +
                                        " is NOT in the cosigned checkpoint of tree size " +
                                        std::to_string(cosigned->size) + ": " + s.message());
    }
  } else {
    auto r = client.Request("GET", "/v1/checkpoints/cosigned");
    if (!r.ok()) return Status::Unavailable("cannot reach the server: " + r.status().message());
    if (r->status != 200) {
      return Status::FailedPrecondition("QUORUM NOT MET: the server has no cosigned checkpoint (" +
                                        DescribeProblem(*r) + ")");
    }
    note = r->body;
  }
  auto c = OpenCosignedCheckpoint(note, log_key, *policy);
  if (!c.ok()) return Status::FailedPrecondition("cosigned checkpoint: " + c.status().message());
  std::string who;
  for (const std::string& w : c->witnesses) who += (who.empty() ? "" : ", ") + w;
  if (!c->quorum) {
    return Status::FailedPrecondition("QUORUM NOT MET: the cosigned checkpoint of tree size " +
                                      std::to_string(c->checkpoint.size) + " is cosigned by " +
                                      (who.empty() ? "nobody" : who) +
                                      ", which does not satisfy quorum " + policy->quorum);
  }
  if (Status s = CheckSameBranch(client, cp, c->checkpoint); !s.ok()) return s;
  return "witnesses: quorum " + policy->quorum + " met (cosigned by " + who +
         "; cosigned tree size " + std::to_string(c->checkpoint.size) +
         (index ? ", entry " + std::to_string(*index) + " included" : "") + ")";
}

int WitnessPolicyCommand(int argc, char** argv) {
  const std::string cmd = "witness-policy";
  Args a = ParseArgs(argc, argv, 2, {"server", "ca-file", "quorum", "out"}, {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/false, &code);
  if (!conn) return code;
  auto r = conn->client->Request("GET", "/v1/witnesses");
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  auto answer = api::ParseWitnessKeysJson(r->body);
  if (!answer.ok()) return Fail(cmd, "malformed answer: " + answer.status().message());
  std::string server = a.Get("server");
  while (server.ends_with("/")) server.pop_back();
  auto text =
      api::DeriveWitnessPolicy(*answer, a.Has("quorum") ? a.Get("quorum") : "default", server);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kInvalidArgument) {
      return Usage(cmd, text.status().message());
    }
    return Fail(cmd, text.status().message());
  }
  if (a.Has("out")) {
    if (Status s = WriteFileReplacing(a.Get("out"), *text); !s.ok()) return Fail(cmd, s.message());
  } else {
    std::fwrite(text->data(), 1, text->size(), stdout);
  }
  return 0;
}

}  // namespace ipledger::cli
