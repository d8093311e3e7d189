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
#include "ledger/registry/asset_status.h"
#include "ledger/registry/keys.h"
#include "ledger/registry/registry.h"

namespace ipledger {
namespace {

// Sums and products of int64 money amounts cannot overflow in 128 bits.
__extension__ using Int128 = __int128;

// The integrated time of entry `index` (< the ledger's size).
StatusOr<std::int64_t> LeafTime(const Ledger& ledger, std::uint64_t index) {
  auto leaf = ledger.GetLeaf(index);
  if (!leaf.ok()) return leaf.status();
  auto e = DecodeLeaf(*leaf);
  if (!e.ok()) return e.status();
  return e->time_ms;
}

// The first index below `size` whose integrated time is after `time_ms`; `size` if none.
// Integrated times never decrease along the log (ledger.h), so this is a binary search
// over the leaves: about log2(size) leaf reads, instead of a time index written per entry.
StatusOr<std::uint64_t> FirstLeafAfter(const Ledger& ledger, std::uint64_t size,
                                       std::int64_t time_ms) {
  std::uint64_t lo = 0;
  std::uint64_t hi = size;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto t = LeafTime(ledger, mid);
    if (!t.ok()) return t.status();
    if (*t > time_ms) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

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
  // The size first: an entry below it is durable with its outcome record, if it has one.
  const std::uint64_t size = ledger_->size();
  if (index >= size) return Status::NotFound("no entry " + std::to_string(index));
  auto v = ledger_->store().Get(Column::kIndex, OutcomeKey(index));
  if (v.ok()) {
    OutcomeRecord r;
    if (Status s = DecodeRecord(*v, &r); !s.ok()) return s;
    return r;
  }
  if (v.status().code() != ErrorCode::kNotFound) return v.status();
  // No record: a plain acceptance (keys.h, OutcomeNeedsRecord), told by its leaf.
  auto leaf = ledger_->GetLeaf(index);
  if (!leaf.ok()) return leaf.status();
  auto e = DecodeLeaf(*leaf);
  if (!e.ok()) return e.status();
  if (e->type == kMapRootType) {
    return Status::NotFound("entry " + std::to_string(index) + " is the log's own map.root");
  }
  if (e->type == kRefusalType) {
    return Status::Corruption("the outcome record of refused entry " + std::to_string(index) +
                              " is missing");
  }
  return OutcomeRecord{e->type, {}, {}, ""};
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
  auto after = FirstLeafAfter(*ledger_, ledger_->size(), EndOfDateInstant(date));
  if (!after.ok()) return after.status();
  if (*after == 0) return Status::NotFound("the log has no entry on or before " + FormatDate(date));
  return *after - 1;
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
  return FirstLeafAfter(*ledger_, ledger_->size(), std::max<std::int64_t>(time_ms, 1) - 1);
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

// Whether `key` of column `c` is a record that stores written before 2026-12 hold and
// this code derives instead (keys.h), and it agrees with `ledger`: a time-index key
// whose leaf has that time, or the outcome record of a plain acceptance whose leaf has
// that type.
bool DerivableLegacyKey(const Ledger& ledger, Column c, std::string_view key,
                        std::string_view value) {
  if (c != Column::kIndex) return false;
  if (key.substr(0, kTimePrefix.size()) == kTimePrefix) {
    auto index = IndexOfTimeKey(key);
    if (!index || key.size() != kTimePrefix.size() + 2 * kU64Size || !value.empty() ||
        *index >= ledger.size()) {
      return false;
    }
    auto time = DecodeFixed64BE(key.substr(kTimePrefix.size(), kU64Size));
    auto leaf_time = LeafTime(ledger, *index);
    return time && leaf_time.ok() && static_cast<std::int64_t>(*time) == *leaf_time;
  }
  if (key.substr(0, kOutcomePrefix.size()) == kOutcomePrefix) {
    auto index = DecodeFixed64BE(key.substr(kOutcomePrefix.size()));
    OutcomeRecord r;
    if (!index || key.size() != kOutcomePrefix.size() + kU64Size || *index >= ledger.size() ||
        !DecodeRecord(value, &r).ok() || !r.codes.empty() ||
        OutcomeNeedsRecord(false, r.warnings, r.detail)) {
      return false;
    }
    auto leaf = ledger.GetLeaf(*index);
    if (!leaf.ok()) return false;
    auto e = DecodeLeaf(*leaf);
    return e.ok() && e->type == r.type && e->type != kRefusalType && e->type != kMapRootType;
  }
  return false;
}

}  // namespace

Status Registry::CompareDerivedState(const Registry& other) const {
  for (Column c : {Column::kState, Column::kIndex}) {
    // This state in memory, the other one streamed past it (it may itself be held in
    // memory: replay's scratch registry), in one ordered walk over both.
    std::vector<std::pair<std::string, std::string>> mine;
    Status s = ledger_->store().Scan(c, "", "", [&mine](std::string_view k, std::string_view v) {
      mine.emplace_back(std::string(k), std::string(v));
      return true;
    });
    if (!s.ok()) return s;
    const std::string col(ColumnName(c));
    auto only_one = [&col](const std::string& key) {
      return Status::Corruption(col + " key " + HexEncode(AsBytes(key)) + " (" +
                                key.substr(0, key.find(kIdTerminator)) +
                                ") is in only one of the two states");
    };
    // A key in only one of the states is a difference unless it is a record older
    // stores wrote and this code derives, and it agrees with its own log.
    size_t i = 0;
    Status diff;
    auto mine_only_before = [&](const std::string* key) {
      for (; i < mine.size() && (key == nullptr || mine[i].first < *key); ++i) {
        if (!DerivableLegacyKey(*ledger_, c, mine[i].first, mine[i].second)) {
          diff = only_one(mine[i].first);
          return false;
        }
      }
      return true;
    };
    s = other.ledger_->store().Scan(c, "", "", [&](std::string_view k, std::string_view v) {
      const std::string key(k);
      if (!mine_only_before(&key)) return false;
      if (i == mine.size() || mine[i].first != key) {
        if (DerivableLegacyKey(*other.ledger_, c, k, v)) return true;
        diff = only_one(key);
        return false;
      }
      if (mine[i].second != v &&
          !LegacyIdempotencyRecord(*ledger_, mine[i].first, mine[i].second, v)) {
        diff = Status::Corruption(col + " key " + HexEncode(AsBytes(key)) + " (" +
                                  key.substr(0, key.find(kIdTerminator)) +
                                  ") differs between the stored and the replayed state");
        return false;
      }
      ++i;
      return true;
    });
    if (!s.ok()) return s;
    if (!diff.ok()) return diff;
    if (!mine_only_before(nullptr)) return diff;
  }
  return Status::Ok();
}

}  // namespace ipledger
