#include "tests/testing/testing.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace ipledger::testing {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipledger-test-XXXXXX";
  char* made = mkdtemp(templ.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << templ;
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::filesystem::path SharedDir() {
  const char* env = std::getenv("IPLEDGER_SHARED");
  if (env != nullptr && *env != '\0') return env;
  return IPLEDGER_SHARED_DIR;
}

std::string ReadFileOrDie(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << p;
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SigningKey TestKey(int n) {
  Digest seed = Sha256(AsBytes("test key " + std::to_string(n)));
  return *SigningKey::FromSeed(seed);
}

}  // namespace ipledger::testing
