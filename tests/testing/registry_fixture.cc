#include "tests/testing/registry_fixture.h"

#include <algorithm>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "ledger/registry/asset_id.h"

namespace ipledger::testing {

RegistryFixture::RegistryFixture(Date today, rocksdb::Env* env,
                                 std::optional<std::uint32_t> recovery_publicity_days)
    : env_(env) {
  SetToday(today);
  RegistryOptions options;
  options.ledger.clock = [this] { return now_ms_; };
  options.ledger.env = env_;
  ParticipantRegister genesis;
  genesis.id = "registry";
  genesis.name = "Registry office";
  genesis.role = Role::kRegistry;
  genesis.keys = {{"k1", KeyOf("registry").public_key()}};
  genesis.recovery_publicity_days = recovery_publicity_days;
  Submission s = Sign(Make("registry", genesis), {"registry"});
  Status created =
      Registry::Create(dir_.str() + "/db", "test.ipledger/log", TestKey(1000), s, options);
  EXPECT_OK(created);
  Reopen();
}

RegistryFixture::~RegistryFixture() = default;

void RegistryFixture::Reopen() {
  RegistryOptions options;
  options.ledger.clock = [this] { return now_ms_; };
  options.ledger.env = env_;
  options.status_map = status_map_;
  options.ledger.sync = sync_;
  auto opened = Registry::Open(dir_.str() + "/db", TestKey(1000), options);
  EXPECT_OK(opened);
  if (opened.ok()) registry_ = std::move(*opened);
}

void RegistryFixture::SetToday(Date d) {
  today_ = d;
  now_ms_ = EndOfDateInstant(d) - 12 * 3'600'000 + 1;  // noon in Asia/Shanghai
}

const SigningKey& RegistryFixture::KeyOf(const std::string& id) {
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    auto key = SigningKey::FromSeed(Sha256(AsBytes("participant key " + id)));
    it = keys_.emplace(id, std::move(*key)).first;
  }
  return it->second;
}

Statement RegistryFixture::Make(const std::string& submitter, StatementBody body) {
  Statement st;
  st.type = std::string(StatementTypeName(body));
  st.submitter = submitter;
  st.idempotency_key = "idem-" + std::to_string(++idem_);
  st.created_ms = now_ms_;
  st.body = std::move(body);
  return st;
}

Submission RegistryFixture::Sign(const Statement& st, const std::vector<std::string>& signers) {
  Submission s;
  s.statement = st;
  const std::string json = api::EncodeStatement(st);
  s.envelope.payload_type = std::string(api::kStatementPayloadType);
  s.envelope.payload.assign(json.begin(), json.end());
  for (const std::string& id : signers) AddDsseSignature(s.envelope, id + "/k1", KeyOf(id));
  s.envelope_bytes = api::EncodeEnvelopeJson(s.envelope);
  return s;
}

Submission RegistryFixture::SignWithKeys(
    const Statement& st, const std::vector<std::pair<std::string, const SigningKey*>>& keys) {
  Submission s = Sign(st, {});
  for (const auto& [keyid, key] : keys) AddDsseSignature(s.envelope, keyid, *key);
  s.envelope_bytes = api::EncodeEnvelopeJson(s.envelope);
  return s;
}

SubmitOutcome RegistryFixture::SubmitSigned(const Submission& s) {
  auto out = registry_->Submit({&s, 1});
  EXPECT_OK(out);
  if (!out.ok()) return {};
  return (*out)[0];
}

SubmitOutcome RegistryFixture::Submit(const Statement& st, std::vector<std::string> signers) {
  if (signers.empty()) signers = {st.submitter};
  Submission s = Sign(st, signers);
  auto out = registry_->Submit({&s, 1});
  EXPECT_OK(out);
  if (!out.ok()) return {};
  return (*out)[0];
}

void RegistryFixture::AddParticipant(const std::string& id, Role role, const std::string& region) {
  ParticipantRegister b;
  b.id = id;
  b.name = "Participant " + id;
  b.role = role;
  b.region_code = region;
  b.keys = {{"k1", KeyOf(id).public_key()}};
  SubmitOutcome o = Submit(Make("registry", b));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << id << ": " << CodesOf(o) << " " << o.detail;
}

void RegistryFixture::AddPatent(const std::string& application_no,
                                const std::vector<std::string>& holders, PatentType type,
                                Date filing) {
  AssetRegister b;
  b.asset_id = "patent:" + application_no;
  b.kind = AssetKind::kPatent;
  b.holders = holders;
  PatentFacts p;
  p.application_no = application_no;
  p.type = type;
  p.title = "Patent " + application_no;
  p.filing_date = filing;
  p.grant_date = AddYears(filing, 1);
  p.annuity_paid_through = AddYears(today_, 1);
  b.patent = p;
  SubmitOutcome o = Submit(Make("registry", b));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << b.asset_id << ": " << CodesOf(o) << " " << o.detail;
}

void RegistryFixture::AddTrademark(const std::string& reg_no,
                                   const std::vector<std::string>& holders, Date expiry,
                                   std::optional<std::string> group) {
  AssetRegister b;
  b.asset_id = "trademark:" + reg_no;
  b.kind = AssetKind::kTrademark;
  b.holders = holders;
  TrademarkFacts t;
  t.reg_no = reg_no;
  t.nice_class = 9;
  t.goods = {"software"};
  t.reg_date = AddYears(expiry, -10);
  t.expiry_date = expiry;
  t.similarity_group = std::move(group);
  b.trademark = t;
  SubmitOutcome o = Submit(Make("registry", b));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << b.asset_id << ": " << CodesOf(o) << " " << o.detail;
}

void RegistryFixture::AddConfirmedData(const std::string& token, const std::string& holder,
                                       Date valid_until) {
  const std::string id = "data:" + token;
  AssetRegister b;
  b.asset_id = id;
  b.kind = AssetKind::kData;
  b.holders = {holder};
  DataFacts d;
  d.name = "Data set " + token;
  d.description = "greenhouse sensor records";
  d.record_count = 1501;
  d.fingerprint_sha256 = Sha256(AsBytes(token));
  d.source_type = DataSource::kSelfCollected;
  d.scenario = "agriculture";
  b.data = d;
  SubmitOutcome o = Submit(Make(holder, b));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << id << ": " << CodesOf(o) << " " << o.detail;
  const Date start = today_;
  o = Submit(Make("registry", DataPublicize{id, AddDays(start, 10)}));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
  SetToday(AddDays(start, 11));
  o = Submit(Make("registry", DataConfirm{id, "33000020260000001", valid_until}));
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
}

PledgeRegister RegistryFixture::PledgeBody(const std::string& pledge_id,
                                           const std::vector<std::string>& pledgors,
                                           const std::vector<std::string>& collateral,
                                           Date debt_end, std::int64_t amount) {
  PledgeRegister b;
  b.pledge_id = pledge_id;
  b.pledgors = pledgors;
  b.debtor = pledgors.front();
  b.collateral = collateral;
  b.secured = {SecuredType::kLoan, {amount, "CNY"}};
  b.debt_term = {today_, debt_end};
  b.contract_sha256 = Sha256(AsBytes("contract " + pledge_id));
  return b;
}

std::string CodesOf(const SubmitOutcome& o) {
  std::string s;
  for (const auto& c : o.codes) s += (s.empty() ? "" : ",") + c;
  for (const auto& w : o.warnings) s += (s.empty() ? "" : ",") + w;
  return s;
}

void ExpectAccepted(const SubmitOutcome& o) {
  EXPECT_EQ(o.kind, OutcomeKind::kAccepted) << CodesOf(o) << " " << o.detail;
}

void ExpectRejected(const SubmitOutcome& o, const std::string& code) {
  EXPECT_EQ(o.kind, OutcomeKind::kRejected) << CodesOf(o) << " " << o.detail;
  EXPECT_EQ(o.codes, std::vector<std::string>{code}) << o.detail;
}

void ExpectRefused(const SubmitOutcome& o, const std::string& code) {
  EXPECT_EQ(o.kind, OutcomeKind::kRefused) << CodesOf(o) << " " << o.detail;
  EXPECT_NE(std::find(o.codes.begin(), o.codes.end(), code), o.codes.end())
      << "expected " << code << ", got " << CodesOf(o) << " " << o.detail;
}

std::string TestPatentNumber(std::string_view prefix, std::uint32_t serial) {
  std::string digits = std::to_string(serial % 10000000u);
  std::string body = std::string(prefix) + std::string(7 - digits.size(), '0') + digits;
  return body + *CnipaCheckCharacter(body);
}

}  // namespace ipledger::testing
