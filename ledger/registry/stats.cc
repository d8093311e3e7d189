#include "ledger/registry/stats.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

constexpr char kFactFormat = 2;  // 1: without enterprise .. amendment

void PutString(std::string* out, std::string_view s) {
  PutFixed64BE(out, s.size());
  out->append(s);
}

bool GetU64(std::string_view* in, std::uint64_t* v) {
  if (in->size() < 8) return false;
  *v = *DecodeFixed64BE(in->substr(0, 8));
  in->remove_prefix(8);
  return true;
}

bool GetString(std::string_view* in, std::string* s) {
  std::uint64_t n = 0;
  if (!GetU64(in, &n) || n > in->size()) return false;
  s->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

// Accumulates totals over runs of rows with exact distinct counts. Distinctness is
// tracked in dense arrays indexed by interned id and stamped with an epoch per run, so a
// run costs O(rows) with no hashing and no clearing between runs (groups reuse them).
class Accumulator {
 public:
  Accumulator(std::size_t debtors, std::size_t cases, std::int64_t threshold, std::uint32_t cny)
      : threshold_(threshold),
        cny_(cny),
        debtor_epoch_(debtors, 0),
        inclusive_epoch_(debtors, 0),
        case_epoch_(cases, 0),
        case_max_(cases, 0),
        case_currency_(cases, 0),
        case_debtor_(cases, 0),
        case_facility_(cases, 0),
        case_other_(cases, 0) {}

  StatsTotals Run(const std::vector<const StatsIndex::Row*>& rows,
                  const StatsIndex::Names& currencies) {
    ++epoch_;
    StatsTotals t;
    touched_.clear();
    extra_amounts_.clear();
    extra_debtors_.clear();
    for (const StatsIndex::Row* r : rows) {
      ++t.registrations;
      t.patents += r->patents;
      t.trademarks += r->trademarks;
      t.data += r->data;
      if (debtor_epoch_[r->debtor] != epoch_) {
        debtor_epoch_[r->debtor] = epoch_;
        ++t.enterprises;
      }
      const std::uint32_t c = r->case_key;
      if (case_epoch_[c] != epoch_) {
        case_epoch_[c] = epoch_;
        case_max_[c] = r->amount;
        case_currency_[c] = r->currency;
        case_debtor_[c] = r->debtor;
        case_facility_[c] = r->facility;
        case_other_[c] = r->other_collateral;
        touched_.push_back(c);
        continue;
      }
      // Rare: a case whose pledges differ in currency or debtor.
      if (r->currency != case_currency_[c]) {
        auto& m = extra_amounts_[(static_cast<std::uint64_t>(c) << 32) | r->currency];
        m = std::max(m, r->amount);
      } else if (r->amount > case_max_[c]) {
        case_max_[c] = r->amount;
      }
      if (r->debtor != case_debtor_[c]) extra_debtors_.emplace_back(c, r->debtor);
    }
    t.cases = touched_.size();
    std::map<std::uint32_t, Amount128> amounts;  // 128 bits: no sum can wrap
    auto count_inclusive = [&](std::uint32_t debtor) {
      if (inclusive_epoch_[debtor] != epoch_) {
        inclusive_epoch_[debtor] = epoch_;
        ++t.inclusive_enterprises;
      }
    };
    std::vector<char> inclusive_case;  // only for cases with extra debtors
    std::map<std::uint32_t, bool> inclusive_by_case;
    for (std::uint32_t c : touched_) {
      // S-1: a case counts at most its facility.
      if (case_facility_[c] > 0) case_max_[c] = std::min(case_max_[c], case_facility_[c]);
      amounts[case_currency_[c]] += case_max_[c];
      if (case_other_[c] > 0 && case_currency_[c] == cny_) {
        ++t.combination_cases;
        t.combination_ip += case_max_[c];
        t.combination_other += case_other_[c];
      }
      const bool inclusive = case_currency_[c] == cny_ && case_max_[c] < threshold_;
      if (inclusive) count_inclusive(case_debtor_[c]);
      if (!extra_debtors_.empty()) inclusive_by_case[c] = inclusive;
    }
    for (const auto& [key, amount] : extra_amounts_) {
      const auto currency = static_cast<std::uint32_t>(key & 0xffffffffu);
      amounts[currency] += amount;
      if (currency == cny_ && amount < threshold_) {
        inclusive_by_case[static_cast<std::uint32_t>(key >> 32)] = true;
        count_inclusive(case_debtor_[static_cast<std::uint32_t>(key >> 32)]);
      }
    }
    for (const auto& [c, debtor] : extra_debtors_) {
      if (inclusive_by_case[c]) count_inclusive(debtor);
    }
    for (const auto& [currency, amount] : amounts) t.amount[currencies.by_id[currency]] = amount;
    t.ip_share_bps = IpShareBps(t.combination_ip, t.combination_other);
    if (t.enterprises > 0) {
      t.inclusive_share_bps = static_cast<std::int64_t>(
          (t.inclusive_enterprises * 10000 * 2 + t.enterprises) / (2 * t.enterprises));
    }
    return t;
  }

 private:
  std::int64_t threshold_;
  std::uint32_t cny_;
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> debtor_epoch_;
  std::vector<std::uint32_t> inclusive_epoch_;
  std::vector<std::uint32_t> case_epoch_;
  std::vector<std::int64_t> case_max_;
  std::vector<std::uint32_t> case_currency_;
  std::vector<std::uint32_t> case_debtor_;
  std::vector<std::int64_t> case_facility_;
  std::vector<std::int64_t> case_other_;
  std::vector<std::uint32_t> touched_;
  std::map<std::uint64_t, std::int64_t> extra_amounts_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> extra_debtors_;
};

}  // namespace

std::string EncodeFact(const PledgeFact& f) {
  std::string out(1, kFactFormat);
  PutFixed64BE(&out, f.index);
  PutFixed64BE(&out, static_cast<std::uint64_t>(static_cast<std::int64_t>(f.date.days)));
  PutString(&out, f.pledge_id);
  PutString(&out, f.bank);
  PutString(&out, f.debtor);
  PutString(&out, f.region);
  PutString(&out, f.case_key);
  PutFixed64BE(&out, static_cast<std::uint64_t>(f.amount));
  PutString(&out, f.currency);
  PutFixed64BE(&out, f.patents);
  PutFixed64BE(&out, f.trademarks);
  PutFixed64BE(&out, f.data);
  PutString(&out, f.enterprise);
  PutFixed64BE(&out, static_cast<std::uint64_t>(f.facility));
  PutFixed64BE(&out, static_cast<std::uint64_t>(f.other_collateral));
  PutFixed64BE(&out, f.amendment ? 1 : 0);
  return out;
}

Status DecodeFact(std::string_view in, PledgeFact* f) {
  const Status bad = Status::Corruption("stored statistics fact is malformed");
  if (in.empty() || (in[0] != 1 && in[0] != kFactFormat)) return bad;
  const bool v2 = in[0] == kFactFormat;
  in.remove_prefix(1);
  std::uint64_t date = 0;
  std::uint64_t amount = 0;
  std::uint64_t p = 0;
  std::uint64_t t = 0;
  std::uint64_t d = 0;
  if (!GetU64(&in, &f->index) || !GetU64(&in, &date) || !GetString(&in, &f->pledge_id) ||
      !GetString(&in, &f->bank) || !GetString(&in, &f->debtor) || !GetString(&in, &f->region) ||
      !GetString(&in, &f->case_key) || !GetU64(&in, &amount) || !GetString(&in, &f->currency) ||
      !GetU64(&in, &p) || !GetU64(&in, &t) || !GetU64(&in, &d)) {
    return bad;
  }
  if (v2) {
    std::uint64_t facility = 0;
    std::uint64_t other = 0;
    std::uint64_t amendment = 0;
    if (!GetString(&in, &f->enterprise) || !GetU64(&in, &facility) || !GetU64(&in, &other) ||
        !GetU64(&in, &amendment) || amendment > 1) {
      return bad;
    }
    f->facility = static_cast<std::int64_t>(facility);
    f->other_collateral = static_cast<std::int64_t>(other);
    f->amendment = amendment == 1;
  }
  if (!in.empty()) return bad;
  f->date = Date{static_cast<std::int32_t>(static_cast<std::int64_t>(date))};
  f->amount = static_cast<std::int64_t>(amount);
  f->patents = static_cast<std::uint32_t>(p);
  f->trademarks = static_cast<std::uint32_t>(t);
  f->data = static_cast<std::uint32_t>(d);
  return Status::Ok();
}

std::uint32_t StatsIndex::Names::Intern(const std::string& s) {
  auto it = ids.find(s);
  if (it != ids.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(by_id.size());
  by_id.push_back(s);
  ids.emplace(s, id);
  return id;
}

Status StatsIndex::Add(const PledgeFact& f) {
  WriterLock l(&mu_);
  if ((last_index_ > 0 && f.index <= last_index_) ||
      (!f.amendment && !rows_.empty() && f.date < rows_.back().date)) {
    return Status::InvalidArgument("statistics facts must arrive in log order");
  }
  if (f.amendment) {
    auto it = row_of_pledge_.find(f.pledge_id);
    if (it == row_of_pledge_.end()) {
      return Status::InvalidArgument("amendment of an unknown pledge " + f.pledge_id);
    }
    amendments_[it->second].push_back({f.index, f.amount, currencies_.Intern(f.currency)});
    last_index_ = f.index;
    return Status::Ok();
  }
  last_index_ = f.index;
  row_of_pledge_.emplace(f.pledge_id, rows_.size());
  Row r;
  r.index = f.index;
  r.date = f.date;
  r.bank = banks_.Intern(f.bank);
  r.debtor = debtors_.Intern(f.enterprise.empty() ? f.debtor : f.enterprise);
  r.region = regions_.Intern(f.region);
  r.case_key = cases_.Intern(f.case_key);
  r.currency = currencies_.Intern(f.currency);
  r.amount = f.amount;
  r.patents = f.patents;
  r.trademarks = f.trademarks;
  r.data = f.data;
  r.facility = f.facility;
  r.other_collateral = f.other_collateral;
  rows_.push_back(r);
  return Status::Ok();
}

std::size_t StatsIndex::size() const {
  ReaderLock l(&mu_);
  return rows_.size();
}

StatsResult StatsIndex::Query(const StatsQuery& q) const {
  ReaderLock l(&mu_);
  // Dates never decrease along the log: the window is one contiguous run of rows.
  auto lo = std::lower_bound(rows_.begin(), rows_.end(), q.from,
                             [](const Row& r, Date d) { return r.date < d; });
  auto hi =
      std::upper_bound(lo, rows_.end(), q.to, [](Date d, const Row& r) { return d < r.date; });
  if (q.as_of) {
    hi = std::upper_bound(lo, hi, *q.as_of,
                          [](std::uint64_t i, const Row& r) { return i < r.index; });
  }
  // Which interned regions match the prefix: decided once per region, not per row.
  std::vector<char> region_ok(regions_.by_id.size());
  for (size_t i = 0; i < region_ok.size(); ++i) {
    region_ok[i] = regions_.by_id[i].compare(0, q.region_prefix.size(), q.region_prefix) == 0;
  }
  auto cny_it = currencies_.ids.find("CNY");
  const std::uint32_t cny =
      cny_it == currencies_.ids.end() ? std::numeric_limits<std::uint32_t>::max() : cny_it->second;
  std::vector<const Row*> selected;
  selected.reserve(static_cast<size_t>(hi - lo));
  // Amended pledges count at the amount in force at the as-of index: copies of their
  // rows carry it (reserved up front so the pointers stay valid).
  std::vector<Row> amended;
  amended.reserve(amendments_.size());
  for (auto it = lo; it < hi; ++it) {
    if (!region_ok[it->region]) continue;
    auto am = amendments_.empty() ? amendments_.end()
                                  : amendments_.find(static_cast<std::size_t>(it - rows_.begin()));
    const Amendment* in_force = nullptr;
    if (am != amendments_.end()) {
      for (const Amendment& a : am->second) {
        if (q.as_of && a.index > *q.as_of) break;
        in_force = &a;
      }
    }
    if (in_force == nullptr) {
      selected.push_back(&*it);
      continue;
    }
    amended.push_back(*it);
    amended.back().amount = in_force->amount;
    amended.back().currency = in_force->currency;
    selected.push_back(&amended.back());
  }
  Accumulator acc(debtors_.by_id.size(), cases_.by_id.size(), q.inclusive_threshold, cny);
  StatsResult result;
  result.totals = acc.Run(selected, currencies_);
  if (q.group_by == StatsGroupBy::kNone) return result;
  // Bucket the selected rows by group key, then run each bucket.
  std::map<std::string, std::vector<const Row*>> buckets;
  std::map<std::uint32_t, std::vector<const Row*>> by_id;  // banks, regions: by interned id
  for (const Row* r : selected) {
    switch (q.group_by) {
      case StatsGroupBy::kNone:
        break;
      case StatsGroupBy::kBank:
        by_id[r->bank].push_back(r);
        break;
      case StatsGroupBy::kRegion:
        by_id[r->region].push_back(r);
        break;
      case StatsGroupBy::kAssetKind:
        if (r->patents > 0) buckets["patent"].push_back(r);
        if (r->trademarks > 0) buckets["trademark"].push_back(r);
        if (r->data > 0) buckets["data"].push_back(r);
        break;
      case StatsGroupBy::kMonth:
        buckets[FormatDate(r->date).substr(0, 7)].push_back(r);
        break;
    }
  }
  for (auto& [id, rows] : by_id) {
    std::string key = q.group_by == StatsGroupBy::kBank ? banks_.by_id[id] : regions_.by_id[id];
    if (key.empty()) key = "unknown";
    buckets[key] = std::move(rows);
  }
  for (const auto& [key, rows] : buckets)
    result.groups.push_back({key, acc.Run(rows, currencies_)});
  return result;
}

std::optional<std::int64_t> IpShareBps(Amount128 ip, Amount128 other) {
  const Amount128 whole = ip + other;
  if (whole <= 0) return std::nullopt;
  return static_cast<std::int64_t>((ip * 10000 * 2 + whole) / (2 * whole));
}

std::string Amount128String(Amount128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string out;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    out.push_back(static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  if (negative) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<std::int64_t> ChangeBps(Amount128 current, Amount128 previous) {
  if (previous == 0) return std::nullopt;
  // Half away from zero. Totals are below 2^114, so (current - previous) * 10000 is
  // below 2^128 only if kept modest: clamp the operands' difference first.
  using Int128 = Amount128;
  constexpr Int128 kLimit = static_cast<Int128>(1) << 112;
  Int128 diff = current - previous;
  if (diff > kLimit) diff = kLimit;
  if (diff < -kLimit) diff = -kLimit;
  const Int128 num = diff * 10000;
  const Int128 den = previous;
  Int128 q = num / den;
  const Int128 rem = num % den;
  const Int128 abs_rem2 = (rem < 0 ? -rem : rem) * 2;
  const Int128 abs_den = den < 0 ? -den : den;
  if (abs_rem2 >= abs_den) q += ((num < 0) != (den < 0)) ? -1 : 1;
  constexpr Int128 kMax = std::numeric_limits<std::int64_t>::max();
  constexpr Int128 kMin = std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(std::clamp(q, kMin, kMax));
}

}  // namespace ipledger
