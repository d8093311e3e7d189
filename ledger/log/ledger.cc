#include "ledger/log/ledger.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <tuple>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/tlog_proof.h"

namespace ipledger {
namespace {

constexpr std::string_view kMetaFormat = "format";
constexpr std::string_view kMetaOrigin = "origin";
constexpr std::string_view kMetaVkey = "vkey";
constexpr std::string_view kMetaSize = "size";
constexpr std::string_view kMetaCheckpoint = "checkpoint";
constexpr std::string_view kMetaTime = "time";
constexpr std::string_view kMetaCosigned = "cosigned";

std::int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DigestString(const Digest& d) { return std::string(d.begin(), d.end()); }

}  // namespace

Ledger::Ledger(std::unique_ptr<Store> store, std::string origin, NoteVerifier verifier,
               std::unique_ptr<SigningKey> log_key, LedgerOptions options)
    : store_(std::move(store)),
      origin_(std::move(origin)),
      verifier_(std::move(verifier)),
      log_key_(std::move(log_key)),
      options_(std::move(options)),
      hash_cache_(options_.hash_cache_min_level) {}

Ledger::~Ledger() = default;

Status Ledger::Create(const std::string& dir, std::string_view origin, const SigningKey& log_key,
                      const LedgerOptions& options) {
  if (!IsValidNoteKeyName(origin)) {
    return Status::InvalidArgument("origin '" + std::string(origin) +
                                   "' is not a valid key name (non-empty, no spaces, no '+')");
  }
  StoreOptions so;
  so.create = true;
  so.env = options.env;
  so.sync = options.sync;
  so.memory_columns = options.memory_columns;
  auto store = Store::Open(dir, so);
  if (!store.ok()) return store.status();
  Checkpoint cp{std::string(origin), 0, EmptyTreeRoot()};
  WriteSet w;
  w.Put(Column::kMeta, kMetaFormat, kFormatVersion);
  w.Put(Column::kMeta, kMetaOrigin, origin);
  w.Put(Column::kMeta, kMetaVkey, FormatVkey(MakeNoteVerifier(origin, log_key.public_key())));
  w.Put(Column::kMeta, kMetaSize, EncodeFixed64BE(0));
  w.Put(Column::kMeta, kMetaCheckpoint, SignCheckpoint(cp, log_key));
  w.Put(Column::kMeta, kMetaTime, EncodeFixed64BE(0));
  return (*store)->Write(w);
}

StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, SigningKey log_key,
                                               const LedgerOptions& options) {
  return OpenImpl(dir, std::make_unique<SigningKey>(std::move(log_key)), options);
}

StatusOr<std::unique_ptr<Ledger>> Ledger::OpenReadOnly(const std::string& dir,
                                                       const LedgerOptions& options) {
  return OpenImpl(dir, nullptr, options);
}

StatusOr<std::unique_ptr<Ledger>> Ledger::OpenImpl(const std::string& dir,
                                                   std::unique_ptr<SigningKey> log_key,
                                                   const LedgerOptions& options) {
  if (options.hash_cache_min_level < 0 || options.hash_cache_min_level > kHashCacheOff) {
    return Status::InvalidArgument("hash_cache_min_level " +
                                   std::to_string(options.hash_cache_min_level) +
                                   " is not in [0, " + std::to_string(kHashCacheOff) + "]");
  }
  StoreOptions so;
  so.read_only = log_key == nullptr;
  so.env = options.env;
  so.sync = options.sync;
  so.memory_columns = options.memory_columns;
  auto store = Store::Open(dir, so);
  if (!store.ok()) return store.status();

  auto format = (*store)->Get(Column::kMeta, kMetaFormat);
  if (!format.ok()) return Status::Corruption("ledger metadata: no format version");
  if (*format != kFormatVersion && *format != kPreviousFormatVersion) {
    return Status::FailedPrecondition(
        "ledger format version " + *format + " is not supported (this build reads " +
        std::string(kPreviousFormatVersion) + " and " + std::string(kFormatVersion) + ")");
  }
  if (*format == kPreviousFormatVersion && log_key != nullptr) {
    WriteSet upgrade;
    upgrade.Put(Column::kMeta, kMetaFormat, kFormatVersion);
    if (Status s = (*store)->Write(upgrade); !s.ok()) return s;
  }
  auto origin = (*store)->Get(Column::kMeta, kMetaOrigin);
  auto vkey = (*store)->Get(Column::kMeta, kMetaVkey);
  if (!origin.ok() || !vkey.ok())
    return Status::Corruption("ledger metadata: origin or vkey missing");
  auto verifier = ParseVkey(*vkey);
  if (!verifier || verifier->name != *origin) {
    return Status::Corruption("ledger metadata: stored vkey is malformed or not for the origin");
  }
  if (log_key != nullptr && log_key->public_key() != verifier->key) {
    return Status::FailedPrecondition("the log key does not match this ledger's verifier key " +
                                      *vkey);
  }
  std::unique_ptr<Ledger> ledger(new Ledger(std::move(*store), std::move(*origin),
                                            std::move(*verifier), std::move(log_key), options));
  if (Status s = ledger->LoadAndCheckHead(); !s.ok()) return s;
  return ledger;
}

Status Ledger::LoadAndCheckHead() {
  auto size_bytes = store_->Get(Column::kMeta, kMetaSize);
  auto note = store_->Get(Column::kMeta, kMetaCheckpoint);
  auto time_bytes = store_->Get(Column::kMeta, kMetaTime);
  if (!size_bytes.ok() || !note.ok() || !time_bytes.ok()) {
    return Status::Corruption("ledger metadata: size, checkpoint or time missing");
  }
  auto size = DecodeFixed64BE(*size_bytes);
  auto last_time = DecodeFixed64BE(*time_bytes);
  if (!size || !last_time) return Status::Corruption("ledger metadata: size or time malformed");
  auto cp = OpenCheckpoint(*note, verifier_);
  if (!cp.ok()) {
    return Status::Corruption("stored checkpoint does not verify with the log key: " +
                              cp.status().message());
  }
  if (cp->origin != origin_ || cp->size != *size) {
    return Status::Corruption("stored checkpoint is for size " + std::to_string(cp->size) +
                              " but the stored tree size is " + std::to_string(*size));
  }
  // The cache is loaded before the root check, which then reads the border's upper
  // subtrees from it: together with Load's parent-child check this authenticates every
  // cached hash against the signed checkpoint before any proof is served from it.
  if (Status s = hash_cache_.Load(*size, StoreHashReader()); !s.ok()) {
    if (s.code() == ErrorCode::kNotFound) return Status::Corruption(s.message());
    return s;
  }
  auto root = TreeHash(*size, CachedHashReader());
  if (!root.ok()) {
    return Status::Corruption("cannot recompute the root of size " + std::to_string(*size) + ": " +
                              root.status().message());
  }
  if (*root != cp->root) {
    return Status::Corruption("stored tree hashes give root " + HexEncode(*root) + " at size " +
                              std::to_string(*size) + " but the checkpoint says " +
                              HexEncode(cp->root));
  }
  // The newest leaf must hash to its stored leaf hash, and nothing may lie beyond.
  if (*size > 0) {
    auto leaf = store_->Get(Column::kLeaves, EncodeFixed64BE(*size - 1));
    if (!leaf.ok()) return Status::Corruption("leaf " + std::to_string(*size - 1) + " is missing");
    std::vector<Digest> stored;
    const std::uint64_t idx = StoredHashIndex(0, *size - 1);
    if (Status s = StoreHashReader()({&idx, 1}, &stored); !s.ok()) return s;
    if (LeafHash(AsBytes(*leaf)) != stored[0]) {
      return Status::Corruption("leaf " + std::to_string(*size - 1) +
                                " does not hash to its stored leaf hash");
    }
  }
  if (store_->Get(Column::kLeaves, EncodeFixed64BE(*size)).ok()) {
    return Status::Corruption("a leaf is stored at index " + std::to_string(*size) +
                              ", beyond the tree size");
  }
  MutexLock l(&head_mu_);
  head_.checkpoint = *cp;
  head_.signed_checkpoint = std::move(*note);
  head_.last_time_ms = static_cast<std::int64_t>(*last_time);
  return Status::Ok();
}

Status Ledger::ReadStoredHashes(std::span<const std::uint64_t> indexes,
                                std::vector<Digest>* out) const {
  std::vector<std::string> keys;
  keys.reserve(indexes.size());
  for (std::uint64_t i : indexes) keys.push_back(EncodeFixed64BE(i));
  std::vector<std::string> values;
  if (Status s = store_->MultiGet(Column::kTree, keys, &values); !s.ok()) return s;
  out->resize(indexes.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto d = DigestFromBytes(AsBytes(values[i]));
    if (!d) {
      return Status::Corruption("stored tree hash " + std::to_string(indexes[i]) +
                                " is not 32 bytes");
    }
    (*out)[i] = *d;
  }
  return Status::Ok();
}

HashReader Ledger::StoreHashReader() const {
  return [this](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) {
    return ReadStoredHashes(indexes, out);
  };
}

HashReader Ledger::CachedHashReader() const {
  return [this](std::span<const std::uint64_t> indexes, std::vector<Digest>* out) -> Status {
    out->resize(indexes.size());
    std::vector<std::size_t> missing;
    hash_cache_.Lookup(indexes, out, &missing);
    if (missing.empty()) return Status::Ok();
    std::vector<std::uint64_t> rest(missing.size());
    for (std::size_t k = 0; k < missing.size(); ++k) rest[k] = indexes[missing[k]];
    std::vector<Digest> loaded;
    if (Status s = ReadStoredHashes(rest, &loaded); !s.ok()) return s;
    for (std::size_t k = 0; k < missing.size(); ++k) (*out)[missing[k]] = loaded[k];
    return Status::Ok();
  };
}

std::int64_t Ledger::Now() const { return options_.clock ? options_.clock() : SystemClockMs(); }

std::int64_t Ledger::NextTime() const {
  MutexLock l(&head_mu_);
  return std::max(Now(), head_.last_time_ms);
}

StatusOr<AppendResult> Ledger::Append(std::span<const EntryInput> entries,
                                      const AppendOptions& options) {
  if (log_key_ == nullptr) return Status::FailedPrecondition("the ledger is open read-only");
  if (entries.empty()) return Status::InvalidArgument("Append needs at least one entry");
  MutexLock append_lock(&append_mu_);
  Head head;
  {
    MutexLock l(&head_mu_);
    if (failed_) {
      return Status::Unavailable(
          "the ledger is read-only after a failed write; restart to recover");
    }
    head = head_;
  }

  if (options.time_ms && *options.time_ms < head.last_time_ms) {
    return Status::InvalidArgument("batch time " + FormatInstant(*options.time_ms) +
                                   " is before the last integrated time " +
                                   FormatInstant(head.last_time_ms));
  }
  const std::int64_t time_ms =
      options.time_ms ? *options.time_ms : std::max(Now(), head.last_time_ms);
  const std::uint64_t start = head.checkpoint.size;
  if (options.first_index && *options.first_index != start) {
    return Status::FailedPrecondition("batch prepared for index " +
                                      std::to_string(*options.first_index) + " but the log is at " +
                                      std::to_string(start));
  }
  // Hashes written earlier in this batch are not in the store yet: read them here.
  std::map<std::uint64_t, Digest> pending;
  const HashReader store_reader = CachedHashReader();
  const HashReader reader = [&](std::span<const std::uint64_t> indexes,
                                std::vector<Digest>* out) -> Status {
    out->resize(indexes.size());
    std::vector<std::uint64_t> missing;
    for (std::uint64_t i : indexes) {
      if (!pending.contains(i)) missing.push_back(i);
    }
    std::vector<Digest> loaded;
    if (!missing.empty()) {
      if (Status s = store_reader(missing, &loaded); !s.ok()) return s;
    }
    size_t next = 0;
    for (size_t k = 0; k < indexes.size(); ++k) {
      auto it = pending.find(indexes[k]);
      (*out)[k] = it != pending.end() ? it->second : loaded[next++];
    }
    return Status::Ok();
  };

  AppendResult result;
  WriteSet w;
  std::vector<HashCache::Node> upper;  // for hash_cache_, once the batch is durable
  for (size_t k = 0; k < entries.size(); ++k) {
    const EntryInput& in = entries[k];
    if (in.envelope.empty()) return Status::InvalidArgument("entry has an empty envelope");
    AppendedEntry out;
    out.entry.index = start + k;
    out.entry.time_ms = time_ms;
    out.entry.type = in.type;
    out.entry.envelope_sha256 = Sha256(AsBytes(in.envelope));
    out.entry.parties = in.parties;
    out.entry.signers = in.signers;
    out.entry.subjects = in.subjects;
    out.entry.codes = in.codes;
    out.entry.refused = in.refused;
    out.entry.map_assets = in.map_assets;
    out.entry.map_ref = in.map_ref;
    out.entry.map_root = in.map_root;
    out.leaf = EncodeLeaf(out.entry);
    out.leaf_hash = LeafHash(AsBytes(out.leaf));
    auto hashes = StoredHashesForLeaf(out.entry.index, out.leaf_hash, reader);
    if (!hashes.ok()) return hashes.status();
    std::uint64_t at = StoredHashCount(out.entry.index);
    for (size_t level = 0; level < hashes->size(); ++level) {
      const Digest& h = (*hashes)[level];
      pending[at] = h;
      w.Put(Column::kTree, EncodeFixed64BE(at), DigestString(h));
      ++at;
      if (static_cast<int>(level) >= hash_cache_.min_level()) {
        upper.push_back({static_cast<int>(level), out.entry.index >> level, h});
      }
    }
    w.Put(Column::kLeaves, EncodeFixed64BE(out.entry.index), out.leaf);
    w.Put(Column::kEnvelopes, EncodeFixed64BE(out.entry.index), in.envelope);
    result.entries.push_back(std::move(out));
  }
  const std::uint64_t new_size = start + entries.size();
  auto root = TreeHash(new_size, reader);
  if (!root.ok()) return root.status();
  result.checkpoint = Checkpoint{origin_, new_size, *root};
  result.signed_checkpoint = SignCheckpoint(result.checkpoint, *log_key_);
  w.Put(Column::kMeta, kMetaSize, EncodeFixed64BE(new_size));
  w.Put(Column::kMeta, kMetaCheckpoint, result.signed_checkpoint);
  w.Put(Column::kMeta, kMetaTime, EncodeFixed64BE(static_cast<std::uint64_t>(time_ms)));
  if (options.extra != nullptr) w.Merge(*options.extra);
  if (options.before_write) {
    if (Status s = options.before_write(result); !s.ok()) return s;
  }

  if (Status s = store_->Write(w); !s.ok()) {
    MutexLock l(&head_mu_);
    failed_ = true;
    return Status::Unavailable(s.message());
  }
  // Readers can ask for these hashes only once the head below includes them.
  hash_cache_.Publish(upper);
  MutexLock l(&head_mu_);
  head_.checkpoint = result.checkpoint;
  head_.signed_checkpoint = result.signed_checkpoint;
  head_.last_time_ms = time_ms;
  return result;
}

Head Ledger::head() const {
  MutexLock l(&head_mu_);
  return head_;
}

std::uint64_t Ledger::size() const {
  MutexLock l(&head_mu_);
  return head_.checkpoint.size;
}

bool Ledger::read_only() const {
  MutexLock l(&head_mu_);
  return failed_ || log_key_ == nullptr;
}

StatusOr<std::string> Ledger::GetLeaf(std::uint64_t index) const {
  if (index >= size()) {
    return Status::NotFound("no entry " + std::to_string(index) + " (tree size " +
                            std::to_string(size()) + ")");
  }
  return store_->Get(Column::kLeaves, EncodeFixed64BE(index));
}

StatusOr<std::string> Ledger::GetEnvelope(const Entry& entry) const {
  auto envelope = store_->Get(Column::kEnvelopes, EncodeFixed64BE(entry.index));
  if (!envelope.ok()) return envelope.status();
  if (Sha256(AsBytes(*envelope)) != entry.envelope_sha256) {
    return Status::Corruption("the envelope of entry " + std::to_string(entry.index) +
                              " does not hash to its leaf's envelope_sha256");
  }
  return envelope;
}

StatusOr<std::vector<Digest>> Ledger::ProveInclusion(std::uint64_t index,
                                                     std::uint64_t tree_size) const {
  if (index >= tree_size || tree_size > size()) {
    return Status::InvalidArgument("no inclusion proof for index " + std::to_string(index) +
                                   " in size " + std::to_string(tree_size) + " (tree size " +
                                   std::to_string(size()) + ")");
  }
  return ipledger::ProveInclusion(tree_size, index, CachedHashReader());
}

StatusOr<std::vector<std::vector<Digest>>> Ledger::ProveInclusionOfLast(
    std::span<const Digest> leaf_hashes, std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("no inclusion proofs in size " + std::to_string(tree_size) +
                                   " (tree size " + std::to_string(size()) + ")");
  }
  return ipledger::ProveInclusionOfLastLeaves(tree_size, leaf_hashes, CachedHashReader());
}

StatusOr<std::vector<Digest>> Ledger::ProveConsistency(std::uint64_t old_size,
                                                       std::uint64_t new_size) const {
  if (old_size == 0 || old_size > new_size || new_size > size()) {
    return Status::InvalidArgument("no consistency proof from size " + std::to_string(old_size) +
                                   " to " + std::to_string(new_size) + " (tree size " +
                                   std::to_string(size()) + ")");
  }
  return ipledger::ProveConsistency(old_size, new_size, CachedHashReader());
}

StatusOr<Digest> Ledger::RootAt(std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size " + std::to_string(tree_size) + " is beyond the tree");
  }
  return TreeHash(tree_size, CachedHashReader());
}

StatusOr<Bytes> Ledger::ReadTile(const TileRef& tile) const {
  const std::uint64_t tree_size = size();
  if (!tile.entries) return ReadHashTile(tile, tree_size, CachedHashReader());
  if (tile.width > TileWidthAt(0, tile.index, tree_size)) {
    return Status::NotFound("entry bundle " + TilePath(tile) + " does not exist at size " +
                            std::to_string(tree_size));
  }
  const std::uint64_t first = tile.index * kTileWidth;
  std::vector<Bytes> leaves;
  Status s =
      store_->Scan(Column::kLeaves, EncodeFixed64BE(first), EncodeFixed64BE(first + tile.width),
                   [&](std::string_view, std::string_view v) {
                     leaves.emplace_back(v.begin(), v.end());
                     return true;
                   });
  if (!s.ok()) return s;
  if (leaves.size() != tile.width) {
    return Status::Corruption("entry bundle " + TilePath(tile) + ": " +
                              std::to_string(leaves.size()) + " leaves stored");
  }
  return EncodeEntryBundle(leaves);
}

StatusOr<std::string> Ledger::SignNote(std::string_view text) const {
  if (log_key_ == nullptr) return Status::FailedPrecondition("the ledger is open read-only");
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note text must end in a newline");
  }
  return ipledger::SignNote(text, origin_, *log_key_);
}

StatusOr<std::string> Ledger::CosignedCheckpoint() const {
  return store_->Get(Column::kMeta, kMetaCosigned);
}

Status Ledger::SaveCosignedCheckpoint(std::string_view note) const {
  if (log_key_ == nullptr) return Status::FailedPrecondition("the ledger is open read-only");
  auto cp = OpenCheckpoint(note, verifier_);
  if (!cp.ok()) return Status::InvalidArgument("not a checkpoint of this log");
  if (cp->size > size()) return Status::InvalidArgument("cosigned checkpoint beyond the tree");
  auto root = RootAt(cp->size);
  if (!root.ok()) return root.status();
  if (*root != cp->root) return Status::InvalidArgument("cosigned checkpoint of another tree");
  WriteSet w;
  w.Put(Column::kMeta, kMetaCosigned, note);
  return store_->Write(w);
}

StatusOr<std::string> Ledger::SignedCheckpointAt(std::uint64_t tree_size) const {
  if (log_key_ == nullptr) return Status::FailedPrecondition("the ledger is open read-only");
  auto root = RootAt(tree_size);
  if (!root.ok()) return root.status();
  return SignCheckpoint(Checkpoint{origin_, tree_size, *root}, *log_key_);
}

StatusOr<std::string> Ledger::TlogProof(std::uint64_t index) const {
  Head h = head();
  auto proof = ProveInclusion(index, h.checkpoint.size);
  if (!proof.ok()) return proof.status();
  ipledger::TlogProof p;
  p.index = index;
  p.inclusion_proof = std::move(*proof);
  p.checkpoint = std::move(h.signed_checkpoint);
  return FormatTlogProof(p);
}

namespace {

// Reads the values of keys [first, last) of a column whose keys are 64-bit big-endian
// integers, in one sequential scan; kCorruption naming `what` and the first missing
// key. Values are appended to `out`.
Status ReadRun(const Store& store, Column c, std::string_view what, std::uint64_t first,
               std::uint64_t last, std::vector<std::string>* out) {
  std::uint64_t next = first;
  Status failure;
  Status scan = store.Scan(
      c, EncodeFixed64BE(first), EncodeFixed64BE(last),
      [&](std::string_view key, std::string_view value) {
        auto k = DecodeFixed64BE(key);
        if (!k || *k != next) return false;
        out->emplace_back(value);
        ++next;
        return true;
      },
      Store::ScanMode::kBulk);
  if (!scan.ok()) {
    return Status::Corruption("reading " + std::string(what) + " near " + std::to_string(next) +
                              ": " + scan.message());
  }
  if (next != last)
    return Status::Corruption(std::string(what) + " " + std::to_string(next) + ": missing");
  return Status::Ok();
}

// The checks of leaf `index` that need no other leaf: it decodes canonically, names
// its own index, and its envelope hashes to the leaf's envelope_sha256. Sets the leaf
// hash.
Status CheckLeaf(std::uint64_t index, const std::string& leaf, const std::string& envelope,
                 Digest* leaf_hash) {
  auto entry = DecodeLeaf(leaf);
  auto where = [index] { return "leaf " + std::to_string(index); };
  if (!entry.ok()) return Status::Corruption(where() + ": " + entry.status().message());
  if (entry->index != index) {
    return Status::Corruption(where() + ": leaf says index " + std::to_string(entry->index));
  }
  if (Sha256(AsBytes(envelope)) != entry->envelope_sha256) {
    return Status::Corruption(where() + ": envelope " + HexEncode(entry->envelope_sha256) +
                              " does not match its hash");
  }
  *leaf_hash = LeafHash(AsBytes(leaf));
  return Status::Ok();
}

// True if column `c` holds a key at or after `from` (big-endian integer keys).
StatusOr<bool> AnyKeyFrom(const Store& store, Column c, std::uint64_t from) {
  bool found = false;
  Status scan = store.Scan(c, EncodeFixed64BE(from), "", [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  if (!scan.ok()) return scan;
  return found;
}

}  // namespace

Status Ledger::Verify() const {
  const Head h = head();
  const std::uint64_t tree_size = h.checkpoint.size;
  auto cp = OpenCheckpoint(h.signed_checkpoint, verifier_);
  if (!cp.ok()) return Status::Corruption("checkpoint signature: " + cp.status().message());

  // One sequential pass over leaves, envelopes and tree hashes, in runs of kRun
  // entries (point reads of each would cost a block lookup apiece). The stored hashes
  // are recomputed with a compact range: the roots of the perfect subtrees along the
  // right border, which is all an appender needs.
  constexpr std::uint64_t kRun = 4096;
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<Digest> border;
  // Run k+1 is read on another thread while run k is checked.
  struct Run {
    std::vector<std::string> leaves, envelopes, hashes;
    Status status;
  };
  auto read_run = [this, tree_size](std::uint64_t first) {
    const std::uint64_t last = std::min(tree_size, first + kRun);
    Run r;
    r.status = ReadRun(*store_, Column::kLeaves, "leaf", first, last, &r.leaves);
    if (r.status.ok()) {
      r.status =
          ReadRun(*store_, Column::kEnvelopes, "the envelope of leaf", first, last, &r.envelopes);
    }
    if (r.status.ok()) {
      r.status = ReadRun(*store_, Column::kTree, "stored tree hash", StoredHashCount(first),
                         StoredHashCount(last), &r.hashes);
    }
    return r;
  };
  std::future<Run> next;
  if (tree_size > 0) next = std::async(std::launch::async, read_run, 0);
  for (std::uint64_t first = 0; first < tree_size; first += kRun) {
    const std::uint64_t last = std::min(tree_size, first + kRun);
    Run run = next.get();
    if (!run.status.ok()) return run.status;
    if (last < tree_size) next = std::async(std::launch::async, read_run, last);
    const std::vector<std::string>& leaves = run.leaves;
    const std::vector<std::string>& envelopes = run.envelopes;
    const std::vector<std::string>& hashes = run.hashes;
    const std::uint64_t first_hash = StoredHashCount(first);
    // The checks of one leaf alone (canonical form, index, envelope hash) and its leaf
    // hash run on every core, each thread over a contiguous slice; the first failing
    // slice holds the first failing leaf.
    std::vector<Digest> leaf_hashes(last - first);
    std::vector<Status> slice_status(workers);
    auto check_slice = [&](unsigned w) {
      const std::size_t n = last - first;
      for (std::size_t k = n * w / workers; k < n * (w + 1) / workers; ++k) {
        Status s = CheckLeaf(first + k, leaves[k], envelopes[k], &leaf_hashes[k]);
        if (!s.ok()) {
          slice_status[w] = std::move(s);
          return;
        }
      }
    };
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < workers; ++w) threads.emplace_back(check_slice, w);
    check_slice(0);
    for (std::thread& t : threads) t.join();
    for (const Status& s : slice_status) {
      if (!s.ok()) return s;
    }
    // The hashes appending each leaf stored: leaf hash, then completed subtrees.
    std::uint64_t at = 0;  // into hashes
    for (std::uint64_t i = first; i < last; ++i) {
      auto check = [&](const Digest& expected) -> Status {
        const std::string& stored = hashes[at];
        if (stored.size() != expected.size() ||
            !std::equal(expected.begin(), expected.end(),
                        reinterpret_cast<const std::uint8_t*>(stored.data()))) {
          return Status::Corruption("leaf " + std::to_string(i) + ": stored tree hash " +
                                    std::to_string(first_hash + at) +
                                    " differs from the one recomputed from the leaves");
        }
        ++at;
        return Status::Ok();
      };
      border.push_back(leaf_hashes[i - first]);
      if (Status s = check(border.back()); !s.ok()) return s;
      for (std::uint64_t n = i; (n & 1) == 1; n >>= 1) {
        Digest right = border.back();
        border.pop_back();
        border.back() = NodeHash(border.back(), right);
        if (Status s = check(border.back()); !s.ok()) return s;
      }
    }
  }
  // Nothing may lie beyond the tree size.
  for (auto [c, what, from] :
       {std::tuple{Column::kLeaves, "leaf", tree_size},
        std::tuple{Column::kEnvelopes, "envelope", tree_size},
        std::tuple{Column::kTree, "tree hash", StoredHashCount(tree_size)}}) {
    auto beyond = AnyKeyFrom(*store_, c, from);
    if (!beyond.ok())
      return Status::Corruption(std::string("reading ") + what + "s: " + beyond.status().message());
    if (*beyond) {
      return Status::Corruption(std::string("a ") + what + " is stored beyond the tree size " +
                                std::to_string(tree_size));
    }
  }
  Digest root = EmptyTreeRoot();
  if (!border.empty()) {
    root = border.back();
    for (size_t j = border.size() - 1; j-- > 0;) root = NodeHash(border[j], root);
  }
  if (root != cp->root) {
    return Status::Corruption("root recomputed from the leaves " + HexEncode(root) +
                              " differs from the checkpoint's " + HexEncode(cp->root));
  }
  return Status::Ok();
}

}  // namespace ipledger
