#include "ledger/log/checkpoint.h"

#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

using nlohmann::json;

const json& LoadJson(const char* relative) {
  // One parse per file per process; the vectors are read-only.
  static std::map<std::string, json> cache;
  auto it = cache.find(relative);
  if (it == cache.end()) {
    it =
        cache
            .emplace(relative, json::parse(testing::ReadFileOrDie(testing::VectorsDir() / relative),
                                           nullptr, false))
            .first;
  }
  return it->second;
}

const json& Keys() { return LoadJson("derived/keys.json"); }
const json& Reference() { return LoadJson("rfc6962-reference-8-leaves.json"); }
const json& SignedNoteVectors() { return LoadJson("signed-note/signed-note-vectors.json"); }

std::string Derived(const char* name) {
  return testing::ReadFileOrDie(testing::VectorsDir() / "derived" / name);
}

std::string Str(const json& j, const char* key) { return j.at(key).get<std::string>(); }

constexpr std::string_view kOrigin = "localhost.localdev/sumdb";
constexpr std::uint64_t kCosignatureTime = 1700000000;

Digest RootOfSize(std::uint64_t size) {
  const std::optional<Bytes> b =
      HexDecode(Str(Reference().at("roots_by_size_hex"), std::to_string(size).c_str()));
  EXPECT_TRUE(b);
  return DigestFromBytes(b.value_or(Bytes{})).value_or(Digest{});
}

Checkpoint ReferenceCheckpoint(std::uint64_t size) {
  return Checkpoint{std::string(kOrigin), size, RootOfSize(size)};
}

std::optional<SigningKey> LogKey() { return ParseGoPrivateKey(Str(Keys().at("log"), "skey")); }
std::optional<SigningKey> WitnessKey() {
  return ParseGoPrivateKey(Str(Keys().at("witness"), "skey"));
}

NoteVerifier LogVerifier() {
  const std::optional<NoteVerifier> v = ParseVkey(Str(Keys().at("log"), "vkey"));
  EXPECT_TRUE(v);
  return v.value_or(NoteVerifier{});
}

NoteVerifier WitnessCosignatureVerifier() {
  const std::optional<NoteVerifier> v = ParseVkey(Str(Keys().at("witness"), "cosignature_v1_vkey"));
  EXPECT_TRUE(v);
  return v.value_or(NoteVerifier{});
}

// --- derived vectors: re-signing reproduces them byte for byte ----------------------

TEST(CheckpointTest, PublishedTestKeysMatchTheirVkeys) {
  const std::optional<SigningKey> log = LogKey();
  const std::optional<SigningKey> witness = WitnessKey();
  ASSERT_TRUE(log && witness);
  EXPECT_EQ(Str(Keys().at("log"), "name"), kOrigin);
  EXPECT_EQ(FormatVkey(MakeNoteVerifier(kOrigin, log->public_key())),
            Str(Keys().at("log"), "vkey"));
  EXPECT_EQ(FormatVkey(MakeNoteVerifier("PeterNeumann", witness->public_key())),
            Str(Keys().at("witness"), "ed25519_note_vkey"));
  const NoteVerifier cosigner = WitnessCosignatureVerifier();
  EXPECT_EQ(cosigner.type, kNoteSigCosignatureV1);
  EXPECT_EQ(cosigner.key, witness->public_key());
  EXPECT_EQ(Keys().at("cosignature_timestamp").get<std::uint64_t>(), kCosignatureTime);
}

TEST(CheckpointTest, SignedSize6CheckpointMatchesVectorByteForByte) {
  const std::optional<SigningKey> log = LogKey();
  ASSERT_TRUE(log);
  EXPECT_EQ(SignCheckpoint(ReferenceCheckpoint(6), *log), Derived("checkpoint-size6.note"));
}

TEST(CheckpointTest, SignedSize8CheckpointMatchesVectorByteForByte) {
  const std::optional<SigningKey> log = LogKey();
  ASSERT_TRUE(log);
  EXPECT_EQ(SignCheckpoint(ReferenceCheckpoint(8), *log), Derived("checkpoint-size8.note"));
}

TEST(CheckpointTest, CosignedSize8CheckpointMatchesVectorByteForByte) {
  const std::optional<SigningKey> log = LogKey();
  const std::optional<SigningKey> witness = WitnessKey();
  ASSERT_TRUE(log && witness);
  const Checkpoint cp = ReferenceCheckpoint(8);
  const std::string cosigned =
      SignCheckpoint(cp, *log) +
      SignCosignatureLine(FormatCheckpointText(cp), "PeterNeumann", kCosignatureTime, *witness);
  EXPECT_EQ(cosigned, Derived("checkpoint-size8-cosigned.note"));
}

TEST(CheckpointTest, CosignedMessageMatchesVectorByteForByte) {
  EXPECT_EQ(CosignatureV1Message(FormatCheckpointText(ReferenceCheckpoint(8)), kCosignatureTime),
            Derived("cosignature-v1-signed-message-size8.txt"));
}

TEST(CheckpointTest, FormatMatchesTheGoTlogTreeNote) {
  const json& golden = SignedNoteVectors().at("golang_mod_tlog_tree_note");
  Bytes leaf = {0x00};
  const ByteView hello = AsBytes("hello world");
  leaf.insert(leaf.end(), hello.begin(), hello.end());
  const Checkpoint cp{"go.sum database tree", golden.at("tree_size").get<std::uint64_t>(),
                      Sha256(leaf)};
  EXPECT_EQ(FormatCheckpointText(cp), Str(golden, "formatted"));
  const StatusOr<Checkpoint> parsed = ParseCheckpointText(Str(golden, "formatted"));
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, cp);
}

// --- opening checkpoints ------------------------------------------------------------

TEST(CheckpointTest, OpenCheckpointReturnsTheSignedValuesOfEachVector) {
  const std::pair<const char*, std::uint64_t> files[] = {
      {"checkpoint-size6.note", 6},
      {"checkpoint-size8.note", 8},
      {"checkpoint-size8-cosigned.note", 8},
  };
  for (const auto& [file, size] : files) {
    const StatusOr<Checkpoint> cp = OpenCheckpoint(Derived(file), LogVerifier());
    ASSERT_OK(cp);
    EXPECT_EQ(*cp, ReferenceCheckpoint(size)) << file;
  }
}

TEST(CheckpointTest, CosignedCheckpointVerifiesWithLogAndWitnessKeys) {
  const std::vector<NoteVerifier> verifiers = {LogVerifier(), WitnessCosignatureVerifier()};
  const std::optional<Note> note = OpenNote(Derived("checkpoint-size8-cosigned.note"), verifiers);
  ASSERT_TRUE(note);
  EXPECT_EQ(note->text, FormatCheckpointText(ReferenceCheckpoint(8)));
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[1].name, "PeterNeumann");
  EXPECT_EQ(note->signatures[1].key_id, 0x18b9780bu);
  EXPECT_EQ(CosignatureTimestamp(note->signatures[1]), kCosignatureTime);
}

TEST(CheckpointTest, WitnessNoteKeyDoesNotVerifyItsCosignature) {
  const std::optional<NoteVerifier> ed25519 =
      ParseVkey(Str(Keys().at("witness"), "ed25519_note_vkey"));
  ASSERT_TRUE(ed25519);
  EXPECT_FALSE(OpenNote(Derived("checkpoint-size8-cosigned.note"), std::span(&*ed25519, 1)));
}

TEST(CheckpointTest, SignedCheckpointRoundTrips) {
  const SigningKey key = testing::TestKey(1);
  const Checkpoint cp{"example.com/log", 12345, Sha256(AsBytes("root"))};
  const StatusOr<Checkpoint> opened =
      OpenCheckpoint(SignCheckpoint(cp, key), MakeNoteVerifier(cp.origin, key.public_key()));
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, cp);
}

TEST(CheckpointTest, EmptyTreeCheckpointRoundTrips) {
  const SigningKey key = testing::TestKey(1);
  const Checkpoint cp{"example.com/log", 0, Sha256(ByteView())};
  const std::string note = SignCheckpoint(cp, key);
  EXPECT_TRUE(
      note.starts_with("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"));
  const StatusOr<Checkpoint> opened =
      OpenCheckpoint(note, MakeNoteVerifier(cp.origin, key.public_key()));
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, cp);
}

TEST(CheckpointTest, OpenCheckpointWithAnotherKeyFails) {
  const SigningKey other = testing::TestKey(1);
  const StatusOr<Checkpoint> cp = OpenCheckpoint(Derived("checkpoint-size8.note"),
                                                 MakeNoteVerifier(kOrigin, other.public_key()));
  EXPECT_EQ(cp.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(CheckpointTest, OpenCheckpointWithForgedKeyUnderTheRealKeyIdFails) {
  NoteVerifier forged = LogVerifier();
  forged.key = testing::TestKey(1).public_key();
  const StatusOr<Checkpoint> cp = OpenCheckpoint(Derived("checkpoint-size8.note"), forged);
  EXPECT_EQ(cp.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(CheckpointTest, OpenCheckpointRejectsTamperedSizeOrRoot) {
  std::string size_changed = Derived("checkpoint-size8.note");
  size_changed.replace(size_changed.find("\n8\n"), 3, "\n9\n");
  EXPECT_EQ(OpenCheckpoint(size_changed, LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
  std::string root_changed = Derived("checkpoint-size8.note");
  root_changed.replace(root_changed.find("XcnaeacG"), 8, "XcnaeacH");
  EXPECT_EQ(OpenCheckpoint(root_changed, LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(CheckpointTest, OpenCheckpointRejectsOriginOtherThanTheKeyName) {
  const std::optional<SigningKey> log = LogKey();
  ASSERT_TRUE(log);
  Checkpoint cp = ReferenceCheckpoint(8);
  cp.origin = "other.example/log";
  const std::string note = SignNote(FormatCheckpointText(cp), kOrigin, *log);
  const StatusOr<Checkpoint> opened = OpenCheckpoint(note, LogVerifier());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(CheckpointTest, OpenCheckpointRejectsACosignatureKeyAsLogKey) {
  const StatusOr<Checkpoint> cp =
      OpenCheckpoint(Derived("checkpoint-size8-cosigned.note"), WitnessCosignatureVerifier());
  EXPECT_EQ(cp.status().code(), ErrorCode::kInvalidArgument);
}

TEST(CheckpointTest, OpenCheckpointRejectsMalformedNotes) {
  const std::string text = FormatCheckpointText(ReferenceCheckpoint(8));
  for (const std::string& bad : {std::string(), std::string("garbage"), text, text + "\n",
                                 Derived("checkpoint-size8.note") + "trailing\n"}) {
    EXPECT_EQ(OpenCheckpoint(bad, LogVerifier()).status().code(), ErrorCode::kInvalidArgument)
        << bad;
  }
}

TEST(CheckpointTest, SignedNoteWithMalformedCheckpointTextIsInvalidArgument) {
  const std::optional<SigningKey> log = LogKey();
  ASSERT_TRUE(log);
  const std::string note =
      SignNote("localhost.localdev/sumdb\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
               kOrigin, *log);
  EXPECT_EQ(OpenCheckpoint(note, LogVerifier()).status().code(), ErrorCode::kInvalidArgument);
}

TEST(CheckpointTest, SumGolangOrgCheckpointParsesButItsOriginIsNotItsKeyName) {
  const json& real = SignedNoteVectors().at("real_sum_golang_org_checkpoint");
  const std::optional<NoteVerifier> sumdb = ParseVkey(Str(real, "vkey"));
  ASSERT_TRUE(sumdb);
  const std::optional<Note> note = OpenNote(Str(real, "signed_note"), std::span(&*sumdb, 1));
  ASSERT_TRUE(note);
  const StatusOr<Checkpoint> cp = ParseCheckpointText(note->text);
  ASSERT_OK(cp);
  EXPECT_EQ(cp->origin, "go.sum database tree");
  EXPECT_EQ(cp->size, 65664258u);
  EXPECT_EQ(Base64Encode(cp->root), "WVVNVD2qx+fTq31zkj6UAqxT5X6HvGphGM+o8Thnbsg=");
  // The Go checksum DB predates "key name = origin"; OpenCheckpoint insists on it.
  EXPECT_EQ(OpenCheckpoint(Str(real, "signed_note"), *sumdb).status().code(),
            ErrorCode::kFailedPrecondition);
}

// --- strict text parsing -------------------------------------------------------------

TEST(CheckpointTest, FormatAndParseRoundTripAtTheSizeLimits) {
  for (const std::uint64_t size :
       {std::uint64_t{0}, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()}) {
    const Checkpoint cp{"example.com/log", size, Sha256(AsBytes(std::to_string(size)))};
    const StatusOr<Checkpoint> parsed = ParseCheckpointText(FormatCheckpointText(cp));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, cp);
  }
  EXPECT_TRUE(FormatCheckpointText({"o", 18446744073709551615u, Digest{}})
                  .starts_with("o\n18446744073709551615\n"));
}

TEST(CheckpointTest, ParseAcceptsAndIgnoresExtensionLines) {
  const std::string text = FormatCheckpointText(ReferenceCheckpoint(8));
  const StatusOr<Checkpoint> parsed = ParseCheckpointText(text + "ext one\nExtendo\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, ReferenceCheckpoint(8));
}

TEST(CheckpointTest, ParseAcceptsTheSpecExampleText) {
  const std::string example =
      Str(SignedNoteVectors().at("c2sp_format_examples_unverifiable"), "tlog_checkpoint_example");
  const StatusOr<Checkpoint> cp = ParseCheckpointText(example.substr(0, example.find("\n\n") + 1));
  ASSERT_OK(cp);
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
}

TEST(CheckpointTest, ParseRejectsDeviationsFromTheStrictFormat) {
  const std::string root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty"},
      {"o\n8\n" + root, "no final newline"},
      {"o\n8\n", "missing root line"},
      {"o\n", "missing size and root lines"},
      {"\n8\n" + root + "\n", "empty origin"},
      {"o\n\n" + root + "\n", "empty size"},
      {"o\n8\n\n", "empty root"},
      {"o\n08\n" + root + "\n", "leading zero"},
      {"o\n00\n" + root + "\n", "zero with leading zero"},
      {"o\n+8\n" + root + "\n", "plus sign"},
      {"o\n-8\n" + root + "\n", "minus sign"},
      {"o\n 8\n" + root + "\n", "leading space"},
      {"o\n8 \n" + root + "\n", "trailing space"},
      {"o\n0x8\n" + root + "\n", "hex size"},
      {"o\n18446744073709551616\n" + root + "\n", "size overflows 64 bits"},
      {"o\n8\n" + root.substr(0, root.size() - 1) + "\n", "unpadded root"},
      {"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", "non-zero padding bits"},
      {"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n", "URL-safe base64"},
      {"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", "31-byte root"},
      {"o\n8\n" + root + "AAAA\n", "35-byte root"},
      {"o\n8\n" + root + "\n\n", "empty extension line"},
      {"o\n8\n" + root + "\n\next\n", "empty line before extension"},
      {"o\r\n8\r\n" + root + "\r\n", "CRLF line ends"},
      {"o\r\n8\n" + root + "\n", "carriage return in origin"},
      {"o\t\n8\n" + root + "\n", "tab in origin"},
  };
  for (const auto& [text, why] : cases) {
    const StatusOr<Checkpoint> cp = ParseCheckpointText(text);
    EXPECT_EQ(cp.status().code(), ErrorCode::kInvalidArgument) << why;
  }
}

}  // namespace
}  // namespace ipledger
