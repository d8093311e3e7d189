// Who sees what is decided here, per view, from the Caller (api.md §7, §8).
#include "api/server/internal/views.h"

#include <algorithm>
#include <string>

#include "crypto/bytes.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/merkle.h"
#include "ledger/log/tlog_proof.h"
#include "ledger/registry/asset_status.h"
#include "ledger/registry/pledge_state.h"

namespace ipledger::api {

using nlohmann::json;

json MoneyJson(const Money& m) { return {{"amount_fen", m.amount}, {"currency", m.currency}}; }

json RangeJson(const DateRange& r) {
  return {{"start", FormatDate(r.start)}, {"end", FormatDate(r.end)}};
}

json B64List(const std::vector<Digest>& v) {
  json a = json::array();
  for (const auto& d : v) a.push_back(Base64Encode(d));
  return a;
}

bool IsParty(const Caller& c, const std::vector<std::string>& parties) {
  return c.authenticated &&
         std::find(parties.begin(), parties.end(), c.participant) != parties.end();
}

json ParticipantJson(const ParticipantRecord& p) {
  json keys = json::array();
  for (const KeyRecord& k : p.keys) {
    json kj = {{"keyid", p.id + "/" + k.label},
               {"ed25519", Base64Encode(k.key)},
               {"added_index", k.added_index}};
    if (k.revoked_index) kj["revoked_index"] = *k.revoked_index;
    keys.push_back(kj);
  }
  json j = {{"id", p.id},
            {"name", p.name},
            {"role", RoleName(p.role)},
            {"keys", keys},
            {"registered_index", p.registered_index}};
  if (p.region_code) j["region_code"] = *p.region_code;
  if (p.uscc) j["uscc"] = *p.uscc;
  return j;
}

json WitnessKeysJson(const WitnessKeysRecord& w) {
  json keys = json::array();
  for (const WitnessKeyRecord& k : w.keys) {
    json kj = {{"keyid", w.id + "/" + k.label},
               {"role", "witness"},
               {"vkey", k.vkey},
               {"url", k.url},
               {"status", k.revoked_index ? "revoked" : "active"},
               {"added_index", k.added_index}};
    if (k.revoked_index) kj["revoked_index"] = *k.revoked_index;
    keys.push_back(kj);
  }
  return keys;
}

json PublicPledgeJson(Registry& registry, const PledgeRecord& p) {
  json j = {{"pledge_id", p.terms.pledge_id},
            {"pledgee", p.pledgee},
            {"pledgors", p.terms.pledgors},
            {"state", PledgeStateName(p.state)},
            {"registered_index", p.registered_index},
            {"registered_at", FormatInstant(p.registered_time_ms)}};
  if (p.terms.official_reg_no) j["official_reg_no"] = *p.terms.official_reg_no;
  (void)registry;
  return j;
}

namespace {

bool SeesPledgeAmounts(const Caller& c, const PledgeRecord& p) {
  if (c.SeesAll()) return true;
  std::vector<std::string> parties = p.terms.pledgors;
  parties.push_back(p.pledgee);
  parties.push_back(p.terms.debtor);
  return IsParty(c, parties);
}

}  // namespace

json PledgeJson(Registry& registry, const Caller& c, const PledgeRecord& p, Date today) {
  json j = PublicPledgeJson(registry, p);
  j["debtor"] = p.terms.debtor;
  j["collateral"] = p.terms.collateral;
  j["released_collateral"] = p.released_collateral;
  j["debt_term"] = RangeJson(p.terms.debt_term);
  j["version"] = p.version;
  j["derived_state"] = DerivedPledgeState(p, today);  // §8.3: overdue / expired
  j["history"] = p.history;
  j["valuation_ids"] = p.terms.valuation_ids;
  if (p.terms.case_id) j["case_id"] = *p.terms.case_id;
  if (p.release_reason) j["release_reason"] = ReleaseReasonName(*p.release_reason);
  if (p.enforcement_started) j["enforcement_started"] = FormatDate(*p.enforcement_started);
  if (SeesPledgeAmounts(c, p)) {
    j["secured"] = {{"type", SecuredTypeName(p.terms.secured.type)},
                    {"amount", MoneyJson(p.terms.secured.amount)}};
    auto ltv = registry.LtvBps(p.terms.pledge_id, today);
    if (ltv.ok() && ltv->has_value()) j["ltv_bps"] = **ltv;
  }
  return j;
}

json AssetPublicJson(Registry& registry, const AssetRecord& a) {
  json flags = json::array();
  if (a.fee_grace) flags.push_back("fee_grace");
  if (a.preservation) flags.push_back("preservation");
  if (a.invalidation_pending) flags.push_back("invalidation_pending");
  json status = {{"legal", LegalStatusName(a.legal)}, {"flags", flags}};
  json j = {{"asset_id", a.asset_id},
            {"kind", AssetKindName(a.kind)},
            {"holders", a.holders},
            {"registered_index", a.registered_index},
            {"history", a.history}};
  if (a.patent) {
    status["term_end"] = FormatDate(*a.patent->term_end);
    status["annuity_paid_through"] = FormatDate(a.patent->annuity_paid_through);
    j["patent"] = {{"application_no", a.patent->application_no},
                   {"type", PatentTypeName(a.patent->type)},
                   {"title", a.patent->title},
                   {"filing_date", FormatDate(a.patent->filing_date)}};
    if (a.patent->patent_no) j["patent"]["patent_no"] = *a.patent->patent_no;
    if (a.patent->grant_date) j["patent"]["grant_date"] = FormatDate(*a.patent->grant_date);
  }
  if (a.trademark) {
    status["expiry_date"] = FormatDate(a.trademark->expiry_date);
    j["trademark"] = {{"reg_no", a.trademark->reg_no},
                      {"nice_class", a.trademark->nice_class},
                      {"goods", a.trademark->goods}};
    if (a.trademark->similarity_group)
      j["trademark"]["similarity_group"] = *a.trademark->similarity_group;
  }
  if (a.data) {
    status["data_state"] = DataStateName(a.data_state);
    if (a.publicity_end) status["publicity_end"] = FormatDate(*a.publicity_end);
    if (a.certificate_no) status["certificate_no"] = *a.certificate_no;
    if (a.certificate_valid_until)
      status["certificate_valid_until"] = FormatDate(*a.certificate_valid_until);
    j["data"] = {{"name", a.data->name},
                 {"record_count", a.data->record_count},
                 {"fingerprint_sha256", HexEncode(a.data->fingerprint_sha256)},
                 {"source_type", DataSourceName(a.data->source_type)},
                 {"scenario", a.data->scenario}};
    if (a.data->licence_end) j["data"]["licence_end"] = FormatDate(*a.data->licence_end);
  }
  j["status"] = status;
  json pledges = json::array();
  for (const std::string& pid : a.active_pledges) {
    auto p = registry.GetPledge(pid);
    if (p.ok()) pledges.push_back(PublicPledgeJson(registry, *p));
  }
  j["active_pledges"] = pledges;
  return j;
}

bool CanSeeEntry(const Caller& c, const Entry& e) {
  if (c.SeesAll()) return true;
  if (!c.authenticated) return false;
  if (std::find(e.parties.begin(), e.parties.end(), c.participant) != e.parties.end()) return true;
  return std::any_of(e.signers.begin(), e.signers.end(),
                     [&](const std::string& k) { return k.rfind(c.participant + "/", 0) == 0; });
}

StatusOr<json> EntryJson(Registry& registry, const Caller& c, std::uint64_t index) {
  auto leaf = registry.ledger().GetLeaf(index);
  if (!leaf.ok()) return leaf.status();
  auto e = DecodeLeaf(*leaf);
  if (!e.ok()) return e.status();
  json j = {{"index", index},
            {"leaf", Base64Encode(AsBytes(*leaf))},
            {"leaf_hash", HexEncode(LeafHash(AsBytes(*leaf)))},
            {"time", FormatInstant(e->time_ms)},
            {"type", e->type}};
  if (e->type == kRefusalType) {
    j["refused"] = e->refused;
    j["codes"] = e->codes;
  }
  if (e->type == kMapRootType) {
    // The log's own statement of the status map root: public, a signed note (not JSON).
    auto envelope = registry.ledger().GetEnvelope(*e);
    if (!envelope.ok()) return envelope.status();
    if (e->map_root) j["map_root"] = HexEncode(*e->map_root);
    j["envelope"] = *envelope;
    j["envelope_b64"] = Base64Encode(AsBytes(*envelope));
  } else if (CanSeeEntry(c, *e)) {
    auto envelope = registry.ledger().GetEnvelope(*e);
    if (!envelope.ok()) return envelope.status();
    j["envelope"] = json::parse(*envelope, nullptr, false);
    j["envelope_b64"] = Base64Encode(AsBytes(*envelope));
  }
  return j;
}

json ReceiptJson(const CommitResult& r) {
  const SubmitOutcome& o = r.outcome;
  TlogProof tp;
  tp.index = o.index;
  tp.inclusion_proof = r.inclusion_proof;
  tp.checkpoint = r.signed_checkpoint;
  return {{"index", o.index},
          {"leaf", Base64Encode(AsBytes(o.leaf))},
          {"leaf_hash", HexEncode(LeafHash(AsBytes(o.leaf)))},
          {"integrated_time", FormatInstant(o.time_ms)},
          {"checkpoint", r.signed_checkpoint},
          {"inclusion_proof", B64List(r.inclusion_proof)},
          {"tlog_proof", FormatTlogProof(tp)},
          {"warnings", o.warnings}};
}

json PolicyJson(const PolicyRecord& p) {
  const PolicyIssue& t = p.terms;
  json j = {{"policy_id", t.policy_id},
            {"insurer", p.insurer},
            {"product", t.product},
            {"insured", t.insured},
            {"loss_payees", t.loss_payees},
            {"covered_assets", t.covered_assets},
            {"period", RangeJson(t.period)},
            {"covered_costs", t.covered_costs},
            {"limits",
             {{"per_claim", MoneyJson(t.limit_per_claim)},
              {"aggregate", MoneyJson(t.aggregate_limit)},
              {"deductible", MoneyJson(t.deductible)}}},
            {"remaining_aggregate",
             MoneyJson({t.aggregate_limit.amount - p.claims_paid, t.aggregate_limit.currency})},
            {"claims", p.claims},
            {"history", p.history},
            {"version", p.history.size()}};
  if (p.cancelled_from) j["cancelled_from"] = FormatDate(*p.cancelled_from);
  return j;
}

namespace {

// Whether `c` sees the value of `asset_id` in a valuation (issue #12, item 7): the
// appraiser, regulators and the registry see every item; a holder of the asset sees it;
// the pledgee of an active pledge over the asset sees it. Nobody else.
bool SeesValuationItem(Registry& registry, const Caller& c, const ValuationRecord& v,
                       const std::string& asset_id) {
  if (c.SeesAll() || (c.authenticated && c.participant == v.appraiser)) return true;
  if (!c.authenticated) return false;
  auto asset = registry.GetAsset(asset_id);
  if (!asset.ok()) return false;
  if (IsParty(c, asset->holders)) return true;
  for (const std::string& pid : asset->active_pledges) {
    auto p = registry.GetPledge(pid);
    if (p.ok() && p->pledgee == c.participant) return true;
  }
  return false;
}

}  // namespace

json ValuationJson(Registry& registry, const Caller& c, const ValuationRecord& v, Date today) {
  const ValuationAttest& a = v.attest;
  json items = json::array();
  bool sees_all_items = true;
  for (const ValuationItem& item : a.items) {
    json ij = {{"asset_id", item.asset_id}};
    if (SeesValuationItem(registry, c, v, item.asset_id)) {
      ij["value"] = MoneyJson(item.value);
      if (item.legal_score) ij["legal_score"] = *item.legal_score;
      if (item.technical_score) ij["technical_score"] = *item.technical_score;
      if (item.economic_score) ij["economic_score"] = *item.economic_score;
    } else {
      sees_all_items = false;
    }
    items.push_back(ij);
  }
  json methods = json::array();
  for (ValuationMethod m : a.methods) methods.push_back(ValuationMethodName(m));
  json j = {{"valuation_id", a.valuation_id},
            {"appraiser", v.appraiser},
            {"standard", a.standard},
            {"methods", methods},
            {"base_date", FormatDate(a.base_date)},
            {"valid_until", FormatDate(*a.valid_until)},
            {"report_sha256", HexEncode(a.report_sha256)},
            {"withdrawn", v.withdrawn},
            {"stale", *a.valid_until < today},
            {"history", v.history},
            {"version", v.history.size()}};
  // The total reveals every item's share: only for callers who see every item.
  if (sees_all_items) j["total"] = MoneyJson(a.total);
  j["items"] = items;
  return j;
}

json CaseJson(const Caller& c, const CaseRecord& k) {
  const CaseRegister& t = k.terms;
  json j = {{"case_id", t.case_id},       {"lender", k.lender},   {"debtor", t.debtor},
            {"term", RangeJson(t.term)},  {"pledges", k.pledges}, {"history", k.history},
            {"version", k.history.size()}};
  if (c.SeesAll() || IsParty(c, {k.lender, t.debtor})) {
    j["facility"] = MoneyJson(t.facility);
    json other = json::array();
    for (const OtherCollateral& o : t.other_collateral) {
      other.push_back({{"kind", CollateralKindName(o.kind)},
                       {"description", o.description},
                       {"amount", MoneyJson(o.amount)}});
    }
    j["other_collateral"] = other;
  }
  return j;
}

}  // namespace ipledger::api
