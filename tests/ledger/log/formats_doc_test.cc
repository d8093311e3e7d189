// docs/formats.md: every example of its log-formats section (the blocks after an
// `<!-- example: NAME -->` marker) verifies with the project's own code, so the document
// an outside verifier reads cannot drift from what the log produces.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "ledger/log/search_certificate.h"
#include "ledger/log/tile.h"
#include "ledger/log/tlog_proof.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

// The examples of docs/formats.md by name: the text between the code fences that follow
// each marker, every line ending in '\n'.
const std::map<std::string, std::string>& Examples() {
  static const std::map<std::string, std::string> examples = [] {
    std::map<std::string, std::string> out;
    std::istringstream doc(testing::ReadFileOrDie(
        testing::VectorsDir().parent_path().parent_path() / "docs" / "formats.md"));
    const std::string marker = "<!-- example: ";
    std::string line, name;
    bool in_block = false;
    while (std::getline(doc, line)) {
      if (in_block) {
        if (line == "```") {
          in_block = false;
          name.clear();
        } else {
          out[name] += line + "\n";
        }
      } else if (line.rfind(marker, 0) == 0) {
        name = line.substr(marker.size(), line.find(" -->") - marker.size());
      } else if (!name.empty() && line.rfind("```", 0) == 0) {
        in_block = true;
        out[name];
      }
    }
    return out;
  }();
  return examples;
}

const std::string& Example(const std::string& name) {
  static const std::string missing;
  auto it = Examples().find(name);
  if (it == Examples().end()) {
    ADD_FAILURE() << "docs/formats.md has no example " << name;
    return missing;
  }
  return it->second;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

NoteVerifier LogKey() {
  auto v = ParseVkey(Trimmed(Example("vkey")));
  EXPECT_TRUE(v.has_value()) << Example("vkey");
  return v.value_or(NoteVerifier{});
}

std::map<std::string, std::string> KeyValueLines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string k, v;
  while (in >> k >> v) out[k] = v;
  return out;
}

TEST(FormatsDocTest, HasEveryExample) {
  for (const char* name :
       {"leaf", "hashes", "vkey", "checkpoint", "tile-paths", "tlog-proof", "search-certificate"}) {
    EXPECT_FALSE(Example(name).empty()) << name;
  }
}

TEST(FormatsDocTest, LeafIsCanonicalAndHashesAsStated) {
  const std::string leaf = Trimmed(Example("leaf"));
  auto entry = DecodeLeaf(leaf);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->index, 5u);
  EXPECT_EQ(EncodeLeaf(*entry), leaf);
  const auto h = KeyValueLines(Example("hashes"));
  EXPECT_EQ(HexEncode(LeafHash(AsBytes(leaf))), h.at("leaf-hash"));
  // The RFC 6962 test tree's leaves "" and 0x00, and their parent.
  EXPECT_EQ(HexEncode(LeafHash(ByteView{})), h.at("left"));
  const Bytes zero = {0x00};
  EXPECT_EQ(HexEncode(LeafHash(zero)), h.at("right"));
  EXPECT_EQ(HexEncode(NodeHash(LeafHash(ByteView{}), LeafHash(zero))), h.at("node"));
}

TEST(FormatsDocTest, VkeyKeyHashIsAsDescribed) {
  const NoteVerifier v = LogKey();
  EXPECT_EQ(v.name, "localhost.localdev/sumdb");
  EXPECT_EQ(FormatVkey(v), Trimmed(Example("vkey")));
  // SHA-256(name || 0x0A || 0x01 || key), first 4 bytes big-endian.
  Bytes input(v.name.begin(), v.name.end());
  input.push_back(0x0A);
  input.push_back(0x01);
  input.insert(input.end(), v.key.begin(), v.key.end());
  const Digest d = Sha256(input);
  const std::uint32_t want = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                             (std::uint32_t{d[2]} << 8) | std::uint32_t{d[3]};
  EXPECT_EQ(v.key_id, want);
  EXPECT_EQ(NoteKeyId(v.name, kNoteSigEd25519, v.key), want);
}

TEST(FormatsDocTest, CheckpointSignatureCoversExactlyTheText) {
  const std::string& note = Example("checkpoint");
  auto cp = OpenCheckpoint(note, LogKey());
  ASSERT_OK(cp);
  EXPECT_EQ(cp->size, 8u);
  auto parsed = ParseNote(note);
  ASSERT_TRUE(parsed.has_value());
  // The signed message: the first three lines with their newlines, 72 bytes.
  const std::string text = note.substr(0, note.find("\n\n") + 1);
  EXPECT_EQ(parsed->text, text);
  EXPECT_EQ(text.size(), 72u);
  ASSERT_EQ(parsed->signatures.size(), 2u);
  const NoteSignature& sig = parsed->signatures[0];
  EXPECT_EQ(sig.key_id, LogKey().key_id);
  auto raw = SignatureFromBytes(sig.blob);
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(Verify(LogKey().key, AsBytes(text), *raw));
  EXPECT_FALSE(Verify(LogKey().key, AsBytes(text + "\n"), *raw));  // not the empty line
  // The second line is a cosignature: 8-byte timestamp then 64-byte signature.
  EXPECT_EQ(parsed->signatures[1].blob.size(), 72u);
  std::string tampered = note;
  tampered[note.find("\n8\n") + 1] = '9';
  EXPECT_FALSE(OpenCheckpoint(tampered, LogKey()).ok());
}

TEST(FormatsDocTest, TilePathsAreAsListed) {
  std::istringstream in(Example("tile-paths"));
  std::string level, path;
  std::uint64_t index = 0;
  std::uint32_t width = 0;
  int n = 0;
  while (in >> level >> index >> width >> path) {
    TileRef t;
    t.entries = level == "entries";
    t.level = t.entries ? 0 : std::stoi(level);
    t.index = index;
    t.width = width;
    EXPECT_EQ(TilePath(t), path);
    auto back = ParseTilePath(path);
    ASSERT_OK(back);
    EXPECT_EQ(*back, t);
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST(FormatsDocTest, TlogProofVerifiesForItsLeafOnly) {
  const Bytes leaf = {0x40, 0x41, 0x42, 0x43};
  auto cp = VerifyTlogProof(Example("tlog-proof"), leaf, LogKey());
  ASSERT_OK(cp);
  EXPECT_EQ(cp->size, 8u);
  const Bytes other = {0x40, 0x41, 0x42};
  EXPECT_FALSE(VerifyTlogProof(Example("tlog-proof"), other, LogKey()).ok());
}

TEST(FormatsDocTest, SearchCertificateVerifiesAndSaysWhatTheDocSays) {
  auto cert = OpenSearchCertificate(Example("search-certificate"), LogKey());
  ASSERT_OK(cert);
  EXPECT_EQ(cert->asset, "patent:2019108523768");
  EXPECT_EQ(cert->as_of_index, 7u);
  EXPECT_TRUE(cert->pledged);
  ASSERT_EQ(cert->pledges.size(), 1u);
  EXPECT_EQ(cert->pledges[0].registered_index, 5u);
  // Against the example checkpoint's tree.
  auto cp = OpenCheckpoint(Example("checkpoint"), LogKey());
  ASSERT_OK(cp);
  EXPECT_EQ(cert->tree_size, cp->size);
  EXPECT_EQ(cert->root, cp->root);
}

}  // namespace
}  // namespace ipledger
