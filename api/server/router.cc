#include "api/server/router.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/entry.h"
#include "ledger/log/tile.h"
#include "ledger/log/tlog_proof.h"
#include "ledger/registry/stats.h"

namespace ipledger::api {

using nlohmann::json;

struct Router::Caller {
  bool authenticated = false;
  std::string participant;  // empty when anonymous
  Role role = Role::kEnterprise;
  std::string keyid;
  // Regulators and the registry office see everything (api.md §8).
  bool SeesAll() const {
    return authenticated && (role == Role::kRegulator || role == Role::kRegistry);
  }
};

namespace {

using Caller = Router::Caller;

const std::vector<std::pair<std::string, std::string>> kRoutes = {
    {"GET", "/healthz"},
    {"GET", "/metrics"},
    {"GET", "/log/checkpoint"},
    {"GET", "/log/vkey"},
    {"GET", "/log/tile/{L}/{N}"},
    {"GET", "/log/tile/entries/{N}"},
    {"POST", "/v1/entries"},
    {"POST", "/v1/precheck"},
    {"GET", "/v1/entries/{index}"},
    {"GET", "/v1/entries/{index}/proof"},
    {"GET", "/v1/entries/{index}/tlog-proof"},
    {"GET", "/v1/log/consistency"},
    {"GET", "/v1/participants"},
    {"GET", "/v1/participants/{id}"},
    {"GET", "/v1/assets/{id}"},
    {"GET", "/v1/assets/{id}/history"},
    {"GET", "/v1/assets/{id}/pledge-status"},
    {"GET", "/v1/assets/{id}/coverage"},
    {"GET", "/v1/pledges/{id}"},
    {"GET", "/v1/policies/{id}"},
    {"GET", "/v1/valuations/{id}"},
    {"GET", "/v1/cases/{id}"},
    {"GET", "/v1/audit/entries"},
    {"GET", "/v1/stats/pledges"},
};

// --- Problems (RFC 9457) -------------------------------------------------------------------

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
      {"E_INTERNAL", {500, "internal", "Internal error"}},
  };
  auto it = kInfo.find(code);
  return it != kInfo.end() ? it->second : CodeInfo{422, "rule", "Refused by a rule"};
}

Response Problem(int status, const std::string& slug, const std::string& title,
                 const std::string& detail, std::vector<std::string> codes = {},
                 json extra = json::object()) {
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
                      json extra = json::object()) {
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
      return Problem(503, "unavailable", "Registry unavailable (read-only)", s.message());
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
    case ErrorCode::kOk:
      break;
  }
  return Problem(500, "internal", "Internal error", s.message());
}

Response Json(const json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response Text(std::string body, std::string content_type = "text/plain; charset=utf-8") {
  Response r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// --- Small parsers -----------------------------------------------------------------------

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.emplace_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      auto b = HexDecode(s.substr(i + 1, 2));
      if (!b) return std::nullopt;
      out.push_back(static_cast<char>((*b)[0]));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Query parameters; nullopt on malformed encoding or a repeated name.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  if (q.empty()) return out;
  for (const std::string& part : Split(q, '&')) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto name = PercentDecode(part.substr(0, eq));
    auto value = PercentDecode(eq == std::string::npos ? "" : part.substr(eq + 1));
    if (!name || !value || out.contains(*name)) return std::nullopt;
    out[*name] = *value;
  }
  return out;
}

std::string MoneyKey() { return "amount_fen"; }

json MoneyJson(const Money& m) { return {{MoneyKey(), m.amount}, {"currency", m.currency}}; }

json RangeJson(const DateRange& r) {
  return {{"start", FormatDate(r.start)}, {"end", FormatDate(r.end)}};
}

json B64List(const std::vector<Digest>& v) {
  json a = json::array();
  for (const auto& d : v) a.push_back(Base64Encode(d));
  return a;
}

bool IsParty(const Caller& c, const std::vector<std::string>& parties) {
  return c.authenticated &&
         std::find(parties.begin(), parties.end(), c.participant) != parties.end();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& Router::Routes() { return kRoutes; }

Router::Router(Registry& registry, GroupCommitter& committer, Metrics& metrics,
               RouterOptions options)
    : registry_(registry), committer_(committer), metrics_(metrics), options_(std::move(options)) {
  if (!options_.clock_seconds) {
    options_.clock_seconds = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!options_.log) {
    options_.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
}

namespace {

// What one request handler needs.
struct Call {
  Registry& registry;
  const Request& req;
  const Caller& caller;
  std::string path;
  std::map<std::string, std::string> query;
  std::vector<std::string> params;  // the {..} segments of the matched route
};

// --- Views -----------------------------------------------------------------------------

json ParticipantJson(const ParticipantRecord& p) {
  json keys = json::array();
  for (const KeyRecord& k : p.keys) {
    json kj = {{"keyid", p.id + "/" + k.label},
               {"ed25519", Base64Encode(k.key)},
               {"added_index", k.added_index}};
    if (k.revoked_index) kj["revoked_index"] = *k.revoked_index;
    keys.push_back(kj);
  }
  json j = {{"id", p.id},
            {"name", p.name},
            {"role", RoleName(p.role)},
            {"keys", keys},
            {"registered_index", p.registered_index}};
  if (p.region_code) j["region_code"] = *p.region_code;
  if (p.uscc) j["uscc"] = *p.uscc;
  return j;
}

// Gazette-level pledge fields: no amounts (api.md §7, domain.md §8.6 public search).
json PublicPledgeJson(Registry& registry, const PledgeRecord& p) {
  json j = {{"pledge_id", p.terms.pledge_id},
            {"pledgee", p.pledgee},
            {"pledgors", p.terms.pledgors},
            {"state", PledgeStateName(p.state)},
            {"registered_index", p.registered_index},
            {"registered_at", FormatInstant(p.registered_time_ms)}};
  if (p.terms.official_reg_no) j["official_reg_no"] = *p.terms.official_reg_no;
  (void)registry;
  return j;
}

bool SeesPledgeAmounts(const Caller& c, const PledgeRecord& p) {
  if (c.SeesAll()) return true;
  std::vector<std::string> parties = p.terms.pledgors;
  parties.push_back(p.pledgee);
  parties.push_back(p.terms.debtor);
  return IsParty(c, parties);
}

json PledgeJson(Registry& registry, const Caller& c, const PledgeRecord& p, Date today) {
  json j = PublicPledgeJson(registry, p);
  j["debtor"] = p.terms.debtor;
  j["collateral"] = p.terms.collateral;
  j["released_collateral"] = p.released_collateral;
  j["debt_term"] = RangeJson(p.terms.debt_term);
  j["version"] = p.version;
  j["history"] = p.history;
  j["valuation_ids"] = p.terms.valuation_ids;
  if (p.terms.case_id) j["case_id"] = *p.terms.case_id;
  if (p.release_reason) j["release_reason"] = ReleaseReasonName(*p.release_reason);
  if (p.enforcement_started) j["enforcement_started"] = FormatDate(*p.enforcement_started);
  if (SeesPledgeAmounts(c, p)) {
    j["secured"] = {{"type", SecuredTypeName(p.terms.secured.type)},
                    {"amount", MoneyJson(p.terms.secured.amount)}};
    auto ltv = registry.LtvBps(p.terms.pledge_id, today);
    if (ltv.ok() && ltv->has_value()) j["ltv_bps"] = **ltv;
  }
  return j;
}

json AssetPublicJson(Registry& registry, const AssetRecord& a) {
  json flags = json::array();
  if (a.fee_grace) flags.push_back("fee_grace");
  if (a.preservation) flags.push_back("preservation");
  if (a.invalidation_pending) flags.push_back("invalidation_pending");
  json status = {{"legal", LegalStatusName(a.legal)}, {"flags", flags}};
  json j = {{"asset_id", a.asset_id},
            {"kind", AssetKindName(a.kind)},
            {"holders", a.holders},
            {"registered_index", a.registered_index},
            {"history", a.history}};
  if (a.patent) {
    status["term_end"] = FormatDate(*a.patent->term_end);
    status["annuity_paid_through"] = FormatDate(a.patent->annuity_paid_through);
    j["patent"] = {{"application_no", a.patent->application_no},
                   {"type", PatentTypeName(a.patent->type)},
                   {"title", a.patent->title},
                   {"filing_date", FormatDate(a.patent->filing_date)}};
    if (a.patent->patent_no) j["patent"]["patent_no"] = *a.patent->patent_no;
    if (a.patent->grant_date) j["patent"]["grant_date"] = FormatDate(*a.patent->grant_date);
  }
  if (a.trademark) {
    status["expiry_date"] = FormatDate(a.trademark->expiry_date);
    j["trademark"] = {{"reg_no", a.trademark->reg_no},
                      {"nice_class", a.trademark->nice_class},
                      {"goods", a.trademark->goods}};
    if (a.trademark->similarity_group)
      j["trademark"]["similarity_group"] = *a.trademark->similarity_group;
  }
  if (a.data) {
    status["data_state"] = DataStateName(a.data_state);
    if (a.publicity_end) status["publicity_end"] = FormatDate(*a.publicity_end);
    if (a.certificate_no) status["certificate_no"] = *a.certificate_no;
    if (a.certificate_valid_until)
      status["certificate_valid_until"] = FormatDate(*a.certificate_valid_until);
    j["data"] = {{"name", a.data->name},
                 {"record_count", a.data->record_count},
                 {"fingerprint_sha256", HexEncode(a.data->fingerprint_sha256)},
                 {"source_type", DataSourceName(a.data->source_type)},
                 {"scenario", a.data->scenario}};
  }
  j["status"] = status;
  json pledges = json::array();
  for (const std::string& pid : a.active_pledges) {
    auto p = registry.GetPledge(pid);
    if (p.ok()) pledges.push_back(PublicPledgeJson(registry, *p));
  }
  j["active_pledges"] = pledges;
  return j;
}

bool CanSeeEntry(const Caller& c, const Entry& e) {
  if (c.SeesAll()) return true;
  if (!c.authenticated) return false;
  if (std::find(e.parties.begin(), e.parties.end(), c.participant) != e.parties.end()) return true;
  return std::any_of(e.signers.begin(), e.signers.end(),
                     [&](const std::string& k) { return k.rfind(c.participant + "/", 0) == 0; });
}

StatusOr<json> EntryJson(Registry& registry, const Caller& c, std::uint64_t index) {
  auto leaf = registry.ledger().GetLeaf(index);
  if (!leaf.ok()) return leaf.status();
  auto e = DecodeLeaf(*leaf);
  if (!e.ok()) return e.status();
  json j = {{"index", index},
            {"leaf", Base64Encode(AsBytes(*leaf))},
            {"leaf_hash", HexEncode(LeafHash(AsBytes(*leaf)))},
            {"time", FormatInstant(e->time_ms)},
            {"type", e->type}};
  if (e->type == kRefusalType) {
    j["refused"] = e->refused;
    j["codes"] = e->codes;
  }
  if (CanSeeEntry(c, *e)) {
    auto envelope = registry.ledger().GetEnvelope(*e);
    if (!envelope.ok()) return envelope.status();
    j["envelope"] = json::parse(*envelope, nullptr, false);
    j["envelope_b64"] = Base64Encode(AsBytes(*envelope));
  }
  return j;
}

json ReceiptJson(const CommitResult& r) {
  const SubmitOutcome& o = r.outcome;
  TlogProof tp;
  tp.index = o.index;
  tp.inclusion_proof = r.inclusion_proof;
  tp.checkpoint = r.signed_checkpoint;
  return {{"index", o.index},
          {"leaf", Base64Encode(AsBytes(o.leaf))},
          {"leaf_hash", HexEncode(LeafHash(AsBytes(o.leaf)))},
          {"integrated_time", FormatInstant(o.time_ms)},
          {"checkpoint", r.signed_checkpoint},
          {"inclusion_proof", B64List(r.inclusion_proof)},
          {"tlog_proof", FormatTlogProof(tp)},
          {"warnings", o.warnings}};
}

// --- Handlers ----------------------------------------------------------------------------

StatusOr<std::uint64_t> IndexParam(const std::string& s) {
  auto v = ParseDecimalU64(s);
  if (!v) return Status::InvalidArgument("'" + s + "' is not an entry index");
  return *v;
}

Response GetEntry(Call& c) {
  auto index = IndexParam(c.params[0]);
  if (!index.ok()) return StatusProblem(index.status());
  auto j = EntryJson(c.registry, c.caller, *index);
  if (!j.ok()) return StatusProblem(j.status());
  return Json(*j);
}

Response GetEntryProof(Call& c) {
  auto index = IndexParam(c.params[0]);
  if (!index.ok()) return StatusProblem(index.status());
  std::uint64_t size = c.registry.ledger().size();
  if (c.query.contains("size")) {
    auto s = ParseDecimalU64(c.query["size"]);
    if (!s) return Problem(400, "bad-request", "Bad request", "size must be a decimal integer");
    size = *s;
  }
  auto proof = c.registry.ledger().ProveInclusion(*index, size);
  if (!proof.ok()) {
    if (*index >= c.registry.ledger().size()) {
      return Problem(404, "not-found", "Not found", "no entry " + std::to_string(*index));
    }
    return StatusProblem(proof.status());
  }
  return Json({{"index", *index}, {"size", size}, {"hashes", B64List(*proof)}});
}

Response GetTlogProof(Call& c) {
  auto index = IndexParam(c.params[0]);
  if (!index.ok()) return StatusProblem(index.status());
  if (*index >= c.registry.ledger().size()) {
    return Problem(404, "not-found", "Not found", "no entry " + std::to_string(*index));
  }
  auto proof = c.registry.ledger().TlogProof(*index);
  if (!proof.ok()) return StatusProblem(proof.status());
  return Text(*proof);
}

Response GetConsistency(Call& c) {
  auto old_size = ParseDecimalU64(c.query["old"]);
  auto new_size = c.query.contains("new")
                      ? ParseDecimalU64(c.query["new"])
                      : std::optional<std::uint64_t>(c.registry.ledger().size());
  if (!old_size || !new_size) {
    return Problem(400, "bad-request", "Bad request", "old and new must be decimal tree sizes");
  }
  if (*old_size == 0) {
    // The empty tree is a prefix of every tree: the C2SP witness convention.
    if (*new_size > c.registry.ledger().size()) {
      return Problem(400, "bad-request", "Bad request", "new is beyond the tree size");
    }
    return Json({{"old", 0}, {"new", *new_size}, {"hashes", json::array()}});
  }
  auto proof = c.registry.ledger().ProveConsistency(*old_size, *new_size);
  if (!proof.ok()) return StatusProblem(proof.status());
  return Json({{"old", *old_size}, {"new", *new_size}, {"hashes", B64List(*proof)}});
}

Response GetTile(Call& c) {
  auto tile = ParseTilePath(c.path.substr(std::string_view("/log/").size()));
  if (!tile.ok()) return Problem(404, "not-found", "Not found", tile.status().message());
  auto bytes = c.registry.ledger().ReadTile(*tile);
  if (!bytes.ok()) return StatusProblem(bytes.status());
  Response r;
  r.content_type = "application/octet-stream";
  r.body = ToString(*bytes);
  // Full tiles never change; partial ones are superseded as the log grows.
  r.headers.emplace_back("cache-control", tile->width == kTileWidth
                                              ? "public, max-age=31536000, immutable"
                                              : "public, max-age=5");
  return r;
}

Response GetParticipants(Call& c) {
  auto list = c.registry.ListParticipants();
  if (!list.ok()) return StatusProblem(list.status());
  json a = json::array();
  for (const auto& p : *list) a.push_back(ParticipantJson(p));
  return Json({{"participants", a}});
}

Response GetParticipant(Call& c) {
  auto p = c.registry.GetParticipant(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  return Json(ParticipantJson(*p));
}

Response GetAsset(Call& c) {
  auto a = c.registry.GetAsset(c.params[0]);
  if (!a.ok()) return StatusProblem(a.status());
  return Json(AssetPublicJson(c.registry, *a));
}

Date Today(const Call& c) { return DateOfInstant(c.registry.ledger().NextTime()); }

Response GetAssetHistory(Call& c) {
  auto a = c.registry.GetAsset(c.params[0]);
  if (!a.ok()) return StatusProblem(a.status());
  auto history = c.registry.AssetHistory(c.params[0]);
  if (!history.ok()) return StatusProblem(history.status());
  json entries = json::array();
  for (std::uint64_t i : *history) {
    auto j = EntryJson(c.registry, c.caller, i);
    if (!j.ok()) return StatusProblem(j.status());
    entries.push_back(*j);
  }
  return Json({{"asset", c.params[0]}, {"entries", entries}});
}

Response GetPledgeStatus(Call& c) {
  const Head head = c.registry.ledger().head();
  std::optional<std::uint64_t> as_of;
  if (c.query.contains("at") && c.query.contains("index")) {
    return Problem(400, "bad-request", "Bad request", "give at=DATE or index=I, not both");
  }
  if (c.query.contains("at")) {
    auto d = ParseDate(c.query["at"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "at must be a date YYYY-MM-DD");
    auto i = c.registry.IndexAtDate(*d);
    if (!i.ok()) return StatusProblem(i.status());
    as_of = std::min(*i, head.checkpoint.size - 1);
  } else if (c.query.contains("index")) {
    auto i = ParseDecimalU64(c.query["index"]);
    if (!i || *i >= head.checkpoint.size) {
      return Problem(400, "bad-request", "Bad request",
                     "index must be an entry index below " + std::to_string(head.checkpoint.size));
    }
    as_of = *i;
  } else {
    as_of = head.checkpoint.size - 1;
  }
  auto v = c.registry.PledgeStatus(c.params[0], as_of);
  if (!v.ok()) return StatusProblem(v.status());
  const Date today = Today(c);
  json pledges = json::array();
  std::string cert = "ipledger.search-certificate/v1\n";
  cert += "origin " + c.registry.ledger().origin() + "\n";
  cert += "asset " + v->asset_id + "\n";
  cert += "as-of " + std::to_string(v->as_of_index) + "\n";
  cert += "tree-size " + std::to_string(head.checkpoint.size) + "\n";
  cert += "root " + Base64Encode(head.checkpoint.root) + "\n";
  cert += std::string("status ") + (v->pledged ? "pledged" : "not-pledged") + "\n";
  for (const PledgeRecord& p : v->pledges) {
    json pj = PledgeJson(c.registry, c.caller, p, today);
    pj["evidence"] = p.history;
    pledges.push_back(pj);
    cert += "pledge " + p.terms.pledge_id + " " + p.pledgee + " " +
            std::string(PledgeStateName(p.state)) + " " + std::to_string(p.registered_index) + "\n";
  }
  json evidence = json::array();
  for (std::uint64_t i : v->evidence) {
    auto leaf = c.registry.ledger().GetLeaf(i);
    auto proof = c.registry.ledger().ProveInclusion(i, head.checkpoint.size);
    if (!leaf.ok() || !proof.ok()) return StatusProblem(leaf.ok() ? proof.status() : leaf.status());
    evidence.push_back({{"index", i},
                        {"leaf", Base64Encode(AsBytes(*leaf))},
                        {"inclusion_proof", B64List(*proof)}});
  }
  auto signed_cert = c.registry.ledger().SignNote(cert);
  if (!signed_cert.ok()) return StatusProblem(signed_cert.status());
  return Json({{"asset", v->asset_id},
               {"pledged", v->pledged},
               {"pledges", pledges},
               {"as_of", {{"index", v->as_of_index}, {"checkpoint", head.signed_checkpoint}}},
               {"evidence", evidence},
               {"certificate", *signed_cert}});
}

Response GetCoverage(Call& c) {
  Date date = Today(c);
  if (c.query.contains("date")) {
    auto d = ParseDate(c.query["date"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "date must be YYYY-MM-DD");
    date = *d;
  }
  const Head head = c.registry.ledger().head();
  auto v = c.registry.Coverage(c.params[0], date);
  if (!v.ok()) return StatusProblem(v.status());
  json policies = json::array();
  for (const auto& p : v->policies) {
    const PolicyIssue& t = p.record.terms;
    policies.push_back(
        {{"policy_id", t.policy_id},
         {"insurer", p.record.insurer},
         {"product", t.product},
         {"insured", t.insured},
         {"period", RangeJson(t.period)},
         {"limits",
          {{"per_claim", MoneyJson(t.limit_per_claim)},
           {"aggregate", MoneyJson(t.aggregate_limit)},
           {"deductible", MoneyJson(t.deductible)}}},
         {"remaining_aggregate", MoneyJson({p.remaining_aggregate, t.aggregate_limit.currency})},
         {"loss_payees", t.loss_payees},
         {"issued_index", p.record.issued_index}});
  }
  return Json(
      {{"asset", v->asset_id},
       {"date", FormatDate(date)},
       {"covered", v->covered},
       {"policies", policies},
       {"as_of", {{"index", head.checkpoint.size - 1}, {"checkpoint", head.signed_checkpoint}}}});
}

Response GetPledge(Call& c) {
  auto p = c.registry.GetPledge(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  return Json(PledgeJson(c.registry, c.caller, *p, Today(c)));
}

Response GetPolicy(Call& c) {
  auto p = c.registry.GetPolicy(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  const PolicyIssue& t = p->terms;
  json j = {{"policy_id", t.policy_id},
            {"insurer", p->insurer},
            {"product", t.product},
            {"insured", t.insured},
            {"loss_payees", t.loss_payees},
            {"covered_assets", t.covered_assets},
            {"period", RangeJson(t.period)},
            {"covered_costs", t.covered_costs},
            {"limits",
             {{"per_claim", MoneyJson(t.limit_per_claim)},
              {"aggregate", MoneyJson(t.aggregate_limit)},
              {"deductible", MoneyJson(t.deductible)}}},
            {"remaining_aggregate",
             MoneyJson({t.aggregate_limit.amount - p->claims_paid, t.aggregate_limit.currency})},
            {"claims", p->claims},
            {"history", p->history},
            {"version", p->history.size()}};
  if (p->cancelled_from) j["cancelled_from"] = FormatDate(*p->cancelled_from);
  return Json(j);
}

Response GetValuation(Call& c) {
  auto v = c.registry.GetValuation(c.params[0]);
  if (!v.ok()) return StatusProblem(v.status());
  const ValuationAttest& a = v->attest;
  // Values are the parties' business: the appraiser, the holders of the valued assets
  // (who commissioned it) and the regulators.
  bool sees_values =
      c.caller.SeesAll() || (c.caller.authenticated && c.caller.participant == v->appraiser);
  json items = json::array();
  for (const ValuationItem& item : a.items) {
    json ij = {{"asset_id", item.asset_id}};
    if (!sees_values) {
      auto asset = c.registry.GetAsset(item.asset_id);
      if (asset.ok() && IsParty(c.caller, asset->holders)) sees_values = true;
    }
    items.push_back(ij);
  }
  json methods = json::array();
  for (ValuationMethod m : a.methods) methods.push_back(ValuationMethodName(m));
  json j = {{"valuation_id", a.valuation_id},
            {"appraiser", v->appraiser},
            {"standard", a.standard},
            {"methods", methods},
            {"base_date", FormatDate(a.base_date)},
            {"valid_until", FormatDate(*a.valid_until)},
            {"report_sha256", HexEncode(a.report_sha256)},
            {"withdrawn", v->withdrawn},
            {"stale", *a.valid_until < Today(c)},
            {"history", v->history},
            {"version", v->history.size()}};
  if (sees_values) {
    for (size_t i = 0; i < a.items.size(); ++i) {
      items[i]["value"] = MoneyJson(a.items[i].value);
      if (a.items[i].legal_score) items[i]["legal_score"] = *a.items[i].legal_score;
      if (a.items[i].technical_score) items[i]["technical_score"] = *a.items[i].technical_score;
      if (a.items[i].economic_score) items[i]["economic_score"] = *a.items[i].economic_score;
    }
    j["total"] = MoneyJson(a.total);
  }
  j["items"] = items;
  return Json(j);
}

Response GetCase(Call& c) {
  auto k = c.registry.GetCase(c.params[0]);
  if (!k.ok()) return StatusProblem(k.status());
  const CaseRegister& t = k->terms;
  json j = {{"case_id", t.case_id},        {"lender", k->lender},   {"debtor", t.debtor},
            {"term", RangeJson(t.term)},   {"pledges", k->pledges}, {"history", k->history},
            {"version", k->history.size()}};
  if (c.caller.SeesAll() || IsParty(c.caller, {k->lender, t.debtor})) {
    j["facility"] = MoneyJson(t.facility);
    json other = json::array();
    for (const OtherCollateral& o : t.other_collateral) {
      other.push_back({{"kind", CollateralKindName(o.kind)},
                       {"description", o.description},
                       {"amount", MoneyJson(o.amount)}});
    }
    j["other_collateral"] = other;
  }
  return Json(j);
}

// --- Regulators: audit and statistics (api.md §7, §9) --------------------------------

Response NeedRegulator(const Call& c) {
  return Problem(403, "forbidden", "Not allowed for this participant",
                 "only regulators and the registry office may read " + c.path, {"E_FORBIDDEN"});
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
  return out;
}

Response GetAudit(Call& c) {
  if (!c.caller.SeesAll()) return NeedRegulator(c);
  const std::uint64_t size = c.registry.ledger().size();
  std::uint64_t limit = 100;
  if (c.query.contains("limit")) {
    auto l = ParseDecimalU64(c.query["limit"]);
    if (!l || *l == 0 || *l > 1000) {
      return Problem(400, "bad-request", "Bad request", "limit must be 1..1000");
    }
    limit = *l;
  }
  std::uint64_t first = 0;
  std::uint64_t end = size;  // exclusive
  if (c.query.contains("cursor")) {
    auto cur = ParseDecimalU64(c.query["cursor"]);
    if (!cur)
      return Problem(400, "bad-request", "Bad request",
                     "cursor must be a cursor this API returned");
    first = *cur;
  }
  if (c.query.contains("from")) {
    auto d = ParseDate(c.query["from"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "from must be YYYY-MM-DD");
    auto i = c.registry.FirstIndexAtOrAfter(EndOfDateInstant(AddDays(*d, -1)) + 1);
    if (!i.ok()) return StatusProblem(i.status());
    first = std::max(first, *i);
  }
  if (c.query.contains("to")) {
    auto d = ParseDate(c.query["to"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "to must be YYYY-MM-DD");
    auto i = c.registry.FirstIndexAtOrAfter(EndOfDateInstant(*d) + 1);
    if (!i.ok()) return StatusProblem(i.status());
    end = std::min(end, *i);
  }
  const std::string type = c.query.contains("type") ? c.query["type"] : "";
  const std::string participant = c.query.contains("participant") ? c.query["participant"] : "";
  const std::string asset = c.query.contains("asset") ? c.query["asset"] : "";
  // Candidates come from the most selective index; every filter is then applied to the
  // leaf itself. The cursor is the next index to look at: the log only grows, so pages
  // never skip or repeat entries.
  std::vector<std::uint64_t> candidates;
  const std::uint64_t kScanBudget = std::max<std::uint64_t>(limit * 20, 2000);
  std::uint64_t next = first;
  if (!asset.empty() || !participant.empty()) {
    auto list = asset.empty()
                    ? c.registry.EntriesAbout("participant", participant, first, kScanBudget)
                    : c.registry.EntriesAbout("asset", asset, first, kScanBudget);
    if (!list.ok()) return StatusProblem(list.status());
    candidates = std::move(*list);
    next =
        candidates.size() < kScanBudget ? end : (candidates.empty() ? end : candidates.back() + 1);
  } else {
    for (std::uint64_t i = first; i < end && candidates.size() < kScanBudget; ++i)
      candidates.push_back(i);
    next = candidates.empty() ? std::max(first, end) : candidates.back() + 1;
  }
  json entries = json::array();
  std::string csv =
      "index,time,type,refused,codes,parties,signers,subjects,envelope_sha256,envelope_b64\n";
  for (std::uint64_t i : candidates) {
    if (i >= end) {
      next = std::max(next, end);
      break;
    }
    auto leaf = c.registry.ledger().GetLeaf(i);
    if (!leaf.ok()) return StatusProblem(leaf.status());
    auto e = DecodeLeaf(*leaf);
    if (!e.ok()) return StatusProblem(e.status());
    const bool type_ok = type.empty() || e->type == type || e->refused == type;
    const bool participant_ok =
        participant.empty() ||
        std::find(e->parties.begin(), e->parties.end(), participant) != e->parties.end();
    const bool asset_ok = asset.empty() || std::find(e->subjects.begin(), e->subjects.end(),
                                                     asset) != e->subjects.end();
    if (!type_ok || !participant_ok || !asset_ok) continue;
    auto envelope = c.registry.ledger().GetEnvelope(*e);
    if (!envelope.ok()) return StatusProblem(envelope.status());
    json j = {{"index", i},
              {"time", FormatInstant(e->time_ms)},
              {"type", e->type},
              {"leaf", Base64Encode(AsBytes(*leaf))},
              {"parties", e->parties},
              {"signers", e->signers},
              {"subjects", e->subjects},
              {"envelope", json::parse(*envelope, nullptr, false)},
              {"envelope_b64", Base64Encode(AsBytes(*envelope))}};
    if (e->type == kRefusalType) {
      j["refused"] = e->refused;
      j["codes"] = e->codes;
    }
    auto outcome = c.registry.GetOutcome(i);
    if (outcome.ok()) j["warnings"] = outcome->warnings;
    entries.push_back(j);
    csv += std::to_string(i) + "," + FormatInstant(e->time_ms) + "," + e->type + "," +
           CsvField(e->refused) + "," + CsvField(Joined(e->codes)) + "," +
           CsvField(Joined(e->parties)) + "," + CsvField(Joined(e->signers)) + "," +
           CsvField(Joined(e->subjects)) + "," + HexEncode(e->envelope_sha256) + "," +
           Base64Encode(AsBytes(*envelope)) + "\n";
    if (entries.size() == limit) {
      next = i + 1;
      break;
    }
  }
  // Never past the window's end, never behind the request's cursor: a client that
  // pages until an empty page returns its own cursor always terminates.
  next = std::max(first, std::min(next, end));
  const std::string cursor = std::to_string(next);
  if (c.req.Header("accept").find("text/csv") != std::string::npos) {
    Response r = Text(csv, "text/csv; charset=utf-8");
    r.headers.emplace_back("x-next-cursor", cursor);
    return r;
  }
  return Json({{"entries", entries}, {"next_cursor", cursor}, {"tree_size", size}});
}

json TotalsJson(const StatsTotals& t) {
  json amounts = json::array();
  for (const auto& [currency, amount] : t.amount) amounts.push_back(MoneyJson({amount, currency}));
  const auto cny = t.amount.find("CNY");
  return {{"amount", MoneyJson({cny == t.amount.end() ? 0 : cny->second, "CNY"})},
          {"amounts", amounts},
          {"registrations", t.registrations},
          {"cases", t.cases},
          {"enterprises", t.enterprises},
          {"ip_items", {{"patent", t.patents}, {"trademark", t.trademarks}, {"data", t.data}}},
          {"inclusive_enterprises", t.inclusive_enterprises},
          {"inclusive_share_bps", t.inclusive_share_bps}};
}

json Bps(std::optional<std::int64_t> v) { return v ? json(*v) : json(nullptr); }

Response GetStats(Call& c) {
  if (!c.caller.SeesAll()) return NeedRegulator(c);
  auto from = ParseDate(c.query["from"]);
  auto to = ParseDate(c.query["to"]);
  if (!from || !to || *to < *from) {
    return Problem(400, "bad-request", "Bad request",
                   "from and to must be dates YYYY-MM-DD, from <= to");
  }
  StatsQuery q;
  q.from = *from;
  q.to = *to;
  if (c.query.contains("region")) {
    const std::string& r = c.query["region"];
    if (r.empty() || r.size() > 6 ||
        !std::all_of(r.begin(), r.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return Problem(400, "bad-request", "Bad request",
                     "region must be 1 to 6 digits (a GB/T 2260 prefix)");
    }
    q.region_prefix = r;
  }
  std::string group_by = c.query.contains("group_by") ? c.query["group_by"] : "";
  static const std::map<std::string, StatsGroupBy> kGroups = {
      {"", StatsGroupBy::kNone},
      {"bank", StatsGroupBy::kBank},
      {"region", StatsGroupBy::kRegion},
      {"asset_kind", StatsGroupBy::kAssetKind},
      {"month", StatsGroupBy::kMonth}};
  auto g = kGroups.find(group_by);
  if (g == kGroups.end()) {
    return Problem(400, "bad-request", "Bad request",
                   "group_by must be bank, region, asset_kind or month");
  }
  q.group_by = g->second;
  if (c.query.contains("inclusive_threshold_fen")) {
    auto t = ParseDecimalU64(c.query["inclusive_threshold_fen"]);
    if (!t || *t > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Problem(400, "bad-request", "Bad request",
                     "inclusive_threshold_fen must be an integer >= 0");
    }
    q.inclusive_threshold = static_cast<std::int64_t>(*t);
  }
  const std::uint64_t size = c.registry.ledger().size();
  std::uint64_t as_of = size - 1;
  if (c.query.contains("as_of")) {
    auto i = ParseDecimalU64(c.query["as_of"]);
    if (!i || *i >= size) {
      return Problem(400, "bad-request", "Bad request",
                     "as_of must be an entry index below " + std::to_string(size));
    }
    as_of = *i;
  }
  q.as_of = as_of;
  StatsResult cur = c.registry.Stats(q);
  StatsQuery pq = q;
  pq.from = AddYears(q.from, -1);
  pq.to = AddYears(q.to, -1);
  pq.group_by = StatsGroupBy::kNone;
  StatsResult prev = c.registry.Stats(pq);
  // The checkpoint of the tree that ends at as_of: the same bytes every time.
  auto cp = c.registry.ledger().SignedCheckpointAt(as_of + 1);
  if (!cp.ok()) return StatusProblem(cp.status());
  const auto cny = [](const StatsTotals& t) {
    auto it = t.amount.find("CNY");
    return it == t.amount.end() ? std::int64_t{0} : it->second;
  };
  json groups = json::array();
  for (const auto& grp : cur.groups) {
    json gj = TotalsJson(grp.totals);
    gj["key"] = grp.key;
    groups.push_back(gj);
  }
  json window = {{"from", FormatDate(q.from)},
                 {"to", FormatDate(q.to)},
                 {"region", q.region_prefix},
                 {"group_by", group_by},
                 {"inclusive_threshold_fen", q.inclusive_threshold}};
  return Json(
      {{"as_of", {{"index", as_of}, {"checkpoint", *cp}}},
       {"window", window},
       {"totals", TotalsJson(cur.totals)},
       {"previous_year", TotalsJson(prev.totals)},
       {"yoy_bps",
        {{"amount", Bps(ChangeBps(cny(cur.totals), cny(prev.totals)))},
         {"registrations", Bps(ChangeBps(static_cast<std::int64_t>(cur.totals.registrations),
                                         static_cast<std::int64_t>(prev.totals.registrations)))},
         {"enterprises", Bps(ChangeBps(static_cast<std::int64_t>(cur.totals.enterprises),
                                       static_cast<std::int64_t>(prev.totals.enterprises)))}}},
       {"groups", groups}});
}

}  // namespace

namespace {

// Matches `path` against a route pattern; fills the {..} segments.
bool Match(const std::string& pattern, const std::string& path, std::vector<std::string>* params) {
  // Tile paths have a variable number of segments: handled by prefix.
  if (pattern == "/log/tile/entries/{N}") {
    if (path.rfind("/log/tile/entries/", 0) != 0) return false;
    params->clear();
    return true;
  }
  if (pattern == "/log/tile/{L}/{N}") {
    if (path.rfind("/log/tile/", 0) != 0 || path.rfind("/log/tile/entries/", 0) == 0) return false;
    params->clear();
    return true;
  }
  const auto pp = Split(pattern, '/');
  const auto sp = Split(path, '/');
  if (pp.size() != sp.size()) return false;
  std::vector<std::string> out;
  for (size_t i = 0; i < pp.size(); ++i) {
    if (!pp[i].empty() && pp[i].front() == '{') {
      auto decoded = PercentDecode(sp[i]);
      if (!decoded || decoded->empty()) return false;
      out.push_back(*decoded);
    } else if (pp[i] != sp[i]) {
      return false;
    }
  }
  *params = std::move(out);
  return true;
}

bool NeedsAuthentication(const std::string& method, const std::string& pattern) {
  if (method == "POST") return pattern == "/v1/precheck";
  return pattern == "/v1/assets/{id}/history" || pattern == "/v1/assets/{id}/pledge-status" ||
         pattern == "/v1/assets/{id}/coverage" || pattern == "/v1/pledges/{id}" ||
         pattern == "/v1/policies/{id}" || pattern == "/v1/valuations/{id}" ||
         pattern == "/v1/cases/{id}" || pattern == "/v1/audit/entries" ||
         pattern == "/v1/stats/pledges";
}

std::string JsonEscape(const std::string& s) {
  json j = s;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void Router::Handle(Request request, Respond respond) {
  const auto start = std::chrono::steady_clock::now();
  auto req = std::make_shared<Request>(std::move(request));
  const size_t qpos = req->target.find('?');
  const std::string path = req->target.substr(0, qpos);
  const std::string query_text = qpos == std::string::npos ? "" : req->target.substr(qpos + 1);
  auto finish = [this, req, start, respond](Response r) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.route.empty()) r.route = "unmatched";
    metrics_.ObserveRequest(r.route, req->method, r.status, seconds);
    char latency[32];
    std::snprintf(latency, sizeof(latency), "%.3f", seconds * 1000);
    options_.log("{\"event\":\"request\",\"method\":" + JsonEscape(req->method) +
                 ",\"path\":" + JsonEscape(req->target.substr(0, req->target.find('?'))) +
                 ",\"status\":" + std::to_string(r.status) + ",\"latency_ms\":" + latency +
                 ",\"caller\":" + JsonEscape(r.caller.empty() ? "-" : r.caller) + "}");
    respond(std::move(r));
  };

  // Route.
  std::string pattern;
  std::vector<std::string> params;
  bool path_known = false;
  for (const auto& [method, p] : kRoutes) {
    std::vector<std::string> got;
    if (!Match(p, path, &got)) continue;
    path_known = true;
    if (method == req->method) {
      pattern = p;
      params = std::move(got);
      break;
    }
  }
  if (pattern.empty()) {
    Response r = path_known ? Problem(405, "method-not-allowed", "Method not allowed",
                                      req->method + " is not served on " + path)
                            : Problem(404, "not-found", "Not found", "no route for " + path);
    return finish(std::move(r));
  }
  // By value: the write path calls it after Handle has returned.
  auto tag = [pattern](Response r, const Caller& caller) {
    r.route = pattern;
    r.caller = caller.keyid;
    return r;
  };

  auto query = ParseQuery(query_text);
  if (!query) {
    return finish(tag(
        Problem(400, "bad-request", "Bad request", "malformed or repeated query parameter"), {}));
  }

  // Authenticate (api.md §8): no signature = anonymous; a bad one is 401.
  Caller caller;
  const std::string& sig_input = req->Header("signature-input");
  const std::string& sig = req->Header("signature");
  if (!sig_input.empty() || !sig.empty()) {
    auto parsed = ParseSignatureHeaders(sig_input, sig);
    if (!parsed.ok()) {
      return finish(tag(Problem(401, "signature", "Signature not accepted",
                                parsed.status().message(), {"E_SIGNATURE"}),
                        caller));
    }
    const std::string& keyid = parsed->params.keyid;
    const size_t slash = keyid.find('/');
    std::optional<PublicKey> key;
    std::optional<ParticipantRecord> who;
    if (slash != std::string::npos) {
      auto p = registry_.GetParticipant(keyid.substr(0, slash));
      if (p.ok()) {
        for (const KeyRecord& k : p->keys) {
          if (k.label == keyid.substr(slash + 1) && !k.revoked_index) key = k.key;
        }
        who = std::move(*p);
      }
    }
    if (!key) {
      return finish(
          tag(Problem(401, "signature", "Signature not accepted",
                      "key " + keyid + " is not registered or is revoked", {"E_SIGNATURE"}),
              caller));
    }
    Status v = VerifyRequestSignature(*parsed, req->method, req->target, *key,
                                      options_.clock_seconds(), options_.signature_window_seconds);
    if (!v.ok()) {
      return finish(
          tag(Problem(401, "signature", "Signature not accepted", v.message(), {"E_SIGNATURE"}),
              caller));
    }
    caller.authenticated = true;
    caller.participant = who->id;
    caller.role = who->role;
    caller.keyid = keyid;
  }
  if (NeedsAuthentication(req->method, pattern) && !caller.authenticated) {
    Response r = Problem(401, "authentication-required", "Authentication required",
                         "sign the request with RFC 9421 (api.md section 8)", {"E_SIGNATURE"});
    r.headers.emplace_back("www-authenticate", "Signature");
    return finish(tag(std::move(r), caller));
  }

  // Writes.
  if (req->method == "POST") {
    auto submission = DecodeSubmission(req->body);
    if (!submission.ok()) {
      return finish(tag(Problem(400, "schema", "Statement does not match the schema",
                                submission.status().message(), {"E_SCHEMA"}),
                        caller));
    }
    // The Ed25519 checks run here, on this io thread, in parallel with other requests;
    // the sequencer then only confirms the keys are still current.
    registry_.PreverifySignatures(&*submission);
    if (pattern == "/v1/precheck") {
      SubmitOutcome o = registry_.Precheck(*submission);
      const bool ok = o.kind == OutcomeKind::kAccepted ||
                      (o.kind == OutcomeKind::kReplayed && !o.replayed_refusal);
      json j = {{"ok", ok}, {"codes", o.codes}, {"warnings", o.warnings}, {"detail", o.detail}};
      return finish(tag(Json(j), caller));
    }
    committer_.Enqueue(std::move(*submission), [finish, tag, caller](StatusOr<CommitResult> r) {
      if (!r.ok()) return finish(tag(StatusProblem(r.status()), caller));
      const SubmitOutcome& o = r->outcome;
      switch (o.kind) {
        case OutcomeKind::kAccepted:
          return finish(tag(Json(ReceiptJson(*r), 201), caller));
        case OutcomeKind::kReplayed:
          if (o.replayed_refusal) {
            return finish(
                tag(CodesProblem(o.codes, o.detail,
                                 {{"refusal_index", o.index}, {"receipt", ReceiptJson(*r)}}),
                    caller));
          }
          return finish(tag(Json(ReceiptJson(*r), 200), caller));
        case OutcomeKind::kRefused:
          return finish(
              tag(CodesProblem(o.codes, o.detail,
                               {{"refusal_index", o.index}, {"receipt", ReceiptJson(*r)}}),
                  caller));
        case OutcomeKind::kRejected:
          return finish(tag(CodesProblem(o.codes, o.detail), caller));
      }
    });
    return;
  }

  // Reads.
  Call call{registry_, *req, caller, path, std::move(*query), std::move(params)};
  Response r;
  if (pattern == "/healthz") {
    r = Json({{"status", registry_.ledger().read_only() ? "read-only" : "ok"},
              {"tree_size", registry_.ledger().size()}});
  } else if (pattern == "/metrics") {
    metrics_.SetTreeSize(registry_.ledger().size());
    r = Text(metrics_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  } else if (pattern == "/log/checkpoint") {
    r = Text(registry_.ledger().head().signed_checkpoint);
    r.headers.emplace_back("cache-control", "no-cache");
  } else if (pattern == "/log/vkey") {
    r = Text(FormatVkey(registry_.ledger().verifier()) + "\n");
  } else if (pattern.rfind("/log/tile/", 0) == 0) {
    r = GetTile(call);
  } else if (pattern == "/v1/entries/{index}") {
    r = GetEntry(call);
  } else if (pattern == "/v1/entries/{index}/proof") {
    r = GetEntryProof(call);
  } else if (pattern == "/v1/entries/{index}/tlog-proof") {
    r = GetTlogProof(call);
  } else if (pattern == "/v1/log/consistency") {
    r = GetConsistency(call);
  } else if (pattern == "/v1/participants") {
    r = GetParticipants(call);
  } else if (pattern == "/v1/participants/{id}") {
    r = GetParticipant(call);
  } else if (pattern == "/v1/assets/{id}") {
    r = GetAsset(call);
  } else if (pattern == "/v1/assets/{id}/history") {
    r = GetAssetHistory(call);
  } else if (pattern == "/v1/assets/{id}/pledge-status") {
    r = GetPledgeStatus(call);
  } else if (pattern == "/v1/assets/{id}/coverage") {
    r = GetCoverage(call);
  } else if (pattern == "/v1/pledges/{id}") {
    r = GetPledge(call);
  } else if (pattern == "/v1/policies/{id}") {
    r = GetPolicy(call);
  } else if (pattern == "/v1/valuations/{id}") {
    r = GetValuation(call);
  } else if (pattern == "/v1/cases/{id}") {
    r = GetCase(call);
  } else if (pattern == "/v1/audit/entries") {
    r = GetAudit(call);
  } else if (pattern == "/v1/stats/pledges") {
    r = GetStats(call);
  } else {
    r = Problem(404, "not-found", "Not found", "no route for " + path);
  }
  finish(tag(std::move(r), caller));
}

}  // namespace ipledger::api
