#include "ledger/log/search_certificate.h"

#include <optional>
#include <span>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {

namespace {

constexpr std::string_view kPledged = "pledged";
constexpr std::string_view kNotPledged = "not-pledged";

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Splits `line` at single spaces; empty fields (double or edge spaces) are kept, so
// they fail IsToken.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) return out;
    line.remove_prefix(sp + 1);
  }
}

Status LineError(std::size_t number, std::string_view line, std::string_view why) {
  return Status::InvalidArgument("search certificate line " + std::to_string(number) + " '" +
                                 std::string(line) + "': " + std::string(why));
}

// The value of the line `<key> <token>`, or the error naming line `number`.
StatusOr<std::string> KeyedToken(std::size_t number, std::string_view line, std::string_view key) {
  const std::vector<std::string_view> f = Fields(line);
  if (f.front() != key) return LineError(number, line, "expected '" + std::string(key) + " ...'");
  if (f.size() != 2 || !IsToken(f[1])) {
    return LineError(number, line,
                     "expected '" + std::string(key) + "' and one value without spaces");
  }
  return std::string(f[1]);
}

StatusOr<std::uint64_t> KeyedDecimal(std::size_t number, std::string_view line,
                                     std::string_view key) {
  StatusOr<std::string> v = KeyedToken(number, line, key);
  if (!v.ok()) return v.status();
  const std::optional<std::uint64_t> n = ParseDecimalU64(*v);
  if (!n) return LineError(number, line, "not a canonical decimal");
  return *n;
}

}  // namespace

std::string FormatSearchCertificate(const SearchCertificate& c) {
  std::string out(kSearchCertificateHeader);
  out += "\n";
  out += "origin " + c.origin + "\n";
  out += "asset " + c.asset + "\n";
  out += "as-of " + std::to_string(c.as_of_index) + "\n";
  out += "tree-size " + std::to_string(c.tree_size) + "\n";
  out += "root " + Base64Encode(c.root) + "\n";
  out += "status " + std::string(c.pledged ? kPledged : kNotPledged) + "\n";
  for (const SearchCertificatePledge& p : c.pledges) {
    out += "pledge " + p.pledge_id + " " + p.pledgee + " " + p.state + " " +
           std::to_string(p.registered_index) + "\n";
  }
  if (c.map_version) {
    out += "map " + std::to_string(*c.map_version) + " " + Base64Encode(c.map_root) + "\n";
  }
  return out;
}

StatusOr<SearchCertificate> ParseSearchCertificate(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("search certificate does not end in a newline");
  }
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) {
      return Status::InvalidArgument("search certificate has a control character");
    }
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text.substr(0, text.size() - 1);;) {
    const std::size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (lines[0] != kSearchCertificateHeader) {
    return LineError(1, lines[0], "expected " + std::string(kSearchCertificateHeader));
  }
  if (lines.size() < 7) {
    return Status::InvalidArgument("search certificate has " + std::to_string(lines.size()) +
                                   " lines, fewer than the 7 it must have");
  }
  SearchCertificate c;
  StatusOr<std::string> origin = KeyedToken(2, lines[1], "origin");
  if (!origin.ok()) return origin.status();
  c.origin = std::move(*origin);
  StatusOr<std::string> asset = KeyedToken(3, lines[2], "asset");
  if (!asset.ok()) return asset.status();
  c.asset = std::move(*asset);
  StatusOr<std::uint64_t> as_of = KeyedDecimal(4, lines[3], "as-of");
  if (!as_of.ok()) return as_of.status();
  c.as_of_index = *as_of;
  StatusOr<std::uint64_t> size = KeyedDecimal(5, lines[4], "tree-size");
  if (!size.ok()) return size.status();
  c.tree_size = *size;
  if (c.as_of_index >= c.tree_size) {
    return LineError(4, lines[3], "not below line 5 '" + std::string(lines[4]) + "'");
  }
  StatusOr<std::string> root = KeyedToken(6, lines[5], "root");
  if (!root.ok()) return root.status();
  const std::optional<Bytes> root_bytes = Base64Decode(*root);
  const std::optional<Digest> digest =
      root_bytes ? DigestFromBytes(*root_bytes) : std::optional<Digest>();
  if (!digest) return LineError(6, lines[5], "not canonical base64 of 32 bytes");
  c.root = *digest;
  StatusOr<std::string> status = KeyedToken(7, lines[6], "status");
  if (!status.ok()) return status.status();
  if (*status != kPledged && *status != kNotPledged) {
    return LineError(7, lines[6], "expected 'status pledged' or 'status not-pledged'");
  }
  c.pledged = *status == kPledged;
  for (std::size_t i = 7; i < lines.size(); ++i) {
    const std::vector<std::string_view> f = Fields(lines[i]);
    if (f.front() == "map" && i + 1 == lines.size()) {
      // Parsed step by step (no optional in a conditional expression): g++ 12 at -O3 sees
      // a maybe-uninitialized read in the ternary form (a false positive; -Werror).
      constexpr const char* kWant = "expected 'map <version not after as-of> <base64 of 32 bytes>'";
      if (f.size() != 3) return LineError(i + 1, lines[i], kWant);
      const std::optional<std::uint64_t> parsed = ParseDecimalU64(f[1]);
      if (!parsed) return LineError(i + 1, lines[i], kWant);
      const std::uint64_t version = parsed.value_or(0);
      const std::optional<Bytes> raw = Base64Decode(f[2]);
      if (!raw) return LineError(i + 1, lines[i], kWant);
      const std::optional<Digest> d = DigestFromBytes(*raw);
      if (!d || version > c.as_of_index || Base64Encode(*d) != f[2]) {
        return LineError(i + 1, lines[i], kWant);
      }
      c.map_version = version;
      c.map_root = *d;
      break;
    }
    if (f.front() != "pledge") return LineError(i + 1, lines[i], "expected 'pledge ...'");
    if (f.size() != 5 || !IsToken(f[1]) || !IsToken(f[2]) || !IsToken(f[3])) {
      return LineError(i + 1, lines[i],
                       "expected 'pledge <id> <pledgee> <state> <registration index>'");
    }
    const std::optional<std::uint64_t> index = ParseDecimalU64(f[4]);
    if (!index) return LineError(i + 1, lines[i], "registration index is not a canonical decimal");
    c.pledges.push_back({std::string(f[1]), std::string(f[2]), std::string(f[3]), *index});
  }
  if (c.pledged == c.pledges.empty()) {
    return Status::InvalidArgument(c.pledged ? "search certificate says pledged but lists no pledge"
                                             : "search certificate says not-pledged but lists "
                                               "pledges");
  }
  return c;
}

StatusOr<SearchCertificate> OpenSearchCertificate(std::string_view note,
                                                  const NoteVerifier& log_key) {
  if (!ParseNote(note)) {
    return Status::InvalidArgument("search certificate is not a C2SP signed note");
  }
  // The signature first: a forged certificate is reported as unsigned, whatever it says.
  const std::optional<Note> opened = OpenNote(note, std::span<const NoteVerifier>(&log_key, 1));
  if (!opened) {
    return Status::FailedPrecondition("search certificate has no valid signature by log key " +
                                      log_key.name);
  }
  StatusOr<SearchCertificate> c = ParseSearchCertificate(opened->text);
  if (!c.ok()) return c.status();
  if (c->origin != log_key.name) {
    return Status::FailedPrecondition("search certificate origin " + c->origin +
                                      " differs from log key name " + log_key.name);
  }
  return c;
}

}  // namespace ipledger
