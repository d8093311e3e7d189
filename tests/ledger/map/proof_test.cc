// The status map's hashing, proof encoding and verification, against MemoryMap and a
// brute-force root: presence and both kinds of absence verify, and every one-byte change
// of a proof, root, key or value hash is refused.
#include "ledger/map/proof.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "crypto/bytes.h"
#include "ledger/map/memory_map.h"
#include "tests/ledger/map/map_test_util.h"
#include "tests/testing/testing.h"

namespace ipledger::map {
namespace {

using testing::BruteRoot;
using testing::RandomHash;

TEST(MapHashTest, KeyIsSha256OfTheAssetIdAndPathBitsAreMsbFirst) {
  EXPECT_EQ(HexEncode(MapKey("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Hash k{};
  k[0] = 0x80;
  k[1] = 0x01;
  EXPECT_TRUE(PathBit(k, 0));
  EXPECT_FALSE(PathBit(k, 1));
  EXPECT_TRUE(PathBit(k, 15));
  EXPECT_FALSE(PathBit(k, 8));
}

TEST(MapHashTest, LeafAndNodeAreDomainSeparated) {
  Hash a = MapKey("a");
  Hash b = MapKey("b");
  std::string leaf_input(1, '\0');
  leaf_input += ToString(a) + ToString(b);
  std::string node_input(1, '\1');
  node_input += ToString(a) + ToString(b);
  EXPECT_EQ(LeafHash(a, b), Sha256(AsBytes(leaf_input)));
  EXPECT_EQ(NodeHash(a, b), Sha256(AsBytes(node_input)));
  EXPECT_NE(LeafHash(a, b), NodeHash(a, b));
}

TEST(MemoryMapTest, RootEqualsBruteForceAndProofsVerify) {
  std::mt19937_64 rng(7);
  for (int n : {0, 1, 2, 3, 5, 17, 64, 300}) {
    MemoryMap m;
    std::map<Hash, Hash> model;
    for (int i = 0; i < n; ++i) {
      Hash k = RandomHash(rng);
      Hash v = RandomHash(rng);
      m.Set(k, v);
      model[k] = v;
      if (i % 3 == 0) {  // an update of an earlier key
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng() % model.size()));
        Hash v2 = RandomHash(rng);
        m.Set(it->first, v2);
        it->second = v2;
      }
    }
    std::vector<std::pair<Hash, Hash>> leaves(model.begin(), model.end());
    ASSERT_EQ(m.Root(), BruteRoot(leaves)) << n;
    ASSERT_EQ(m.size(), model.size());
    for (const auto& [k, v] : model) {
      MapProof p = m.Prove(k);
      EXPECT_EQ(p.kind, MapProofKind::kPresent);
      EXPECT_OK(VerifyMapProof(m.Root(), k, v, p));
      EXPECT_FALSE(VerifyMapProof(m.Root(), k, std::nullopt, p).ok());
      EXPECT_FALSE(VerifyMapProof(m.Root(), k, RandomHash(rng), p).ok());
      EXPECT_EQ(m.Get(k), v);
    }
    for (int i = 0; i < 50; ++i) {
      Hash k = RandomHash(rng);
      MapProof p = m.Prove(k);
      EXPECT_NE(p.kind, MapProofKind::kPresent);
      EXPECT_OK(VerifyMapProof(m.Root(), k, std::nullopt, p));
      EXPECT_FALSE(VerifyMapProof(m.Root(), k, RandomHash(rng), p).ok());
      EXPECT_EQ(m.Get(k), std::nullopt);
    }
  }
}

TEST(MemoryMapTest, EmptyAndSingleLeafMaps) {
  MemoryMap m;
  EXPECT_EQ(m.Root(), kEmptyHash);
  Hash k = MapKey("x");
  MapProof p = m.Prove(k);
  EXPECT_EQ(p.kind, MapProofKind::kAbsentEmpty);
  EXPECT_TRUE(p.siblings.empty());
  EXPECT_OK(VerifyMapProof(kEmptyHash, k, std::nullopt, p));
  Hash v = MapKey("v");
  m.Set(k, v);
  EXPECT_EQ(m.Root(), LeafHash(k, v));
  EXPECT_OK(VerifyMapProof(m.Root(), k, v, m.Prove(k)));
  MapProof other = m.Prove(MapKey("y"));
  EXPECT_EQ(other.kind, MapProofKind::kAbsentOther);
  EXPECT_TRUE(other.siblings.empty());
  EXPECT_EQ(other.other_key, k);
  EXPECT_OK(VerifyMapProof(m.Root(), MapKey("y"), std::nullopt, other));
  // The other leaf may not be the key itself.
  EXPECT_FALSE(VerifyMapProof(m.Root(), k, std::nullopt, other).ok());
}

// A map of 40 random keys and one proof of each kind.
struct Fixture {
  MemoryMap m;
  std::map<Hash, Hash> model;
  Hash present_key{}, absent_empty_key{}, absent_other_key{};
  explicit Fixture(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 40; ++i) {
      Hash k = RandomHash(rng);
      Hash v = RandomHash(rng);
      m.Set(k, v);
      model[k] = v;
    }
    present_key = model.begin()->first;
    bool empty = false, other = false;
    while (!empty || !other) {
      Hash k = RandomHash(rng);
      MapProofKind kind = m.Prove(k).kind;
      if (kind == MapProofKind::kAbsentEmpty && !empty) absent_empty_key = k, empty = true;
      if (kind == MapProofKind::kAbsentOther && !other) absent_other_key = k, other = true;
    }
  }
  // Whether the claim (key -> value, or absence) is true of the map.
  bool True(const Hash& key, const std::optional<Hash>& value) const {
    auto it = model.find(key);
    if (!value) return it == model.end();
    return it != model.end() && it->second == *value;
  }
};

TEST(MapProofTest, EncodingRoundTripsAndHasTheDocumentedLength) {
  Fixture f(1);
  for (const Hash& k : {f.present_key, f.absent_empty_key, f.absent_other_key}) {
    MapProof p = f.m.Prove(k);
    std::string enc = EncodeMapProof(p);
    EXPECT_EQ(enc.size(),
              2 + 32 * p.siblings.size() + (p.kind == MapProofKind::kAbsentOther ? 64 : 0));
    EXPECT_EQ(static_cast<std::uint8_t>(enc[0]), static_cast<std::uint8_t>(p.kind));
    EXPECT_EQ(static_cast<std::uint8_t>(enc[1]), p.siblings.size());
    auto back = DecodeMapProof(enc);
    ASSERT_OK(back);
    EXPECT_EQ(*back, p);
  }
}

TEST(MapProofTest, DecodeIsStrict) {
  Fixture f(2);
  for (const Hash& k : {f.present_key, f.absent_empty_key, f.absent_other_key}) {
    const std::string enc = EncodeMapProof(f.m.Prove(k));
    for (size_t n = 0; n < enc.size(); ++n) {
      EXPECT_FALSE(DecodeMapProof(enc.substr(0, n)).ok()) << "truncated to " << n;
    }
    EXPECT_FALSE(DecodeMapProof(enc + '\0').ok()) << "overlong";
    EXPECT_FALSE(DecodeMapProof(enc + std::string(32, '\0')).ok()) << "an extra sibling";
    for (int kind : {3, 4, 0x80, 0xff}) {
      std::string bad = enc;
      bad[0] = static_cast<char>(kind);
      auto d = DecodeMapProof(bad);
      ASSERT_FALSE(d.ok());
      EXPECT_NE(d.status().message().find("kind"), std::string::npos) << d.status().ToString();
    }
    for (int delta : {1, -1, 2}) {
      std::string bad = enc;
      bad[1] = static_cast<char>(static_cast<std::uint8_t>(bad[1]) + delta);
      EXPECT_FALSE(DecodeMapProof(bad).ok()) << "depth " << delta;
    }
  }
  EXPECT_FALSE(DecodeMapProof("").ok());
  EXPECT_OK(DecodeMapProof(std::string("\x01\x00", 2)));
  EXPECT_FALSE(DecodeMapProof(std::string("\x02\x00", 2)).ok());  // kind 2 needs 64 bytes
}

// Every one-byte change of the encoding, the root, the key or the value hash: whatever
// still decodes and verifies must be a true statement about the map.
TEST(MapProofTest, EveryOneByteChangeFailsOrStaysTrue) {
  Fixture f(3);
  const Hash root = f.m.Root();
  int refused = 0;
  for (const Hash& key : {f.present_key, f.absent_empty_key, f.absent_other_key}) {
    const std::optional<Hash> value =
        f.model.count(key) != 0 ? std::optional<Hash>(f.model.at(key)) : std::nullopt;
    const std::string enc = EncodeMapProof(f.m.Prove(key));
    ASSERT_OK(VerifyMapProof(root, key, value, *DecodeMapProof(enc)));
    auto verifies = [&](const std::string& e, const Hash& r, const Hash& k,
                        const std::optional<Hash>& v) {
      auto p = DecodeMapProof(e);
      return p.ok() && VerifyMapProof(r, k, v, *p).ok();
    };
    for (size_t i = 0; i < enc.size(); ++i) {
      for (int x : {0x01, 0x80, 0xff}) {
        std::string bad = enc;
        bad[i] = static_cast<char>(bad[i] ^ x);
        EXPECT_FALSE(verifies(bad, root, key, value)) << "proof byte " << i << " ^ " << x;
        ++refused;
      }
    }
    for (size_t i = 0; i < 32; ++i) {
      for (int x : {0x01, 0x80, 0xff}) {
        Hash r = root;
        r[i] ^= static_cast<std::uint8_t>(x);
        EXPECT_FALSE(verifies(enc, r, key, value)) << "root byte " << i;
        Hash k = key;
        k[i] ^= static_cast<std::uint8_t>(x);
        // An absence proof also proves every key with the same path prefix absent (if it
        // is not the other leaf's): accepted only if true.
        if (verifies(enc, root, k, value)) {
          EXPECT_FALSE(value.has_value()) << "key byte " << i;
          EXPECT_TRUE(f.True(k, value)) << "key byte " << i;
        }
        if (value) {
          Hash v = *value;
          v[i] ^= static_cast<std::uint8_t>(x);
          EXPECT_FALSE(verifies(enc, root, key, v)) << "value byte " << i;
        }
      }
    }
    // The opposite claim.
    if (value) {
      EXPECT_FALSE(verifies(enc, root, key, std::nullopt));
    } else {
      EXPECT_FALSE(verifies(enc, root, key, f.model.begin()->second));
    }
  }
  EXPECT_GT(refused, 100);
}

TEST(MapProofTest, AbsenceByAnotherLeafMustShareThePath) {
  Fixture f(4);
  MapProof p = f.m.Prove(f.absent_other_key);
  ASSERT_EQ(p.kind, MapProofKind::kAbsentOther);
  ASSERT_FALSE(p.siblings.empty());
  // The same proof for a key that leaves the other leaf's path at the first bit.
  Hash k = f.absent_other_key;
  k[0] ^= 0x80;
  auto s = VerifyMapProof(f.m.Root(), k, std::nullopt, p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("path"), std::string::npos) << s.ToString();
}

TEST(MapProofTest, TooManySiblingsAreRefused) {
  MapProof p;
  p.kind = MapProofKind::kAbsentEmpty;
  p.siblings.resize(256);
  EXPECT_FALSE(VerifyMapProof(kEmptyHash, MapKey("k"), std::nullopt, p).ok());
}

}  // namespace
}  // namespace ipledger::map
