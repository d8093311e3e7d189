#include "crypto/hash.h"

#include <string>

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

std::string Hex(const Digest& d) { return HexEncode(d); }

// FIPS 180-2 appendix B / NIST CAVS known answers.
TEST(HashTest, Sha256OfAbcIsTheFipsKnownAnswer) {
  EXPECT_EQ(Hex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Sha256OfEmptyInputIsTheKnownAnswer) {
  EXPECT_EQ(Hex(Sha256(ByteView())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, Sha256OfTwoBlockMessageIsTheFipsKnownAnswer) {
  EXPECT_EQ(Hex(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashTest, Sha256OfMillionAsIsTheFipsKnownAnswer) {
  const std::string a(1000000, 'a');
  EXPECT_EQ(Hex(Sha256(AsBytes(a))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(HashTest, IncrementalHasherMatchesOneShotAtEverySplit) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const Digest want = Sha256(AsBytes(msg));
  for (std::size_t split = 0; split <= msg.size(); ++split) {
    Sha256Hasher h;
    h.Update(AsBytes(msg.substr(0, split))).Update(AsBytes(msg.substr(split)));
    EXPECT_EQ(h.Final(), want) << split;
  }
}

TEST(HashTest, IncrementalHasherWithNoInputHashesEmptyString) {
  EXPECT_EQ(Sha256Hasher().Final(), Sha256(ByteView()));
}

TEST(HashTest, DigestFromBytesAcceptsExactly32Bytes) {
  const Digest d = Sha256(AsBytes("abc"));
  EXPECT_EQ(DigestFromBytes(d), d);
  const Bytes short_bytes(31, 0);
  const Bytes long_bytes(33, 0);
  EXPECT_FALSE(DigestFromBytes(short_bytes));
  EXPECT_FALSE(DigestFromBytes(long_bytes));
  EXPECT_FALSE(DigestFromBytes(ByteView()));
}

}  // namespace
}  // namespace ipledger
