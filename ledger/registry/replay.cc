#include "ledger/registry/replay.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "ledger/base/mutex.h"
#include "ledger/log/entry.h"
#include "ledger/registry/asset_status.h"

namespace ipledger {
namespace {

struct LoggedEntry {
  Entry entry;
  std::string leaf;
  Submission submission;
};

StatusOr<LoggedEntry> Load(const Registry& source, const SubmissionDecoder& decode,
                           std::uint64_t i) {
  const std::string where = "entry " + std::to_string(i) + ": ";
  LoggedEntry e;
  auto leaf = source.ledger().GetLeaf(i);
  if (!leaf.ok()) return Status::Corruption(where + leaf.status().message());
  e.leaf = std::move(*leaf);
  auto entry = DecodeLeaf(e.leaf);
  if (!entry.ok()) return Status::Corruption(where + entry.status().message());
  e.entry = std::move(*entry);
  // The log's own map.root entries are not submissions: the scratch registry writes its
  // own, compared in ReplayAndCompare.
  if (e.entry.type == kMapRootType) return e;
  auto bytes = source.ledger().GetEnvelope(e.entry);
  if (!bytes.ok())
    return Status::Corruption(where + "envelope missing: " + bytes.status().message());
  auto submission = decode(std::move(*bytes));
  if (!submission.ok()) return Status::Corruption(where + submission.status().message());
  e.submission = std::move(*submission);
  return e;
}

// Records in e->submission.preverified every signature that verifies with a key the
// source registry knows under that key id now, revoked or not: the scratch sequencer
// still checks that the key id maps to that key, unrevoked, at the entry's index, and
// checks every signature not recorded here itself.
// `keys` caches the source's participants' keys by id (nullopt: no such participant):
// the source does not change during a replay.
using SourceKeys = std::unordered_map<std::string, std::optional<std::vector<KeyRecord>>>;
void PreverifyAgainstSource(const Registry& source, LoggedEntry* e, SourceKeys* keys) {
  Submission& s = e->submission;
  for (const DsseSignature& sig : s.envelope.signatures) {
    const size_t slash = sig.keyid.find('/');
    if (slash == std::string::npos || sig.sig.size() != 64) continue;
    const std::string id = sig.keyid.substr(0, slash);
    auto cached = keys->find(id);
    if (cached == keys->end()) {
      auto p = source.GetParticipant(id);
      std::optional<std::vector<KeyRecord>> held;
      if (p.ok()) held = std::move(p->keys);
      cached = keys->emplace(id, std::move(held)).first;
    }
    if (!cached->second) continue;
    for (const KeyRecord& k : *cached->second) {
      if (k.label == sig.keyid.substr(slash + 1) && VerifyDsseSignature(s.envelope, sig, k.key)) {
        s.preverified.emplace_back(sig.keyid, k.key);
      }
    }
  }
}

// The entries [1, size) of the source, loaded, decoded and signature-checked in chunks,
// in parallel, at most kWindow chunks ahead of the one the sequencer takes next. Worker
// threads (one per core) claim chunks in order; so does the sequencing thread while the
// chunk it needs is not ready, instead of waiting: the signature checks, most of
// replay's work, then keep every core busy (a run-at-a-time pipeline left cores idle
// while its slowest slice finished).
class Preparer {
 public:
  static constexpr std::uint64_t kChunk = 128;
  static constexpr std::uint64_t kWindow = 32;  // chunks: 4,096 entries in memory at most

  Preparer(const Registry& source, const SubmissionDecoder& decode, std::uint64_t size,
           unsigned workers)
      : source_(source),
        decode_(decode),
        size_(size),
        chunks_(size > 1 ? (size - 1 + kChunk - 1) / kChunk : 0),
        slots_(chunks_) {
    for (unsigned w = 0; w < workers; ++w) {
      threads_.emplace_back([this] {
        SourceKeys keys;
        MutexLock l(&mu_);
        while (!stopping_) {
          if (!ClaimAndPrepare(&keys)) cv_.wait(mu_);
        }
      });
    }
  }
  ~Preparer() {
    {
      MutexLock l(&mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  Preparer(const Preparer&) = delete;
  Preparer& operator=(const Preparer&) = delete;

  std::uint64_t chunks() const { return chunks_; }

  // Chunk `c`'s entries, in order; chunks must be taken in order. The error of its first
  // entry that failed to load or decode, if one did.
  StatusOr<std::vector<LoggedEntry>> Take(std::uint64_t c) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    while (!slots_[c].ready) {
      if (!ClaimAndPrepare(&own_keys_)) cv_.wait(mu_);
    }
    Slot slot = std::move(slots_[c]);
    slots_[c] = Slot{};
    taken_ = c + 1;  // the window moves on
    cv_.notify_all();
    if (!slot.status.ok()) return slot.status;
    return std::move(slot.entries);
  }

 private:
  struct Slot {
    bool ready = false;
    Status status;
    std::vector<LoggedEntry> entries;
  };

  // Claims the next chunk inside the window, if any, and prepares it with mu_ released;
  // false if there is none to claim.
  bool ClaimAndPrepare(SourceKeys* keys) REQUIRES(mu_) {
    if (next_ >= chunks_ || next_ >= taken_ + kWindow) return false;
    const std::uint64_t c = next_++;
    mu_.Unlock();
    Slot slot;
    const std::uint64_t first = 1 + c * kChunk;
    const std::uint64_t last = std::min(size_, first + kChunk);
    slot.entries.reserve(last - first);
    for (std::uint64_t i = first; i < last && slot.status.ok(); ++i) {
      auto e = Load(source_, decode_, i);
      if (!e.ok()) {
        slot.status = e.status();
        break;
      }
      slot.entries.push_back(std::move(*e));
      LoggedEntry& added = slot.entries.back();
      if (added.entry.type != kMapRootType) PreverifyAgainstSource(source_, &added, keys);
    }
    slot.ready = true;
    mu_.Lock();
    slots_[c] = std::move(slot);
    cv_.notify_all();
    return true;
  }

  const Registry& source_;
  const SubmissionDecoder& decode_;
  const std::uint64_t size_;
  const std::uint64_t chunks_;
  Mutex mu_;
  std::condition_variable_any cv_;  // signals a ready chunk, a moved window, stopping_
  std::vector<Slot> slots_ GUARDED_BY(mu_);
  std::uint64_t next_ GUARDED_BY(mu_) = 0;   // the next chunk to claim
  std::uint64_t taken_ GUARDED_BY(mu_) = 0;  // chunks the sequencer has taken
  bool stopping_ GUARDED_BY(mu_) = false;
  SourceKeys own_keys_;  // the sequencing thread's, when it prepares chunks itself
  std::vector<std::thread> threads_;
};

std::string Codes(const std::vector<std::string>& codes) {
  std::string s;
  for (const auto& c : codes) s += (s.empty() ? "" : ",") + c;
  return s.empty() ? "none" : s;
}

}  // namespace

StatusOr<ReplayReport> ReplayAndCompare(const Registry& source, const std::string& scratch_dir,
                                        const SubmissionDecoder& decode) {
  ReplayReport report;
  const std::uint64_t size = source.ledger().size();
  if (size == 0) return Status::Corruption("the log has no genesis entry");
  auto genesis = Load(source, decode, 0);
  if (!genesis.ok()) return genesis.status();

  std::int64_t clock_ms = genesis->entry.time_ms;
  RegistryOptions options;
  options.ledger.clock = [&clock_ms] { return clock_ms; };
  // The scratch registry is thrown away afterwards: waiting for its fsyncs would only
  // slow the sequencer, which is replay's critical path.
  options.ledger.sync = false;
  // Its derived state lives in memory: nothing of it is ever read back from disk, it is
  // only compared with the stored columns at the end (the log columns stay in RocksDB).
  options.ledger.memory_columns = ColumnBit(Column::kState) | ColumnBit(Column::kIndex);
  // A status map started on a log that had none (Registry::StartStatusMap) is started
  // in the scratch registry at the same entry, so that both log the same leaves.
  auto map_start = source.StatusMapStart();
  if (!map_start.ok()) return map_start.status();
  options.status_map = !map_start->has_value();
  auto scratch = Registry::CreateAndOpen(scratch_dir, source.ledger().origin(),
                                         SigningKey::Generate(), genesis->submission, options);
  if (!scratch.ok()) {
    if (scratch.status().code() != ErrorCode::kInvalidArgument) return scratch.status();
    return Status::Corruption("entry 0 (genesis) does not replay: " + scratch.status().message());
  }
  auto first_leaf = (*scratch)->ledger().GetLeaf(0);
  if (!first_leaf.ok()) return first_leaf.status();
  if (*first_leaf != genesis->leaf) return Status::Corruption("entry 0: the replayed leaf differs");
  report.entries = 1;
  report.batches = 1;

  // Entries of one original batch share their integrated time: replay them as a batch.
  // Loading, decoding and the Ed25519 checks of the entries ahead happen on all cores
  // (Preparer) while this thread sequences.
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
  std::vector<LoggedEntry> group;
  auto submit_group = [&]() -> Status {
    std::vector<Submission> batch;
    batch.reserve(group.size());
    for (LoggedEntry& e : group) batch.push_back(std::move(e.submission));
    auto outcomes = (*scratch)->Submit(batch, group.front().entry.time_ms);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t k = 0; k < group.size(); ++k) {
      const LoggedEntry& e = group[k];
      const SubmitOutcome& o = (*outcomes)[k];
      const std::string where = "entry " + std::to_string(e.entry.index) + ": ";
      const bool was_refusal = e.entry.type == kRefusalType;
      const OutcomeKind expected = was_refusal ? OutcomeKind::kRefused : OutcomeKind::kAccepted;
      if (o.kind != expected || o.index != e.entry.index) {
        return Status::Corruption(
            where + "logged as " + e.entry.type + " (" + Codes(e.entry.codes) +
            ") but replays as " +
            (o.kind == OutcomeKind::kRejected ? "rejected" : "another outcome") + " (" +
            Codes(o.codes) + ") " + o.detail);
      }
      if (o.leaf != e.leaf) {
        return Status::Corruption(where + "the replayed leaf differs from the logged one");
      }
    }
    report.entries += group.size();
    ++report.batches;
    group.clear();
    return Status::Ok();
  };
  // A map.root entry ends its batch: the scratch registry must have written the same
  // entry (the envelope differs: the scratch log key signs it), with the same root.
  auto compare_root = [&](const LoggedEntry& e) -> Status {
    const std::string where = "entry " + std::to_string(e.entry.index) + ": ";
    auto leaf = (*scratch)->ledger().GetLeaf(e.entry.index);
    if (!leaf.ok()) return Status::Corruption(where + "the replay logs no map.root entry here");
    auto mine = DecodeLeaf(*leaf);
    if (!mine.ok()) return mine.status();
    mine->envelope_sha256 = e.entry.envelope_sha256;
    if (*mine != e.entry) {
      return Status::Corruption(where + "the replayed map.root entry differs from the logged one");
    }
    ++report.entries;
    return Status::Ok();
  };
  Preparer preparer(source, decode, size, workers);
  for (std::uint64_t c = 0; c < preparer.chunks(); ++c) {
    auto run = preparer.Take(c);
    if (!run.ok()) return run.status();
    for (LoggedEntry& e : *run) {
      if (!group.empty() && e.entry.time_ms != group.front().entry.time_ms) {
        if (Status s = submit_group(); !s.ok()) return s;  // ~Preparer stops the workers
      }
      if (e.entry.type == kMapRootType) {
        if (!group.empty()) {
          if (Status s = submit_group(); !s.ok()) return s;
        }
        if (*map_start == e.entry.index) {
          if (Status s = (*scratch)->StartStatusMap(e.entry.time_ms); !s.ok()) {
            return Status::Corruption("entry " + std::to_string(e.entry.index) +
                                      ": the status map does not start here again: " + s.message());
          }
        }
        if (Status s = compare_root(e); !s.ok()) return s;
        continue;
      }
      group.push_back(std::move(e));
    }
  }
  if (!group.empty()) {
    if (Status s = submit_group(); !s.ok()) return s;
  }
  if (Status s = source.CompareDerivedState(**scratch); !s.ok()) return s;
  return report;
}

}  // namespace ipledger
