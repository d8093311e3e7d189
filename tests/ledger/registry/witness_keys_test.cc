// Witness keys in the registry (issue #14, item 4): a participant registers the key and
// URL of the C2SP witness it runs with participant.keys ("role": "witness"), and only it,
// with its own signature, adds or revokes them. A witness key never signs statements,
// and one witness key is registered once, by one participant.
#include <algorithm>

#include "crypto/note.h"
#include "ledger/registry/registry.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger {
namespace {

using testing::ExpectAccepted;
using testing::ExpectRefused;
using testing::ExpectRejected;
using testing::RegistryFixture;
using testing::TestWitnessVkey;

ParticipantKeys AddWitness(const std::string& id, const std::string& label, int seed,
                           const std::string& url = "https://witness.example:8443") {
  ParticipantKeys k;
  k.id = id;
  k.add_witnesses = {{label, TestWitnessVkey("witness." + id + ".example", seed), url}};
  return k;
}

ParticipantKeys Revoke(const std::string& id, const std::string& label) {
  ParticipantKeys k;
  k.id = id;
  k.revoke = {label};
  return k;
}

class WitnessKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddParticipant("ccb-quzhou", Role::kBank, "330802");
    f_.AddParticipant("picc-quzhou", Role::kInsurer, "330802");
    f_.AddParticipant("cnipa-zj-regulator", Role::kRegulator, "330000");
  }

  // The participant's witness keys record; empty if it has none.
  WitnessKeysRecord WitnessKeysOf(const std::string& id) {
    auto all = f_.registry().ListWitnessKeys();
    EXPECT_OK(all);
    if (!all.ok()) return {};
    for (const WitnessKeysRecord& r : *all) {
      if (r.id == id) return r;
    }
    return {};
  }

  RegistryFixture f_;
};

TEST_F(WitnessKeysTest, AParticipantRegistersAndRevokesItsOwnWitnessKey) {
  const SubmitOutcome added = f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w1", 40)));
  ExpectAccepted(added);
  WitnessKeysRecord r = WitnessKeysOf("ccb-quzhou");
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.keys[0].label, "w1");
  EXPECT_EQ(r.keys[0].vkey, TestWitnessVkey("witness.ccb-quzhou.example", 40));
  EXPECT_EQ(r.keys[0].url, "https://witness.example:8443");
  EXPECT_EQ(r.keys[0].added_index, added.index);
  EXPECT_FALSE(r.keys[0].revoked_index.has_value());
  // It is not a signing key: the participant record's keys are unchanged.
  auto p = f_.registry().GetParticipant("ccb-quzhou");
  ASSERT_OK(p);
  EXPECT_EQ(p->keys.size(), 1u);

  const SubmitOutcome revoked = f_.Submit(f_.Make("ccb-quzhou", Revoke("ccb-quzhou", "w1")));
  ExpectAccepted(revoked);
  r = WitnessKeysOf("ccb-quzhou");
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.keys[0].revoked_index, revoked.index);
  EXPECT_EQ(r.history, (std::vector<std::uint64_t>{added.index, revoked.index}));
  // Revoked twice: no active key; re-added under the same label: a label names one key.
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", Revoke("ccb-quzhou", "w1"))),
                "E_UNKNOWN_REFERENCE");
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w1", 41))),
                "E_DUPLICATE_ID");
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w2", 41))));
}

TEST_F(WitnessKeysTest, OnlyTheParticipantItselfChangesItsWitnessKeys) {
  const std::uint64_t size = f_.registry().ledger().size();
  // The registry office, even with the bank's co-signature, cannot add one for the bank.
  ExpectRejected(f_.Submit(f_.Make("registry", AddWitness("ccb-quzhou", "w1", 42)),
                           {"registry", "ccb-quzhou"}),
                 "E_FORBIDDEN");
  // Nor can another participant, with or without the bank's signature.
  ExpectRejected(f_.Submit(f_.Make("picc-quzhou", AddWitness("ccb-quzhou", "w1", 42)),
                           {"picc-quzhou", "ccb-quzhou"}),
                 "E_FORBIDDEN");
  // Submitted as the bank but signed by someone else.
  ExpectRejected(
      f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w1", 42)), {"picc-quzhou"}),
      "E_FORBIDDEN");
  EXPECT_EQ(f_.registry().ledger().size(), size);
  EXPECT_TRUE(WitnessKeysOf("ccb-quzhou").keys.empty());

  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w1", 42))));
  // The registry cannot revoke it either, though it may revoke the bank's signing keys
  // with the bank's signature.
  ExpectRejected(
      f_.Submit(f_.Make("registry", Revoke("ccb-quzhou", "w1")), {"registry", "ccb-quzhou"}),
      "E_FORBIDDEN");
  EXPECT_FALSE(WitnessKeysOf("ccb-quzhou").keys[0].revoked_index.has_value());
}

TEST_F(WitnessKeysTest, AWitnessKeyIsRegisteredOnceAndNeverSigns) {
  ExpectAccepted(f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w1", 43))));
  // The insurer passing the bank's witness off as its own (same public key, any name).
  ParticipantKeys copy;
  copy.id = "picc-quzhou";
  copy.add_witnesses = {{"w1", TestWitnessVkey("witness.picc-quzhou.example", 43), "http://x:1"}};
  ExpectRefused(f_.Submit(f_.Make("picc-quzhou", copy)), "E_DUPLICATE_ID");
  EXPECT_TRUE(WitnessKeysOf("picc-quzhou").keys.empty());
  // A witness label may not reuse a signing key's label, nor the reverse.
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "k1", 44))),
                "E_DUPLICATE_ID");
  ParticipantKeys signing;
  signing.id = "ccb-quzhou";
  signing.add = {{"w1", testing::TestKey(45).public_key()}};
  ExpectRefused(f_.Submit(f_.Make("ccb-quzhou", signing)), "E_DUPLICATE_ID");
  // The witness's private key, presented as key ccb-quzhou/w1, signs nothing.
  const SigningKey witness_key = testing::TestKey(43);
  ExpectRejected(
      f_.SubmitSigned(f_.SignWithKeys(f_.Make("ccb-quzhou", AddWitness("ccb-quzhou", "w9", 46)),
                                      {{"ccb-quzhou/w1", &witness_key}})),
      "E_SIGNATURE");
}

TEST_F(WitnessKeysTest, WitnessKeysSurviveAReopen) {
  ExpectAccepted(f_.Submit(f_.Make("picc-quzhou", AddWitness("picc-quzhou", "w1", 47))));
  ExpectAccepted(
      f_.Submit(f_.Make("cnipa-zj-regulator", AddWitness("cnipa-zj-regulator", "w1", 48))));
  const auto before = f_.registry().ListWitnessKeys();
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 2u);
  f_.Close();
  f_.Reopen();
  const auto after = f_.registry().ListWitnessKeys();
  ASSERT_OK(after);
  EXPECT_EQ(*after, *before);
}

}  // namespace
}  // namespace ipledger
