#include "api/server/router.h"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string_view>

#include "api/codec/http_signature.h"
#include "api/codec/identifier.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/ui.h"
#include "ledger/base/log.h"

namespace ipledger::api {

namespace {

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
    {"GET",  "/readyz",                           Access::kAnyone, Sync<GetReady>},
    {"GET",  "/openapi.yaml",                     Access::kAnyone, Sync<GetOpenapi>},
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
    {"GET",  "/v1/checkpoints/cosigned",          Access::kAnyone, Sync<GetCosignedCheckpoint>},
    {"GET",  "/v1/witnesses",                     Access::kAnyone, Sync<GetWitnessKeys>},
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

// The most {..} parameters a route may have (Match keeps them in a fixed array).
constexpr std::size_t kMaxParams = 4;
constexpr bool RouteParamsFit() {
  for (const Route& route : kRoutes) {
    std::size_t n = 0;
    for (const char* c = route.pattern; *c != '\0'; ++c) n += *c == '{' ? 1 : 0;
    if (n > kMaxParams) return false;
  }
  return true;
}
static_assert(RouteParamsFit(), "a route has more parameters than Match keeps");

// Matches `path` against a route pattern; fills the {..} segments.
bool Match(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  // Tile paths have a variable number of segments: handled by prefix.
  if (pattern == "/log/tile/entries/{N}") {
    if (!path.starts_with("/log/tile/entries/")) return false;
    params->clear();
    return true;
  }
  if (pattern == "/ui/{path}") {  // the console's files, any depth; "/ui" redirects
    params->clear();
    return path == "/ui" || path.starts_with("/ui/");
  }
  if (pattern == "/log/tile/{L}/{N}") {
    if (!path.starts_with("/log/tile/") || path.starts_with("/log/tile/entries/")) return false;
    params->clear();
    return true;
  }
  // Segment by segment, without copying: every request is matched against the routes
  // in order, and only a match copies its parameters.
  std::string_view pat = pattern, got = path;
  std::string_view found[kMaxParams];
  std::size_t n = 0;
  for (;;) {
    const std::size_t pe = pat.find('/'), ge = got.find('/');
    const std::string_view ps = pat.substr(0, pe), gs = got.substr(0, ge);
    if (!ps.empty() && ps.front() == '{') {
      if (gs.empty()) return false;
      found[n++] = gs;  // decoded and checked once the route is known (CheckParams)
    } else if (ps != gs) {
      return false;
    }
    if (pe == std::string_view::npos || ge == std::string_view::npos) {
      if (pe != ge) return false;  // one has more segments than the other
      break;
    }
    pat.remove_prefix(pe + 1);
    got.remove_prefix(ge + 1);
  }
  params->assign(found, found + n);
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
// `allowed` lists the methods some route serves on `path` ("GET, POST"; empty: 404, else
// 405 with this Allow header).
const Route* FindRoute(const std::string& method, const std::string& path,
                       std::vector<std::string>* params, std::string* allowed) {
  allowed->clear();
  for (const Route& route : kRoutes) {
    std::vector<std::string> got;
    if (!Match(route.pattern, path, &got)) continue;
    if (allowed->find(route.method) == std::string::npos) {
      *allowed += (allowed->empty() ? "" : ", ") + std::string(route.method);
    }
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
                                     NonceCache& nonces, SignatureCache& signatures,
                                     Metrics& metrics, const Request& req, Caller* caller) {
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
  std::shared_ptr<const ParticipantRecord> who;
  if (slash != std::string::npos) {
    auto p = registry.CurrentParticipant(keyid.substr(0, slash));
    if (p.ok()) {
      for (const KeyRecord& k : (*p)->keys) {
        if (k.label == keyid.substr(slash + 1) && !k.revoked_index) key = k.key;
      }
      who = std::move(*p);
    }
  }
  if (!key) {
    return Problem(401, "signature", "Signature not accepted",
                   "key " + keyid + " is not registered or is revoked", {"E_SIGNATURE"});
  }
  const std::int64_t now = options.clock_seconds();
  // The times and covered fields are checked on every request; only the Ed25519 check
  // of an exact (key, base, signature) that verified before in its window is cached.
  auto base = CheckRequestSignature(*parsed, req.method, req.target, now,
                                    options.signature_window_seconds, &req.headers);
  if (!base.ok()) {
    return Problem(401, "signature", "Signature not accepted", base.status().message(),
                   {"E_SIGNATURE"});
  }
  bool hit = false;
  const bool verified =
      signatures.Verify(*key, *base, parsed->signature,
                        parsed->params.created + options.signature_window_seconds, now, &hit);
  metrics.CountCacheLookup("signature", hit);
  if (!verified) {
    return Problem(401, "signature", "Signature not accepted",
                   "request signature of " + keyid + " does not verify", {"E_SIGNATURE"});
  }
  // A nonce, once its signature verified, may not come again while `created` is in the
  // window (api.md §8, v1.1).
  if (const auto& nonce = parsed->params.nonce) {
    switch (nonces.Insert(keyid, *nonce, parsed->params.created + options.signature_window_seconds,
                          now)) {
      case NonceCache::Result::kFresh:
        break;
      case NonceCache::Result::kReplay:
        return Problem(401, "signature", "Signature not accepted",
                       "nonce already used by " + keyid + " within the signature window",
                       {"E_SIGNATURE"});
      case NonceCache::Result::kFull:
        return Problem(401, "signature", "Signature not accepted",
                       "too many nonces in the signature window; retry later", {"E_SIGNATURE"});
    }
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

// The client's X-Request-Id if it is sane (1 to 128 of A-Z a-z 0-9 and - _ . : / + =),
// else a new random one (32 hex digits).
std::string RequestId(const Request& req) {
  const std::string& given = req.Header("x-request-id");
  bool sane = !given.empty() && given.size() <= 128;
  for (const char ch : given) {
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && std::string_view("-_.:/+=").find(ch) == std::string_view::npos) sane = false;
  }
  if (sane) return given;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[40];
  std::snprintf(id, sizeof(id), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return id;
}

// Counts `r` in `metrics`, writes the request's log line and returns the request id.
void Record(Metrics& metrics, const RouterOptions& options, const Request& req,
            const std::string& request_id, std::chrono::steady_clock::time_point start,
            Response& r) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.route.empty()) r.route = "unmatched";
  metrics.ObserveRequest(r.route, req.method, r.status, seconds);
  r.headers.emplace_back("x-request-id", request_id);
  // Probes and scrapes are routine: logged at debug, everything else at info (5xx: error).
  const bool routine =
      r.status < 400 && (r.route == "/healthz" || r.route == "/readyz" || r.route == "/metrics");
  const LogLevel level = r.status >= 500 ? LogLevel::kError
                         : routine       ? LogLevel::kDebug
                                         : LogLevel::kInfo;
  if (!options.log && !LogEnabled(level)) return;
  const double latency_ms = static_cast<double>(static_cast<long long>(seconds * 1e6)) / 1000;
  const std::string line = FormatLogLine(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count(),
                                         level, "request",
                                         {{"event", "request"},
                                          {"request_id", request_id},
                                          {"method", req.method},
                                          {"path", req.target.substr(0, req.target.find('?'))},
                                          {"route", r.route},
                                          {"status", r.status},
                                          {"latency_ms", latency_ms},
                                          {"caller", r.caller.empty() ? "-" : r.caller},
                                          {"remote", req.remote}});
  if (options.log) {
    options.log(line);
  } else {
    WriteLogLine(line);
  }
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
}

void Router::Handle(Request request, Respond respond) {
  const auto start = std::chrono::steady_clock::now();
  // Shared: a write answers after Handle has returned.
  auto req = std::make_shared<Request>(std::move(request));
  auto finish = [this, req, start, respond, request_id = RequestId(*req)](Response r) {
    Record(metrics_, options_, *req, request_id, start, r);
    respond(std::move(r));
  };
  // Parse and route.
  const size_t qpos = req->target.find('?');
  const std::string path = req->target.substr(0, qpos);
  std::vector<std::string> params;
  std::string allowed;
  const Route* route = FindRoute(req->method, path, &params, &allowed);
  if (route == nullptr) {
    if (allowed.empty())
      return finish(Problem(404, "not-found", "Not found", "no route for " + path));
    Response r = Problem(405, "method-not-allowed", "Method not allowed",
                         req->method + " is not served on " + path + "; allowed: " + allowed);
    r.headers.emplace_back("allow", allowed);
    return finish(std::move(r));
  }
  const auto reply_as = [finish, route](std::string keyid) -> Reply {
    return [finish, route, keyid = std::move(keyid)](Response r) {
      r.route = route->pattern;
      r.caller = keyid;
      finish(std::move(r));
    };
  };
  // Cluster mode: only the leader sequences; a follower points writers at it.
  // Cosigned checkpoints are gathered and kept by the leader only.
  if (options_.cluster &&
      (route->handle == PostEntry || path == std::string_view("/v1/checkpoints/cosigned"))) {
    if (auto redirect = FollowerWrite(options_.cluster(), req->target)) {
      return reply_as("")(std::move(*redirect));
    }
  }
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
  if (auto refused =
          Authenticate(registry_, options_, nonces_, caches_.signatures, metrics_, *req, &caller)) {
    return reply_as("")(std::move(*refused));
  }
  if (route->access == Access::kSigned && !caller.authenticated) {
    return reply_as("")(AuthenticationRequired());
  }
  // Dispatch.
  Call call{registry_,
            committer_,
            metrics_,
            *req,
            caller,
            path,
            std::move(*query),
            std::move(params),
            &quota_,
            &caches_,
            options_.cluster ? &options_.cluster : nullptr};
  route->handle(call, reply_as(caller.keyid));
}

}  // namespace ipledger::api
