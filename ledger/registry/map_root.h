// The map root statement (format ipledger.map-root/v1): the envelope of a `map.root`
// entry, by which the log commits the status map's root after each batch that changed
// the map. The leaf of that entry carries
// the same root in its map_root field (ledger/log/entry.h), so a follower of the public
// leaves sees every root without the envelope.
//
// Text (each line ends in '\n'; nothing before, between or after these lines):
//   ipledger.map-root/v1
//   origin <origin>
//   version <the map.root entry's own index, decimal, no leading zeros>
//   covers <the last entry the root accounts for: version - 1>
//   count <number of assets in the map>
//   root <64 lowercase hex: the map root>
// signed as a C2SP signed note by the log key, whose key name is the origin (as a
// checkpoint). A checkpoint verifier never mistakes it for a checkpoint: its first line
// is not the log's origin.
//
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/status.h"

namespace ipledger {

inline constexpr std::string_view kMapRootHeader = "ipledger.map-root/v1";

struct MapRootStatement {
  std::string origin;
  std::uint64_t version = 0;
  std::uint64_t covers = 0;
  std::uint64_t count = 0;
  Digest root{};

  friend bool operator==(const MapRootStatement&, const MapRootStatement&) = default;
};

std::string FormatMapRoot(const MapRootStatement& m);
// Strict: exactly the lines above; kInvalidArgument naming the first bad line.
StatusOr<MapRootStatement> ParseMapRoot(std::string_view text);
// Verifies `note` with `log_key` and parses it; kFailedPrecondition if no signature by
// the log key verifies or the origin is not the key's name, kInvalidArgument if malformed.
StatusOr<MapRootStatement> OpenMapRoot(std::string_view note, const NoteVerifier& log_key);

}  // namespace ipledger
