#include "ledger/registry/record.h"

#include <type_traits>

#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

constexpr char kRecordFormat = 1;

class Writer {
 public:
  Writer() { out_.push_back(kRecordFormat); }
  std::string Take() { return std::move(out_); }

  void operator()(const std::string& s) {
    U64(s.size());
    out_ += s;
  }
  void operator()(bool b) { out_.push_back(b ? 1 : 0); }
  void operator()(std::uint64_t v) { U64(v); }
  void operator()(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void operator()(std::uint32_t v) { U64(v); }
  void operator()(int v) { U64(static_cast<std::uint64_t>(static_cast<std::int64_t>(v))); }
  void operator()(Date d) { U64(static_cast<std::uint64_t>(static_cast<std::int64_t>(d.days))); }
  template <size_t N>
  void operator()(const std::array<std::uint8_t, N>& a) {
    out_.append(reinterpret_cast<const char*>(a.data()), N);
  }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E e) { U64(static_cast<std::uint64_t>(e)); }
  template <typename T>
  void operator()(const std::optional<T>& o) {
    (*this)(o.has_value());
    if (o) (*this)(*o);
  }
  template <typename T>
  void operator()(const std::vector<T>& v) {
    U64(v.size());
    for (const auto& x : v) (*this)(x);
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(const T& record) { Fields(*this, record); }

 private:
  void U64(std::uint64_t v) { PutFixed64BE(&out_, v); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {
    if (in_.empty() || in_[0] != kRecordFormat) {
      ok_ = false;
    } else {
      in_.remove_prefix(1);
    }
  }
  bool done() const { return ok_ && in_.empty(); }

  void operator()(std::string& s) {
    std::uint64_t n = U64();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return;
    }
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
  }
  void operator()(bool& b) {
    if (in_.empty() || static_cast<unsigned char>(in_[0]) > 1) {
      ok_ = false;
      return;
    }
    b = in_[0] == 1;
    in_.remove_prefix(1);
  }
  void operator()(std::uint64_t& v) { v = U64(); }
  void operator()(std::int64_t& v) { v = static_cast<std::int64_t>(U64()); }
  void operator()(std::uint32_t& v) { v = static_cast<std::uint32_t>(U64()); }
  void operator()(int& v) { v = static_cast<int>(static_cast<std::int64_t>(U64())); }
  void operator()(Date& d) { d.days = static_cast<std::int32_t>(static_cast<std::int64_t>(U64())); }
  template <size_t N>
  void operator()(std::array<std::uint8_t, N>& a) {
    if (in_.size() < N) {
      ok_ = false;
      return;
    }
    for (size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(N);
  }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E& e) { e = static_cast<E>(U64()); }
  template <typename T>
  void operator()(std::optional<T>& o) {
    bool present = false;
    (*this)(present);
    if (!ok_) return;
    if (present) {
      T v{};
      (*this)(v);
      o = std::move(v);
    } else {
      o.reset();
    }
  }
  template <typename T>
  void operator()(std::vector<T>& v) {
    std::uint64_t n = U64();
    // Every element takes at least one byte: a larger count is corruption.
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return;
    }
    v.clear();
    for (std::uint64_t i = 0; i < n && ok_; ++i) {
      T x{};
      (*this)(x);
      v.push_back(std::move(x));
    }
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(T& record) { Fields(*this, record); }

 private:
  std::uint64_t U64() {
    if (in_.size() < 8) {
      ok_ = false;
      return 0;
    }
    auto v = DecodeFixed64BE(in_.substr(0, 8));
    in_.remove_prefix(8);
    return *v;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, Money>
void Fields(V& v, R& r) {
  v(r.amount);
  v(r.currency);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, DateRange>
void Fields(V& v, R& r) {
  v(r.start);
  v(r.end);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, KeyRecord>
void Fields(V& v, R& r) {
  v(r.label);
  v(r.key);
  v(r.added_index);
  v(r.revoked_index);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, ParticipantRecord>
void Fields(V& v, R& r) {
  v(r.id);
  v(r.name);
  v(r.role);
  v(r.uscc);
  v(r.region_code);
  v(r.keys);
  v(r.registered_index);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PatentFacts>
void Fields(V& v, R& r) {
  v(r.application_no);
  v(r.patent_no);
  v(r.type);
  v(r.title);
  v(r.filing_date);
  v(r.grant_date);
  v(r.term_end);
  v(r.annuity_paid_through);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, TrademarkFacts>
void Fields(V& v, R& r) {
  v(r.reg_no);
  v(r.nice_class);
  v(r.goods);
  v(r.reg_date);
  v(r.expiry_date);
  v(r.similarity_group);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, DataFacts>
void Fields(V& v, R& r) {
  v(r.name);
  v(r.description);
  v(r.record_count);
  v(r.fingerprint_sha256);
  v(r.source_type);
  v(r.scenario);
  v(r.licence_end);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, AssetRecord>
void Fields(V& v, R& r) {
  v(r.asset_id);
  v(r.kind);
  v(r.holders);
  v(r.patent);
  v(r.trademark);
  v(r.data);
  v(r.legal);
  v(r.fee_grace);
  v(r.invalidation_pending);
  v(r.preservation);
  v(r.data_state);
  v(r.publicity_end);
  v(r.pending_objections);
  v(r.certificate_no);
  v(r.certificate_valid_until);
  v(r.active_pledges);
  v(r.registered_index);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, Secured>
void Fields(V& v, R& r) {
  v(r.type);
  v(r.amount);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PledgeRegister>
void Fields(V& v, R& r) {
  v(r.pledge_id);
  v(r.case_id);
  v(r.pledgors);
  v(r.debtor);
  v(r.collateral);
  v(r.secured);
  v(r.debt_term);
  v(r.official_reg_no);
  v(r.valuation_ids);
  v(r.contract_sha256);
  v(r.acknowledgements);
  v(r.forfeiture_clause);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PledgeRecord>
void Fields(V& v, R& r) {
  v(r.terms);
  v(r.pledgee);
  v(r.state);
  v(r.version);
  v(r.released_collateral);
  v(r.release_reason);
  v(r.enforcement_started);
  v(r.registered_index);
  v(r.registered_time_ms);
  v(r.released_time_ms);
  v(r.debtor_region);
  v(r.history);
  v(r.revocation_order_sha256);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, ValuationItem>
void Fields(V& v, R& r) {
  v(r.asset_id);
  v(r.value);
  v(r.legal_score);
  v(r.technical_score);
  v(r.economic_score);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, ValuationAttest>
void Fields(V& v, R& r) {
  v(r.valuation_id);
  v(r.items);
  v(r.total);
  v(r.standard);
  v(r.methods);
  v(r.base_date);
  v(r.valid_until);
  v(r.report_sha256);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, ValuationRecord>
void Fields(V& v, R& r) {
  v(r.attest);
  v(r.appraiser);
  v(r.withdrawn);
  v(r.attested_index);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PolicyIssue>
void Fields(V& v, R& r) {
  v(r.policy_id);
  v(r.product);
  v(r.insured);
  v(r.loss_payees);
  v(r.covered_assets);
  v(r.period);
  v(r.limit_per_claim);
  v(r.aggregate_limit);
  v(r.deductible);
  v(r.covered_costs);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PolicyRecord>
void Fields(V& v, R& r) {
  v(r.terms);
  v(r.insurer);
  v(r.cancelled_from);
  v(r.claims_paid);
  v(r.claims);
  v(r.issued_index);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, OtherCollateral>
void Fields(V& v, R& r) {
  v(r.kind);
  v(r.description);
  v(r.amount);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, CaseRegister>
void Fields(V& v, R& r) {
  v(r.case_id);
  v(r.debtor);
  v(r.facility);
  v(r.term);
  v(r.other_collateral);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, CaseRecord>
void Fields(V& v, R& r) {
  v(r.terms);
  v(r.lender);
  v(r.pledges);
  v(r.registered_index);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, PolicyClaim>
void Fields(V& v, R& r) {
  v(r.claim_no);
  v(r.policy_id);
  v(r.asset_id);
  v(r.incident_date);
  v(r.paid);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, RecoveryRecord>
void Fields(V& v, R& r) {
  v(r.id);
  v(r.index);
  v(r.keys);
  v(r.reason);
  v(r.publicity_end_ms);
  v(r.cancelled_index);
  v(r.completed_index);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, WitnessKeyRecord>
void Fields(V& v, R& r) {
  v(r.label);
  v(r.vkey);
  v(r.url);
  v(r.added_index);
  v(r.revoked_index);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, WitnessKeysRecord>
void Fields(V& v, R& r) {
  v(r.id);
  v(r.keys);
  v(r.history);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, ClaimRecord>
void Fields(V& v, R& r) {
  v(r.claim);
  v(r.index);
}
template <typename V, typename R>
requires std::is_same_v<std::remove_const_t<R>, OutcomeRecord>
void Fields(V& v, R& r) {
  v(r.type);
  v(r.codes);
  v(r.warnings);
  v(r.detail);
}

namespace {

template <typename T>
std::string Encode(const T& r) {
  Writer w;
  w(r);
  return w.Take();
}

template <typename T>
Status Decode(std::string_view bytes, T* r, std::string_view what) {
  Reader reader(bytes);
  reader(*r);
  if (!reader.done())
    return Status::Corruption("stored " + std::string(what) + " record is malformed");
  return Status::Ok();
}

}  // namespace

std::string_view LegalStatusName(LegalStatus s) {
  switch (s) {
    case LegalStatus::kValid:
      return "valid";
    case LegalStatus::kTerminated:
      return "terminated";
    case LegalStatus::kInvalidated:
      return "invalidated";
    case LegalStatus::kPartiallyInvalidated:
      return "partially_invalidated";
  }
  return "unknown";
}

std::string_view DataStateName(DataState s) {
  switch (s) {
    case DataState::kApplied:
      return "applied";
    case DataState::kInPublicity:
      return "in_publicity";
    case DataState::kObjected:
      return "objected";
    case DataState::kConfirmed:
      return "confirmed";
    case DataState::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string_view PledgeStateName(PledgeState s) {
  switch (s) {
    case PledgeState::kRegistered:
      return "registered";
    case PledgeState::kEnforcing:
      return "enforcing";
    case PledgeState::kReleased:
      return "released";
    case PledgeState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

std::string EncodeRecord(const ParticipantRecord& r) { return Encode(r); }
std::string EncodeRecord(const AssetRecord& r) { return Encode(r); }
std::string EncodeRecord(const PledgeRecord& r) { return Encode(r); }
std::string EncodeRecord(const ValuationRecord& r) { return Encode(r); }
std::string EncodeRecord(const PolicyRecord& r) { return Encode(r); }
std::string EncodeRecord(const CaseRecord& r) { return Encode(r); }
std::string EncodeRecord(const ClaimRecord& r) { return Encode(r); }
std::string EncodeRecord(const OutcomeRecord& r) { return Encode(r); }
std::string EncodeRecord(const RecoveryRecord& r) { return Encode(r); }
std::string EncodeRecord(const WitnessKeysRecord& r) { return Encode(r); }

Status DecodeRecord(std::string_view b, ParticipantRecord* r) {
  return Decode(b, r, "participant");
}
Status DecodeRecord(std::string_view b, AssetRecord* r) { return Decode(b, r, "asset"); }
Status DecodeRecord(std::string_view b, PledgeRecord* r) { return Decode(b, r, "pledge"); }
Status DecodeRecord(std::string_view b, ValuationRecord* r) { return Decode(b, r, "valuation"); }
Status DecodeRecord(std::string_view b, PolicyRecord* r) { return Decode(b, r, "policy"); }
Status DecodeRecord(std::string_view b, CaseRecord* r) { return Decode(b, r, "case"); }
Status DecodeRecord(std::string_view b, ClaimRecord* r) { return Decode(b, r, "claim"); }
Status DecodeRecord(std::string_view b, OutcomeRecord* r) { return Decode(b, r, "outcome"); }
Status DecodeRecord(std::string_view b, RecoveryRecord* r) { return Decode(b, r, "recovery"); }
Status DecodeRecord(std::string_view b, WitnessKeysRecord* r) {
  return Decode(b, r, "witness keys");
}

}  // namespace ipledger
