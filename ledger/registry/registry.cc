#include "ledger/registry/registry.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

constexpr std::uint64_t kLatest = std::numeric_limits<std::uint64_t>::max();

// Sums and products of int64 money amounts cannot overflow in 128 bits.
__extension__ using Int128 = __int128;

// Tags of the versioned records in column `state`.
constexpr char kParticipantTag = 'P';
constexpr char kAssetTag = 'A';
constexpr char kPledgeTag = 'L';
constexpr char kValuationTag = 'V';
constexpr char kPolicyTag = 'Y';
constexpr char kCaseTag = 'C';
constexpr char kClaimTag = 'K';

std::string RecordPrefix(char tag, std::string_view id) {
  std::string k(1, tag);
  k += '/';
  k += id;
  k += '\0';
  return k;
}

std::string IndexKey(std::string_view prefix, std::string_view id, std::uint64_t index) {
  std::string k(prefix);
  k += id;
  k += '\0';
  PutFixed64BE(&k, index);
  return k;
}

std::string PairKey(std::string_view prefix, std::string_view a, std::string_view b) {
  std::string k(prefix);
  k += a;
  k += '\0';
  k += b;
  return k;
}

std::string IdempotencyKey(std::string_view submitter, std::string_view key) {
  return PairKey("I/", submitter, key);
}

std::string OutcomeKey(std::uint64_t index) { return "O/" + EncodeFixed64BE(index); }

std::string TimeKey(std::int64_t time_ms, std::uint64_t index) {
  std::string k = "D/";
  PutFixed64BE(&k, static_cast<std::uint64_t>(time_ms));
  PutFixed64BE(&k, index);
  return k;
}

bool IsRefusing(std::string_view code) {
  return code.rfind("E_", 0) == 0 || code.rfind("A_", 0) == 0;
}

// Patent term (domain.md §1.9): invention 20 years, utility model 10, design 15 for
// filings from 2021-06-01 (10 before), counted from the filing date; the term ends the
// day before the anniversary.
Date DerivedPatentTermEnd(const PatentFacts& p) {
  int years = 20;
  if (p.type == PatentType::kUtilityModel) years = 10;
  if (p.type == PatentType::kDesign) years = p.filing_date >= DateFromCivil(2021, 6, 1) ? 15 : 10;
  return AddDays(AddYears(p.filing_date, years), -1);
}

std::string MoneyText(const Money& m) { return std::to_string(m.amount) + " " + m.currency; }

}  // namespace

// Reads see the committed store plus this batch's earlier writes; writes go to both the
// overlay and the WriteSet that Ledger::Append commits with the leaves.
struct Registry::Txn {
  // `latest` (may be null): the registry's cache of latest committed records.
  Txn(const Store& s, std::unordered_map<std::string, std::optional<std::string>>* latest)
      : store(s), latest_cache(latest) {}

  std::map<std::string, std::string>& Overlay(Column c) {
    return c == Column::kState ? state_overlay : index_overlay;
  }

  std::optional<std::string> Get(Column c, const std::string& key) {
    auto& o = Overlay(c);
    if (auto it = o.find(key); it != o.end()) return it->second;
    auto v = store.Get(c, key);
    if (v.ok()) return std::move(*v);
    if (v.status().code() != ErrorCode::kNotFound && error.ok()) error = v.status();
    return std::nullopt;
  }

  std::optional<std::pair<std::string, std::string>> Last(Column c, const std::string& lo,
                                                          const std::string& hi) {
    std::optional<std::pair<std::string, std::string>> best;
    auto stored = store.LastInRange(c, lo, hi);
    if (!stored.ok()) {
      if (error.ok()) error = stored.status();
    } else {
      best = std::move(*stored);
    }
    auto& o = Overlay(c);
    auto it = o.upper_bound(hi);
    if (it != o.begin()) {
      --it;
      if (it->first >= lo && (!best || it->first >= best->first))
        best.emplace(it->first, it->second);
    }
    return best;
  }

  // Keys starting with `prefix`, from the store and the overlay, in order.
  std::vector<std::string> KeysWithPrefix(Column c, const std::string& prefix) {
    std::set<std::string> keys;
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    Status s = store.Scan(c, prefix, end, [&](std::string_view k, std::string_view) {
      keys.emplace(k);
      return true;
    });
    if (!s.ok() && error.ok()) error = s;
    auto& o = Overlay(c);
    for (auto it = o.lower_bound(prefix); it != o.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      keys.insert(it->first);
    }
    return {keys.begin(), keys.end()};
  }

  void Put(Column c, const std::string& key, const std::string& value) {
    Overlay(c)[key] = value;
    writes.Put(c, key, value);
  }

  template <typename R>
  std::optional<R> Load(char tag, std::string_view id, std::uint64_t as_of = kLatest) {
    const std::string prefix = RecordPrefix(tag, id);
    std::optional<std::pair<std::string, std::string>> found;
    if (as_of == kLatest && latest_cache != nullptr) {
      found = LatestCached(prefix);
    } else {
      found = Last(Column::kState, prefix + EncodeFixed64BE(0), prefix + EncodeFixed64BE(as_of));
    }
    if (!found) return std::nullopt;
    R r;
    if (Status s = DecodeRecord(found->second, &r); !s.ok()) {
      if (error.ok())
        error = Status::Corruption(s.message() + " at key " + HexEncode(AsBytes(found->first)));
      return std::nullopt;
    }
    return r;
  }

  // The latest version of the record with `prefix`: this batch's own write if any (it
  // is newer than anything committed), else the cache, else the store (then cached).
  std::optional<std::pair<std::string, std::string>> LatestCached(const std::string& prefix) {
    auto it = state_overlay.lower_bound(prefix);
    std::optional<std::pair<std::string, std::string>> own;
    for (; it != state_overlay.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      own.emplace(it->first, it->second);
    }
    if (own) return own;
    if (auto c = latest_cache->find(prefix); c != latest_cache->end()) {
      if (!c->second) return std::nullopt;
      return std::make_pair(prefix, *c->second);
    }
    auto stored = store.LastInRange(Column::kState, prefix + EncodeFixed64BE(0),
                                    prefix + EncodeFixed64BE(kLatest));
    if (!stored.ok()) {
      if (error.ok()) error = stored.status();
      return std::nullopt;
    }
    std::optional<std::string> value;
    if (*stored) value = (*stored)->second;
    latest_cache->emplace(prefix, std::move(value));
    return std::move(*stored);
  }

  // After the batch is durable: its state writes are the latest versions now.
  void PublishToCache(std::size_t limit) {
    if (latest_cache == nullptr) return;
    if (latest_cache->size() + state_overlay.size() > limit) latest_cache->clear();
    for (const auto& [key, value] : state_overlay) {
      (*latest_cache)[key.substr(0, key.size() - 8)] = value;  // drop the index suffix
    }
  }

  template <typename R>
  void Save(char tag, std::string_view id, std::uint64_t index, const R& r) {
    Put(Column::kState, RecordPrefix(tag, id) + EncodeFixed64BE(index), EncodeRecord(r));
  }

  const Store& store;
  std::unordered_map<std::string, std::optional<std::string>>* const latest_cache;
  std::map<std::string, std::string> state_overlay;
  std::map<std::string, std::string> index_overlay;
  WriteSet writes;
  Status error;                                        // the first storage failure while reading
  std::map<std::uint64_t, std::size_t> batch_entries;  // index -> position in this batch
  std::vector<PledgeFact> facts;  // statistics facts of this batch, in log order
};

namespace {

// What one statement is doing while it is sequenced.
struct Ctx {
  Registry::Txn* txn = nullptr;  // set by Sequence
  const Statement* st = nullptr;
  std::uint64_t index = 0;
  std::int64_t time_ms = 0;
  Date today;
  Role submitter_role = Role::kEnterprise;
  std::set<std::string> signer_participants;
  std::set<std::string> signer_keys;

  std::vector<std::string> codes;
  std::vector<std::string> warnings;
  std::string detail;
  bool forbidden = false;
  std::set<std::string> parties;
  std::set<std::string> subjects;
  std::set<std::string> assets;  // subjects that are assets (asset history index)

  void Refuse(const std::string& code, const std::string& why) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
    if (detail.empty()) detail = why;
  }
  void Warn(const std::string& code) {
    if (std::find(warnings.begin(), warnings.end(), code) == warnings.end())
      warnings.push_back(code);
  }
  void Forbid(const std::string& why) {
    forbidden = true;
    if (detail.empty()) detail = why;
  }
  bool refused() const {
    return std::any_of(codes.begin(), codes.end(),
                       [](const std::string& c) { return IsRefusing(c); });
  }
  bool Signed(const std::string& participant) const {
    return signer_participants.contains(participant);
  }
  void Asset(const std::string& id) {
    subjects.insert(id);
    assets.insert(id);
  }
};

}  // namespace

Registry::Registry(std::unique_ptr<Ledger> ledger, RegistryOptions options)
    : ledger_(std::move(ledger)), options_(std::move(options)) {}

Registry::~Registry() = default;

Status Registry::Create(const std::string& dir, std::string_view origin, const SigningKey& log_key,
                        const Submission& genesis, const RegistryOptions& options) {
  if (Status s = Ledger::Create(dir, origin, log_key, options.ledger); !s.ok()) return s;
  auto key = SigningKey::FromSeed(log_key.seed());
  auto registry = Open(dir, std::move(*key), options);
  if (!registry.ok()) return registry.status();
  auto outcomes = (*registry)->Submit({&genesis, 1});
  if (!outcomes.ok()) return outcomes.status();
  const SubmitOutcome& o = (*outcomes)[0];
  if (o.kind != OutcomeKind::kAccepted) {
    std::string codes;
    for (const auto& c : o.codes) codes += c + " ";
    return Status::InvalidArgument("genesis entry not accepted: " + codes + o.detail);
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Registry>> Registry::Open(const std::string& dir, SigningKey log_key,
                                                   const RegistryOptions& options) {
  auto ledger = Ledger::Open(dir, std::move(log_key), options.ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<Registry> r(new Registry(std::move(*ledger), options));
  if (Status s = r->LoadStats(); !s.ok()) return s;
  return r;
}

StatusOr<std::unique_ptr<Registry>> Registry::OpenReadOnly(const std::string& dir,
                                                           const RegistryOptions& options) {
  auto ledger = Ledger::OpenReadOnly(dir, options.ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<Registry> r(new Registry(std::move(*ledger), options));
  if (Status s = r->LoadStats(); !s.ok()) return s;
  return r;
}

Status Registry::LoadStats() {
  Status decode;
  Status s = ledger_->store().Scan(Column::kIndex, "F/", "F0",
                                   [&](std::string_view, std::string_view value) {
                                     PledgeFact f;
                                     decode = DecodeFact(value, &f);
                                     if (decode.ok()) decode = stats_.Add(f);
                                     return decode.ok();
                                   });
  if (!s.ok()) return s;
  return decode;
}

StatsResult Registry::Stats(const StatsQuery& q) const { return stats_.Query(q); }

StatusOr<std::vector<std::uint64_t>> Registry::EntriesAbout(std::string_view kind,
                                                            std::string_view id,
                                                            std::uint64_t from_index,
                                                            std::size_t max) const {
  std::string prefix;
  if (kind == "asset") {
    prefix = PairKey("H/", id, "");
  } else if (kind == "participant") {
    prefix = PairKey("W/", id, "");
  } else {
    return Status::InvalidArgument("no index of entries by " + std::string(kind));
  }
  std::string end = prefix;
  end.back() = '\1';
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
  std::string start = "D/";
  PutFixed64BE(&start, static_cast<std::uint64_t>(std::max<std::int64_t>(time_ms, 0)));
  std::optional<std::uint64_t> found;
  Status s = ledger_->store().Scan(Column::kIndex, start, "D0",
                                   [&](std::string_view key, std::string_view) {
                                     found = DecodeFixed64BE(key.substr(10, 8));
                                     return false;
                                   });
  if (!s.ok()) return s;
  return found.value_or(ledger_->size());
}

namespace {

using Txn = Registry::Txn;

// --- Shared checks -------------------------------------------------------------------

std::optional<ParticipantRecord> NeedParticipant(Ctx& c, const std::string& id,
                                                 std::string_view what) {
  c.parties.insert(id);
  auto p = c.txn->Load<ParticipantRecord>(kParticipantTag, id);
  if (!p) c.Refuse("E_UNKNOWN_REFERENCE", std::string(what) + " " + id + " is not registered");
  return p;
}

std::optional<AssetRecord> NeedAsset(Ctx& c, const std::string& id) {
  c.Asset(id);
  auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
  if (!a) {
    c.Refuse("E_UNKNOWN_REFERENCE", "asset " + id + " is not registered");
  } else {
    // The holders are parties to every entry about their asset (api.md §8 visibility).
    c.parties.insert(a->holders.begin(), a->holders.end());
  }
  return a;
}

bool RequireRole(Ctx& c, std::initializer_list<Role> roles) {
  for (Role r : roles) {
    if (c.submitter_role == r) return true;
  }
  c.Forbid("a participant of role " + std::string(RoleName(c.submitter_role)) + " may not submit " +
           c.st->type);
  return false;
}

void Touch(std::vector<std::uint64_t>& history, std::uint64_t index) {
  if (history.empty() || history.back() != index) history.push_back(index);
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// P-1..P-5, P-7, P-8, T-2..T-4, D-6 for one collateral asset of a pledge whose debt term
// ends on `debt_end`. `pledgors` empty skips the holder check (amendments).
void CheckCollateral(Ctx& c, const AssetRecord& a, const std::set<std::string>& pledgors,
                     const std::set<std::string>& collateral, Date debt_end,
                     const std::vector<std::string>& acknowledgements,
                     const std::string& ignore_pledge) {
  const std::string& id = a.asset_id;
  if (!pledgors.empty() && AsSet(a.holders) != pledgors) {
    c.Refuse("E_PLEDGOR_NOT_HOLDER", "the pledgors are not the holders of " + id);
  }
  if (a.preservation) c.Refuse("E_PRESERVATION", id + " is under court preservation");
  switch (a.kind) {
    case AssetKind::kPatent: {
      const PatentFacts& p = *a.patent;
      const Date term_end = p.term_end ? *p.term_end : DerivedPatentTermEnd(p);
      if (a.legal == LegalStatus::kTerminated || a.legal == LegalStatus::kInvalidated) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is " + std::string(LegalStatusName(a.legal)));
      } else if (!p.grant_date || *p.grant_date > c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is not granted");
      } else if (term_end < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " expired on " + FormatDate(term_end));
      }
      if (a.fee_grace || p.annuity_paid_through < c.today) {
        c.Refuse("E_FEE_GRACE", id + " is in the annuity grace period (paid through " +
                                    FormatDate(p.annuity_paid_through) + ")");
      }
      if (debt_end > term_end) {
        c.Refuse("E_TERM_BEYOND_ASSET",
                 "the debt term ends after " + id + "'s term (" + FormatDate(term_end) + ")");
      }
      break;
    }
    case AssetKind::kTrademark: {
      const TrademarkFacts& t = *a.trademark;
      if (a.legal == LegalStatus::kTerminated || a.legal == LegalStatus::kInvalidated) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is " + std::string(LegalStatusName(a.legal)));
      } else if (t.expiry_date < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " expired on " + FormatDate(t.expiry_date));
      }
      if (debt_end > t.expiry_date) {
        c.Refuse("E_TERM_BEYOND_ASSET",
                 "the debt term ends after " + id + " expires (" + FormatDate(t.expiry_date) + ")");
      }
      if (t.similarity_group && !pledgors.empty()) {
        for (const std::string& key :
             c.txn->KeysWithPrefix(Column::kIndex, PairKey("G/", *t.similarity_group, ""))) {
          const std::string other = key.substr(key.find('\0') + 1);
          if (collateral.contains(other)) continue;
          auto o = c.txn->Load<AssetRecord>(kAssetTag, other);
          if (o && AsSet(o->holders) == AsSet(a.holders) && o->legal != LegalStatus::kTerminated &&
              o->legal != LegalStatus::kInvalidated) {
            c.Refuse("E_SIMILAR_MARKS_SPLIT", "similar mark " + other + " of group " +
                                                  *t.similarity_group + " is not pledged with " +
                                                  id);
          }
        }
      }
      break;
    }
    case AssetKind::kData: {
      if (a.data_state != DataState::kConfirmed) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE", id + " is not a confirmed data asset (" +
                                               std::string(DataStateName(a.data_state)) + ")");
      } else if (*a.certificate_valid_until < c.today) {
        c.Refuse("E_ASSET_NOT_PLEDGEABLE",
                 id + "'s certificate expired on " + FormatDate(*a.certificate_valid_until));
      } else if (debt_end > *a.certificate_valid_until) {
        c.Refuse("E_TERM_BEYOND_ASSET", "the debt term ends after " + id + "'s certificate (" +
                                            FormatDate(*a.certificate_valid_until) + ")");
      }
      break;
    }
  }
  for (const std::string& other : a.active_pledges) {
    if (other != ignore_pledge) {
      c.Refuse("E_ALREADY_PLEDGED", id + " is pledged under " + other);
    }
  }
  if (a.invalidation_pending) {
    const bool acknowledged =
        std::find_if(acknowledgements.begin(), acknowledgements.end(), [](const std::string& r) {
          return r == "P-8" || r == "A_INVALIDATION_PENDING";
        }) != acknowledgements.end();
    if (!acknowledged) {
      c.Refuse("A_INVALIDATION_PENDING",
               "invalidation proceedings against " + id + " are pending; acknowledge rule P-8");
    }
  }
}

// --- Participants --------------------------------------------------------------------

void Handle(Ctx& c, const ParticipantRegister& b) {
  c.parties.insert(b.id);
  c.subjects.insert(b.id);
  if (c.index > 0 && !RequireRole(c, {Role::kRegistry})) return;
  if (c.txn->Load<ParticipantRecord>(kParticipantTag, b.id)) {
    c.Refuse("E_DUPLICATE_ID", "participant " + b.id + " is already registered");
    return;
  }
  ParticipantRecord r;
  r.id = b.id;
  r.name = b.name;
  r.role = b.role;
  r.uscc = b.uscc;
  r.region_code = b.region_code;
  for (const KeySpec& k : b.keys) r.keys.push_back({k.label, k.ed25519, c.index, std::nullopt});
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kParticipantTag, b.id, c.index, r);
}

void Handle(Ctx& c, const ParticipantKeys& b) {
  c.subjects.insert(b.id);
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto p = NeedParticipant(c, b.id, "participant");
  if (!p) return;
  for (const KeySpec& k : b.add) {
    for (const KeyRecord& existing : p->keys) {
      if (existing.label == k.label) {
        c.Refuse("E_DUPLICATE_ID", "key " + b.id + "/" + k.label + " already exists");
      }
    }
  }
  for (const std::string& label : b.revoke) {
    auto it = std::find_if(p->keys.begin(), p->keys.end(), [&](const KeyRecord& k) {
      return k.label == label && !k.revoked_index;
    });
    if (it == p->keys.end()) {
      c.Refuse("E_UNKNOWN_REFERENCE", "no active key " + b.id + "/" + label);
    }
  }
  if (c.refused()) return;
  for (const KeySpec& k : b.add) p->keys.push_back({k.label, k.ed25519, c.index, std::nullopt});
  for (const std::string& label : b.revoke) {
    for (KeyRecord& k : p->keys) {
      if (k.label == label) k.revoked_index = c.index;
    }
  }
  Touch(p->history, c.index);
  c.txn->Save(kParticipantTag, b.id, c.index, *p);
}

// --- Assets ------------------------------------------------------------------------------

void Handle(Ctx& c, const AssetRegister& b) {
  c.Asset(b.asset_id);
  if (b.kind == AssetKind::kData) {
    // A data registration is the holding enterprise's application (api.md §3).
    if (!RequireRole(c, {Role::kEnterprise})) return;
    if (std::find(b.holders.begin(), b.holders.end(), c.st->submitter) == b.holders.end()) {
      c.Forbid("a data asset is registered by one of its holders");
      return;
    }
  } else if (!RequireRole(c, {Role::kRegistry})) {
    return;
  }
  for (const std::string& h : b.holders) NeedParticipant(c, h, "holder");
  if (c.txn->Load<AssetRecord>(kAssetTag, b.asset_id)) {
    c.Refuse("E_DUPLICATE_ID", "asset " + b.asset_id + " is already registered");
  }
  if (c.refused()) return;
  AssetRecord r;
  r.asset_id = b.asset_id;
  r.kind = b.kind;
  r.holders = b.holders;
  r.patent = b.patent;
  if (r.patent && !r.patent->term_end) r.patent->term_end = DerivedPatentTermEnd(*r.patent);
  r.trademark = b.trademark;
  r.data = b.data;
  r.data_state = DataState::kApplied;
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kAssetTag, b.asset_id, c.index, r);
  if (r.trademark && r.trademark->similarity_group) {
    c.txn->Put(Column::kIndex, PairKey("G/", *r.trademark->similarity_group, b.asset_id), "");
  }
}

void Handle(Ctx& c, const AssetStatus& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedAsset(c, b.asset_id);
  if (!a) return;
  const bool patent = a->kind == AssetKind::kPatent;
  const bool trademark = a->kind == AssetKind::kTrademark;
  auto wrong_kind = [&] {
    c.Refuse("E_WRONG_ASSET_KIND", std::string(AssetEventName(b.event)) + " does not apply to a " +
                                       std::string(AssetKindName(a->kind)) + " asset");
  };
  switch (b.event) {
    case AssetEvent::kAnnuityPaid:
      if (!patent) return wrong_kind();
      a->patent->annuity_paid_through = *b.annuity_paid_through;
      a->fee_grace = false;
      break;
    case AssetEvent::kFeeGrace:
      if (!patent) return wrong_kind();
      a->fee_grace = true;
      break;
    case AssetEvent::kInvalidationStarted:
      a->invalidation_pending = true;
      break;
    case AssetEvent::kInvalidationEnded:
      a->invalidation_pending = false;
      break;
    case AssetEvent::kInvalidated:
      // Termination is final in v1 (there is no restoration event): a later decision
      // on validity does not bring a terminated right back.
      if (a->legal != LegalStatus::kTerminated) a->legal = LegalStatus::kInvalidated;
      a->invalidation_pending = false;
      break;
    case AssetEvent::kPartiallyInvalidated:
      // A later decision may narrow a full invalidation (on appeal) but not a termination.
      if (a->legal != LegalStatus::kTerminated) a->legal = LegalStatus::kPartiallyInvalidated;
      a->invalidation_pending = false;
      break;
    case AssetEvent::kTerminated:
      a->legal = LegalStatus::kTerminated;
      break;
    case AssetEvent::kPreservation:
      a->preservation = true;
      break;
    case AssetEvent::kPreservationLifted:
      a->preservation = false;
      break;
    case AssetEvent::kRenewed:
      if (!trademark) return wrong_kind();
      a->trademark->expiry_date = *b.expiry_date;
      break;
    case AssetEvent::kTransferred:
      // a pledged asset changes hands only with every pledgee's consent.
      for (const std::string& pid : a->active_pledges) {
        auto pl = c.txn->Load<PledgeRecord>(kPledgeTag, pid);
        if (pl && !c.Signed(pl->pledgee)) {
          c.Refuse("E_ALREADY_PLEDGED", b.asset_id + " is pledged under " + pid +
                                            "; the transfer needs " + pl->pledgee + "'s signature");
        }
      }
      for (const std::string& h : *b.holders) NeedParticipant(c, h, "holder");
      if (c.refused()) return;
      a->holders = *b.holders;
      break;
  }
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

std::optional<AssetRecord> NeedDataAsset(Ctx& c, const std::string& id) {
  auto a = NeedAsset(c, id);
  if (a && a->kind != AssetKind::kData) {
    c.Refuse("E_NOT_ACTIVE", id + " is not a data asset");
    return std::nullopt;
  }
  return a;
}

void Handle(Ctx& c, const DataPublicize& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state != DataState::kApplied) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is " + std::string(DataStateName(a->data_state)) +
                                 ", not awaiting publicity");
    return;
  }
  a->data_state = DataState::kInPublicity;
  a->publicity_end = b.publicity_end;
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataObject& b) {
  // Any participant may object during publicity (domain.md §3.5).
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  const bool open =
      (a->data_state == DataState::kInPublicity || a->data_state == DataState::kObjected) &&
      a->publicity_end && c.today <= *a->publicity_end;
  if (!open) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is not in its publicity period");
    return;
  }
  a->data_state = DataState::kObjected;
  a->pending_objections.push_back(c.index);
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataResolveObjection& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  auto it =
      std::find(a->pending_objections.begin(), a->pending_objections.end(), b.objection_index);
  if (it == a->pending_objections.end()) {
    c.Refuse("E_UNKNOWN_REFERENCE", "no pending objection at index " +
                                        std::to_string(b.objection_index) + " against " +
                                        b.asset_id);
    return;
  }
  a->pending_objections.erase(it);
  if (b.upheld) {
    a->data_state = DataState::kRejected;
  } else if (a->pending_objections.empty()) {
    a->data_state = DataState::kInPublicity;
  }
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataConfirm& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state == DataState::kObjected || !a->pending_objections.empty()) {
    c.Refuse("E_OBJECTION_PENDING", b.asset_id + " has an unresolved objection");
    return;
  }
  if (a->data_state != DataState::kInPublicity) {
    c.Refuse("E_NOT_ACTIVE", b.asset_id + " is " + std::string(DataStateName(a->data_state)) +
                                 ", not in publicity");
    return;
  }
  if (c.today <= *a->publicity_end) {
    c.Refuse("E_PUBLICITY_OPEN",
             "publicity of " + b.asset_id + " runs until " + FormatDate(*a->publicity_end));
    return;
  }
  a->data_state = DataState::kConfirmed;
  a->certificate_no = b.certificate_no;
  a->certificate_valid_until = b.valid_until;
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

void Handle(Ctx& c, const DataReject& b) {
  if (!RequireRole(c, {Role::kRegistry})) return;
  auto a = NeedDataAsset(c, b.asset_id);
  if (!a) return;
  if (a->data_state == DataState::kConfirmed || a->data_state == DataState::kRejected) {
    c.Refuse("E_NOT_ACTIVE",
             b.asset_id + " is already " + std::string(DataStateName(a->data_state)));
    return;
  }
  a->data_state = DataState::kRejected;
  a->pending_objections.clear();
  Touch(a->history, c.index);
  c.txn->Save(kAssetTag, b.asset_id, c.index, *a);
}

// --- Valuations --------------------------------------------------------------------------

void Handle(Ctx& c, const ValuationAttest& b) {
  c.subjects.insert(b.valuation_id);
  if (!RequireRole(c, {Role::kAppraiser})) return;
  if (c.txn->Load<ValuationRecord>(kValuationTag, b.valuation_id)) {
    c.Refuse("E_DUPLICATE_ID", "valuation " + b.valuation_id + " already exists");
  }
  for (const ValuationItem& item : b.items) NeedAsset(c, item.asset_id);
  if (c.refused()) return;
  ValuationRecord r;
  r.attest = b;
  if (!r.attest.valid_until) r.attest.valid_until = AddYears(b.base_date, 1);
  r.appraiser = c.st->submitter;
  r.attested_index = c.index;
  r.history = {c.index};
  c.txn->Save(kValuationTag, b.valuation_id, c.index, r);
  for (const ValuationItem& item : b.items) {
    c.txn->Put(Column::kIndex, PairKey("AV/", item.asset_id, b.valuation_id), "");
  }
}

void Handle(Ctx& c, const ValuationWithdraw& b) {
  c.subjects.insert(b.valuation_id);
  if (!RequireRole(c, {Role::kAppraiser})) return;
  auto v = c.txn->Load<ValuationRecord>(kValuationTag, b.valuation_id);
  if (!v) {
    c.Refuse("E_UNKNOWN_REFERENCE", "valuation " + b.valuation_id + " does not exist");
    return;
  }
  if (v->appraiser != c.st->submitter) {
    c.Forbid("only the attesting appraiser " + v->appraiser + " may withdraw " + b.valuation_id);
    return;
  }
  if (v->withdrawn) {
    c.Refuse("E_NOT_ACTIVE", "valuation " + b.valuation_id + " is already withdrawn");
    return;
  }
  v->withdrawn = true;
  Touch(v->history, c.index);
  c.txn->Save(kValuationTag, b.valuation_id, c.index, *v);
}

// --- Financing cases and pledges ----------------------------------------------------------

void Handle(Ctx& c, const CaseRegister& b) {
  c.subjects.insert(b.case_id);
  if (!RequireRole(c, {Role::kBank})) return;
  if (c.txn->Load<CaseRecord>(kCaseTag, b.case_id)) {
    c.Refuse("E_DUPLICATE_ID", "case " + b.case_id + " already exists");
  }
  NeedParticipant(c, b.debtor, "debtor");
  if (c.refused()) return;
  CaseRecord r;
  r.terms = b;
  r.lender = c.st->submitter;
  r.registered_index = c.index;
  r.history = {c.index};
  c.txn->Save(kCaseTag, b.case_id, c.index, r);
}

void Handle(Ctx& c, const PledgeRegister& b) {
  c.subjects.insert(b.pledge_id);
  if (!RequireRole(c, {Role::kBank})) return;
  for (const std::string& p : b.pledgors) {
    c.parties.insert(p);
    if (!c.Signed(p)) {
      c.Forbid("pledgor " + p + " has not signed the pledge");
      return;
    }
  }
  std::optional<CaseRecord> kase;
  if (b.case_id) {
    c.subjects.insert(*b.case_id);
    kase = c.txn->Load<CaseRecord>(kCaseTag, *b.case_id);
    if (!kase) {
      c.Refuse("E_UNKNOWN_REFERENCE", "case " + *b.case_id + " does not exist");
    } else if (kase->lender != c.st->submitter) {
      c.Forbid("case " + *b.case_id + " belongs to " + kase->lender);
      return;
    }
  }
  if (c.txn->Load<PledgeRecord>(kPledgeTag, b.pledge_id)) {
    c.Refuse("E_DUPLICATE_ID", "pledge " + b.pledge_id + " already exists");
  }
  for (const std::string& p : b.pledgors) NeedParticipant(c, p, "pledgor");
  auto debtor = NeedParticipant(c, b.debtor, "debtor");
  const std::set<std::string> pledgors = AsSet(b.pledgors);
  const std::set<std::string> collateral = AsSet(b.collateral);
  for (const std::string& id : b.collateral) {
    auto a = NeedAsset(c, id);
    if (a) CheckCollateral(c, *a, pledgors, collateral, b.debt_term.end, b.acknowledgements, "");
  }
  for (const std::string& vid : b.valuation_ids) {
    c.subjects.insert(vid);
    auto v = c.txn->Load<ValuationRecord>(kValuationTag, vid);
    if (!v) {
      c.Refuse("E_UNKNOWN_REFERENCE", "valuation " + vid + " does not exist");
    } else if (v->withdrawn || *v->attest.valid_until < c.today) {
      c.Warn("W_VALUATION_STALE");
    }
  }
  if (b.forfeiture_clause) c.Warn("W_FORFEITURE_CLAUSE");
  if (c.refused()) return;

  PledgeRecord r;
  r.terms = b;
  r.pledgee = c.st->submitter;
  r.registered_index = c.index;
  r.registered_time_ms = c.time_ms;
  if (debtor) r.debtor_region = debtor->region_code;
  r.history = {c.index};
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, r);
  PledgeFact fact;
  fact.index = c.index;
  fact.date = c.today;
  fact.pledge_id = b.pledge_id;
  fact.bank = r.pledgee;
  fact.debtor = b.debtor;
  fact.region = r.debtor_region.value_or("");
  fact.case_key = b.case_id ? "case:" + *b.case_id : "pledge:" + b.pledge_id;
  fact.amount = b.secured.amount.amount;
  fact.currency = b.secured.amount.currency;
  for (const std::string& id : b.collateral) {
    auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
    a->active_pledges.push_back(b.pledge_id);
    Touch(a->history, c.index);
    c.txn->Save(kAssetTag, id, c.index, *a);
    if (a->kind == AssetKind::kPatent) ++fact.patents;
    if (a->kind == AssetKind::kTrademark) ++fact.trademarks;
    if (a->kind == AssetKind::kData) ++fact.data;
  }
  c.txn->Put(Column::kIndex, "F/" + EncodeFixed64BE(c.index), EncodeFact(fact));
  c.txn->facts.push_back(std::move(fact));
  if (kase) {
    kase->pledges.push_back(b.pledge_id);
    Touch(kase->history, c.index);
    c.txn->Save(kCaseTag, *b.case_id, c.index, *kase);
  }
}

// Loads a pledge for an operation only its pledgee may perform.
std::optional<PledgeRecord> NeedOwnPledge(Ctx& c, const std::string& id) {
  c.subjects.insert(id);
  if (!RequireRole(c, {Role::kBank})) return std::nullopt;
  auto p = c.txn->Load<PledgeRecord>(kPledgeTag, id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "pledge " + id + " does not exist");
    return std::nullopt;
  }
  if (p->pledgee != c.st->submitter) {
    c.Forbid("only the pledgee " + p->pledgee + " may change pledge " + id);
    return std::nullopt;
  }
  for (const std::string& a : p->terms.collateral) c.Asset(a);
  for (const std::string& x : p->terms.pledgors) c.parties.insert(x);
  c.parties.insert(p->terms.debtor);
  return p;
}

void ReleaseAssets(Ctx& c, const std::vector<std::string>& assets, const std::string& pledge_id) {
  for (const std::string& id : assets) {
    auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
    if (!a) continue;
    std::erase(a->active_pledges, pledge_id);
    Touch(a->history, c.index);
    c.txn->Save(kAssetTag, id, c.index, *a);
  }
}

void Handle(Ctx& c, const PledgeAmend& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  // a change agreement is signed by the pledgee and every pledgor.
  for (const std::string& x : p->terms.pledgors) {
    if (!c.Signed(x)) {
      c.Forbid("pledgor " + x + " has not signed the amendment");
      return;
    }
  }
  if (p->state != PledgeState::kRegistered) {
    c.Refuse("E_NOT_ACTIVE",
             "pledge " + b.pledge_id + " is " + std::string(PledgeStateName(p->state)));
    return;
  }
  std::vector<std::string> remaining;
  for (const std::string& id : p->terms.collateral) {
    if (std::find(b.release_collateral.begin(), b.release_collateral.end(), id) ==
        b.release_collateral.end()) {
      remaining.push_back(id);
    }
  }
  for (const std::string& id : b.release_collateral) {
    if (std::find(p->terms.collateral.begin(), p->terms.collateral.end(), id) ==
        p->terms.collateral.end()) {
      c.Refuse("E_UNKNOWN_REFERENCE", id + " is not collateral of " + b.pledge_id);
    }
  }
  if (remaining.empty()) {
    c.Refuse("E_NOT_ACTIVE", "an amendment cannot release all collateral; release the pledge");
  }
  if (b.debt_term && b.debt_term->end != p->terms.debt_term.end) {
    // P-5 / D-6 again when the term moves: the pledge's own assets stay pledged to it.
    for (const std::string& id : remaining) {
      auto a = c.txn->Load<AssetRecord>(kAssetTag, id);
      if (!a) continue;
      Ctx probe;
      probe.txn = c.txn;
      probe.st = c.st;
      probe.today = c.today;
      CheckCollateral(probe, *a, {}, AsSet(remaining), b.debt_term->end, p->terms.acknowledgements,
                      b.pledge_id);
      for (const std::string& code : probe.codes) {
        if (code == "E_TERM_BEYOND_ASSET") c.Refuse(code, probe.detail);
      }
    }
  }
  if (c.refused()) return;
  if (b.secured) p->terms.secured = *b.secured;
  if (b.debt_term) p->terms.debt_term = *b.debt_term;
  if (b.official_reg_no) p->terms.official_reg_no = b.official_reg_no;
  for (const std::string& id : b.release_collateral) p->released_collateral.push_back(id);
  p->terms.collateral = remaining;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, b.release_collateral, b.pledge_id);
}

void Handle(Ctx& c, const PledgeRelease& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  if (p->state == PledgeState::kReleased) {
    c.Refuse("E_NOT_ACTIVE", "pledge " + b.pledge_id + " is already released");
    return;
  }
  p->state = PledgeState::kReleased;
  p->release_reason = b.reason;
  p->released_time_ms = c.time_ms;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
  ReleaseAssets(c, p->terms.collateral, b.pledge_id);
}

void Handle(Ctx& c, const PledgeEnforce& b) {
  auto p = NeedOwnPledge(c, b.pledge_id);
  if (!p) return;
  if (p->state != PledgeState::kRegistered) {
    c.Refuse("E_NOT_ACTIVE",
             "pledge " + b.pledge_id + " is " + std::string(PledgeStateName(p->state)));
    return;
  }
  p->state = PledgeState::kEnforcing;
  p->enforcement_started = b.started;
  ++p->version;
  Touch(p->history, c.index);
  c.txn->Save(kPledgeTag, b.pledge_id, c.index, *p);
}

// --- Policies ---------------------------------------------------------------------------

void Handle(Ctx& c, const PolicyIssue& b) {
  c.subjects.insert(b.policy_id);
  if (!RequireRole(c, {Role::kInsurer})) return;
  if (c.txn->Load<PolicyRecord>(kPolicyTag, b.policy_id)) {
    c.Refuse("E_DUPLICATE_ID", "policy " + b.policy_id + " already exists");
  }
  NeedParticipant(c, b.insured, "insured");
  for (const std::string& p : b.loss_payees) NeedParticipant(c, p, "loss payee");
  for (const std::string& a : b.covered_assets) NeedAsset(c, a);
  // I-2.
  const std::string& cur = b.aggregate_limit.currency;
  if (b.period.start > b.period.end) {
    c.Refuse("E_POLICY_TERMS", "the policy period is empty");
  } else if (b.deductible.currency != cur || b.limit_per_claim.currency != cur) {
    c.Refuse("E_POLICY_TERMS", "limits and deductible must share one currency");
  } else if (!(b.deductible.amount < b.limit_per_claim.amount &&
               b.limit_per_claim.amount <= b.aggregate_limit.amount)) {
    c.Refuse("E_POLICY_TERMS", "need deductible < limit_per_claim <= aggregate_limit");
  }
  if (c.refused()) return;
  PolicyRecord r;
  r.terms = b;
  r.insurer = c.st->submitter;
  r.issued_index = c.index;
  r.history = {c.index};
  c.txn->Save(kPolicyTag, b.policy_id, c.index, r);
  for (const std::string& a : b.covered_assets) {
    c.txn->Put(Column::kIndex, PairKey("AY/", a, b.policy_id), "");
  }
}

std::optional<PolicyRecord> NeedOwnPolicy(Ctx& c, const std::string& id) {
  c.subjects.insert(id);
  if (!RequireRole(c, {Role::kInsurer})) return std::nullopt;
  auto p = c.txn->Load<PolicyRecord>(kPolicyTag, id);
  if (!p) {
    c.Refuse("E_UNKNOWN_REFERENCE", "policy " + id + " does not exist");
    return std::nullopt;
  }
  if (p->insurer != c.st->submitter) {
    c.Forbid("only the issuing insurer " + p->insurer + " may change policy " + id);
    return std::nullopt;
  }
  c.parties.insert(p->terms.insured);
  for (const std::string& x : p->terms.loss_payees) c.parties.insert(x);
  return p;
}

void Handle(Ctx& c, const PolicyCancel& b) {
  auto p = NeedOwnPolicy(c, b.policy_id);
  if (!p) return;
  if (p->cancelled_from) {
    c.Refuse("E_NOT_ACTIVE", "policy " + b.policy_id + " is already cancelled");
    return;
  }
  for (const std::string& a : p->terms.covered_assets) c.Asset(a);
  p->cancelled_from = b.effective_date;
  Touch(p->history, c.index);
  c.txn->Save(kPolicyTag, b.policy_id, c.index, *p);
}

void Handle(Ctx& c, const PolicyClaim& b) {
  c.subjects.insert(b.claim_no);
  auto p = NeedOwnPolicy(c, b.policy_id);
  if (!p) return;
  c.Asset(b.asset_id);
  if (c.txn->Load<ClaimRecord>(kClaimTag, b.claim_no)) {
    c.Refuse("E_DUPLICATE_ID", "claim " + b.claim_no + " already exists");
  }
  const PolicyIssue& t = p->terms;
  if (std::find(t.covered_assets.begin(), t.covered_assets.end(), b.asset_id) ==
      t.covered_assets.end()) {
    c.Refuse("E_UNKNOWN_REFERENCE", b.asset_id + " is not covered by " + b.policy_id);
  }
  Date last_day = t.period.end;
  if (p->cancelled_from) last_day = std::min(last_day, AddDays(*p->cancelled_from, -1));
  if (b.incident_date < t.period.start || b.incident_date > last_day) {
    c.Refuse("E_OUTSIDE_PERIOD", "incident on " + FormatDate(b.incident_date) +
                                     " is outside the cover of " + b.policy_id);
  }
  if (b.paid.currency != t.aggregate_limit.currency) {
    c.Refuse("E_POLICY_TERMS", "claim currency differs from the policy's");
  } else if (b.paid.amount > t.limit_per_claim.amount ||
             b.paid.amount > t.aggregate_limit.amount - p->claims_paid) {
    c.Refuse("E_LIMIT_EXCEEDED", "paying " + MoneyText(b.paid) + " exceeds the limits of " +
                                     b.policy_id + " (" +
                                     std::to_string(t.aggregate_limit.amount - p->claims_paid) +
                                     " left of the aggregate)");
  }
  if (c.refused()) return;
  p->claims_paid += b.paid.amount;
  p->claims.push_back(b.claim_no);
  Touch(p->history, c.index);
  c.txn->Save(kPolicyTag, b.policy_id, c.index, *p);
  c.txn->Save(kClaimTag, b.claim_no, c.index, ClaimRecord{b, c.index});
}

}  // namespace

// --- Sequencing ---------------------------------------------------------------------------

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

}  // namespace

SubmitOutcome Registry::Sequence(Txn& txn, const Submission& s, std::uint64_t index,
                                 std::int64_t time_ms) {
  const Statement& st = s.statement;
  SubmitOutcome out;
  out.time_ms = time_ms;
  auto reject = [&out](std::string code, std::string detail) {
    out.kind = OutcomeKind::kRejected;
    out.codes = {std::move(code)};
    out.detail = std::move(detail);
    return out;
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
  const Digest envelope_hash = Sha256(AsBytes(s.envelope_bytes));
  const std::string idem_key = IdempotencyKey(st.submitter, st.idempotency_key);
  if (auto prior = txn.Get(Column::kIndex, idem_key)) {
    auto prior_index = DecodeFixed64BE(std::string_view(*prior).substr(0, 8));
    if (!prior_index || prior->size() != 40) {
      return reject("E_INTERNAL", "idempotency record of " + st.submitter + " is malformed");
    }
    if (prior->substr(8) != std::string(envelope_hash.begin(), envelope_hash.end())) {
      return reject("E_IDEMPOTENCY_CONFLICT", "idempotency key '" + st.idempotency_key + "' of " +
                                                  st.submitter +
                                                  " was used for another envelope (index " +
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
    return out;
  }

  if (st.created_ms < time_ms - options_.stale_window_ms ||
      st.created_ms > time_ms + options_.stale_window_ms) {
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

  std::visit([&c](const auto& body) { Handle(c, body); }, st.body);
  if (!txn.error.ok()) return reject("E_INTERNAL", txn.error.message());
  if (c.forbidden) return reject("E_FORBIDDEN", c.detail);

  out.kind = c.refused() ? OutcomeKind::kRefused : OutcomeKind::kAccepted;
  out.index = index;
  out.codes = c.refused() ? c.codes : std::vector<std::string>{};
  out.warnings = c.warnings;
  out.detail = c.detail;
  // Entry metadata and indexes; a refusal is about the same parties and subjects.
  const std::string type = out.kind == OutcomeKind::kRefused ? std::string(kRefusalType) : st.type;
  txn.Put(Column::kIndex, idem_key,
          EncodeFixed64BE(index) + std::string(envelope_hash.begin(), envelope_hash.end()));
  txn.Put(Column::kIndex, OutcomeKey(index),
          EncodeRecord(OutcomeRecord{st.type, out.codes, out.warnings, out.detail}));
  txn.Put(Column::kIndex, IndexKey("T/", type, index), "");
  txn.Put(Column::kIndex, TimeKey(time_ms, index), "");
  for (const std::string& a : c.assets) txn.Put(Column::kIndex, IndexKey("H/", a, index), "");
  for (const std::string& p : c.parties) txn.Put(Column::kIndex, IndexKey("W/", p, index), "");
  pending_input_.type = type;
  pending_input_.envelope = s.envelope_bytes;
  pending_input_.parties.assign(c.parties.begin(), c.parties.end());
  pending_input_.signers.assign(c.signer_keys.begin(), c.signer_keys.end());
  pending_input_.subjects.assign(c.subjects.begin(), c.subjects.end());
  pending_input_.codes = out.kind == OutcomeKind::kRefused ? c.codes : std::vector<std::string>{};
  pending_input_.refused = out.kind == OutcomeKind::kRefused ? st.type : "";
  return out;
}

StatusOr<std::vector<SubmitOutcome>> Registry::Submit(std::span<const Submission> batch,
                                                      std::optional<std::int64_t> time_ms) {
  std::lock_guard<std::mutex> l(sequencer_mu_);
  if (ledger_->read_only()) {
    return Status::Unavailable(
        "the registry is read-only (opened read-only or after a failed write)");
  }
  const std::int64_t t = time_ms ? *time_ms : ledger_->NextTime();
  const std::uint64_t first = ledger_->size();
  Txn txn(ledger_->store(), &latest_);
  std::vector<SubmitOutcome> outcomes;
  std::vector<EntryInput> inputs;
  for (const Submission& s : batch) {
    SubmitOutcome o = Sequence(txn, s, first + inputs.size(), t);
    if (!txn.error.ok()) return txn.error;
    if (o.kind == OutcomeKind::kAccepted || o.kind == OutcomeKind::kRefused) {
      inputs.push_back(std::move(pending_input_));
      pending_input_ = EntryInput{};
    }
    outcomes.push_back(std::move(o));
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
  ao.extra = &txn.writes;
  auto appended = ledger_->Append(inputs, ao);
  if (!appended.ok()) {
    latest_.clear();
    return appended.status();
  }
  txn.PublishToCache(kLatestCacheLimit);
  DropPreverifyKeys(txn.state_overlay);
  for (const PledgeFact& f : txn.facts) {
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

void Registry::DropPreverifyKeys(const std::map<std::string, std::string>& state_writes) {
  const std::string prefix(1, kParticipantTag);
  std::unique_lock<std::shared_mutex> l(preverify_mu_);
  for (auto it = state_writes.lower_bound(prefix + "/");
       it != state_writes.end() && it->first.compare(0, 2, prefix + "/") == 0; ++it) {
    ++preverify_generation_;
    preverify_keys_.erase(it->first.substr(2, it->first.find('\0') - 2));
  }
}

void Registry::PreverifySignatures(Submission* s) const {
  for (const DsseSignature& sig : s->envelope.signatures) {
    const size_t slash = sig.keyid.find('/');
    if (slash == std::string::npos || sig.sig.size() != 64) continue;
    const std::string id = sig.keyid.substr(0, slash);
    std::vector<KeyRecord> keys;
    bool cached = false;
    std::uint64_t generation = 0;
    {
      std::shared_lock<std::shared_mutex> l(preverify_mu_);
      if (auto it = preverify_keys_.find(id); it != preverify_keys_.end()) {
        keys = it->second;
        cached = true;
      }
      generation = preverify_generation_;
    }
    if (!cached) {
      auto p = GetParticipant(id);
      if (!p.ok()) continue;
      keys = p->keys;
      std::unique_lock<std::shared_mutex> l(preverify_mu_);
      if (preverify_generation_ == generation) {
        if (preverify_keys_.size() >= kLatestCacheLimit) preverify_keys_.clear();
        preverify_keys_.emplace(id, keys);
      }
    }
    for (const KeyRecord& k : keys) {
      if (k.label == sig.keyid.substr(slash + 1) && !k.revoked_index &&
          VerifyDsseSignature(s->envelope, sig, k.key)) {
        s->preverified.emplace_back(sig.keyid, k.key);
      }
    }
  }
}

SubmitOutcome Registry::Precheck(const Submission& submission) {
  std::lock_guard<std::mutex> l(sequencer_mu_);
  Txn txn(ledger_->store(), &latest_);
  SubmitOutcome o = Sequence(txn, submission, ledger_->size(), ledger_->NextTime());
  pending_input_ = EntryInput{};
  return o;
}

// --- Queries --------------------------------------------------------------------------------

namespace {

template <typename R>
StatusOr<R> LoadCommitted(const Store& store, char tag, std::string_view id, std::uint64_t as_of,
                          std::string_view what) {
  const std::string prefix = RecordPrefix(tag, id);
  auto found = store.LastInRange(Column::kState, prefix + EncodeFixed64BE(0),
                                 prefix + EncodeFixed64BE(as_of));
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status::NotFound(std::string(what) + " " + std::string(id) + " does not exist" +
                            (as_of == kLatest ? "" : " at index " + std::to_string(as_of)));
  }
  R r;
  if (Status s = DecodeRecord((*found)->second, &r); !s.ok()) return s;
  return r;
}

}  // namespace

StatusOr<ParticipantRecord> Registry::GetParticipant(std::string_view id,
                                                     std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<ParticipantRecord>(ledger_->store(), kParticipantTag, id,
                                          as_of.value_or(kLatest), "participant");
}
StatusOr<AssetRecord> Registry::GetAsset(std::string_view id,
                                         std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<AssetRecord>(ledger_->store(), kAssetTag, id, as_of.value_or(kLatest),
                                    "asset");
}
StatusOr<PledgeRecord> Registry::GetPledge(std::string_view id,
                                           std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<PledgeRecord>(ledger_->store(), kPledgeTag, id, as_of.value_or(kLatest),
                                     "pledge");
}
StatusOr<ValuationRecord> Registry::GetValuation(std::string_view id,
                                                 std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<ValuationRecord>(ledger_->store(), kValuationTag, id,
                                        as_of.value_or(kLatest), "valuation");
}
StatusOr<PolicyRecord> Registry::GetPolicy(std::string_view id,
                                           std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<PolicyRecord>(ledger_->store(), kPolicyTag, id, as_of.value_or(kLatest),
                                     "policy");
}
StatusOr<CaseRecord> Registry::GetCase(std::string_view id,
                                       std::optional<std::uint64_t> as_of) const {
  return LoadCommitted<CaseRecord>(ledger_->store(), kCaseTag, id, as_of.value_or(kLatest), "case");
}

StatusOr<OutcomeRecord> Registry::GetOutcome(std::uint64_t index) const {
  auto v = ledger_->store().Get(Column::kIndex, OutcomeKey(index));
  if (!v.ok()) return v.status();
  OutcomeRecord r;
  if (Status s = DecodeRecord(*v, &r); !s.ok()) return s;
  return r;
}

StatusOr<std::vector<ParticipantRecord>> Registry::ListParticipants() const {
  std::vector<ParticipantRecord> out;
  std::string last_id;
  Status decode;
  // Versions of one participant are adjacent; the last one of each run is current.
  std::optional<std::string> current;
  auto flush = [&] {
    if (!current) return;
    ParticipantRecord r;
    if (Status s = DecodeRecord(*current, &r); !s.ok()) {
      decode = s;
    } else {
      out.push_back(std::move(r));
    }
    current.reset();
  };
  Status s = ledger_->store().Scan(Column::kState, "P/", "P0",
                                   [&](std::string_view key, std::string_view value) {
                                     const std::string id(key.substr(2, key.find('\0') - 2));
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

StatusOr<std::uint64_t> Registry::IndexAtDate(Date date) const {
  std::string hi = "D/";
  PutFixed64BE(&hi, static_cast<std::uint64_t>(EndOfDateInstant(date)));
  PutFixed64BE(&hi, kLatest);
  auto found = ledger_->store().LastInRange(Column::kIndex, "D/", hi);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status::NotFound("the log has no entry on or before " + FormatDate(date));
  }
  auto index = DecodeFixed64BE(std::string_view((*found)->first).substr(10, 8));
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

StatusOr<CoverageView> Registry::Coverage(std::string_view asset_id, Date date) const {
  auto asset = GetAsset(asset_id);
  if (!asset.ok()) return asset.status();
  CoverageView v;
  v.asset_id = std::string(asset_id);
  v.date = date;
  std::vector<std::string> policy_ids;
  const std::string prefix = PairKey("AY/", asset_id, "");
  std::string end = prefix;
  end.back() = '\1';
  Status s = ledger_->store().Scan(Column::kIndex, prefix, end,
                                   [&](std::string_view key, std::string_view) {
                                     policy_ids.emplace_back(key.substr(prefix.size()));
                                     return true;
                                   });
  if (!s.ok()) return s;
  for (const std::string& id : policy_ids) {
    auto p = GetPolicy(id);
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
  Int128 total = 0;
  for (const std::string& asset : pledge->terms.collateral) {
    const std::string prefix = PairKey("AV/", asset, "");
    std::string end = prefix;
    end.back() = '\1';
    std::vector<std::string> ids;
    Status s = ledger_->store().Scan(Column::kIndex, prefix, end,
                                     [&](std::string_view key, std::string_view) {
                                       ids.emplace_back(key.substr(prefix.size()));
                                       return true;
                                     });
    if (!s.ok()) return s;
    // The latest (by base date, then log order) valuation still valid on `date`.
    std::optional<std::pair<std::pair<Date, std::uint64_t>, std::int64_t>> best;
    for (const std::string& id : ids) {
      auto v = GetValuation(id);
      if (!v.ok()) return v.status();
      if (v->withdrawn || *v->attest.valid_until < date || v->attest.base_date > date) continue;
      for (const ValuationItem& item : v->attest.items) {
        if (item.asset_id != asset || item.value.currency != secured.currency) continue;
        auto key = std::make_pair(v->attest.base_date, v->attested_index);
        if (!best || key > best->first) best.emplace(key, item.value.amount);
      }
    }
    if (!best) return std::optional<std::int64_t>();
    total += best->second;
  }
  if (total <= 0) return std::optional<std::int64_t>();
  const Int128 bps = (static_cast<Int128>(secured.amount) * 10000 * 2 + total) / (2 * total);
  return std::optional<std::int64_t>(static_cast<std::int64_t>(bps));
}

StatusOr<std::vector<std::uint64_t>> Registry::AssetHistory(std::string_view asset_id) const {
  std::vector<std::uint64_t> out;
  const std::string prefix = PairKey("H/", asset_id, "");
  std::string end = prefix;
  end.back() = '\1';
  Status s = ledger_->store().Scan(Column::kIndex, prefix, end,
                                   [&](std::string_view key, std::string_view) {
                                     auto i = DecodeFixed64BE(key.substr(prefix.size()));
                                     if (i) out.push_back(*i);
                                     return true;
                                   });
  if (!s.ok()) return s;
  return out;
}

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
                                  first.substr(0, first.find('\0')) +
                                  ") is in only one of the two states");
      }
      if (mine[i].second != theirs[i].second) {
        return Status::Corruption(col + " key " + HexEncode(AsBytes(mine[i].first)) + " (" +
                                  mine[i].first.substr(0, mine[i].first.find('\0')) +
                                  ") differs between the stored and the replayed state");
      }
    }
    if (mine.size() != theirs.size()) {
      const auto& extra = mine.size() > n ? mine[n].first : theirs[n].first;
      return Status::Corruption(col + " key " + HexEncode(AsBytes(extra)) + " (" +
                                extra.substr(0, extra.find('\0')) +
                                ") is in only one of the two states");
    }
  }
  return Status::Ok();
}

}  // namespace ipledger
