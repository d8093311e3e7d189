#include "ledger/log/search_certificate.h"

#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

constexpr std::string_view kOrigin = "ipledger.test/log";

SearchCertificate Pledged() {
  SearchCertificate c;
  c.origin = std::string(kOrigin);
  c.asset = "patent:2014103620773";
  c.as_of_index = 41;
  c.tree_size = 42;
  c.root = Sha256(AsBytes(std::string_view("root")));
  c.pledged = true;
  c.pledges = {{"CCB-QZ-2026-0001", "ccb-quzhou", "registered", 17},
               {"PL-2", "icbc-hz", "enforcing", 0}};
  return c;
}

// The text of Pledged(), written out: the published form (as the server emits it).
std::string PledgedText() {
  return "ipledger.search-certificate/v1\n"
         "origin ipledger.test/log\n"
         "asset patent:2014103620773\n"
         "as-of 41\n"
         "tree-size 42\n"
         "root " +
         Base64Encode(Sha256(AsBytes(std::string_view("root")))) +
         "\n"
         "status pledged\n"
         "pledge CCB-QZ-2026-0001 ccb-quzhou registered 17\n"
         "pledge PL-2 icbc-hz enforcing 0\n";
}

// `text` with its line `number` (1-based) replaced by `line`.
std::string WithLine(const std::string& text, std::size_t number, const std::string& line) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  lines.at(number - 1) = line;
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(SearchCertificateTest, FormatWritesThePublishedLines) {
  EXPECT_EQ(FormatSearchCertificate(Pledged()), PledgedText());
}

TEST(SearchCertificateTest, RoundTripsPledgedAndNotPledged) {
  const SearchCertificate pledged = Pledged();
  StatusOr<SearchCertificate> back = ParseSearchCertificate(FormatSearchCertificate(pledged));
  ASSERT_OK(back);
  EXPECT_EQ(*back, pledged);

  SearchCertificate free = Pledged();
  free.pledged = false;
  free.pledges.clear();
  free.as_of_index = 0;
  free.tree_size = 1;
  const std::string text = FormatSearchCertificate(free);
  EXPECT_NE(text.find("\nstatus not-pledged\n"), std::string::npos) << text;
  back = ParseSearchCertificate(text);
  ASSERT_OK(back);
  EXPECT_EQ(*back, free);
}

TEST(SearchCertificateTest, EveryMalformedLineIsRefusedAndNamed) {
  const std::string good = PledgedText();
  ASSERT_OK(ParseSearchCertificate(good));
  const std::string root = Base64Encode(Pledged().root);
  struct Case {
    std::size_t line;
    std::string text;
  };
  const std::vector<Case> cases = {
      {1, "ipledger.search-certificate/v2"},
      {1, "ipledger.search-certificate/v1 "},
      {2, "origin"},
      {2, "origin "},
      {2, "origin a b"},
      {2, "origins ipledger.test/log"},
      {2, "asset patent:2014103620773"},
      {3, "asset  patent:2014103620773"},
      {3, "asset patent:2014103620773 "},
      {3, "Asset patent:2014103620773"},
      {4, "as-of 041"},
      {4, "as-of -1"},
      {4, "as-of +41"},
      {4, "as-of 42"},  // not below tree-size
      {4, "as-of 18446744073709551616"},
      {4, "as-of"},
      {5, "tree-size 0x2a"},
      {5, "tree-size 41"},  // as-of no longer below it
      {5, "tree-size"},
      {6, "root " + root.substr(0, root.size() - 1)},
      {6, "root " + Base64Encode(AsBytes(std::string_view("short")))},
      {6, "root " + root + " x"},
      {6, "root"},
      {7, "status"},
      {7, "status yes"},
      {7, "status not-pledged"},  // but pledge lines follow
      {7, "status pledged extra"},
      {8, "pledge CCB-QZ-2026-0001 ccb-quzhou registered"},
      {8, "pledge CCB-QZ-2026-0001 ccb-quzhou registered 17 more"},
      {8, "pledge CCB-QZ-2026-0001 ccb-quzhou registered 017"},
      {8, "pledge CCB-QZ-2026-0001  ccb-quzhou registered 17"},
      {8, "pledge CCB-QZ-2026-0001 ccb-quzhou registered x"},
      {8, "pledges CCB-QZ-2026-0001 ccb-quzhou registered 17"},
      {9, ""},
      {9, "note: extension lines are not allowed"},
  };
  for (const Case& c : cases) {
    const std::string bad = WithLine(good, c.line, c.text);
    StatusOr<SearchCertificate> got = ParseSearchCertificate(bad);
    ASSERT_FALSE(got.ok()) << "line " << c.line << " '" << c.text << "' was accepted";
    EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument) << got.status().ToString();
    EXPECT_FALSE(got.status().message().empty());
    // A wrong line is named by its number (the pledged/pledge-lines mismatch is about
    // the whole text, and says so).
    if (c.text != "status not-pledged") {
      EXPECT_NE(got.status().message().find("line " + std::to_string(c.line)), std::string::npos)
          << got.status().message();
    }
  }
}

TEST(SearchCertificateTest, MissingExtraOrControlCharactersAreRefused) {
  const std::string good = PledgedText();
  const std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() - 1),               // no final newline
      good + "\n",                                   // an empty last line
      "ipledger.search-certificate/v1\norigin x\n",  // too few lines
      good.substr(0, good.find("status pledged")),   // the status missing
      WithLine(good, 3, "asset patent:\t2014"),      // a control character
      WithLine(good, 3, "asset patent:\x7f"),
      WithLine(good, 8, "pledge a b c 1\r"),
      "\n" + good,  // a line before the header
  };
  for (const std::string& text : bad) {
    StatusOr<SearchCertificate> got = ParseSearchCertificate(text);
    ASSERT_FALSE(got.ok()) << "accepted: " << text;
    EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument);
  }
  // Pledged without any pledge line.
  SearchCertificate c = Pledged();
  c.pledges.clear();
  StatusOr<SearchCertificate> got = ParseSearchCertificate(FormatSearchCertificate(c));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument);
}

TEST(SearchCertificateTest, OpenChecksTheLogSignatureAndOrigin) {
  const SigningKey key = testing::TestKey(1);
  const NoteVerifier log_key = MakeNoteVerifier(kOrigin, key.public_key());
  const std::string note = SignNote(PledgedText(), kOrigin, key);
  StatusOr<SearchCertificate> opened = OpenSearchCertificate(note, log_key);
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, Pledged());

  // Another key under the same name: not signed by the log.
  const NoteVerifier other = MakeNoteVerifier(kOrigin, testing::TestKey(2).public_key());
  opened = OpenSearchCertificate(note, other);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);

  // A changed claim no longer verifies (even if it still parses).
  std::string forged = note;
  forged.replace(forged.find("registered 17"), 13, "registered 18");
  opened = OpenSearchCertificate(forged, log_key);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);

  // Signed by the log key, but naming another origin.
  const std::string elsewhere =
      SignNote(WithLine(PledgedText(), 2, "origin other.example/log"), kOrigin, key);
  opened = OpenSearchCertificate(elsewhere, log_key);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);

  // Signed, but not a search certificate; and not a note at all.
  opened = OpenSearchCertificate(SignNote("hello\n", kOrigin, key), log_key);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidArgument);
  opened = OpenSearchCertificate(PledgedText(), log_key);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipledger
