#include "ledger/base/encoding.h"

#include "tests/testing/testing.h"

namespace ipledger {
namespace {

TEST(EncodingTest, Fixed64IsBigEndianSoKeysSortNumerically) {
  EXPECT_EQ(EncodeFixed64BE(0x0102030405060708ULL),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
  EXPECT_LT(EncodeFixed64BE(255), EncodeFixed64BE(256));
  EXPECT_LT(EncodeFixed64BE(1), EncodeFixed64BE(1ULL << 40));
  for (std::uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, ~0ULL}) {
    EXPECT_EQ(DecodeFixed64BE(EncodeFixed64BE(v)), v);
  }
  EXPECT_FALSE(DecodeFixed64BE("1234567").has_value());
  EXPECT_FALSE(DecodeFixed64BE("123456789").has_value());
}

TEST(EncodingTest, DecimalParsingIsStrict) {
  EXPECT_EQ(ParseDecimalU64("0"), 0u);
  EXPECT_EQ(ParseDecimalU64("18446744073709551615"), ~0ULL);
  for (const char* bad : {"", "01", "-1", "+1", " 1", "1 ", "1a", "18446744073709551616"}) {
    EXPECT_FALSE(ParseDecimalU64(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ipledger
