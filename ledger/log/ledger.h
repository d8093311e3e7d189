// Ledger: the append-only verifiable log of one registry, stored in RocksDB.
//
// Append(entries) assigns consecutive indexes and one integrated time to a batch,
// writes the leaves, the envelopes, the new stored tree hashes, the new tree size and
// the checkpoint signed for it in ONE WriteBatch with sync=true, and returns only
// after that is durable. The checkpoint is signed before the write so that size and
// checkpoint are always stored together: a crash leaves either the whole batch or
// nothing, and the stored checkpoint always matches the stored tree. A failed write
// has an unknown outcome (style.md B.7): the Ledger then refuses every later Append
// with kUnavailable until it is reopened, which re-derives the head from disk.
//
// Open checks that the stored tree matches the stored checkpoint (O(log n) reads) and
// loads the upper levels of the tree into memory (ledger/hash_cache.h: about n/32
// stored hashes, read in index order, checked against each other and the root);
// Verify() checks everything (O(n)). Proofs then read from RocksDB only the few
// lower-level hashes, which lie inside one block of 2^hash_cache_min_level leaves (64
// by default); roots and tiles read the same way.
//
// Thread-safety: all methods may be called concurrently; appends are serialized.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/hash_cache.h"
#include "ledger/log/merkle.h"
#include "ledger/log/store.h"
#include "ledger/log/tile.h"

namespace ipledger {

// The data directory's format, written at init and checked at open.
// "2": envelopes keyed by index (was: by SHA-256 in "1").
// "3": the registry no longer writes a date index entry per leaf nor an outcome record
//      for a plain acceptance (both are derived from the leaves). A "2" directory is read
//      as it is and marked "3" by the first writable open, so that an older build, which
//      would look for those keys in newer entries, refuses it instead of answering wrongly.
inline constexpr std::string_view kFormatVersion = "3";
inline constexpr std::string_view kPreviousFormatVersion = "2";

struct LedgerOptions {
  // The RocksDB Env; not owned. Default: nullptr = the default Env.
  rocksdb::Env* env = nullptr;
  // Milliseconds since the Unix epoch, for integrated times. Default: the system clock.
  std::function<std::int64_t()> clock;
  // Fsync every Append before it returns (StoreOptions.sync). Default: true. false is for
  // the crash test that proves the fsync matters and for replay's throwaway scratch
  // registry; never for a ledger whose acknowledgements matter.
  bool sync = true;
  // Stored tree hashes at this level and above (roots of subtrees of 2^level leaves or
  // more) are kept in memory: about 2·size / 2^level hashes of 32 bytes, loaded at Open.
  // 0..63 (kHashCacheOff keeps nothing; another value is kInvalidArgument at Open).
  // Default: 6 (kDefaultHashCacheMinLevel), one byte per leaf, 10 MB at 1e7 leaves.
  int hash_cache_min_level = kDefaultHashCacheMinLevel;
  // Columns held in memory, not in RocksDB (StoreOptions::memory_columns): for replay's
  // throwaway scratch registry only. Default: 0 (none).
  std::uint32_t memory_columns = 0;
};

// What the sequencer hands to Append for one entry.
struct EntryInput {
  std::string type;      // statement type or "refusal"
  std::string envelope;  // the envelope bytes exactly as received
  std::vector<std::string> parties;
  std::vector<std::string> signers;
  std::vector<std::string> subjects;
  std::vector<std::string> codes;        // refusals only
  std::string refused;                   // refusals only
  std::vector<std::string> map_assets;   // Entry::map_assets
  std::optional<std::uint64_t> map_ref;  // Entry::map_ref
  std::optional<Digest> map_root;        // Entry::map_root
};

struct AppendedEntry {
  Entry entry;
  std::string leaf;  // canonical leaf bytes
  Digest leaf_hash{};
};

struct AppendResult {
  std::vector<AppendedEntry> entries;
  Checkpoint checkpoint;          // the tree including this batch
  std::string signed_checkpoint;  // its signed note
};

struct AppendOptions {
  // The batch's integrated time; must not be before the last one (kInvalidArgument).
  // Default: max(clock, last time).
  std::optional<std::int64_t> time_ms;
  // If set, Append fails with kFailedPrecondition unless the batch starts at this
  // index (a caller that derived state for these indexes must not append elsewhere).
  std::optional<std::uint64_t> first_index;
  // Derived-state writes (registry records, indexes) committed in the same WriteBatch.
  // Not owned; may be null. Default: none.
  const WriteSet* extra = nullptr;
  // Called once the batch's checkpoint is computed and signed, before anything is
  // written. If it returns an error, Append writes nothing and returns that error; the
  // ledger stays writable (nothing of unknown outcome happened here). The sequencer
  // uses it to commit the batch to a cluster's journal (ledger/registry/journal.h)
  // before it is durable locally. Default: none.
  std::function<Status(const AppendResult&)> before_write;
};

struct Head {
  Checkpoint checkpoint;
  std::string signed_checkpoint;
  std::int64_t last_time_ms = 0;
};

class Ledger {
 public:
  // Creates an empty ledger (tree size 0, a signed checkpoint of the empty tree) in
  // `dir`, whose checkpoints `log_key` signs under the name `origin`. Returns after
  // fsync. kAlreadyExists if `dir` holds a database; kInvalidArgument on a bad origin.
  static Status Create(const std::string& dir, std::string_view origin, const SigningKey& log_key,
                       const LedgerOptions& options);

  // Opens a ledger for appending; it takes ownership of `log_key`, which must match
  // the ledger's verifier key (kFailedPrecondition otherwise). kCorruption if the
  // stored tree does not match the stored checkpoint (the message says what differs);
  // kNotFound if there is no ledger; kUnavailable if another process holds it.
  static StatusOr<std::unique_ptr<Ledger>> Open(const std::string& dir, SigningKey log_key,
                                                const LedgerOptions& options);

  // Opens a ledger for reading only, also while another process (the server) appends
  // to it: the store is a RocksDB secondary instance (StoreOptions.read_only) that sees
  // one state, the last batch durable when it opened, so the head and every leaf, hash
  // and record read through this object belong together. Same checks as Open.
  static StatusOr<std::unique_ptr<Ledger>> OpenReadOnly(const std::string& dir,
                                                        const LedgerOptions& options);

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Appends `entries` (at least one) as one durable batch; see the file comment.
  // kInvalidArgument if `entries` is empty or an envelope is empty;
  // kFailedPrecondition if opened read-only; kUnavailable after a failed write.
  StatusOr<AppendResult> Append(std::span<const EntryInput> entries,
                                const AppendOptions& options = {});

  // The store, for derived-state reads by the registry (same database, same batches).
  const Store& store() const { return *store_; }
  // The time the next Append would stamp by default: max(clock, last time).
  std::int64_t NextTime() const;

  // The latest durable head (a copy).
  Head head() const;
  std::uint64_t size() const;
  const std::string& origin() const { return origin_; }
  const NoteVerifier& verifier() const { return verifier_; }
  // True if opened read-only or after a failed write.
  bool read_only() const;
  // Bytes of memory held by the in-memory upper levels of the tree.
  std::size_t hash_cache_bytes() const { return hash_cache_.memory_bytes(); }

  // Leaf bytes of entry `index`; kNotFound if index >= size().
  StatusOr<std::string> GetLeaf(std::uint64_t index) const;
  // The envelope of `entry` (a decoded leaf of this ledger), bytes exactly as received;
  // kNotFound if none, kCorruption if the stored bytes do not hash to
  // entry.envelope_sha256. Envelopes are keyed by index, like leaves, so that a full
  // check reads both in one sequential pass.
  StatusOr<std::string> GetEnvelope(const Entry& entry) const;

  // Inclusion proof of `index` in the tree of `size` leaves. kInvalidArgument unless
  // index < size <= size().
  StatusOr<std::vector<Digest>> ProveInclusion(std::uint64_t index, std::uint64_t size) const;
  // Inclusion proofs of the last leaf_hashes.size() leaves of the tree of `size` leaves,
  // whose leaf hashes the caller holds (a batch it just appended), all at once: the same
  // proofs as ProveInclusion of each (ProveInclusionOfLastLeaves, merkle.h).
  // kInvalidArgument unless 0 < leaf_hashes.size() <= size <= size().
  StatusOr<std::vector<std::vector<Digest>>> ProveInclusionOfLast(
      std::span<const Digest> leaf_hashes, std::uint64_t size) const;
  // Consistency proof between two sizes. kInvalidArgument unless
  // 0 < old_size <= new_size <= size().
  StatusOr<std::vector<Digest>> ProveConsistency(std::uint64_t old_size,
                                                 std::uint64_t new_size) const;
  // Root of the tree of `size` leaves (size <= size()).
  StatusOr<Digest> RootAt(std::uint64_t size) const;

  // A hash tile or entry bundle (C2SP tlog-tiles) implied by the current size;
  // kNotFound if the tile does not exist at this size.
  StatusOr<Bytes> ReadTile(const TileRef& tile) const;

  // A C2SP signed note of `text` (ending in '\n') by the log key, under the origin's
  // name: statements the log itself makes, such as search certificates.
  // kFailedPrecondition if opened read-only.
  StatusOr<std::string> SignNote(std::string_view text) const;

  // A consistent copy of the whole ledger database in a new database in `dir`
  // (Store::CopyTo), also from a read-only instance while another process appends. The
  // copy holds exactly the state this instance reads, so its head is head(); verify
  // the copy (open it, Verify()) before relying on it. kAlreadyExists if `dir` holds a
  // database; kUnavailable on an I/O error.
  Status Backup(const std::string& dir) const { return store_->CopyTo(dir); }

  // The checkpoint of the tree of `size` leaves (size <= size()), signed by the log key.
  // Ed25519 is deterministic, so the same size always gives the same bytes: answers
  // "as of" an index can cite it and be reproduced byte for byte later.
  // kFailedPrecondition if opened read-only; kInvalidArgument beyond the tree.
  StatusOr<std::string> SignedCheckpointAt(std::uint64_t size) const;

  // The latest checkpoint that met the witness policy, with its cosignature lines (a
  // signed note), as last saved by SaveCosignedCheckpoint (meta "cosigned"); kNotFound
  // while none was saved.
  StatusOr<std::string> CosignedCheckpoint() const;
  // Durably saves `note` as the cosigned checkpoint (the gatherer of cosignatures has
  // checked it against its policy). kInvalidArgument unless it is a checkpoint of this
  // log no larger than size() whose root equals RootAt(its size); kFailedPrecondition
  // if opened read-only. Safe to call concurrently with Append; const because it changes
  // nothing the log commits to (one meta key beside it).
  Status SaveCosignedCheckpoint(std::string_view note) const;

  // C2SP tlog-proof of entry `index` against the latest checkpoint.
  StatusOr<std::string> TlogProof(std::uint64_t index) const;

  // Full check: every leaf decodes canonically with its own index and its envelope's
  // hash, every stored tree hash equals the one recomputed from the leaves, nothing
  // lies beyond the tree size, and the root equals the signed checkpoint's.
  // kCorruption naming the first bad index (or key) otherwise.
  Status Verify() const;

 private:
  Ledger(std::unique_ptr<Store> store, std::string origin, NoteVerifier verifier,
         std::unique_ptr<SigningKey> log_key, LedgerOptions options);
  static StatusOr<std::unique_ptr<Ledger>> OpenImpl(const std::string& dir,
                                                    std::unique_ptr<SigningKey> log_key,
                                                    const LedgerOptions& options);
  Status LoadAndCheckHead();
  // Reads stored hashes from RocksDB only (what Verify must check) ...
  Status ReadStoredHashes(std::span<const std::uint64_t> indexes, std::vector<Digest>* out) const;
  HashReader StoreHashReader() const;
  // ... and from hash_cache_ first, RocksDB for the rest (what proofs use).
  HashReader CachedHashReader() const;
  std::int64_t Now() const;

  const std::unique_ptr<Store> store_;
  const std::string origin_;
  const NoteVerifier verifier_;
  const std::unique_ptr<SigningKey> log_key_;  // null when read-only
  const LedgerOptions options_;

  HashCache hash_cache_;  // published by Append after each durable write
  Mutex append_mu_;       // serializes Append
  mutable Mutex head_mu_;
  Head head_ GUARDED_BY(head_mu_);
  bool failed_ GUARDED_BY(head_mu_) = false;  // a write failed, outcome unknown
};

}  // namespace ipledger
