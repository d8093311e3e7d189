#include "ledger/log/entry.h"

#include "crypto/bytes.h"
#include "ledger/log/merkle.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

Entry SampleEntry() {
  Entry e;
  e.index = 42;
  e.time_ms = 1'764'144'000'123;  // 2025-11-26T08:00:00.123Z
  e.type = "pledge.register";
  e.envelope_sha256 = Sha256(AsBytes("envelope"));
  e.parties = {"lanyu-materials", "ccb-quzhou"};
  e.signers = {"lanyu-materials/k1", "ccb-quzhou/k1"};
  e.subjects = {"patent:2014103620773", "ABC-QZ-2024-0001"};
  return e;
}

TEST(EntryTest, LeafIsCanonicalJsonWithSortedKeysAndLists) {
  const std::string leaf = EncodeLeaf(SampleEntry());
  EXPECT_EQ(leaf,
            "{\"envelope_sha256\":\"" + HexEncode(Sha256(AsBytes("envelope"))) +
                "\",\"index\":42,\"parties\":[\"ccb-quzhou\",\"lanyu-materials\"],"
                "\"signers\":[\"ccb-quzhou/k1\",\"lanyu-materials/k1\"],"
                "\"subjects\":[\"ABC-QZ-2024-0001\",\"patent:2014103620773\"],"
                "\"time\":\"2025-11-26T08:00:00.123Z\",\"type\":\"pledge.register\",\"v\":1}");
}

TEST(EntryTest, RefusalLeafCarriesCodesAndRefusedType) {
  Entry e = SampleEntry();
  e.type = "refusal";
  e.refused = "pledge.register";
  e.codes = {"E_FEE_GRACE", "E_ALREADY_PLEDGED"};
  const std::string leaf = EncodeLeaf(e);
  EXPECT_EQ(leaf.rfind("{\"codes\":[\"E_ALREADY_PLEDGED\",\"E_FEE_GRACE\"],", 0), 0u) << leaf;
  EXPECT_NE(leaf.find("\"refused\":\"pledge.register\",\"signers\""), std::string::npos);
  auto decoded = DecodeLeaf(leaf);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->codes, (std::vector<std::string>{"E_ALREADY_PLEDGED", "E_FEE_GRACE"}));
  EXPECT_EQ(decoded->refused, "pledge.register");
}

TEST(EntryTest, DecodeRoundTripsAndSortsLists) {
  Entry e = SampleEntry();
  auto decoded = DecodeLeaf(EncodeLeaf(e));
  ASSERT_OK(decoded);
  std::sort(e.parties.begin(), e.parties.end());
  std::sort(e.signers.begin(), e.signers.end());
  std::sort(e.subjects.begin(), e.subjects.end());
  EXPECT_EQ(*decoded, e);
}

TEST(EntryTest, StringsAreEscapedAsRfc8785) {
  Entry e = SampleEntry();
  e.subjects = {"a\"b\\c\n\x01"};
  const std::string leaf = EncodeLeaf(e);
  EXPECT_NE(leaf.find(R"("a\"b\\c\n\u0001")"), std::string::npos) << leaf;
  auto decoded = DecodeLeaf(leaf);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->subjects[0], "a\"b\\c\n\x01");
}

TEST(EntryTest, DecodeRejectsAnythingNotCanonical) {
  const std::string leaf = EncodeLeaf(SampleEntry());
  std::vector<std::string> bad = {
      "", "{}", leaf + " ", " " + leaf, leaf.substr(0, leaf.size() - 1),
  };
  // Whitespace after a colon.
  std::string spaced = leaf;
  spaced.insert(spaced.find(':') + 1, " ");
  bad.push_back(spaced);
  // Unsorted list.
  std::string unsorted = leaf;
  unsorted.replace(unsorted.find("[\"ccb-quzhou\",\"lanyu-materials\"]"), 32,
                   "[\"lanyu-materials\",\"ccb-quzhou\"]");
  bad.push_back(unsorted);
  // Leading zero in the index, unknown version, unknown key.
  std::string zero = leaf;
  zero.replace(zero.find("\"index\":42"), 10, "\"index\":042");
  bad.push_back(zero);
  std::string v2 = leaf;
  v2.replace(v2.find("\"v\":1"), 5, "\"v\":2");
  bad.push_back(v2);
  std::string extra = leaf;
  extra.insert(extra.size() - 1, ",\"z\":\"x\"");
  bad.push_back(extra);
  // Codes on a non-refusal.
  bad.push_back("{\"codes\":[]," + leaf.substr(1));
  // Uppercase hex in the envelope hash.
  std::string upper = leaf;
  for (size_t i = 20; i < 84; ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  if (upper != leaf) bad.push_back(upper);
  for (const auto& b : bad) {
    EXPECT_EQ(DecodeLeaf(b).status().code(), ErrorCode::kCorruption) << b;
  }
}

TEST(EntryTest, InstantsFormatAndParseExactly) {
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(1'764'144'000'123), "2025-11-26T08:00:00.123Z");
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{951782400000},
                          std::int64_t{1'764'144'000'123}, std::int64_t{253402300799999}}) {
    auto parsed = ParseInstant(FormatInstant(ms));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, ms);
  }
  for (const char* bad :
       {"2025-11-26T08:00:00Z", "2025-11-26T08:00:00.123+08:00", "2025-02-29T00:00:00.000Z",
        "2025-13-01T00:00:00.000Z", "2025-11-26 08:00:00.123Z", "2025-11-26T24:00:00.000Z",
        "2025-11-26T08:00:00.12aZ", "1900-02-29T00:00:00.000Z"}) {
    EXPECT_EQ(ParseInstant(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_OK(ParseInstant("2000-02-29T00:00:00.000Z"));
}

}  // namespace
}  // namespace ipledger
