// The regulators' client commands of the `ipledger` CLI (issue #7 item 4): `stats`, the
// pledge statistics of a window, and `audit`, the entries of the log page by page.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "api/client/cli_support.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "tools/client_common.h"

namespace ipledger::cli {
namespace {

// "&name=value" (or "?name=value" for the first) with the value percent-encoded.
void AddQuery(std::string* target, const std::string& name, const std::string& value) {
  *target += (target->find('?') == std::string::npos ? "?" : "&") + name + "=" +
             api::EscapePathSegment(value);
}

// Checks the optional --`flag` is a date YYYY-MM-DD; the usage problem otherwise.
std::optional<std::string> BadDate(const Args& a, const std::string& flag) {
  if (!a.Has(flag) || ParseDate(a.Get(flag))) return std::nullopt;
  return "--" + flag + " must be a date YYYY-MM-DD, not '" + a.Get(flag) + "'";
}

// Checks the optional --`flag` is a decimal integer in [min, max].
std::optional<std::string> BadNumber(const Args& a, const std::string& flag, std::uint64_t min,
                                     std::uint64_t max) {
  if (!a.Has(flag)) return std::nullopt;
  auto n = ParseDecimalU64(a.Get(flag));
  if (n && *n >= min && *n <= max) return std::nullopt;
  return "--" + flag + " must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max) + ", not '" + a.Get(flag) + "'";
}

// The non-CNY amounts ("USD 1,000.00, EUR 5.00"), or "-".
std::string OtherCurrencies(const api::StatsFigures& f) {
  std::vector<std::string> out;
  for (const Money& m : f.amounts) {
    if (m.currency != "CNY") out.push_back(api::FormatMoney(m));
  }
  return Join(out);
}

std::string IpItems(const api::StatsFigures& f) {
  return "patent " + std::to_string(f.patents) + ", trademark " + std::to_string(f.trademarks) +
         ", data " + std::to_string(f.data);
}

std::string InclusiveShare(const api::StatsFigures& f) {
  return api::FormatBps(f.inclusive_share_bps) + " (" + std::to_string(f.inclusive_enterprises) +
         " of " + std::to_string(f.enterprises) + ")";
}

std::string Yoy(const std::optional<std::int64_t>& bps) {
  return bps ? api::FormatBps(*bps, /*sign=*/true) : "n/a";
}

}  // namespace

int StatsCommand(int argc, char** argv) {
  const std::string cmd = "stats";
  Args a = ParseArgs(argc, argv, 2,
                     {"server", "ca-file", "key", "from", "to", "region", "group-by", "as-of",
                      "inclusive-threshold-fen"},
                     {"json"}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("from") || !a.Has("to")) {
    return Usage(cmd, "--from DATE and --to DATE (YYYY-MM-DD, inclusive) are required");
  }
  for (const char* flag : {"from", "to"}) {
    if (auto why = BadDate(a, flag)) return Usage(cmd, *why);
  }
  if (*ParseDate(a.Get("to")) < *ParseDate(a.Get("from"))) {
    return Usage(cmd, "--to must not be before --from");
  }
  if (a.Has("region")) {
    const std::string& r = a.Get("region");
    if (r.empty() || r.size() > 6 ||
        !std::all_of(r.begin(), r.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return Usage(cmd, "--region must be 1 to 6 digits (a GB/T 2260 prefix, e.g. 3308)");
    }
  }
  if (a.Has("group-by")) {
    const std::string& g = a.Get("group-by");
    if (g != "bank" && g != "region" && g != "asset_kind" && g != "month") {
      return Usage(cmd, "--group-by must be bank, region, asset_kind or month");
    }
  }
  const std::uint64_t kMaxI64 = 0x7fffffffffffffffull;
  if (auto why = BadNumber(a, "as-of", 0, kMaxI64)) return Usage(cmd, *why);
  if (auto why = BadNumber(a, "inclusive-threshold-fen", 0, kMaxI64)) return Usage(cmd, *why);
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;

  std::string target = "/v1/stats/pledges";
  AddQuery(&target, "from", a.Get("from"));
  AddQuery(&target, "to", a.Get("to"));
  if (a.Has("region")) AddQuery(&target, "region", a.Get("region"));
  if (a.Has("group-by")) AddQuery(&target, "group_by", a.Get("group-by"));
  if (a.Has("as-of")) AddQuery(&target, "as_of", a.Get("as-of"));
  if (a.Has("inclusive-threshold-fen")) {
    AddQuery(&target, "inclusive_threshold_fen", a.Get("inclusive-threshold-fen"));
  }
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }
  auto s = api::ParseStatsJson(r->body);
  if (!s.ok()) return Fail(cmd, "malformed answer: " + s.status().message());

  const auto from = ParseDate(s->from);
  const auto to = ParseDate(s->to);
  const std::string window = s->from + ".." + s->to;
  const std::string previous =
      from && to ? FormatDate(AddYears(*from, -1)) + ".." + FormatDate(AddYears(*to, -1))
                 : "previous year";
  const std::string where = s->region.empty() ? "all regions" : "region " + s->region + "*";
  std::printf("pledge registrations %s, %s, as of entry %llu\n", window.c_str(), where.c_str(),
              static_cast<unsigned long long>(s->as_of_index));
  const api::StatsFigures& t = s->totals;
  const api::StatsFigures& p = s->previous_year;
  std::vector<std::vector<std::string>> rows = {
      {"", window, previous, "YoY"},
      {"amount:", api::FormatMoney(t.amount), api::FormatMoney(p.amount), Yoy(s->yoy_amount_bps)}};
  if (OtherCurrencies(t) != "-" || OtherCurrencies(p) != "-") {
    rows.push_back({"other currencies:", OtherCurrencies(t), OtherCurrencies(p)});
  }
  rows.push_back({"registrations:", std::to_string(t.registrations),
                  std::to_string(p.registrations), Yoy(s->yoy_registrations_bps)});
  rows.push_back({"cases:", std::to_string(t.cases), std::to_string(p.cases)});
  rows.push_back({"enterprises:", std::to_string(t.enterprises), std::to_string(p.enterprises),
                  Yoy(s->yoy_enterprises_bps)});
  rows.push_back({"IP items:", IpItems(t), IpItems(p)});
  rows.push_back({"inclusive share:", InclusiveShare(t), InclusiveShare(p)});
  PrintTable(rows);
  std::printf(
      "  (amounts once per financing case; inclusive: enterprises with a CNY case below %s)\n",
      api::FormatMoney({s->inclusive_threshold_fen, "CNY"}).c_str());
  if (!s->group_by.empty()) {
    std::printf("by %s:\n", s->group_by.c_str());
    if (s->groups.empty()) {
      std::printf("  (no registrations)\n");
    } else {
      std::vector<std::vector<std::string>> groups = {{s->group_by, "amount", "other currencies",
                                                       "registrations", "cases", "enterprises",
                                                       "IP items", "inclusive share"}};
      for (const api::StatsGroupFigures& g : s->groups) {
        const api::StatsFigures& f = g.figures;
        groups.push_back({g.key, api::FormatMoney(f.amount), OtherCurrencies(f),
                          std::to_string(f.registrations), std::to_string(f.cases),
                          std::to_string(f.enterprises), IpItems(f), InclusiveShare(f)});
      }
      PrintTable(groups);
    }
  }
  std::printf(
      "reproduce with --as-of %llu (the answer cites the signed checkpoint of tree size "
      "%llu)\n",
      static_cast<unsigned long long>(s->as_of_index),
      static_cast<unsigned long long>(s->as_of_index + 1));
  return 0;
}

namespace {

// One audit entry on one line: index, time, type (for a refusal the refused type and
// codes), parties, subjects and any warnings.
void PrintAuditEntry(const api::AuditEntryView& e, int index_width) {
  std::string what = e.type;
  if (e.type == kRefusalType) {
    what +=
        " of " + (e.refused.empty() ? std::string("?") : e.refused) + " [" + Join(e.codes) + "]";
  }
  std::string line = "parties: " + Join(e.parties) + "  subjects: " + Join(e.subjects);
  if (!e.warnings.empty()) line += "  warnings: " + Join(e.warnings);
  std::printf("%*llu  %s  %-20s  %s\n", index_width, static_cast<unsigned long long>(e.index),
              e.time.c_str(), what.c_str(), line.c_str());
}

}  // namespace

int AuditCommand(int argc, char** argv) {
  const std::string cmd = "audit";
  Args a = ParseArgs(
      argc, argv, 2,
      {"server", "ca-file", "key", "from", "to", "type", "participant", "asset", "limit", "cursor"},
      {"all", "csv"}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  for (const char* flag : {"from", "to"}) {
    if (auto why = BadDate(a, flag)) return Usage(cmd, *why);
  }
  if (auto why = BadNumber(a, "limit", 1, 1000)) return Usage(cmd, *why);
  if (a.Has("cursor") && !ParseDecimalU64(a.Get("cursor"))) {
    return Usage(cmd, "--cursor must be a cursor printed by an earlier audit");
  }
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  const bool all = a.switches.contains("all");
  const bool csv = a.switches.contains("csv");

  std::string base = "/v1/audit/entries";
  for (const char* flag : {"from", "to", "type", "participant", "asset", "limit"}) {
    if (a.Has(flag)) AddQuery(&base, flag, a.Get(flag));
  }
  std::map<std::string, std::string> headers;
  if (csv) headers["Accept"] = "text/csv";

  std::optional<std::string> cursor;
  if (a.Has("cursor")) cursor = a.Get("cursor");
  std::uint64_t printed = 0;
  bool header_printed = false;
  int index_width = 0;
  std::string last;  // the last next_cursor
  for (;;) {
    std::string target = base;
    if (cursor) AddQuery(&target, "cursor", *cursor);
    auto r = conn->client->Request("GET", target, {}, "application/json", headers);
    if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
    if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
    std::string next;
    bool empty = true;
    if (csv) {
      if (!r->content_type.starts_with("text/csv")) {
        return Fail(cmd, "asked for text/csv, the server answered " + r->content_type);
      }
      auto h = r->headers.find("x-next-cursor");
      if (h == r->headers.end()) return Fail(cmd, "the CSV answer has no x-next-cursor header");
      next = h->second;
      const size_t nl = r->body.find('\n');
      const std::string header = r->body.substr(0, nl == std::string::npos ? r->body.size() : nl);
      const std::string rows = nl == std::string::npos ? "" : r->body.substr(nl + 1);
      empty = rows.empty();
      if (!header_printed) {
        std::printf("%s\n", header.c_str());
        header_printed = true;
      }
      std::fwrite(rows.data(), 1, rows.size(), stdout);
      if (!rows.empty() && rows.back() != '\n') std::printf("\n");
      printed += static_cast<std::uint64_t>(std::count(rows.begin(), rows.end(), '\n'));
    } else {
      auto page = api::ParseAuditPageJson(r->body);
      if (!page.ok()) return Fail(cmd, "malformed answer: " + page.status().message());
      next = page->next_cursor;
      empty = page->entries.empty();
      if (index_width == 0) {
        index_width =
            static_cast<int>(std::to_string(page->tree_size == 0 ? 0 : page->tree_size - 1).size());
      }
      for (const api::AuditEntryView& e : page->entries) PrintAuditEntry(e, index_width);
      printed += page->entries.size();
    }
    last = next;
    // Stop when a page is empty and gives back the cursor sent: every match so far seen.
    if (!all || (empty && cursor && next == *cursor)) break;
    const auto n = ParseDecimalU64(next);
    const auto c = cursor ? ParseDecimalU64(*cursor) : std::optional<std::uint64_t>(0);
    if (!n || *n < *c || (!empty && cursor && next == *cursor)) {
      return Fail(cmd, "the server answered next_cursor '" + next + "' to cursor '" +
                           cursor.value_or("") + "': it does not advance");
    }
    cursor = next;
  }
  std::fflush(stdout);
  const std::string summary = std::to_string(printed) + (printed == 1 ? " entry" : " entries") +
                              "; next cursor " + last +
                              (all ? " (poll with --cursor for entries logged since)" : "");
  if (csv) {
    std::fprintf(stderr, "ipledger audit: %s\n", summary.c_str());
  } else {
    std::printf("%s\n", summary.c_str());
  }
  return 0;
}

}  // namespace ipledger::cli
