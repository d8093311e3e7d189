#include "tools/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/bytes.h"

namespace ipledger {
namespace {

Status WriteFileMode(const std::string& path, const std::string& contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists; not overwriting it");
    return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  }
  // The umask may have narrowed the mode; make it exact.
  if (::fchmod(fd, mode) != 0) {
    ::close(fd);
    return Status::Unavailable("cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::Unavailable("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::Unavailable("cannot sync " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status WriteKeyFile(const std::string& path, const SigningKey& key) {
  std::string line = Base64EncodeSecret(key.seed()) + "\n";
  Status s = WriteFileMode(path, line, 0600);
  SecureWipe(line);
  return s;
}

StatusOr<SigningKey> ReadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("key file " + path + " does not exist");
    return Status::Unavailable("cannot stat key file " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::FailedPrecondition("key file " + path + " has mode " + mode +
                                      ": group or others can access it; run chmod 600 " + path);
  }
  auto contents = ReadWholeFile(path);
  if (!contents.ok()) return contents.status();
  std::string text = std::move(*contents);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto seed = Base64DecodeSecret(text);
  SecureWipe(text);
  if (!seed || seed->size() != 32) {
    if (seed) SecureWipe(*seed);
    return Status::InvalidArgument("key file " + path +
                                   " is not one line of base64 of a 32-byte Ed25519 seed");
  }
  auto key = SigningKey::FromSeed(*seed);
  SecureWipe(*seed);
  return std::move(*key);
}

Status WriteNewFile(const std::string& path, const std::string& contents) {
  return WriteFileMode(path, contents, 0644);
}

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Unavailable("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Unavailable("cannot read " + path);
  return ss.str();
}

}  // namespace ipledger
