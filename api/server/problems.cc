#include "api/server/internal/problems.h"

#include <map>
#include <utility>

#include "ledger/registry/journal.h"

namespace ipledger::api {

using nlohmann::json;

namespace {

struct CodeInfo {
  int status;
  const char* slug;
  const char* title;
};

CodeInfo InfoFor(const std::string& code) {
  static const std::map<std::string, CodeInfo> kInfo = {
      {"E_SCHEMA", {400, "schema", "Statement does not match the schema"}},
      {"E_SIGNATURE", {401, "signature", "Signature not accepted"}},
      {"E_FORBIDDEN", {403, "forbidden", "Not allowed for this participant"}},
      {"E_STALE_STATEMENT", {422, "stale-statement", "Statement created too long ago"}},
      {"E_IDEMPOTENCY_CONFLICT", {409, "idempotency-conflict", "Idempotency key already used"}},
      {"E_UNKNOWN_REFERENCE", {422, "unknown-reference", "Unknown reference"}},
      {"E_DUPLICATE_ID", {409, "duplicate-id", "Identifier already registered"}},
      {"E_ALREADY_PLEDGED", {409, "already-pledged", "Asset already pledged"}},
      {"E_PLEDGOR_NOT_HOLDER", {422, "pledgor-not-holder", "Pledgors are not the holders"}},
      {"E_ASSET_NOT_PLEDGEABLE", {422, "asset-not-pledgeable", "Asset cannot be pledged"}},
      {"E_FEE_GRACE", {422, "fee-grace", "Patent in annuity grace period"}},
      {"E_PRESERVATION", {422, "preservation", "Asset under court preservation"}},
      {"E_TERM_BEYOND_ASSET", {422, "term-beyond-asset", "Debt term outlasts the asset"}},
      {"E_CASE_DEBTOR_MISMATCH",
       {422, "case-debtor-mismatch", "Pledge debtor differs from the case's"}},
      {"A_INVALIDATION_PENDING",
       {422, "invalidation-pending", "Invalidation pending: acknowledge"}},
      {"E_SIMILAR_MARKS_SPLIT", {422, "similar-marks-split", "Similar marks not pledged together"}},
      {"E_PUBLICITY_OPEN", {422, "publicity-open", "Publicity period not over"}},
      {"E_OBJECTION_PENDING", {422, "objection-pending", "Objection unresolved"}},
      {"E_NOT_ACTIVE", {422, "not-active", "Not in a state that allows this"}},
      {"E_POLICY_TERMS", {422, "policy-terms", "Inconsistent policy terms"}},
      {"E_OUTSIDE_PERIOD", {422, "outside-period", "Outside the policy period"}},
      {"E_LIMIT_EXCEEDED", {422, "limit-exceeded", "Policy limit exceeded"}},
      {"E_WRONG_ASSET_KIND", {422, "wrong-asset-kind", "Event does not apply to this asset"}},
      {"E_WRITE_QUOTA", {429, "write-quota", "Write quota exceeded"}},
      {"E_INVALID_IDENTIFIER", {422, "invalid-identifier", "Official number not valid"}},
      {"E_DUPLICATE_ASSET", {409, "duplicate-asset", "Asset already registered"}},
      {"E_PUBLICITY_TOO_SHORT", {422, "publicity-too-short", "Publicity period too short"}},
      {"E_INSURED_NOT_HOLDER", {422, "insured-not-holder", "Insured does not hold the asset"}},
      {"E_ZERO_AMOUNT", {422, "zero-amount", "Amount must be more than zero"}},
      {"E_VALUATION_DATES", {422, "valuation-dates", "Inconsistent valuation dates"}},
      {"E_VALUATION_NOT_OF_COLLATERAL",
       {422, "valuation-not-of-collateral", "Valuation does not value the collateral"}},
      {"E_BACKDATED", {422, "backdated", "Effective date before the correction window"}},
      {"E_TERM_ENDED", {422, "term-ended", "Debt term already ended"}},
      {"E_LICENCE_END_MISSING",
       {422, "licence-end-missing", "Licensed or purchased data needs its licence end"}},
      {"E_CERTIFICATE_TERM", {422, "certificate-term", "Certificate validity out of bounds"}},
      {"E_RECOVERY_PENDING", {409, "recovery-pending", "Key recovery pending"}},
      {"E_RECOVERY_CANCELLED", {409, "recovery-cancelled", "Key recovery cancelled"}},
      {"E_INTERNAL", {500, "internal", "Internal error"}},
  };
  auto it = kInfo.find(code);
  return it != kInfo.end() ? it->second : CodeInfo{422, "rule", "Refused by a rule"};
}

}  // namespace

Response Problem(int status, const std::string& slug, const std::string& title,
                 const std::string& detail, std::vector<std::string> codes, json extra) {
  json p = {{"type", "urn:ipledger:problem:" + slug},
            {"title", title},
            {"status", status},
            {"detail", detail},
            {"codes", codes}};
  for (auto& [k, v] : extra.items()) p[k] = v;
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = p.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response CodesProblem(const std::vector<std::string>& codes, const std::string& detail,
                      json extra) {
  // The first code names the problem; any conflict makes it a 409.
  CodeInfo info = InfoFor(codes.empty() ? "" : codes.front());
  for (const auto& c : codes) {
    if (InfoFor(c).status == 409 && info.status == 422) info = InfoFor(c);
  }
  return Problem(info.status, info.slug, info.title, detail, codes, std::move(extra));
}

Response StatusProblem(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kInvalidArgument:
      return Problem(400, "bad-request", "Bad request", s.message());
    case ErrorCode::kNotFound:
      return Problem(404, "not-found", "Not found", s.message());
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return Problem(409, "conflict", "Conflict", s.message());
    case ErrorCode::kUnavailable:
      if (s.message().rfind("overloaded", 0) == 0) {
        return Problem(429, "overloaded", "Too many submissions queued", s.message());
      }
      // Cluster mode: the journal refused the batch (ledger/registry/journal.h).
      if (s.message().starts_with(kJournalNoQuorum)) {
        Response r = Problem(503, "no-quorum", "No etcd quorum: writes are paused", s.message());
        r.headers.emplace_back("retry-after", "1");
        return r;
      }
      if (s.message().starts_with(kJournalNotLeader)) {
        Response r = Problem(503, "no-leader", "No cluster leader", s.message());
        r.headers.emplace_back("retry-after", "1");
        return r;
      }
      return Problem(503, "unavailable", "Registry unavailable (read-only)", s.message());
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
    case ErrorCode::kOk:
      break;
  }
  return Problem(500, "internal", "Internal error", s.message());
}

Response Json(const json& j, int status) {
  Response r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response Text(std::string body, std::string content_type) {
  Response r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

}  // namespace ipledger::api
