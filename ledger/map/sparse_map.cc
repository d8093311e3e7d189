#include "ledger/map/sparse_map.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/base/mutex.h"

namespace ipledger::map {
namespace {

constexpr char kNodeTag = 'n';
constexpr char kGroupTag = 'g';
constexpr char kRootTag = 'r';
// The levels one group holds (sparse_map.h): its top depth is a multiple of kBand.
constexpr size_t kBand = 8;

// A child reference as stored (sparse_map.h): empty, a leaf, or an internal node, the
// latter stored in its version's group (or, if an older release wrote it, on its own).
struct Ref {
  enum Type : std::uint8_t { kEmpty = 0, kLeaf = 1, kNode = 2 };
  Type type = kEmpty;
  Hash key{};                 // kLeaf
  Hash value{};               // kLeaf
  std::uint64_t version = 0;  // kNode
  Hash hash{};                // kNode: the node's hash; kLeaf: LeafHash(key, value), not stored
  bool grouped = false;       // kNode: stored in a group (type byte 0x03), not alone (0x02)

  static Ref Leaf(const Hash& key, const Hash& value) {
    Ref r;
    r.type = kLeaf;
    r.key = key;
    r.value = value;
    r.hash = LeafHash(key, value);
    return r;
  }
  Hash Digest() const { return type == kEmpty ? kEmptyHash : hash; }
  bool operator==(const Ref&) const = default;
};

struct Node {
  Hash hash{};
  Ref child[2];
};

void AppendHash(std::string* out, const Hash& h) {
  out->append(reinterpret_cast<const char*>(h.data()), h.size());
}

Hash ReadHash(std::string_view s) {
  Hash h;
  std::copy_n(reinterpret_cast<const std::uint8_t*>(s.data()), h.size(), h.begin());
  return h;
}

// The stored type byte of a node reference to a node in a group.
constexpr std::uint8_t kGroupedType = 3;

void EncodeRef(std::string* out, const Ref& r) {
  out->push_back(static_cast<char>(
      r.type == Ref::kNode && r.grouped ? kGroupedType : static_cast<std::uint8_t>(r.type)));
  if (r.type == Ref::kLeaf) {
    AppendHash(out, r.key);
    AppendHash(out, r.value);
  } else if (r.type == Ref::kNode) {
    PutFixed64BE(out, r.version);
    AppendHash(out, r.hash);
  }
}

// Decodes one reference from the front of `*s`, consuming it; false if malformed.
bool DecodeRef(std::string_view* s, Ref* r) {
  if (s->empty()) return false;
  const auto type = static_cast<std::uint8_t>((*s)[0]);
  s->remove_prefix(1);
  if (type == Ref::kEmpty) {
    *r = Ref{};
    return true;
  }
  if (type == Ref::kLeaf) {
    if (s->size() < 64) return false;
    *r = Ref::Leaf(ReadHash(s->substr(0, 32)), ReadHash(s->substr(32, 32)));
    s->remove_prefix(64);
    return true;
  }
  if (type == Ref::kNode || type == kGroupedType) {
    if (s->size() < 40) return false;
    r->type = Ref::kNode;
    r->grouped = type == kGroupedType;
    r->version = *DecodeFixed64BE(s->substr(0, 8));
    r->hash = ReadHash(s->substr(8, 32));
    s->remove_prefix(40);
    return true;
  }
  return false;
}

// Appends the stored form of `n` to `*out`.
void AppendNode(const Node& n, std::string* out) {
  AppendHash(out, n.hash);
  EncodeRef(out, n.child[0]);
  EncodeRef(out, n.child[1]);
}

bool DecodeNode(std::string_view s, Node* n) {
  if (s.size() < 32) return false;
  n->hash = ReadHash(s.substr(0, 32));
  s.remove_prefix(32);
  return DecodeRef(&s, &n->child[0]) && DecodeRef(&s, &n->child[1]) && s.empty();
}

// The size of the stored node at the front of `s`, or 0 if it is malformed; unlike
// DecodeNode, without hashing its leaves (a group read skips all nodes but one).
size_t StoredNodeSize(std::string_view s) {
  size_t size = 32;
  for (int c = 0; c < 2; ++c) {
    if (s.size() <= size) return 0;
    switch (static_cast<std::uint8_t>(s[size])) {
      case Ref::kEmpty:
        size += 1;
        break;
      case Ref::kLeaf:
        size += 65;
        break;
      case Ref::kNode:
      case kGroupedType:
        size += 41;
        break;
      default:
        return 0;
    }
  }
  return size <= s.size() ? size : 0;
}

// 'n' || version || depth || the first ceil(depth/8) bytes of `key`, bits >= depth zero.
std::string NodeKey(std::uint64_t version, size_t depth, const Hash& key) {
  std::string out(1, kNodeTag);
  PutFixed64BE(&out, version);
  out.push_back(static_cast<char>(depth));
  const size_t bytes = (depth + 7) / 8;
  for (size_t i = 0; i < bytes; ++i) {
    std::uint8_t b = key[i];
    if (i == bytes - 1 && depth % 8 != 0) b &= static_cast<std::uint8_t>(0xFF << (8 - depth % 8));
    out.push_back(static_cast<char>(b));
  }
  return out;
}

// The key of the group holding the node whose NodeKey is `node_key` (depth `depth`):
// 'g' || version || top depth t (depth rounded down to a multiple of kBand) || the first
// t/8 bytes of the path.
std::string GroupKeyOf(std::string_view node_key, size_t depth) {
  const size_t top = depth - depth % kBand;
  std::string out(1, kGroupTag);
  out.append(node_key.substr(1, 8));
  out.push_back(static_cast<char>(top));
  out.append(node_key.substr(10, top / 8));
  return out;
}

// The bits of a node's path from its group's top depth to its own depth, right-aligned
// (what a group entry records), from the node's NodeKey.
std::uint8_t GroupBits(std::string_view node_key, size_t depth) {
  const size_t below = depth % kBand;
  if (below == 0) return 0;
  const auto b = static_cast<std::uint8_t>(node_key[10 + depth / 8]);
  return static_cast<std::uint8_t>(b >> (8 - below));
}

std::string RootKey(std::uint64_t version) {
  std::string out(1, kRootTag);
  PutFixed64BE(&out, version);
  return out;
}

std::string DescribeNode(const std::string& node_key, std::uint64_t version, size_t depth,
                         bool grouped) {
  const std::string where =
      "(version " + std::to_string(version) + ", depth " + std::to_string(depth) + ")";
  if (!grouped) return "map node " + HexEncode(AsBytes(node_key)) + " " + where;
  return "map node " + where + " in group " + HexEncode(AsBytes(GroupKeyOf(node_key, depth)));
}

bool SharesPrefix(const Hash& a, const Hash& b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (PathBit(a, i) != PathBit(b, i)) return false;
  }
  return true;
}

using Update = std::pair<Hash, Hash>;

}  // namespace

struct SparseMap::Rep {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* cf = nullptr;

  mutable Mutex mu;
  std::optional<std::uint64_t> committed GUARDED_BY(mu);
  Ref committed_root GUARDED_BY(mu);

  // A staged, uncommitted version: its root and the nodes it wrote, decoded (a later
  // Stage reads them without decoding what this one encoded), in the order written.
  // Only a Stage before the last one's Committed reads them (the sequencer never does):
  // the index by key is built by the first such read.
  struct StagedVersion {
    std::uint64_t version = 0;
    Ref root;
    std::vector<std::pair<std::string, Node>> nodes;
    std::unordered_map<std::string, size_t> index;

    const Node* Find(const std::string& key) {
      if (index.empty()) {
        index.reserve(nodes.size());
        for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].first, i);
      }
      auto it = index.find(key);
      return it == index.end() ? nullptr : &nodes[it->second].second;
    }
  };
  std::vector<StagedVersion> staged GUARDED_BY(mu);

  // The staged version `version` if it is one (not yet committed), else null.
  StagedVersion* FindStaged(std::uint64_t version) REQUIRES(mu) {
    if (committed && version <= *committed) return nullptr;
    for (StagedVersion& v : staged) {
      if (v.version == version) return &v;
    }
    return nullptr;
  }

  // Stored nodes, in memory; a stored node never changes, so an entry is never stale.
  // `upper` holds, for each position of the upper levels (depth < kCacheDepth), the
  // newest node known there: the nodes each committed version wrote (written through,
  // so the next version's Stage descends the paths the last one rewrote without a
  // RocksDB read) and those read from disk. It is an array per depth, indexed by the
  // position's path bits (2^depth slots, allocated when the depth is first used), so a
  // lookup is an index, not a hash of the key and a chase through a hash table's nodes:
  // at most 2^kCacheDepth - 1 slots. `others` holds the rest, by key: the nodes of
  // deeper levels each committed version wrote and those read from disk, and nodes of
  // older versions read for proofs at an earlier index; it is emptied when it reaches
  // kCacheEntries. Check and CheckRootNode read around both, from disk.
  static constexpr size_t kCacheDepth = 16;
  static constexpr size_t kCacheEntries = size_t{1} << 16;
  struct Slot {
    bool filled = false;
    std::uint64_t version = 0;
    Node node;
  };
  mutable SharedMutex cache_mu;
  mutable std::vector<Slot> upper[kCacheDepth] GUARDED_BY(cache_mu);
  mutable std::unordered_map<std::string, Node> others GUARDED_BY(cache_mu);

  enum class Source { kCached, kDisk };

  // The slot index of the position in `node_key` (NodeKey: 'n' || version || depth ||
  // path), depth < kCacheDepth: the first `depth` bits of its path.
  static size_t SlotIndex(std::string_view node_key, size_t depth) {
    size_t bits = 0;
    for (size_t i = 10; i < node_key.size() && i < 12; ++i) {
      bits |= static_cast<size_t>(static_cast<std::uint8_t>(node_key[i])) << (8 * (11 - i));
    }
    return depth == 0 ? 0 : bits >> (16 - depth);
  }

  // The same for the position at depth `depth` on the path of `key`.
  static size_t SlotIndex(const Hash& key, size_t depth) {
    const size_t bits = (static_cast<size_t>(key[0]) << 8) | key[1];
    return depth == 0 ? 0 : bits >> (16 - depth);
  }

  // The cached node of `version` in slot `index` of depth `depth` (< kCacheDepth), or
  // null if the cache does not hold it.
  const Node* PeekUpper(std::uint64_t version, size_t depth, size_t index) const
      REQUIRES_SHARED(cache_mu) {
    const std::vector<Slot>& level = upper[depth];
    if (level.empty()) return nullptr;
    const Slot& slot = level[index];
    return slot.filled && slot.version == version ? &slot.node : nullptr;
  }

  // Keeps stored node `n` of `version` at `node_key`.
  void CacheInsert(const std::string& node_key, std::uint64_t version, size_t depth,
                   const Node& n) const REQUIRES(cache_mu) {
    if (depth < kCacheDepth) {
      std::vector<Slot>& level = upper[depth];
      if (level.empty()) level.resize(size_t{1} << depth);
      Slot& slot = level[SlotIndex(node_key, depth)];
      if (!slot.filled || slot.version < version) {
        slot.filled = true;
        slot.version = version;
        slot.node = n;
        return;
      }
      if (slot.version == version) return;
    }
    if (others.size() >= kCacheEntries) others.clear();
    others.insert_or_assign(node_key, n);
  }

  // The node stored at `node_key` (in its version's group if `grouped`): among
  // `staged_version`'s nodes if not null (it must be the node's version), else in the
  // cache or on disk.
  StatusOr<Node> ReadNode(const std::string& node_key, std::uint64_t version, size_t depth,
                          bool grouped, StagedVersion* staged_version,
                          Source source = Source::kCached) const {
    if (staged_version != nullptr) {
      if (const Node* n = staged_version->Find(node_key)) return *n;
      return Status::Corruption(DescribeNode(node_key, version, depth, grouped) + " is missing");
    }
    const bool cacheable = source == Source::kCached;
    if (cacheable) {
      ReaderLock lock(&cache_mu);
      if (depth < kCacheDepth) {
        if (const Node* n = PeekUpper(version, depth, SlotIndex(node_key, depth))) return *n;
      }
      auto other = others.find(node_key);
      if (other != others.end()) return other->second;
    }
    const std::string stored_key = grouped ? GroupKeyOf(node_key, depth) : node_key;
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, stored_key, &value);
    if (s.IsNotFound()) {
      return Status::Corruption(DescribeNode(node_key, version, depth, grouped) + " is missing");
    }
    if (!s.ok()) {
      return Status::Unavailable("reading " + DescribeNode(node_key, version, depth, grouped) +
                                 ": " + s.ToString());
    }
    std::string_view stored(value.data(), value.size());
    if (grouped) {
      auto entry = FindInGroup(stored, depth, GroupBits(node_key, depth));
      if (!entry.ok()) {
        return Status::Corruption(DescribeNode(node_key, version, depth, grouped) + ": " +
                                  entry.status().message());
      }
      stored = *entry;
    }
    Node n;
    if (!DecodeNode(stored, &n)) {
      return Status::Corruption(DescribeNode(node_key, version, depth, grouped) + " is malformed");
    }
    if (cacheable) {
      WriterLock lock(&cache_mu);
      CacheInsert(node_key, version, depth, n);
    }
    return n;
  }

  // The stored node at depth `depth` with group bits `bits` in group value `group`;
  // kCorruption if the group is malformed (every entry is checked: a depth outside the
  // group's levels, bits beyond the depth, a node that does not parse) or lacks it.
  static StatusOr<std::string_view> FindInGroup(std::string_view group, size_t depth,
                                                std::uint8_t bits) {
    const size_t top = depth - depth % kBand;
    std::optional<std::string_view> found;
    while (!group.empty()) {
      if (group.size() < 2) return Status::Corruption("the group is malformed");
      const auto d = static_cast<std::uint8_t>(group[0]);
      const auto b = static_cast<std::uint8_t>(group[1]);
      group.remove_prefix(2);
      const size_t size = StoredNodeSize(group);
      if (d < top || d >= top + kBand || (b >> (d - top)) != 0 || size == 0) {
        return Status::Corruption("the group is malformed");
      }
      if (d == depth && b == bits) {
        if (found) return Status::Corruption("the group holds it twice");
        found = group.substr(0, size);
      }
      group.remove_prefix(size);
    }
    if (!found) return Status::Corruption("the group lacks it");
    return *found;
  }

  // The newest staged, else committed, version's root.
  Ref NewestRoot() const REQUIRES(mu) {
    return staged.empty() ? committed_root : staged.back().root;
  }

  // The root reference of exactly `version`; kNotFound if not stored.
  StatusOr<Ref> ReadRoot(std::uint64_t version) const {
    if (cf == nullptr) return Status::NotFound("no map version " + std::to_string(version));
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, RootKey(version), &value);
    if (s.IsNotFound()) return Status::NotFound("no map version " + std::to_string(version));
    if (!s.ok()) {
      return Status::Unavailable("reading map root " + std::to_string(version) + ": " +
                                 s.ToString());
    }
    std::string_view v = value;
    Ref r;
    if (!DecodeRef(&v, &r) || !v.empty()) {
      return Status::Corruption("map root record of version " + std::to_string(version) + " (key " +
                                HexEncode(AsBytes(RootKey(version))) + ") is malformed");
    }
    return r;
  }

  // --- Stage ---

  struct StageCtx {
    std::uint64_t version;
    rocksdb::WriteBatch* batch;
    std::vector<std::pair<std::string, Node>>* nodes;  // the nodes this version wrote
    // For each band of kBand levels, the entries of the group being made there. The
    // recursion makes a node after every node below it, so a group's entries are all
    // made before its top node, which completes it: one group per band is ever open.
    std::string groups[(kMaxProofDepth + kBand) / kBand];
    Status error;  // the first Put that failed
  };

  Ref MakeNode(StageCtx& ctx, size_t depth, const Hash& path, const Ref& left, const Ref& right) {
    Node n;
    n.child[0] = left;
    n.child[1] = right;
    n.hash = NodeHash(left.Digest(), right.Digest());
    std::string key = NodeKey(ctx.version, depth, path);
    std::string& group = ctx.groups[depth / kBand];
    group.push_back(static_cast<char>(depth));
    group.push_back(static_cast<char>(GroupBits(key, depth)));
    AppendNode(n, &group);
    if (depth % kBand == 0) {
      rocksdb::Status s = ctx.batch->Put(cf, GroupKeyOf(key, depth), group);
      if (!s.ok() && ctx.error.ok()) {
        ctx.error = Status::Internal("staging a map node group: " + s.ToString());
      }
      group.clear();
    }
    ctx.nodes->emplace_back(std::move(key), n);
    Ref r;
    r.type = Ref::kNode;
    r.grouped = true;
    r.version = ctx.version;
    r.hash = n.hash;
    return r;
  }

  // The subtree at `depth` holding exactly the sorted, distinct `leaves`.
  Ref Build(StageCtx& ctx, size_t depth, std::span<const Update> leaves) {
    if (leaves.empty()) return Ref{};
    if (leaves.size() == 1) return Ref::Leaf(leaves[0].first, leaves[0].second);
    auto mid = std::partition_point(leaves.begin(), leaves.end(),
                                    [depth](const Update& u) { return !PathBit(u.first, depth); });
    const auto split = static_cast<size_t>(mid - leaves.begin());
    Ref left = Build(ctx, depth + 1, leaves.subspan(0, split));
    Ref right = Build(ctx, depth + 1, leaves.subspan(split));
    return MakeNode(ctx, depth, leaves[0].first, left, right);
  }

  // `cur` (the subtree at `depth` on the path of `ups`) with the sorted, distinct `ups`.
  StatusOr<Ref> Apply(StageCtx& ctx, const Ref& cur, size_t depth, std::span<const Update> ups)
      REQUIRES(mu) {
    if (ups.empty()) return cur;
    if (cur.type == Ref::kEmpty) return Build(ctx, depth, ups);
    if (cur.type == Ref::kLeaf) {
      std::vector<Update> all(ups.begin(), ups.end());
      auto pos = std::lower_bound(all.begin(), all.end(), cur.key,
                                  [](const Update& u, const Hash& k) { return u.first < k; });
      if (pos == all.end() || pos->first != cur.key) all.insert(pos, {cur.key, cur.value});
      if (all.size() == 1 && all[0].first == cur.key && all[0].second == cur.value) return cur;
      return Build(ctx, depth, all);
    }
    const std::string key = NodeKey(cur.version, depth, ups[0].first);
    auto node = ReadNode(key, cur.version, depth, cur.grouped, FindStaged(cur.version));
    if (!node.ok()) return node.status();
    auto mid = std::partition_point(ups.begin(), ups.end(),
                                    [depth](const Update& u) { return !PathBit(u.first, depth); });
    const auto split = static_cast<size_t>(mid - ups.begin());
    auto left = Apply(ctx, node->child[0], depth + 1, ups.subspan(0, split));
    if (!left.ok()) return left.status();
    auto right = Apply(ctx, node->child[1], depth + 1, ups.subspan(split));
    if (!right.ok()) return right.status();
    if (*left == node->child[0] && *right == node->child[1]) return cur;
    return MakeNode(ctx, depth, ups[0].first, *left, *right);
  }

  // --- Check ---

  Status CheckNode(std::uint64_t top, const Ref& ref, size_t depth, const Hash& path,
                   const std::string& parent, const std::atomic<bool>* stop) const {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      return Status::Unavailable("the status map check was stopped");
    }
    const std::string key = NodeKey(ref.version, depth, path);
    const std::string name = DescribeNode(key, ref.version, depth, ref.grouped);
    if (ref.version > top) {
      return Status::Corruption(parent + " points to " + name + ", newer than version " +
                                std::to_string(top));
    }
    auto node = ReadNode(key, ref.version, depth, ref.grouped, nullptr, Source::kDisk);
    if (!node.ok()) {
      if (node.status().code() != ErrorCode::kCorruption) return node.status();
      return Status::Corruption(node.status().message() + ", pointed to by " + parent);
    }
    const Hash computed = NodeHash(node->child[0].Digest(), node->child[1].Digest());
    if (computed != node->hash) {
      return Status::Corruption(name + ": its children hash to " + HexEncode(computed) +
                                ", it records " + HexEncode(node->hash));
    }
    if (node->hash != ref.hash) {
      return Status::Corruption(name + ": its hash " + HexEncode(node->hash) + " is not the " +
                                HexEncode(ref.hash) + " its parent, " + parent + ", records");
    }
    const bool leafy0 = node->child[0].type != Ref::kNode;
    const bool leafy1 = node->child[1].type != Ref::kNode;
    if (leafy0 && leafy1 &&
        (node->child[0].type == Ref::kEmpty || node->child[1].type == Ref::kEmpty)) {
      return Status::Corruption(name + ": an internal node above fewer than two leaves");
    }
    for (int bit = 0; bit < 2; ++bit) {
      const Ref& c = node->child[bit];
      if (c.type == Ref::kLeaf) {
        if (!SharesPrefix(c.key, path, depth) || PathBit(c.key, depth) != (bit == 1)) {
          return Status::Corruption(name + ": leaf " + HexEncode(c.key) + " is off its path");
        }
      } else if (c.type == Ref::kNode) {
        if (c.version > ref.version) {
          return Status::Corruption(name + ": a child of version " + std::to_string(c.version) +
                                    ", newer than the node");
        }
        Hash child_path = path;
        const size_t byte = depth / 8;
        const auto mask = static_cast<std::uint8_t>(1U << (7 - depth % 8));
        child_path[byte] = static_cast<std::uint8_t>(bit == 1 ? (child_path[byte] | mask)
                                                              : (child_path[byte] & ~mask));
        if (depth + 1 >= kMaxProofDepth + 1) {
          return Status::Corruption(name + ": the tree is deeper than 256 levels");
        }
        if (Status s = CheckNode(top, c, depth + 1, child_path, name, stop); !s.ok()) return s;
      }
    }
    return Status::Ok();
  }
};

SparseMap::SparseMap(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
SparseMap::~SparseMap() = default;

StatusOr<std::unique_ptr<SparseMap>> SparseMap::Open(rocksdb::DB* db,
                                                     rocksdb::ColumnFamilyHandle* cf) {
  auto rep = std::make_unique<Rep>();
  rep->db = db;
  rep->cf = cf;
  if (cf != nullptr) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekForPrev(RootKey(~std::uint64_t{0}));
    if (!it->status().ok()) {
      return Status::Unavailable("reading the map's newest root: " + it->status().ToString());
    }
    if (it->Valid() && it->key().size() > 0 && it->key()[0] == kRootTag) {
      rocksdb::Slice k = it->key();
      if (k.size() != 9) {
        return Status::Corruption("map root key " + HexEncode(AsBytes(k.ToStringView())) +
                                  " is malformed");
      }
      const std::uint64_t version = *DecodeFixed64BE(std::string_view(k.data() + 1, 8));
      auto root = rep->ReadRoot(version);
      if (!root.ok()) return root.status();
      MutexLock lock(&rep->mu);
      rep->committed = version;
      rep->committed_root = *root;
    }
  }
  return std::unique_ptr<SparseMap>(new SparseMap(std::move(rep)));
}

StatusOr<Hash> SparseMap::Stage(std::uint64_t version,
                                const std::vector<std::pair<Hash, Hash>>& updates,
                                rocksdb::WriteBatch* batch) {
  if (rep_->cf == nullptr) {
    return Status::FailedPrecondition("the map has no column family (a read-only open)");
  }
  MutexLock lock(&rep_->mu);
  std::optional<std::uint64_t> newest = rep_->committed;
  Ref base = rep_->committed_root;
  if (!rep_->staged.empty()) {
    newest = rep_->staged.back().version;
    base = rep_->staged.back().root;
  }
  if (newest.has_value() && version <= *newest) {
    return Status::InvalidArgument("map version " + std::to_string(version) +
                                   " is not after version " + std::to_string(*newest));
  }
  // Sorted by key, the last update of each key winning.
  std::vector<Update> ups(updates.begin(), updates.end());
  std::stable_sort(ups.begin(), ups.end(),
                   [](const Update& a, const Update& b) { return a.first < b.first; });
  std::vector<Update> distinct;
  distinct.reserve(ups.size());
  for (size_t i = 0; i < ups.size(); ++i) {
    if (i + 1 < ups.size() && ups[i + 1].first == ups[i].first) continue;
    distinct.push_back(ups[i]);
  }
  // The version's nodes are kept only if the whole stage succeeds.
  Rep::StagedVersion v;
  v.version = version;
  Rep::StageCtx ctx{version, batch, &v.nodes, {}, Status::Ok()};
  auto root = rep_->Apply(ctx, base, 0, distinct);
  if (!root.ok()) return root.status();
  if (!ctx.error.ok()) return ctx.error;
  std::string root_value;
  EncodeRef(&root_value, *root);
  if (rocksdb::Status s = batch->Put(rep_->cf, RootKey(version), root_value); !s.ok()) {
    return Status::Internal("staging the map root: " + s.ToString());
  }
  v.root = *root;
  rep_->staged.push_back(std::move(v));
  return root->Digest();
}

void SparseMap::Committed(std::uint64_t version) {
  MutexLock lock(&rep_->mu);
  auto& staged = rep_->staged;
  size_t done = 0;
  {
    // The now durable nodes (those of versions <= `version`) go to the cache: the next
    // version's Stage descends the paths this one wrote.
    WriterLock cache_lock(&rep_->cache_mu);
    for (; done < staged.size() && staged[done].version <= version; ++done) {
      rep_->committed = staged[done].version;
      rep_->committed_root = staged[done].root;
      for (const auto& [key, node] : staged[done].nodes) {
        const auto depth = static_cast<std::uint8_t>(key[9]);  // NodeKey's depth byte
        rep_->CacheInsert(key, staged[done].version, depth, node);
      }
    }
  }
  staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(done));
}

void SparseMap::Abandon() {
  MutexLock lock(&rep_->mu);
  rep_->staged.clear();
}

std::optional<std::uint64_t> SparseMap::LatestVersion() const {
  MutexLock lock(&rep_->mu);
  return rep_->committed;
}

StatusOr<std::pair<std::uint64_t, Hash>> SparseMap::RootAtOrBefore(std::uint64_t version) const {
  if (rep_->cf == nullptr)
    return Status::NotFound("no map version at or before " + std::to_string(version));
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(rocksdb::ReadOptions(), rep_->cf));
  const std::string key = RootKey(version);
  it->SeekForPrev(key);
  if (!it->status().ok()) {
    return Status::Unavailable("reading map roots: " + it->status().ToString());
  }
  if (!it->Valid() || it->key().size() != 9 || it->key()[0] != kRootTag) {
    return Status::NotFound("no map version at or before " + std::to_string(version));
  }
  const std::uint64_t found = *DecodeFixed64BE(std::string_view(it->key().data() + 1, 8));
  std::string_view v(it->value().data(), it->value().size());
  Ref r;
  if (!DecodeRef(&v, &r) || !v.empty()) {
    return Status::Corruption("map root record of version " + std::to_string(found) +
                              " is malformed");
  }
  return std::make_pair(found, r.Digest());
}

StatusOr<MapProof> SparseMap::Prove(const Hash& key, std::uint64_t version) const {
  auto root = rep_->ReadRoot(version);
  if (!root.ok()) return root.status();
  MapProof proof;
  Ref cur = *root;
  for (size_t depth = 0; cur.type == Ref::kNode; ++depth) {
    if (depth > kMaxProofDepth)
      return Status::Corruption("map version " + std::to_string(version) +
                                ": a path deeper than 255");
    auto node =
        rep_->ReadNode(NodeKey(cur.version, depth, key), cur.version, depth, cur.grouped, nullptr);
    if (!node.ok()) return node.status();
    const int bit = PathBit(key, depth) ? 1 : 0;
    proof.siblings.push_back(node->child[1 - bit].Digest());
    cur = node->child[bit];
  }
  if (cur.type == Ref::kEmpty) {
    proof.kind = MapProofKind::kAbsentEmpty;
  } else if (cur.key == key) {
    proof.kind = MapProofKind::kPresent;
  } else {
    proof.kind = MapProofKind::kAbsentOther;
    proof.other_key = cur.key;
    proof.other_value_hash = cur.value;
  }
  return proof;
}

StatusOr<std::optional<Hash>> SparseMap::Get(const Hash& key, std::uint64_t version) const {
  auto root = rep_->ReadRoot(version);
  if (!root.ok()) return root.status();
  Ref cur = *root;
  for (size_t depth = 0; cur.type == Ref::kNode; ++depth) {
    if (depth > kMaxProofDepth)
      return Status::Corruption("map version " + std::to_string(version) +
                                ": a path deeper than 255");
    auto node =
        rep_->ReadNode(NodeKey(cur.version, depth, key), cur.version, depth, cur.grouped, nullptr);
    if (!node.ok()) return node.status();
    cur = node->child[PathBit(key, depth) ? 1 : 0];
  }
  if (cur.type == Ref::kLeaf && cur.key == key) return std::optional<Hash>(cur.value);
  return std::optional<Hash>();
}

Status SparseMap::Check(std::uint64_t version, const std::atomic<bool>* stop) const {
  auto root = rep_->ReadRoot(version);
  if (!root.ok()) return root.status();
  if (root->type != Ref::kNode) return Status::Ok();  // empty, or a single leaf
  return rep_->CheckNode(version, *root, 0, Hash{},
                         "map root record of version " + std::to_string(version) + " (key " +
                             HexEncode(AsBytes(RootKey(version))) + ")",
                         stop);
}

Status SparseMap::CheckRootNode(std::uint64_t version) const {
  auto root = rep_->ReadRoot(version);
  if (!root.ok()) return root.status();
  if (root->type != Ref::kNode) return Status::Ok();
  const std::string key = NodeKey(root->version, 0, Hash{});
  const std::string name = DescribeNode(key, root->version, 0, root->grouped);
  if (root->version > version) {
    return Status::Corruption("the root record of version " + std::to_string(version) +
                              " points to " + name + ", a newer version");
  }
  auto node = rep_->ReadNode(key, root->version, 0, root->grouped, nullptr, Rep::Source::kDisk);
  if (!node.ok()) return node.status();
  const Hash computed = NodeHash(node->child[0].Digest(), node->child[1].Digest());
  if (computed != node->hash || node->hash != root->hash) {
    return Status::Corruption(name + ": its children hash to " + HexEncode(computed) +
                              ", it records " + HexEncode(node->hash) + ", its root record " +
                              HexEncode(root->hash));
  }
  return Status::Ok();
}

StatusOr<std::vector<std::optional<Hash>>> SparseMap::GetNewest(
    const std::vector<Hash>& keys) const {
  std::vector<std::optional<Hash>> out(keys.size());
  MutexLock lock(&rep_->mu);
  const Ref root = rep_->NewestRoot();
  for (size_t k = 0; k < keys.size(); ++k) {
    const Hash& key = keys[k];
    Ref cur = root;
    size_t depth = 0;
    {
      // The upper levels straight from the cache, under one lock and without copying
      // nodes (the common case: each committed version writes its nodes through);
      // the rest, and any node not there (a staged version's), as below.
      ReaderLock cache_lock(&rep_->cache_mu);
      for (; cur.type == Ref::kNode && depth < Rep::kCacheDepth; ++depth) {
        const Node* n = rep_->PeekUpper(cur.version, depth, Rep::SlotIndex(key, depth));
        if (n == nullptr) break;
        cur = n->child[PathBit(key, depth) ? 1 : 0];
      }
    }
    for (; cur.type == Ref::kNode; ++depth) {
      if (depth > kMaxProofDepth) return Status::Corruption("the map has a path deeper than 255");
      auto node = rep_->ReadNode(NodeKey(cur.version, depth, key), cur.version, depth, cur.grouped,
                                 rep_->FindStaged(cur.version));
      if (!node.ok()) return node.status();
      cur = node->child[PathBit(key, depth) ? 1 : 0];
    }
    if (cur.type == Ref::kLeaf && cur.key == key) out[k] = cur.value;
  }
  return out;
}

}  // namespace ipledger::map
