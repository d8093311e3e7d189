// EncodeStatement (api/codec/statement_codec.h): a Statement as the compact JSON of
// api.md §3. The decoder, with the strict reader, is in statement_codec.cc.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/entry.h"

namespace ipledger::api {
namespace {

using nlohmann::json;

json Str(std::string_view s) { return json(std::string(s)); }
json DateJson(Date d) { return json(FormatDate(d)); }
json DigestJson(const Digest& d) { return json(HexEncode(d)); }
json MoneyJson(const Money& m) { return {{"amount_fen", m.amount}, {"currency", m.currency}}; }
json RangeJson(const DateRange& r) {
  return {{"start", FormatDate(r.start)}, {"end", FormatDate(r.end)}};
}
json SecuredJson(const Secured& s) {
  return {{"type", Str(SecuredTypeName(s.type))}, {"amount", MoneyJson(s.amount)}};
}
json StringsJson(const std::vector<std::string>& v) { return json(v); }

json KeysJson(const std::vector<KeySpec>& keys) {
  json out = json::array();
  for (const KeySpec& k : keys) {
    out.push_back({{"label", k.label}, {"ed25519", Base64Encode(k.ed25519)}});
  }
  return out;
}

json BodyJson(const ParticipantRegister& b) {
  json j = {
      {"id", b.id}, {"name", b.name}, {"role", Str(RoleName(b.role))}, {"keys", KeysJson(b.keys)}};
  if (b.uscc) j["uscc"] = *b.uscc;
  if (b.region_code) j["region_code"] = *b.region_code;
  if (b.recovery_publicity_days) j["recovery_publicity_days"] = *b.recovery_publicity_days;
  return j;
}

json BodyJson(const ParticipantRecover& b) {
  return {{"id", b.id}, {"keys", KeysJson(b.keys)}, {"reason", b.reason}};
}

json BodyJson(const ParticipantRecoverCancel& b) {
  return {{"id", b.id}, {"recovery_index", b.recovery_index}};
}

json BodyJson(const ParticipantRecoverComplete& b) {
  return {{"id", b.id}, {"recovery_index", b.recovery_index}};
}

json BodyJson(const ParticipantKeys& b) {
  json add = KeysJson(b.add);
  for (const WitnessKeySpec& w : b.add_witnesses) {
    add.push_back({{"label", w.label}, {"role", "witness"}, {"vkey", w.vkey}, {"url", w.url}});
  }
  return {{"id", b.id}, {"add", add}, {"revoke", StringsJson(b.revoke)}};
}

json PatentJson(const PatentFacts& p) {
  json j = {{"application_no", p.application_no},
            {"type", Str(PatentTypeName(p.type))},
            {"title", p.title},
            {"filing_date", DateJson(p.filing_date)},
            {"annuity_paid_through", DateJson(p.annuity_paid_through)}};
  if (p.patent_no) j["patent_no"] = *p.patent_no;
  if (p.grant_date) j["grant_date"] = DateJson(*p.grant_date);
  if (p.term_end) j["term_end"] = DateJson(*p.term_end);
  return j;
}

json TrademarkJson(const TrademarkFacts& t) {
  json j = {{"reg_no", t.reg_no},
            {"nice_class", t.nice_class},
            {"goods", StringsJson(t.goods)},
            {"reg_date", DateJson(t.reg_date)},
            {"expiry_date", DateJson(t.expiry_date)}};
  if (t.similarity_group) j["similarity_group"] = *t.similarity_group;
  return j;
}

json DataJson(const DataFacts& d) {
  json j = {{"name", d.name},
            {"description", d.description},
            {"record_count", d.record_count},
            {"fingerprint_sha256", DigestJson(d.fingerprint_sha256)},
            {"source_type", Str(DataSourceName(d.source_type))},
            {"scenario", d.scenario}};
  if (d.licence_end) j["licence_end"] = DateJson(*d.licence_end);
  return j;
}

json BodyJson(const AssetRegister& b) {
  json j = {{"asset_id", b.asset_id},
            {"kind", Str(AssetKindName(b.kind))},
            {"holders", StringsJson(b.holders)}};
  if (b.patent) j["patent"] = PatentJson(*b.patent);
  if (b.trademark) j["trademark"] = TrademarkJson(*b.trademark);
  if (b.data) j["data"] = DataJson(*b.data);
  return j;
}

json BodyJson(const AssetStatus& b) {
  json j = {{"asset_id", b.asset_id},
            {"event", Str(AssetEventName(b.event))},
            {"effective_date", DateJson(b.effective_date)}};
  if (b.annuity_paid_through) j["annuity_paid_through"] = DateJson(*b.annuity_paid_through);
  if (b.expiry_date) j["expiry_date"] = DateJson(*b.expiry_date);
  if (b.holders) j["holders"] = StringsJson(*b.holders);
  return j;
}

json BodyJson(const DataPublicize& b) {
  return {{"asset_id", b.asset_id}, {"publicity_end", DateJson(b.publicity_end)}};
}

json BodyJson(const DataObject& b) {
  return {{"asset_id", b.asset_id},
          {"reason", b.reason},
          {"evidence_sha256", DigestJson(b.evidence_sha256)}};
}

json BodyJson(const DataResolveObjection& b) {
  return {{"asset_id", b.asset_id}, {"objection_index", b.objection_index}, {"upheld", b.upheld}};
}

json BodyJson(const DataConfirm& b) {
  return {{"asset_id", b.asset_id},
          {"certificate_no", b.certificate_no},
          {"valid_until", DateJson(b.valid_until)}};
}

json BodyJson(const DataReject& b) { return {{"asset_id", b.asset_id}, {"reason", b.reason}}; }

json BodyJson(const ValuationAttest& b) {
  json items = json::array();
  for (const ValuationItem& item : b.items) {
    json i = {{"asset_id", item.asset_id}, {"value", MoneyJson(item.value)}};
    if (item.legal_score) i["legal_score"] = *item.legal_score;
    if (item.technical_score) i["technical_score"] = *item.technical_score;
    if (item.economic_score) i["economic_score"] = *item.economic_score;
    items.push_back(std::move(i));
  }
  json methods = json::array();
  for (ValuationMethod m : b.methods) methods.push_back(Str(ValuationMethodName(m)));
  json j = {{"valuation_id", b.valuation_id},
            {"items", std::move(items)},
            {"total", MoneyJson(b.total)},
            {"standard", b.standard},
            {"methods", std::move(methods)},
            {"base_date", DateJson(b.base_date)},
            {"report_sha256", DigestJson(b.report_sha256)}};
  if (b.valid_until) j["valid_until"] = DateJson(*b.valid_until);
  return j;
}

json BodyJson(const ValuationWithdraw& b) {
  return {{"valuation_id", b.valuation_id}, {"reason", b.reason}};
}

json BodyJson(const CaseRegister& b) {
  json other = json::array();
  for (const OtherCollateral& c : b.other_collateral) {
    other.push_back({{"kind", Str(CollateralKindName(c.kind))},
                     {"description", c.description},
                     {"amount", MoneyJson(c.amount)}});
  }
  return {{"case_id", b.case_id},
          {"debtor", b.debtor},
          {"facility", MoneyJson(b.facility)},
          {"term", RangeJson(b.term)},
          {"other_collateral", std::move(other)}};
}

json BodyJson(const PledgeRegister& b) {
  json j = {{"pledge_id", b.pledge_id},
            {"pledgors", StringsJson(b.pledgors)},
            {"debtor", b.debtor},
            {"collateral", StringsJson(b.collateral)},
            {"secured", SecuredJson(b.secured)},
            {"debt_term", RangeJson(b.debt_term)},
            {"valuation_ids", StringsJson(b.valuation_ids)},
            {"contract_sha256", DigestJson(b.contract_sha256)}};
  if (b.case_id) j["case_id"] = *b.case_id;
  if (b.official_reg_no) j["official_reg_no"] = *b.official_reg_no;
  if (!b.acknowledgements.empty()) j["acknowledgements"] = StringsJson(b.acknowledgements);
  if (b.forfeiture_clause) j["forfeiture_clause"] = true;
  return j;
}

json BodyJson(const PledgeAmend& b) {
  json j = {{"pledge_id", b.pledge_id}};
  if (b.secured) j["secured"] = SecuredJson(*b.secured);
  if (b.debt_term) j["debt_term"] = RangeJson(*b.debt_term);
  if (!b.release_collateral.empty()) j["release_collateral"] = StringsJson(b.release_collateral);
  if (!b.valuation_ids.empty()) j["valuation_ids"] = StringsJson(b.valuation_ids);
  if (b.official_reg_no) j["official_reg_no"] = *b.official_reg_no;
  return j;
}

json BodyJson(const PledgeRelease& b) {
  json j = {{"pledge_id", b.pledge_id}, {"reason", Str(ReleaseReasonName(b.reason))}};
  if (b.evidence_sha256) j["evidence_sha256"] = DigestJson(*b.evidence_sha256);
  return j;
}

json BodyJson(const PledgeEnforce& b) {
  return {{"pledge_id", b.pledge_id}, {"started", DateJson(b.started)}};
}

json BodyJson(const PledgeRevoke& b) {
  return {{"pledge_id", b.pledge_id},
          {"order_sha256", DigestJson(b.order_sha256)},
          {"reason", b.reason}};
}

json BodyJson(const PledgeReleaseRequest& b) {
  return {{"pledge_id", b.pledge_id},
          {"reason", Str(ReleaseReasonName(b.reason))},
          {"evidence_sha256", DigestJson(b.evidence_sha256)}};
}

json BodyJson(const PolicyIssue& b) {
  json j = {{"policy_id", b.policy_id},
            {"product", b.product},
            {"insured", b.insured},
            {"covered_assets", StringsJson(b.covered_assets)},
            {"period", RangeJson(b.period)},
            {"limit_per_claim", MoneyJson(b.limit_per_claim)},
            {"aggregate_limit", MoneyJson(b.aggregate_limit)},
            {"deductible", MoneyJson(b.deductible)},
            {"covered_costs", StringsJson(b.covered_costs)}};
  if (!b.loss_payees.empty()) j["loss_payees"] = StringsJson(b.loss_payees);
  return j;
}

json BodyJson(const PolicyCancel& b) {
  return {{"policy_id", b.policy_id},
          {"effective_date", DateJson(b.effective_date)},
          {"reason", b.reason}};
}

json BodyJson(const PolicyClaim& b) {
  return {{"claim_no", b.claim_no},
          {"policy_id", b.policy_id},
          {"asset_id", b.asset_id},
          {"incident_date", DateJson(b.incident_date)},
          {"paid", MoneyJson(b.paid)}};
}

}  // namespace

std::string EncodeStatement(const Statement& s) {
  json j = {{"v", s.v},
            {"type", Str(StatementTypeName(s.body))},
            {"submitter", s.submitter},
            {"idempotency_key", s.idempotency_key},
            {"created", FormatInstant(s.created_ms)},
            {"body", std::visit([](const auto& b) { return BodyJson(b); }, s.body)}};
  // `replace` rather than the default `strict`: a Statement built in code may hold
  // invalid UTF-8, and strict would throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ipledger::api
