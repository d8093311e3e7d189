#include "crypto/bytes.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

Bytes B(std::string_view s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

TEST(BytesTest, AsBytesAndToStringRoundTripIncludingNul) {
  const std::string s("a\0b\xff", 4);
  const ByteView v = AsBytes(s);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[3], 0xff);
  EXPECT_EQ(ToString(v), s);
}

TEST(BytesTest, HexEncodeIsLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x0f, 0xab, 0xff}), "000fabff");
}

TEST(BytesTest, HexDecodeAcceptsEitherCase) {
  EXPECT_EQ(HexDecode("000fabff"), (Bytes{0x00, 0x0f, 0xab, 0xff}));
  EXPECT_EQ(HexDecode("000FABFF"), (Bytes{0x00, 0x0f, 0xab, 0xff}));
  EXPECT_EQ(HexDecode(""), Bytes{});
}

TEST(BytesTest, HexRoundTripsEveryByteValue) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  EXPECT_EQ(HexDecode(hex), all);
}

TEST(BytesTest, HexDecodeRejectsOddLength) {
  EXPECT_FALSE(HexDecode("0"));
  EXPECT_FALSE(HexDecode("abc"));
}

TEST(BytesTest, HexDecodeRejectsNonHexCharacters) {
  EXPECT_FALSE(HexDecode("0g"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("0 "));
  EXPECT_FALSE(HexDecode(" 00"));
  EXPECT_FALSE(HexDecode("00:11"));
  EXPECT_FALSE(HexDecode(std::string_view("0\0", 2)));
}

// RFC 4648 section 10 test vectors.
TEST(BytesTest, Base64MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded) << plain;
    EXPECT_EQ(Base64Decode(encoded), B(plain)) << encoded;
  }
}

TEST(BytesTest, Base64UsesTheStandardAlphabet) {
  EXPECT_EQ(Base64Encode(Bytes{0xfb, 0xff}), "+/8=");
  EXPECT_EQ(Base64Decode("+/8="), (Bytes{0xfb, 0xff}));
}

TEST(BytesTest, Base64RoundTripsRandomByteStrings) {
  std::mt19937 rng(20240601);
  for (std::size_t len = 0; len < 70; ++len) {
    Bytes b(len);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const std::string enc = Base64Encode(b);
    EXPECT_EQ(enc.size() % 4, 0u);
    EXPECT_EQ(Base64Decode(enc), b) << enc;
  }
}

TEST(BytesTest, Base64DecodeRejectsMissingPadding) {
  EXPECT_FALSE(Base64Decode("Zg"));
  EXPECT_FALSE(Base64Decode("Zg="));
  EXPECT_FALSE(Base64Decode("Zm8"));
}

TEST(BytesTest, Base64DecodeRejectsMisplacedOrExcessPadding) {
  EXPECT_FALSE(Base64Decode("===="));
  EXPECT_FALSE(Base64Decode("Z==="));
  EXPECT_FALSE(Base64Decode("=Zg="));
  EXPECT_FALSE(Base64Decode("Zg=a"));
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));
  EXPECT_FALSE(Base64Decode("Zm9v===="));
}

TEST(BytesTest, Base64DecodeRejectsNonZeroPaddingBits) {
  // "f" is "Zg=="; "Zh==" and "Zm9=" decode to the same bytes as "Zg==" / "Zm8=" in
  // lenient decoders, so accepting them would give one value two encodings.
  EXPECT_FALSE(Base64Decode("Zh=="));
  EXPECT_FALSE(Base64Decode("Zm9="));
  EXPECT_FALSE(Base64Decode("Zm//Zv=="));
}

TEST(BytesTest, Base64DecodeRejectsCharactersOutsideTheAlphabet) {
  EXPECT_FALSE(Base64Decode("-_8="));  // URL-safe alphabet
  EXPECT_FALSE(Base64Decode("Zm9v\n"));
  EXPECT_FALSE(Base64Decode("Zm 9v"));
  EXPECT_FALSE(Base64Decode(" Zm9v"));
  EXPECT_FALSE(Base64Decode("Zm9v Zm9v"));
  EXPECT_FALSE(Base64Decode("Zm9!"));
  EXPECT_FALSE(Base64Decode(std::string_view("Zm9\0", 4)));
}

}  // namespace
}  // namespace ipledger
