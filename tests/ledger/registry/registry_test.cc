// The registry's rules (api.md §3–4, domain.md §8): every code is triggered, and next
// to it the allowed neighbour. Real RocksDB, real Ed25519 signatures, real JSON payloads.
#include "ledger/registry/registry.h"

#include "crypto/bytes.h"
#include "ledger/log/merkle.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::ExpectAccepted;
using testing::ExpectRefused;
using testing::ExpectRejected;
using testing::RegistryFixture;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("icbc-jiangshan", Role::kBank, "330881");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddParticipant("hengtai-valve", Role::kEnterprise, "330881");
    f_.AddParticipant("picc-zhejiang", Role::kInsurer, "330000");
    f_.AddParticipant("zhonghe-appraisal", Role::kAppraiser, "330100");
    f_.AddParticipant("cnipa-zj-regulator", Role::kRegulator, "330000");
    f_.AddPatent("2014103620773", {"lanyu-materials"});
  }

  SubmitOutcome Pledge(const PledgeRegister& b, std::vector<std::string> signers = {}) {
    if (signers.empty()) {
      signers = {"ccb-quzhou"};
      for (const auto& p : b.pledgors) signers.push_back(p);
    }
    return f_.Submit(f_.Make("ccb-quzhou", b), signers);
  }

  PledgeRegister Body(const std::string& id, Date end = DateFromCivil(2028, 6, 1)) {
    return f_.PledgeBody(id, {"lanyu-materials"}, {"patent:2014103620773"}, end);
  }

  RegistryFixture f_;
};

// --- Admission: answered and forgotten -------------------------------------------------

TEST_F(RegistryTest, UnknownKeyIsSignatureErrorAndWritesNothing) {
  const std::uint64_t size = f_.registry().ledger().size();
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  s.envelope.signatures[0].keyid = "ccb-quzhou/k9";
  auto out = f_.registry().Submit({&s, 1});
  ASSERT_OK(out);
  ExpectRejected((*out)[0], "E_SIGNATURE");
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

TEST_F(RegistryTest, SignatureOverOtherBytesIsSignatureError) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  s.envelope.signatures[1].sig[10] ^= 1;
  auto out = f_.registry().Submit({&s, 1});
  ASSERT_OK(out);
  ExpectRejected((*out)[0], "E_SIGNATURE");
  // The same statement correctly signed is accepted.
  ExpectAccepted(Pledge(Body("PL-1")));
}

TEST_F(RegistryTest, KeyOfAnotherParticipantIsSignatureError) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  // lanyu's signature presented as the bank's: the key id names a key that did not sign.
  s.envelope.signatures[0].sig = s.envelope.signatures[1].sig;
  auto out = f_.registry().Submit({&s, 1});
  ASSERT_OK(out);
  ExpectRejected((*out)[0], "E_SIGNATURE");
}

TEST_F(RegistryTest, RevokedKeySignsNothingAfterRevocationButNewKeyDoes) {
  const SigningKey k2 = testing::TestKey(77);
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", k2.public_key()}};
  keys.revoke = {"k1"};
  ExpectAccepted(f_.Submit(f_.Make("registry", keys), {"registry", "ccb-quzhou"}));
  SubmitOutcome old_key = Pledge(Body("PL-1"));
  ExpectRejected(old_key, "E_SIGNATURE");
  // Revoking it again names a key that is no longer active.
  ParticipantKeys again;
  again.id = "ccb-quzhou";
  again.revoke = {"k1"};
  ExpectRefused(
      f_.SubmitSigned(f_.SignWithKeys(f_.Make("ccb-quzhou", again), {{"ccb-quzhou/k2", &k2}})),
      "E_UNKNOWN_REFERENCE");
}

TEST_F(RegistryTest, PreverifiedSignaturesAreSkippedOnlyForTheSameCurrentKey) {
  // Pre-verification on the io threads is an optimisation, never a decision.
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  f_.registry().PreverifySignatures(&s);
  EXPECT_EQ(s.preverified.size(), 2u);
  // The bank's key is rotated after the pre-verification: the sequencer must refuse.
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", testing::TestKey(78).public_key()}};
  keys.revoke = {"k1"};
  ExpectAccepted(f_.Submit(f_.Make("registry", keys), {"registry", "ccb-quzhou"}));
  auto out = f_.registry().Submit({&s, 1});
  ASSERT_OK(out);
  ExpectRejected((*out)[0], "E_SIGNATURE");
  // A forged pre-verification entry (a key that is not the participant's) changes nothing.
  Submission forged = f_.Sign(f_.Make("lanyu-materials", Body("PL-2")), {"lanyu-materials"});
  forged.envelope.signatures[0].sig[0] ^= 1;
  forged.preverified.emplace_back("lanyu-materials/k1", testing::TestKey(79).public_key());
  out = f_.registry().Submit({&forged, 1});
  ASSERT_OK(out);
  ExpectRejected((*out)[0], "E_SIGNATURE");
}

// PreverifySignatures caches participant keys for the io threads; a batch that changes
// a participant's keys drops its entry, so the new key pre-verifies at once and the
// revoked one no longer does.
TEST_F(RegistryTest, PreverificationFollowsAKeyRotation) {
  Submission before = f_.Sign(f_.Make("ccb-quzhou", Body("PL-1")), {"ccb-quzhou"});
  f_.registry().PreverifySignatures(&before);  // caches the bank's keys
  ASSERT_EQ(before.preverified.size(), 1u);
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", testing::TestKey(80).public_key()}};
  keys.revoke = {"k1"};
  ExpectAccepted(f_.Submit(f_.Make("registry", keys), {"registry", "ccb-quzhou"}));

  Submission old_key = f_.Sign(f_.Make("ccb-quzhou", Body("PL-2")), {"ccb-quzhou"});
  f_.registry().PreverifySignatures(&old_key);
  EXPECT_TRUE(old_key.preverified.empty());
  Submission new_key = f_.Sign(f_.Make("ccb-quzhou", Body("PL-3")), {});
  AddDsseSignature(new_key.envelope, "ccb-quzhou/k2", testing::TestKey(80));
  f_.registry().PreverifySignatures(&new_key);
  ASSERT_EQ(new_key.preverified.size(), 1u);
  EXPECT_EQ(new_key.preverified[0].first, "ccb-quzhou/k2");
}

// KeyIsCurrent, the io threads' check before any verification, reads the same advisory
// cache as PreverifySignatures; its answers follow the committed keys exactly.
TEST_F(RegistryTest, KeyIsCurrentFollowsTheCommittedKeys) {
  const Registry& r = f_.registry();
  EXPECT_FALSE(r.KeyIsCurrent("nobody/k1"));
  EXPECT_FALSE(r.KeyIsCurrent("ccb-quzhou"));
  EXPECT_FALSE(r.KeyIsCurrent(""));
  EXPECT_TRUE(r.KeyIsCurrent("ccb-quzhou/k1"));   // read, then cached
  EXPECT_TRUE(r.KeyIsCurrent("ccb-quzhou/k1"));   // from the cache
  EXPECT_FALSE(r.KeyIsCurrent("ccb-quzhou/k2"));  // cached participant, no such key
  EXPECT_FALSE(r.KeyIsCurrent("ccb-quzhou/"));
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", testing::TestKey(81).public_key()}};
  keys.revoke = {"k1"};
  ExpectAccepted(f_.Submit(f_.Make("registry", keys), {"registry", "ccb-quzhou"}));
  EXPECT_FALSE(r.KeyIsCurrent("ccb-quzhou/k1"));  // revoked: never a stale yes
  EXPECT_TRUE(r.KeyIsCurrent("ccb-quzhou/k2"));
  EXPECT_TRUE(r.KeyIsCurrent("lanyu-materials/k1"));
}

// What authenticates a signed request: the committed record, from the cache the io
// threads share; a key an acknowledged statement revoked is gone from it at once.
TEST_F(RegistryTest, CurrentParticipantFollowsTheCommittedRecord) {
  const Registry& r = f_.registry();
  EXPECT_EQ(r.CurrentParticipant("nobody").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.CurrentParticipant("").status().code(), ErrorCode::kNotFound);
  auto read = r.CurrentParticipant("ccb-quzhou");  // read, then cached
  ASSERT_OK(read);
  auto cached = r.CurrentParticipant("ccb-quzhou");
  ASSERT_OK(cached);
  EXPECT_EQ(read->get(), cached->get());  // the same cached record, not a new read
  EXPECT_EQ((*cached)->id, "ccb-quzhou");
  EXPECT_EQ((*cached)->role, Role::kBank);
  auto stored = r.GetParticipant("ccb-quzhou");
  ASSERT_OK(stored);
  EXPECT_EQ((*cached)->keys, stored->keys);
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", testing::TestKey(82).public_key()}};
  keys.revoke = {"k1"};
  ExpectAccepted(f_.Submit(f_.Make("registry", keys), {"registry", "ccb-quzhou"}));
  auto after = r.CurrentParticipant("ccb-quzhou");
  ASSERT_OK(after);
  auto now_stored = r.GetParticipant("ccb-quzhou");
  ASSERT_OK(now_stored);
  EXPECT_EQ((*after)->keys, now_stored->keys);
  ASSERT_EQ((*after)->keys.size(), 2u);
  for (const KeyRecord& k : (*after)->keys) {
    EXPECT_EQ(k.revoked_index.has_value(), k.label == "k1") << k.label;
  }
  // Another participant's cached record is untouched by the batch.
  auto other = r.CurrentParticipant("lanyu-materials");
  ASSERT_OK(other);
  EXPECT_EQ((*other)->role, Role::kEnterprise);
}

TEST_F(RegistryTest, EnterpriseMayNotRegisterAPledge) {
  Statement st = f_.Make("lanyu-materials", Body("PL-1"));
  ExpectRejected(f_.Submit(st, {"lanyu-materials"}), "E_FORBIDDEN");
}

TEST_F(RegistryTest, MissingCoSignerIsForbiddenAndBothSignaturesAccepted) {
  ExpectRejected(Pledge(Body("PL-1"), {"ccb-quzhou"}), "E_FORBIDDEN");
  ExpectAccepted(Pledge(Body("PL-1"), {"ccb-quzhou", "lanyu-materials"}));
}

TEST_F(RegistryTest, SubmitterMustHaveSigned) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  ExpectRejected(f_.Submit(st, {"lanyu-materials"}), "E_FORBIDDEN");
}

TEST_F(RegistryTest, StatementReplayedUnderAnotherSubmitterIsForbidden) {
  // icbc signs and submits a statement naming ccb as submitter.
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  ExpectRejected(f_.Submit(st, {"icbc-jiangshan", "lanyu-materials"}), "E_FORBIDDEN");
}

TEST_F(RegistryTest, BankMayNotReleaseAnotherBanksPledge) {
  ExpectAccepted(Pledge(Body("PL-1")));
  PledgeRelease r{"PL-1", ReleaseReason::kRepaid, std::nullopt};
  ExpectRejected(f_.Submit(f_.Make("icbc-jiangshan", r)), "E_FORBIDDEN");
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", r)));
}

SubmitOutcome SubmitCreatedAt(RegistryFixture& f, std::int64_t created_ms,
                              const PledgeRegister& b) {
  Statement st = f.Make("ccb-quzhou", b);
  st.created_ms = created_ms;
  return f.Submit(st, {"ccb-quzhou", "lanyu-materials"});
}

TEST_F(RegistryTest, StaleStatementIsRejectedOneWithinTheWindowIsAccepted) {
  const std::int64_t window = 10 * 60 * 1000;
  ExpectRejected(SubmitCreatedAt(f_, f_.now_ms() - window - 1, Body("PL-1")), "E_STALE_STATEMENT");
  ExpectRejected(SubmitCreatedAt(f_, f_.now_ms() + window + 1, Body("PL-1")), "E_STALE_STATEMENT");
  ExpectAccepted(SubmitCreatedAt(f_, f_.now_ms() - window, Body("PL-1")));
}

TEST_F(RegistryTest, SameIdempotencyKeyAndEnvelopeReturnsTheOriginalEntry) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  auto first = f_.registry().Submit({&s, 1});
  ASSERT_OK(first);
  ExpectAccepted((*first)[0]);
  const std::uint64_t size = f_.registry().ledger().size();
  // Even eleven minutes later (the client retried late), the original receipt comes back.
  f_.SetToday(f_.today());
  auto again = f_.registry().Submit({&s, 1});
  ASSERT_OK(again);
  EXPECT_EQ((*again)[0].kind, OutcomeKind::kReplayed);
  EXPECT_EQ((*again)[0].index, (*first)[0].index);
  EXPECT_EQ((*again)[0].leaf, (*first)[0].leaf);
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

TEST_F(RegistryTest, SameIdempotencyKeyWithAnotherEnvelopeIsConflict) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  ExpectAccepted(f_.Submit(st, {"ccb-quzhou", "lanyu-materials"}));
  Statement other = st;
  std::get<PledgeRegister>(other.body).pledge_id = "PL-2";
  ExpectRejected(f_.Submit(other, {"ccb-quzhou", "lanyu-materials"}), "E_IDEMPOTENCY_CONFLICT");
  // The key is per submitter: another bank may use the same key.
  Statement icbc = f_.Make("icbc-jiangshan",
                           f_.PledgeBody("PL-9", {"hengtai-valve"}, {}, DateFromCivil(2027, 1, 1)));
  icbc.idempotency_key = st.idempotency_key;
  f_.AddPatent("2015100000010", {"hengtai-valve"});
  std::get<PledgeRegister>(icbc.body).collateral = {"patent:2015100000010"};
  ExpectAccepted(f_.Submit(icbc, {"icbc-jiangshan", "hengtai-valve"}));
}

TEST_F(RegistryTest, DuplicateInOneBatchIsReplayedNotAppendedTwice) {
  Statement st = f_.Make("ccb-quzhou", Body("PL-1"));
  Submission s = f_.Sign(st, {"ccb-quzhou", "lanyu-materials"});
  std::vector<Submission> batch = {s, s};
  const std::uint64_t size = f_.registry().ledger().size();
  auto out = f_.registry().Submit(batch);
  ASSERT_OK(out);
  ExpectAccepted((*out)[0]);
  EXPECT_EQ((*out)[1].kind, OutcomeKind::kReplayed);
  EXPECT_EQ((*out)[1].index, (*out)[0].index);
  EXPECT_EQ((*out)[1].leaf, (*out)[0].leaf);
  // One pledge entry, and the map.root entry of the batch (the pledge changed the map).
  EXPECT_EQ(f_.registry().ledger().size(), size + 2);
}

// --- Rules: logged refusals ---------------------------------------------------------------

TEST_F(RegistryTest, RefusedPledgeLeavesARefusalLeafWithItsCodes) {
  f_.AddParticipant("other-co", Role::kEnterprise);
  PledgeRegister b =
      f_.PledgeBody("PL-1", {"other-co"}, {"patent:2014103620773"}, DateFromCivil(2028, 1, 1));
  SubmitOutcome o = f_.Submit(f_.Make("ccb-quzhou", b), {"ccb-quzhou", "other-co"});
  ExpectRefused(o, "E_PLEDGOR_NOT_HOLDER");
  auto entry = DecodeLeaf(o.leaf);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->type, "refusal");
  EXPECT_EQ(entry->refused, "pledge.register");
  EXPECT_EQ(entry->codes, std::vector<std::string>{"E_PLEDGOR_NOT_HOLDER"});
  EXPECT_EQ(entry->index, o.index);
  // The envelope is kept as evidence.
  auto envelope = f_.registry().ledger().GetEnvelope(*entry);
  ASSERT_OK(envelope);
  // Nothing was pledged.
  auto status = f_.registry().PledgeStatus("patent:2014103620773");
  ASSERT_OK(status);
  EXPECT_FALSE(status->pledged);
  EXPECT_EQ(f_.registry().GetPledge("PL-1").status().code(), ErrorCode::kNotFound);
}

TEST_F(RegistryTest, UnknownReferenceThenAcceptedOnceRegistered) {
  PledgeRegister b = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2099000000012"},
                                   DateFromCivil(2028, 1, 1));
  ExpectRefused(Pledge(b), "E_UNKNOWN_REFERENCE");
  f_.AddPatent("2099000000012", {"lanyu-materials"});
  b.pledge_id = "PL-2";
  ExpectAccepted(Pledge(b));
}

TEST_F(RegistryTest, DuplicatePledgeIdIsRefused) {
  ExpectAccepted(Pledge(Body("PL-1")));
  f_.AddPatent("2015100000025", {"lanyu-materials"});
  PledgeRegister b = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2015100000025"},
                                   DateFromCivil(2028, 1, 1));
  ExpectRefused(Pledge(b), "E_DUPLICATE_ID");
  b.pledge_id = "PL-2";
  ExpectAccepted(Pledge(b));
}

TEST_F(RegistryTest, DuplicateParticipantAndAssetAreRefused) {
  ParticipantRegister p;
  p.id = "ccb-quzhou";
  p.name = "again";
  p.role = Role::kBank;
  p.keys = {{"k1", f_.KeyOf("ccb-quzhou").public_key()}};
  ExpectRefused(f_.Submit(f_.Make("registry", p)), "E_DUPLICATE_ID");
  AssetRegister a;
  a.asset_id = "patent:2014103620773";
  a.kind = AssetKind::kPatent;
  a.holders = {"lanyu-materials"};
  a.patent = PatentFacts{"2014103620773",
                         std::nullopt,
                         PatentType::kInvention,
                         "x",
                         DateFromCivil(2014, 7, 1),
                         DateFromCivil(2016, 1, 1),
                         std::nullopt,
                         DateFromCivil(2027, 1, 1)};
  ExpectRefused(f_.Submit(f_.Make("registry", a)), "E_DUPLICATE_ID");
}

TEST_F(RegistryTest, PledgorsMustBeExactlyTheHolders) {
  f_.AddPatent("2016100000034", {"lanyu-materials", "hengtai-valve"});
  PledgeRegister one = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2016100000034"},
                                     DateFromCivil(2028, 1, 1));
  ExpectRefused(Pledge(one), "E_PLEDGOR_NOT_HOLDER");
  PledgeRegister both = f_.PledgeBody("PL-2", {"lanyu-materials", "hengtai-valve"},
                                      {"patent:2016100000034"}, DateFromCivil(2028, 1, 1));
  ExpectAccepted(Pledge(both));
}

TEST_F(RegistryTest, TerminatedPatentIsNotPledgeable) {
  AssetStatus st{"patent:2014103620773", AssetEvent::kTerminated, f_.today(), {}, {}, {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", st)));
  ExpectRefused(Pledge(Body("PL-1")), "E_ASSET_NOT_PLEDGEABLE");
}

TEST_F(RegistryTest, UngrantedPatentIsNotPledgeableGrantedIs) {
  AssetRegister a;
  a.asset_id = "patent:2025100000048";
  a.kind = AssetKind::kPatent;
  a.holders = {"lanyu-materials"};
  a.patent = PatentFacts{
      "2025100000048",           std::nullopt, PatentType::kInvention, "pending",
      DateFromCivil(2025, 1, 1), std::nullopt, std::nullopt,           DateFromCivil(2027, 1, 1)};
  ExpectAccepted(f_.Submit(f_.Make("registry", a)));
  PledgeRegister b = f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2025100000048"},
                                   DateFromCivil(2028, 1, 1));
  ExpectRefused(Pledge(b), "E_ASSET_NOT_PLEDGEABLE");
  b.collateral = {"patent:2014103620773"};
  b.pledge_id = "PL-2";
  ExpectAccepted(Pledge(b));
}

TEST_F(RegistryTest, FeeGraceRefusesUntilTheAnnuityIsPaid) {
  // Paid through yesterday: the current annuity is due, the patent is in grace.
  AssetStatus paid{"patent:2014103620773",
                   AssetEvent::kAnnuityPaid,
                   f_.today(),
                   AddDays(f_.today(), -1),
                   {},
                   {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", paid)));
  ExpectRefused(Pledge(Body("PL-1")), "E_FEE_GRACE");
  paid.annuity_paid_through = f_.today();
  ExpectAccepted(f_.Submit(f_.Make("registry", paid)));
  ExpectAccepted(Pledge(Body("PL-2")));
}

TEST_F(RegistryTest, ExplicitFeeGraceEventRefusesUntilAnnuityPaid) {
  AssetStatus grace{"patent:2014103620773", AssetEvent::kFeeGrace, f_.today(), {}, {}, {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", grace)));
  ExpectRefused(Pledge(Body("PL-1")), "E_FEE_GRACE");
  AssetStatus paid{"patent:2014103620773",
                   AssetEvent::kAnnuityPaid,
                   f_.today(),
                   AddYears(f_.today(), 1),
                   {},
                   {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", paid)));
  ExpectAccepted(Pledge(Body("PL-2")));
}

TEST_F(RegistryTest, PreservationRefusesUntilLifted) {
  AssetStatus on{"patent:2014103620773", AssetEvent::kPreservation, f_.today(), {}, {}, {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", on)));
  ExpectRefused(Pledge(Body("PL-1")), "E_PRESERVATION");
  AssetStatus off{"patent:2014103620773", AssetEvent::kPreservationLifted, f_.today(), {}, {}, {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", off)));
  ExpectAccepted(Pledge(Body("PL-2")));
}

TEST_F(RegistryTest, DebtTermMayEndOnThePatentsLastDayNotAfter) {
  // Invention filed 2018-03-01: term 20 years, last day 2038-02-28.
  auto asset = f_.registry().GetAsset("patent:2014103620773");
  ASSERT_OK(asset);
  EXPECT_EQ(FormatDate(*asset->patent->term_end), "2038-02-28");
  ExpectRefused(Pledge(Body("PL-1", DateFromCivil(2038, 3, 1))), "E_TERM_BEYOND_ASSET");
  ExpectAccepted(Pledge(Body("PL-2", DateFromCivil(2038, 2, 28))));
}

TEST_F(RegistryTest, PatentTermIsDerivedFromTypeAndFilingDate) {
  f_.AddPatent("2020200000055", {"lanyu-materials"}, PatentType::kUtilityModel,
               DateFromCivil(2020, 5, 10));
  f_.AddPatent("202130000006X", {"lanyu-materials"}, PatentType::kDesign,
               DateFromCivil(2021, 6, 1));
  f_.AddPatent("2021300000074", {"lanyu-materials"}, PatentType::kDesign,
               DateFromCivil(2021, 5, 31));
  EXPECT_EQ(FormatDate(*f_.registry().GetAsset("patent:2020200000055")->patent->term_end),
            "2030-05-09");
  EXPECT_EQ(FormatDate(*f_.registry().GetAsset("patent:202130000006X")->patent->term_end),
            "2036-05-31");
  EXPECT_EQ(FormatDate(*f_.registry().GetAsset("patent:2021300000074")->patent->term_end),
            "2031-05-30");
}

TEST_F(RegistryTest, SecondPledgeRefusedWhileFirstActiveAcceptedAfterRelease) {
  ExpectAccepted(Pledge(Body("PL-1")));
  ExpectRefused(Pledge(Body("PL-2")), "E_ALREADY_PLEDGED");
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})));
  ExpectAccepted(Pledge(Body("PL-3")));
}

TEST_F(RegistryTest, InvalidationPendingNeedsAcknowledgement) {
  AssetStatus st{"patent:2014103620773", AssetEvent::kInvalidationStarted, f_.today(), {}, {}, {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", st)));
  ExpectRefused(Pledge(Body("PL-1")), "A_INVALIDATION_PENDING");
  PledgeRegister acked = Body("PL-2");
  acked.acknowledgements = {"P-8"};
  ExpectAccepted(Pledge(acked));
}

TEST_F(RegistryTest, SimilarMarksMustBePledgedTogether) {
  const Date expiry = DateFromCivil(2031, 1, 1);
  f_.AddTrademark("12345678", {"lanyu-materials"}, expiry, "G-0901");
  f_.AddTrademark("12345679", {"lanyu-materials"}, expiry, "G-0901");
  f_.AddTrademark("22345670", {"lanyu-materials"}, expiry);
  PledgeRegister one =
      f_.PledgeBody("PL-1", {"lanyu-materials"}, {"trademark:12345678"}, DateFromCivil(2029, 1, 1));
  ExpectRefused(Pledge(one), "E_SIMILAR_MARKS_SPLIT");
  PledgeRegister both =
      f_.PledgeBody("PL-2", {"lanyu-materials"}, {"trademark:12345678", "trademark:12345679"},
                    DateFromCivil(2029, 1, 1));
  ExpectAccepted(Pledge(both));
  PledgeRegister lone =
      f_.PledgeBody("PL-3", {"lanyu-materials"}, {"trademark:22345670"}, DateFromCivil(2029, 1, 1));
  ExpectAccepted(Pledge(lone));
}

TEST_F(RegistryTest, TrademarkTermAndExpiry) {
  f_.AddTrademark("32345671", {"lanyu-materials"}, DateFromCivil(2029, 1, 1));
  PledgeRegister b =
      f_.PledgeBody("PL-1", {"lanyu-materials"}, {"trademark:32345671"}, DateFromCivil(2029, 1, 2));
  ExpectRefused(Pledge(b), "E_TERM_BEYOND_ASSET");
  // Renewal moves the expiry (Trademark Law art. 40); then the same term fits.
  AssetStatus renew{
      "trademark:32345671", AssetEvent::kRenewed, f_.today(), {}, DateFromCivil(2039, 1, 1), {}};
  ExpectAccepted(f_.Submit(f_.Make("registry", renew)));
  b.pledge_id = "PL-2";
  ExpectAccepted(Pledge(b));
  f_.AddTrademark("42345672", {"hengtai-valve"}, DateFromCivil(2026, 5, 31));
  PledgeRegister expired =
      f_.PledgeBody("PL-3", {"hengtai-valve"}, {"trademark:42345672"}, DateFromCivil(2026, 12, 1));
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", expired), {"ccb-quzhou", "hengtai-valve"}),
                "E_ASSET_NOT_PLEDGEABLE");
}

TEST_F(RegistryTest, EventThatDoesNotFitTheAssetKindIsRefused) {
  AssetStatus renew{
      "patent:2014103620773", AssetEvent::kRenewed, f_.today(), {}, DateFromCivil(2039, 1, 1), {}};
  ExpectRefused(f_.Submit(f_.Make("registry", renew)), "E_WRONG_ASSET_KIND");
}

TEST_F(RegistryTest, ForfeitureClauseIsAWarningNotARefusal) {
  PledgeRegister b = Body("PL-1");
  b.forfeiture_clause = true;
  SubmitOutcome o = Pledge(b);
  ExpectAccepted(o);
  EXPECT_EQ(o.warnings, std::vector<std::string>{"W_FORFEITURE_CLAUSE"});
  EXPECT_TRUE(o.codes.empty());
  // The warning is kept: an idempotent replay returns it.
  auto outcome = f_.registry().GetOutcome(o.index);
  ASSERT_OK(outcome);
  EXPECT_EQ(outcome->warnings, std::vector<std::string>{"W_FORFEITURE_CLAUSE"});
}

ValuationAttest Valuation(const std::string& id, const std::string& asset, std::int64_t value,
                          Date base, std::optional<Date> valid_until = {}) {
  ValuationAttest v;
  v.valuation_id = id;
  v.items = {{asset, {value, "CNY"}, 80, 75, 70}};
  v.total = {value, "CNY"};
  v.standard = "GB/T 42748-2023";
  v.methods = {ValuationMethod::kIncome};
  v.base_date = base;
  v.valid_until = valid_until;
  v.report_sha256 = Sha256(AsBytes("report " + id));
  return v;
}

TEST_F(RegistryTest, StaleValuationIsAWarningAndFreshOneIsNot) {
  const Date today = f_.today();
  ExpectAccepted(
      f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-OLD", "patent:2014103620773",
                                                       400'000'000, AddYears(today, -2)))));
  ExpectAccepted(
      f_.Submit(f_.Make("zhonghe-appraisal", Valuation("VAL-NEW", "patent:2014103620773",
                                                       500'000'000, AddDays(today, -30)))));
  PledgeRegister stale = Body("PL-1");
  stale.valuation_ids = {"VAL-OLD"};
  SubmitOutcome o = Pledge(stale);
  ExpectAccepted(o);
  EXPECT_EQ(o.warnings, std::vector<std::string>{"W_VALUATION_STALE"});
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})));
  PledgeRegister fresh = Body("PL-2");
  fresh.valuation_ids = {"VAL-NEW"};
  SubmitOutcome ok = Pledge(fresh);
  ExpectAccepted(ok);
  EXPECT_TRUE(ok.warnings.empty()) << CodesOf(ok);
  // LTV = 100,000,000 / 500,000,000 = 20%.
  auto ltv = f_.registry().LtvBps("PL-2", f_.today());
  ASSERT_OK(ltv);
  ASSERT_TRUE(ltv->has_value());
  EXPECT_EQ(**ltv, 2000);
  // Withdrawn valuations no longer count: no valuation, no LTV.
  ExpectAccepted(f_.Submit(f_.Make("zhonghe-appraisal", ValuationWithdraw{"VAL-NEW", "error"})));
  ltv = f_.registry().LtvBps("PL-2", f_.today());
  ASSERT_OK(ltv);
  EXPECT_FALSE(ltv->has_value());
}

TEST_F(RegistryTest, OnlyTheAttestingAppraiserWithdraws) {
  f_.AddParticipant("other-appraisal", Role::kAppraiser);
  ExpectAccepted(f_.Submit(
      f_.Make("zhonghe-appraisal", Valuation("VAL-1", "patent:2014103620773", 1000, f_.today()))));
  ExpectRejected(f_.Submit(f_.Make("other-appraisal", ValuationWithdraw{"VAL-1", "x"})),
                 "E_FORBIDDEN");
  ExpectAccepted(f_.Submit(f_.Make("zhonghe-appraisal", ValuationWithdraw{"VAL-1", "x"})));
  ExpectRefused(f_.Submit(f_.Make("zhonghe-appraisal", ValuationWithdraw{"VAL-1", "x"})),
                "E_NOT_ACTIVE");
}

TEST_F(RegistryTest, ReleaseAmendAndEnforceNeedAnActivePledge) {
  ExpectAccepted(Pledge(Body("PL-1")));
  PledgeAmend amend;
  amend.pledge_id = "PL-1";
  amend.secured = Secured{SecuredType::kLoan, {120'000'000, "CNY"}};
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}));
  EXPECT_EQ(f_.registry().GetPledge("PL-1")->version, 2u);
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", PledgeEnforce{"PL-1", f_.today()})));
  // Enforcing: no amendment, no second enforcement; release with proceeds is allowed.
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}),
                "E_NOT_ACTIVE");
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", PledgeEnforce{"PL-1", f_.today()})),
                "E_NOT_ACTIVE");
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRealised, {}})));
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})),
                "E_NOT_ACTIVE");
  auto p = f_.registry().GetPledge("PL-1");
  ASSERT_OK(p);
  EXPECT_EQ(p->state, PledgeState::kReleased);
  EXPECT_EQ(p->release_reason, ReleaseReason::kRealised);
}

TEST_F(RegistryTest, AmendmentNeedsEveryPledgorAndRechecksTheTerm) {
  ExpectAccepted(Pledge(Body("PL-1")));
  PledgeAmend amend;
  amend.pledge_id = "PL-1";
  amend.debt_term = DateRange{f_.today(), DateFromCivil(2038, 3, 1)};
  ExpectRejected(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou"}), "E_FORBIDDEN");
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}),
                "E_TERM_BEYOND_ASSET");
  amend.debt_term = DateRange{f_.today(), DateFromCivil(2038, 2, 28)};
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}));
}

TEST_F(RegistryTest, PartialReleaseFreesThatCollateralOnly) {
  f_.AddPatent("2017100000081", {"lanyu-materials"});
  PledgeRegister b =
      f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773", "patent:2017100000081"},
                    DateFromCivil(2030, 1, 1));
  ExpectAccepted(Pledge(b));
  PledgeAmend amend;
  amend.pledge_id = "PL-1";
  amend.release_collateral = {"patent:2017100000081"};
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}));
  EXPECT_FALSE(f_.registry().PledgeStatus("patent:2017100000081")->pledged);
  EXPECT_TRUE(f_.registry().PledgeStatus("patent:2014103620773")->pledged);
  // Releasing the rest by amendment is refused: that is a release.
  amend.release_collateral = {"patent:2014103620773"};
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", amend), {"ccb-quzhou", "lanyu-materials"}),
                "E_NOT_ACTIVE");
}

// --- Data assets ---------------------------------------------------------------------------

TEST_F(RegistryTest, DataAssetLifecycleWithPublicityAndObjection) {
  AssetRegister a;
  a.asset_id = "data:greenhouse-2026";
  a.kind = AssetKind::kData;
  a.holders = {"lanyu-materials"};
  a.data =
      DataFacts{"Greenhouse data",          "1,501 records", 1501,        Sha256(AsBytes("gh")),
                DataSource::kSelfCollected, "agriculture",   std::nullopt};
  // The registry does not file an enterprise's application.
  ExpectRejected(f_.Submit(f_.Make("registry", a)), "E_FORBIDDEN");
  ExpectAccepted(f_.Submit(f_.Make("lanyu-materials", a)));
  const std::string id = a.asset_id;
  // Not yet publicized: it cannot be confirmed, and no objection is possible.
  ExpectRefused(f_.Submit(f_.Make("registry", DataConfirm{id, "C1", DateFromCivil(2029, 1, 1)})),
                "E_NOT_ACTIVE");
  const Date start = f_.today();
  ExpectAccepted(f_.Submit(f_.Make("registry", DataPublicize{id, AddDays(start, 10)})));
  ExpectRefused(f_.Submit(f_.Make("registry", DataConfirm{id, "C1", DateFromCivil(2029, 1, 1)})),
                "E_PUBLICITY_OPEN");
  SubmitOutcome objection =
      f_.Submit(f_.Make("hengtai-valve", DataObject{id, "ours", Sha256(AsBytes("evidence"))}));
  ExpectAccepted(objection);
  f_.SetToday(AddDays(start, 11));
  ExpectRefused(f_.Submit(f_.Make("registry", DataConfirm{id, "C1", DateFromCivil(2029, 1, 1)})),
                "E_OBJECTION_PENDING");
  // After publicity ends nobody may object any more.
  ExpectRefused(f_.Submit(f_.Make("hengtai-valve", DataObject{id, "late", Sha256(AsBytes("e2"))})),
                "E_NOT_ACTIVE");
  ExpectRefused(
      f_.Submit(f_.Make("registry", DataResolveObjection{id, objection.index + 1000, false})),
      "E_UNKNOWN_REFERENCE");
  ExpectAccepted(f_.Submit(f_.Make("registry", DataResolveObjection{id, objection.index, false})));
  // A data pledge before confirmation is refused.
  PledgeRegister early =
      f_.PledgeBody("PL-D0", {"lanyu-materials"}, {id}, DateFromCivil(2028, 1, 1));
  ExpectRefused(Pledge(early), "E_ASSET_NOT_PLEDGEABLE");
  ExpectAccepted(f_.Submit(
      f_.Make("registry", DataConfirm{id, "33000020260000001", DateFromCivil(2029, 1, 1)})));
  EXPECT_EQ(f_.registry().GetAsset(id)->data_state, DataState::kConfirmed);
  // D-6: the certificate must outlast the debt.
  ExpectRefused(
      Pledge(f_.PledgeBody("PL-D1", {"lanyu-materials"}, {id}, DateFromCivil(2029, 1, 2))),
      "E_TERM_BEYOND_ASSET");
  ExpectAccepted(
      Pledge(f_.PledgeBody("PL-D2", {"lanyu-materials"}, {id}, DateFromCivil(2029, 1, 1))));
}

TEST_F(RegistryTest, UpheldObjectionRejectsTheRegistration) {
  AssetRegister a;
  a.asset_id = "data:disputed";
  a.kind = AssetKind::kData;
  a.holders = {"lanyu-materials"};
  a.data = DataFacts{
      "D", "d", 10, Sha256(AsBytes("d")), DataSource::kLicensed, "s", AddYears(f_.today(), 2)};
  ExpectAccepted(f_.Submit(f_.Make("lanyu-materials", a)));
  ExpectAccepted(
      f_.Submit(f_.Make("registry", DataPublicize{a.asset_id, AddDays(f_.today(), 10)})));
  SubmitOutcome obj =
      f_.Submit(f_.Make("hengtai-valve", DataObject{a.asset_id, "stolen", Sha256(AsBytes("x"))}));
  ExpectAccepted(obj);
  ExpectAccepted(f_.Submit(f_.Make("registry", DataResolveObjection{a.asset_id, obj.index, true})));
  EXPECT_EQ(f_.registry().GetAsset(a.asset_id)->data_state, DataState::kRejected);
  ExpectRefused(f_.Submit(f_.Make("registry", DataReject{a.asset_id, "again"})), "E_NOT_ACTIVE");
}

// --- Insurance ----------------------------------------------------------------------------

PolicyIssue Policy(const std::string& id, const std::string& asset, Date start, Date end) {
  PolicyIssue p;
  p.policy_id = id;
  p.product = "infringement_loss";
  p.insured = "lanyu-materials";
  p.loss_payees = {"ccb-quzhou"};
  p.covered_assets = {asset};
  p.period = {start, end};
  p.limit_per_claim = {50'000'000, "CNY"};
  p.aggregate_limit = {100'000'000, "CNY"};
  p.deductible = {1'000'000, "CNY"};
  p.covered_costs = {"legal", "direct_loss"};
  return p;
}

TEST_F(RegistryTest, PolicyTermsMustBeConsistent) {
  const Date s = f_.today();
  PolicyIssue bad = Policy("POL-1", "patent:2014103620773", s, AddYears(s, 1));
  bad.deductible = {50'000'000, "CNY"};
  ExpectRefused(f_.Submit(f_.Make("picc-zhejiang", bad)), "E_POLICY_TERMS");
  PolicyIssue empty = Policy("POL-2", "patent:2014103620773", s, AddDays(s, -1));
  ExpectRefused(f_.Submit(f_.Make("picc-zhejiang", empty)), "E_POLICY_TERMS");
  PolicyIssue over = Policy("POL-3", "patent:2014103620773", s, AddYears(s, 1));
  over.limit_per_claim = {200'000'000, "CNY"};
  ExpectRefused(f_.Submit(f_.Make("picc-zhejiang", over)), "E_POLICY_TERMS");
  ExpectAccepted(f_.Submit(
      f_.Make("picc-zhejiang", Policy("POL-4", "patent:2014103620773", s, AddYears(s, 1)))));
  ExpectRejected(
      f_.Submit(f_.Make("ccb-quzhou", Policy("POL-5", "patent:2014103620773", s, AddYears(s, 1)))),
      "E_FORBIDDEN");
}

TEST_F(RegistryTest, ClaimsStayInsideThePeriodAndTheLimits) {
  // Incidents lie in the past: a claim for a future incident is refused (I-3).
  const Date s = f_.today();
  ExpectAccepted(f_.Submit(f_.Make(
      "picc-zhejiang", Policy("POL-1", "patent:2014103620773", AddDays(s, -60), AddYears(s, 1)))));
  auto claim = [&](const std::string& no, Date incident, std::int64_t paid) {
    return f_.Submit(
        f_.Make("picc-zhejiang",
                PolicyClaim{no, "POL-1", "patent:2014103620773", incident, {paid, "CNY"}}));
  };
  ExpectRefused(claim("CL-0", AddDays(s, -61), 1000), "E_OUTSIDE_PERIOD");
  ExpectRefused(claim("CL-1", AddDays(s, -50), 50'000'001), "E_LIMIT_EXCEEDED");
  ExpectAccepted(claim("CL-2", AddDays(s, -50), 50'000'000));
  ExpectAccepted(claim("CL-3", AddDays(s, -40), 40'000'000));
  ExpectRefused(claim("CL-4", AddDays(s, -30), 10'000'001), "E_LIMIT_EXCEEDED");
  ExpectRefused(claim("CL-3", AddDays(s, -30), 1), "E_DUPLICATE_ID");
  ExpectAccepted(claim("CL-5", AddDays(s, -30), 10'000'000));
  auto cov = f_.registry().Coverage("patent:2014103620773", AddDays(s, 40));
  ASSERT_OK(cov);
  ASSERT_EQ(cov->policies.size(), 1u);
  EXPECT_EQ(cov->policies[0].remaining_aggregate, 0);
  EXPECT_FALSE(cov->covered);  // exhausted
}

TEST_F(RegistryTest, CoverageFollowsPeriodAndCancellation) {
  const Date s = f_.today();
  ExpectAccepted(f_.Submit(
      f_.Make("picc-zhejiang", Policy("POL-1", "patent:2014103620773", s, AddYears(s, 1)))));
  auto cov = f_.registry().Coverage("patent:2014103620773", AddDays(s, 100));
  ASSERT_OK(cov);
  EXPECT_TRUE(cov->covered);
  ASSERT_EQ(cov->policies.size(), 1u);
  EXPECT_EQ(cov->policies[0].remaining_aggregate, 100'000'000);
  EXPECT_EQ(cov->policies[0].record.terms.loss_payees, std::vector<std::string>{"ccb-quzhou"});
  EXPECT_FALSE(f_.registry().Coverage("patent:2014103620773", AddDays(s, -1))->covered);
  EXPECT_FALSE(f_.registry().Coverage("patent:2014103620773", AddDays(AddYears(s, 1), 1))->covered);
  ExpectRejected(f_.Submit(f_.Make("ccb-quzhou", PolicyCancel{"POL-1", AddDays(s, 50), "x"})),
                 "E_FORBIDDEN");
  ExpectAccepted(
      f_.Submit(f_.Make("picc-zhejiang", PolicyCancel{"POL-1", AddDays(s, 50), "non-payment"})));
  EXPECT_TRUE(f_.registry().Coverage("patent:2014103620773", AddDays(s, 49))->covered);
  EXPECT_FALSE(f_.registry().Coverage("patent:2014103620773", AddDays(s, 50))->covered);
  ExpectRefused(f_.Submit(f_.Make("picc-zhejiang", PolicyCancel{"POL-1", AddDays(s, 60), "x"})),
                "E_NOT_ACTIVE");
  ExpectRefused(
      f_.Submit(f_.Make(
          "picc-zhejiang",
          PolicyClaim{"CL-1", "POL-1", "patent:2014103620773", AddDays(s, 55), {1000, "CNY"}})),
      "E_OUTSIDE_PERIOD");
}

// --- Queries as of an earlier index ------------------------------------------------------

TEST_F(RegistryTest, PledgeStatusAsOfAnEarlierIndexWithEvidence) {
  SubmitOutcome reg = Pledge(Body("PL-1"));
  ExpectAccepted(reg);
  SubmitOutcome rel =
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}}));
  ExpectAccepted(rel);
  auto then = f_.registry().PledgeStatus("patent:2014103620773", reg.index);
  ASSERT_OK(then);
  EXPECT_TRUE(then->pledged);
  ASSERT_EQ(then->pledges.size(), 1u);
  EXPECT_EQ(then->pledges[0].pledgee, "ccb-quzhou");
  EXPECT_EQ(then->evidence, std::vector<std::uint64_t>{reg.index});
  auto before = f_.registry().PledgeStatus("patent:2014103620773", reg.index - 1);
  ASSERT_OK(before);
  EXPECT_FALSE(before->pledged);
  auto now = f_.registry().PledgeStatus("patent:2014103620773");
  ASSERT_OK(now);
  EXPECT_FALSE(now->pledged);
  auto history = f_.registry().AssetHistory("patent:2014103620773");
  ASSERT_OK(history);
  ASSERT_GE(history->size(), 3u);
  EXPECT_EQ(history->back(), rel.index);
}

TEST_F(RegistryTest, IndexAtDateFindsTheLastEntryOfThatDay) {
  const Date d1 = f_.today();
  ExpectAccepted(Pledge(Body("PL-1")));
  const std::uint64_t last_of_d1 = f_.registry().ledger().size() - 1;
  f_.SetToday(AddDays(d1, 3));
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}})));
  auto at = f_.registry().IndexAtDate(AddDays(d1, 1));
  ASSERT_OK(at);
  EXPECT_EQ(*at, last_of_d1);
  EXPECT_TRUE(f_.registry().PledgeStatus("patent:2014103620773", *at)->pledged);
  EXPECT_EQ(f_.registry().IndexAtDate(DateFromCivil(2000, 1, 1)).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(RegistryTest, TransferOfAPledgedAssetNeedsThePledgee) {
  ExpectAccepted(Pledge(Body("PL-1")));
  AssetStatus t{"patent:2014103620773",
                AssetEvent::kTransferred,
                f_.today(),
                {},
                {},
                std::vector<std::string>{"hengtai-valve"}};
  ExpectRefused(f_.Submit(f_.Make("registry", t)), "E_ALREADY_PLEDGED");
  ExpectAccepted(f_.Submit(f_.Make("registry", t), {"registry", "ccb-quzhou"}));
  EXPECT_EQ(f_.registry().GetAsset("patent:2014103620773")->holders,
            std::vector<std::string>{"hengtai-valve"});
}

TEST_F(RegistryTest, CaseGroupsPledgesOfOneLender) {
  CaseRegister c;
  c.case_id = "CASE-1";
  c.debtor = "lanyu-materials";
  c.facility = {300'000'000, "CNY"};
  c.term = {f_.today(), DateFromCivil(2029, 1, 1)};
  c.other_collateral = {{CollateralKind::kRealEstate, "plant", {200'000'000, "CNY"}}};
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", c)));
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", c)), "E_DUPLICATE_ID");
  PledgeRegister b = Body("PL-1");
  b.case_id = "CASE-1";
  ExpectAccepted(Pledge(b));
  EXPECT_EQ(f_.registry().GetCase("CASE-1")->pledges, std::vector<std::string>{"PL-1"});
  // Another bank cannot hang its pledge on this case.
  f_.AddPatent("2019100000095", {"hengtai-valve"});
  PledgeRegister other =
      f_.PledgeBody("PL-2", {"hengtai-valve"}, {"patent:2019100000095"}, DateFromCivil(2028, 1, 1));
  other.case_id = "CASE-1";
  ExpectRejected(f_.Submit(f_.Make("icbc-jiangshan", other), {"icbc-jiangshan", "hengtai-valve"}),
                 "E_FORBIDDEN");
}

TEST_F(RegistryTest, PrecheckRunsEveryRuleAndWritesNothing) {
  ExpectAccepted(Pledge(Body("PL-1")));
  const std::uint64_t size = f_.registry().ledger().size();
  Submission s = f_.Sign(f_.Make("ccb-quzhou", Body("PL-2")), {"ccb-quzhou", "lanyu-materials"});
  SubmitOutcome o = f_.registry().Precheck(s);
  ExpectRefused(o, "E_ALREADY_PLEDGED");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  // And the precheck consumed nothing: the same envelope still sequences normally.
  auto out = f_.registry().Submit({&s, 1});
  ASSERT_OK(out);
  ExpectRefused((*out)[0], "E_ALREADY_PLEDGED");
}

// The sequencer caches the latest committed records it reads and writes: what a
// precheck would have written, or a batch refused as a whole, must not be seen later.
TEST_F(RegistryTest, APrecheckedRegistrationIsNotSeenByLaterStatements) {
  ParticipantRegister b;
  b.id = "new-firm";
  b.name = "New firm";
  b.role = Role::kEnterprise;
  b.region_code = "330802";
  b.keys = {{"k1", f_.KeyOf("new-firm").public_key()}};
  Submission reg = f_.Sign(f_.Make("registry", b), {"registry"});
  EXPECT_EQ(f_.registry().Precheck(reg).kind, OutcomeKind::kAccepted);
  // Not registered: its own statement does not authenticate...
  PledgeRelease r{"PL-none", ReleaseReason::kRepaid, {}};
  EXPECT_EQ(f_.Submit(f_.Make("new-firm", r), {"new-firm"}).codes,
            std::vector<std::string>{"E_SIGNATURE"});
  // ...until the registration is sequenced; then, within one batch, a later statement
  // sees an earlier one's write, and after the batch the cache holds it.
  Submission again = f_.Sign(f_.Make("registry", b), {"registry"});
  PolicyIssue pol;
  pol.policy_id = "POL-NEW";
  pol.product = "infringement_loss";
  pol.insured = "lanyu-materials";  // I-1: the holder of the covered patent
  pol.loss_payees = {"new-firm"};
  pol.covered_assets = {"patent:2014103620773"};
  pol.period = {f_.today(), AddYears(f_.today(), 1)};
  pol.limit_per_claim = {50'000'000, "CNY"};
  pol.aggregate_limit = {100'000'000, "CNY"};
  pol.deductible = {0, "CNY"};
  Submission cover = f_.Sign(f_.Make("picc-zhejiang", pol), {"picc-zhejiang"});
  std::vector<Submission> batch = {again, cover};
  auto out = f_.registry().Submit(batch);
  ASSERT_OK(out);
  EXPECT_EQ((*out)[0].kind, OutcomeKind::kAccepted) << CodesOf((*out)[0]);
  // The policy's loss payee must be a registered participant: found in the same batch.
  EXPECT_EQ((*out)[1].kind, OutcomeKind::kAccepted) << CodesOf((*out)[1]) << (*out)[1].detail;
  auto p = f_.registry().GetParticipant("new-firm");
  ASSERT_OK(p);
  // Now it authenticates (an enterprise may not release a pledge: a role refusal).
  EXPECT_EQ(f_.Submit(f_.Make("new-firm", r), {"new-firm"}).codes,
            std::vector<std::string>{"E_FORBIDDEN"});
}

TEST_F(RegistryTest, StateSurvivesReopen) {
  ExpectAccepted(Pledge(Body("PL-1")));
  const std::string dir = f_.dir() + "/db";
  auto reader = Registry::OpenReadOnly(dir, {});
  ASSERT_OK(reader);
  auto p = (*reader)->GetPledge("PL-1");
  ASSERT_OK(p);
  EXPECT_EQ(p->pledgee, "ccb-quzhou");
  EXPECT_EQ(p->terms.secured.amount.amount, 100'000'000);
  EXPECT_EQ(p->debtor_region, "330802");
  EXPECT_OK((*reader)->ledger().Verify());
}

}  // namespace
}  // namespace ipledger
