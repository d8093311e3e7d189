#include "crypto/dsse.h"

#include <string>

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

DsseEnvelope HelloEnvelope() {
  DsseEnvelope env;
  env.payload_type = "application/vnd.ipledger.statement+json";
  const ByteView payload = AsBytes(R"({"kind":"pledge","asset":"A-1"})");
  env.payload.assign(payload.begin(), payload.end());
  return env;
}

// The worked example of the DSSE v1 protocol specification.
TEST(DsseTest, PaeMatchesTheSpecExample) {
  EXPECT_EQ(ToString(Pae("http://example.com/HelloWorld", AsBytes("hello world"))),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(DsseTest, PaeOfEmptyTypeAndPayloadKeepsAllSeparators) {
  EXPECT_EQ(ToString(Pae("", ByteView())), "DSSEv1 0  0 ");
}

TEST(DsseTest, PaeCountsBytesNotCharacters) {
  // "é" is two UTF-8 bytes; the payload holds a NUL and a non-ASCII byte.
  const Bytes payload = {0x00, 0xff, 'a'};
  const Bytes got = Pae("t\xc3\xa9", payload);
  const std::string want = std::string("DSSEv1 3 t\xc3\xa9 3 ") + std::string(
                                                                      "\0\xff"
                                                                      "a",
                                                                      3);
  EXPECT_EQ(ToString(got), want);
}

TEST(DsseTest, SignedEnvelopeVerifies) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "ccb-quzhou/k1", key);
  ASSERT_EQ(env.signatures.size(), 1u);
  EXPECT_EQ(env.signatures[0].keyid, "ccb-quzhou/k1");
  EXPECT_EQ(env.signatures[0].sig.size(), 64u);
  EXPECT_TRUE(VerifyDsseSignature(env, env.signatures[0], key.public_key()));
}

TEST(DsseTest, SignatureIsEd25519OverThePae) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", key);
  const Signature want = key.Sign(Pae(env.payload_type, env.payload));
  EXPECT_EQ(env.signatures[0].sig, Bytes(want.begin(), want.end()));
}

TEST(DsseTest, SeveralSignersEachVerifyUnderTheirOwnKey) {
  const SigningKey a = testing::TestKey(1);
  const SigningKey b = testing::TestKey(2);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "a", a);
  AddDsseSignature(env, "b", b);
  ASSERT_EQ(env.signatures.size(), 2u);
  EXPECT_TRUE(VerifyDsseSignature(env, env.signatures[0], a.public_key()));
  EXPECT_TRUE(VerifyDsseSignature(env, env.signatures[1], b.public_key()));
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[0], b.public_key()));
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[1], a.public_key()));
}

TEST(DsseTest, WrongKeyIsRejected) {
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", testing::TestKey(1));
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[0], testing::TestKey(2).public_key()));
}

TEST(DsseTest, TamperedPayloadIsRejected) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", key);
  env.payload.back() ^= 0x01;
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[0], key.public_key()));
}

TEST(DsseTest, AppendedPayloadByteIsRejected) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", key);
  env.payload.push_back(' ');
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[0], key.public_key()));
}

TEST(DsseTest, TamperedPayloadTypeIsRejected) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", key);
  env.payload_type = "application/vnd.ipledger.statement+jsom";
  EXPECT_FALSE(VerifyDsseSignature(env, env.signatures[0], key.public_key()));
}

// Without the length prefixes, moving bytes between type and payload would keep the
// signed string the same; PAE makes that a different message.
TEST(DsseTest, MovingBytesBetweenTypeAndPayloadIsRejected) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env;
  env.payload_type = "ab";
  env.payload = {'c', 'd'};
  AddDsseSignature(env, "k", key);
  DsseEnvelope moved;
  moved.payload_type = "abc";
  moved.payload = {'d'};
  EXPECT_FALSE(VerifyDsseSignature(moved, env.signatures[0], key.public_key()));
}

TEST(DsseTest, TamperedOrTruncatedSignatureIsRejected) {
  const SigningKey key = testing::TestKey(1);
  DsseEnvelope env = HelloEnvelope();
  AddDsseSignature(env, "k", key);
  DsseSignature flipped = env.signatures[0];
  flipped.sig[10] ^= 0x40;
  EXPECT_FALSE(VerifyDsseSignature(env, flipped, key.public_key()));
  DsseSignature truncated = env.signatures[0];
  truncated.sig.pop_back();
  EXPECT_FALSE(VerifyDsseSignature(env, truncated, key.public_key()));
  DsseSignature extended = env.signatures[0];
  extended.sig.push_back(0);
  EXPECT_FALSE(VerifyDsseSignature(env, extended, key.public_key()));
  EXPECT_FALSE(VerifyDsseSignature(env, DsseSignature{"k", {}}, key.public_key()));
}

}  // namespace
}  // namespace ipledger
