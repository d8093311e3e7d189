#include "tools/key_file.h"

#include <sys/stat.h>

#include "crypto/bytes.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(KeyFileTest, WritesOneBase64LineWithMode0600AndReadsItBack) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/k.key";
  SigningKey key = testing::TestKey(3);
  ASSERT_OK(WriteKeyFile(path, key));
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(testing::ReadFileOrDie(path), Base64Encode(key.seed()) + "\n");
  auto read = ReadKeyFile(path);
  ASSERT_OK(read);
  EXPECT_EQ(read->public_key(), key.public_key());
}

TEST(KeyFileTest, NeverOverwritesAKey) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/k.key";
  ASSERT_OK(WriteKeyFile(path, testing::TestKey(3)));
  EXPECT_EQ(WriteKeyFile(path, testing::TestKey(4)).code(), ErrorCode::kAlreadyExists);
  auto read = ReadKeyFile(path);
  ASSERT_OK(read);
  EXPECT_EQ(read->public_key(), testing::TestKey(3).public_key());
}

TEST(KeyFileTest, RefusesKeyReadableByGroupOrOthers) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/k.key";
  ASSERT_OK(WriteKeyFile(path, testing::TestKey(3)));
  for (mode_t mode : {0640u, 0604u, 0660u, 0644u}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto read = ReadKeyFile(path);
    EXPECT_EQ(read.status().code(), ErrorCode::kFailedPrecondition) << std::oct << mode;
    EXPECT_NE(read.status().message().find("chmod 600"), std::string::npos);
  }
}

TEST(KeyFileTest, RefusesMissingAndMalformedFiles) {
  testing::TempDir dir;
  EXPECT_EQ(ReadKeyFile(dir.str() + "/none").status().code(), ErrorCode::kNotFound);
  const std::vector<std::string> bad = {"", "not base64\n", Base64Encode(Bytes(31, 1)) + "\n",
                                        Base64Encode(Bytes(64, 1)) + "\n",
                                        Base64Encode(Bytes(32, 1)) + "\n\n"};
  int n = 0;
  for (const auto& contents : bad) {
    const std::string path = dir.str() + "/bad" + std::to_string(n++);
    ASSERT_OK(WriteNewFile(path, contents));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_EQ(ReadKeyFile(path).status().code(), ErrorCode::kInvalidArgument) << contents;
  }
}

}  // namespace
}  // namespace ipledger
