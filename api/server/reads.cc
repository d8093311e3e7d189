// The read routes (api.md §5, §7): the log (checkpoint, vkey, tiles, entries, proofs) and
// the registry's records, each answered on the calling io thread; and the small parsers
// the router shares with them.
#include <algorithm>
#include <string>
#include <utility>

#include "api/codec/identifier.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/views.h"
#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/search_certificate.h"
#include "ledger/log/tile.h"
#include "ledger/registry/pledge_state.h"
#include "ledger/registry/stats.h"

namespace ipledger::api {

using nlohmann::json;

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

StatusOr<std::string> DecodePathSegment(std::string_view s) {
  static constexpr std::string_view kUpperHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return Status::InvalidArgument("path: truncated percent-escape");
      }
      const size_t hi = kUpperHex.find(s[i + 1]), lo = kUpperHex.find(s[i + 2]);
      if (hi == std::string_view::npos || lo == std::string_view::npos) {
        return Status::InvalidArgument("path: percent-escapes must be two upper-case hex digits");
      }
      c = static_cast<char>(hi * 16 + lo);
      const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~';
      if (unreserved || c == '/') {
        return Status::InvalidArgument("path: '" + std::string(1, c) +
                                       "' must not be percent-encoded");
      }
      i += 2;
    }
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return Status::InvalidArgument("path: control character");
    out.push_back(c);
  }
  return out;
}

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

Date Today(const Call& c) { return DateOfInstant(c.registry.ledger().NextTime()); }

Response GetHealth(Call& c) {
  const bool read_only = c.registry.ledger().read_only() || c.registry.MapCheckFailure();
  return Json(
      {{"status", read_only ? "read-only" : "ok"}, {"tree_size", c.registry.ledger().size()}});
}

Response GetMetrics(Call& c) {
  c.metrics.SetLive(c.registry.ledger().size(),
                    c.registry.ledger().read_only() || c.registry.MapCheckFailure(),
                    c.committer.queue_depth());
  return Text(c.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}

Response GetCheckpoint(Call& c) {
  Response r = Text(c.registry.ledger().head().signed_checkpoint);
  r.headers.emplace_back("cache-control", "no-cache");
  return r;
}

Response GetVkey(Call& c) { return Text(FormatVkey(c.registry.ledger().verifier()) + "\n"); }

namespace {

StatusOr<std::uint64_t> IndexParam(const std::string& s) {
  auto v = ParseDecimalU64(s);
  if (!v) return Status::InvalidArgument("'" + s + "' is not an entry index");
  return *v;
}

}  // namespace

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
  if (c.query.contains("checkpoint")) {
    if (c.query["checkpoint"] != "cosigned") {
      return Problem(400, "bad-request", "Bad request", "checkpoint must be 'cosigned'");
    }
    return GetCosignedTlogProof(c, *index);
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

namespace {

// The `limit` of a paged list: 1..kMaxPageLimit, kDefaultPageLimit if absent; the 400
// problem in `problem` otherwise.
constexpr std::uint64_t kDefaultPageLimit = 50;
constexpr std::uint64_t kMaxPageLimit = 100;

std::optional<std::uint64_t> PageLimit(Call& c, Response* problem) {
  if (!c.query.contains("limit")) return kDefaultPageLimit;
  auto l = ParseDecimalU64(c.query["limit"]);
  if (!l || *l == 0 || *l > kMaxPageLimit) {
    *problem = Problem(400, "bad-request", "Bad request",
                       "limit must be 1.." + std::to_string(kMaxPageLimit));
    return std::nullopt;
  }
  return *l;
}

Response BadCursor() {
  return Problem(400, "bad-request", "Bad request", "cursor must be a cursor this API returned");
}

// One page of `items`, which are sorted in cursor order: [begin, end) from the first item
// not `before` the cursor, at most `limit` of them. When end is not items.end(), *end is
// the first item of the next page, whose key is that page's cursor.
template <typename Item, typename Before>
auto PageOf(const std::vector<Item>& items, std::uint64_t limit, Before before) {
  const auto begin = std::find_if_not(items.begin(), items.end(), before);
  const auto left = static_cast<std::uint64_t>(items.end() - begin);
  return std::make_pair(begin, begin + static_cast<std::ptrdiff_t>(std::min(left, limit)));
}

}  // namespace

Response GetParticipants(Call& c) {
  Response problem;
  const auto limit = PageLimit(c, &problem);
  if (!limit) return problem;
  std::string cursor;  // the id of the first participant of the page
  if (c.query.contains("cursor")) {
    cursor = c.query["cursor"];
    if (!IsIdentifier(IdKind::kParticipant, cursor)) return BadCursor();
  }
  auto list = c.registry.ListParticipants();
  if (!list.ok()) return StatusProblem(list.status());
  std::sort(list->begin(), list->end(),
            [](const ParticipantRecord& a, const ParticipantRecord& b) { return a.id < b.id; });
  const auto [begin, end] =
      PageOf(*list, *limit, [&](const ParticipantRecord& p) { return p.id < cursor; });
  json a = json::array();
  for (auto p = begin; p != end; ++p) a.push_back(ParticipantJson(*p));
  json out = {{"participants", a}};
  if (end != list->end()) out["next_cursor"] = end->id;
  return Json(out);
}

Response GetParticipant(Call& c) {
  auto p = c.registry.GetParticipant(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  json j = ParticipantJson(*p);
  // Witness keys live in their own record; a participant without any has no member.
  auto w = c.registry.GetWitnessKeys(c.params[0]);
  if (w.ok() && !w->keys.empty()) {
    j["witness_keys"] = WitnessKeysJson(*w);
  } else if (!w.ok() && w.status().code() != ErrorCode::kNotFound) {
    return StatusProblem(w.status());
  }
  return Json(j);
}

namespace {

// What a cached view's answer depends on besides the state of one write epoch: the view,
// its asset, its query, the registry's date (derived states and LTVs are "as of today")
// and what the caller may see (`visibility`).
std::string AnswerKey(const Call& c, std::string_view view, const std::string& visibility) {
  std::string key(view);
  key += '\0';
  key += c.params[0];
  for (const auto& [name, value] : c.query) {
    key += '\0';
    key += name;
    key += '=';
    key += value;
  }
  key += '\0';
  key += FormatDate(Today(c));
  key += '\0';
  key += visibility;
  return key;
}

// `build(c)`, or its answer cached under the current write epoch (read_cache.h).
Response CachedAnswer(Call& c, const char* view, const std::string& visibility,
                      Response (*build)(Call&)) {
  if (c.caches == nullptr) return build(c);
  const std::uint64_t epoch = c.registry.write_epoch();
  const bool stable = epoch % 2 == 0;
  const std::string key = stable ? AnswerKey(c, view, visibility) : std::string();
  if (stable) {
    if (auto hit = c.caches->answers.Find(key, epoch)) {
      c.metrics.CountCacheLookup(view, true);
      return std::move(*hit);
    }
  }
  c.metrics.CountCacheLookup(view, false);
  Response r = build(c);
  if (stable && c.registry.write_epoch() == epoch) c.caches->answers.Store(key, epoch, r);
  return r;
}

Response AssetAnswer(Call& c) {
  auto a = c.registry.GetAsset(c.params[0]);
  if (!a.ok()) return StatusProblem(a.status());
  return Json(AssetPublicJson(c.registry, *a));
}

Response PledgeStatusAnswer(Call& c);

}  // namespace

// The public view is the same for every caller.
Response GetAsset(Call& c) { return CachedAnswer(c, "asset", "public", AssetAnswer); }

// Amounts and LTVs only to the parties of each pledge and to regulators (views.cc
// PledgeJson): an answer is cached per participant, or once for all who see everything.
Response GetPledgeStatus(Call& c) {
  const std::string visibility = c.caller.SeesAll()       ? "all"
                                 : c.caller.authenticated ? "participant:" + c.caller.participant
                                                          : "anonymous";
  return CachedAnswer(c, "pledge_status", visibility, PledgeStatusAnswer);
}

Response GetAssetHistory(Call& c) {
  auto a = c.registry.GetAsset(c.params[0]);
  if (!a.ok()) return StatusProblem(a.status());
  Response problem;
  const auto limit = PageLimit(c, &problem);
  if (!limit) return problem;
  std::uint64_t cursor = 0;  // the first index the page may show
  if (c.query.contains("cursor")) {
    auto cur = ParseDecimalU64(c.query["cursor"]);
    if (!cur) return BadCursor();
    cursor = *cur;
  }
  auto history = c.registry.AssetHistory(c.params[0]);
  if (!history.ok()) return StatusProblem(history.status());
  const auto [begin, end] = PageOf(*history, *limit, [&](std::uint64_t i) { return i < cursor; });
  json entries = json::array();
  for (auto i = begin; i != end; ++i) {
    auto j = EntryJson(c.registry, c.caller, *i);
    if (!j.ok()) return StatusProblem(j.status());
    entries.push_back(*j);
  }
  json out = {{"asset", c.params[0]}, {"entries", entries}};
  if (end != history->end()) out["next_cursor"] = std::to_string(*end);
  return Json(out);
}

// The status map's evidence for `asset` as of the newest map root at or before `as_of`:
// the record, the map proof, and the map.root entry with its inclusion proof in the
// tree of `head` (docs/formats.md, "Status record and root entry"). null (and `out`
// untouched) while no root is logged at or before `as_of`.
StatusOr<json> StatusMapJson(const Registry& r, std::string_view asset, std::uint64_t as_of,
                             const Head& head, std::optional<StatusProof>* out) {
  auto p = r.ProveStatus(asset, as_of);
  if (p.status().code() == ErrorCode::kNotFound) return json(nullptr);
  if (!p.ok()) return p.status();
  auto leaf = r.ledger().GetLeaf(p->version);
  if (!leaf.ok()) return leaf.status();
  auto entry = DecodeLeaf(*leaf);
  if (!entry.ok()) return entry.status();
  auto envelope = r.ledger().GetEnvelope(*entry);
  if (!envelope.ok()) return envelope.status();
  auto inclusion = r.ledger().ProveInclusion(p->version, head.checkpoint.size);
  if (!inclusion.ok()) return inclusion.status();
  json j = {{"version", p->version},
            {"root", HexEncode(p->root)},
            {"record", p->record ? json(Base64Encode(AsBytes(*p->record))) : json(nullptr)},
            {"proof", Base64Encode(AsBytes(p->proof))},
            {"root_entry",
             {{"index", p->version},
              {"leaf", Base64Encode(AsBytes(*leaf))},
              {"envelope", *envelope},
              {"inclusion_proof", B64List(*inclusion)}}}};
  *out = std::move(*p);
  return j;
}

namespace {

Response PledgeStatusAnswer(Call& c) {
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
  // Derived states are as of the as-of entry's date, so an answer for an index never
  // changes with the wall clock.
  auto as_of_leaf = c.registry.ledger().GetLeaf(v->as_of_index);
  if (!as_of_leaf.ok()) return StatusProblem(as_of_leaf.status());
  auto as_of_entry = DecodeLeaf(*as_of_leaf);
  if (!as_of_entry.ok()) return StatusProblem(as_of_entry.status());
  const Date as_of_date = DateOfInstant(as_of_entry->time_ms);
  json pledges = json::array();
  SearchCertificate cert;
  cert.origin = c.registry.ledger().origin();
  cert.asset = v->asset_id;
  cert.as_of_index = v->as_of_index;
  cert.tree_size = head.checkpoint.size;
  cert.root = head.checkpoint.root;
  cert.pledged = v->pledged;
  for (const PledgeRecord& p : v->pledges) {
    json pj = PledgeJson(c.registry, c.caller, p, today);
    pj["derived_state"] = DerivedPledgeState(p, as_of_date);
    pj["evidence"] = p.history;
    pledges.push_back(pj);
    cert.pledges.push_back(
        {p.terms.pledge_id, p.pledgee, std::string(PledgeStateName(p.state)), p.registered_index});
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
  std::optional<StatusProof> proof;
  auto status_map = StatusMapJson(c.registry, v->asset_id, v->as_of_index, head, &proof);
  if (!status_map.ok()) return StatusProblem(status_map.status());
  if (proof) {
    cert.map_version = proof->version;
    cert.map_root = proof->root;
  }
  auto signed_cert = c.registry.ledger().SignNote(FormatSearchCertificate(cert));
  if (!signed_cert.ok()) return StatusProblem(signed_cert.status());
  return Json({{"asset", v->asset_id},
               {"pledged", v->pledged},
               {"pledges", pledges},
               {"as_of", {{"index", v->as_of_index}, {"checkpoint", head.signed_checkpoint}}},
               {"evidence", evidence},
               {"status_map", *status_map},
               {"certificate", *signed_cert}});
}

// GET coverage: the same for every caller who may ask.
Response CoverageAnswer(Call& c) {
  Date date = Today(c);
  if (c.query.contains("date")) {
    auto d = ParseDate(c.query["date"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "date must be YYYY-MM-DD");
    date = *d;
  }
  const Head head = c.registry.ledger().head();
  // The state the answer reads: as of index=I, or of the last entry of day at=DATE (like
  // pledge-status), else the head; the answer names it in as_of.index.
  std::uint64_t as_of = head.checkpoint.size - 1;
  if (c.query.contains("at") && c.query.contains("index")) {
    return Problem(400, "bad-request", "Bad request", "give at=DATE or index=I, not both");
  }
  if (c.query.contains("at")) {
    auto d = ParseDate(c.query["at"]);
    if (!d) return Problem(400, "bad-request", "Bad request", "at must be a date YYYY-MM-DD");
    auto i = c.registry.IndexAtDate(*d);
    if (!i.ok()) return StatusProblem(i.status());
    as_of = std::min(*i, as_of);
  } else if (c.query.contains("index")) {
    auto i = ParseDecimalU64(c.query["index"]);
    if (!i || *i >= head.checkpoint.size) {
      return Problem(400, "bad-request", "Bad request",
                     "index must be an entry index below " + std::to_string(head.checkpoint.size));
    }
    as_of = *i;
  }
  auto v = c.registry.Coverage(c.params[0], date, as_of);
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
  std::optional<StatusProof> proof;
  auto status_map = StatusMapJson(c.registry, v->asset_id, v->as_of_index, head, &proof);
  if (!status_map.ok()) return StatusProblem(status_map.status());
  return Json({{"asset", v->asset_id},
               {"date", FormatDate(date)},
               {"covered", v->covered},
               {"policies", policies},
               {"as_of", {{"index", v->as_of_index}, {"checkpoint", head.signed_checkpoint}}},
               {"status_map", *status_map}});
}

}  // namespace

// Policies, limits and loss payees are shown to every participant (api/openapi.yaml,
// "Visibility"): one cached answer per query serves them all.
Response GetCoverage(Call& c) { return CachedAnswer(c, "coverage", "public", CoverageAnswer); }

Response GetPledge(Call& c) {
  auto p = c.registry.GetPledge(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  return Json(PledgeJson(c.registry, c.caller, *p, Today(c)));
}

Response GetPolicy(Call& c) {
  auto p = c.registry.GetPolicy(c.params[0]);
  if (!p.ok()) return StatusProblem(p.status());
  return Json(PolicyJson(*p));
}

Response GetValuation(Call& c) {
  auto v = c.registry.GetValuation(c.params[0]);
  if (!v.ok()) return StatusProblem(v.status());
  return Json(ValuationJson(c.registry, c.caller, *v, Today(c)));
}

Response GetCase(Call& c) {
  auto k = c.registry.GetCase(c.params[0]);
  if (!k.ok()) return StatusProblem(k.status());
  json j = CaseJson(c.caller, *k);
  if (j.contains("facility")) {
    // S-1 for one case: its IP amount is its largest secured amount (as amended) in the
    // facility's currency, capped at the facility; its IP share is that over the IP
    // amount plus the other collateral in the same currency.
    const Money& facility = k->terms.facility;
    std::int64_t ip = 0;
    for (const std::string& pid : k->pledges) {
      auto p = c.registry.GetPledge(pid);
      if (!p.ok()) return StatusProblem(p.status());
      if (p->terms.secured.amount.currency == facility.currency)
        ip = std::max(ip, p->terms.secured.amount.amount);
    }
    ip = std::min(ip, facility.amount);
    Amount128 other = 0;
    for (const OtherCollateral& o : k->terms.other_collateral) {
      if (o.amount.currency == facility.currency) other += o.amount.amount;
    }
    j["ip_amount"] = MoneyJson(Money{ip, facility.currency});
    const auto share = IpShareBps(ip, other);
    j["ip_share_bps"] = share ? json(*share) : json(nullptr);
  }
  return Json(j);
}

}  // namespace ipledger::api
