#include "ledger/log/tlog_proof.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/log/merkle.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

using nlohmann::json;

const json& Reference() {
  static const json reference =
      json::parse(testing::ReadFileOrDie(testing::VectorsDir() / "rfc6962-reference-8-leaves.json"),
                  nullptr, false);
  return reference;
}

const json& Keys() {
  static const json keys = json::parse(
      testing::ReadFileOrDie(testing::VectorsDir() / "derived/keys.json"), nullptr, false);
  return keys;
}

std::string Derived(const char* name) {
  return testing::ReadFileOrDie(testing::VectorsDir() / "derived" / name);
}

std::string ProofVector() { return Derived("tlog-proof-index5-size8.tlog-proof"); }

Bytes MustHex(const std::string& hex) {
  std::optional<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b) << hex;
  return b.value_or(Bytes{});
}

Digest MustDigest(const std::string& hex) {
  return DigestFromBytes(MustHex(hex)).value_or(Digest{});
}

Bytes Leaf(std::size_t i) { return MustHex(Reference().at("leaves_hex").at(i).get<std::string>()); }

// The reference inclusion proof of `index` in the tree of `size` from the JSON file.
std::vector<Digest> ReferenceProof(std::uint64_t index, std::uint64_t size) {
  for (const json& p : Reference().at("inclusion_proofs")) {
    if (p.at("leaf_index").get<std::uint64_t>() == index &&
        p.at("tree_size").get<std::uint64_t>() == size) {
      std::vector<Digest> out;
      for (const json& h : p.at("proof_hex")) out.push_back(MustDigest(h.get<std::string>()));
      return out;
    }
  }
  ADD_FAILURE() << "no reference proof for " << index << " in " << size;
  return {};
}

NoteVerifier LogVerifier() {
  const std::optional<NoteVerifier> v = ParseVkey(Keys().at("log").at("vkey").get<std::string>());
  EXPECT_TRUE(v);
  return v.value_or(NoteVerifier{});
}

// --- the derived vector ---------------------------------------------------------------

TEST(TlogProofTest, VectorParsesIntoItsParts) {
  const StatusOr<TlogProof> proof = ParseTlogProof(ProofVector());
  ASSERT_OK(proof);
  EXPECT_FALSE(proof->extra);
  EXPECT_EQ(proof->index, 5u);
  EXPECT_EQ(proof->inclusion_proof, ReferenceProof(5, 8));
  EXPECT_EQ(proof->checkpoint, Derived("checkpoint-size8-cosigned.note"));
}

TEST(TlogProofTest, FormatReproducesTheVectorByteForByte) {
  const StatusOr<TlogProof> parsed = ParseTlogProof(ProofVector());
  ASSERT_OK(parsed);
  EXPECT_EQ(FormatTlogProof(*parsed), ProofVector());
  TlogProof built;
  built.index = 5;
  built.inclusion_proof = ReferenceProof(5, 8);
  built.checkpoint = Derived("checkpoint-size8-cosigned.note");
  EXPECT_EQ(FormatTlogProof(built), ProofVector());
}

TEST(TlogProofTest, VectorVerifiesForLeaf5) {
  const StatusOr<Checkpoint> cp = VerifyTlogProof(ProofVector(), Leaf(5), LogVerifier());
  ASSERT_OK(cp);
  EXPECT_EQ(cp->origin, "localhost.localdev/sumdb");
  EXPECT_EQ(cp->size, 8u);
  EXPECT_EQ(cp->root, MustDigest(Reference().at("roots_by_size_hex").at("8").get<std::string>()));
}

TEST(TlogProofTest, VectorWithoutWitnessCosignatureAlsoVerifies) {
  TlogProof proof = *ParseTlogProof(ProofVector());
  proof.checkpoint = Derived("checkpoint-size8.note");
  EXPECT_OK(VerifyTlogProof(FormatTlogProof(proof), Leaf(5), LogVerifier()));
}

TEST(TlogProofTest, WrongLeafIsRejected) {
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == 5) continue;
    EXPECT_EQ(VerifyTlogProof(ProofVector(), Leaf(i), LogVerifier()).status().code(),
              ErrorCode::kFailedPrecondition)
        << i;
  }
  Bytes longer = Leaf(5);
  longer.push_back(0);
  EXPECT_EQ(VerifyTlogProof(ProofVector(), longer, LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(TlogProofTest, TamperedProofHashIsRejected) {
  const TlogProof good = *ParseTlogProof(ProofVector());
  for (std::size_t i = 0; i < good.inclusion_proof.size(); ++i) {
    TlogProof bad = good;
    bad.inclusion_proof[i][31] ^= 0x01;
    EXPECT_EQ(VerifyTlogProof(FormatTlogProof(bad), Leaf(5), LogVerifier()).status().code(),
              ErrorCode::kFailedPrecondition)
        << i;
  }
}

TEST(TlogProofTest, ProofOfWrongLengthIsRejected) {
  const TlogProof good = *ParseTlogProof(ProofVector());
  TlogProof shorter = good;
  shorter.inclusion_proof.pop_back();
  EXPECT_EQ(VerifyTlogProof(FormatTlogProof(shorter), Leaf(5), LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
  TlogProof longer = good;
  longer.inclusion_proof.push_back(good.inclusion_proof[0]);
  EXPECT_EQ(VerifyTlogProof(FormatTlogProof(longer), Leaf(5), LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
  TlogProof empty = good;
  empty.inclusion_proof.clear();
  EXPECT_EQ(VerifyTlogProof(FormatTlogProof(empty), Leaf(5), LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(TlogProofTest, WrongIndexIsRejected) {
  const TlogProof good = *ParseTlogProof(ProofVector());
  for (const std::uint64_t index : {std::uint64_t{4}, std::uint64_t{7}, std::uint64_t{8},
                                    std::uint64_t{13}, std::uint64_t{1} << 40}) {
    TlogProof bad = good;
    bad.index = index;
    EXPECT_EQ(VerifyTlogProof(FormatTlogProof(bad), Leaf(5), LogVerifier()).status().code(),
              ErrorCode::kFailedPrecondition)
        << index;
  }
}

TEST(TlogProofTest, WrongLogKeyIsRejected) {
  const SigningKey other = testing::TestKey(1);
  EXPECT_EQ(VerifyTlogProof(ProofVector(), Leaf(5),
                            MakeNoteVerifier("localhost.localdev/sumdb", other.public_key()))
                .status()
                .code(),
            ErrorCode::kFailedPrecondition);
  // The witness signed the checkpoint too, but it is not the log.
  const std::optional<NoteVerifier> witness =
      ParseVkey(Keys().at("witness").at("ed25519_note_vkey").get<std::string>());
  ASSERT_TRUE(witness);
  EXPECT_EQ(VerifyTlogProof(ProofVector(), Leaf(5), *witness).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(TlogProofTest, TamperedCheckpointIsRejected) {
  std::string text = ProofVector();
  const std::size_t at = text.find("\n8\n");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 3, "\n9\n");
  EXPECT_EQ(VerifyTlogProof(text, Leaf(5), LogVerifier()).status().code(),
            ErrorCode::kFailedPrecondition);
}

// --- every leaf of freshly signed trees ----------------------------------------------

TEST(TlogProofTest, EveryLeafOfEveryReferenceTreeVerifies) {
  const SigningKey key = testing::TestKey(1);
  const NoteVerifier verifier = MakeNoteVerifier("example.com/log", key.public_key());
  std::vector<Digest> leaf_hashes;
  for (std::size_t i = 0; i < 8; ++i) leaf_hashes.push_back(LeafHash(Leaf(i)));
  for (std::uint64_t size = 1; size <= 8; ++size) {
    const std::span<const Digest> tree(leaf_hashes.data(), size);
    const Checkpoint cp{"example.com/log", size, ReferenceRoot(tree)};
    const std::string note = SignCheckpoint(cp, key);
    for (std::uint64_t index = 0; index < size; ++index) {
      const TlogProof proof{std::nullopt, index, ReferenceInclusionProof(tree, index), note};
      const std::string text = FormatTlogProof(proof);
      const StatusOr<Checkpoint> got = VerifyTlogProof(text, Leaf(index), verifier);
      ASSERT_OK(got);
      EXPECT_EQ(*got, cp);
      const std::size_t other = (index + 1) % 8;
      EXPECT_FALSE(VerifyTlogProof(text, Leaf(other), verifier).ok()) << index << "/" << size;
    }
  }
}

// --- extra data ------------------------------------------------------------------------

TEST(TlogProofTest, ExtraDataRoundTripsAndIsNotAuthenticated) {
  TlogProof proof = *ParseTlogProof(ProofVector());
  proof.extra = Bytes{'a', 'p', 'p', 0x00, 0xff};
  const std::string text = FormatTlogProof(proof);
  EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nextra YXBwAP8=\nindex 5\n")) << text;
  const StatusOr<TlogProof> parsed = ParseTlogProof(text);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->extra, proof.extra);
  EXPECT_EQ(FormatTlogProof(*parsed), text);
  EXPECT_OK(VerifyTlogProof(text, Leaf(5), LogVerifier()));
}

TEST(TlogProofTest, EmptyExtraDataRoundTrips) {
  TlogProof proof = *ParseTlogProof(ProofVector());
  proof.extra = Bytes{};
  const std::string text = FormatTlogProof(proof);
  EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nextra \nindex 5\n")) << text;
  const StatusOr<TlogProof> parsed = ParseTlogProof(text);
  ASSERT_OK(parsed);
  ASSERT_TRUE(parsed->extra);
  EXPECT_TRUE(parsed->extra->empty());
  EXPECT_EQ(FormatTlogProof(*parsed), text);
}

// --- strict parsing ----------------------------------------------------------------------

TEST(TlogProofTest, ParseRejectsDeviationsFromTheFormat) {
  const std::string vector = ProofVector();
  const std::string header = "c2sp.org/tlog-proof@v1\n";
  const std::size_t blank = vector.find("\n\n");
  const std::size_t first_hash = vector.find("index 5\n") + 8;
  const std::string hashes = vector.substr(first_hash, blank + 1 - first_hash);  // with '\n's
  const std::string checkpoint = vector.substr(blank + 2);
  const std::string h = hashes.substr(0, hashes.find('\n'));  // one valid hash
  std::string many;
  for (int i = 0; i < 65; ++i) many += h + "\n";
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty"},
      {"c2sp.org/tlog-proof@v2\nindex 5\n" + hashes + "\n" + checkpoint, "wrong version"},
      {"c2sp.org/tlog-proof@v1\r\nindex 5\n" + hashes + "\n" + checkpoint, "CRLF header"},
      {header + hashes + "\n" + checkpoint, "no index line"},
      {header + "index 05\n" + hashes + "\n" + checkpoint, "index with leading zero"},
      {header + "index -5\n" + hashes + "\n" + checkpoint, "negative index"},
      {header + "index +5\n" + hashes + "\n" + checkpoint, "index with plus sign"},
      {header + "index 5 \n" + hashes + "\n" + checkpoint, "index with trailing space"},
      {header + "index  5\n" + hashes + "\n" + checkpoint, "index with two spaces"},
      {header + "index\n" + hashes + "\n" + checkpoint, "index without value"},
      {header + "Index 5\n" + hashes + "\n" + checkpoint, "capitalized index"},
      {header + "index 18446744073709551616\n" + hashes + "\n" + checkpoint, "index overflow"},
      {header + "extra !!!!\nindex 5\n" + hashes + "\n" + checkpoint, "extra not base64"},
      {header + "extra YQ\nindex 5\n" + hashes + "\n" + checkpoint, "extra unpadded"},
      {header + "extra YQ==\nextra YQ==\nindex 5\n" + hashes + "\n" + checkpoint, "two extras"},
      {header + "index 5\nextra YQ==\n" + hashes + "\n" + checkpoint, "extra after index"},
      {header + "index 5\n" + h.substr(0, h.size() - 1) + "\n\n" + checkpoint, "unpadded hash"},
      {header + "index 5\nAAAA\n\n" + checkpoint, "3-byte hash"},
      {header + "index 5\n" + h + "AAAA\n\n" + checkpoint, "35-byte hash"},
      {header + "index 5\n" + many + "\n" + checkpoint, "65 hashes"},
      {header + "index 5\n" + hashes, "no empty line or checkpoint"},
      {header + "index 5\n" + hashes + "\n", "empty checkpoint"},
      {header + "index 5\n" + hashes + "\n" + checkpoint.substr(0, checkpoint.find("\n\n") + 1),
       "checkpoint without signatures"},
      {header + "index 5\n" + hashes + "\n" + checkpoint + "trailing\n", "text after checkpoint"},
      {header + "index 5\n" + hashes + "\n" + "localhost.localdev/sumdb\n08\n" +
           checkpoint.substr(checkpoint.find("\n8\n") + 3),
       "checkpoint with malformed size"},
  };
  for (const auto& [text, why] : cases) {
    EXPECT_EQ(ParseTlogProof(text).status().code(), ErrorCode::kInvalidArgument) << why;
    EXPECT_EQ(VerifyTlogProof(text, Leaf(5), LogVerifier()).status().code(),
              ErrorCode::kInvalidArgument)
        << why;
  }
}

TEST(TlogProofTest, ProofWithoutHashesParses) {
  // A one-leaf tree has an empty inclusion path.
  const SigningKey key = testing::TestKey(1);
  const Checkpoint cp{"example.com/log", 1, LeafHash(Leaf(3))};
  const TlogProof proof{std::nullopt, 0, {}, SignCheckpoint(cp, key)};
  const std::string text = FormatTlogProof(proof);
  EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\nexample.com/log\n1\n"));
  const StatusOr<Checkpoint> got =
      VerifyTlogProof(text, Leaf(3), MakeNoteVerifier("example.com/log", key.public_key()));
  ASSERT_OK(got);
  EXPECT_EQ(*got, cp);
}

}  // namespace
}  // namespace ipledger
