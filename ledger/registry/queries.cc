// Registry queries: read committed state only (never the sequencer's Txn), so they run
// concurrently with sequencing.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/entry.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/registry.h"

namespace ipledger {
namespace {

// Sums and products of int64 money amounts cannot overflow in 128 bits.
__extension__ using Int128 = __int128;

template <typename R>
StatusOr<R> LoadCommitted(const Store& store, char tag, std::string_view id, std::uint64_t as_of,
                          std::string_view what) {
  auto found = store.LastInRange(Column::kState, RecordKey(tag, id, 0), RecordKey(tag, id, as_of));
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status::NotFound(std::string(what) + " " + std::string(id) + " does not exist" +
                            (as_of == kLatestIndex ? "" : " at index " + std::to_string(as_of)));
  }
  R r;
  if (Status s = DecodeRecord((*found)->second, &r); !s.ok()) return s;
  return r;
}

// The current version of every record under `tag`, in id order. Versions of one record
// are adjacent in the state column; the last one of each run is current.
template <typename R>
StatusOr<std::vector<R>> LoadAllCurrent(const Store& store, char tag) {
  std::vector<R> out;
  const std::string prefix = TagPrefix(tag);
  std::string last_id;
  std::optional<std::string> current;  // the latest version seen of the run `last_id`
  Status decode;
  auto flush = [&] {
    if (!current) return;
    R r;
    if (Status s = DecodeRecord(*current, &r); !s.ok()) {
      decode = s;
    } else {
      out.push_back(std::move(r));
    }
    current.reset();
  };
  Status s = store.Scan(Column::kState, prefix, PrefixEnd(prefix),
                        [&](std::string_view key, std::string_view value) {
                          const std::string id(RecordIdOfKey(key));
                          if (id != last_id) flush();
                          last_id = id;
                          current = std::string(value);
                          return true;
                        });
  flush();
  if (!s.ok()) return s;
  if (!decode.ok()) return decode;
  return out;
}

}  // namespace

StatusOr<ParticipantRecord> Registry::GetParticipant(std::string_view id,
                                                     std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<ParticipantRecord>(ledger_->store(), kParticipantTag, id,
                                          as_of.value_or(kLatestIndex), "participant");
}
StatusOr<AssetRecord> Registry::GetAsset(std::string_view id,
                                         std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<AssetRecord>(ledger_->store(), kAssetTag, id, as_of.value_or(kLatestIndex),
                                    "asset");
}
StatusOr<PledgeRecord> Registry::GetPledge(std::string_view id,
                                           std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<PledgeRecord>(ledger_->store(), kPledgeTag, id, as_of.value_or(kLatestIndex),
                                     "pledge");
}
StatusOr<ValuationRecord> Registry::GetValuation(std::string_view id,
                                                 std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<ValuationRecord>(ledger_->store(), kValuationTag, id,
                                        as_of.value_or(kLatestIndex), "valuation");
}
StatusOr<PolicyRecord> Registry::GetPolicy(std::string_view id,
                                           std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<PolicyRecord>(ledger_->store(), kPolicyTag, id, as_of.value_or(kLatestIndex),
                                     "policy");
}
StatusOr<CaseRecord> Registry::GetCase(std::string_view id,
                                       std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<CaseRecord>(ledger_->store(), kCaseTag, id, as_of.value_or(kLatestIndex),
                                   "case");
}

StatusOr<OutcomeRecord> Registry::GetOutcome(std::uint64_t index) const {
  auto v = ledger_->store().Get(Column::kIndex, OutcomeKey(index));
  if (!v.ok()) return v.status();
  OutcomeRecord r;
  if (Status s = DecodeRecord(*v, &r); !s.ok()) return s;
  return r;
}

StatusOr<std::vector<ParticipantRecord>> Registry::ListParticipants() const {
  return LoadAllCurrent<ParticipantRecord>(ledger_->store(), kParticipantTag);
}

StatusOr<std::vector<WitnessKeysRecord>> Registry::ListWitnessKeys() const {
  return LoadAllCurrent<WitnessKeysRecord>(ledger_->store(), kWitnessKeysTag);
}

StatusOr<WitnessKeysRecord> Registry::GetWitnessKeys(std::string_view id) const {
  return LoadCommitted<WitnessKeysRecord>(ledger_->store(), kWitnessKeysTag, id, kLatestIndex,
                                          "witness keys of participant");
}

StatusOr<std::uint64_t> Registry::IndexAtDate(Date date) const {
  const std::string hi = TimeKey(EndOfDateInstant(date), kLatestIndex);
  auto found = ledger_->store().LastInRange(Column::kIndex, kTimePrefix, hi);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status::NotFound("the log has no entry on or before " + FormatDate(date));
  }
  auto index = IndexOfTimeKey((*found)->first);
  if (!index) return Status::Corruption("malformed time index key");
  return *index;
}

StatusOr<PledgeStatusView> Registry::PledgeStatus(std::string_view asset_id,
                                                  std::optional<std::uint64_t> as_of) const {
  const std::uint64_t size = ledger_->size();
  if (size == 0) return Status::NotFound("the log is empty");
  const std::uint64_t at = std::min(as_of.value_or(size - 1), size - 1);
  auto asset = GetAsset(asset_id, at);
  if (!asset.ok()) return asset.status();
  PledgeStatusView v;
  v.asset_id = std::string(asset_id);
  v.as_of_index = at;
  for (const std::string& pid : asset->active_pledges) {
    auto p = GetPledge(pid, at);
    if (!p.ok()) return p.status();
    for (std::uint64_t i : p->history) v.evidence.push_back(i);
    v.pledges.push_back(std::move(*p));
  }
  v.pledged = !v.pledges.empty();
  std::sort(v.evidence.begin(), v.evidence.end());
  v.evidence.erase(std::unique(v.evidence.begin(), v.evidence.end()), v.evidence.end());
  return v;
}

StatusOr<CoverageView> Registry::Coverage(std::string_view asset_id, Date date,
                                          std::optional<std::uint64_t> as_of) const {
  const std::uint64_t size = ledger_->size();
  if (size == 0) return Status::NotFound("the log is empty");
  const std::uint64_t at = std::min(as_of.value_or(size - 1), size - 1);
  auto asset = GetAsset(asset_id, at);
  if (!asset.ok()) return asset.status();
  CoverageView v;
  v.asset_id = std::string(asset_id);
  v.date = date;
  v.as_of_index = at;
  std::vector<std::string> policy_ids;
  const std::string prefix = PairKey(kAssetPolicyPrefix, asset_id, "");
  const std::string end = PrefixEnd(prefix);
  Status s = ledger_->store().Scan(Column::kIndex, prefix, end,
                                   [&](std::string_view key, std::string_view) {
                                     policy_ids.emplace_back(key.substr(prefix.size()));
                                     return true;
                                   });
  if (!s.ok()) return s;
  for (const std::string& id : policy_ids) {
    auto p = GetPolicy(id, at);
    if (p.status().code() == ErrorCode::kNotFound) continue;  // issued after `at`
    if (!p.ok()) return p.status();
    const PolicyIssue& t = p->terms;
    const bool in_period = t.period.start <= date && date <= t.period.end;
    const bool cancelled = p->cancelled_from && date >= *p->cancelled_from;
    if (!in_period || cancelled) continue;
    const std::int64_t remaining = t.aggregate_limit.amount - p->claims_paid;
    v.policies.push_back({std::move(*p), remaining});
  }
  v.covered = std::any_of(v.policies.begin(), v.policies.end(),
                          [](const CoverageView::Policy& p) { return p.remaining_aggregate > 0; });
  return v;
}

StatusOr<std::optional<std::int64_t>> Registry::LtvBps(std::string_view pledge_id,
                                                       Date date) const {
  auto pledge = GetPledge(pledge_id);
  if (!pledge.ok()) return pledge.status();
  const Money& secured = pledge->terms.secured.amount;
  // Only the valuations the pledge cites (pledge.register's valuation_ids and those a
  // pledge.amend added): a valuation nobody cited, by anyone, moves no pledge's LTV.
  std::vector<ValuationRecord> cited;
  for (const std::string& id : pledge->terms.valuation_ids) {
    auto v = GetValuation(id);
    if (!v.ok()) return v.status();
    if (v->withdrawn || *v->attest.valid_until < date || v->attest.base_date > date) continue;
    cited.push_back(std::move(*v));
  }
  Int128 total = 0;
  for (const std::string& asset : pledge->terms.collateral) {
    // The latest (by base date, then log order) cited valuation still valid on `date`.
    std::optional<std::pair<std::pair<Date, std::uint64_t>, std::int64_t>> best;
    for (const ValuationRecord& v : cited) {
      for (const ValuationItem& item : v.attest.items) {
        if (item.asset_id != asset || item.value.currency != secured.currency) continue;
        auto key = std::make_pair(v.attest.base_date, v.attested_index);
        if (!best || key > best->first) best.emplace(key, item.value.amount);
      }
    }
    if (!best) return std::optional<std::int64_t>();
    total += best->second;
  }
  if (total <= 0) return std::optional<std::int64_t>();
  // Amounts are at most 10^15, so the quotient fits 128 bits; an LTV beyond the int64
  // range (a 10^15 debt on 1 fen of value) is clamped rather than wrapped.
  const Int128 bps = (static_cast<Int128>(secured.amount) * 10000 * 2 + total) / (2 * total);
  const Int128 max = std::numeric_limits<std::int64_t>::max();
  return std::optional<std::int64_t>(static_cast<std::int64_t>(std::min(bps, max)));
}

StatusOr<std::vector<std::uint64_t>> Registry::AssetHistory(std::string_view asset_id) const {
  std::vector<std::uint64_t> out;
  const std::string prefix = PairKey(kAssetHistoryPrefix, asset_id, "");
  const std::string end = PrefixEnd(prefix);
  Status s = ledger_->store().Scan(Column::kIndex, prefix, end,
                                   [&](std::string_view key, std::string_view) {
                                     auto i = DecodeFixed64BE(key.substr(prefix.size()));
                                     if (i) out.push_back(*i);
                                     return true;
                                   });
  if (!s.ok()) return s;
  return out;
}

StatsResult Registry::Stats(const StatsQuery& q) const { return stats_.Query(q); }

StatusOr<std::vector<std::uint64_t>> Registry::EntriesAbout(std::string_view kind,
                                                            std::string_view id,
                                                            std::uint64_t from_index,
                                                            std::size_t max) const {
  std::string prefix;
  if (kind == "asset") {
    prefix = PairKey(kAssetHistoryPrefix, id, "");
  } else if (kind == "participant") {
    prefix = PairKey(kParticipantHistoryPrefix, id, "");
  } else {
    return Status::InvalidArgument("no index of entries by " + std::string(kind));
  }
  const std::string end = PrefixEnd(prefix);
  std::vector<std::uint64_t> out;
  Status s = ledger_->store().Scan(Column::kIndex, prefix + EncodeFixed64BE(from_index), end,
                                   [&](std::string_view key, std::string_view) {
                                     auto i = DecodeFixed64BE(key.substr(prefix.size()));
                                     if (i) out.push_back(*i);
                                     return out.size() < max;
                                   });
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::uint64_t> Registry::FirstIndexAtOrAfter(std::int64_t time_ms) const {
  std::string start(kTimePrefix);
  PutFixed64BE(&start, static_cast<std::uint64_t>(std::max<std::int64_t>(time_ms, 0)));
  std::optional<std::uint64_t> found;
  Status s = ledger_->store().Scan(Column::kIndex, start, PrefixEnd(kTimePrefix),
                                   [&](std::string_view key, std::string_view) {
                                     found = IndexOfTimeKey(key);
                                     return false;
                                   });
  if (!s.ok()) return s;
  return found.value_or(ledger_->size());
}

namespace {

// Whether `stored` is a legacy idempotency record (index || envelope SHA-256, written
// before the records held the payload's SHA-256) for the entry `replayed` names.
bool LegacyIdempotencyRecord(const Ledger& ledger, std::string_view key, std::string_view stored,
                             std::string_view replayed) {
  if (key.substr(0, kIdempotencyPrefix.size()) != kIdempotencyPrefix ||
      stored.size() != kIdempotencyValueSize || replayed.size() != kIdempotencyValueSize ||
      stored.substr(0, kU64Size) != replayed.substr(0, kU64Size)) {
    return false;
  }
  auto index = DecodeFixed64BE(stored.substr(0, kU64Size));
  if (!index) return false;
  auto leaf = ledger.GetLeaf(*index);
  if (!leaf.ok()) return false;
  auto entry = DecodeLeaf(*leaf);
  if (!entry.ok()) return false;
  return stored.substr(kU64Size) ==
         std::string_view(reinterpret_cast<const char*>(entry->envelope_sha256.data()),
                          entry->envelope_sha256.size());
}

}  // namespace

Status Registry::CompareDerivedState(const Registry& other) const {
  for (Column c : {Column::kState, Column::kIndex}) {
    std::vector<std::pair<std::string, std::string>> mine;
    std::vector<std::pair<std::string, std::string>> theirs;
    auto collect = [](const Store& store, Column col,
                      std::vector<std::pair<std::string, std::string>>* out) {
      return store.Scan(col, "", "", [out](std::string_view k, std::string_view v) {
        out->emplace_back(std::string(k), std::string(v));
        return true;
      });
    };
    if (Status s = collect(ledger_->store(), c, &mine); !s.ok()) return s;
    if (Status s = collect(other.ledger_->store(), c, &theirs); !s.ok()) return s;
    const std::string col(ColumnName(c));
    const size_t n = std::min(mine.size(), theirs.size());
    for (size_t i = 0; i < n; ++i) {
      if (mine[i].first != theirs[i].first) {
        const std::string& first = std::min(mine[i].first, theirs[i].first);
        return Status::Corruption(col + " key " + HexEncode(AsBytes(first)) + " (" +
                                  first.substr(0, first.find(kIdTerminator)) +
                                  ") is in only one of the two states");
      }
      if (mine[i].second != theirs[i].second &&
          !LegacyIdempotencyRecord(*ledger_, mine[i].first, mine[i].second, theirs[i].second)) {
        return Status::Corruption(col + " key " + HexEncode(AsBytes(mine[i].first)) + " (" +
                                  mine[i].first.substr(0, mine[i].first.find(kIdTerminator)) +
                                  ") differs between the stored and the replayed state");
      }
    }
    if (mine.size() != theirs.size()) {
      const auto& extra = mine.size() > n ? mine[n].first : theirs[n].first;
      return Status::Corruption(col + " key " + HexEncode(AsBytes(extra)) + " (" +
                                extra.substr(0, extra.find(kIdTerminator)) +
                                ") is in only one of the two states");
    }
  }
  return Status::Ok();
}

}  // namespace ipledger
