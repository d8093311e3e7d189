#include "ledger/log/tile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/log/merkle.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

using Json = nlohmann::json;
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

// Stored hashes in memory, appended through StoredHashesForLeaf; counts reader calls.
class MemoryTree {
 public:
  Status AppendEntry(const Bytes& entry) {
    StatusOr<std::vector<Digest>> add = StoredHashesForLeaf(size_, LeafHash(entry), Reader());
    if (!add.ok()) return add.status();
    stored_.insert(stored_.end(), add->begin(), add->end());
    entries_.push_back(entry);
    ++size_;
    return Status::Ok();
  }

  HashReader Reader() {
    return [this](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) {
      ++read_calls_;
      out->clear();
      for (std::uint64_t i : indexes) {
        if (i >= stored_.size()) return Status::NotFound("stored hash " + std::to_string(i));
        out->push_back(stored_[i]);
      }
      return Status::Ok();
    };
  }

  std::uint64_t size() const { return size_; }
  const std::vector<Bytes>& entries() const { return entries_; }
  int read_calls() const { return read_calls_; }
  void ResetCounters() { read_calls_ = 0; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> stored_;
  std::vector<Bytes> entries_;
  int read_calls_ = 0;
};

// HexDecode, except that "" (the first reference leaf) is decoded here: HexDecode("")
// hands libsodium a null output pointer, which UBSan reports.
std::optional<Bytes> HexDecodeAllowingEmpty(const std::string& hex) {
  if (hex.empty()) return Bytes{};
  return HexDecode(hex);
}

Json LoadJson(const std::string& name) {
  Json j =
      Json::parse(testing::ReadFileOrDie(testing::VectorsDir() / "derived" / name), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << name;
  return j;
}

std::uint64_t ParseU64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc() && end == s.data() + s.size()) << s;
  return v;
}

std::string Sha256Hex(ByteView b) { return HexEncode(Sha256(b)); }

Bytes ToBytes(std::string_view s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

// A tree of the 300 leaves "leaf <i>" of tiles-300-leaves.json.
class Tiles300Test : public ::testing::Test {
 protected:
  void SetUp() override {
    vectors_ = LoadJson("tiles-300-leaves.json");
    ASSERT_EQ(vectors_["tree_size"].get<std::uint64_t>(), 300u);
    for (int i = 0; i < 300; ++i) {
      ASSERT_OK(tree_.AppendEntry(ToBytes("leaf " + std::to_string(i))));
    }
    tree_.ResetCounters();
  }

  Json vectors_;
  MemoryTree tree_;
};

// --- Known answers -----------------------------------------------------------------

TEST(TileTest, EightLeafHashTileAndEntryBundleMatchVectors) {
  const Json v = LoadJson("tiles-8-leaves.json");
  const Json ref =
      Json::parse(testing::ReadFileOrDie(testing::VectorsDir() / "rfc6962-reference-8-leaves.json"),
                  nullptr, false);
  ASSERT_FALSE(ref.is_discarded());
  MemoryTree tree;
  for (const Json& leaf : ref["leaves_hex"]) {
    const std::optional<Bytes> b = HexDecodeAllowingEmpty(leaf.get<std::string>());
    ASSERT_TRUE(b.has_value());
    ASSERT_OK(tree.AppendEntry(*b));
  }

  const TileRef hash_tile{.entries = false, .level = 0, .index = 0, .width = 8};
  EXPECT_EQ(TilePath(hash_tile), "tile/0/000.p/8");
  EXPECT_EQ(TileWidthAt(0, 0, 8), 8u);
  StatusOr<Bytes> tile = ReadHashTile(hash_tile, 8, tree.Reader());
  ASSERT_OK(tile);
  EXPECT_EQ(HexEncode(*tile), v["tile/0/000.p/8_hex"].get<std::string>());

  const TileRef bundle{.entries = true, .level = 0, .index = 0, .width = 8};
  EXPECT_EQ(TilePath(bundle), "tile/entries/000.p/8");
  StatusOr<Bytes> encoded = EncodeEntryBundle(tree.entries());
  ASSERT_OK(encoded);
  EXPECT_EQ(HexEncode(*encoded), v["tile/entries/000.p/8_hex"].get<std::string>());
}

TEST_F(Tiles300Test, RootMatches) {
  StatusOr<Digest> root = TreeHash(300, tree_.Reader());
  ASSERT_OK(root);
  EXPECT_EQ(HexEncode(*root), vectors_["root_hex"].get<std::string>());
}

TEST_F(Tiles300Test, EveryHashTileMatchesByteForByte) {
  ASSERT_EQ(vectors_["tiles"].size(), 3u);
  for (const auto& [path, want] : vectors_["tiles"].items()) {
    SCOPED_TRACE(path);
    StatusOr<TileRef> ref = ParseTilePath(path);
    ASSERT_OK(ref);
    EXPECT_FALSE(ref->entries);
    EXPECT_EQ(TilePath(*ref), path);
    EXPECT_EQ(ref->width, want["width"].get<std::uint32_t>());
    EXPECT_EQ(TileWidthAt(ref->level, ref->index, 300), ref->width);
    StatusOr<Bytes> tile = ReadHashTile(*ref, 300, tree_.Reader());
    ASSERT_OK(tile);
    ASSERT_EQ(tile->size(), ref->width * 32u);
    if (want.contains("data_hex")) {
      EXPECT_EQ(HexEncode(*tile), want["data_hex"].get<std::string>());
    } else {
      EXPECT_EQ(Sha256Hex(*tile), want["sha256_of_tile_bytes_hex"].get<std::string>());
      EXPECT_EQ(HexEncode(ByteView(*tile).first(32)), want["first_hash_hex"].get<std::string>());
      EXPECT_EQ(HexEncode(ByteView(*tile).last(32)), want["last_hash_hex"].get<std::string>());
    }
  }
}

TEST_F(Tiles300Test, LevelOneTileHoldsRootOfFullLevelZeroTile) {
  StatusOr<Bytes> tile =
      ReadHashTile({.entries = false, .level = 1, .index = 0, .width = 1}, 300, tree_.Reader());
  ASSERT_OK(tile);
  StatusOr<Digest> root256 = TreeHash(256, tree_.Reader());
  ASSERT_OK(root256);
  EXPECT_EQ(*tile, Bytes(root256->begin(), root256->end()));
}

TEST_F(Tiles300Test, EveryEntryBundleMatchesByteForByte) {
  ASSERT_EQ(vectors_["entry_bundles"].size(), 2u);
  for (const auto& [path, want] : vectors_["entry_bundles"].items()) {
    SCOPED_TRACE(path);
    StatusOr<TileRef> ref = ParseTilePath(path);
    ASSERT_OK(ref);
    EXPECT_TRUE(ref->entries);
    EXPECT_EQ(TilePath(*ref), path);
    const auto count = want["count"].get<std::uint64_t>();
    EXPECT_EQ(ref->width, count);
    EXPECT_EQ(TileWidthAt(0, ref->index, 300), count);
    const auto first = static_cast<std::ptrdiff_t>(ref->index * kTileWidth);
    const std::vector<Bytes> entries(
        tree_.entries().begin() + first,
        tree_.entries().begin() + first + static_cast<std::ptrdiff_t>(count));
    StatusOr<Bytes> bundle = EncodeEntryBundle(entries);
    ASSERT_OK(bundle);
    if (want.contains("data_hex")) {
      EXPECT_EQ(HexEncode(*bundle), want["data_hex"].get<std::string>());
    } else {
      EXPECT_EQ(Sha256Hex(*bundle), want["sha256_of_bundle_bytes_hex"].get<std::string>());
    }
  }
}

TEST_F(Tiles300Test, TileLayoutOfEachSizeMatchesSpecExamples) {
  // Sizes 300, 256 (one full level-0 tile, level-1 partial of width 1) and 70,000
  // (273 full + W=112; 1 full + W=17; W=1).
  ASSERT_EQ(vectors_["tile_paths_for_size"].size(), 3u);
  for (const auto& [size_text, levels] : vectors_["tile_paths_for_size"].items()) {
    const std::uint64_t size = ParseU64(size_text);
    SCOPED_TRACE("size " + size_text);
    int top = -1;
    for (const Json& l : levels) {
      const int level = l["level"].get<int>();
      const auto full = l["full_tiles"].get<std::uint64_t>();
      const auto partial = l["partial_width"].get<std::uint32_t>();
      top = std::max(top, level);
      if (full > 0) {
        EXPECT_EQ(TileWidthAt(level, 0, size), kTileWidth);
        EXPECT_EQ(TileWidthAt(level, full - 1, size), kTileWidth);
      }
      EXPECT_EQ(TileWidthAt(level, full, size), partial) << "level " << level;
      EXPECT_EQ(TileWidthAt(level, full + 1, size), 0u) << "level " << level;
      if (l["partial_path"].is_null()) {
        EXPECT_EQ(partial, 0u);
      } else {
        const TileRef tile{.entries = false, .level = level, .index = full, .width = partial};
        EXPECT_EQ(TilePath(tile), l["partial_path"].get<std::string>());
        StatusOr<TileRef> parsed = ParseTilePath(l["partial_path"].get<std::string>());
        ASSERT_OK(parsed);
        EXPECT_EQ(*parsed, tile);
      }
    }
    EXPECT_EQ(TileWidthAt(top + 1, 0, size), 0u);
  }
}

TEST_F(Tiles300Test, IndexPathEncodingMatchesExamples) {
  ASSERT_GE(vectors_["index_path_encoding_examples"].size(), 5u);
  for (const auto& [index_text, encoded] : vectors_["index_path_encoding_examples"].items()) {
    const TileRef tile{.entries = false, .level = 0, .index = ParseU64(index_text)};
    const std::string path = "tile/0/" + encoded.get<std::string>();
    EXPECT_EQ(TilePath(tile), path);
    StatusOr<TileRef> parsed = ParseTilePath(path);
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, tile);
  }
}

// --- Tile paths ------------------------------------------------------------------------

TEST(TileTest, TilePathWritesEveryField) {
  EXPECT_EQ(TilePath({.entries = false, .level = 0, .index = 0}), "tile/0/000");
  EXPECT_EQ(TilePath({.entries = false, .level = 2, .index = 1234067, .width = 5}),
            "tile/2/x001/x234/067.p/5");
  EXPECT_EQ(TilePath({.entries = true, .level = 0, .index = 1000}), "tile/entries/x001/000");
  EXPECT_EQ(TilePath({.entries = false, .level = 63, .index = kU64Max, .width = 255}),
            "tile/63/x018/x446/x744/x073/x709/x551/615.p/255");
}

TEST(TileTest, ParseTilePathAcceptsWellFormedPaths) {
  const std::vector<std::pair<std::string, TileRef>> cases = {
      {"tile/0/000", {.entries = false, .level = 0, .index = 0}},
      {"tile/0/999", {.entries = false, .level = 0, .index = 999}},
      {"tile/1/x001/000.p/1", {.entries = false, .level = 1, .index = 1000, .width = 1}},
      {"tile/63/x018/x446/x744/x073/x709/x551/615",
       {.entries = false, .level = 63, .index = kU64Max}},
      {"tile/entries/273.p/112", {.entries = true, .level = 0, .index = 273, .width = 112}},
      {"tile/10/x100/000.p/255", {.entries = false, .level = 10, .index = 100000, .width = 255}},
  };
  for (const auto& [path, want] : cases) {
    SCOPED_TRACE(path);
    StatusOr<TileRef> got = ParseTilePath(path);
    ASSERT_OK(got);
    EXPECT_EQ(*got, want) << path;
  }
}

TEST(TileTest, ParseTilePathRejectsMalformedPaths) {
  const std::vector<std::string> bad = {
      "",
      "tile/",
      "/tile/0/000",                                    // leading slash
      "tiles/0/000",                                    // wrong prefix
      "tile/00/000",                                    // leading zero in level
      "tile/01/000",                                    // leading zero in level
      "tile/64/000",                                    // level > 63
      "tile/99999999999999999999999/000",               // level overflow
      "tile/-1/000",                                    // negative level
      "tile/+1/000",                                    // sign
      "tile/a/000",                                     // not a level
      "tile/0/00",                                      // short group
      "tile/0/0000",                                    // long group
      "tile/0/1",                                       // unpadded
      "tile/0/001/000",                                 // missing x
      "tile/0/x001",                                    // x on the last group
      "tile/0/x001000",                                 // missing slash
      "tile/0/x000/001",                                // leading zero group
      "tile/0/x01/000",                                 // short x group
      "tile/0/X001/000",                                // upper-case X
      "tile/0/x018/x446/x744/x073/x709/x551/616",       // 2^64: overflow
      "tile/0/x999/x999/x999/x999/x999/x999/x999/999",  // overflow
      "tile/0/000.p/0",                                 // width 0
      "tile/0/000.p/256",                               // width 256 is a full tile
      "tile/0/000.p/300",                               // width > 256
      "tile/0/000.p/012",                               // leading zero in width
      "tile/0/000.p/",                                  // missing width
      "tile/0/000.p",                                   // truncated suffix
      "tile/0/000.q/5",                                 // wrong suffix
      "tile/0/000/",                                    // trailing slash
      "tile/0/000 ",                                    // trailing space
      "tile/0/000.p/5x",                                // trailing garbage
      "tile/0/000\n",                                   // trailing newline
      "tile/entries/0/000",                             // level on an entry bundle
      "tile/entries/",                                  // missing index
      "tile/data/000",                                  // static-ct-api spelling
      "tile/8/0/000",                                   // Go sumdb spelling with height
  };
  for (const std::string& path : bad) {
    StatusOr<TileRef> got = ParseTilePath(path);
    EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument) << '"' << path << '"';
  }
}

TEST(TileTest, ParseTilePathInvertsTilePathForRandomTiles) {
  std::mt19937_64 rng(20260104);
  for (int i = 0; i < 2000; ++i) {
    TileRef tile;
    tile.entries = rng() % 4 == 0;
    tile.level = tile.entries ? 0 : static_cast<int>(rng() % 64);
    // Spread indexes over all magnitudes: 0, small, and up to 2^64 - 1.
    const auto bits = static_cast<int>(rng() % 65);
    tile.index = bits == 0 ? 0 : rng() >> (64 - bits);
    tile.width = rng() % 2 == 0 ? kTileWidth : static_cast<std::uint32_t>(1 + rng() % 255);
    const std::string path = TilePath(tile);
    SCOPED_TRACE(path);
    StatusOr<TileRef> parsed = ParseTilePath(path);
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, tile) << path;
    EXPECT_EQ(TilePath(*parsed), path);
  }
}

// --- Widths and reads ----------------------------------------------------------------

TEST(TileTest, TileWidthAtFollowsTreeSize) {
  EXPECT_EQ(TileWidthAt(0, 0, 0), 0u);
  EXPECT_EQ(TileWidthAt(0, 0, 1), 1u);
  EXPECT_EQ(TileWidthAt(0, 0, 255), 255u);
  EXPECT_EQ(TileWidthAt(0, 0, 256), 256u);
  EXPECT_EQ(TileWidthAt(0, 1, 256), 0u);
  EXPECT_EQ(TileWidthAt(0, 1, 257), 1u);
  EXPECT_EQ(TileWidthAt(1, 0, 255), 0u);
  EXPECT_EQ(TileWidthAt(1, 0, 256), 1u);
  EXPECT_EQ(TileWidthAt(1, 0, 511), 1u);
  EXPECT_EQ(TileWidthAt(1, 0, 512), 2u);
  EXPECT_EQ(TileWidthAt(1, 0, 65536), 256u);
  EXPECT_EQ(TileWidthAt(2, 0, 65535), 0u);
  EXPECT_EQ(TileWidthAt(2, 0, 65536), 1u);
  EXPECT_EQ(TileWidthAt(7, 0, kU64Max), 255u);
  EXPECT_EQ(TileWidthAt(8, 0, kU64Max), 0u);
  EXPECT_EQ(TileWidthAt(63, 0, kU64Max), 0u);
  EXPECT_EQ(TileWidthAt(64, 0, kU64Max), 0u);
  EXPECT_EQ(TileWidthAt(-1, 0, kU64Max), 0u);
  EXPECT_EQ(TileWidthAt(0, kU64Max, kU64Max), 0u);
  EXPECT_EQ(TileWidthAt(0, kU64Max / 256 - 1, kU64Max), 256u);
  EXPECT_EQ(TileWidthAt(0, kU64Max / 256, kU64Max), 255u);
}

TEST_F(Tiles300Test, ReadHashTileRefusesTilesBeyondTreeSize) {
  const std::vector<TileRef> absent = {
      {.entries = false, .level = 0, .index = 1},               // full tile 1 needs 512
      {.entries = false, .level = 0, .index = 1, .width = 45},  // one hash too many
      {.entries = false, .level = 0, .index = 2, .width = 1},
      {.entries = false, .level = 1, .index = 0, .width = 2},
      {.entries = false, .level = 1, .index = 0},
      {.entries = false, .level = 2, .index = 0, .width = 1},
      {.entries = false, .level = 63, .index = 0, .width = 1},
      {.entries = false, .level = 0, .index = kU64Max, .width = 1},
      {.entries = false, .level = 7, .index = kU64Max / 256, .width = 255},
  };
  for (const TileRef& tile : absent) {
    EXPECT_EQ(ReadHashTile(tile, 300, tree_.Reader()).status().code(), ErrorCode::kNotFound)
        << TilePath(tile);
  }
  EXPECT_EQ(tree_.read_calls(), 0);
  // Tiles that exist at size 300 are not served for an older size that lacks them.
  EXPECT_EQ(
      ReadHashTile({.entries = false, .level = 0, .index = 0}, 255, tree_.Reader()).status().code(),
      ErrorCode::kNotFound);
  EXPECT_EQ(
      ReadHashTile({.entries = false, .level = 1, .index = 0, .width = 1}, 255, tree_.Reader())
          .status()
          .code(),
      ErrorCode::kNotFound);
}

TEST_F(Tiles300Test, NarrowerTileIsPrefixOfWiderOne) {
  StatusOr<Bytes> full =
      ReadHashTile({.entries = false, .level = 0, .index = 0}, 300, tree_.Reader());
  ASSERT_OK(full);
  StatusOr<Bytes> partial =
      ReadHashTile({.entries = false, .level = 0, .index = 0, .width = 10}, 300, tree_.Reader());
  ASSERT_OK(partial);
  EXPECT_EQ(*partial, Bytes(full->begin(), full->begin() + 320));
}

TEST_F(Tiles300Test, ReadHashTileReadsInOneCall) {
  ASSERT_OK(ReadHashTile({.entries = false, .level = 0, .index = 0}, 300, tree_.Reader()));
  EXPECT_EQ(tree_.read_calls(), 1);
}

TEST_F(Tiles300Test, ReadHashTileRejectsInvalidTiles) {
  const std::vector<TileRef> invalid = {
      {.entries = true, .level = 0, .index = 0},
      {.entries = false, .level = 0, .index = 0, .width = 0},
      {.entries = false, .level = 0, .index = 0, .width = 257},
      {.entries = false, .level = 64, .index = 0, .width = 1},
      {.entries = false, .level = -1, .index = 0, .width = 1},
  };
  for (const TileRef& tile : invalid) {
    EXPECT_EQ(ReadHashTile(tile, 300, tree_.Reader()).status().code(), ErrorCode::kInvalidArgument)
        << TilePath(tile);
  }
  EXPECT_EQ(
      ReadHashTile({.entries = false, .level = 0, .index = 0, .width = 1}, kU64Max, tree_.Reader())
          .status()
          .code(),
      ErrorCode::kInvalidArgument);
}

TEST(TileTest, ReadHashTilePropagatesReaderErrors) {
  const HashReader missing = [](std::span<const std::uint64_t>, std::vector<Digest>*) {
    return Status::Corruption("bad hash");
  };
  EXPECT_EQ(ReadHashTile({.entries = false, .level = 0, .index = 0, .width = 3}, 3, missing)
                .status()
                .code(),
            ErrorCode::kCorruption);
}

// --- Entry bundles ---------------------------------------------------------------------

TEST(TileTest, EntryBundlePrefixesBigEndianLengths) {
  const std::vector<Bytes> entries = {Bytes{}, Bytes(0x0102, 0xAB)};
  StatusOr<Bytes> bundle = EncodeEntryBundle(entries);
  ASSERT_OK(bundle);
  ASSERT_EQ(bundle->size(), 2u + 2u + 0x0102u);
  EXPECT_EQ((*bundle)[0], 0x00);
  EXPECT_EQ((*bundle)[1], 0x00);
  EXPECT_EQ((*bundle)[2], 0x01);
  EXPECT_EQ((*bundle)[3], 0x02);
  EXPECT_EQ((*bundle)[4], 0xAB);
  StatusOr<Bytes> empty = EncodeEntryBundle({});
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(TileTest, EntryBundleAcceptsLargestEntryAndRejectsLonger) {
  const std::vector<Bytes> largest = {Bytes(65535, 1)};
  StatusOr<Bytes> ok = EncodeEntryBundle(largest);
  ASSERT_OK(ok);
  EXPECT_EQ((*ok)[0], 0xFF);
  EXPECT_EQ((*ok)[1], 0xFF);
  const std::vector<Bytes> too_long = {Bytes{1}, Bytes(65536, 1)};
  EXPECT_EQ(EncodeEntryBundle(too_long).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipledger
