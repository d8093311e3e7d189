#include "api/server/router.h"

#include <chrono>
#include <cstdio>
#include <optional>

#include "api/codec/http_signature.h"
#include "api/codec/identifier.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/ui.h"

namespace ipledger::api {

namespace {

using nlohmann::json;

// Who may call a route: anyone (anonymous callers see public views; writes carry their
// own signed envelopes), or only callers with a valid RFC 9421 signature (api.md §8).
enum class Access { kAnyone, kSigned };

struct Route {
  const char* method;
  const char* pattern;  // "{name}" segments are parameters, handed to the handler decoded
  Access access;
  void (*handle)(Call& call, Reply reply);
};

// A handler that answers before it returns.
template <Response (*Handler)(Call&)>
void Sync(Call& call, Reply reply) {
  reply(Handler(call));
}

// Every route, once. tests/openapi/check_openapi.sh reads this table: api/openapi.yaml must
// describe exactly these (method, pattern) pairs, signed exactly where Access::kSigned.
// clang-format off
constexpr Route kRoutes[] = {
    {"GET",  "/healthz",                          Access::kAnyone, Sync<GetHealth>},
    {"GET",  "/metrics",                          Access::kAnyone, Sync<GetMetrics>},
    {"GET",  "/log/checkpoint",                   Access::kAnyone, Sync<GetCheckpoint>},
    {"GET",  "/log/vkey",                         Access::kAnyone, Sync<GetVkey>},
    {"GET",  "/log/tile/{L}/{N}",                 Access::kAnyone, Sync<GetTile>},
    {"GET",  "/log/tile/entries/{N}",             Access::kAnyone, Sync<GetTile>},
    {"POST", "/v1/entries",                       Access::kAnyone, PostEntry},
    {"POST", "/v1/precheck",                      Access::kSigned, PostPrecheck},
    {"GET",  "/v1/entries/{index}",               Access::kAnyone, Sync<GetEntry>},
    {"GET",  "/v1/entries/{index}/proof",         Access::kAnyone, Sync<GetEntryProof>},
    {"GET",  "/v1/entries/{index}/tlog-proof",    Access::kAnyone, Sync<GetTlogProof>},
    {"GET",  "/v1/log/consistency",               Access::kAnyone, Sync<GetConsistency>},
    {"GET",  "/v1/participants",                  Access::kAnyone, Sync<GetParticipants>},
    {"GET",  "/v1/participants/{id}",             Access::kAnyone, Sync<GetParticipant>},
    {"GET",  "/v1/assets/{id}",                   Access::kAnyone, Sync<GetAsset>},
    {"GET",  "/v1/assets/{id}/history",           Access::kSigned, Sync<GetAssetHistory>},
    {"GET",  "/v1/assets/{id}/pledge-status",     Access::kSigned, Sync<GetPledgeStatus>},
    {"GET",  "/v1/assets/{id}/coverage",          Access::kSigned, Sync<GetCoverage>},
    {"GET",  "/v1/pledges/{id}",                  Access::kSigned, Sync<GetPledge>},
    {"GET",  "/v1/policies/{id}",                 Access::kSigned, Sync<GetPolicy>},
    {"GET",  "/v1/valuations/{id}",               Access::kSigned, Sync<GetValuation>},
    {"GET",  "/v1/cases/{id}",                    Access::kSigned, Sync<GetCase>},
    {"GET",  "/v1/audit/entries",                 Access::kSigned, Sync<GetAudit>},
    {"GET",  "/v1/stats/pledges",                 Access::kSigned, Sync<GetStats>},
    {"GET",  "/ui/{path}",                        Access::kAnyone, nullptr},  // ServeUi
};
// clang-format on

// Matches `path` against a route pattern; fills the {..} segments.
bool Match(const std::string& pattern, const std::string& path, std::vector<std::string>* params) {
  // Tile paths have a variable number of segments: handled by prefix.
  if (pattern == "/log/tile/entries/{N}") {
    if (path.rfind("/log/tile/entries/", 0) != 0) return false;
    params->clear();
    return true;
  }
  if (pattern == "/ui/{path}") {  // the console's files, any depth; "/ui" redirects
    params->clear();
    return path == "/ui" || path.rfind("/ui/", 0) == 0;
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
      if (sp[i].empty()) return false;
      out.push_back(sp[i]);  // decoded and checked once the route is known (CheckParams)
    } else if (pp[i] != sp[i]) {
      return false;
    }
  }
  *params = std::move(out);
  return true;
}

// The kind of identifier a route's {id} parameter names; nullopt for the other
// parameters ({index}, tile coordinates), which their handlers parse.
std::optional<IdKind> ParamKind(std::string_view pattern) {
  if (pattern.starts_with("/v1/participants/")) return IdKind::kParticipant;
  if (pattern.starts_with("/v1/assets/")) return IdKind::kAsset;
  for (std::string_view p : {"/v1/pledges/", "/v1/policies/", "/v1/valuations/", "/v1/cases/"}) {
    if (pattern.starts_with(p)) return IdKind::kRecord;
  }
  return std::nullopt;
}

// Decodes the matched path parameters in place, each exactly once and only from its
// canonical percent-encoding, and checks the identifiers among them; the 400 E_SCHEMA
// problem if one is refused.
std::optional<Response> CheckParams(const Route& route, std::vector<std::string>* params) {
  const std::optional<IdKind> kind = ParamKind(route.pattern);
  for (std::string& param : *params) {
    auto decoded = DecodePathSegment(param);
    Status s = decoded.ok() ? Status::Ok() : decoded.status();
    if (s.ok() && kind) s = CheckIdentifier(*kind, *decoded, "path parameter");
    if (!s.ok()) {
      return Problem(400, "schema", "Statement does not match the schema", s.message(),
                     {"E_SCHEMA"});
    }
    param = std::move(*decoded);
  }
  return std::nullopt;
}

// The route serving `method` on `path`, its parameters in `params`; nullptr if none does.
// `path_known` says whether some route serves `path` with another method (405, not 404).
const Route* FindRoute(const std::string& method, const std::string& path,
                       std::vector<std::string>* params, bool* path_known) {
  *path_known = false;
  for (const Route& route : kRoutes) {
    std::vector<std::string> got;
    if (!Match(route.pattern, path, &got)) continue;
    *path_known = true;
    if (route.method == method) {
      *params = std::move(got);
      return &route;
    }
  }
  return nullptr;
}

// Authenticates `req` (api.md §8): no signature leaves `caller` anonymous; a valid one
// fills it; a bad one is the 401 returned.
std::optional<Response> Authenticate(Registry& registry, const RouterOptions& options,
                                     const Request& req, Caller* caller) {
  const std::string& sig_input = req.Header("signature-input");
  const std::string& sig = req.Header("signature");
  if (sig_input.empty() && sig.empty()) return std::nullopt;
  auto parsed = ParseSignatureHeaders(sig_input, sig);
  if (!parsed.ok()) {
    return Problem(401, "signature", "Signature not accepted", parsed.status().message(),
                   {"E_SIGNATURE"});
  }
  const std::string& keyid = parsed->params.keyid;
  if (Status s = CheckIdentifier(IdKind::kKeyId, keyid, "Signature-Input: keyid"); !s.ok()) {
    return Problem(401, "signature", "Signature not accepted", s.message(), {"E_SIGNATURE"});
  }
  const size_t slash = keyid.find('/');
  std::optional<PublicKey> key;
  std::optional<ParticipantRecord> who;
  if (slash != std::string::npos) {
    auto p = registry.GetParticipant(keyid.substr(0, slash));
    if (p.ok()) {
      for (const KeyRecord& k : p->keys) {
        if (k.label == keyid.substr(slash + 1) && !k.revoked_index) key = k.key;
      }
      who = std::move(*p);
    }
  }
  if (!key) {
    return Problem(401, "signature", "Signature not accepted",
                   "key " + keyid + " is not registered or is revoked", {"E_SIGNATURE"});
  }
  Status v = VerifyRequestSignature(*parsed, req.method, req.target, *key, options.clock_seconds(),
                                    options.signature_window_seconds);
  if (!v.ok()) {
    return Problem(401, "signature", "Signature not accepted", v.message(), {"E_SIGNATURE"});
  }
  caller->authenticated = true;
  caller->participant = who->id;
  caller->role = who->role;
  caller->keyid = keyid;
  return std::nullopt;
}

Response AuthenticationRequired() {
  Response r = Problem(401, "authentication-required", "Authentication required",
                       "sign the request with RFC 9421 (api.md section 8)", {"E_SIGNATURE"});
  r.headers.emplace_back("www-authenticate", "Signature");
  return r;
}

std::string JsonEscape(const std::string& s) {
  json j = s;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Counts `r` in `metrics` and writes the request's log line.
void Record(Metrics& metrics, const RouterOptions& options, const Request& req,
            std::chrono::steady_clock::time_point start, Response& r) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.route.empty()) r.route = "unmatched";
  metrics.ObserveRequest(r.route, req.method, r.status, seconds);
  char latency[32];
  std::snprintf(latency, sizeof(latency), "%.3f", seconds * 1000);
  options.log("{\"event\":\"request\",\"method\":" + JsonEscape(req.method) +
              ",\"path\":" + JsonEscape(req.target.substr(0, req.target.find('?'))) +
              ",\"status\":" + std::to_string(r.status) + ",\"latency_ms\":" + latency +
              ",\"caller\":" + JsonEscape(r.caller.empty() ? "-" : r.caller) + "}");
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& Router::Routes() {
  static const std::vector<std::pair<std::string, std::string>> routes = [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Route& r : kRoutes) out.emplace_back(r.method, r.pattern);
    return out;
  }();
  return routes;
}

Router::Router(Registry& registry, GroupCommitter& committer, Metrics& metrics,
               RouterOptions options)
    : registry_(registry),
      committer_(committer),
      metrics_(metrics),
      options_(std::move(options)),
      quota_(options_.write_quota_per_minute) {
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

void Router::Handle(Request request, Respond respond) {
  const auto start = std::chrono::steady_clock::now();
  // Shared: a write answers after Handle has returned.
  auto req = std::make_shared<Request>(std::move(request));
  auto finish = [this, req, start, respond](Response r) {
    Record(metrics_, options_, *req, start, r);
    respond(std::move(r));
  };
  // Parse and route.
  const size_t qpos = req->target.find('?');
  const std::string path = req->target.substr(0, qpos);
  std::vector<std::string> params;
  bool path_known = false;
  const Route* route = FindRoute(req->method, path, &params, &path_known);
  if (route == nullptr) {
    return finish(path_known ? Problem(405, "method-not-allowed", "Method not allowed",
                                       req->method + " is not served on " + path)
                             : Problem(404, "not-found", "Not found", "no route for " + path));
  }
  const auto reply_as = [finish, route](std::string keyid) -> Reply {
    return [finish, route, keyid = std::move(keyid)](Response r) {
      r.route = route->pattern;
      r.caller = keyid;
      finish(std::move(r));
    };
  };
  // Static files need neither the query nor a caller (ui.cc checks the path itself).
  if (route->handle == nullptr) {
    Response r = ServeUi(options_.ui_dir, path);
    r.route = route->pattern;
    return finish(std::move(r));
  }
  auto query = ParseQuery(qpos == std::string::npos ? "" : req->target.substr(qpos + 1));
  if (!query) {
    return reply_as("")(
        Problem(400, "bad-request", "Bad request", "malformed or repeated query parameter"));
  }
  if (auto refused = CheckParams(*route, &params)) return reply_as("")(std::move(*refused));
  // Authenticate.
  Caller caller;
  if (auto refused = Authenticate(registry_, options_, *req, &caller)) {
    return reply_as("")(std::move(*refused));
  }
  if (route->access == Access::kSigned && !caller.authenticated) {
    return reply_as("")(AuthenticationRequired());
  }
  // Dispatch.
  Call call{registry_, committer_,        metrics_,          *req,   caller,
            path,      std::move(*query), std::move(params), &quota_};
  route->handle(call, reply_as(caller.keyid));
}

}  // namespace ipledger::api
