// SparseMap: the status map, versioned and persistent in one RocksDB column family
// (`map`, which the log's Store opens), as the Jellyfish Merkle tree stores its nodes.
//
// The tree is proof.h's compact tree. A node records its own hash and, for each child,
// either nothing (empty), the leaf itself (key and value hash) or the version and hash
// of the child node. A new version writes only the nodes on the paths its updates
// changed, so an update of k keys writes about k log2(n) nodes, and every earlier
// version stays readable and provable from the nodes it already had. A version's nodes
// are stored in groups of 8 levels: one key per band of depths 8b..8b+7 and path, whose
// value holds every node the version wrote there. An update of one key thus writes about
// log2(n)/8 keys instead of log2(n) (a memtable insert costs the same for 30 bytes as for
// 300). Keys of the column:
//
//   'g' || version (u64 BE) || top (u8, a multiple of 8) || path    a group; path = the
//        first top/8 bytes of the keys below it
//        value: entries, each depth (u8, top..top+7) || bits (u8: the path's bits from
//          `top` to `depth`, right-aligned) || node, the group's top node last, where
//          node = own hash (32) || left child || right child, a child being
//          0x00 (empty) | 0x01 key (32) value_hash (32) (a leaf) |
//          0x03 version (u64 BE) hash (32) (an internal node, in a group of `version`) |
//          0x02 version (u64 BE) hash (32) (an internal node an earlier release stored
//          alone, below)
//   'n' || version (u64 BE) || depth (u8) || path   an internal node stored alone (only
//        read: written by releases before groups); path = the first ceil(depth/8) bytes
//        of the keys below it, bits from `depth` on zero; value: node as above
//   'r' || version (u64 BE)                         the version's root: one child as above
//
// Reads go through an in-memory cache of stored nodes: for each position of the upper
// 16 levels, the newest node known there (those each committed version wrote, so the
// next version descends the paths the last one rewrote without a RocksDB read, and
// those read), at most 65,535 nodes; and at most 65,536 others (the deeper levels'
// nodes each committed version wrote or a read found, and nodes of older versions read
// for proofs at an earlier index), emptied when full. About 40 MB in all. Check and
// CheckRootNode always read from disk.
//
// Versions strictly increase (the registry uses the log index of the entry that commits
// the root). Writes go into the caller's WriteBatch, so the map changes atomically with
// whatever else that batch carries.
//
// Thread-safe: one writer (Stage / Committed / Abandon, in that order per version) and
// any number of concurrent readers, which see only versions whose batch was written.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "ledger/base/status.h"
#include "ledger/map/memory_map.h"
#include "ledger/map/proof.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace ipledger::map {

class SparseMap {
 public:
  // Reads the newest stored version. `db` and `cf` are not owned and must outlive the
  // map. A null `cf` (a read-only open of a database made before the `map` column
  // existed) is an empty map that cannot Stage. kCorruption if the newest root record
  // is malformed.
  static StatusOr<std::unique_ptr<SparseMap>> Open(rocksdb::DB* db,
                                                   rocksdb::ColumnFamilyHandle* cf);

  ~SparseMap();
  SparseMap(const SparseMap&) = delete;
  SparseMap& operator=(const SparseMap&) = delete;

  // Stages version `version`: the newest staged (or else committed) version with
  // `updates` (key, value_hash) applied, later pairs winning over earlier ones for the
  // same key. Puts its new nodes and its root record into `batch` and returns its root.
  // Nothing is visible to readers until the caller writes the batch; it must then call
  // Committed(version), or Abandon() if the write failed. Several versions may be staged
  // before the first is committed. kInvalidArgument unless `version` is greater than
  // every staged and committed one; kFailedPrecondition without a column family.
  StatusOr<Hash> Stage(std::uint64_t version, const std::vector<std::pair<Hash, Hash>>& updates,
                       rocksdb::WriteBatch* batch);
  // The batch holding `version` (and every version staged before it) is durable.
  void Committed(std::uint64_t version);
  // Forgets every staged, uncommitted version, as if never staged.
  void Abandon();

  // The newest committed version (the newest stored one after Open), or nullopt.
  std::optional<std::uint64_t> LatestVersion() const;
  // The newest stored version <= `version` and its root; kNotFound if none.
  StatusOr<std::pair<std::uint64_t, Hash>> RootAtOrBefore(std::uint64_t version) const;
  // A proof for `key` against the root of exactly `version`; kNotFound if `version` is
  // not a stored version, kCorruption if a node on the path is malformed or missing.
  StatusOr<MapProof> Prove(const Hash& key, std::uint64_t version) const;
  // The value hash of `key` at exactly `version`, or nullopt if it has none there.
  StatusOr<std::optional<Hash>> Get(const Hash& key, std::uint64_t version) const;
  // Recomputes every node of `version`'s tree from its children and compares the hashes
  // each node and its parent record, and the tree's shape (leaves below their path,
  // internal nodes only above two or more leaves). kCorruption naming the first bad
  // node (its key in hex, version, depth) otherwise; kNotFound if not stored.
  // `stop` (may be null): when it becomes true, Check returns kUnavailable soon.
  Status Check(std::uint64_t version, const std::atomic<bool>* stop = nullptr) const;
  // The O(1) part of Check: the root node of `version` (read from disk) hashes from its
  // children to what it and the root record hold. kCorruption naming it otherwise.
  Status CheckRootNode(std::uint64_t version) const;
  // The value hash of each of `keys` (nullopt: none) in the newest staged, else
  // committed, version; the sequencer's way to know which assets have a status
  // record without a seek in the state column.
  StatusOr<std::vector<std::optional<Hash>>> GetNewest(const std::vector<Hash>& keys) const;

 private:
  struct Rep;
  explicit SparseMap(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger::map
