// Conformance: what the ledger publishes (signed checkpoints, inclusion proofs,
// consistency proofs) is accepted by an independent verifier built on Go's
// golang.org/x/mod/sumdb/{note,tlog}: the project's tests/conformance/logverify, or any
// checker with the same command line named by $LOG_CHECKER (tests/conformance/
// second_opinion.sh). And it rejects tampered versions of the same data, so the
// acceptance means something.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "crypto/bytes.h"
#include "ledger/log/ledger.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

std::string LogChecker() {
  const char* env = std::getenv("LOG_CHECKER");
  return env != nullptr ? env : "";
}

// Runs a shell command line; returns its exit status (-1 if it did not exit).
int RunShell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) text += buf;
  int status = pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary);
  f << contents;
}

std::string HexCsv(const std::vector<Digest>& proof) {
  std::string csv;
  for (const auto& h : proof) {
    if (!csv.empty()) csv += ",";
    csv += HexEncode(h);
  }
  return csv;
}

class ConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = LogChecker();
    ASSERT_FALSE(tool_.empty()) << "set LOG_CHECKER to the checker binary (CTest does)";
    ASSERT_OK(Ledger::Create(dir_.str() + "/db", "conformance.ipledger.test/log",
                             testing::TestKey(7), {}));
    auto ledger = Ledger::Open(dir_.str() + "/db", testing::TestKey(7), {});
    ASSERT_OK(ledger);
    ledger_ = std::move(*ledger);
    // Batches of several sizes, so checkpoints land on powers of two and between them.
    int n = 0;
    for (int batch : {1, 1, 2, 4, 5, 3, 16, 1, 4}) {
      std::vector<EntryInput> inputs(static_cast<size_t>(batch));
      for (auto& in : inputs) {
        in.type = "asset.register";
        in.envelope = "conformance envelope " + std::to_string(n++);
        in.parties = {"registry"};
        in.signers = {"registry/k1"};
        in.subjects = {"data:c" + std::to_string(n)};
      }
      auto r = ledger_->Append(inputs);
      ASSERT_OK(r);
      checkpoints_[r->checkpoint.size] = r->signed_checkpoint;
      WriteFile(CheckpointPath(r->checkpoint.size), r->signed_checkpoint);
    }
    vkey_ = FormatVkey(ledger_->verifier());
  }

  std::string CheckpointPath(std::uint64_t size) const {
    return dir_.str() + "/checkpoint-" + std::to_string(size);
  }

  std::string InclusionCmd(std::uint64_t index, std::uint64_t size, const std::string& leaf,
                           const std::vector<Digest>& proof) const {
    return tool_ + " inclusion --checkpoint " + CheckpointPath(size) + " --vkey '" + vkey_ +
           "' --index " + std::to_string(index) + " --leaf-data-b64 '" +
           Base64Encode(AsBytes(leaf)) + "' --proof='" + HexCsv(proof) + "'";
  }

  testing::TempDir dir_;
  std::string tool_;
  std::unique_ptr<Ledger> ledger_;
  std::map<std::uint64_t, std::string> checkpoints_;
  std::string vkey_;
};

TEST_F(ConformanceTest, EveryCheckpointIsAcceptedByLogChecker) {
  for (const auto& [size, note] : checkpoints_) {
    std::string out;
    EXPECT_EQ(RunShell(tool_ + " checkpoint --vkey '" + vkey_ + "' --origin " + ledger_->origin() +
                           " --file " + CheckpointPath(size),
                       &out),
              0)
        << out;
    EXPECT_NE(out.find("size: " + std::to_string(size)), std::string::npos) << out;
  }
}

TEST_F(ConformanceTest, TamperedCheckpointIsRejectedByLogChecker) {
  const std::uint64_t size = checkpoints_.rbegin()->first;
  std::string note = checkpoints_.rbegin()->second;
  const std::string needle = "\n" + std::to_string(size) + "\n";
  note.replace(note.find(needle), needle.size(), "\n" + std::to_string(size + 1) + "\n");
  WriteFile(dir_.str() + "/bad-checkpoint", note);
  EXPECT_NE(RunShell(tool_ + " checkpoint --vkey '" + vkey_ + "' --file " + dir_.str() +
                     "/bad-checkpoint"),
            0);
  // And a checkpoint signed by another key under the same name.
  const std::string other =
      FormatVkey(MakeNoteVerifier(ledger_->origin(), testing::TestKey(8).public_key()));
  EXPECT_NE(RunShell(tool_ + " checkpoint --vkey '" + other + "' --file " + CheckpointPath(size)),
            0);
}

TEST_F(ConformanceTest, InclusionProofsOfEveryLeafInEveryCheckpointAreAccepted) {
  int checked = 0;
  for (const auto& [size, note] : checkpoints_) {
    for (std::uint64_t i = 0; i < size; i += (size > 8 ? 3 : 1)) {
      auto leaf = ledger_->GetLeaf(i);
      ASSERT_OK(leaf);
      auto proof = ledger_->ProveInclusion(i, size);
      ASSERT_OK(proof);
      std::string out;
      EXPECT_EQ(RunShell(InclusionCmd(i, size, *leaf, *proof), &out), 0)
          << "index " << i << " size " << size << ": " << out;
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

TEST_F(ConformanceTest, WrongLeafOrTamperedInclusionProofIsRejected) {
  const std::uint64_t size = checkpoints_.rbegin()->first;
  auto leaf = ledger_->GetLeaf(5);
  ASSERT_OK(leaf);
  auto proof = ledger_->ProveInclusion(5, size);
  ASSERT_OK(proof);
  ASSERT_EQ(RunShell(InclusionCmd(5, size, *leaf, *proof)), 0);
  auto other = ledger_->GetLeaf(6);
  ASSERT_OK(other);
  EXPECT_NE(RunShell(InclusionCmd(5, size, *other, *proof)), 0);
  auto bad = *proof;
  bad[1][0] ^= 1;
  EXPECT_NE(RunShell(InclusionCmd(5, size, *leaf, bad)), 0);
}

TEST_F(ConformanceTest, ConsistencyProofsBetweenAllCheckpointsAreAccepted) {
  int checked = 0;
  for (const auto& [old_size, old_note] : checkpoints_) {
    for (const auto& [new_size, new_note] : checkpoints_) {
      if (new_size <= old_size) continue;
      auto proof = ledger_->ProveConsistency(old_size, new_size);
      ASSERT_OK(proof);
      std::string out;
      EXPECT_EQ(RunShell(tool_ + " consistency --old-checkpoint " + CheckpointPath(old_size) +
                             " --new-checkpoint " + CheckpointPath(new_size) + " --vkey '" + vkey_ +
                             "' --proof='" + HexCsv(*proof) + "'",
                         &out),
                0)
          << old_size << " -> " << new_size << ": " << out;
      if (!proof->empty()) {
        auto bad = *proof;
        bad.back()[31] ^= 1;
        EXPECT_NE(RunShell(tool_ + " consistency --old-checkpoint " + CheckpointPath(old_size) +
                           " --new-checkpoint " + CheckpointPath(new_size) + " --vkey '" + vkey_ +
                           "' --proof='" + HexCsv(bad) + "'"),
                  0)
            << "tampered proof accepted " << old_size << " -> " << new_size;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 36);  // 9 checkpoints, every ordered pair
}

}  // namespace
}  // namespace ipledger
