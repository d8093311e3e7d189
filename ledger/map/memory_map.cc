#include "ledger/map/memory_map.h"

#include <utility>
#include <vector>

namespace ipledger::map {

// A leaf (is_leaf: key, value) or an internal node with two children, either of which
// may be null (an empty subtree); `hash` is always current.
struct MemoryMap::Node {
  bool is_leaf = false;
  Hash key{};
  Hash value{};
  std::unique_ptr<Node> child[2];
  Hash hash{};

  static std::unique_ptr<Node> Leaf(const Hash& k, const Hash& v) {
    auto n = std::make_unique<Node>();
    n->is_leaf = true;
    n->key = k;
    n->value = v;
    n->hash = LeafHash(k, v);
    return n;
  }
  void Rehash() {
    hash = NodeHash(child[0] ? child[0]->hash : kEmptyHash, child[1] ? child[1]->hash : kEmptyHash);
  }
};

MemoryMap::MemoryMap() = default;
MemoryMap::~MemoryMap() = default;
MemoryMap::MemoryMap(MemoryMap&&) noexcept = default;
MemoryMap& MemoryMap::operator=(MemoryMap&&) noexcept = default;

void MemoryMap::Set(const Hash& key, const Hash& value_hash) {
  // Walk down, remembering the path, then rehash it bottom-up.
  std::vector<Node*> path;
  std::unique_ptr<Node>* slot = &root_;
  size_t depth = 0;
  while (*slot != nullptr && !(*slot)->is_leaf) {
    path.push_back(slot->get());
    slot = &(*slot)->child[PathBit(key, depth) ? 1 : 0];
    ++depth;
  }
  if (*slot == nullptr) {
    *slot = Node::Leaf(key, value_hash);
    ++size_;
  } else if ((*slot)->key == key) {
    (*slot)->value = value_hash;
    (*slot)->hash = LeafHash(key, value_hash);
  } else {
    // Another leaf sits here: push both down until their paths part.
    std::unique_ptr<Node> other = std::move(*slot);
    const Hash other_key = other->key;
    while (PathBit(key, depth) == PathBit(other_key, depth)) {
      *slot = std::make_unique<Node>();
      path.push_back(slot->get());
      slot = &(*slot)->child[PathBit(key, depth) ? 1 : 0];
      ++depth;
    }
    *slot = std::make_unique<Node>();
    path.push_back(slot->get());
    (*slot)->child[PathBit(key, depth) ? 1 : 0] = Node::Leaf(key, value_hash);
    (*slot)->child[PathBit(other_key, depth) ? 1 : 0] = std::move(other);
    ++size_;
  }
  for (size_t i = path.size(); i-- > 0;) path[i]->Rehash();
}

std::optional<Hash> MemoryMap::Get(const Hash& key) const {
  const Node* n = root_.get();
  for (size_t depth = 0; n != nullptr && !n->is_leaf; ++depth) {
    n = n->child[PathBit(key, depth) ? 1 : 0].get();
  }
  if (n != nullptr && n->key == key) return n->value;
  return std::nullopt;
}

Hash MemoryMap::Root() const { return root_ ? root_->hash : kEmptyHash; }

MapProof MemoryMap::Prove(const Hash& key) const {
  MapProof proof;
  const Node* n = root_.get();
  for (size_t depth = 0; n != nullptr && !n->is_leaf; ++depth) {
    const int bit = PathBit(key, depth) ? 1 : 0;
    const Node* sibling = n->child[1 - bit].get();
    proof.siblings.push_back(sibling != nullptr ? sibling->hash : kEmptyHash);
    n = n->child[bit].get();
  }
  if (n == nullptr) {
    proof.kind = MapProofKind::kAbsentEmpty;
  } else if (n->key == key) {
    proof.kind = MapProofKind::kPresent;
  } else {
    proof.kind = MapProofKind::kAbsentOther;
    proof.other_key = n->key;
    proof.other_value_hash = n->value;
  }
  return proof;
}

}  // namespace ipledger::map
