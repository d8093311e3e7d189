#include "tests/crash/losing_fs.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>

namespace ipledger::testing {
namespace {

rocksdb::IOStatus Errno(const std::string& what, const std::string& file, int err) {
  if (err == ENOENT) return rocksdb::IOStatus::PathNotFound(what + " " + file, std::strerror(err));
  return rocksdb::IOStatus::IOError(what + " " + file, std::strerror(err));
}

class LosingWritableFile : public rocksdb::FSWritableFile {
 public:
  // Takes ownership of `fd`, whose first `written` bytes are the file's content.
  LosingWritableFile(std::string name, int fd, std::uint64_t written,
                     const rocksdb::FileOptions& options)
      : FSWritableFile(options), name_(std::move(name)), fd_(fd), written_(written) {}

  ~LosingWritableFile() override {
    std::lock_guard<std::mutex> l(mu_);
    // RocksDB always closes its files; this only guards against a leaked descriptor.
    if (fd_ >= 0) (void)CloseLocked();
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& /*options*/,
                           rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    if (fd_ < 0) return rocksdb::IOStatus::IOError("append to closed file " + name_);
    buffer_.append(data.data(), data.size());
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& /*info*/,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }

  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& /*options*/,
                                     rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    if (fd_ < 0) return rocksdb::IOStatus::IOError("append to closed file " + name_);
    if (offset < written_) {
      return rocksdb::IOStatus::NotSupported(
          "LosingFileSystem does not simulate rewriting written bytes of " + name_);
    }
    // The new end of file is offset + size, as with pwrite on a file opened for
    // positioned appends; a gap reads as zeros.
    buffer_.resize(static_cast<std::size_t>(offset - written_));
    buffer_.append(data.data(), data.size());
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& /*info*/,
                                     rocksdb::IODebugContext* dbg) override {
    return PositionedAppend(data, offset, options, dbg);
  }

  rocksdb::IOStatus Truncate(std::uint64_t size, const rocksdb::IOOptions& /*options*/,
                             rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    if (fd_ < 0) return rocksdb::IOStatus::IOError("truncate of closed file " + name_);
    if (size >= written_) {
      buffer_.resize(static_cast<std::size_t>(size - written_));
      return rocksdb::IOStatus::OK();
    }
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("truncate", name_, errno);
    written_ = size;
    buffer_.clear();
    return rocksdb::IOStatus::OK();
  }

  // Bytes stay in this process: a flush only moves them towards the page cache.
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& /*options*/,
                          rocksdb::IODebugContext* /*dbg*/) override {
    return rocksdb::IOStatus::OK();
  }
  // sync_file_range only starts writeback; it makes nothing durable.
  rocksdb::IOStatus RangeSync(std::uint64_t /*offset*/, std::uint64_t /*nbytes*/,
                              const rocksdb::IOOptions& /*options*/,
                              rocksdb::IODebugContext* /*dbg*/) override {
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& /*options*/,
                         rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    return SyncLocked(/*metadata=*/false);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& /*options*/,
                          rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    return SyncLocked(/*metadata=*/true);
  }
  bool IsSyncThreadSafe() const override { return true; }

  rocksdb::IOStatus Close(const rocksdb::IOOptions& /*options*/,
                          rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    return CloseLocked();
  }

  std::uint64_t GetFileSize(const rocksdb::IOOptions& /*options*/,
                            rocksdb::IODebugContext* /*dbg*/) override {
    std::lock_guard<std::mutex> l(mu_);
    return written_ + buffer_.size();
  }

 private:
  // Writes the buffered bytes at the end of the real file (no sync).
  rocksdb::IOStatus WriteBufferLocked() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                                 static_cast<off_t>(written_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // Keep what reached the file accounted for, and the rest buffered.
        buffer_.erase(0, done);
        written_ += done;
        return Errno("write", name_, n < 0 ? errno : EIO);
      }
      done += static_cast<std::size_t>(n);
    }
    written_ += done;
    buffer_.clear();
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus SyncLocked(bool metadata) {
    if (fd_ < 0) return rocksdb::IOStatus::IOError("sync of closed file " + name_);
    if (rocksdb::IOStatus s = WriteBufferLocked(); !s.ok()) return s;
    const int rc = metadata ? ::fsync(fd_) : ::fdatasync(fd_);
    if (rc != 0) return Errno(metadata ? "fsync" : "fdatasync", name_, errno);
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus CloseLocked() {
    if (fd_ < 0) return rocksdb::IOStatus::OK();
    rocksdb::IOStatus s = WriteBufferLocked();
    if (::close(fd_) != 0 && s.ok()) s = Errno("close", name_, errno);
    fd_ = -1;
    return s;
  }

  const std::string name_;
  std::mutex mu_;
  int fd_;                 // guarded by mu_; -1 once closed
  std::uint64_t written_;  // guarded by mu_; bytes in the real file
  std::string buffer_;     // guarded by mu_; appended, not yet written: lost on SIGKILL
};

class LosingFs : public rocksdb::FileSystemWrapper {
 public:
  explicit LosingFs(const std::shared_ptr<rocksdb::FileSystem>& base) : FileSystemWrapper(base) {}

  const char* Name() const override { return "IpledgerLosingFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* /*dbg*/) override {
    return Open(f, O_TRUNC, o, r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* /*dbg*/) override {
    return Open(f, 0, o, r);
  }
  // A recycled log is renamed and then overwritten from its start (as PosixFileSystem).
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    if (rocksdb::IOStatus s = target()->RenameFile(old, f, o.io_options, dbg); !s.ok()) return s;
    return OpenAt(f, 0, /*written=*/0, o, r);
  }

 private:
  static rocksdb::IOStatus Open(const std::string& f, int extra_flags,
                                const rocksdb::FileOptions& o,
                                std::unique_ptr<rocksdb::FSWritableFile>* r) {
    return OpenAt(f, extra_flags, /*written=*/std::nullopt, o, r);
  }

  static rocksdb::IOStatus OpenAt(const std::string& f, int extra_flags,
                                  std::optional<std::uint64_t> written,
                                  const rocksdb::FileOptions& o,
                                  std::unique_ptr<rocksdb::FSWritableFile>* r) {
    int fd = -1;
    do {
      fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Errno("open", f, errno);
    if (!written) {
      struct stat st {};
      if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Errno("stat", f, err);
      }
      written = static_cast<std::uint64_t>(st.st_size);
    }
    r->reset(new LosingWritableFile(f, fd, *written, o));
    return rocksdb::IOStatus::OK();
  }
};

}  // namespace

struct LosingFileSystem::Rep {
  std::unique_ptr<rocksdb::Env> env;
};

LosingFileSystem::LosingFileSystem() : rep_(std::make_unique<Rep>()) {
  rep_->env = rocksdb::NewCompositeEnv(std::make_shared<LosingFs>(rocksdb::FileSystem::Default()));
}

LosingFileSystem::~LosingFileSystem() = default;

rocksdb::Env* LosingFileSystem::env() const { return rep_->env.get(); }

}  // namespace ipledger::testing
