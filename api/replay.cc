#include "api/replay.h"

#include "api/json_codec.h"
#include "api/statement_codec.h"
#include "crypto/bytes.h"
#include "ledger/entry.h"

namespace ipledger::api {
namespace {

struct LoggedEntry {
  Entry entry;
  std::string leaf;
  Submission submission;
};

StatusOr<LoggedEntry> Load(const Registry& source, std::uint64_t i) {
  const std::string where = "entry " + std::to_string(i) + ": ";
  LoggedEntry e;
  auto leaf = source.ledger().GetLeaf(i);
  if (!leaf.ok()) return Status::Corruption(where + leaf.status().message());
  e.leaf = std::move(*leaf);
  auto entry = DecodeLeaf(e.leaf);
  if (!entry.ok()) return Status::Corruption(where + entry.status().message());
  e.entry = std::move(*entry);
  auto bytes = source.ledger().GetEnvelope(e.entry);
  if (!bytes.ok())
    return Status::Corruption(where + "envelope missing: " + bytes.status().message());
  auto envelope = DecodeEnvelopeJson(*bytes);
  if (!envelope.ok()) return Status::Corruption(where + envelope.status().message());
  auto statement = DecodeStatement(ToString(envelope->payload));
  if (!statement.ok())
    return Status::Corruption(where + "statement: " + statement.status().message());
  e.submission.envelope = std::move(*envelope);
  e.submission.envelope_bytes = std::move(*bytes);
  e.submission.statement = std::move(*statement);
  return e;
}

std::string Codes(const std::vector<std::string>& codes) {
  std::string s;
  for (const auto& c : codes) s += (s.empty() ? "" : ",") + c;
  return s.empty() ? "none" : s;
}

}  // namespace

StatusOr<ReplayReport> ReplayAndCompare(const Registry& source, const std::string& scratch_dir) {
  ReplayReport report;
  const std::uint64_t size = source.ledger().size();
  if (size == 0) return Status::Corruption("the log has no genesis entry");
  auto genesis = Load(source, 0);
  if (!genesis.ok()) return genesis.status();

  std::int64_t clock_ms = genesis->entry.time_ms;
  RegistryOptions options;
  options.ledger.clock = [&clock_ms] { return clock_ms; };
  SigningKey scratch_key = SigningKey::Generate();
  if (Status s = Registry::Create(scratch_dir, source.ledger().origin(), scratch_key,
                                  genesis->submission, options);
      !s.ok()) {
    return Status::Corruption("entry 0 (genesis) does not replay: " + s.message());
  }
  auto scratch = Registry::Open(scratch_dir, std::move(scratch_key), options);
  if (!scratch.ok()) return scratch.status();
  auto first_leaf = (*scratch)->ledger().GetLeaf(0);
  if (!first_leaf.ok()) return first_leaf.status();
  if (*first_leaf != genesis->leaf) return Status::Corruption("entry 0: the replayed leaf differs");
  report.entries = 1;
  report.batches = 1;

  // Entries of one original batch share their integrated time: replay them as a batch.
  std::uint64_t i = 1;
  while (i < size) {
    std::vector<LoggedEntry> group;
    while (i < size) {
      auto e = Load(source, i);
      if (!e.ok()) return e.status();
      if (!group.empty() && e->entry.time_ms != group.front().entry.time_ms) break;
      group.push_back(std::move(*e));
      ++i;
    }
    std::vector<Submission> batch;
    for (const LoggedEntry& e : group) batch.push_back(e.submission);
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
  }
  if (Status s = source.CompareDerivedState(**scratch); !s.ok()) return s;
  return report;
}

}  // namespace ipledger::api
