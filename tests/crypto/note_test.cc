#include "crypto/note.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "tests/testing/testing.h"
#include "tests/testing/vectors.h"

namespace ipledger {
namespace {

using nlohmann::json;

// vectors/signed-note/signed-note-vectors.json (see vectors/README.txt for sources).
const json& Vectors() {
  static const json vectors = json::parse(
      testing::ReadFileOrDie(testing::VectorsDir() / "signed-note/signed-note-vectors.json"),
      nullptr, false);
  return vectors;
}

std::string Str(const json& j, const char* key) { return j.at(key).get<std::string>(); }

const json& GoTests() { return Vectors().at("golang_mod_note_tests"); }
const json& Cosig() { return Vectors().at("transparency_dev_formats_cosignature"); }

NoteVerifier MustParseVkey(std::string_view vkey) {
  std::optional<NoteVerifier> v = ParseVkey(vkey);
  EXPECT_TRUE(v) << vkey;
  return v.value_or(NoteVerifier{});
}

std::vector<NoteVerifier> Verifiers(std::initializer_list<std::string_view> vkeys) {
  std::vector<NoteVerifier> out;
  for (const std::string_view vkey : vkeys) out.push_back(MustParseVkey(vkey));
  return out;
}

// The note "text\n\nsig1sig2..." from the golang/mod tests.
std::string GoNote(std::initializer_list<std::string_view> sig_lines) {
  std::string note = Str(GoTests(), "note_text") + "\n";
  for (const std::string_view line : sig_lines) note.append(line);
  return note;
}

// A cosignature/v1 verifier for `key` (what ParseVkey returns for a type 0x04 vkey).
NoteVerifier CosignatureVerifier(std::string_view name, const PublicKey& key) {
  NoteVerifier v;
  v.name = std::string(name);
  v.type = kNoteSigCosignatureV1;
  v.key = key;
  v.key_id = NoteKeyId(name, kNoteSigCosignatureV1, key);
  return v;
}

// Decodes the base64 of a signature line "— <name> <base64>\n".
Bytes SignatureLineBytes(std::string_view line) {
  const std::size_t space = line.rfind(' ');
  std::string_view b64 = line.substr(space + 1);
  if (b64.ends_with('\n')) b64.remove_suffix(1);
  return Base64Decode(b64).value_or(Bytes{});
}

constexpr std::string_view kCheckpointText =
    "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

// --- C2SP signed-note worked example -----------------------------------------------

TEST(NoteTest, SpecExampleVkeyHasKeyId530d903a) {
  const json& ex = Vectors().at("c2sp_signed_note_example");
  const std::optional<NoteVerifier> v = ParseVkey(Str(ex, "vkey"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->name, "example.com/foo");
  EXPECT_EQ(v->type, kNoteSigEd25519);
  EXPECT_EQ(v->key_id, 0x530d903au);
  const std::string key_hex = HexEncode(v->key);
  EXPECT_TRUE(key_hex.starts_with("e932791a")) << key_hex;
  EXPECT_TRUE(key_hex.ends_with("4da4")) << key_hex;
  EXPECT_EQ(NoteKeyId("example.com/foo", kNoteSigEd25519, v->key), 0x530d903au);
}

TEST(NoteTest, KeyIdIsSha256OfNameNewlineTypeAndKey) {
  const NoteVerifier v = MustParseVkey(Str(Vectors().at("c2sp_signed_note_example"), "vkey"));
  Bytes preimage;
  const ByteView name = AsBytes("example.com/foo");
  preimage.insert(preimage.end(), name.begin(), name.end());
  preimage.push_back('\n');
  preimage.push_back(0x01);
  preimage.insert(preimage.end(), v.key.begin(), v.key.end());
  EXPECT_TRUE(HexEncode(Sha256(preimage)).starts_with("530d903a7ea3"));
}

TEST(NoteTest, FormatVkeyReproducesTheSpecExample) {
  const std::string vkey = Str(Vectors().at("c2sp_signed_note_example"), "vkey");
  EXPECT_EQ(FormatVkey(MustParseVkey(vkey)), vkey);
}

TEST(NoteTest, SpecExampleNoteVerifies) {
  const json& ex = Vectors().at("c2sp_signed_note_example");
  const std::vector<NoteVerifier> verifiers = Verifiers({Str(ex, "vkey")});
  const std::optional<Note> note = OpenNote(Str(ex, "signed_note"), verifiers);
  ASSERT_TRUE(note);
  EXPECT_EQ(note->text, Str(ex, "note_text"));
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, "example.com/foo");
  EXPECT_EQ(note->signatures[0].key_id, 0x530d903au);
  EXPECT_EQ(note->signatures[0].blob.size(), 64u);
}

TEST(NoteTest, SpecExampleSignatureBlobIs68Bytes) {
  const std::string signed_note = Str(Vectors().at("c2sp_signed_note_example"), "signed_note");
  EXPECT_EQ(SignatureLineBytes(signed_note).size(), 68u);
}

TEST(NoteTest, SpecExampleWithTamperedTextIsRejected) {
  const json& ex = Vectors().at("c2sp_signed_note_example");
  std::string signed_note = Str(ex, "signed_note");
  signed_note[0] = 't';
  EXPECT_FALSE(OpenNote(signed_note, Verifiers({Str(ex, "vkey")})));
}

// --- golang.org/x/mod/sumdb/note tests ----------------------------------------------

TEST(NoteTest, GoTestPrivateKeyMatchesItsVerifierKey) {
  const std::optional<SigningKey> key = ParseGoPrivateKey(Str(GoTests(), "peter_skey_TEST_ONLY"));
  ASSERT_TRUE(key);
  EXPECT_EQ(FormatVkey(MakeNoteVerifier("PeterNeumann", key->public_key())),
            Str(GoTests(), "peter_vkey"));
}

TEST(NoteTest, GoTestKeySignatureIsByteReproducible) {
  const std::optional<SigningKey> key = ParseGoPrivateKey(Str(GoTests(), "peter_skey_TEST_ONLY"));
  ASSERT_TRUE(key);
  const std::string text = Str(GoTests(), "note_text");
  EXPECT_EQ(SignNoteLine(text, "PeterNeumann", *key), Str(GoTests(), "peter_sig_line"));
  EXPECT_EQ(SignNote(text, "PeterNeumann", *key), GoNote({Str(GoTests(), "peter_sig_line")}));
}

TEST(NoteTest, GoNoteWithTwoSignersVerifiesWithBothKeys) {
  const std::string note =
      GoNote({Str(GoTests(), "peter_sig_line"), Str(GoTests(), "enoch_sig_line")});
  const std::vector<NoteVerifier> verifiers =
      Verifiers({Str(GoTests(), "peter_vkey"), Str(GoTests(), "enoch_vkey")});
  const std::optional<Note> opened = OpenNote(note, verifiers);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->text, Str(GoTests(), "note_text"));
  ASSERT_EQ(opened->signatures.size(), 2u);
  EXPECT_EQ(opened->signatures[0].name, "PeterNeumann");
  EXPECT_EQ(opened->signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(opened->signatures[1].name, "EnochRoot");
  EXPECT_EQ(opened->signatures[1].key_id, 0xaf0cfe78u);
}

TEST(NoteTest, SignatureOfUnknownSignerIsIgnored) {
  const std::string note =
      GoNote({Str(GoTests(), "peter_sig_line"), Str(GoTests(), "enoch_sig_line")});
  const std::optional<Note> by_peter = OpenNote(note, Verifiers({Str(GoTests(), "peter_vkey")}));
  ASSERT_TRUE(by_peter);
  ASSERT_EQ(by_peter->signatures.size(), 1u);
  EXPECT_EQ(by_peter->signatures[0].name, "PeterNeumann");
  const std::optional<Note> by_enoch = OpenNote(note, Verifiers({Str(GoTests(), "enoch_vkey")}));
  ASSERT_TRUE(by_enoch);
  ASSERT_EQ(by_enoch->signatures.size(), 1u);
  EXPECT_EQ(by_enoch->signatures[0].name, "EnochRoot");
}

TEST(NoteTest, GoNegativeVkeysAreRejected) {
  for (const json& neg : GoTests().at("negative_vkeys")) {
    EXPECT_FALSE(ParseVkey(Str(neg, "vkey"))) << Str(neg, "why");
  }
}

TEST(NoteTest, GoMalformedNotesAreRejected) {
  const std::vector<NoteVerifier> verifiers = Verifiers({Str(GoTests(), "peter_vkey")});
  int checked = 0;
  for (const json& neg : GoTests().at("negative_notes")) {
    std::string note;
    if (neg.contains("note")) {
      note = Str(neg, "note");
    } else {
      // "note_text + '\n' + peter_sig_line * 101"
      note = GoNote({});
      for (int i = 0; i < 101; ++i) note += Str(GoTests(), "peter_sig_line");
    }
    EXPECT_FALSE(ParseNote(note)) << Str(neg, "desc");
    EXPECT_FALSE(OpenNote(note, verifiers)) << Str(neg, "desc");
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(NoteTest, HundredSignaturesAreAcceptedAndRepeatsCountOnce) {
  std::string note = GoNote({});
  for (int i = 0; i < 100; ++i) note += Str(GoTests(), "peter_sig_line");
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->signatures.size(), 100u);
  const std::optional<Note> opened = OpenNote(note, Verifiers({Str(GoTests(), "peter_vkey")}));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->signatures.size(), 1u);
}

TEST(NoteTest, SixteenDistinctSignersAllVerify) {
  const std::string text = Str(GoTests(), "note_text");
  std::string note = text + "\n";
  std::vector<NoteVerifier> verifiers;
  for (int i = 0; i < 16; ++i) {
    const SigningKey key = testing::TestKey(100 + i);
    const std::string name = "witness" + std::to_string(i) + ".example";
    note += SignNoteLine(text, name, key);
    verifiers.push_back(MakeNoteVerifier(name, key.public_key()));
  }
  const std::optional<Note> opened = OpenNote(note, verifiers);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->signatures.size(), 16u);
}

TEST(NoteTest, FailingKnownSignatureRejectsTheWholeNote) {
  std::string enoch = Str(GoTests(), "enoch_sig_line");
  // Flip one base64 character inside the Ed25519 signature (past the key id).
  const std::size_t pos = enoch.size() - 20;
  enoch[pos] = enoch[pos] == 'A' ? 'B' : 'A';
  const std::string note = GoNote({Str(GoTests(), "peter_sig_line"), enoch});
  ASSERT_TRUE(ParseNote(note));
  EXPECT_FALSE(
      OpenNote(note, Verifiers({Str(GoTests(), "peter_vkey"), Str(GoTests(), "enoch_vkey")})));
  // The same corrupted signature is ignored when its signer is unknown.
  EXPECT_TRUE(OpenNote(note, Verifiers({Str(GoTests(), "peter_vkey")})));
}

TEST(NoteTest, NoteWithNoKnownSignerIsRejected) {
  const std::string note = GoNote({Str(GoTests(), "peter_sig_line")});
  EXPECT_FALSE(OpenNote(note, Verifiers({Str(GoTests(), "enoch_vkey")})));
  EXPECT_FALSE(OpenNote(note, std::span<const NoteVerifier>()));
}

TEST(NoteTest, SignatureMatchingOnlyNameOrOnlyKeyIdIsIgnored) {
  const std::string text = Str(GoTests(), "note_text");
  const SigningKey other = testing::TestKey(1);
  // Right name, other key (so another key id).
  const std::string same_name = SignNoteLine(text, "PeterNeumann", other);
  // Peter's exact signature under another name: same key id, name unknown.
  std::string peter = Str(GoTests(), "peter_sig_line");
  std::string renamed = peter;
  renamed.replace(renamed.find("PeterNeumann"), 12, "PeterNeumann2");
  const std::vector<NoteVerifier> verifiers = Verifiers({Str(GoTests(), "peter_vkey")});
  EXPECT_FALSE(OpenNote(GoNote({same_name}), verifiers));
  EXPECT_FALSE(OpenNote(GoNote({renamed}), verifiers));
  const std::optional<Note> opened = OpenNote(GoNote({same_name, renamed, peter}), verifiers);
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->signatures.size(), 1u);
  EXPECT_EQ(opened->signatures[0].key_id, 0xc74f20a3u);
}

// --- a real sum.golang.org checkpoint -----------------------------------------------

TEST(NoteTest, RealSumGolangOrgCheckpointVerifies) {
  const json& real = Vectors().at("real_sum_golang_org_checkpoint");
  const std::string file =
      testing::ReadFileOrDie(testing::VectorsDir() / "signed-note/sum.golang.org-checkpoint.note");
  EXPECT_EQ(file, Str(real, "signed_note"));
  const std::optional<Note> note = OpenNote(file, Verifiers({Str(real, "vkey")}));
  ASSERT_TRUE(note);
  EXPECT_EQ(note->text,
            "go.sum database tree\n65664258\nWVVNVD2qx+fTq31zkj6UAqxT5X6HvGphGM+o8Thnbsg=\n");
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, "sum.golang.org");
  EXPECT_EQ(note->signatures[0].key_id, 0x033de0aeu);
}

TEST(NoteTest, TamperedSumGolangOrgCheckpointIsRejected) {
  const json& real = Vectors().at("real_sum_golang_org_checkpoint");
  std::string note = Str(real, "signed_note");
  note.replace(note.find("65664258"), 8, "65664259");
  EXPECT_FALSE(OpenNote(note, Verifiers({Str(real, "vkey")})));
}

// --- transparency-dev/formats cosignature vectors -----------------------------------

TEST(NoteTest, CosignatureVectorValidVkeysParse) {
  const json& valid = Cosig().at("valid_vkeys");
  ASSERT_EQ(valid.size(), 2u);
  // The base64 of the first contains '+': only the first two '+' separate fields.
  const NoteVerifier ed = MustParseVkey(Str(valid[0], "vkey"));
  EXPECT_EQ(ed.name, "TEST");
  EXPECT_EQ(ed.type, kNoteSigEd25519);
  EXPECT_EQ(ed.key_id, 0x7997405cu);
  EXPECT_EQ(FormatVkey(ed), Str(valid[0], "vkey"));
  const NoteVerifier witness = MustParseVkey(Str(valid[1], "vkey"));
  EXPECT_EQ(witness.name, "remora.n621.de");
  EXPECT_EQ(witness.type, kNoteSigCosignatureV1);
  EXPECT_EQ(witness.key_id, 0xda77ade7u);
  EXPECT_EQ(FormatVkey(witness), Str(valid[1], "vkey"));
}

TEST(NoteTest, CosignatureVectorInvalidVkeysAreRejected) {
  for (const json& vkey : Cosig().at("invalid_vkeys")) {
    EXPECT_FALSE(ParseVkey(vkey.get<std::string>())) << vkey;
  }
}

TEST(NoteTest, CosignatureTimestampVectorParses) {
  const json& vec = Cosig().at("cosignature_timestamp_vector");
  const std::string note = std::string(kCheckpointText) + "\n\xE2\x80\x94 witness.example " +
                           Str(vec, "sig_base64") + "\n";
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  const NoteSignature& sig = parsed->signatures[0];
  EXPECT_EQ(sig.key_id, 0x646846b9u);
  EXPECT_EQ(sig.blob.size() + 4, vec.at("blob_len").get<std::size_t>());
  EXPECT_EQ(CosignatureTimestamp(sig), vec.at("timestamp").get<std::uint64_t>());
}

TEST(NoteTest, Ed25519SignatureHasNoCosignatureTimestamp) {
  const std::string note = std::string(kCheckpointText) + "\n\xE2\x80\x94 witness.example " +
                           Str(Cosig(), "wrong_type_sig_base64") + "\n";
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].blob.size(), 64u);
  EXPECT_FALSE(CosignatureTimestamp(parsed->signatures[0]));
}

TEST(NoteTest, CosignatureTimestampAbove2To63IsRejected) {
  NoteSignature sig;
  sig.blob.assign(72, 0);
  sig.blob[0] = 0x80;
  EXPECT_FALSE(CosignatureTimestamp(sig));
  sig.blob[0] = 0x7f;
  EXPECT_EQ(CosignatureTimestamp(sig), 0x7f00000000000000u);
}

// ML-DSA-44 (type 0x06) is not supported: its vkey is refused, and its signature
// never counts as an Ed25519 one.
TEST(NoteTest, MlDsaVkeyIsNotAccepted) {
  const std::string vkey = Str(Cosig().at("mldsa44_subtree_cosignature"), "vkey");
  EXPECT_FALSE(ParseVkey(vkey));
  const std::string key64 = vkey.substr(vkey.find('+', vkey.find('+') + 1) + 1);
  const std::optional<Bytes> key = Base64Decode(key64);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 1u + 1312u);
  EXPECT_EQ((*key)[0], 0x06);
}

TEST(NoteTest, MlDsaSignatureIsIgnoredOrRejectedButNeverAcceptedAsEd25519) {
  const json& mldsa = Cosig().at("mldsa44_subtree_cosignature");
  const SigningKey log = testing::TestKey(1);
  const std::string note = std::string(kCheckpointText) + "\n" +
                           SignNoteLine(kCheckpointText, "example.com/log", log) +
                           Str(mldsa, "sig_line");
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->signatures.size(), 2u);
  EXPECT_EQ(parsed->signatures[1].name, "witness.example/w1");
  EXPECT_EQ(parsed->signatures[1].key_id, 0x7118e8f9u);
  EXPECT_EQ(parsed->signatures[1].blob.size(), 8u + 2420u);
  EXPECT_FALSE(CosignatureTimestamp(parsed->signatures[1]));

  // Unknown signer: ignored, the log signature carries the note.
  const NoteVerifier log_verifier = MakeNoteVerifier("example.com/log", log.public_key());
  const std::optional<Note> opened = OpenNote(note, std::span(&log_verifier, 1));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->signatures.size(), 1u);

  // A verifier claiming that name and key id as Ed25519 or cosignature/v1 must not
  // accept it; as a known but failing signature it rejects the note.
  for (const std::uint8_t type : {kNoteSigEd25519, kNoteSigCosignatureV1}) {
    NoteVerifier impostor;
    impostor.name = "witness.example/w1";
    impostor.key_id = 0x7118e8f9u;
    impostor.type = type;
    impostor.key = testing::TestKey(2).public_key();
    EXPECT_FALSE(OpenNote(note, std::vector<NoteVerifier>{log_verifier, impostor})) << int{type};
  }
}

// --- cosignature/v1 signing and verification ----------------------------------------

TEST(NoteTest, CosignatureV1MessageMatchesTheSpecExample) {
  const json& ex = Vectors().at("c2sp_format_examples_unverifiable");
  const std::string checkpoint = Str(ex, "tlog_checkpoint_example");
  const std::string text = checkpoint.substr(0, checkpoint.find("\n\n") + 1);
  EXPECT_EQ(CosignatureV1Message(text, 1679315147),
            Str(ex, "cosignature_v1_signed_message_example"));
}

TEST(NoteTest, CosignatureSpecExampleLineHasTheCosignatureShape) {
  const json& ex = Vectors().at("c2sp_format_examples_unverifiable");
  const std::string checkpoint = Str(ex, "tlog_checkpoint_example");
  const std::string note = checkpoint + Str(ex, "tlog_cosignature_example_extra_line");
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->signatures.size(), 2u);
  EXPECT_EQ(parsed->signatures[1].name, "witness.example.com/w1");
  EXPECT_EQ(CosignatureTimestamp(parsed->signatures[1]), 1679315147u);
}

TEST(NoteTest, CosignatureRoundTripsAndCarriesItsTimestamp) {
  const SigningKey witness = testing::TestKey(7);
  const std::string line =
      SignCosignatureLine(kCheckpointText, "witness.example/w", 1700000000, witness);
  EXPECT_EQ(SignatureLineBytes(line).size(), 76u);
  const std::string note = std::string(kCheckpointText) + "\n" + line;
  const NoteVerifier v = CosignatureVerifier("witness.example/w", witness.public_key());
  const std::optional<Note> opened = OpenNote(note, std::span(&v, 1));
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->signatures.size(), 1u);
  EXPECT_EQ(opened->signatures[0].key_id, v.key_id);
  EXPECT_EQ(CosignatureTimestamp(opened->signatures[0]), 1700000000u);
}

TEST(NoteTest, CosignatureVkeyRoundTrips) {
  const NoteVerifier v = CosignatureVerifier("witness.example/w", testing::TestKey(7).public_key());
  const std::optional<NoteVerifier> parsed = ParseVkey(FormatVkey(v));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, v.name);
  EXPECT_EQ(parsed->key_id, v.key_id);
  EXPECT_EQ(parsed->type, kNoteSigCosignatureV1);
  EXPECT_EQ(parsed->key, v.key);
}

TEST(NoteTest, CosignatureIsNotAnEd25519NoteSignature) {
  const SigningKey witness = testing::TestKey(7);
  const std::string cosigned =
      std::string(kCheckpointText) + "\n" + SignCosignatureLine(kCheckpointText, "w", 1, witness);
  const NoteVerifier as_note_key = MakeNoteVerifier("w", witness.public_key());
  EXPECT_FALSE(OpenNote(cosigned, std::span(&as_note_key, 1)));
  // Nor is an Ed25519 note signature a cosignature.
  const std::string signed_note = SignNote(kCheckpointText, "w", witness);
  const NoteVerifier as_cosigner = CosignatureVerifier("w", witness.public_key());
  EXPECT_FALSE(OpenNote(signed_note, std::span(&as_cosigner, 1)));
}

TEST(NoteTest, CosignatureCoversExtensionLines) {
  const SigningKey witness = testing::TestKey(7);
  const std::string text = std::string(kCheckpointText) + "Extendo\n";
  const std::string line = SignCosignatureLine(text, "w", 42, witness);
  const NoteVerifier v = CosignatureVerifier("w", witness.public_key());
  EXPECT_TRUE(OpenNote(text + "\n" + line, std::span(&v, 1)));
  std::string tampered = text;
  tampered[tampered.size() - 2] = '@';
  EXPECT_FALSE(OpenNote(tampered + "\n" + line, std::span(&v, 1)));
}

TEST(NoteTest, CosignatureWithAlteredTimestampIsRejected) {
  const SigningKey witness = testing::TestKey(7);
  const std::string line = SignCosignatureLine(kCheckpointText, "w", 42, witness);
  Bytes blob = SignatureLineBytes(line);
  ASSERT_EQ(blob.size(), 76u);
  blob[11] = 43;  // the timestamp's low byte
  const std::string forged =
      std::string(kCheckpointText) + "\n\xE2\x80\x94 w " + Base64Encode(blob) + "\n";
  const NoteVerifier v = CosignatureVerifier("w", witness.public_key());
  ASSERT_TRUE(ParseNote(forged));
  EXPECT_FALSE(OpenNote(forged, std::span(&v, 1)));
}

// --- key names, encodings and line syntax --------------------------------------------

TEST(NoteTest, KeyNameRulesFollowTheSpec) {
  EXPECT_TRUE(IsValidNoteKeyName("example.com/log42"));
  EXPECT_TRUE(IsValidNoteKeyName("PeterNeumann"));
  EXPECT_TRUE(
      IsValidNoteKeyName("\xc3\xbcnic\xc3\xb6"
                         "de"));  // "ünicöde"
  EXPECT_FALSE(IsValidNoteKeyName(""));
  EXPECT_FALSE(IsValidNoteKeyName("Bad Name"));
  EXPECT_FALSE(IsValidNoteKeyName("a+b"));
  EXPECT_FALSE(IsValidNoteKeyName("a\tb"));
  EXPECT_FALSE(IsValidNoteKeyName("a\nb"));
  EXPECT_FALSE(
      IsValidNoteKeyName("a\xc2\xa0"
                         "b"));  // U+00A0 no-break space
  EXPECT_FALSE(
      IsValidNoteKeyName("a\xe2\x80\x83"
                         "b"));  // U+2003 em space
  EXPECT_FALSE(
      IsValidNoteKeyName("a\xe3\x80\x80"
                         "b"));  // U+3000 ideographic space
  EXPECT_FALSE(
      IsValidNoteKeyName("a\xff"
                         "b"));                   // not UTF-8
  EXPECT_FALSE(IsValidNoteKeyName("a\xc0\xaf"));  // overlong '/'
}

TEST(NoteTest, SignatureBlockStartsAfterTheLastEmptyLine) {
  const SigningKey key = testing::TestKey(1);
  const std::string text = "first\n\nsecond\n";
  const std::string note = SignNote(text, "k", key);
  const std::optional<Note> parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, text);
  const NoteVerifier v = MakeNoteVerifier("k", key.public_key());
  EXPECT_TRUE(OpenNote(note, std::span(&v, 1)));
}

TEST(NoteTest, MultibyteUtf8TextIsSignedAndVerified) {
  const SigningKey key = testing::TestKey(1);
  const std::string text = "\xe8\xb4\xa8\xe6\x8a\xbc \xe2\x80\x94 pledge\n";  // "质押 — pledge"
  const NoteVerifier v = MakeNoteVerifier("k", key.public_key());
  const std::optional<Note> opened = OpenNote(SignNote(text, "k", key), std::span(&v, 1));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->text, text);
}

TEST(NoteTest, ControlCharactersAndInvalidUtf8AreRejected) {
  const std::string sig = "\n" + Str(GoTests(), "peter_sig_line");
  for (const std::string_view bad_text :
       {std::string_view("a\rb\n"), std::string_view("a\tb\n"),
        std::string_view("a\x01"
                         "b\n"),
        std::string_view("a\0b\n", 4),
        std::string_view("a\xff"
                         "b\n"),
        std::string_view("a\xc0\xaf\n"), std::string_view("a\xed\xa0\x80\n"),
        std::string_view("a\xe2\x80\n"), std::string_view("a\xf4\x90\x80\x80\n")}) {
    EXPECT_FALSE(ParseNote(std::string(bad_text) + sig)) << HexEncode(AsBytes(bad_text));
  }
  // Also in the signature block.
  std::string crlf = GoNote({Str(GoTests(), "peter_sig_line")});
  crlf.insert(crlf.size() - 1, "\r");
  EXPECT_FALSE(ParseNote(crlf));
}

TEST(NoteTest, MalformedSignatureLinesAreRejected) {
  const std::string peter = Str(GoTests(), "peter_sig_line");
  const std::string b64 = peter.substr(peter.rfind(' ') + 1);  // with its '\n'
  const std::string key_id_only = Base64Encode(Bytes{0xc7, 0x4f, 0x20, 0xa3});
  const std::vector<std::string> bad_lines = {
      "\xE2\x80\x93 PeterNeumann " + b64,   // en dash
      "- PeterNeumann " + b64,              // ASCII hyphen
      "\xE2\x80\x94PeterNeumann " + b64,    // no space after the dash
      "\xE2\x80\x94  PeterNeumann " + b64,  // empty name
      "\xE2\x80\x94 PeterNeumann\n",        // no signature
      "\xE2\x80\x94 PeterNeumann \n",       // empty signature
      "\xE2\x80\x94 PeterNeumann !!!!\n",   // not base64
      "\xE2\x80\x94 PeterNeumann " + b64.substr(0, b64.size() - 2) + "\n",    // unpadded
      "\xE2\x80\x94 PeterNeumann " + key_id_only + "\n",                      // no signature bytes
      "\xE2\x80\x94 Peter+Neumann " + b64,                                    // '+' in name
      "\xE2\x80\x94 PeterNeumann " + b64.substr(0, b64.size() - 1) + " x\n",  // extra field
  };
  for (const std::string& line : bad_lines) {
    EXPECT_FALSE(ParseNote(GoNote({line}))) << line;
    EXPECT_FALSE(ParseNote(GoNote({peter, line}))) << line;
  }
}

TEST(NoteTest, NoteWithoutSeparatorOrFinalNewlineIsRejected) {
  const std::string peter = Str(GoTests(), "peter_sig_line");
  const std::string text = Str(GoTests(), "note_text");
  EXPECT_FALSE(ParseNote(""));
  EXPECT_FALSE(ParseNote("\n\n"));
  EXPECT_FALSE(ParseNote(text + peter));                             // no empty line
  EXPECT_FALSE(ParseNote(text + "\n" + peter + "\n"));               // trailing empty line
  EXPECT_FALSE(ParseNote(text.substr(0, text.size() - 1) + peter));  // text without '\n\n'
}

// --- vkeys and Go private keys ------------------------------------------------------

TEST(NoteTest, MakeNoteVerifierMatchesTheParsedVkey) {
  const std::optional<SigningKey> key = ParseGoPrivateKey(Str(GoTests(), "peter_skey_TEST_ONLY"));
  ASSERT_TRUE(key);
  const NoteVerifier made = MakeNoteVerifier("PeterNeumann", key->public_key());
  const NoteVerifier parsed = MustParseVkey(Str(GoTests(), "peter_vkey"));
  EXPECT_EQ(made.name, parsed.name);
  EXPECT_EQ(made.key_id, parsed.key_id);
  EXPECT_EQ(made.type, parsed.type);
  EXPECT_EQ(made.key, parsed.key);
}

TEST(NoteTest, ParseVkeyRejectsMalformedFields) {
  const std::string good = Str(GoTests(), "peter_vkey");  // PeterNeumann+c74f20a3+ARpc...
  const std::string key64 = good.substr(good.rfind('+') + 1);
  EXPECT_TRUE(ParseVkey(good));
  EXPECT_FALSE(ParseVkey(""));
  EXPECT_FALSE(ParseVkey("PeterNeumann"));
  EXPECT_FALSE(ParseVkey("PeterNeumann+c74f20a3"));
  EXPECT_FALSE(ParseVkey("PeterNeumann+c74f20a3+"));
  EXPECT_FALSE(ParseVkey("PeterNeumann+C74F20A3+" + key64));  // key ids are lowercase
  EXPECT_FALSE(ParseVkey("PeterNeumann+c74f20a+" + key64));
  EXPECT_FALSE(ParseVkey("PeterNeumann+c74f20a30+" + key64));
  EXPECT_FALSE(ParseVkey("PeterNeumann+c74f20a4+" + key64));  // wrong key id
  EXPECT_FALSE(ParseVkey("PeterNeumanm+c74f20a3+" + key64));  // name not in the key id
  EXPECT_FALSE(ParseVkey("+c74f20a3+" + key64));
  EXPECT_FALSE(ParseVkey("Peter Neumann+c74f20a3+" + key64));
  EXPECT_FALSE(ParseVkey(good + "\n"));
}

TEST(NoteTest, ParseGoPrivateKeyRejectsMalformedKeys) {
  const std::string good = Str(GoTests(), "peter_skey_TEST_ONLY");
  ASSERT_TRUE(ParseGoPrivateKey(good));
  const std::string prefix = "PRIVATE+KEY+PeterNeumann+c74f20a3+";
  ASSERT_TRUE(good.starts_with(prefix));
  const std::string key64 = good.substr(prefix.size());  // itself contains a '+'
  const std::string rest = good.substr(std::string("PRIVATE+KEY+").size());
  EXPECT_FALSE(ParseGoPrivateKey(rest));
  EXPECT_FALSE(ParseGoPrivateKey("private+key+" + rest));
  EXPECT_FALSE(ParseGoPrivateKey("PRIVATE+KEY+PeterNeumann+c74f20a4+" + key64));  // wrong key id
  EXPECT_FALSE(ParseGoPrivateKey("PRIVATE+KEY+EnochRoot+c74f20a3+" + key64));     // other name
  EXPECT_FALSE(ParseGoPrivateKey(good.substr(0, good.size() - 1)));  // truncated base64
  EXPECT_FALSE(ParseGoPrivateKey(Str(GoTests(), "peter_vkey")));
  // A seed with another algorithm byte.
  const Bytes other_alg(33, 0x02);
  EXPECT_FALSE(ParseGoPrivateKey("PRIVATE+KEY+PeterNeumann+c74f20a3+" + Base64Encode(other_alg)));
}

}  // namespace
}  // namespace ipledger
