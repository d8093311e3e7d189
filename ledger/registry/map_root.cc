#include "ledger/registry/map_root.h"

#include <span>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {

std::string FormatMapRoot(const MapRootStatement& m) {
  std::string t(kMapRootHeader);
  t += "\norigin " + m.origin + "\n";
  t += "version " + std::to_string(m.version) + "\n";
  t += "covers " + std::to_string(m.covers) + "\n";
  t += "count " + std::to_string(m.count) + "\n";
  t += "root " + HexEncode(m.root) + "\n";
  return t;
}

StatusOr<MapRootStatement> ParseMapRoot(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return Status::InvalidArgument("map root statement: the last line has no newline");
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  static constexpr std::string_view kNames[] = {"origin", "version", "covers", "count", "root"};
  if (lines.size() != 6 || lines[0] != kMapRootHeader) {
    return Status::InvalidArgument("map root statement: expected " + std::string(kMapRootHeader) +
                                   " and five lines");
  }
  std::string_view values[5];
  for (size_t k = 0; k < 5; ++k) {
    const std::string_view line = lines[k + 1];
    const std::string prefix = std::string(kNames[k]) + " ";
    if (line.substr(0, prefix.size()) != prefix || line.size() == prefix.size() ||
        line.substr(prefix.size()).find(' ') != std::string_view::npos) {
      return Status::InvalidArgument("map root statement: line " + std::to_string(k + 2) +
                                     " is not '" + prefix + "<value>'");
    }
    values[k] = line.substr(prefix.size());
  }
  MapRootStatement m;
  m.origin = std::string(values[0]);
  std::uint64_t* numbers[] = {&m.version, &m.covers, &m.count};
  for (size_t k = 0; k < 3; ++k) {
    auto n = ParseDecimalU64(values[k + 1]);
    if (!n || std::to_string(*n) != values[k + 1]) {
      return Status::InvalidArgument("map root statement: " + std::string(kNames[k + 1]) +
                                     " is not a decimal number without leading zeros");
    }
    *numbers[k] = *n;
  }
  auto raw = HexDecode(values[4]);
  auto d = raw ? DigestFromBytes(*raw) : std::nullopt;
  if (!d || HexEncode(*d) != values[4]) {
    return Status::InvalidArgument("map root statement: root is not 64 lowercase hex digits");
  }
  m.root = *d;
  if (m.version == 0 || m.covers + 1 != m.version) {
    return Status::InvalidArgument("map root statement: covers must be version - 1");
  }
  return m;
}

StatusOr<MapRootStatement> OpenMapRoot(std::string_view note, const NoteVerifier& log_key) {
  if (!ParseNote(note)) return Status::InvalidArgument("map root entry is not a signed note");
  const std::optional<Note> opened = OpenNote(note, std::span<const NoteVerifier>(&log_key, 1));
  if (!opened) {
    return Status::FailedPrecondition("map root entry has no valid signature by log key " +
                                      log_key.name);
  }
  auto m = ParseMapRoot(opened->text);
  if (!m.ok()) return m.status();
  if (m->origin != log_key.name) {
    return Status::FailedPrecondition("map root origin " + m->origin + " differs from log key " +
                                      log_key.name);
  }
  return m;
}

}  // namespace ipledger
