#include "crypto/bytes.h"

#include <algorithm>
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

// The table-driven codec (for public data) and libsodium's constant-time one (for
// secrets) must agree on every input: the same encodings, the same accepted strings.
TEST(BytesTest, Base64FastAndConstantTimeCodecsAgree) {
  std::mt19937 rng(20261206);
  for (std::size_t len = 0; len < 100; ++len) {
    Bytes b(len);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    EXPECT_EQ(Base64Encode(b), Base64EncodeSecret(b));
    EXPECT_EQ(Base64DecodeSecret(Base64Encode(b)), b);
  }
  // Every string of length 4 over characters that exercise each rule: both ends of the
  // alphabet, the last group's padding bits, padding, and bytes outside the alphabet.
  const std::string chars("AQgw/+=a9-\0\x80", 12);
  std::size_t accepted = 0;
  std::string s(4, ' ');
  for (char c0 : chars) {
    for (char c1 : chars) {
      for (char c2 : chars) {
        for (char c3 : chars) {
          s = {c0, c1, c2, c3};
          const auto fast = Base64Decode(s);
          EXPECT_EQ(fast, Base64DecodeSecret(s)) << HexEncode(AsBytes(s));
          if (fast) ++accepted;
        }
      }
    }
  }
  EXPECT_GT(accepted, 1000u);  // the comparison covered valid strings, not only refusals
  // Longer strings: valid encodings with one character changed, cut or appended.
  for (int round = 0; round < 3000; ++round) {
    Bytes b(rng() % 40);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    std::string enc = Base64Encode(b);
    switch (rng() % 3) {
      case 0:
        if (!enc.empty()) enc[rng() % enc.size()] = chars[rng() % chars.size()];
        break;
      case 1:
        enc.resize(enc.size() - std::min<std::size_t>(enc.size(), rng() % 3));
        break;
      default:
        enc += chars[rng() % chars.size()];
    }
    EXPECT_EQ(Base64Decode(enc), Base64DecodeSecret(enc)) << enc;
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
