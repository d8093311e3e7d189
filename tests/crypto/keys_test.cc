#include "crypto/keys.h"

#include <algorithm>
#include <string>
#include <utility>

#include "crypto/hash.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

Bytes FromHex(std::string_view hex) {
  std::optional<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b) << hex;
  return b.value_or(Bytes{});
}

bool AllZero(const Seed& s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

// RFC 8032 section 7.1, TEST 1.
constexpr std::string_view kRfc8032Seed1 =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfc8032PublicKey1 =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfc8032Signature1 =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
    "b46bd25bf5f0595bbe24655141438e7a100b";

TEST(KeysTest, Rfc8032Test1PublicKeyIsDerivedFromSeed) {
  const std::optional<SigningKey> key = SigningKey::FromSeed(FromHex(kRfc8032Seed1));
  ASSERT_TRUE(key);
  EXPECT_EQ(HexEncode(key->public_key()), kRfc8032PublicKey1);
  EXPECT_EQ(HexEncode(key->seed()), kRfc8032Seed1);
}

TEST(KeysTest, Rfc8032Test1SignatureOfEmptyMessageIsKnownAnswer) {
  const std::optional<SigningKey> key = SigningKey::FromSeed(FromHex(kRfc8032Seed1));
  ASSERT_TRUE(key);
  const Signature sig = key->Sign(ByteView());
  EXPECT_EQ(HexEncode(sig), kRfc8032Signature1);
  EXPECT_TRUE(Verify(key->public_key(), ByteView(), sig));
}

TEST(KeysTest, Rfc8032Test1VerifiesWithPublicKeyAlone) {
  const std::optional<PublicKey> pk = PublicKeyFromBytes(FromHex(kRfc8032PublicKey1));
  const std::optional<Signature> sig = SignatureFromBytes(FromHex(kRfc8032Signature1));
  ASSERT_TRUE(pk && sig);
  EXPECT_TRUE(Verify(*pk, ByteView(), *sig));
}

// RFC 8032 section 7.1, TEST 2 (one-byte message 0x72).
TEST(KeysTest, Rfc8032Test2SignatureIsKnownAnswer) {
  const std::optional<SigningKey> key = SigningKey::FromSeed(
      FromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  ASSERT_TRUE(key);
  EXPECT_EQ(HexEncode(key->public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const Bytes msg = {0x72};
  EXPECT_EQ(HexEncode(key->Sign(msg)),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"
            "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(KeysTest, VerifyFailsOnAnyFlippedSignatureBit) {
  const SigningKey key = testing::TestKey(1);
  const Bytes msg = {'h', 'i'};
  const Signature sig = key.Sign(msg);
  ASSERT_TRUE(Verify(key.public_key(), msg, sig));
  for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
    Signature bad = sig;
    bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(Verify(key.public_key(), msg, bad)) << "bit " << bit;
  }
}

TEST(KeysTest, VerifyFailsOnFlippedMessageBit) {
  const SigningKey key = testing::TestKey(1);
  const Bytes msg = {'h', 'i'};
  const Signature sig = key.Sign(msg);
  Bytes bad = msg;
  bad[0] ^= 0x01;
  EXPECT_FALSE(Verify(key.public_key(), bad, sig));
  EXPECT_FALSE(Verify(key.public_key(), ByteView(), sig));
}

TEST(KeysTest, VerifyFailsUnderAnotherKey) {
  const SigningKey key = testing::TestKey(1);
  const SigningKey other = testing::TestKey(2);
  const Bytes msg = {'h', 'i'};
  EXPECT_FALSE(Verify(other.public_key(), msg, key.Sign(msg)));
  PublicKey flipped = key.public_key();
  flipped[0] ^= 0x01;
  EXPECT_FALSE(Verify(flipped, msg, key.Sign(msg)));
}

TEST(KeysTest, SignatureIsDeterministic) {
  const SigningKey key = testing::TestKey(3);
  const Bytes msg = {1, 2, 3};
  EXPECT_EQ(key.Sign(msg), key.Sign(msg));
}

TEST(KeysTest, FromSeedRejectsWrongLength) {
  EXPECT_FALSE(SigningKey::FromSeed(Bytes(31, 1)));
  EXPECT_FALSE(SigningKey::FromSeed(Bytes(33, 1)));
  EXPECT_FALSE(SigningKey::FromSeed(ByteView()));
}

TEST(KeysTest, FromSeedIsDeterministic) {
  const Seed seed = Sha256(AsBytes("seed"));
  const std::optional<SigningKey> a = SigningKey::FromSeed(seed);
  const std::optional<SigningKey> b = SigningKey::FromSeed(seed);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_EQ(a->seed(), seed);
}

TEST(KeysTest, GeneratedKeysAreDistinctAndSign) {
  const SigningKey a = SigningKey::Generate();
  const SigningKey b = SigningKey::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_NE(a.seed(), b.seed());
  const Bytes msg = {'x'};
  EXPECT_TRUE(Verify(a.public_key(), msg, a.Sign(msg)));
  EXPECT_FALSE(Verify(b.public_key(), msg, a.Sign(msg)));
}

TEST(KeysTest, MoveConstructionZeroesTheMovedFromSeed) {
  SigningKey a = testing::TestKey(4);
  const Seed seed = a.seed();
  const PublicKey pk = a.public_key();
  ASSERT_FALSE(AllZero(seed));
  SigningKey b(std::move(a));
  EXPECT_TRUE(AllZero(a.seed()));  // NOLINT(bugprone-use-after-move): the property under test
  EXPECT_EQ(b.seed(), seed);
  EXPECT_EQ(b.public_key(), pk);
  const Bytes msg = {'m'};
  EXPECT_TRUE(Verify(pk, msg, b.Sign(msg)));
}

TEST(KeysTest, MoveAssignmentZeroesTheMovedFromSeed) {
  SigningKey a = testing::TestKey(5);
  SigningKey b = testing::TestKey(6);
  const Seed seed = a.seed();
  const PublicKey pk = a.public_key();
  b = std::move(a);
  EXPECT_TRUE(AllZero(a.seed()));  // NOLINT(bugprone-use-after-move): the property under test
  EXPECT_EQ(b.seed(), seed);
  EXPECT_EQ(b.public_key(), pk);
  const Bytes msg = {'m'};
  EXPECT_TRUE(Verify(pk, msg, b.Sign(msg)));
}

TEST(KeysTest, PublicKeyAndSignatureFromBytesCheckLength) {
  EXPECT_TRUE(PublicKeyFromBytes(Bytes(32, 7)));
  EXPECT_FALSE(PublicKeyFromBytes(Bytes(31, 7)));
  EXPECT_FALSE(PublicKeyFromBytes(Bytes(33, 7)));
  EXPECT_TRUE(SignatureFromBytes(Bytes(64, 7)));
  EXPECT_FALSE(SignatureFromBytes(Bytes(63, 7)));
  EXPECT_FALSE(SignatureFromBytes(Bytes(65, 7)));
}

}  // namespace
}  // namespace ipledger
