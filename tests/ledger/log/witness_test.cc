// Witness (C2SP tlog-witness): every answer of add-checkpoint, durable state across a
// reopen, and the two attacks witnesses exist for: a split view (two logs with one key
// and origin that diverge) and a rollback (a truncated log re-signed and regrown).
#include "ledger/log/witness.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/ledger.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using testing::TempDir;
using testing::TestKey;

constexpr std::string_view kOrigin = "witness.ipledger.example/log";
constexpr std::int64_t kNow = 1767225600;

EntryInput Input(const std::string& tag, int n) {
  EntryInput in;
  in.type = "asset.register";
  in.envelope = "{\"" + tag + "\":" + std::to_string(n) + "}";
  in.parties = {"bank-1", "registry"};
  in.signers = {"registry/k1"};
  in.subjects = {"patent:ZL" + std::to_string(n)};
  return in;
}

class WitnessTest : public ::testing::Test {
 protected:
  // A ledger of kOrigin signed by TestKey(key) in dir/name.
  std::unique_ptr<Ledger> NewLedger(const std::string& name, int key = 1,
                                    std::string_view origin = kOrigin) {
    const std::string d = dir_.str() + "/" + name;
    // One fixed clock: the same entries give the same leaves in every ledger.
    LedgerOptions options;
    options.clock = [] { return kNow * 1000; };
    EXPECT_OK(Ledger::Create(d, origin, TestKey(key), options));
    auto l = Ledger::Open(d, TestKey(key), options);
    EXPECT_OK(l);
    return l.ok() ? std::move(*l) : nullptr;
  }
  static void Grow(Ledger& l, const std::string& tag, int from, int count) {
    std::vector<EntryInput> in;
    for (int i = from; i < from + count; ++i) in.push_back(Input(tag, i));
    ASSERT_OK(l.Append(in));
  }
  std::unique_ptr<Witness> OpenWitness(std::string state = "") {
    if (state.empty()) state = dir_.str() + "/witness.state";
    auto w = Witness::Open("witness.bank.example", TestKey(7),
                           {MakeNoteVerifier(kOrigin, TestKey(1).public_key())}, state,
                           [] { return kNow; });
    EXPECT_OK(w);
    return w.ok() ? std::move(*w) : nullptr;
  }
  // The add-checkpoint body taking `l` from `old` (a size of `l`) to its head.
  static std::string Body(const Ledger& l, std::uint64_t old) {
    std::vector<Digest> proof;
    if (old > 0 && old < l.size()) proof = *l.ProveConsistency(old, l.size());
    return FormatAddCheckpoint(old, proof, l.head().signed_checkpoint);
  }

  TempDir dir_;
};

TEST_F(WitnessTest, CosignsAnAppendOnlyLogAndTheLineVerifies) {
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 3);
  auto w = OpenWitness();
  WitnessAnswer a = w->AddCheckpoint(Body(*log, 0));
  ASSERT_EQ(a.status, 200) << a.body;
  // One cosignature/v1 line: 4-byte key id, 8-byte timestamp, 64-byte signature.
  auto note = ParseNote(log->head().signed_checkpoint + a.body);
  ASSERT_TRUE(note);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[1].name, "witness.bank.example");
  EXPECT_EQ(CosignatureTimestamp(note->signatures[1]), std::uint64_t{kNow});
  const NoteVerifier v[1] = {w->verifier()};
  EXPECT_TRUE(OpenNote(log->head().signed_checkpoint + a.body, std::span<const NoteVerifier>(v)));
  EXPECT_EQ(w->Latest(kOrigin)->size, 3u);

  Grow(*log, "a", 3, 5);
  a = w->AddCheckpoint(Body(*log, 3));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(w->Latest(kOrigin)->size, 8u);
  // The same checkpoint again (old = its size, empty proof) is cosigned again.
  EXPECT_EQ(w->AddCheckpoint(Body(*log, 8)).status, 200);
  // A stale old size: 409 with the witness's size as text/x.tlog.size.
  a = w->AddCheckpoint(Body(*log, 3));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.content_type, "text/x.tlog.size");
  EXPECT_EQ(a.body, "8\n");
}

TEST_F(WitnessTest, MalformedRequestsAre400) {
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 4);
  auto w = OpenWitness();
  const std::string cp = log->head().signed_checkpoint;
  for (const std::string& body :
       {std::string(), std::string("old 0\n"), "old x\n\n" + cp, "old 01\n\n" + cp, "0\n\n" + cp,
        "old 0\nnot-base64!\n\n" + cp, "old 0\nAAAA\n\n" + cp, std::string("old 0\n\nnot a note\n"),
        "old 5\n\n" + cp /* old > new */}) {
    EXPECT_EQ(w->AddCheckpoint(body).status, 400) << body;
  }
  std::string many = "old 0\n";
  for (int i = 0; i < 64; ++i) many += Base64Encode(Digest{}) + "\n";
  EXPECT_EQ(w->AddCheckpoint(many + "\n" + cp).status, 400);
  EXPECT_FALSE(w->Latest(kOrigin));
}

TEST_F(WitnessTest, UnknownOriginIs404AndABadSignatureIs403) {
  auto other = NewLedger("other", 2, "other.example/log");
  Grow(*other, "o", 0, 2);
  auto w = OpenWitness();
  EXPECT_EQ(w->AddCheckpoint(Body(*other, 0)).status, 404);
  // The right origin signed by another key.
  auto forged = NewLedger("forged", 3);
  Grow(*forged, "f", 0, 2);
  EXPECT_EQ(w->AddCheckpoint(Body(*forged, 0)).status, 403);
  // The right key, the signature damaged.
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 2);
  std::string cp = log->head().signed_checkpoint;
  auto note = ParseNote(cp);
  cp = note->text + "\n— " + std::string(kOrigin) + " " + Base64Encode(Bytes(4 + 64, 0x01)) + "\n";
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(0, {}, cp)).status, 403);
  EXPECT_FALSE(w->Latest(kOrigin));
}

TEST_F(WitnessTest, BadProofsAre422) {
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 5);
  auto w = OpenWitness();
  // Old size 0 with a non-empty proof.
  EXPECT_EQ(
      w->AddCheckpoint(FormatAddCheckpoint(0, {Digest{}}, log->head().signed_checkpoint)).status,
      422);
  // A size-0 checkpoint whose root is not the empty tree's.
  Digest bogus{};
  bogus[0] = 1;
  EXPECT_EQ(w
                ->AddCheckpoint(FormatAddCheckpoint(
                    0, {}, SignCheckpoint(Checkpoint{std::string(kOrigin), 0, bogus}, TestKey(1))))
                .status,
            422);
  ASSERT_EQ(w->AddCheckpoint(Body(*log, 0)).status, 200);
  // Same size, another root.
  EXPECT_EQ(w
                ->AddCheckpoint(FormatAddCheckpoint(
                    5, {}, SignCheckpoint(Checkpoint{std::string(kOrigin), 5, bogus}, TestKey(1))))
                .status,
            422);
  // A damaged proof.
  Grow(*log, "a", 5, 6);
  auto proof = *log->ProveConsistency(5, 11);
  proof[0][0] ^= 1;
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(5, proof, log->head().signed_checkpoint)).status,
            422);
  // A truncated proof.
  proof = *log->ProveConsistency(5, 11);
  proof.pop_back();
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(5, proof, log->head().signed_checkpoint)).status,
            422);
  EXPECT_EQ(w->Latest(kOrigin)->size, 5u);
  EXPECT_EQ(w->AddCheckpoint(Body(*log, 5)).status, 200);
}

TEST_F(WitnessTest, StateSurvivesAReopen) {
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 6);
  {
    auto w = OpenWitness();
    ASSERT_EQ(w->AddCheckpoint(Body(*log, 0)).status, 200);
  }
  auto w = OpenWitness();
  ASSERT_TRUE(w->Latest(kOrigin));
  EXPECT_EQ(w->Latest(kOrigin)->size, 6u);
  EXPECT_EQ(w->Latest(kOrigin)->root, log->head().checkpoint.root);
  WitnessAnswer a = w->AddCheckpoint(Body(*log, 0));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "6\n");
}

TEST_F(WitnessTest, SplitViewOneBranchCosignedTheOtherRefused) {
  // Two ledgers with the same key and origin share 3 entries, then diverge.
  auto a = NewLedger("a");
  auto b = NewLedger("b");
  Grow(*a, "common", 0, 3);
  Grow(*b, "common", 0, 3);
  ASSERT_EQ(a->head().checkpoint.root, b->head().checkpoint.root);
  Grow(*a, "a", 3, 2);
  Grow(*b, "b", 3, 4);
  auto w = OpenWitness();
  ASSERT_EQ(w->AddCheckpoint(Body(*a, 0)).status, 200);
  // Branch b from what it believes the witness has (0, then 3): 409, then 422.
  EXPECT_EQ(w->AddCheckpoint(Body(*b, 0)).status, 409);
  EXPECT_EQ(w->AddCheckpoint(Body(*b, 3)).status, 409);
  // b claiming the witness's size, with its own proof from 5: it proves b's tree of 5,
  // not a's, so it does not verify.
  EXPECT_EQ(w->AddCheckpoint(Body(*b, 5)).status, 422);
  EXPECT_EQ(w->Latest(kOrigin)->root, a->head().checkpoint.root);
  // Branch a goes on being cosigned.
  Grow(*a, "a", 5, 1);
  EXPECT_EQ(w->AddCheckpoint(Body(*a, 5)).status, 200);
}

TEST_F(WitnessTest, RollbackGetsNoCosignature) {
  auto a = NewLedger("a");
  Grow(*a, "a", 0, 8);
  auto w = OpenWitness();
  ASSERT_EQ(w->AddCheckpoint(Body(*a, 0)).status, 200);
  // The operator rolls back to 5 entries and re-signs, then grows it differently.
  auto r = NewLedger("rolled");
  Grow(*r, "a", 0, 5);
  EXPECT_EQ(w->AddCheckpoint(Body(*r, 0)).status, 409);
  EXPECT_EQ(w->AddCheckpoint(Body(*r, 8)).status, 400);  // old > new: the rolled-back size
  Grow(*r, "evil", 5, 5);
  EXPECT_EQ(w->AddCheckpoint(Body(*r, 8)).status, 422);
  EXPECT_EQ(w->Latest(kOrigin)->size, 8u);
  EXPECT_EQ(w->Latest(kOrigin)->root, a->head().checkpoint.root);
}

TEST_F(WitnessTest, AFailedStateWriteNeverCosignsAndStopsTheWitness) {
  auto log = NewLedger("a");
  Grow(*log, "a", 0, 2);
  auto w = OpenWitness(dir_.str() + "/missing-dir/state");
  EXPECT_EQ(w->AddCheckpoint(Body(*log, 0)).status, 500);
  EXPECT_EQ(w->AddCheckpoint(Body(*log, 0)).status, 503);
  EXPECT_FALSE(w->Latest(kOrigin));
}

TEST_F(WitnessTest, RejectsACorruptStateFile) {
  const std::string state = dir_.str() + "/bad.state";
  std::ofstream(state) << "origin notanumber root\n";
  EXPECT_FALSE(Witness::Open("w", TestKey(7), {}, state).ok());
}

}  // namespace
}  // namespace ipledger
