// The sequencer: authenticates, authorizes and sequences submissions against the state
// it builds (Txn), runs the rules (rules.h) and appends every logged outcome.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <variant>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/map/sparse_map.h"
#include "ledger/registry/journal.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/rules.h"
#include "ledger/registry/txn.h"

namespace ipledger {
namespace {

// Whether `key` is a valid registered key id "<participant>/<label>" for the signature;
// at genesis (empty log) the registering participant's own body keys count.
std::optional<PublicKey> FindSigningKey(Txn& txn, const Statement& st, std::uint64_t index,
                                        const std::string& participant, const std::string& label) {
  if (index == 0) {
    const auto* reg = std::get_if<ParticipantRegister>(&st.body);
    if (reg == nullptr || reg->id != participant) return std::nullopt;
    for (const KeySpec& k : reg->keys) {
      if (k.label == label) return k.ed25519;
    }
    return std::nullopt;
  }
  auto p = txn.Load<ParticipantRecord>(kParticipantTag, participant);
  if (!p) return std::nullopt;
  for (const KeyRecord& k : p->keys) {
    if (k.label == label && !k.revoked_index) return k.key;
  }
  return std::nullopt;
}

// One sequenced submission: its outcome and, for logged outcomes (accepted or refused),
// the entry to append.
struct Sequenced {
  SubmitOutcome outcome;
  EntryInput input;
};

bool Logged(const SubmitOutcome& o) {
  return o.kind == OutcomeKind::kAccepted || o.kind == OutcomeKind::kRefused;
}

// Sequences `s` as entry `index` of a batch at `time_ms` against `txn`, writing its
// records and indexes there if it is logged.
Sequenced Sequence(Txn& txn, const Submission& s, std::uint64_t index, std::int64_t time_ms,
                   const RegistryOptions& options) {
  Sequenced result;
  SubmitOutcome& out = result.outcome;
  const Statement& st = s.statement;
  out.time_ms = time_ms;
  auto reject = [&result](std::string code, std::string detail) {
    result.outcome.kind = OutcomeKind::kRejected;
    result.outcome.codes = {std::move(code)};
    result.outcome.detail = std::move(detail);
    return std::move(result);
  };

  // Authentication: every signature must be by a registered, unrevoked key.
  Ctx c;
  c.txn = &txn;
  c.st = &st;
  c.index = index;
  c.time_ms = time_ms;
  c.today = DateOfInstant(time_ms);
  if (s.envelope.signatures.empty()) return reject("E_SIGNATURE", "the envelope has no signature");
  const Bytes pae = Pae(s.envelope.payload_type, s.envelope.payload);
  for (const DsseSignature& sig : s.envelope.signatures) {
    const auto slash = sig.keyid.find('/');
    if (slash == std::string::npos) {
      return reject("E_SIGNATURE", "key id '" + sig.keyid + "' is not <participant>/<label>");
    }
    const std::string participant = sig.keyid.substr(0, slash);
    const std::string label = sig.keyid.substr(slash + 1);
    auto key = FindSigningKey(txn, st, index, participant, label);
    if (!key) return reject("E_SIGNATURE", "key " + sig.keyid + " is not registered or is revoked");
    const bool preverified = std::find(s.preverified.begin(), s.preverified.end(),
                                       std::make_pair(sig.keyid, *key)) != s.preverified.end();
    if (sig.sig.size() != 64 || (!preverified && !VerifyDsseSignature(s.envelope, sig, *key))) {
      return reject("E_SIGNATURE", "the signature by " + sig.keyid + " does not verify");
    }
    c.signer_keys.insert(sig.keyid);
    c.signer_participants.insert(participant);
  }

  // Only the submitter's own envelopes may claim its idempotency keys (and learn of
  // earlier entries through them): authorization of the submitter comes first.
  if (!c.Signed(st.submitter)) {
    return reject("E_FORBIDDEN", "the submitter " + st.submitter + " has not signed");
  }

  // Idempotency before staleness: a client retrying an old envelope gets its receipt.
  // Idempotency is by meaning: the record holds the SHA-256 of the signed payload, so
  // the same statement in another serialization of the envelope (whitespace, signature
  // order, extra co-signatures) gets the original receipt. Records written before this
  // held the envelope's SHA-256; those still match their exact envelope bytes.
  const Digest payload_hash = Sha256(s.envelope.payload);
  const std::string idem_key = IdempotencyKey(st.submitter, st.idempotency_key);
  if (auto prior = txn.Get(Column::kIndex, idem_key)) {
    auto prior_index = DecodeFixed64BE(std::string_view(*prior).substr(0, kU64Size));
    if (!prior_index || prior->size() != kIdempotencyValueSize) {
      return reject("E_INTERNAL", "idempotency record of " + st.submitter + " is malformed");
    }
    // Only a retry needs the envelope's own hash (the log hashes it once more anyway).
    const Digest envelope_hash = Sha256(AsBytes(s.envelope_bytes));
    const std::string held = prior->substr(kU64Size);
    if (held != std::string(payload_hash.begin(), payload_hash.end()) &&
        held != std::string(envelope_hash.begin(), envelope_hash.end())) {
      return reject("E_IDEMPOTENCY_CONFLICT", "idempotency key '" + st.idempotency_key + "' of " +
                                                  st.submitter +
                                                  " was used for another statement (index " +
                                                  std::to_string(*prior_index) + ")");
    }
    out.kind = OutcomeKind::kReplayed;
    out.index = *prior_index;
    if (auto rec = txn.Get(Column::kIndex, OutcomeKey(*prior_index))) {
      OutcomeRecord o;
      if (DecodeRecord(*rec, &o).ok()) {
        out.codes = o.codes;
        out.warnings = o.warnings;
        out.detail = o.detail;
        out.replayed_refusal = !o.codes.empty();
      }
    }
    return result;
  }

  if (st.created_ms < time_ms - options.stale_window_ms ||
      st.created_ms > time_ms + options.stale_window_ms) {
    return reject("E_STALE_STATEMENT", "created " + FormatInstant(st.created_ms) +
                                           " is more than 10 minutes from the registry's time " +
                                           FormatInstant(time_ms));
  }
  if (index == 0) {
    const auto* reg = std::get_if<ParticipantRegister>(&st.body);
    if (reg == nullptr || reg->role != Role::kRegistry || reg->id != st.submitter) {
      return reject("E_FORBIDDEN", "the first entry must register the registry itself");
    }
    c.submitter_role = Role::kRegistry;
  } else {
    auto submitter = txn.Load<ParticipantRecord>(kParticipantTag, st.submitter);
    if (!submitter)
      return reject("E_SIGNATURE", "submitter " + st.submitter + " is not registered");
    c.submitter_role = submitter->role;
  }
  c.parties.insert(c.signer_participants.begin(), c.signer_participants.end());
  c.parties.insert(st.submitter);

  ApplyRules(c);
  if (!txn.error().ok()) return reject("E_INTERNAL", txn.error().message());
  if (c.forbidden) return reject("E_FORBIDDEN", c.detail);

  out.kind = c.refused() ? OutcomeKind::kRefused : OutcomeKind::kAccepted;
  out.index = index;
  out.codes = c.refused() ? c.codes : std::vector<std::string>{};
  out.warnings = c.warnings;
  out.detail = c.detail;
  // Entry metadata and indexes; a refusal is about the same parties and subjects.
  const std::string type = out.kind == OutcomeKind::kRefused ? std::string(kRefusalType) : st.type;
  txn.Put(Column::kIndex, idem_key,
          EncodeFixed64BE(index) + std::string(payload_hash.begin(), payload_hash.end()));
  // The outcome record only when the leaf cannot say it (keys.h): a plain acceptance
  // is derived from the leaf, and the time index from the leaves' times.
  if (OutcomeNeedsRecord(out.kind == OutcomeKind::kRefused, out.warnings, out.detail)) {
    txn.Put(Column::kIndex, OutcomeKey(index),
            EncodeRecord(OutcomeRecord{st.type, out.codes, out.warnings, out.detail}));
  }
  txn.Put(Column::kIndex, IndexKey(kTypePrefix, type, index), "");
  for (const std::string& a : c.assets)
    txn.Put(Column::kIndex, IndexKey(kAssetHistoryPrefix, a, index), "");
  for (const std::string& p : c.parties)
    txn.Put(Column::kIndex, IndexKey(kParticipantHistoryPrefix, p, index), "");
  result.input.type = type;
  result.input.envelope = s.envelope_bytes;
  result.input.parties.assign(c.parties.begin(), c.parties.end());
  result.input.signers.assign(c.signer_keys.begin(), c.signer_keys.end());
  result.input.subjects.assign(c.subjects.begin(), c.subjects.end());
  result.input.codes = out.kind == OutcomeKind::kRefused ? c.codes : std::vector<std::string>{};
  result.input.refused = out.kind == OutcomeKind::kRefused ? st.type : "";
  if (out.kind == OutcomeKind::kAccepted) {  // a refusal never changes the status map
    result.input.map_assets = c.map_assets;
    std::sort(result.input.map_assets.begin(), result.input.map_assets.end());
    result.input.map_assets.erase(
        std::unique(result.input.map_assets.begin(), result.input.map_assets.end()),
        result.input.map_assets.end());
    if (!c.map_assets.empty()) result.input.map_ref = c.map_ref;
  }
  return result;
}

}  // namespace

StatusOr<std::vector<SubmitOutcome>> Registry::Submit(std::span<const Submission> batch,
                                                      std::optional<std::int64_t> time_ms) {
  return SubmitImpl(batch, time_ms, nullptr);
}

void Registry::SetJournal(BatchJournal* journal) {
  MutexLock l(&sequencer_mu_);
  journal_ = journal;
}

Status Registry::ApplyBatch(const JournalBatch& batch, std::span<const Submission> submissions) {
  if (submissions.size() != batch.envelopes.size() || submissions.empty()) {
    return Status::InvalidArgument("ApplyBatch needs one submission per envelope of the batch");
  }
  auto applied = SubmitImpl(submissions, batch.time_ms, &batch);
  return applied.ok() ? Status::Ok() : applied.status();
}

StatusOr<std::vector<SubmitOutcome>> Registry::SubmitImpl(std::span<const Submission> batch,
                                                          std::optional<std::int64_t> time_ms,
                                                          const JournalBatch* expect) {
  MutexLock l(&sequencer_mu_);
  if (ledger_->read_only()) {
    return Status::Unavailable(
        "the registry is read-only (opened read-only or after a failed write)");
  }
  if (auto why = MapCheckFailure()) {
    return Status::Unavailable("the registry is read-only: " + *why);
  }
  const std::uint64_t first = ledger_->size();
  if (expect != nullptr && expect->first != first) {
    return Status::FailedPrecondition("journal batch starts at " + std::to_string(expect->first) +
                                      " but the log is at " + std::to_string(first));
  }
  const std::int64_t t = expect != nullptr ? expect->time_ms
                         : time_ms         ? *time_ms
                                           : ledger_->NextTime();
  const std::string where = expect != nullptr ? "journal batch at " + std::to_string(first) : "";
  Txn txn(ledger_->store(), &latest_);
  std::vector<SubmitOutcome> outcomes;
  std::vector<EntryInput> inputs;
  for (const Submission& s : batch) {
    Sequenced q = Sequence(txn, s, first + inputs.size(), t, options_);
    if (!txn.error().ok()) return txn.error();
    if (expect != nullptr && !Logged(q.outcome)) {
      latest_.clear();
      return Status::Corruption(where + ": entry " + std::to_string(outcomes.size()) +
                                " is not logged here (" +
                                (q.outcome.codes.empty() ? "replayed" : q.outcome.codes[0]) + " " +
                                q.outcome.detail + ")");
    }
    if (Logged(q.outcome)) inputs.push_back(std::move(q.input));
    outcomes.push_back(std::move(q.outcome));
  }
  // From here on this batch's writes become visible: write_epoch() is odd until return.
  struct EpochGuard {
    std::atomic<std::uint64_t>& epoch;
    explicit EpochGuard(std::atomic<std::uint64_t>& e) : epoch(e) {
      epoch.fetch_add(1, std::memory_order_acq_rel);
    }
    ~EpochGuard() { epoch.fetch_add(1, std::memory_order_acq_rel); }
  } epoch_guard(write_epoch_);
  // What a cluster's journal records: the logged envelopes, before the map.root entry.
  std::vector<std::string> journal_envelopes;
  if (expect == nullptr && journal_ != nullptr) {
    for (const EntryInput& in : inputs) journal_envelopes.push_back(in.envelope);
  }
  std::optional<std::uint64_t> map_version;
  if (!inputs.empty()) {
    if (Status st = StageStatusMap(txn, &inputs, first, t, &map_version); !st.ok()) return st;
  }
  if (inputs.empty()) {
    for (SubmitOutcome& o : outcomes) {
      if (o.kind == OutcomeKind::kReplayed) {
        auto leaf = ledger_->GetLeaf(o.index);
        if (!leaf.ok()) return leaf.status();
        o.leaf = std::move(*leaf);
        auto e = DecodeLeaf(o.leaf);
        if (e.ok()) o.time_ms = e->time_ms;
      }
    }
    return outcomes;
  }
  AppendOptions ao;
  ao.time_ms = t;
  ao.first_index = first;
  ao.extra = &txn.writes();
  if (expect != nullptr) {
    ao.before_write = [&](const AppendResult& r) {
      if (r.checkpoint.size != expect->size || r.checkpoint.root != expect->root) {
        return Status::Corruption(
            where + ": this node arrives at tree size " + std::to_string(r.checkpoint.size) +
            " with another root or size than the leader's " + std::to_string(expect->size));
      }
      return Status::Ok();
    };
  } else if (journal_ != nullptr) {
    ao.before_write = [&, journal = journal_](const AppendResult& r) {
      JournalBatch b{first, t, r.checkpoint.size, r.checkpoint.root, std::move(journal_envelopes)};
      return journal->Commit(b, EncodeJournalBatch(b));
    };
  }
  auto appended = ledger_->Append(inputs, ao);
  if (!appended.ok()) {
    latest_.clear();
    if (map_version) map_->Abandon();
    return appended.status();
  }
  if (map_version) map_->Committed(*map_version);
  txn.PublishToCache(kLatestCacheLimit);
  DropCachedParticipants(txn.state_writes());
  for (const PledgeFact& f : txn.facts()) {
    if (Status s = stats_.Add(f); !s.ok()) return s;
  }
  for (SubmitOutcome& o : outcomes) {
    if (o.kind == OutcomeKind::kRejected) continue;
    if (o.index >= first) {
      const AppendedEntry& e = appended->entries[o.index - first];
      o.leaf = e.leaf;
      o.time_ms = e.entry.time_ms;
    } else {
      auto leaf = ledger_->GetLeaf(o.index);
      if (!leaf.ok()) return leaf.status();
      o.leaf = std::move(*leaf);
      auto e = DecodeLeaf(o.leaf);
      if (e.ok()) o.time_ms = e->time_ms;
    }
  }
  return outcomes;
}

void Registry::DropCachedParticipants(const std::map<std::string, std::string>& state_writes) {
  const std::string prefix = TagPrefix(kParticipantTag);
  WriterLock l(&participant_cache_mu_);
  for (auto it = state_writes.lower_bound(prefix);
       it != state_writes.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    ++participant_cache_generation_;
    participant_cache_.erase(std::string(RecordIdOfKey(it->first)));
  }
}

std::shared_ptr<const ParticipantRecord> Registry::CachedParticipant(const std::string& id,
                                                                     bool* cached) const {
  std::uint64_t generation = 0;
  {
    ReaderLock l(&participant_cache_mu_);
    if (auto it = participant_cache_.find(id); it != participant_cache_.end()) {
      *cached = true;
      return it->second;
    }
    generation = participant_cache_generation_;
  }
  *cached = false;
  auto p = GetParticipant(id);
  if (!p.ok()) return nullptr;
  auto record = std::make_shared<const ParticipantRecord>(std::move(*p));
  WriterLock l(&participant_cache_mu_);
  if (participant_cache_generation_ == generation) {
    if (participant_cache_.size() >= kLatestCacheLimit) participant_cache_.clear();
    participant_cache_.emplace(id, record);
  }
  return record;
}

StatusOr<std::shared_ptr<const ParticipantRecord>> Registry::CurrentParticipant(
    const std::string& id) const {
  bool cached = false;
  auto p = CachedParticipant(id, &cached);
  if (p == nullptr) return Status::NotFound("participant " + id + " is not registered");
  return p;
}

bool Registry::KeyIsCurrent(std::string_view keyid) const {
  const size_t slash = keyid.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string id(keyid.substr(0, slash));
  const std::string_view label = keyid.substr(slash + 1);
  auto current = [label](const std::vector<KeyRecord>& keys) {
    return std::any_of(keys.begin(), keys.end(), [label](const KeyRecord& k) {
      return k.label == label && !k.revoked_index;
    });
  };
  bool cached = false;
  auto p = CachedParticipant(id, &cached);
  if (p != nullptr && current(p->keys)) return true;
  if (!cached) return false;  // read from the committed state just now
  // The cache may predate a batch that added the key: ask the committed state.
  auto read = GetParticipant(id);
  return read.ok() && current(read->keys);
}

void Registry::PreverifySignatures(Submission* s) const {
  for (const DsseSignature& sig : s->envelope.signatures) {
    const size_t slash = sig.keyid.find('/');
    if (slash == std::string::npos || sig.sig.size() != 64) continue;
    bool cached = false;
    auto found = CachedParticipant(sig.keyid.substr(0, slash), &cached);
    if (found == nullptr) continue;
    const std::vector<KeyRecord>& keys = found->keys;
    for (const KeyRecord& k : keys) {
      if (k.label == sig.keyid.substr(slash + 1) && !k.revoked_index &&
          VerifyDsseSignature(s->envelope, sig, k.key)) {
        s->preverified.emplace_back(sig.keyid, k.key);
      }
    }
  }
}

SubmitOutcome Registry::Precheck(const Submission& submission) {
  MutexLock l(&sequencer_mu_);
  Txn txn(ledger_->store(), &latest_);
  return Sequence(txn, submission, ledger_->size(), ledger_->NextTime(), options_).outcome;
}

}  // namespace ipledger
