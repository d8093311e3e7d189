#include "ledger/log/entry.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendKey(std::string* out, std::string_view key) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}

void AppendList(std::string* out, std::string_view key, std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  AppendKey(out, key);
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, items[i]);
  }
  out->push_back(']');
}

// Days since 1970-01-01 for a proleptic Gregorian civil date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

// A strict reader of the canonical leaf form.
class LeafReader {
 public:
  explicit LeafReader(std::string_view s) : s_(s) {}

  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool AtEnd() const { return pos_ == s_.size(); }

  std::optional<std::string> String() {
    if (!Consume('"')) return std::nullopt;
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return std::nullopt;
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return std::nullopt;
          auto v = HexDecode(s_.substr(pos_, 4));
          if (!v || (*v)[0] != 0) return std::nullopt;
          out.push_back(static_cast<char>((*v)[1]));
          pos_ += 4;
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> Number() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return ParseDecimalU64(s_.substr(start, pos_ - start));
  }

  std::optional<std::vector<std::string>> List() {
    std::vector<std::string> out;
    if (!Consume('[')) return std::nullopt;
    if (Consume(']')) return out;
    do {
      auto s = String();
      if (!s) return std::nullopt;
      out.push_back(std::move(*s));
    } while (Consume(','));
    if (!Consume(']')) return std::nullopt;
    return out;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string EncodeLeaf(const Entry& e) {
  std::string out = "{";
  const bool refusal = e.type == kRefusalType;
  if (refusal) AppendList(&out, "codes", e.codes);
  AppendKey(&out, "envelope_sha256");
  AppendJsonString(&out, HexEncode(e.envelope_sha256));
  AppendKey(&out, "index");
  out += std::to_string(e.index);
  if (!e.map_assets.empty()) AppendList(&out, "map_assets", e.map_assets);
  if (e.map_ref) {
    AppendKey(&out, "map_ref");
    out += std::to_string(*e.map_ref);
  }
  if (e.map_root) {
    AppendKey(&out, "map_root");
    AppendJsonString(&out, HexEncode(*e.map_root));
  }
  AppendList(&out, "parties", e.parties);
  if (refusal) {
    AppendKey(&out, "refused");
    AppendJsonString(&out, e.refused);
  }
  AppendList(&out, "signers", e.signers);
  AppendList(&out, "subjects", e.subjects);
  AppendKey(&out, "time");
  AppendJsonString(&out, FormatInstant(e.time_ms));
  AppendKey(&out, "type");
  AppendJsonString(&out, e.type);
  AppendKey(&out, "v");
  out += "1";
  out += "}";
  return out;
}

StatusOr<Entry> DecodeLeaf(std::string_view leaf) {
  const auto bad = [](std::string_view what) {
    return Status::Corruption("leaf is not canonical: " + std::string(what));
  };
  LeafReader r(leaf);
  Entry e;
  bool seen_v = false;
  if (!r.Consume('{')) return bad("no opening brace");
  do {
    auto key = r.String();
    if (!key || !r.Consume(':')) return bad("malformed key");
    if (*key == "codes" || *key == "parties" || *key == "signers" || *key == "subjects" ||
        *key == "map_assets") {
      auto list = r.List();
      if (!list) return bad(*key);
      if (*key == "codes") e.codes = std::move(*list);
      if (*key == "parties") e.parties = std::move(*list);
      if (*key == "signers") e.signers = std::move(*list);
      if (*key == "subjects") e.subjects = std::move(*list);
      if (*key == "map_assets") e.map_assets = std::move(*list);
    } else if (*key == "index" || *key == "v" || *key == "map_ref") {
      auto n = r.Number();
      if (!n) return bad(*key);
      if (*key == "index") e.index = *n;
      if (*key == "map_ref") e.map_ref = *n;
      if (*key == "v") {
        if (*n != 1) return bad("unknown version");
        seen_v = true;
      }
    } else if (*key == "envelope_sha256" || *key == "refused" || *key == "time" || *key == "type" ||
               *key == "map_root") {
      auto s = r.String();
      if (!s) return bad(*key);
      if (*key == "map_root") {
        auto raw = HexDecode(*s);
        auto d = raw ? DigestFromBytes(*raw) : std::nullopt;
        if (!d) return bad("map_root");
        e.map_root = *d;
      } else if (*key == "envelope_sha256") {
        auto raw = HexDecode(*s);
        auto d = raw ? DigestFromBytes(*raw) : std::nullopt;
        if (!d) return bad("envelope_sha256");
        e.envelope_sha256 = *d;
      } else if (*key == "time") {
        auto t = ParseInstant(*s);
        if (!t.ok()) return bad("time");
        e.time_ms = *t;
      } else if (*key == "refused") {
        e.refused = std::move(*s);
      } else {
        e.type = std::move(*s);
      }
    } else {
      return bad("unknown key " + *key);
    }
  } while (r.Consume(','));
  if (!r.Consume('}') || !r.AtEnd()) return bad("trailing bytes");
  if (!seen_v) return bad("missing v");
  // Canonical means re-encoding gives the same bytes (key order, sorting, escapes).
  if (EncodeLeaf(e) != leaf) return bad("not in canonical form");
  return e;
}

std::string FormatInstant(std::int64_t ms) {
  std::int64_t days = ms / 86400000;
  std::int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  std::int64_t y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &mo, &d);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), mo, d, static_cast<long long>(rem / 3600000),
                static_cast<long long>(rem / 60000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

StatusOr<std::int64_t> ParseInstant(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS.mmmZ
  const auto bad = [&] {
    return Status::InvalidArgument("not an RFC 3339 UTC instant with milliseconds: " +
                                   std::string(s.substr(0, 40)));
  };
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z') {
    return bad();
  }
  auto field = [&](size_t pos, size_t len) -> std::optional<unsigned> {
    unsigned v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
  };
  auto y = field(0, 4), mo = field(5, 2), d = field(8, 2), h = field(11, 2), mi = field(14, 2),
       sec = field(17, 2), frac = field(20, 3);
  if (!y || !mo || !d || !h || !mi || !sec || !frac) return bad();
  if (*mo < 1 || *mo > 12 || *d < 1 || *h > 23 || *mi > 59 || *sec > 59) return bad();
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*d > kDays[*mo - 1] || (*mo == 2 && *d == 29 && !leap)) return bad();
  std::int64_t days = DaysFromCivil(*y, *mo, *d);
  return ((days * 24 + *h) * 60 + *mi) * 60000 + static_cast<std::int64_t>(*sec) * 1000 + *frac;
}

}  // namespace ipledger
