// Keys belong to their participant (issue #12, item 1): the registry office cannot add
// a key to a participant and sign as it; a participant that lost every key is recovered
// by a visible, cancellable procedure. And idempotency by meaning (item 6): the same
// statement in another serialization of its envelope gets the original receipt.
#include <algorithm>

#include "api/codec/json_codec.h"
#include "ledger/registry/registry.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::CodesOf;
using testing::ExpectAccepted;
using testing::ExpectRefused;
using testing::ExpectRejected;
using testing::RegistryFixture;

class KeysTest : public ::testing::Test {
 protected:
  explicit KeysTest(std::optional<std::uint32_t> publicity_days = {})
      : f_(DateFromCivil(2026, 6, 1), nullptr, publicity_days) {}

  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("icbc-jiangshan", Role::kBank, "330881");
    f_.AddParticipant("lanyu-materials", Role::kEnterprise, "330802");
    f_.AddParticipant("cnipa-zj-regulator", Role::kRegulator, "330000");
    f_.AddPatent("2014103620773", {"lanyu-materials"});
    f_.AddPatent("2015100000010", {"lanyu-materials"});
  }

  // A pledge of `patent` by ccb-quzhou, signed with `bank_key` and by the pledgor.
  Submission PledgeSignedWith(const std::string& id, const std::string& patent,
                              const std::string& bank_keyid, const SigningKey& bank_key) {
    PledgeRegister b =
        f_.PledgeBody(id, {"lanyu-materials"}, {"patent:" + patent}, DateFromCivil(2028, 6, 1));
    return f_.SignWithKeys(
        f_.Make("ccb-quzhou", b),
        {{bank_keyid, &bank_key}, {"lanyu-materials/k1", &f_.KeyOf("lanyu-materials")}});
  }

  ParticipantKeys AddKey(const std::string& id, const std::string& label, int seed) {
    ParticipantKeys k;
    k.id = id;
    k.add = {{label, testing::TestKey(seed).public_key()}};
    return k;
  }

  ParticipantRecord Participant(const std::string& id) {
    auto p = f_.registry().GetParticipant(id);
    EXPECT_OK(p);
    return p.ok() ? *p : ParticipantRecord{};
  }

  // Proposes a recovery of ccb-quzhou to key "r1" (seed 90), co-signed by the regulator.
  SubmitOutcome Recover() {
    ParticipantRecover r;
    r.id = "ccb-quzhou";
    r.keys = {{"r1", testing::TestKey(90).public_key()}};
    r.reason = "the bank reports its HSM destroyed";
    return f_.Submit(f_.Make("registry", r), {"registry", "cnipa-zj-regulator"});
  }

  RegistryFixture f_;
};

// --- participant.keys ------------------------------------------------------------------

TEST_F(KeysTest, RegistryAloneAddingAKeyToABankIsForbiddenAndWritesNothing) {
  const std::uint64_t size = f_.registry().ledger().size();
  const Digest root = f_.registry().ledger().head().checkpoint.root;
  const ParticipantRecord before = Participant("ccb-quzhou");
  // The attack: the registry office adds its own key to the bank...
  ExpectRejected(f_.Submit(f_.Make("registry", AddKey("ccb-quzhou", "ops", 60))), "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  EXPECT_EQ(f_.registry().ledger().head().checkpoint.root, root);
  EXPECT_EQ(Participant("ccb-quzhou"), before);
  // ... and then cannot sign as the bank with it.
  ExpectRejected(f_.SubmitSigned(PledgeSignedWith("PL-1", "2014103620773", "ccb-quzhou/ops",
                                                  testing::TestKey(60))),
                 "E_SIGNATURE");
  // Submitted by the registry but signed by the bank as well, the same change passes.
  ExpectAccepted(
      f_.Submit(f_.Make("registry", AddKey("ccb-quzhou", "ops", 60)), {"registry", "ccb-quzhou"}));
}

TEST_F(KeysTest, BankAddingItsOwnKeyPassesAndTheKeySigns) {
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", AddKey("ccb-quzhou", "k2", 61))));
  ExpectAccepted(f_.SubmitSigned(
      PledgeSignedWith("PL-1", "2014103620773", "ccb-quzhou/k2", testing::TestKey(61))));
}

TEST_F(KeysTest, AnotherParticipantMayNotChangeABanksKeys) {
  const std::uint64_t size = f_.registry().ledger().size();
  // Submitted by another bank, even with the target's signature: only the registry or the
  // participant itself submits.
  ExpectRejected(f_.Submit(f_.Make("icbc-jiangshan", AddKey("ccb-quzhou", "k2", 62)),
                           {"icbc-jiangshan", "ccb-quzhou"}),
                 "E_FORBIDDEN");
  // Submitted by the bank but signed by a key of another participant only.
  ExpectRejected(f_.Submit(f_.Make("ccb-quzhou", AddKey("icbc-jiangshan", "k2", 62))),
                 "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

TEST_F(KeysTest, RegistrysOwnKeysNeedARegulatorCoSignature) {
  const std::uint64_t size = f_.registry().ledger().size();
  const ParticipantRecord before = Participant("registry");
  ExpectRejected(f_.Submit(f_.Make("registry", AddKey("registry", "k2", 63))), "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  EXPECT_EQ(Participant("registry"), before);
  ExpectAccepted(f_.Submit(f_.Make("registry", AddKey("registry", "k2", 63)),
                           {"registry", "cnipa-zj-regulator"}));
}

// --- Recovery ----------------------------------------------------------------------------

TEST_F(KeysTest, RecoveryWithoutARegulatorIsForbiddenAndWritesNothing) {
  const std::uint64_t size = f_.registry().ledger().size();
  ParticipantRecover r;
  r.id = "ccb-quzhou";
  r.keys = {{"r1", testing::TestKey(90).public_key()}};
  r.reason = "lost";
  ExpectRejected(f_.Submit(f_.Make("registry", r)), "E_FORBIDDEN");
  // A regulator alone cannot propose it either: the submitter is the registry.
  ExpectRejected(f_.Submit(f_.Make("cnipa-zj-regulator", r), {"cnipa-zj-regulator", "registry"}),
                 "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  ExpectAccepted(Recover());
}

TEST_F(KeysTest, RecoveryCompletedBeforeThePublicityEndIsRefused) {
  const SubmitOutcome rec = Recover();
  ExpectAccepted(rec);
  f_.SetToday(AddDays(f_.today(), 6));
  const std::uint64_t size = f_.registry().ledger().size();
  const ParticipantRecord before = Participant("ccb-quzhou");
  ExpectRefused(f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})),
                "E_RECOVERY_PENDING");
  EXPECT_EQ(f_.registry().ledger().size(), size + 1);  // one refusal leaf
  EXPECT_EQ(Participant("ccb-quzhou"), before);
  // A second recovery while one is pending is refused too.
  ExpectRefused(Recover(), "E_RECOVERY_PENDING");
  // The old key still signs during the publicity period.
  ExpectAccepted(f_.SubmitSigned(
      PledgeSignedWith("PL-1", "2014103620773", "ccb-quzhou/k1", f_.KeyOf("ccb-quzhou"))));
}

TEST_F(KeysTest, CancelledRecoveryIsRefused) {
  const SubmitOutcome rec = Recover();
  ExpectAccepted(rec);
  // Only the participant's own current key cancels; the registry's alone does not.
  const std::uint64_t size = f_.registry().ledger().size();
  ExpectRejected(f_.Submit(f_.Make("registry", ParticipantRecoverCancel{"ccb-quzhou", rec.index})),
                 "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  ExpectAccepted(
      f_.Submit(f_.Make("ccb-quzhou", ParticipantRecoverCancel{"ccb-quzhou", rec.index})));
  f_.SetToday(AddDays(f_.today(), 8));
  const ParticipantRecord before = Participant("ccb-quzhou");
  const std::uint64_t after_cancel = f_.registry().ledger().size();
  ExpectRefused(f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})),
                "E_RECOVERY_CANCELLED");
  EXPECT_EQ(f_.registry().ledger().size(), after_cancel + 1);
  EXPECT_EQ(Participant("ccb-quzhou"), before);
}

TEST_F(KeysTest, CompletedRecoveryReplacesEveryKey) {
  const SubmitOutcome rec = Recover();
  ExpectAccepted(rec);
  f_.SetToday(AddDays(f_.today(), 8));
  ExpectAccepted(
      f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})));
  // The old key no longer signs; the recovered one does.
  ExpectRejected(f_.SubmitSigned(PledgeSignedWith("PL-1", "2014103620773", "ccb-quzhou/k1",
                                                  f_.KeyOf("ccb-quzhou"))),
                 "E_SIGNATURE");
  ExpectAccepted(f_.SubmitSigned(
      PledgeSignedWith("PL-1", "2014103620773", "ccb-quzhou/r1", testing::TestKey(90))));
  const ParticipantRecord p = Participant("ccb-quzhou");
  ASSERT_EQ(p.keys.size(), 2u);
  EXPECT_TRUE(p.keys[0].revoked_index.has_value());
  EXPECT_FALSE(p.keys[1].revoked_index.has_value());
  // Completing it twice names no pending recovery.
  ExpectRefused(f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})),
                "E_UNKNOWN_REFERENCE");
}

class ShortPublicityKeysTest : public KeysTest {
 protected:
  ShortPublicityKeysTest() : KeysTest(2) {}
};

TEST_F(ShortPublicityKeysTest, GenesisSetsThePublicityPeriod) {
  const SubmitOutcome rec = Recover();
  ExpectAccepted(rec);
  f_.SetToday(AddDays(f_.today(), 1));
  ExpectRefused(f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})),
                "E_RECOVERY_PENDING");
  f_.SetToday(AddDays(f_.today(), 1));
  ExpectAccepted(
      f_.Submit(f_.Make("registry", ParticipantRecoverComplete{"ccb-quzhou", rec.index})));
}

TEST_F(KeysTest, PublicityPeriodIsSetOnlyAtGenesis) {
  ParticipantRegister b;
  b.id = "registry-two";
  b.name = "Another";
  b.role = Role::kRegistry;
  b.keys = {{"k1", testing::TestKey(64).public_key()}};
  b.recovery_publicity_days = 1;
  const std::uint64_t size = f_.registry().ledger().size();
  ExpectRejected(f_.Submit(f_.Make("registry", b)), "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

// --- Idempotency by meaning ---------------------------------------------------------------

TEST_F(KeysTest, ReSerializedEnvelopeFirstThenOriginalGetsTheOriginalReceipt) {
  Submission original = f_.Sign(
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                          DateFromCivil(2028, 6, 1))),
      {"ccb-quzhou", "lanyu-materials"});
  // The co-signer re-serializes it: other signature order, other whitespace.
  Submission copy = original;
  std::reverse(copy.envelope.signatures.begin(), copy.envelope.signatures.end());
  copy.envelope_bytes = " " + api::EncodeEnvelopeJson(copy.envelope) + "\n";
  ASSERT_NE(copy.envelope_bytes, original.envelope_bytes);
  const SubmitOutcome first = f_.SubmitSigned(copy);
  ExpectAccepted(first);
  const std::uint64_t size = f_.registry().ledger().size();
  const SubmitOutcome again = f_.SubmitSigned(original);
  EXPECT_EQ(again.kind, OutcomeKind::kReplayed) << CodesOf(again) << " " << again.detail;
  EXPECT_EQ(again.index, first.index);
  EXPECT_EQ(again.leaf, first.leaf);
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

TEST_F(KeysTest, DifferentPayloadUnderTheSameKeyIsAConflict) {
  Statement st =
      f_.Make("ccb-quzhou", f_.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                          DateFromCivil(2028, 6, 1)));
  ExpectAccepted(f_.Submit(st, {"ccb-quzhou", "lanyu-materials"}));
  const std::uint64_t size = f_.registry().ledger().size();
  Statement other = st;
  std::get<PledgeRegister>(other.body).pledge_id = "PL-2";
  std::get<PledgeRegister>(other.body).collateral = {"patent:2015100000010"};
  ExpectRejected(f_.Submit(other, {"ccb-quzhou", "lanyu-materials"}), "E_IDEMPOTENCY_CONFLICT");
  EXPECT_EQ(f_.registry().ledger().size(), size);
}

}  // namespace
}  // namespace ipledger
