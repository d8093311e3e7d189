// C2SP tlog-tiles (v0.1.0): tile paths, hash tiles and entry bundles.
//
// A hash tile at level L, index N holds up to 256 hashes of tree level 8·L: hash k of
// it is the root of the perfect subtree of height 8·L numbered N·256 + k. An entry
// bundle holds the leaves of one level-0 tile, each as u16 big-endian length || bytes.
// Pure functions; thread-safe as long as the HashReader is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "ledger/base/status.h"
#include "ledger/log/merkle.h"

namespace ipledger {

inline constexpr std::uint32_t kTileWidth = 256;

struct TileRef {
  bool entries = false;  // an entry bundle (tile/entries/...) rather than a hash tile
  int level = 0;         // 0..63 for hash tiles; 0 for entry bundles
  std::uint64_t index = 0;
  std::uint32_t width = kTileWidth;  // 1..256; 256 = a full tile (no ".p/W")

  friend bool operator==(const TileRef&, const TileRef&) = default;
};

// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", N in zero-padded 3-digit
// groups with 'x' before every group but the last (1234067 -> x001/x234/067).
std::string TilePath(const TileRef& tile);

// Parses a path as TilePath writes it (no leading '/'); any other spelling (leading
// zeros in L, missing x, W of 0 or 256, ...) is kInvalidArgument.
StatusOr<TileRef> ParseTilePath(std::string_view path);

// The width the tile `tile` (level, index) has in a tree of `tree_size` leaves:
// 256 if it is full, 1..255 if partial, 0 if it does not exist yet.
std::uint32_t TileWidthAt(int level, std::uint64_t index, std::uint64_t tree_size);

// The bytes of hash tile `tile` (width·32 bytes) read through `reader`. kNotFound
// unless the tile's hashes all exist in a tree of `tree_size` leaves.
StatusOr<Bytes> ReadHashTile(const TileRef& tile, std::uint64_t tree_size,
                             const HashReader& reader);

// Entry bundle bytes: for each entry, u16 big-endian length || bytes.
// kInvalidArgument if an entry is longer than 65,535 bytes.
StatusOr<Bytes> EncodeEntryBundle(std::span<const Bytes> entries);

}  // namespace ipledger
