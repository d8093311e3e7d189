#include "tests/testing/fault_fs.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace ipledger::testing {
namespace {

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> f, FaultFileSystem* owner)
      : FSWritableFileOwnerWrapper(std::move(f)), owner_(owner) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kAppend)) return Inject("append");
    if (owner_->failing(FaultFileSystem::kNoSpace)) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kAppend)) return Inject("append");
    if (owner_->failing(FaultFileSystem::kNoSpace)) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kSync)) return Inject("sync");
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kSync)) return Inject("fsync");
    return FSWritableFileOwnerWrapper::Fsync(o, dbg);
  }
  rocksdb::IOStatus RangeSync(uint64_t off, uint64_t n, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kSync)) return Inject("range sync");
    return FSWritableFileOwnerWrapper::RangeSync(off, n, o, dbg);
  }

 private:
  rocksdb::IOStatus NoSpace() {
    owner_->CountInjection();
    return rocksdb::IOStatus::NoSpace("injected fault: no space left on device");
  }
  rocksdb::IOStatus Inject(const char* what) {
    owner_->CountInjection();
    return rocksdb::IOStatus::IOError(std::string("injected fault: ") + what);
  }
  FaultFileSystem* owner_;
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  FaultFs(const std::shared_ptr<rocksdb::FileSystem>& base, FaultFileSystem* owner)
      : FileSystemWrapper(base), owner_(owner) {}

  const char* Name() const override { return "IpledgerFaultFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> inner;
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, &inner, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(inner), owner_));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> inner;
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, &inner, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(inner), owner_));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> inner;
    rocksdb::IOStatus s = target()->ReuseWritableFile(f, old, o, &inner, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(inner), owner_));
    return s;
  }
  rocksdb::IOStatus RenameFile(const std::string& s, const std::string& t,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (owner_->failing(FaultFileSystem::kRename)) {
      owner_->CountInjection();
      return rocksdb::IOStatus::IOError("injected fault: rename");
    }
    return target()->RenameFile(s, t, o, dbg);
  }

 private:
  FaultFileSystem* owner_;
};

}  // namespace

struct FaultFileSystem::Rep {
  std::unique_ptr<rocksdb::Env> env;
};

FaultFileSystem::FaultFileSystem() : rep_(std::make_unique<Rep>()) {
  auto fs = std::make_shared<FaultFs>(rocksdb::FileSystem::Default(), this);
  rep_->env = rocksdb::NewCompositeEnv(fs);
}

FaultFileSystem::~FaultFileSystem() = default;

rocksdb::Env* FaultFileSystem::env() const { return rep_->env.get(); }

}  // namespace ipledger::testing
