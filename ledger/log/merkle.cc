#include "ledger/log/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <string>

namespace ipledger {
namespace {

Status CheckTreeSize(std::uint64_t n, const char* what) {
  if (n > kMaxTreeSize) {
    return Status::InvalidArgument(std::string(what) + " " + std::to_string(n) +
                                   " exceeds the maximum tree size 2^62");
  }
  return Status::Ok();
}

// Largest power of two strictly less than n (n >= 2): the RFC 6962 split point.
std::uint64_t SplitPoint(std::uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// Reads `indexes` through `reader` and checks it kept the HashReader contract.
Status ReadAll(const HashReader& reader, const std::vector<std::uint64_t>& indexes,
               std::vector<Digest>* out) {
  out->clear();
  if (indexes.empty()) return Status::Ok();
  if (Status s = reader(indexes, out); !s.ok()) return s;
  if (out->size() != indexes.size()) {
    return Status::Internal("HashReader returned " + std::to_string(out->size()) + " hashes for " +
                            std::to_string(indexes.size()) + " indexes");
  }
  return Status::Ok();
}

// Appends the stored-hash indexes of the perfect subtrees that make up leaves
// [lo, hi), largest (leftmost) first.
void SubTreeIndex(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>* need) {
  while (lo < hi) {
    const std::uint64_t k = std::bit_floor(hi - lo);
    const int level = std::countr_zero(k);
    assert((lo & (k - 1)) == 0);
    need->push_back(StoredHashIndex(level, lo >> level));
    lo += k;
  }
}

// Combines the hashes SubTreeIndex(lo, hi) asked for, starting at (*pos), into the
// root of leaves [lo, hi), and advances *pos past them.
Digest SubTreeHash(std::uint64_t lo, std::uint64_t hi, const std::vector<Digest>& hashes,
                   std::size_t* pos) {
  assert(lo < hi);
  const auto num_trees = static_cast<std::size_t>(std::popcount(hi - lo));
  assert(*pos + num_trees <= hashes.size());
  const std::size_t first = *pos;
  Digest h = hashes[first + num_trees - 1];
  for (std::size_t i = num_trees - 1; i > 0; --i) h = NodeHash(hashes[first + i - 1], h);
  *pos += num_trees;
  return h;
}

// Indexes needed for the inclusion path of leaf n in leaves [lo, hi).
void LeafProofIndex(std::uint64_t lo, std::uint64_t hi, std::uint64_t n,
                    std::vector<std::uint64_t>* need) {
  assert(lo <= n && n < hi);
  if (lo + 1 == hi) return;
  const std::uint64_t k = SplitPoint(hi - lo);
  if (n < lo + k) {
    LeafProofIndex(lo, lo + k, n, need);
    SubTreeIndex(lo + k, hi, need);
  } else {
    SubTreeIndex(lo, lo + k, need);
    LeafProofIndex(lo + k, hi, n, need);
  }
}

// The inclusion path of leaf n in leaves [lo, hi), consuming hashes in the order
// LeafProofIndex listed them.
void LeafProof(std::uint64_t lo, std::uint64_t hi, std::uint64_t n,
               const std::vector<Digest>& hashes, std::size_t* pos, std::vector<Digest>* proof) {
  assert(lo <= n && n < hi);
  if (lo + 1 == hi) return;  // the verifier has the leaf hash
  const std::uint64_t k = SplitPoint(hi - lo);
  Digest sibling;
  if (n < lo + k) {
    LeafProof(lo, lo + k, n, hashes, pos, proof);
    sibling = SubTreeHash(lo + k, hi, hashes, pos);
  } else {
    sibling = SubTreeHash(lo, lo + k, hashes, pos);
    LeafProof(lo + k, hi, n, hashes, pos, proof);
  }
  proof->push_back(sibling);
}

// Indexes needed for SUBPROOF(n, leaves [lo, hi), lo == 0).
void TreeProofIndex(std::uint64_t lo, std::uint64_t hi, std::uint64_t n,
                    std::vector<std::uint64_t>* need) {
  assert(lo < n && n <= hi);
  if (n == hi) {
    if (lo != 0) SubTreeIndex(lo, hi, need);
    return;
  }
  const std::uint64_t k = SplitPoint(hi - lo);
  if (n <= lo + k) {
    TreeProofIndex(lo, lo + k, n, need);
    SubTreeIndex(lo + k, hi, need);
  } else {
    SubTreeIndex(lo, lo + k, need);
    TreeProofIndex(lo + k, hi, n, need);
  }
}

// SUBPROOF(n, leaves [lo, hi), lo == 0), consuming hashes in TreeProofIndex order.
void TreeProof(std::uint64_t lo, std::uint64_t hi, std::uint64_t n,
               const std::vector<Digest>& hashes, std::size_t* pos, std::vector<Digest>* proof) {
  assert(lo < n && n <= hi);
  if (n == hi) {
    // The old tree itself needs no hash: the verifier has its root.
    if (lo != 0) proof->push_back(SubTreeHash(lo, hi, hashes, pos));
    return;
  }
  const std::uint64_t k = SplitPoint(hi - lo);
  Digest other;
  if (n <= lo + k) {
    TreeProof(lo, lo + k, n, hashes, pos, proof);
    other = SubTreeHash(lo + k, hi, hashes, pos);
  } else {
    other = SubTreeHash(lo, lo + k, hashes, pos);
    TreeProof(lo + k, hi, n, hashes, pos, proof);
  }
  proof->push_back(other);
}

Digest ReferenceRootOf(std::span<const Digest> d) {
  if (d.empty()) return EmptyTreeRoot();
  if (d.size() == 1) return d[0];
  const auto k = static_cast<std::size_t>(SplitPoint(d.size()));
  return NodeHash(ReferenceRootOf(d.first(k)), ReferenceRootOf(d.subspan(k)));
}

void ReferencePath(std::uint64_t m, std::span<const Digest> d, std::vector<Digest>* out) {
  if (d.size() <= 1) return;
  const auto k = static_cast<std::size_t>(SplitPoint(d.size()));
  if (m < k) {
    ReferencePath(m, d.first(k), out);
    out->push_back(ReferenceRootOf(d.subspan(k)));
  } else {
    ReferencePath(m - k, d.subspan(k), out);
    out->push_back(ReferenceRootOf(d.first(k)));
  }
}

void ReferenceSubproof(std::uint64_t m, std::span<const Digest> d, bool b,
                       std::vector<Digest>* out) {
  if (m == d.size()) {
    if (!b) out->push_back(ReferenceRootOf(d));
    return;
  }
  const auto k = static_cast<std::size_t>(SplitPoint(d.size()));
  if (m <= k) {
    ReferenceSubproof(m, d.first(k), b, out);
    out->push_back(ReferenceRootOf(d.subspan(k)));
  } else {
    ReferenceSubproof(m - k, d.subspan(k), false, out);
    out->push_back(ReferenceRootOf(d.first(k)));
  }
}

Status ProofFailed(const std::string& what) {
  return Status::FailedPrecondition(what + " does not verify");
}

}  // namespace

Digest LeafHash(ByteView leaf) {
  const std::uint8_t prefix = 0x00;
  return Sha256Hasher().Update(ByteView(&prefix, 1)).Update(leaf).Final();
}

Digest NodeHash(const Digest& left, const Digest& right) {
  std::array<std::uint8_t, 1 + 2 * 32> buf{};
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf.begin() + 1);
  std::copy(right.begin(), right.end(), buf.begin() + 1 + 32);
  return Sha256(buf);
}

Digest EmptyTreeRoot() { return Sha256(ByteView()); }

// Precondition: the result fits in uint64 (true for every subtree of a tree of at most
// 2^62 leaves).
std::uint64_t StoredHashIndex(int level, std::uint64_t n) {
  // Level L's hash n is stored right after level L-1's hash 2n+1; walk down to level 0.
  for (int l = level; l > 0; --l) n = 2 * n + 1;
  // Level 0's hash n is stored at n + n/2 + n/4 + ...
  std::uint64_t i = 0;
  for (; n > 0; n >>= 1) i += n;
  return i + static_cast<std::uint64_t>(level);
}

StoredHashPosition SplitStoredHashIndex(std::uint64_t index) {
  // Leaf n's hash is stored at 2n - popcount(n), followed by one hash per subtree that
  // leaf completes; so the leaf that stored `index` is within ~64 above index / 2.
  auto leaf_index = [](std::uint64_t n) {
    return 2 * n - static_cast<std::uint64_t>(std::popcount(n));
  };
  std::uint64_t n = index / 2;
  std::uint64_t at = leaf_index(n);
  assert(at <= index);
  for (;;) {
    const std::uint64_t next = at + 1 + static_cast<std::uint64_t>(std::countr_one(n));
    if (next > index) break;
    ++n;
    at = next;
  }
  const auto level = static_cast<int>(index - at);
  return {level, n >> level};
}

std::uint64_t StoredHashCount(std::uint64_t n) {
  if (n == 0) return 0;
  // Hashes up to the last leaf hash, plus one per subtree completed by that leaf.
  return StoredHashIndex(0, n - 1) + 1 + static_cast<std::uint64_t>(std::countr_one(n - 1));
}

StatusOr<std::vector<Digest>> StoredHashesForLeaf(std::uint64_t n, const Digest& leaf_hash,
                                                  const HashReader& reader) {
  if (Status s = CheckTreeSize(n, "leaf index"); !s.ok()) return s;
  // Each trailing 1 bit of n completes a subtree, whose left half is already stored.
  const int m = std::countr_one(n);
  std::vector<std::uint64_t> indexes(static_cast<std::size_t>(m));
  for (int i = 0; i < m; ++i) {
    indexes[static_cast<std::size_t>(m - 1 - i)] = StoredHashIndex(i, (n >> i) - 1);
  }
  std::vector<Digest> old;
  if (Status s = ReadAll(reader, indexes, &old); !s.ok()) return s;
  std::vector<Digest> hashes;
  hashes.reserve(static_cast<std::size_t>(m) + 1);
  Digest h = leaf_hash;
  hashes.push_back(h);
  for (int i = 0; i < m; ++i) {
    h = NodeHash(old[static_cast<std::size_t>(m - 1 - i)], h);
    hashes.push_back(h);
  }
  return hashes;
}

StatusOr<Digest> TreeHash(std::uint64_t n, const HashReader& reader) {
  if (n == 0) return EmptyTreeRoot();
  if (Status s = CheckTreeSize(n, "tree size"); !s.ok()) return s;
  std::vector<std::uint64_t> indexes;
  SubTreeIndex(0, n, &indexes);
  std::vector<Digest> hashes;
  if (Status s = ReadAll(reader, indexes, &hashes); !s.ok()) return s;
  std::size_t pos = 0;
  const Digest root = SubTreeHash(0, n, hashes, &pos);
  assert(pos == hashes.size());
  return root;
}

StatusOr<std::vector<Digest>> ProveInclusion(std::uint64_t size, std::uint64_t index,
                                             const HashReader& reader) {
  if (index >= size) {
    return Status::InvalidArgument("inclusion proof of leaf " + std::to_string(index) +
                                   " in a tree of size " + std::to_string(size));
  }
  if (Status s = CheckTreeSize(size, "tree size"); !s.ok()) return s;
  std::vector<std::uint64_t> indexes;
  LeafProofIndex(0, size, index, &indexes);
  std::vector<Digest> hashes;
  if (Status s = ReadAll(reader, indexes, &hashes); !s.ok()) return s;
  std::vector<Digest> proof;
  std::size_t pos = 0;
  LeafProof(0, size, index, hashes, &pos, &proof);
  assert(pos == hashes.size());
  return proof;
}

namespace {

// For ProveInclusionOfLastLeaves: the leaves [first, size) are in memory. Appends the
// stored-hash indexes of the subtrees of [lo, hi) that lie wholly before `first`, in the
// order BatchNode meets them. Each is a left child in RFC 6962's split, so perfect.
void BatchStoredIndex(std::uint64_t lo, std::uint64_t hi, std::uint64_t first,
                      std::vector<std::uint64_t>* need) {
  if (hi <= first) {
    const int level = std::countr_zero(hi - lo);
    assert(std::has_single_bit(hi - lo) && (lo & ((hi - lo) - 1)) == 0);
    need->push_back(StoredHashIndex(level, lo >> level));
    return;
  }
  if (hi - lo == 1) return;  // a leaf of the batch
  const std::uint64_t k = SplitPoint(hi - lo);
  BatchStoredIndex(lo, lo + k, first, need);
  BatchStoredIndex(lo + k, hi, first, need);
}

// Appends to the path of every batch leaf in [lo, hi) the sibling hashes below this
// node, lowest first (so a parent's sibling is appended after its children's: RFC
// 6962's order, the leaf's sibling first). Returns the hash of leaves [lo, hi) if
// `need_hash` (some batch leaf's path has this node as its sibling), else nothing is
// hashed: a batch of one costs what a single proof does.
Digest BatchNode(std::uint64_t lo, std::uint64_t hi, std::uint64_t first,
                 std::span<const Digest> leaf_hashes, const std::vector<Digest>& stored,
                 std::size_t* pos, std::vector<std::vector<Digest>>* proofs, bool need_hash) {
  if (hi <= first) return stored[(*pos)++];
  if (hi - lo == 1) return leaf_hashes[lo - first];
  const std::uint64_t mid = lo + SplitPoint(hi - lo);
  // The right half always holds batch leaves (the batch runs to the tree's end), so the
  // left half is always a sibling; the right half is one only if the left holds some,
  // and is needed besides if this node's own hash is.
  const Digest left = BatchNode(lo, mid, first, leaf_hashes, stored, pos, proofs, true);
  const Digest right =
      BatchNode(mid, hi, first, leaf_hashes, stored, pos, proofs, need_hash || mid > first);
  for (std::uint64_t m = std::max(lo, first); m < mid; ++m) (*proofs)[m - first].push_back(right);
  for (std::uint64_t m = std::max(mid, first); m < hi; ++m) (*proofs)[m - first].push_back(left);
  return need_hash ? NodeHash(left, right) : Digest{};
}

}  // namespace

StatusOr<std::vector<std::vector<Digest>>> ProveInclusionOfLastLeaves(
    std::uint64_t size, std::span<const Digest> leaf_hashes, const HashReader& reader) {
  if (leaf_hashes.empty() || leaf_hashes.size() > size) {
    return Status::InvalidArgument("inclusion proofs of the last " +
                                   std::to_string(leaf_hashes.size()) +
                                   " leaves of a tree of size " + std::to_string(size));
  }
  if (Status s = CheckTreeSize(size, "tree size"); !s.ok()) return s;
  const std::uint64_t first = size - leaf_hashes.size();
  std::vector<std::uint64_t> indexes;
  BatchStoredIndex(0, size, first, &indexes);
  std::vector<Digest> stored;
  if (Status s = ReadAll(reader, indexes, &stored); !s.ok()) return s;
  std::vector<std::vector<Digest>> proofs(leaf_hashes.size());
  const auto depth = static_cast<std::size_t>(std::bit_width(size - 1));
  for (auto& p : proofs) p.reserve(depth);
  std::size_t pos = 0;
  BatchNode(0, size, first, leaf_hashes, stored, &pos, &proofs, false);
  assert(pos == stored.size());
  return proofs;
}

StatusOr<std::vector<Digest>> ProveConsistency(std::uint64_t old_size, std::uint64_t new_size,
                                               const HashReader& reader) {
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof from size " + std::to_string(old_size) +
                                   " to size " + std::to_string(new_size));
  }
  if (Status s = CheckTreeSize(new_size, "tree size"); !s.ok()) return s;
  std::vector<std::uint64_t> indexes;
  TreeProofIndex(0, new_size, old_size, &indexes);
  std::vector<Digest> hashes;
  if (Status s = ReadAll(reader, indexes, &hashes); !s.ok()) return s;
  std::vector<Digest> proof;
  std::size_t pos = 0;
  TreeProof(0, new_size, old_size, hashes, &pos, &proof);
  assert(pos == hashes.size());
  return proof;
}

Status VerifyInclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf_hash,
                       std::span<const Digest> proof, const Digest& root) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is not below tree size " + std::to_string(size));
  }
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return ProofFailed("inclusion proof (too long)");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFailed("inclusion proof (too short)");
  if (r != root) return ProofFailed("inclusion proof of leaf " + std::to_string(index));
  return Status::Ok();
}

Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, const Digest& root1,
                         const Digest& root2, std::span<const Digest> proof) {
  if (size1 == 0) return Status::InvalidArgument("consistency proof from size 0");
  if (size1 > size2) {
    return Status::InvalidArgument("consistency proof from size " + std::to_string(size1) +
                                   " to smaller size " + std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) return ProofFailed("non-empty consistency proof between equal sizes");
    if (root1 != root2) return ProofFailed("consistency of different roots of equal size");
    return Status::Ok();
  }
  if (proof.empty()) return ProofFailed("empty consistency proof");

  // When size1 is a power of two the old root is the first node of the path.
  std::size_t next = 0;
  Digest fr;
  if (std::has_single_bit(size1)) {
    fr = root1;
  } else {
    fr = proof[0];
    next = 1;
  }
  Digest sr = fr;
  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {
    const Digest& c = proof[next];
    if (sn == 0) return ProofFailed("consistency proof (too long)");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFailed("consistency proof (too short)");
  if (fr != root1 || sr != root2) {
    return ProofFailed("consistency proof from size " + std::to_string(size1) + " to size " +
                       std::to_string(size2));
  }
  return Status::Ok();
}

Digest ReferenceRoot(std::span<const Digest> leaf_hashes) { return ReferenceRootOf(leaf_hashes); }

std::vector<Digest> ReferenceInclusionProof(std::span<const Digest> leaf_hashes,
                                            std::uint64_t index) {
  std::vector<Digest> out;
  if (index >= leaf_hashes.size()) return out;
  ReferencePath(index, leaf_hashes, &out);
  return out;
}

std::vector<Digest> ReferenceConsistencyProof(std::span<const Digest> leaf_hashes,
                                              std::uint64_t old_size) {
  std::vector<Digest> out;
  if (old_size == 0 || old_size > leaf_hashes.size()) return out;
  ReferenceSubproof(old_size, leaf_hashes, true, &out);
  return out;
}

}  // namespace ipledger
