// The request handlers of the route table in api/server/router.cc, and what they share:
// the authenticated Caller and the Call (one request, parsed and matched).
//
// Internal to api/server: included only by its .cc files. A Call lives for one
// synchronous dispatch; a handler that answers later copies what it needs. Handlers may
// run concurrently on any number of threads (the Registry and GroupCommitter are
// thread-safe).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/server/http_types.h"
#include "api/server/metrics.h"
#include "api/server/read_cache.h"
#include "api/server/router.h"
#include "api/server/write_quota.h"
#include "ledger/base/civil_time.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"

namespace ipledger::api {

// Who sent a request: anonymous unless it carried a valid RFC 9421 signature.
struct Caller {
  bool authenticated = false;
  std::string participant;  // empty when anonymous
  Role role = Role::kEnterprise;
  std::string keyid;
  // Regulators and the registry office see everything (api.md §8).
  bool SeesAll() const {
    return authenticated && (role == Role::kRegulator || role == Role::kRegistry);
  }
};

// True if `c` is authenticated as one of `parties`.
bool IsParty(const Caller& c, const std::vector<std::string>& parties);

// What one request handler needs.
struct Call {
  Registry& registry;
  GroupCommitter& committer;
  Metrics& metrics;
  const Request& req;
  const Caller& caller;
  std::string path;
  std::map<std::string, std::string> query;
  std::vector<std::string> params;  // the {..} segments of the matched route, decoded
  WriteQuota* quota = nullptr;      // per-participant write quota; null: none
  ReadCaches* caches = nullptr;     // the router's read caches; null: none
  // Cluster mode: this node's role (router.h RouterOptions::cluster); null: one node.
  const std::function<ClusterView()>* cluster = nullptr;
};

// Answers a Call exactly once, on any thread, possibly after the handler has returned.
using Reply = std::function<void(Response)>;

// --- Small parsers (reads.cc) ---------------------------------------------------------------

std::vector<std::string> Split(std::string_view s, char sep);
// Percent-decodes `s` ('+' is a space); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);
// A path segment decoded exactly once. kInvalidArgument for a malformed escape, lower-case
// hex, an escaped unreserved character (A-Z a-z 0-9 - . _ ~, e.g. %41 for 'A') or '/'
// (%2F), and any byte below 0x20 or 0x7F: one spelling for each path.
StatusOr<std::string> DecodePathSegment(std::string_view s);
// Query parameters; nullopt on malformed encoding or a repeated name.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view q);
// The registry's current date: that of the next entry's time.
Date Today(const Call& c);

// --- Reads: the log and the public records (reads.cc) ---------------------------------------

Response GetHealth(Call& c);
Response GetMetrics(Call& c);
Response GetCheckpoint(Call& c);
Response GetVkey(Call& c);
Response GetTile(Call& c);
Response GetEntry(Call& c);
Response GetEntryProof(Call& c);
Response GetTlogProof(Call& c);
Response GetConsistency(Call& c);
Response GetParticipants(Call& c);
Response GetParticipant(Call& c);
Response GetAsset(Call& c);
Response GetAssetHistory(Call& c);
Response GetPledgeStatus(Call& c);
Response GetCoverage(Call& c);
Response GetPledge(Call& c);
Response GetPolicy(Call& c);
Response GetValuation(Call& c);
Response GetCase(Call& c);

// --- Operations: readiness and the served contract (ops.cc) -----------------------------

// 200 {"status":"ready",...} while the registry is open and writable; 503
// {"status":"not-ready","reason":...} once it is read-only.
Response GetReady(Call& c);
// Cluster mode, a write (or GET /v1/checkpoints/cosigned, which the leader alone keeps)
// sent to this node: nullopt on the leader; otherwise 307 with Location on the leader's
// URL + `target` (problem "not-leader"), 503 "no-quorum" for a write while this node
// cannot reach an etcd quorum, or 503 "no-leader" while no leader is known; both 503s
// with Retry-After: 1 (ops.cc).
std::optional<Response> FollowerWrite(const ClusterView& view, const std::string& target);
// api/openapi.yaml as built into the binary.
Response GetOpenapi(Call& c);

// --- Witness cosignatures (cosigned.cc) -------------------------------------------------------

// GET /v1/checkpoints/cosigned: the latest checkpoint that met the witness policy.
Response GetCosignedCheckpoint(Call& c);
// The participants' active witness keys (witness_keys.cc).
Response GetWitnessKeys(Call& c);
// GET /v1/entries/{index}/tlog-proof?checkpoint=cosigned: the proof against it.
Response GetCosignedTlogProof(Call& c, std::uint64_t index);

// --- Regulators: audit and statistics (regulator.cc) ----------------------------------------

Response GetAudit(Call& c);
Response GetStats(Call& c);

// --- Writes (writes.cc) ---------------------------------------------------------------------

// Queues the submission to the GroupCommitter; replies when its batch is durable.
void PostEntry(Call& c, Reply reply);
// Runs the rules without appending; replies at once.
void PostPrecheck(Call& c, Reply reply);

}  // namespace ipledger::api
