// Interop: ipledger's witness cosignatures verified by cosigcheck (tests/interop), a Go
// program on golang.org/x/mod/sumdb/note (the log signature) and Go's crypto/ed25519 over
// the cosignature/v1 message as the C2SP tlog-cosignature text defines it. Tampering
// with the timestamp, the checkpoint or the witness's name is caught there too.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/log/ledger.h"
#include "ledger/log/witness.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

struct Result {
  int code = -1;
  std::string out;
};

Result RunCommand(const std::string& cmd) {
  Result r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(CosignInteropTest, GoVerifiesOurCosignaturesAndCatchesTampering) {
  const char* tool = std::getenv("COSIGCHECK");
  ASSERT_NE(tool, nullptr) << "COSIGCHECK is set by the build_cosigcheck fixture";
  testing::TempDir dir;
  const std::string d = dir.str();
  constexpr std::string_view kOrigin = "interop.ipledger.example/log";
  ASSERT_OK(Ledger::Create(d + "/db", kOrigin, testing::TestKey(1), {}));
  auto ledger = Ledger::Open(d + "/db", testing::TestKey(1), {});
  ASSERT_OK(ledger);
  std::vector<EntryInput> in(5);
  for (std::size_t i = 0; i < in.size(); ++i) {
    in[i].type = "asset.register";
    in[i].envelope = "{\"n\":" + std::to_string(i) + "}";
    in[i].parties = {"registry"};
  }
  ASSERT_OK((*ledger)->Append(in));
  const std::string cp = (*ledger)->head().signed_checkpoint;

  std::string note = cp;
  std::vector<std::string> vkeys;
  int k = 20;
  for (const char* name : {"witness.bank.example", "witness.regulator.example"}) {
    auto w = Witness::Open(name, testing::TestKey(k++), {(*ledger)->verifier()},
                           d + "/" + name + ".state", [] { return std::int64_t{1767225600}; });
    ASSERT_OK(w);
    WitnessAnswer a = (*w)->AddCheckpoint(FormatAddCheckpoint(0, {}, cp));
    ASSERT_EQ(a.status, 200) << a.body;
    note += a.body;
    vkeys.push_back(d + "/" + name + ".vkey");
    Write(vkeys.back(), FormatVkey((*w)->verifier()) + "\n");
  }
  Write(d + "/log.vkey", FormatVkey((*ledger)->verifier()) + "\n");
  Write(d + "/note", note);
  const std::string base = std::string(tool) + " " + d + "/log.vkey " + d + "/note";
  Result ok = RunCommand(base + " " + vkeys[0] + " " + vkeys[1]);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_EQ(ok.out,
            "log ok\ncosigned witness.bank.example 1767225600\n"
            "cosigned witness.regulator.example 1767225600\n");

  // The timestamp is signed: change it inside the blob and the signature fails.
  auto parsed = ParseNote(note);
  ASSERT_TRUE(parsed);
  NoteSignature forged = parsed->signatures[1];
  forged.blob[7] ^= 1;  // the low byte of the timestamp
  Bytes full;
  for (int shift = 24; shift >= 0; shift -= 8) {
    full.push_back(static_cast<std::uint8_t>(forged.key_id >> shift));
  }
  full.insert(full.end(), forged.blob.begin(), forged.blob.end());
  Write(d + "/forged", cp + "— " + forged.name + " " + Base64Encode(full) + "\n");
  Result bad = RunCommand(std::string(tool) + " " + d + "/log.vkey " + d + "/forged " + vkeys[0]);
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("does not verify"), std::string::npos) << bad.out;

  // A witness whose line is absent.
  Write(d + "/bare", cp);
  Result none = RunCommand(std::string(tool) + " " + d + "/log.vkey " + d + "/bare " + vkeys[1]);
  EXPECT_EQ(none.code, 1) << none.out;
  EXPECT_NE(none.out.find("no cosignature line"), std::string::npos) << none.out;
}

}  // namespace
}  // namespace ipledger
