// The regulators' reads (api.md §7, §9): the audit listing of every entry, as JSON or
// CSV, and the pledge statistics with their year-on-year change, each pinned to a
// checkpoint.
#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "api/codec/identifier.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/problems.h"
#include "api/server/internal/views.h"
#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/registry/asset_status.h"
#include "ledger/registry/stats.h"

namespace ipledger::api {

using nlohmann::json;

namespace {

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

}  // namespace

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
  for (const auto& [value, kind] :
       {std::pair{participant, IdKind::kParticipant}, std::pair{asset, IdKind::kAsset}}) {
    if (value.empty()) continue;
    if (Status s = CheckIdentifier(kind, value, "query parameter"); !s.ok()) {
      return Problem(400, "schema", "Statement does not match the schema", s.message(),
                     {"E_SCHEMA"});
    }
  }
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
              // map.root entries hold the log's signed note, not JSON: shown as text.
              {"envelope",
               e->type == kMapRootType ? json(*envelope) : json::parse(*envelope, nullptr, false)},
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

namespace {

// A total in minor units: a JSON integer up to 2^63-1, beyond it (only reachable with
// more than 9,223 amounts at the 10^15 maximum) its exact decimal digits as a string.
json TotalMoneyJson(Amount128 amount, const std::string& currency) {
  json a = amount <= std::numeric_limits<std::int64_t>::max()
               ? json(static_cast<std::int64_t>(amount))
               : json(Amount128String(amount));
  return {{"amount_fen", a}, {"currency", currency}};
}

json TotalsJson(const StatsTotals& t) {
  json amounts = json::array();
  for (const auto& [currency, amount] : t.amount)
    amounts.push_back(TotalMoneyJson(amount, currency));
  const auto cny = t.amount.find("CNY");
  return {{"amount", TotalMoneyJson(cny == t.amount.end() ? 0 : cny->second, "CNY")},
          {"amounts", amounts},
          {"registrations", t.registrations},
          {"cases", t.cases},
          {"enterprises", t.enterprises},
          {"ip_items", {{"patent", t.patents}, {"trademark", t.trademarks}, {"data", t.data}}},
          {"inclusive_enterprises", t.inclusive_enterprises},
          {"inclusive_share_bps", t.inclusive_share_bps},
          {"combination_loans",
           {{"cases", t.combination_cases},
            {"ip_amount", TotalMoneyJson(t.combination_ip, "CNY")},
            {"other_collateral", TotalMoneyJson(t.combination_other, "CNY")},
            {"ip_share_bps", t.ip_share_bps ? json(*t.ip_share_bps) : json(nullptr)}}}};
}

json Bps(std::optional<std::int64_t> v) { return v ? json(*v) : json(nullptr); }

}  // namespace

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
    return it == t.amount.end() ? Amount128{0} : it->second;
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
  return Json({{"as_of", {{"index", as_of}, {"checkpoint", *cp}}},
               {"window", window},
               {"totals", TotalsJson(cur.totals)},
               {"previous_year", TotalsJson(prev.totals)},
               {"yoy_bps",
                {{"amount", Bps(ChangeBps(cny(cur.totals), cny(prev.totals)))},
                 {"registrations", Bps(ChangeBps(Amount128{cur.totals.registrations},
                                                 Amount128{prev.totals.registrations}))},
                 {"enterprises", Bps(ChangeBps(Amount128{cur.totals.enterprises},
                                               Amount128{prev.totals.enterprises}))}}},
               {"groups", groups}});
}

}  // namespace ipledger::api
