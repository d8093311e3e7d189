#include "ledger/log/tile.h"

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace ipledger {
namespace {

constexpr int kMaxTileLevel = 63;
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

// Three decimal digits of `v` (< 1000), zero-padded.
void AppendGroup(std::uint64_t v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 100));
  out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes a decimal number without leading zeros (but "0" itself) that is at most
// `max` from the front of *s.
bool ConsumeSmallDecimal(std::string_view* s, std::uint64_t max, std::uint64_t* out) {
  std::size_t len = 0;
  std::uint64_t v = 0;
  while (len < s->size() && IsDigit((*s)[len])) {
    if (len == 1 && (*s)[0] == '0') return false;  // leading zero
    v = v * 10 + static_cast<std::uint64_t>((*s)[len] - '0');
    if (v > max) return false;
    ++len;
  }
  if (len == 0) return false;
  s->remove_prefix(len);
  *out = v;
  return true;
}

// Consumes exactly three digits from the front of *s.
bool ConsumeGroup(std::string_view* s, std::uint64_t* out) {
  if (s->size() < 3 || !IsDigit((*s)[0]) || !IsDigit((*s)[1]) || !IsDigit((*s)[2])) {
    return false;
  }
  *out = static_cast<std::uint64_t>((*s)[0] - '0') * 100 +
         static_cast<std::uint64_t>((*s)[1] - '0') * 10 + static_cast<std::uint64_t>((*s)[2] - '0');
  s->remove_prefix(3);
  return true;
}

// Consumes the tile index N ("x001/x234/067") from the front of *s.
bool ConsumeIndex(std::string_view* s, std::uint64_t* out) {
  std::uint64_t n = 0;
  bool first = true;
  while (!s->empty() && (*s)[0] == 'x') {
    s->remove_prefix(1);
    std::uint64_t group = 0;
    if (!ConsumeGroup(s, &group)) return false;
    if (first && group == 0) return false;  // "x000/" is a leading zero
    if (s->empty() || (*s)[0] != '/') return false;
    s->remove_prefix(1);
    if (n > (kU64Max - group) / 1000) return false;
    n = n * 1000 + group;
    first = false;
  }
  std::uint64_t last = 0;
  if (!ConsumeGroup(s, &last)) return false;
  if (n > (kU64Max - last) / 1000) return false;
  *out = n * 1000 + last;
  return true;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::string TilePath(const TileRef& tile) {
  std::string path = "tile/";
  path += tile.entries ? std::string("entries") : std::to_string(tile.level);
  path += '/';
  // Groups from most to least significant; every group but the last gets an 'x'.
  std::vector<std::uint64_t> groups;
  std::uint64_t n = tile.index;
  do {
    groups.push_back(n % 1000);
    n /= 1000;
  } while (n > 0);
  for (std::size_t i = groups.size(); i > 0; --i) {
    if (i > 1) path += 'x';
    AppendGroup(groups[i - 1], &path);
    if (i > 1) path += '/';
  }
  if (tile.width != kTileWidth) path += ".p/" + std::to_string(tile.width);
  return path;
}

StatusOr<TileRef> ParseTilePath(std::string_view path) {
  const Status malformed =
      Status::InvalidArgument("malformed tile path \"" + std::string(path.substr(0, 100)) + "\"");
  std::string_view s = path;
  TileRef tile;
  if (!ConsumePrefix(&s, "tile/")) return malformed;
  if (ConsumePrefix(&s, "entries/")) {
    tile.entries = true;
  } else {
    std::uint64_t level = 0;
    if (!ConsumeSmallDecimal(&s, kMaxTileLevel, &level)) return malformed;
    if (!ConsumePrefix(&s, "/")) return malformed;
    tile.level = static_cast<int>(level);
  }
  if (!ConsumeIndex(&s, &tile.index)) return malformed;
  if (ConsumePrefix(&s, ".p/")) {
    std::uint64_t width = 0;
    if (!ConsumeSmallDecimal(&s, kTileWidth - 1, &width) || width == 0) return malformed;
    tile.width = static_cast<std::uint32_t>(width);
  }
  if (!s.empty()) return malformed;
  return tile;
}

std::uint32_t TileWidthAt(int level, std::uint64_t index, std::uint64_t tree_size) {
  if (level < 0 || level > kMaxTileLevel) return 0;
  const int shift = 8 * level;
  if (shift >= 64) return 0;
  // Number of complete subtrees of height 8·level: the hashes this level holds.
  const std::uint64_t count = tree_size >> shift;
  const std::uint64_t full_tiles = count / kTileWidth;
  if (index < full_tiles) return kTileWidth;
  if (index == full_tiles) return static_cast<std::uint32_t>(count % kTileWidth);
  return 0;
}

StatusOr<Bytes> ReadHashTile(const TileRef& tile, std::uint64_t tree_size,
                             const HashReader& reader) {
  if (tile.entries) return Status::InvalidArgument("an entry bundle is not a hash tile");
  if (tile.level < 0 || tile.level > kMaxTileLevel || tile.width == 0 || tile.width > kTileWidth) {
    return Status::InvalidArgument("invalid tile " + TilePath(tile));
  }
  if (tree_size > kMaxTreeSize) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " exceeds the maximum tree size 2^62");
  }
  // A tile narrower than the one present is a prefix of it, whose hashes exist too.
  if (tile.width > TileWidthAt(tile.level, tile.index, tree_size)) {
    return Status::NotFound("tile " + TilePath(tile) + " is not in the tree of size " +
                            std::to_string(tree_size));
  }
  // The tile exists, so index·256 + width fits: it is at most tree_size >> 8·level.
  const int height = 8 * tile.level;
  const std::uint64_t start = tile.index * kTileWidth;
  std::vector<std::uint64_t> indexes(tile.width);
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    indexes[i] = StoredHashIndex(height, start + i);
  }
  std::vector<Digest> hashes;
  if (Status s = reader(indexes, &hashes); !s.ok()) return s;
  if (hashes.size() != indexes.size()) {
    return Status::Internal("HashReader returned " + std::to_string(hashes.size()) +
                            " hashes for " + std::to_string(indexes.size()) + " indexes");
  }
  Bytes out;
  out.reserve(hashes.size() * sizeof(Digest));
  for (const Digest& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

StatusOr<Bytes> EncodeEntryBundle(std::span<const Bytes> entries) {
  Bytes out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Bytes& e = entries[i];
    if (e.size() > 0xFFFF) {
      return Status::InvalidArgument("entry " + std::to_string(i) + " of the bundle is " +
                                     std::to_string(e.size()) + " bytes, over 65535");
    }
    out.push_back(static_cast<std::uint8_t>(e.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(e.size() & 0xFF));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

}  // namespace ipledger
