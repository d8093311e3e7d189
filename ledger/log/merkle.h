// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, over Go
// tlog's stored-hash numbering (golang.org/x/mod/sumdb/tlog).
//
// Stored hashes: appending leaf n stores its leaf hash and one hash for every perfect
// subtree it completes, at consecutive indexes (a dense post-order numbering).
// StoredHashIndex(level, n) is where the root of the perfect subtree of height
// `level` covering leaves [n·2^level, (n+1)·2^level) lives. Proof generation reads
// O(log n) stored hashes through a HashReader. Verification follows RFC 9162
// §2.1.3.2 / §2.1.4.2 plus the boundary rules of formats.md §4.1.
//
// Pure functions; thread-safe as long as the HashReader is.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "crypto/hash.h"
#include "ledger/base/status.h"

namespace ipledger {

// SHA-256(0x00 || leaf).
Digest LeafHash(ByteView leaf);
// SHA-256(0x01 || left || right).
Digest NodeHash(const Digest& left, const Digest& right);
// Root of the empty tree: SHA-256("").
Digest EmptyTreeRoot();

// Reads the stored hashes at `indexes` (in that order) into `out` (resized to
// indexes.size()). Returns kNotFound or kCorruption if one is missing or unreadable.
using HashReader =
    std::function<Status(std::span<const std::uint64_t> indexes, std::vector<Digest>* out)>;

// Largest tree size (and leaf index) the functions below that read stored hashes accept;
// larger ones are kInvalidArgument. Keeps every stored-hash index (< 2·size) in uint64.
inline constexpr std::uint64_t kMaxTreeSize = std::uint64_t{1} << 62;

// Index of the stored hash of the perfect subtree at `level` numbered `n`.
std::uint64_t StoredHashIndex(int level, std::uint64_t n);
// Inverse of StoredHashIndex: the (level, n) whose stored hash is at `index`.
// Precondition: index < StoredHashCount(kMaxTreeSize).
struct StoredHashPosition {
  int level = 0;
  std::uint64_t n = 0;
};
StoredHashPosition SplitStoredHashIndex(std::uint64_t index);
// Number of stored hashes for a tree of `n` leaves.
std::uint64_t StoredHashCount(std::uint64_t n);

// The stored hashes to append for leaf `n` with hash `leaf_hash` (the leaf hash first,
// then each newly completed subtree root), to be stored at StoredHashCount(n),
// StoredHashCount(n)+1, ... Reads at most log2(n) earlier hashes through `reader`.
StatusOr<std::vector<Digest>> StoredHashesForLeaf(std::uint64_t n, const Digest& leaf_hash,
                                                  const HashReader& reader);

// RFC 6962 root of the first `n` leaves (EmptyTreeRoot() for n = 0).
StatusOr<Digest> TreeHash(std::uint64_t n, const HashReader& reader);

// Inclusion path of leaf `index` in the tree of `size` leaves, leaf's sibling first.
// kInvalidArgument unless index < size.
StatusOr<std::vector<Digest>> ProveInclusion(std::uint64_t size, std::uint64_t index,
                                             const HashReader& reader);

// The inclusion paths of the last leaf_hashes.size() leaves of the tree of `size` leaves
// (leaves size - count .. size - 1, whose leaf hashes are given, in order), each equal
// to ProveInclusion(size, index, reader): a batch's receipts at once. The hashes above
// the batch are computed once for all of them, those within it from `leaf_hashes`; the
// reader is called once, for the perfect subtrees wholly before the batch (at most one
// per level). kInvalidArgument unless 0 < count <= size.
StatusOr<std::vector<std::vector<Digest>>> ProveInclusionOfLastLeaves(
    std::uint64_t size, std::span<const Digest> leaf_hashes, const HashReader& reader);

// RFC 6962 consistency proof from `old_size` to `new_size`. kInvalidArgument unless
// 0 < old_size <= new_size (equal sizes give an empty proof).
StatusOr<std::vector<Digest>> ProveConsistency(std::uint64_t old_size, std::uint64_t new_size,
                                               const HashReader& reader);

// OK iff `proof` proves leaf `leaf_hash` at `index` in the tree of `size` with `root`.
// kInvalidArgument if index >= size, kFailedPrecondition if the proof does not verify.
Status VerifyInclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf_hash,
                       std::span<const Digest> proof, const Digest& root);

// OK iff `proof` proves that the tree (size1, root1) is a prefix of (size2, root2).
// size1 == 0 or size1 > size2 is kInvalidArgument; size1 == size2 needs an empty proof
// and equal roots.
Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, const Digest& root1,
                         const Digest& root2, std::span<const Digest> proof);

// Reference implementations straight from RFC 6962 §2.1 over all leaf hashes in
// memory (O(n)); for tests and offline checks.
Digest ReferenceRoot(std::span<const Digest> leaf_hashes);
std::vector<Digest> ReferenceInclusionProof(std::span<const Digest> leaf_hashes,
                                            std::uint64_t index);
std::vector<Digest> ReferenceConsistencyProof(std::span<const Digest> leaf_hashes,
                                              std::uint64_t old_size);

}  // namespace ipledger
