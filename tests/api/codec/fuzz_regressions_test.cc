// Every input a fuzzer ever crashed on (tests/fuzz/regressions/<target>/) and every seed
// (tests/fuzz/corpus/<target>/) runs through the same target body as the fuzzer
// (tests/fuzz/targets.h), in every build, so that a fixed finding stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/fuzz/targets.h"
#include "tests/testing/testing.h"

namespace ipledger::fuzz {
namespace {

const std::filesystem::path kFuzzDir = IPLEDGER_FUZZ_DIR;

// The files directly under `dir`, sorted (none if it does not exist).
std::vector<std::filesystem::path> FilesIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RunEvery(const std::string& subdir) {
  for (const Target& t : Targets()) {
    for (const auto& file : FilesIn(kFuzzDir / subdir / t.name)) {
      if (file.filename() == "README.md") continue;
      const std::string input = testing::ReadFileOrDie(file);
      EXPECT_OK(t.run(input)) << t.name << ": " << file;
    }
  }
}

TEST(FuzzRegressionsTest, EveryRecordedCrashInputPasses) { RunEvery("regressions"); }

TEST(FuzzRegressionsTest, EverySeedPasses) { RunEvery("corpus"); }

TEST(FuzzRegressionsTest, EveryTargetHasSeeds) {
  for (const Target& t : Targets()) {
    EXPECT_GE(FilesIn(kFuzzDir / "corpus" / t.name).size(), 5u) << t.name;
  }
}

}  // namespace
}  // namespace ipledger::fuzz
