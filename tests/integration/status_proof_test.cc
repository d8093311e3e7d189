// Status map proofs in answers (issue 13), end to end: pledge-status and coverage answers
// from the real server over HTTP carry the asset's status record and a map proof of
// presence, or a proof of absence, against a logged map.root entry; they verify offline
// (api/client/status_proof.h and `ipledger verify-certificate --response`), and every
// one-byte change to the proof, the record, the root entry or the checkpoint fails, as
// does an answer replayed for another asset or another index.
#include "api/client/status_proof.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/client/cli_support.h"
#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "tests/testing/http_story.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/shell.h"

namespace ipledger {
namespace {

using nlohmann::json;

const std::string kFree = "patent:2014103620773";     // pledged during the test
const std::string kInsured = "patent:2015100000010";  // insured, never pledged

using Result = testing::ShellResult;

// The story's cast (HttpStoryTest), a second patent insured by picc-zhejiang, and
// kFree pledged to ccb-quzhou.
class StatusProofTest : public testing::HttpStoryTest {
 protected:
  void SetUp() override {
    HttpStoryTest::SetUp();
    auto& f = s_.f();
    f.AddPatent("2015100000010", {"lanyu-materials"});
    PolicyIssue p;
    p.policy_id = "POL-1";
    p.product = "infringement_loss";
    p.insured = "lanyu-materials";
    p.covered_assets = {kInsured};
    p.period = {f.today(), AddYears(f.today(), 1)};
    p.limit_per_claim = {50'000'000, "CNY"};
    p.aggregate_limit = {100'000'000, "CNY"};
    p.deductible = {1'000'000, "CNY"};
    p.covered_costs = {"legal"};
    ASSERT_EQ(s_.Post(f.Make("picc-zhejiang", p)).status, 201);
    before_ = f.registry().ledger().size() - 1;  // the policy's map.root entry
    auto r = PostPledge("PL-1", AddYears(f.today(), 2));
    ASSERT_EQ(r.status, 201) << r.body;
    pledge_index_ = json::parse(r.body)["index"].get<std::uint64_t>();
    vkey_ = FormatVkey(f.registry().ledger().verifier());
    dir_ = s_.f().dir();
  }

  // The body of the bank's GET `path`, which must answer 200.
  std::string Answer(const std::string& path) {
    auto r = Get(path, "ccb-quzhou");
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    return r.body;
  }

  // The whole offline check of an answer's status map for `asset`.
  StatusOr<api::ProvenStatus> Verify(const std::string& answer, const std::string& asset) {
    json j = json::parse(answer);
    const NoteVerifier v = *ParseVkey(vkey_);
    auto cp = OpenCheckpoint(j["as_of"]["checkpoint"].get<std::string>(), v);
    if (!cp.ok()) return cp.status();
    auto e = api::ParseStatusMapOfResponse(answer);
    if (!e.ok()) return e.status();
    if (!*e) return Status::NotFound("no status map");
    return api::VerifyStatusMap(**e, asset, *cp, v);
  }

  Result Cli(const std::string& args) { return testing::RunShell(IPLEDGER_CLI " " + args); }
  std::string Save(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }

  std::uint64_t before_ = 0;
  std::uint64_t pledge_index_ = 0;
  std::string vkey_;
  std::string dir_;
};

TEST_F(StatusProofTest, AbsenceBeforeAndPresenceAfterThePledgeVerify) {
  const std::string path = "/v1/assets/" + kFree + "/pledge-status";
  const std::string before = Answer(path + "?index=" + std::to_string(pledge_index_ - 1));
  auto absent = Verify(before, kFree);
  ASSERT_OK(absent);
  EXPECT_FALSE(absent->record);
  EXPECT_EQ(absent->version, before_);
  EXPECT_EQ(api::DescribePledges(*absent), "asset " + kFree + ": no active pledge as of index " +
                                               std::to_string(before_) + " (proven)");
  const std::string after = Answer(path);
  auto present = Verify(after, kFree);
  ASSERT_OK(present);
  ASSERT_TRUE(present->record);
  EXPECT_EQ(present->record->pledges, std::vector<std::uint64_t>{pledge_index_});
  EXPECT_EQ(present->version, pledge_index_ + 1);  // the pledge's own batch's root

  // The CLI says the same, offline, and holds the answer to the question asked.
  const std::string vkey = "--vkey '" + vkey_ + "'";
  Result ok = Cli("verify-certificate --response " + Save("before.json", before) + " " + vkey);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("no active pledge as of index " + std::to_string(before_) + " (proven)"),
            std::string::npos)
      << ok.out;
  Result ok2 = Cli("verify-certificate --response " + Save("after.json", after) + " " + vkey);
  EXPECT_EQ(ok2.code, 0) << ok2.out;
  EXPECT_NE(ok2.out.find("active pledges registered by entries " + std::to_string(pledge_index_)),
            std::string::npos)
      << ok2.out;
  // Replayed for another index or another asset: refused.
  EXPECT_EQ(Cli("verify-certificate --response " + Save("b2.json", before) + " " + vkey +
                " --index " + std::to_string(pledge_index_ + 1))
                .code,
            1);
  EXPECT_EQ(Cli("verify-certificate --response " + Save("b3.json", before) + " " + vkey +
                " --asset " + kInsured)
                .code,
            1);
  EXPECT_FALSE(Verify(after, kInsured).ok());
  EXPECT_FALSE(Verify(before, kInsured).ok());  // kInsured has a leaf: no absence for it
  // An old "free" answer with its fields edited to claim the latest index: the
  // certificate (signed) no longer matches.
  json edited = json::parse(before);
  edited["as_of"]["index"] = pledge_index_ + 1;
  Result stale =
      Cli("verify-certificate --response " + Save("b4.json", edited.dump()) + " " + vkey);
  EXPECT_EQ(stale.code, 1) << stale.out;
}

TEST_F(StatusProofTest, CoverageAnswersCarryTheProvenPolicies) {
  const std::string answer = Answer("/v1/assets/" + kInsured + "/coverage");
  auto proven = Verify(answer, kInsured);
  ASSERT_OK(proven);
  ASSERT_TRUE(proven->record);
  EXPECT_EQ(proven->record->policies.size(), 1u);
  Result r =
      Cli("verify-certificate --response " + Save("cov.json", answer) + " --vkey '" + vkey_ + "'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("policies issued by entries"), std::string::npos) << r.out;
}

TEST_F(StatusProofTest, EveryOneByteChangeFails) {
  const std::string answer = Answer("/v1/assets/" + kFree + "/pledge-status");
  ASSERT_OK(Verify(answer, kFree));
  const json j = json::parse(answer);
  int tried = 0;
  // Flips one byte of a base64 member's bytes (or of a string member) and checks.
  auto each_byte = [&](const std::vector<std::string>& where, bool base64) {
    json target = j;
    json* node = &target;
    for (size_t k = 0; k + 1 < where.size(); ++k) node = &(*node)[where[k]];
    const std::string original = (*node)[where.back()].get<std::string>();
    std::string bytes = base64 ? ToString(*Base64Decode(original)) : original;
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] ^ 0x01);
      (*node)[where.back()] = base64 ? Base64Encode(AsBytes(changed)) : changed;
      EXPECT_FALSE(Verify(target.dump(), kFree).ok()) << where.back() << " byte " << i;
      ++tried;
    }
    (*node)[where.back()] = original;
  };
  each_byte({"status_map", "proof"}, true);
  each_byte({"status_map", "record"}, true);
  each_byte({"status_map", "root_entry", "leaf"}, true);
  each_byte({"status_map", "root_entry", "envelope"}, false);
  each_byte({"as_of", "checkpoint"}, false);
  for (size_t h = 0; h < j["status_map"]["root_entry"]["inclusion_proof"].size(); ++h) {
    json target = j;
    std::string hash = ToString(
        *Base64Decode(target["status_map"]["root_entry"]["inclusion_proof"][h].get<std::string>()));
    hash[h % 32] = static_cast<char>(hash[h % 32] ^ 0x01);
    target["status_map"]["root_entry"]["inclusion_proof"][h] = Base64Encode(AsBytes(hash));
    EXPECT_FALSE(Verify(target.dump(), kFree).ok());
  }
  EXPECT_GT(tried, 500);
}

}  // namespace
}  // namespace ipledger
