#include "tests/testing/testing.h"

#include <rocksdb/db.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/encoding.h"
#include "ledger/log/store.h"
#include "tests/testing/vectors.h"

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

std::filesystem::path VectorsDir() { return IPLEDGER_VECTORS_DIR; }

// The folder that holds vectors/, for code written when the vectors sat beside the
// checkout.
std::filesystem::path SharedDir() { return VectorsDir().parent_path(); }

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

namespace {

// Opens the database in `db_dir` directly (all of the ledger's column families), calls
// `fn(db, handle of cf or nullptr)`, and closes it.
void WithRawDb(const std::string& db_dir, const std::string& cf,
               const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& fn) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int c = 0; c < kColumnCount; ++c) {
    cfs.emplace_back(std::string(ColumnName(static_cast<Column>(c))),
                     rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), db_dir, cfs, &handles, &raw);
  if (!s.ok()) {
    ADD_FAILURE() << "opening " << db_dir << ": " << s.ToString();
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* h = nullptr;
  for (auto* x : handles) {
    if (x->GetName() == cf) h = x;
  }
  fn(*db, h);
  for (auto* x : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(x).ok());
  EXPECT_TRUE(db->Close().ok());
}

}  // namespace

std::string MutateStored(const std::string& db_dir, const std::string& cf,
                         const std::function<bool(std::string_view key)>& pick,
                         const std::function<void(std::string* value)>& mutate) {
  std::string found;
  WithRawDb(db_dir, cf, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    if (h == nullptr) return;
    std::string value;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (pick(std::string_view(it->key().data(), it->key().size()))) {
        found = it->key().ToString();
        value = it->value().ToString();
        break;
      }
    }
    if (found.empty()) return;
    mutate(&value);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    EXPECT_TRUE(db.Put(wo, h, found, value).ok());
  });
  return found;
}

bool BreakStoredSignature(const std::string& db_dir, std::uint64_t index) {
  const std::string key = EncodeFixed64BE(index);
  return MutateStored(
             db_dir, "envelopes", [&](std::string_view k) { return k == key; },
             [](std::string* v) {
               const size_t at = v->find("\"sig\":\"") + 7;
               (*v)[at] = (*v)[at] == 'A' ? 'B' : 'A';
             }) == key;
}

void OverwriteStored(const std::string& db_dir, const std::string& cf, const std::string& key,
                     const std::optional<std::string>& value) {
  WithRawDb(db_dir, cf, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    ASSERT_NE(h, nullptr) << "no column family " << cf;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    EXPECT_TRUE((value ? db.Put(wo, h, key, *value) : db.Delete(wo, h, key)).ok());
  });
}

SigningKey TestKey(int n) {
  Digest seed = Sha256(AsBytes("test key " + std::to_string(n)));
  return *SigningKey::FromSeed(seed);
}

std::string TestWitnessVkey(const std::string& name, int seed) {
  const PublicKey key = TestKey(seed).public_key();
  NoteVerifier v;
  v.name = name;
  v.type = kNoteSigCosignatureV1;
  v.key = key;
  v.key_id = NoteKeyId(name, kNoteSigCosignatureV1, key);
  return FormatVkey(v);
}

}  // namespace ipledger::testing
