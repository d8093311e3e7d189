#include "ledger/log/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

using Json = nlohmann::json;

// HexDecode, except that "" (the first reference leaf) is decoded here: HexDecode("")
// hands libsodium a null output pointer, which UBSan reports.
std::optional<Bytes> HexDecodeAllowingEmpty(const std::string& hex) {
  if (hex.empty()) return Bytes{};
  return HexDecode(hex);
}

Digest DigestFromHex(const std::string& hex) {
  const std::optional<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  const std::optional<Digest> d = DigestFromBytes(b.value_or(Bytes{}));
  EXPECT_TRUE(d.has_value()) << hex;
  return d.value_or(Digest{});
}

std::string Hex(const Digest& d) { return HexEncode(d); }

std::vector<std::string> HexList(const std::vector<Digest>& ds) {
  std::vector<std::string> out;
  out.reserve(ds.size());
  for (const Digest& d : ds) out.push_back(Hex(d));
  return out;
}

// Stored hashes in memory, appended through StoredHashesForLeaf; counts reader calls.
class MemoryTree {
 public:
  Status Append(const Digest& leaf_hash) {
    StatusOr<std::vector<Digest>> add = StoredHashesForLeaf(size_, leaf_hash, Reader());
    if (!add.ok()) return add.status();
    stored_.insert(stored_.end(), add->begin(), add->end());
    leaf_hashes_.push_back(leaf_hash);
    ++size_;
    return Status::Ok();
  }

  HashReader Reader() {
    return [this](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) {
      ++read_calls_;
      hashes_read_ += indexes.size();
      out->clear();
      for (std::uint64_t i : indexes) {
        if (i >= stored_.size()) return Status::NotFound("stored hash " + std::to_string(i));
        out->push_back(stored_[i]);
      }
      return Status::Ok();
    };
  }

  std::uint64_t size() const { return size_; }
  const std::vector<Digest>& stored() const { return stored_; }
  std::span<const Digest> leaves(std::uint64_t n) const {
    return std::span<const Digest>(leaf_hashes_).first(n);
  }
  int read_calls() const { return read_calls_; }
  std::size_t hashes_read() const { return hashes_read_; }
  void ResetCounters() {
    read_calls_ = 0;
    hashes_read_ = 0;
  }

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> stored_;
  std::vector<Digest> leaf_hashes_;
  int read_calls_ = 0;
  std::size_t hashes_read_ = 0;
};

Digest RandomDigest(std::mt19937_64& rng) {
  Digest d;
  for (std::uint8_t& b : d) b = static_cast<std::uint8_t>(rng());
  return d;
}

// Builds a tree of `n` random leaves.
void BuildRandomTree(std::uint64_t n, std::mt19937_64& rng, MemoryTree* tree) {
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_OK(tree->Append(RandomDigest(rng)));
}

// The sides of the siblings on the RFC 6962 PATH of leaf m in a tree of n leaves,
// leaf first ('R' = sibling on the right), derived from the PATH definition alone.
std::string PathShape(std::uint64_t m, std::uint64_t n) {
  if (n <= 1) return "";
  const std::uint64_t k = std::bit_floor(n - 1);
  return m < k ? PathShape(m, k) + 'R' : PathShape(m - k, n - k) + 'L';
}

// The sides of the nodes of the RFC 6962 consistency proof from m to n, in proof order
// ('=' = the old subtree's own hash; 'R' / 'L' = a sibling on the right / left),
// derived from the SUBPROOF definition alone.
std::string ConsistencyShape(std::uint64_t m, std::uint64_t n, bool whole_old_tree) {
  if (m == n) return whole_old_tree ? "" : "=";
  const std::uint64_t k = std::bit_floor(n - 1);
  return m <= k ? ConsistencyShape(m, k, whole_old_tree) + 'R'
                : ConsistencyShape(m - k, n - k, false) + 'L';
}

// --- Hasher anchors ---------------------------------------------------------------

TEST(MerkleTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(Hex(EmptyTreeRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Base64Encode(EmptyTreeRoot()), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(MerkleTest, LeafHashOfEmptyEntryMatchesRfc6962Anchor) {
  EXPECT_EQ(Hex(LeafHash(ByteView())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(MerkleTest, NodeHashPrefixesOneAndConcatenates) {
  const Digest l = LeafHash(AsBytes("l"));
  const Digest r = LeafHash(AsBytes("r"));
  Bytes buf = {0x01};
  buf.insert(buf.end(), l.begin(), l.end());
  buf.insert(buf.end(), r.begin(), r.end());
  EXPECT_EQ(NodeHash(l, r), Sha256(buf));
  EXPECT_NE(NodeHash(l, r), NodeHash(r, l));
}

TEST(MerkleTest, TreeHashOfEmptyTreeIsEmptyRootWithoutReads) {
  MemoryTree tree;
  StatusOr<Digest> root = TreeHash(0, tree.Reader());
  ASSERT_OK(root);
  EXPECT_EQ(*root, EmptyTreeRoot());
  EXPECT_EQ(tree.read_calls(), 0);
  EXPECT_EQ(ReferenceRoot({}), EmptyTreeRoot());
}

// --- Stored hash numbering ----------------------------------------------------------

TEST(MerkleTest, StoredHashIndexIsDensePostOrder) {
  // Leaf 0; leaf 1, (1,0); leaf 2; leaf 3, (1,1), (2,0); leaf 4; leaf 5, (1,2); ...
  EXPECT_EQ(StoredHashIndex(0, 0), 0u);
  EXPECT_EQ(StoredHashIndex(0, 1), 1u);
  EXPECT_EQ(StoredHashIndex(1, 0), 2u);
  EXPECT_EQ(StoredHashIndex(0, 2), 3u);
  EXPECT_EQ(StoredHashIndex(0, 3), 4u);
  EXPECT_EQ(StoredHashIndex(1, 1), 5u);
  EXPECT_EQ(StoredHashIndex(2, 0), 6u);
  EXPECT_EQ(StoredHashIndex(0, 4), 7u);
  EXPECT_EQ(StoredHashIndex(0, 5), 8u);
  EXPECT_EQ(StoredHashIndex(1, 2), 9u);
  EXPECT_EQ(StoredHashIndex(3, 0), 14u);
}

TEST(MerkleTest, SplitStoredHashIndexInvertsStoredHashIndex) {
  // Every index of a 5000-leaf tree, in storage order.
  std::uint64_t index = 0;
  for (std::uint64_t leaf = 0; leaf < 5000; ++leaf) {
    for (int level = 0; level <= std::countr_one(leaf); ++level, ++index) {
      const StoredHashPosition p = SplitStoredHashIndex(index);
      ASSERT_EQ(p.level, level) << index;
      ASSERT_EQ(p.n, leaf >> level) << index;
    }
  }
  // Sampled positions up to the largest tree.
  std::mt19937_64 rng(4);
  for (int i = 0; i < 20000; ++i) {
    const int level = static_cast<int>(rng() % 62);
    const std::uint64_t n = (rng() % kMaxTreeSize) >> level;
    const StoredHashPosition p = SplitStoredHashIndex(StoredHashIndex(level, n));
    ASSERT_EQ(p.level, level) << n;
    ASSERT_EQ(p.n, n) << level;
  }
}

TEST(MerkleTest, StoredHashCountMatchesHashesAppended) {
  EXPECT_EQ(StoredHashCount(0), 0u);
  EXPECT_EQ(StoredHashCount(1), 1u);
  EXPECT_EQ(StoredHashCount(2), 3u);
  EXPECT_EQ(StoredHashCount(3), 4u);
  EXPECT_EQ(StoredHashCount(4), 7u);
  EXPECT_EQ(StoredHashCount(8), 15u);
  std::mt19937_64 rng(1);
  MemoryTree tree;
  for (std::uint64_t n = 0; n < 600; ++n) {
    ASSERT_EQ(StoredHashCount(n), tree.stored().size()) << n;
    ASSERT_OK(tree.Append(RandomDigest(rng)));
  }
}

TEST(MerkleTest, EveryStoredHashIsTheRootOfItsPerfectSubtree) {
  std::mt19937_64 rng(2);
  MemoryTree tree;
  BuildRandomTree(300, rng, &tree);
  std::uint64_t checked = 0;
  for (int level = 0; level < 9; ++level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    for (std::uint64_t n = 0; (n + 1) * width <= tree.size(); ++n) {
      const std::uint64_t i = StoredHashIndex(level, n);
      ASSERT_LT(i, tree.stored().size());
      EXPECT_EQ(tree.stored()[i], ReferenceRoot(tree.leaves((n + 1) * width).subspan(n * width)))
          << "level " << level << " n " << n;
      ++checked;
    }
  }
  // Every stored hash is one perfect subtree root, so all of them were checked.
  EXPECT_EQ(checked, tree.stored().size());
}

TEST(MerkleTest, StoredHashesForLeafReadsOnlyInOneCall) {
  std::mt19937_64 rng(3);
  MemoryTree tree;
  BuildRandomTree(255, rng, &tree);
  tree.ResetCounters();
  ASSERT_OK(tree.Append(RandomDigest(rng)));  // leaf 255 completes 8 subtrees
  EXPECT_EQ(tree.read_calls(), 1);
  EXPECT_EQ(tree.hashes_read(), 8u);
  EXPECT_EQ(tree.stored().size(), StoredHashCount(256));
}

TEST(MerkleTest, ReaderErrorsPropagate) {
  const HashReader missing = [](std::span<const std::uint64_t>, std::vector<Digest>*) {
    return Status::NotFound("gone");
  };
  EXPECT_EQ(TreeHash(5, missing).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ProveInclusion(5, 1, missing).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ProveConsistency(3, 5, missing).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(StoredHashesForLeaf(3, Digest{}, missing).status().code(), ErrorCode::kNotFound);
}

TEST(MerkleTest, ReaderReturningTooFewHashesIsInternalError) {
  const HashReader short_reader = [](std::span<const std::uint64_t>, std::vector<Digest>* out) {
    out->assign(1, Digest{});
    return Status::Ok();
  };
  EXPECT_EQ(TreeHash(7, short_reader).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(ProveInclusion(7, 0, short_reader).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(ProveConsistency(3, 7, short_reader).status().code(), ErrorCode::kInternal);
}

// --- RFC 6962 reference tree of 8 leaves ----------------------------------------------

class ReferenceTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vectors_ = Json::parse(
        testing::ReadFileOrDie(testing::VectorsDir() / "rfc6962-reference-8-leaves.json"), nullptr,
        false);
    ASSERT_FALSE(vectors_.is_discarded());
    ASSERT_EQ(vectors_["leaves_hex"].size(), 8u);
    for (const Json& leaf : vectors_["leaves_hex"]) {
      const std::optional<Bytes> b = HexDecodeAllowingEmpty(leaf.get<std::string>());
      ASSERT_TRUE(b.has_value());
      ASSERT_OK(tree_.Append(LeafHash(*b)));
    }
  }

  Json vectors_;
  MemoryTree tree_;
};

TEST_F(ReferenceTreeTest, LeafHashesMatch) {
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(Hex(tree_.leaves(8)[i]), vectors_["leaf_hashes_hex"][i].get<std::string>()) << i;
  }
}

TEST_F(ReferenceTreeTest, RootOfEverySizeMatches) {
  EXPECT_EQ(vectors_["empty_tree_root_hex"].get<std::string>(), Hex(EmptyTreeRoot()));
  ASSERT_EQ(vectors_["roots_by_size_hex"].size(), 8u);
  for (std::uint64_t n = 1; n <= 8; ++n) {
    const std::string want = vectors_["roots_by_size_hex"][std::to_string(n)].get<std::string>();
    StatusOr<Digest> root = TreeHash(n, tree_.Reader());
    ASSERT_OK(root);
    EXPECT_EQ(Hex(*root), want) << n;
    EXPECT_EQ(Hex(ReferenceRoot(tree_.leaves(n))), want) << n;
  }
  EXPECT_EQ(Hex(*TreeHash(8, tree_.Reader())),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

TEST_F(ReferenceTreeTest, InclusionProofsAreGeneratedByteForByteAndVerify) {
  ASSERT_GE(vectors_["inclusion_proofs"].size(), 5u);
  for (const Json& v : vectors_["inclusion_proofs"]) {
    const auto index = v["leaf_index"].get<std::uint64_t>();
    const auto size = v["tree_size"].get<std::uint64_t>();
    SCOPED_TRACE("leaf " + std::to_string(index) + " size " + std::to_string(size));
    std::vector<std::string> want = v["proof_hex"].get<std::vector<std::string>>();
    StatusOr<std::vector<Digest>> proof = ProveInclusion(size, index, tree_.Reader());
    ASSERT_OK(proof);
    EXPECT_EQ(HexList(*proof), want);
    EXPECT_EQ(HexList(ReferenceInclusionProof(tree_.leaves(size), index)), want);
    const Digest leaf = DigestFromHex(v["leaf_hash_hex"].get<std::string>());
    EXPECT_EQ(leaf, tree_.leaves(8)[index]);
    EXPECT_OK(VerifyInclusion(index, size, leaf, *proof,
                              DigestFromHex(v["root_hex"].get<std::string>())));
  }
}

TEST_F(ReferenceTreeTest, ConsistencyProofsAreGeneratedByteForByteAndVerify) {
  ASSERT_GE(vectors_["consistency_proofs"].size(), 4u);
  for (const Json& v : vectors_["consistency_proofs"]) {
    const auto size1 = v["size1"].get<std::uint64_t>();
    const auto size2 = v["size2"].get<std::uint64_t>();
    SCOPED_TRACE(std::to_string(size1) + " -> " + std::to_string(size2));
    std::vector<std::string> want = v["proof_hex"].get<std::vector<std::string>>();
    StatusOr<std::vector<Digest>> proof = ProveConsistency(size1, size2, tree_.Reader());
    ASSERT_OK(proof);
    EXPECT_EQ(HexList(*proof), want);
    EXPECT_EQ(HexList(ReferenceConsistencyProof(tree_.leaves(size2), size1)), want);
    EXPECT_OK(VerifyConsistency(size1, size2, DigestFromHex(v["root1_hex"].get<std::string>()),
                                DigestFromHex(v["root2_hex"].get<std::string>()), *proof));
  }
}

TEST_F(ReferenceTreeTest, EveryProofBetweenAllSizesVerifies) {
  for (std::uint64_t size = 1; size <= 8; ++size) {
    const Digest root = *TreeHash(size, tree_.Reader());
    for (std::uint64_t index = 0; index < size; ++index) {
      StatusOr<std::vector<Digest>> proof = ProveInclusion(size, index, tree_.Reader());
      ASSERT_OK(proof);
      EXPECT_OK(VerifyInclusion(index, size, tree_.leaves(8)[index], *proof, root));
    }
    for (std::uint64_t old_size = 1; old_size <= size; ++old_size) {
      StatusOr<std::vector<Digest>> proof = ProveConsistency(old_size, size, tree_.Reader());
      ASSERT_OK(proof);
      EXPECT_OK(
          VerifyConsistency(old_size, size, *TreeHash(old_size, tree_.Reader()), root, *proof));
    }
  }
}

// --- Argument checks and boundary rules ---------------------------------------------

TEST(MerkleTest, InclusionProofOfLeafOutsideTreeIsInvalidArgument) {
  MemoryTree tree;
  ASSERT_OK(tree.Append(LeafHash(AsBytes("a"))));
  EXPECT_EQ(ProveInclusion(1, 1, tree.Reader()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveInclusion(0, 0, tree.Reader()).status().code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTest, InclusionProofInSingleLeafTreeIsEmpty) {
  MemoryTree tree;
  ASSERT_OK(tree.Append(LeafHash(AsBytes("a"))));
  StatusOr<std::vector<Digest>> proof = ProveInclusion(1, 0, tree.Reader());
  ASSERT_OK(proof);
  EXPECT_TRUE(proof->empty());
  EXPECT_EQ(tree.read_calls(), 0);
  EXPECT_OK(VerifyInclusion(0, 1, LeafHash(AsBytes("a")), {}, LeafHash(AsBytes("a"))));
}

TEST(MerkleTest, ConsistencyProofFromEmptyTreeIsError) {
  MemoryTree tree;
  ASSERT_OK(tree.Append(LeafHash(AsBytes("a"))));
  EXPECT_EQ(ProveConsistency(0, 1, tree.Reader()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveConsistency(0, 0, tree.Reader()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(0, 0, EmptyTreeRoot(), EmptyTreeRoot(), {}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(0, 1, EmptyTreeRoot(), LeafHash(AsBytes("a")), {}).code(),
            ErrorCode::kInvalidArgument);
}

TEST(MerkleTest, ConsistencyProofToSmallerTreeIsError) {
  MemoryTree tree;
  ASSERT_OK(tree.Append(LeafHash(AsBytes("a"))));
  ASSERT_OK(tree.Append(LeafHash(AsBytes("b"))));
  EXPECT_EQ(ProveConsistency(2, 1, tree.Reader()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(2, 1, Digest{}, Digest{}, {}).code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTest, ConsistencyBetweenEqualSizesNeedsEmptyProofAndEqualRoots) {
  MemoryTree tree;
  ASSERT_OK(tree.Append(LeafHash(AsBytes("a"))));
  ASSERT_OK(tree.Append(LeafHash(AsBytes("b"))));
  StatusOr<std::vector<Digest>> proof = ProveConsistency(2, 2, tree.Reader());
  ASSERT_OK(proof);
  EXPECT_TRUE(proof->empty());
  const Digest root = *TreeHash(2, tree.Reader());
  EXPECT_OK(VerifyConsistency(2, 2, root, root, {}));
  const std::vector<Digest> extra = {root};
  EXPECT_EQ(VerifyConsistency(2, 2, root, root, extra).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(VerifyConsistency(2, 2, root, Digest{}, {}).code(), ErrorCode::kFailedPrecondition);
}

TEST(MerkleTest, InclusionVerificationOfIndexBeyondSizeIsInvalidArgument) {
  EXPECT_EQ(VerifyInclusion(3, 3, Digest{}, {}, Digest{}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(0, 0, Digest{}, {}, Digest{}).code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTest, HugeTreeSizesAreRejectedNotOverflowed) {
  const HashReader never = [](std::span<const std::uint64_t>, std::vector<Digest>*) {
    ADD_FAILURE() << "reader called";
    return Status::Internal("unreachable");
  };
  const std::uint64_t huge = std::uint64_t{1} << 63;
  EXPECT_EQ(TreeHash(huge, never).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveInclusion(huge, 0, never).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveConsistency(1, huge, never).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(StoredHashesForLeaf(~std::uint64_t{0}, Digest{}, never).status().code(),
            ErrorCode::kInvalidArgument);
  // Verification needs no reads, so it works at any size (and fails cleanly).
  const std::vector<Digest> proof(64, Digest{});
  EXPECT_EQ(VerifyInclusion(huge - 1, ~std::uint64_t{0}, Digest{}, proof, Digest{}).code(),
            ErrorCode::kFailedPrecondition);
}

TEST(MerkleTest, ProofsCostOneReadOfLogarithmicallyManyHashes) {
  std::mt19937_64 rng(4);
  MemoryTree tree;
  BuildRandomTree(1000, rng, &tree);
  for (std::uint64_t size : {1u, 2u, 3u, 255u, 256u, 257u, 777u, 999u, 1000u}) {
    const auto bound = static_cast<std::size_t>(2 * std::bit_width(size) + 1);
    tree.ResetCounters();
    ASSERT_OK(TreeHash(size, tree.Reader()));
    EXPECT_LE(tree.read_calls(), 1);
    EXPECT_LE(tree.hashes_read(), static_cast<std::size_t>(std::bit_width(size)));
    for (std::uint64_t index : {std::uint64_t{0}, size / 2, size - 1}) {
      tree.ResetCounters();
      ASSERT_OK(ProveInclusion(size, index, tree.Reader()));
      EXPECT_LE(tree.read_calls(), 1) << size << " " << index;
      EXPECT_LE(tree.hashes_read(), bound) << size << " " << index;
    }
    for (std::uint64_t old_size : {std::uint64_t{1}, (size + 1) / 2, size}) {
      tree.ResetCounters();
      ASSERT_OK(ProveConsistency(old_size, size, tree.Reader()));
      EXPECT_LE(tree.read_calls(), 1) << old_size << " " << size;
      EXPECT_LE(tree.hashes_read(), bound) << old_size << " " << size;
    }
  }
}

TEST(MerkleTest, InclusionProofDoesNotBindTreeSizeOnlyRoot) {
  // formats.md §4.1: leaf 0's path in a 37-leaf tree verifies for claimed sizes 33..64.
  std::mt19937_64 rng(5);
  MemoryTree tree;
  BuildRandomTree(37, rng, &tree);
  const Digest root = *TreeHash(37, tree.Reader());
  StatusOr<std::vector<Digest>> proof = ProveInclusion(37, 0, tree.Reader());
  ASSERT_OK(proof);
  for (std::uint64_t claimed = 30; claimed <= 70; ++claimed) {
    const bool want = claimed >= 33 && claimed <= 64;
    EXPECT_EQ(VerifyInclusion(0, claimed, tree.leaves(1)[0], *proof, root).ok(), want) << claimed;
  }
}

// --- Randomized differential test against the RFC reference ---------------------------

constexpr std::uint64_t kMaxRandomTree = 300;

// Indexes in [lo, hi] to test: all of them for small ranges, else a sample with both ends.
std::vector<std::uint64_t> Sample(std::uint64_t lo, std::uint64_t hi, std::mt19937_64& rng) {
  std::vector<std::uint64_t> out;
  if (hi - lo < 64) {
    for (std::uint64_t i = lo; i <= hi; ++i) out.push_back(i);
    return out;
  }
  out = {lo, hi};
  std::uniform_int_distribution<std::uint64_t> pick(lo, hi);
  for (int i = 0; i < 6; ++i) out.push_back(pick(rng));
  return out;
}

Digest FlipBit(Digest d, std::mt19937_64& rng) {
  const std::uint64_t bit = rng() % 256;
  d[bit / 8] = static_cast<std::uint8_t>(d[bit / 8] ^ (1u << (bit % 8)));
  return d;
}

TEST(MerkleTest, TreeHashMatchesReferenceForRandomTrees) {
  std::mt19937_64 rng(20260101);
  MemoryTree tree;
  BuildRandomTree(kMaxRandomTree, rng, &tree);
  for (std::uint64_t n = 1; n <= kMaxRandomTree; ++n) {
    StatusOr<Digest> root = TreeHash(n, tree.Reader());
    ASSERT_OK(root);
    ASSERT_EQ(*root, ReferenceRoot(tree.leaves(n))) << n;
  }
}

TEST(MerkleTest, InclusionProofsMatchReferenceAndRejectTampering) {
  std::mt19937_64 rng(20260102);
  MemoryTree tree;
  BuildRandomTree(kMaxRandomTree, rng, &tree);
  for (std::uint64_t size = 1; size <= kMaxRandomTree; ++size) {
    const Digest root = *TreeHash(size, tree.Reader());
    for (std::uint64_t index : Sample(0, size - 1, rng)) {
      SCOPED_TRACE("leaf " + std::to_string(index) + " size " + std::to_string(size));
      const Digest leaf = tree.leaves(size)[index];
      StatusOr<std::vector<Digest>> got = ProveInclusion(size, index, tree.Reader());
      ASSERT_OK(got);
      const std::vector<Digest>& proof = *got;
      ASSERT_EQ(proof, ReferenceInclusionProof(tree.leaves(size), index));
      ASSERT_OK(VerifyInclusion(index, size, leaf, proof, root));

      EXPECT_FALSE(VerifyInclusion(index, size, FlipBit(leaf, rng), proof, root).ok());
      EXPECT_FALSE(VerifyInclusion(index, size, leaf, proof, FlipBit(root, rng)).ok());
      if (!proof.empty()) {
        std::vector<Digest> bad = proof;
        const std::size_t at = rng() % bad.size();
        bad[at] = FlipBit(bad[at], rng);
        EXPECT_EQ(VerifyInclusion(index, size, leaf, bad, root).code(),
                  ErrorCode::kFailedPrecondition);
        bad = proof;
        bad.pop_back();
        EXPECT_EQ(VerifyInclusion(index, size, leaf, bad, root).code(),
                  ErrorCode::kFailedPrecondition);
      }
      std::vector<Digest> longer = proof;
      longer.push_back(root);
      EXPECT_EQ(VerifyInclusion(index, size, leaf, longer, root).code(),
                ErrorCode::kFailedPrecondition);
      for (std::uint64_t other : {index + 1, index - 1, index ^ 2}) {
        if (other == index || other >= size) continue;
        EXPECT_FALSE(VerifyInclusion(other, size, leaf, proof, root).ok()) << "index " << other;
      }
      // Another size verifies exactly when its RFC 6962 path has the same shape.
      for (std::uint64_t other : {size + 1, size - 1, size * 2, size / 2 + 1}) {
        if (other == size || other <= index) continue;
        const bool same_shape = PathShape(index, other) == PathShape(index, size);
        EXPECT_EQ(VerifyInclusion(index, other, leaf, proof, root).ok(), same_shape)
            << "size " << other;
      }
    }
  }
}

TEST(MerkleTest, ConsistencyProofsMatchReferenceAndRejectTampering) {
  std::mt19937_64 rng(20260103);
  MemoryTree tree;
  BuildRandomTree(kMaxRandomTree, rng, &tree);
  std::vector<Digest> roots = {EmptyTreeRoot()};
  for (std::uint64_t n = 1; n <= kMaxRandomTree; ++n) roots.push_back(*TreeHash(n, tree.Reader()));
  for (std::uint64_t size2 = 1; size2 <= kMaxRandomTree; ++size2) {
    const Digest& root2 = roots[size2];
    for (std::uint64_t size1 : Sample(1, size2, rng)) {
      SCOPED_TRACE(std::to_string(size1) + " -> " + std::to_string(size2));
      const Digest& root1 = roots[size1];
      StatusOr<std::vector<Digest>> got = ProveConsistency(size1, size2, tree.Reader());
      ASSERT_OK(got);
      const std::vector<Digest>& proof = *got;
      ASSERT_EQ(proof, ReferenceConsistencyProof(tree.leaves(size2), size1));
      ASSERT_OK(VerifyConsistency(size1, size2, root1, root2, proof));
      if (size1 == size2) continue;

      ASSERT_FALSE(proof.empty());
      EXPECT_FALSE(VerifyConsistency(size1, size2, FlipBit(root1, rng), root2, proof).ok());
      EXPECT_FALSE(VerifyConsistency(size1, size2, root1, FlipBit(root2, rng), proof).ok());
      std::vector<Digest> bad = proof;
      const std::size_t at = rng() % bad.size();
      bad[at] = FlipBit(bad[at], rng);
      EXPECT_EQ(VerifyConsistency(size1, size2, root1, root2, bad).code(),
                ErrorCode::kFailedPrecondition);
      bad = proof;
      bad.pop_back();
      EXPECT_EQ(VerifyConsistency(size1, size2, root1, root2, bad).code(),
                ErrorCode::kFailedPrecondition);
      std::vector<Digest> longer = proof;
      longer.push_back(root2);
      EXPECT_EQ(VerifyConsistency(size1, size2, root1, root2, longer).code(),
                ErrorCode::kFailedPrecondition);
      // Other claimed sizes (with the same roots) verify exactly when the proof has the
      // same shape: like an inclusion proof, a consistency proof binds roots, not sizes.
      for (std::uint64_t other : {size1 + 1, size1 - 1, size1 / 2}) {
        if (other == 0 || other >= size2 || other == size1) continue;
        const bool same_shape =
            ConsistencyShape(other, size2, true) == ConsistencyShape(size1, size2, true);
        EXPECT_EQ(VerifyConsistency(other, size2, root1, root2, proof).ok(), same_shape)
            << "size1 " << other;
      }
      for (std::uint64_t other : {size2 + 1, size2 - 1, size2 * 2}) {
        if (other <= size1 || other == size2) continue;
        const bool same_shape =
            ConsistencyShape(size1, other, true) == ConsistencyShape(size1, size2, true);
        EXPECT_EQ(VerifyConsistency(size1, other, root1, root2, proof).ok(), same_shape)
            << "size2 " << other;
      }
      // Swapped roots never verify.
      EXPECT_FALSE(VerifyConsistency(size1, size2, root2, root1, proof).ok());
    }
  }
}

// --- A batch's proofs at once (group commit's receipts) ----------------------------

// Every receipt of a batch equals the per-entry proof and verifies: batches of 1, 2, 3,
// 7, 64 and more entries after logs of many sizes, including batches that start or end
// at a 256-leaf tile's edge or straddle one, and batches that are the whole tree.
TEST(MerkleTest, ProofsOfABatchEqualThePerEntryProofsAndVerify) {
  std::mt19937_64 rng(20261206);
  MemoryTree tree;
  BuildRandomTree(1100, rng, &tree);
  const std::vector<std::uint64_t> befores = {0,   1,   2,   3,   5,   7,   8,   15,  16,
                                              17,  63,  64,  65,  192, 200, 250, 255, 256,
                                              257, 300, 511, 512, 700, 768, 1000};
  const std::vector<std::uint64_t> counts = {1, 2, 3, 4, 7, 8, 9, 64, 65, 100};
  for (std::uint64_t before : befores) {
    for (std::uint64_t count : counts) {
      const std::uint64_t size = before + count;
      ASSERT_LE(size, tree.size());
      const std::span<const Digest> batch = tree.leaves(size).subspan(before);
      const Digest root = ReferenceRoot(tree.leaves(size));
      tree.ResetCounters();
      auto proofs = ProveInclusionOfLastLeaves(size, batch, tree.Reader());
      ASSERT_OK(proofs);
      // One read, of at most one subtree per level, and none if the batch is the tree.
      EXPECT_EQ(tree.read_calls(), before == 0 ? 0 : 1) << before << "+" << count;
      EXPECT_LE(tree.hashes_read(), static_cast<std::size_t>(std::bit_width(size)));
      ASSERT_EQ(proofs->size(), count);
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t index = before + i;
        auto one = ProveInclusion(size, index, tree.Reader());
        ASSERT_OK(one);
        ASSERT_EQ(HexList((*proofs)[i]), HexList(*one)) << index << " of " << size;
        ASSERT_EQ(HexList((*proofs)[i]),
                  HexList(ReferenceInclusionProof(tree.leaves(size), index)));
        ASSERT_OK(VerifyInclusion(index, size, batch[i], (*proofs)[i], root));
      }
    }
  }
}

TEST(MerkleTest, ProofsOfABatchRefuseAnEmptyOrOversizedBatchAndPassReaderErrors) {
  std::mt19937_64 rng(20261207);
  MemoryTree tree;
  BuildRandomTree(10, rng, &tree);
  EXPECT_EQ(ProveInclusionOfLastLeaves(10, {}, tree.Reader()).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveInclusionOfLastLeaves(3, tree.leaves(4), tree.Reader()).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      ProveInclusionOfLastLeaves(kMaxTreeSize + 1, tree.leaves(1), tree.Reader()).status().code(),
      ErrorCode::kInvalidArgument);
  // A batch after leaves the reader does not have: its error, not a wrong proof.
  MemoryTree empty;
  EXPECT_EQ(ProveInclusionOfLastLeaves(12, tree.leaves(2), empty.Reader()).status().code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace ipledger
