#include "ledger/log/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>

#include "crypto/bytes.h"
#include "ledger/base/log.h"
#include "ledger/base/mutex.h"

namespace ipledger {
namespace {

constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "leaves", "envelopes", "tree", "state", "index", "meta", "map"};

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string m = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(m);
  if (s.IsCorruption()) return Status::Corruption(m);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(m);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsAborted()) {
    return Status::Unavailable(m);
  }
  return Status::Internal(m);
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

std::string_view ColumnName(Column c) { return kColumnNames[static_cast<size_t>(c)]; }

struct WriteSet::Rep {
  struct Op {
    Column column;
    bool is_delete;
    std::string key;
    std::string value;
  };
  std::vector<Op> ops;
  size_t bytes = 0;
  // Raw RocksDB operations (raw_batch()): the contents of merged sets' batches, then
  // this set's own batch.
  std::vector<std::string> merged_raw;
  std::unique_ptr<rocksdb::WriteBatch> raw;
};

WriteSet::WriteSet() : rep_(std::make_unique<Rep>()) {}
WriteSet::~WriteSet() = default;
WriteSet::WriteSet(WriteSet&&) noexcept = default;
WriteSet& WriteSet::operator=(WriteSet&&) noexcept = default;

void WriteSet::Put(Column c, std::string_view key, std::string_view value) {
  rep_->bytes += key.size() + value.size();
  rep_->ops.push_back({c, false, std::string(key), std::string(value)});
}

void WriteSet::Delete(Column c, std::string_view key) {
  rep_->bytes += key.size();
  rep_->ops.push_back({c, true, std::string(key), {}});
}

void WriteSet::Merge(const WriteSet& other) {
  rep_->ops.insert(rep_->ops.end(), other.rep_->ops.begin(), other.rep_->ops.end());
  rep_->bytes += other.rep_->bytes;
  // Raw operations keep their order: whatever this set's own batch holds so far goes
  // first, then the other set's.
  if (rep_->raw != nullptr && rep_->raw->Count() > 0) {
    rep_->merged_raw.push_back(rep_->raw->Data());
    rep_->raw->Clear();
  }
  rep_->merged_raw.insert(rep_->merged_raw.end(), other.rep_->merged_raw.begin(),
                          other.rep_->merged_raw.end());
  if (other.rep_->raw != nullptr && other.rep_->raw->Count() > 0) {
    rep_->merged_raw.push_back(other.rep_->raw->Data());
  }
}

size_t WriteSet::ByteSize() const {
  size_t raw = rep_->raw != nullptr ? rep_->raw->GetDataSize() : 0;
  for (const auto& r : rep_->merged_raw) raw += r.size();
  return rep_->bytes + raw;
}

rocksdb::WriteBatch* WriteSet::raw_batch() {
  if (rep_->raw == nullptr) rep_->raw = std::make_unique<rocksdb::WriteBatch>();
  return rep_->raw.get();
}

// A column held in memory (StoreOptions::memory_columns): an ordered map, bytewise like
// RocksDB's default comparator.
struct MemoryColumn {
  mutable SharedMutex mu;
  std::map<std::string, std::string, std::less<>> kv GUARDED_BY(mu);
};

struct Store::Rep {
  std::array<std::unique_ptr<MemoryColumn>, kColumnCount> memory;
  MemoryColumn* mem(Column c) const { return memory[static_cast<size_t>(c)].get(); }
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> handles{};
  bool read_only = false;
  bool sync = true;
  rocksdb::Env* env = nullptr;  // as in StoreOptions
  // A secondary instance's private directory (its info log); removed after closing.
  std::string secondary_dir;

  rocksdb::ColumnFamilyHandle* cf(Column c) const { return handles[static_cast<size_t>(c)]; }

  ~Rep() {
    Close();
    if (!secondary_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir, ec);
    }
  }

  void Close() {
    if (!db) return;
    if (!read_only) {
      // A clean close moves the memtables into checksummed table files, so the next
      // open replays no log and every stored byte is covered by a block checksum.
      if (rocksdb::Status fs = FlushAll(); !fs.ok())
        Log(LogLevel::kError, "flushing on close failed", {{"detail", fs.ToString()}});
    }
    for (auto*& h : handles) {
      if (h != nullptr) {
        rocksdb::Status s = db->DestroyColumnFamilyHandle(h);
        if (!s.ok())
          Log(LogLevel::kError, "closing a column family failed", {{"detail", s.ToString()}});
        h = nullptr;
      }
    }
    rocksdb::Status s = db->Close();
    if (!s.ok()) Log(LogLevel::kError, "closing the database failed", {{"detail", s.ToString()}});
    db.reset();
  }

  rocksdb::Status FlushAll() {
    std::vector<rocksdb::ColumnFamilyHandle*> all;
    for (auto* h : handles) {
      if (h != nullptr) all.push_back(h);
    }
    return db->Flush(rocksdb::FlushOptions(), all);
  }
};

namespace {

// A fresh private directory for a secondary instance under $TMPDIR (or /tmp).
StatusOr<std::string> MakeSecondaryDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipledger-secondary-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return Status::Unavailable("cannot create a private directory for a read-only open under " +
                               dir.substr(0, dir.rfind('/')));
  }
  return dir;
}

}  // namespace

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Store::~Store() = default;

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create;
  db_options.error_if_exists = options.create;
  // A writable open adds the column families a database made by an older version
  // lacks (the status map's `map`), empty.
  db_options.create_missing_column_families = !options.read_only;
  db_options.paranoid_checks = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  if (options.env != nullptr) db_options.env = options.env;
  // Every batch writes the small `meta` column; its memtable would almost never fill,
  // and a write-ahead log file can only be deleted once every column family with data
  // in it has flushed. Without a cap the logs of a busy registry grew to several GB
  // (34 files at 1e6 entries), all replayed on restart. 256 MB forces the flush.
  db_options.max_total_wal_size = 256 << 20;

  rocksdb::ColumnFamilyOptions cf_options;
  // Index and filter blocks stay with the table readers (not in the block cache, where
  // data blocks would evict them and every point read would re-read and re-checksum
  // its index block); Bloom filters make point reads of absent keys cheap.
  rocksdb::BlockBasedTableOptions table;
  table.cache_index_and_filter_blocks = false;
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // leaves, envelopes and tree are keyed by dense u64 indexes and only ever read at keys
  // that exist: a Bloom filter would be consulted and never help. Tree hashes are
  // random bytes, which no compressor shrinks. Sequential keys insert into the memtable
  // with a hint (the last position for the same 1-byte prefix) instead of a full search.
  rocksdb::ColumnFamilyOptions dense_options = cf_options;
  rocksdb::BlockBasedTableOptions dense_table = table;
  dense_table.filter_policy.reset();
  dense_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(dense_table));
  dense_options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(1));
  rocksdb::ColumnFamilyOptions tree_options = dense_options;
  tree_options.compression = rocksdb::kNoCompression;
  // The status map's nodes: hashes (incompressible), read only at keys that exist.
  rocksdb::ColumnFamilyOptions map_options = cf_options;
  map_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(dense_table));
  map_options.compression = rocksdb::kNoCompression;
  // A version's nodes of one depth are staged in increasing path order: the memtable
  // inserts each after the last one of the same 'n' || version || depth (10 bytes).
  map_options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(10));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (std::string_view name : kColumnNames) {
    const bool dense = name == "leaves" || name == "envelopes" || name == "tree";
    descriptors.emplace_back(std::string(name), name == "tree"  ? tree_options
                                                : name == "map" ? map_options
                                                : dense         ? dense_options
                                                                : cf_options);
  }
  // Which of them each opened handle is (a read-only open opens only those that exist).
  std::vector<size_t> opened;
  for (size_t i = 0; i < kColumnCount; ++i) opened.push_back(i);

  auto rep = std::make_unique<Rep>();
  rep->read_only = options.read_only;
  rep->sync = options.sync;
  rep->env = options.env;
  for (size_t i = 0; i < kColumnCount; ++i) {
    if ((options.memory_columns & ColumnBit(static_cast<Column>(i))) != 0) {
      rep->memory[i] = std::make_unique<MemoryColumn>();
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // A secondary instance (see StoreOptions.read_only). It keeps every table file open
    // (max_open_files = -1, which RocksDB requires of a secondary), so the files a
    // server's compaction deletes stay readable for as long as this store is open.
    rocksdb::Env* env = db_options.env;
    if (env->FileExists(dir + "/CURRENT").IsNotFound()) {
      return Status::NotFound("no ledger database in " + dir);
    }
    db_options.max_open_files = -1;
    auto secondary = MakeSecondaryDir();
    if (!secondary.ok()) return secondary.status();
    rep->secondary_dir = std::move(*secondary);
    // A secondary cannot create column families: open those the database has.
    std::vector<std::string> existing;
    if (rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok()) {
      std::vector<rocksdb::ColumnFamilyDescriptor> present = {descriptors[0]};
      opened.clear();
      for (size_t i = 0; i < kColumnCount; ++i) {
        if (std::find(existing.begin(), existing.end(), descriptors[i + 1].name) !=
            existing.end()) {
          present.push_back(descriptors[i + 1]);
          opened.push_back(i);
        }
      }
      descriptors = std::move(present);
    }
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, rep->secondary_dir, descriptors, &handles,
                                     &raw);
    // The one catch-up: everything read through this store is this state.
    if (s.ok()) s = raw->TryCatchUpWithPrimary();
  } else {
    s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) {
    for (auto* h : handles) {
      if (h != nullptr) (void)db->DestroyColumnFamilyHandle(h);
    }
    if (s.IsInvalidArgument() && s.ToString().find("exists") != std::string::npos) {
      return Status::AlreadyExists("a ledger database already exists in " + dir);
    }
    if (s.IsInvalidArgument() ||
        (s.IsIOError() && s.ToString().find("No such file") != std::string::npos)) {
      return Status::NotFound("no ledger database in " + dir + " (" + s.ToString() + ")");
    }
    return FromRocks(s, "opening " + dir);
  }
  // handles[0] is the default column family, which ipledger does not use.
  if (!handles.empty()) {
    rocksdb::Status ds = db->DestroyColumnFamilyHandle(handles[0]);
    (void)ds;  // the default handle is owned by the DB; destroying it is a no-op
  }
  for (size_t i = 0; i < opened.size(); ++i) rep->handles[opened[i]] = handles[i + 1];
  rep->db = std::move(db);
  return std::unique_ptr<Store>(new Store(std::move(rep)));
}

Status Store::Write(WriteSet& writes) {
  if (rep_->read_only) return Status::FailedPrecondition("the store is open read-only");
  // The batch is sized once: grown by doubling, a batch of a few hundred KB (a status
  // map stage) was copied and page-faulted several times per Write. Each operation adds
  // at most 16 bytes to its key and value (tag, column id, two lengths).
  const size_t reserve = 12 + writes.ByteSize() + 16 * writes.rep_->ops.size();
  // With one raw batch (the status map's nodes), the batch starts as a copy of it
  // (records name their column family by id, which the replay below only re-maps to
  // the same handles) instead of replaying it operation by operation.
  const std::string* only_raw = nullptr;
  const bool has_raw = writes.rep_->raw != nullptr && writes.rep_->raw->Count() > 0;
  if (writes.rep_->merged_raw.size() + (has_raw ? 1 : 0) == 1) {
    only_raw = has_raw ? &writes.rep_->raw->Data() : &writes.rep_->merged_raw.front();
  }
  std::string rep;
  if (only_raw != nullptr) {
    rep.reserve(reserve);
    rep.append(*only_raw);
  }
  rocksdb::WriteBatch batch =
      only_raw != nullptr ? rocksdb::WriteBatch(std::move(rep)) : rocksdb::WriteBatch(reserve);
  // Raw operations (WriteSet::raw_batch) name their column family by id.
  struct Replay : rocksdb::WriteBatch::Handler {
    const Rep* store = nullptr;
    rocksdb::WriteBatch* out = nullptr;
    rocksdb::ColumnFamilyHandle* Find(uint32_t id) const {
      for (auto* h : store->handles) {
        if (h != nullptr && h->GetID() == id) return h;
      }
      return nullptr;
    }
    rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
      auto* h = Find(id);
      if (h == nullptr) return rocksdb::Status::InvalidArgument("unknown column family");
      return out->Put(h, k, v);
    }
    rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& k) override {
      auto* h = Find(id);
      if (h == nullptr) return rocksdb::Status::InvalidArgument("unknown column family");
      return out->Delete(h, k);
    }
  };
  Replay replay;
  replay.store = rep_.get();
  replay.out = &batch;
  for (const auto& data : writes.rep_->merged_raw) {
    if (only_raw != nullptr) break;
    rocksdb::WriteBatch merged(data);
    if (rocksdb::Status s = merged.Iterate(&replay); !s.ok()) {
      return FromRocks(s, "building write batch");
    }
  }
  if (only_raw == nullptr && writes.rep_->raw != nullptr) {
    if (rocksdb::Status s = writes.rep_->raw->Iterate(&replay); !s.ok()) {
      return FromRocks(s, "building write batch");
    }
  }
  bool to_memory = false;
  for (const auto& op : writes.rep_->ops) {
    if (rep_->mem(op.column) != nullptr) {
      to_memory = true;
      continue;
    }
    rocksdb::Status s = op.is_delete
                            ? batch.Delete(rep_->cf(op.column), ToSlice(op.key))
                            : batch.Put(rep_->cf(op.column), ToSlice(op.key), ToSlice(op.value));
    if (!s.ok()) return FromRocks(s, "building write batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = rep_->sync;
  rocksdb::Status s = rep_->db->Write(wo, &batch);
  if (!s.ok()) {
    // Outcome unknown: the batch may or may not be on disk (style.md B.7).
    return Status::Unavailable("durable write failed, outcome unknown: " + s.ToString());
  }
  if (to_memory) {
    for (const auto& op : writes.rep_->ops) {
      MemoryColumn* m = rep_->mem(op.column);
      if (m == nullptr) continue;
      WriterLock l(&m->mu);
      if (op.is_delete) {
        m->kv.erase(op.key);
      } else {
        m->kv.insert_or_assign(op.key, op.value);
      }
    }
  }
  return Status::Ok();
}

StatusOr<std::string> Store::Get(Column c, std::string_view key) const {
  if (const MemoryColumn* m = rep_->mem(c)) {
    ReaderLock l(&m->mu);
    auto it = m->kv.find(key);
    if (it == m->kv.end()) {
      return Status::NotFound(std::string("reading ") + std::string(ColumnName(c)) + " key " +
                              HexEncode(AsBytes(key)) + ": not found");
    }
    return it->second;
  }
  if (rep_->cf(c) == nullptr) {
    return Status::NotFound(std::string("reading ") + std::string(ColumnName(c)) + " key " +
                            HexEncode(AsBytes(key)) + ": no such column");
  }
  std::string value;
  rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->cf(c), ToSlice(key), &value);
  if (!s.ok()) {
    return FromRocks(s, std::string("reading ") + std::string(ColumnName(c)) + " key " +
                            HexEncode(AsBytes(key)));
  }
  return value;
}

Status Store::MultiGet(Column c, std::span<const std::string> keys,
                       std::vector<std::string>* values) const {
  if (rep_->mem(c) != nullptr) {
    values->resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      auto v = Get(c, keys[i]);
      if (!v.ok()) return v.status();
      (*values)[i] = std::move(*v);
    }
    return Status::Ok();
  }
  if (rep_->cf(c) == nullptr && !keys.empty()) {
    return Status::NotFound(std::string("reading ") + std::string(ColumnName(c)) + " key " +
                            HexEncode(AsBytes(keys[0])) + ": no such column");
  }
  // The batched form: keys that fall in one table file share its index and filter
  // lookups, and keys in one data block share its read (a proof's lower tree levels
  // are neighbouring keys).
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const auto& k : keys) slices.emplace_back(k);
  std::vector<rocksdb::PinnableSlice> pinned(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  rep_->db->MultiGet(rocksdb::ReadOptions(), rep_->cf(c), keys.size(), slices.data(), pinned.data(),
                     statuses.data());
  values->resize(keys.size());
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (!statuses[i].ok()) {
      return FromRocks(statuses[i], std::string("reading ") + std::string(ColumnName(c)) + " key " +
                                        HexEncode(AsBytes(keys[i])));
    }
    (*values)[i].assign(pinned[i].data(), pinned[i].size());
  }
  return Status::Ok();
}

Status Store::Scan(Column c, std::string_view start, std::string_view end,
                   const std::function<bool(std::string_view, std::string_view)>& fn,
                   ScanMode mode) const {
  if (const MemoryColumn* m = rep_->mem(c)) {
    // In slices copied under the lock, so `fn` runs unlocked and may read this store.
    constexpr size_t kSlice = 256;
    std::string from(start);
    bool first = true;
    for (;;) {
      std::vector<std::pair<std::string, std::string>> slice;
      {
        ReaderLock l(&m->mu);
        auto it = first ? m->kv.lower_bound(from) : m->kv.upper_bound(from);
        for (; it != m->kv.end() && slice.size() < kSlice; ++it) {
          if (!end.empty() && std::string_view(it->first) >= end) break;
          slice.emplace_back(it->first, it->second);
        }
      }
      first = false;
      for (const auto& [k, v] : slice) {
        if (!fn(k, v)) return Status::Ok();
      }
      if (slice.size() < kSlice) return Status::Ok();
      from = slice.back().first;
    }
  }
  if (rep_->cf(c) == nullptr) return Status::Ok();  // a column a read-only open lacks
  rocksdb::ReadOptions ro;
  if (mode == ScanMode::kBulk) {
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
  }
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(ro, rep_->cf(c)));
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    rocksdb::Slice v = it->value();
    if (!fn({k.data(), k.size()}, {v.data(), v.size()})) break;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), std::string("scanning ") + std::string(ColumnName(c)));
  }
  return Status::Ok();
}

StatusOr<std::optional<std::pair<std::string, std::string>>> Store::LastInRange(
    Column c, std::string_view lower, std::string_view upper) const {
  if (const MemoryColumn* m = rep_->mem(c)) {
    ReaderLock l(&m->mu);
    std::optional<std::pair<std::string, std::string>> result;
    auto it = m->kv.upper_bound(upper);
    if (it != m->kv.begin()) {
      --it;
      if (std::string_view(it->first) >= lower) result.emplace(it->first, it->second);
    }
    return result;
  }
  if (rep_->cf(c) == nullptr) return std::optional<std::pair<std::string, std::string>>();
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(rocksdb::ReadOptions(), rep_->cf(c)));
  it->SeekForPrev(ToSlice(upper));
  if (!it->status().ok()) {
    return FromRocks(it->status(), std::string("seeking in ") + std::string(ColumnName(c)));
  }
  std::optional<std::pair<std::string, std::string>> result;
  if (it->Valid() && it->key().compare(ToSlice(lower)) >= 0) {
    result.emplace(it->key().ToString(), it->value().ToString());
  }
  return result;
}

Status Store::CopyTo(const std::string& dir) const {
  StoreOptions create;
  create.create = true;
  create.env = rep_->env;
  // Not synced batch by batch: the copy is flushed to table files (and those synced)
  // before it is declared done, and a copy cut short is thrown away.
  create.sync = false;
  auto copy = Store::Open(dir, create);
  if (!copy.ok()) return copy.status();
  constexpr size_t kBatchBytes = 4 << 20;
  for (size_t i = 0; i < kColumnCount; ++i) {
    const auto c = static_cast<Column>(i);
    WriteSet batch;
    Status write;
    Status scan = Scan(
        c, "", "",
        [&](std::string_view key, std::string_view value) {
          batch.Put(c, key, value);
          if (batch.ByteSize() < kBatchBytes) return true;
          write = (*copy)->Write(batch);
          batch = WriteSet();
          return write.ok();
        },
        ScanMode::kBulk);
    if (!scan.ok()) return scan;
    if (!write.ok()) return write;
    if (Status s = (*copy)->Write(batch); !s.ok()) return s;
  }
  if (rocksdb::Status s = (*copy)->rep_->FlushAll(); !s.ok()) {
    return FromRocks(s, "flushing the copy in " + dir);
  }
  (*copy)->rep_->Close();
  return Status::Ok();
}

bool Store::read_only() const { return rep_->read_only; }

rocksdb::DB* Store::raw_db() const { return rep_->db.get(); }

rocksdb::ColumnFamilyHandle* Store::raw_handle(Column c) const { return rep_->cf(c); }

}  // namespace ipledger
