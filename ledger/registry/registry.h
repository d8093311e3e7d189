// Registry: what the log means. It authenticates, authorizes and validates statements
// in log order against current state, appends them (accepted ones as their own type,
// rule-refused ones as `refusal` leaves) and keeps the derived state — participants,
// assets, pledges, valuations, policies, financing cases and secondary indexes — in the
// same RocksDB WriteBatch as the leaves.
//
// Admission failures (E_SIGNATURE, E_FORBIDDEN, E_STALE_STATEMENT,
// E_IDEMPOTENCY_CONFLICT; E_SCHEMA is found by api/ before) are answered and forgotten:
// nothing is written. Everything else is logged. Apply is deterministic: it reads no
// clock (the batch time is chosen before the batch is sequenced) and no randomness, so
// `ipledger verify --replay` can rebuild the state from the log and compare.
//
// Storage: the derived state lives in the columns `state` (versioned records) and
// `index` (secondary indexes); the key schema is ledger/registry/keys.h.
//
// Thread-safety: Submit and Precheck serialize on one sequencer mutex; queries and
// PreverifySignatures may run concurrently with them and see committed state only.
// With MapCheck::kBackground, Open leaves a thread checking the status map (it reads
// committed state only); the destructor stops and joins it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/dsse.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"
#include "ledger/log/ledger.h"
#include "ledger/registry/record.h"
#include "ledger/registry/statement.h"
#include "ledger/registry/stats.h"

namespace ipledger {

namespace map {
class SparseMap;
}  // namespace map
class Txn;
class BatchJournal;   // ledger/registry/journal.h
struct JournalBatch;  // ledger/registry/journal.h

// One envelope to sequence: decoded by api/ (schema already checked).
struct Submission {
  DsseEnvelope envelope;
  std::string envelope_bytes;  // exactly as received; the log keeps these
  Statement statement;         // decoded from envelope.payload
  // Signatures already checked before queueing (PreverifySignatures): key id and the
  // key it verified with. The sequencer skips the Ed25519 check for a signature whose
  // key id still maps to that same key, and checks every other one itself.
  std::vector<std::pair<std::string, PublicKey>> preverified;
};

enum class OutcomeKind {
  kAccepted,  // appended as its own type (201)
  kReplayed,  // same idempotency key and envelope as an earlier entry (200)
  kRefused,   // authentic and authorized, refused by a rule: appended as a refusal
  kRejected,  // admission failure: nothing written
};

struct SubmitOutcome {
  OutcomeKind kind = OutcomeKind::kRejected;
  std::vector<std::string> codes;  // refusal or rejection codes
  std::vector<std::string> warnings;
  std::string detail;
  // Logged outcomes (accepted, replayed, refused): the entry.
  std::uint64_t index = 0;
  std::string leaf;
  std::int64_t time_ms = 0;
  bool replayed_refusal = false;  // kReplayed of an entry that was a refusal
};

// How Registry::Open checks the status map (ipledgerd --map-check).
enum class MapCheck {
  // Everything (CheckStatusMap) before Open returns: O(assets), minutes at 1e6 assets.
  kFull,
  // The O(log n) part (CheckStatusMapHead) before Open returns, the rest on a thread of
  // the registry right after; a bad key found there turns the registry read-only.
  kBackground,
};

struct RegistryOptions {
  LedgerOptions ledger;
  // How far `created` may be from the batch time. Default: 10 minutes (api.md §2).
  std::int64_t stale_window_ms = 10 * 60 * 1000;
  // Keep the status map (ledger/registry/status_map.h). false: no map, no map.root
  // entries and no status records, though leaves still carry their map fields; for
  // benchmarks (the map's cost) and tests of the migration only. A registry opened with
  // true again builds its map from the leaves (StartStatusMap).
  bool status_map = true;
  // How Open checks the status map against the log (CheckStatusMap).
  MapCheck map_check = MapCheck::kFull;
  // kBackground: called once, on the check's thread, when the background check ends:
  // Ok, or the first bad key's kCorruption (the registry refuses writes from then on,
  // MapCheckFailure()), with the check's duration in seconds. Not called for a check
  // stopped by the registry's destruction.
  std::function<void(const Status&, double seconds)> on_map_check;
  // false (cluster nodes, which must not append an entry of their own): a log that
  // StartStatusMap would have to extend is refused with kFailedPrecondition instead.
  bool migrate_status_map = true;
};

struct PledgeStatusView {
  std::string asset_id;
  std::uint64_t as_of_index = 0;  // the last entry the answer accounts for
  bool pledged = false;
  std::vector<PledgeRecord> pledges;    // active (registered or enforcing) at as_of_index
  std::vector<std::uint64_t> evidence;  // entries that establish each pledge's state
};

struct CoverageView {
  std::string asset_id;
  Date date;
  std::uint64_t as_of_index = 0;  // the last entry the answer accounts for
  bool covered = false;
  struct Policy {
    PolicyRecord record;
    std::int64_t remaining_aggregate = 0;
  };
  std::vector<Policy> policies;  // in force on `date`
};

// The status map's evidence for one asset (ledger/registry/asset_status.h): its record
// at the newest logged root at or before the asked index, the map proof of that record
// (or of its absence) against that root, and the root entry.
struct StatusProof {
  std::uint64_t version = 0;  // the map.root entry's index
  Digest root{};
  std::optional<std::string> record;  // encoded AssetStatusRecord; nullopt = no leaf
  std::string proof;                  // ledger/map/proof.h EncodeMapProof
};

class Registry {
 public:
  // Creates the ledger in `dir` and appends the genesis entry: `genesis` must be a
  // participant.register of role registry, signed by one of its own keys (api.md §10).
  static Status Create(const std::string& dir, std::string_view origin, const SigningKey& log_key,
                       const Submission& genesis, const RegistryOptions& options);
  // The same, and returns the registry open for sequencing (the only way to keep state
  // held in memory, RegistryOptions.ledger.memory_columns, past the genesis entry).
  static StatusOr<std::unique_ptr<Registry>> CreateAndOpen(const std::string& dir,
                                                           std::string_view origin,
                                                           SigningKey log_key,
                                                           const Submission& genesis,
                                                           const RegistryOptions& options);
  // Opens for sequencing (takes the log key) or read-only; see Ledger::Open.
  static StatusOr<std::unique_ptr<Registry>> Open(const std::string& dir, SigningKey log_key,
                                                  const RegistryOptions& options);
  static StatusOr<std::unique_ptr<Registry>> OpenReadOnly(const std::string& dir,
                                                          const RegistryOptions& options);

  // Sequences `batch` in order and appends every logged outcome in one durable batch
  // (returns after fsync). One outcome per submission, in order. `time_ms` forces the
  // batch time (replay); default: Ledger::NextTime(). A failed append returns its
  // status (kUnavailable: the ledger is read-only now) and no outcome.
  StatusOr<std::vector<SubmitOutcome>> Submit(std::span<const Submission> batch,
                                              std::optional<std::int64_t> time_ms = {})
      EXCLUDES(sequencer_mu_);

  // Even while no batch is being written; odd from before a batch's first write becomes
  // visible to readers until after its last (the log head, the records, the status map,
  // the statistics). Readers that cache what they read (api/server/read_cache.h) key it by
  // an even epoch read before and still the same after.
  std::uint64_t write_epoch() const { return write_epoch_.load(std::memory_order_acquire); }
  // Cluster mode (ledger/registry/journal.h): from now on Submit commits every batch to
  // `journal` before writing it, and writes nothing when the journal refuses (the
  // journal's status is returned). Not owned; must outlive the registry's last Submit.
  // Call before the first Submit; null (the default) is the single-node registry.
  void SetJournal(BatchJournal* journal) EXCLUDES(sequencer_mu_);

  // Applies a batch another node sequenced: re-sequences `submissions` (the batch's
  // envelopes, decoded, in order) at the batch's time without the journal.
  // kFailedPrecondition unless the log's size is batch.first; kCorruption, writing
  // nothing, if an entry would not be logged at its index or the tree would not end at
  // the batch's size and root.
  Status ApplyBatch(const JournalBatch& batch, std::span<const Submission> submissions)
      EXCLUDES(sequencer_mu_);

  // Verifies the Ed25519 signatures of `s` against the committed participant keys and
  // records the ones that verify in s->preverified, so that this expensive part runs on
  // the caller's thread, in parallel, instead of in the sequencer. Never decides
  // anything: the sequencer still checks every key against the state it sequences in.
  void PreverifySignatures(Submission* s) const EXCLUDES(participant_cache_mu_);
  // True if `keyid` ("<participant>/<label>") names a registered key that is not revoked:
  // the io threads' cheap check before any verification. A "yes" from the participant
  // cache (participant_cache_) is taken (the sequencer re-checks every key); anything
  // else is read from the committed state, so a "no" is never stale.
  bool KeyIsCurrent(std::string_view keyid) const EXCLUDES(participant_cache_mu_);
  // The committed record of participant `id`, for authenticating a request (RFC 9421):
  // from the participant cache the io threads share, else read (then cached). The cache
  // follows every batch (see participant_cache_), so a key revoked by an acknowledged
  // statement is never accepted. kNotFound if `id` is not registered.
  StatusOr<std::shared_ptr<const ParticipantRecord>> CurrentParticipant(const std::string& id) const
      EXCLUDES(participant_cache_mu_);

  // Runs every check Submit would run, against current state, writing nothing.
  SubmitOutcome Precheck(const Submission& submission) EXCLUDES(sequencer_mu_);

  // The log, for reads (leaves, proofs, checkpoints). Only the sequencer appends.
  const Ledger& ledger() const { return *ledger_; }

  // Queries. `as_of` = a log index (inclusive); default: the latest committed entry.
  // kNotFound if the id does not exist (at that index).
  StatusOr<ParticipantRecord> GetParticipant(std::string_view id,
                                             std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<AssetRecord> GetAsset(std::string_view id,
                                 std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<PledgeRecord> GetPledge(std::string_view id,
                                   std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<ValuationRecord> GetValuation(std::string_view id,
                                         std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<PolicyRecord> GetPolicy(std::string_view id,
                                   std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<CaseRecord> GetCase(std::string_view id, std::optional<std::uint64_t> as_of = {}) const;
  StatusOr<OutcomeRecord> GetOutcome(std::uint64_t index) const;
  StatusOr<std::vector<ParticipantRecord>> ListParticipants() const;
  // Every participant's latest witness keys record (revoked keys included), by id.
  StatusOr<std::vector<WitnessKeysRecord>> ListWitnessKeys() const;
  // One participant's latest witness keys record (revoked keys included); kNotFound if
  // it never registered a witness key.
  StatusOr<WitnessKeysRecord> GetWitnessKeys(std::string_view id) const;

  // The last entry integrated on or before the end of `date` (Asia/Shanghai);
  // kNotFound if the log has none that early.
  StatusOr<std::uint64_t> IndexAtDate(Date date) const;

  // Whether `asset_id` is pledged as of index `as_of` (default: latest).
  StatusOr<PledgeStatusView> PledgeStatus(std::string_view asset_id,
                                          std::optional<std::uint64_t> as_of = {}) const;
  // Policies covering `asset_id` on `date`, by the state as of index `as_of` (default:
  // latest): a policy issued, cancelled or claimed against after `as_of` is not seen.
  StatusOr<CoverageView> Coverage(std::string_view asset_id, Date date,
                                  std::optional<std::uint64_t> as_of = {}) const;
  // Secured amount / sum of the latest non-withdrawn valuations of the collateral valid
  // on `date`, in basis points (half-up). nullopt if a collateral item has no such
  // valuation in the secured amount's currency.
  StatusOr<std::optional<std::int64_t>> LtvBps(std::string_view pledge_id, Date date) const;
  // Indexes of every entry about `asset_id`, in log order.
  StatusOr<std::vector<std::uint64_t>> AssetHistory(std::string_view asset_id) const;

  // Indexes of the entries about asset `id` (kind "asset") or involving participant
  // `id` (kind "participant"), from `from_index` on, at most `max`, in log order.
  StatusOr<std::vector<std::uint64_t>> EntriesAbout(std::string_view kind, std::string_view id,
                                                    std::uint64_t from_index,
                                                    std::size_t max) const;
  // The first entry integrated at or after `time_ms`; the log size if none.
  StatusOr<std::uint64_t> FirstIndexAtOrAfter(std::int64_t time_ms) const;

  // Regulator statistics (ledger/stats.h) over the committed pledge registrations.
  StatsResult Stats(const StatsQuery& q) const;

  // The status map's evidence for `asset_id` as of the newest root at or before index
  // `as_of`; kNotFound if no root is logged that early.
  StatusOr<StatusProof> ProveStatus(std::string_view asset_id, std::uint64_t as_of) const;

  // Checks the latest status map version: every node (SparseMap::Check), its root
  // against the logged map.root entry, and every stored status record (tag S) against
  // its map value and the logged count. kCorruption naming the first bad key. Open runs
  // it (O(assets)) with MapCheck::kFull, after Open with kBackground; `ipledger verify`
  // runs it too.
  Status CheckStatusMap() const;
  // The O(log n) part, which Open always runs: the newest map.root entry of the log
  // (by the type index) is the map's newest version, that entry's leaf is included in
  // the checkpoint, its signed statement names that version and the stored root, and
  // the stored root node hashes from its children to that root. Returns the signed
  // asset count (nullopt: no map version). kCorruption naming what differs.
  StatusOr<std::optional<std::uint64_t>> CheckStatusMapHead() const;
  // Why the registry refuses writes after the background map check failed (the first
  // bad key); nullopt while the check runs, after it passed, or without one.
  std::optional<std::string> MapCheckFailure() const EXCLUDES(map_check_mu_);

  // Builds the status map of a log that has none yet — a data directory whose map data
  // is missing or that was sequenced with options.status_map false — from its public
  // leaves, as the sequencer derives it: saves every asset's status record, stages the
  // map and appends one map.root entry (at `time_ms`, default Ledger::NextTime) that
  // covers every earlier entry; its index is recorded as StatusMapStart(). Nothing to do
  // (Ok) if the map already has a version or no leaf changes an asset's status.
  // kFailedPrecondition if read-only, or if the log holds pledge or policy entries
  // without map fields (written before the status map existed): the map cannot be
  // derived from such leaves. Open runs it; replay runs it where the source did.
  Status StartStatusMap(std::optional<std::int64_t> time_ms = {}) EXCLUDES(sequencer_mu_);
  // The index of the map.root entry StartStatusMap appended; nullopt if the map was kept
  // from the start.
  StatusOr<std::optional<std::uint64_t>> StatusMapStart() const;

  // Compares the derived state (columns `state` and `index`) with `other`'s key by key.
  // kCorruption naming the first differing key.
  Status CompareDerivedState(const Registry& other) const;

  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

 private:
  Registry(std::unique_ptr<Ledger> ledger, RegistryOptions options);

  // Submit, or with `expect` ApplyBatch.
  StatusOr<std::vector<SubmitOutcome>> SubmitImpl(std::span<const Submission> batch,
                                                  std::optional<std::int64_t> time_ms,
                                                  const JournalBatch* expect)
      EXCLUDES(sequencer_mu_);
  Status LoadStats();
  Status OpenStatusMap();
  // The map.root entry of map version `version` (in the checkpoint, signed, naming the
  // stored root, whose root node checks); returns its signed count.
  StatusOr<std::optional<std::uint64_t>> CheckMapRootEntry(std::uint64_t version) const;
  // CheckStatusMap without the newest-entry comparison (which a concurrent batch would
  // race), stoppable: kUnavailable once `*stop` is true.
  Status CheckStatusMapFully(const std::atomic<bool>* stop) const;
  // Starts the background check (MapCheck::kBackground).
  void StartMapCheck() EXCLUDES(map_check_mu_);
  // Applies the status changes of the logged `inputs` (the batch starting at `first`),
  // saves their records in `txn` and, if the map changed, stages
  // the new map version and appends its map.root entry to `inputs`; `staged` = its
  // version. Sequencer only.
  Status StageStatusMap(Txn& txn, std::vector<EntryInput>* inputs, std::uint64_t first,
                        std::int64_t time_ms, std::optional<std::uint64_t>* staged)
      REQUIRES(sequencer_mu_);
  // Stages map version `version` with `updates` and `count` assets, saves the count and
  // appends its signed map.root entry to `inputs`. Sequencer only.
  Status StageMapRoot(Txn& txn, const std::vector<std::pair<Digest, Digest>>& updates,
                      std::uint64_t count, std::uint64_t version, std::int64_t time_ms,
                      std::vector<EntryInput>* inputs) REQUIRES(sequencer_mu_);
  // After a durable batch: forgets the cached records of the participants it wrote.
  void DropCachedParticipants(const std::map<std::string, std::string>& state_writes)
      EXCLUDES(participant_cache_mu_);
  // Participant `id` from the participant cache, else from the committed state (then
  // cached); null if it is not registered.
  std::shared_ptr<const ParticipantRecord> CachedParticipant(const std::string& id,
                                                             bool* cached) const
      EXCLUDES(participant_cache_mu_);

  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<map::SparseMap> map_;  // the status map (column `map`)
  RegistryOptions options_;
  StatsIndex stats_;
  Mutex sequencer_mu_;
  std::atomic<std::uint64_t> write_epoch_{0};  // write_epoch()
  BatchJournal* journal_ GUARDED_BY(sequencer_mu_) = nullptr;
  // The latest committed version of records the sequencer read or wrote, by record
  // prefix ("<tag>/<id>\0"); nullopt = no such record. The sequencer is the only
  // writer, so this is exact; it saves a RocksDB iterator (a SeekForPrev) per lookup.
  // Cleared when it grows past kLatestCacheLimit.
  std::unordered_map<std::string, std::optional<std::string>> latest_ GUARDED_BY(sequencer_mu_);
  static constexpr std::size_t kLatestCacheLimit = 1 << 16;

  // The background map check (MapCheck::kBackground): its thread, stopped and joined by
  // the destructor, and what it found wrong.
  std::atomic<bool> stop_map_check_{false};
  std::thread map_check_thread_;
  mutable Mutex map_check_mu_;
  std::optional<std::string> map_check_failure_ GUARDED_BY(map_check_mu_);

  // Participant records for the io threads (PreverifySignatures, KeyIsCurrent,
  // CurrentParticipant), by id. An entry is the committed record: entries of participants
  // a batch changes are dropped right after the batch is durable, before any of its
  // outcomes is answered, and a record read before such a drop is not inserted
  // (participant_cache_generation_). The sequencer never reads it: it checks every key against
  // the state it sequences in.
  mutable SharedMutex participant_cache_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const ParticipantRecord>>
      participant_cache_ GUARDED_BY(participant_cache_mu_);
  std::uint64_t participant_cache_generation_ GUARDED_BY(participant_cache_mu_) = 0;
};

}  // namespace ipledger
