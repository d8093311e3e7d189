#include "ledger/log/ledger.h"

#include <rocksdb/env.h>

#include <atomic>
#include <bit>
#include <fstream>
#include <random>
#include <thread>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/tlog_proof.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

using testing::TempDir;
using testing::TestKey;

constexpr std::string_view kOrigin = "test.ipledger.example/log";

EntryInput MakeInput(int n) {
  EntryInput in;
  in.type = "asset.register";
  in.envelope = "{\"envelope\":" + std::to_string(n) + "}";
  in.parties = {"bank-" + std::to_string(n % 3), "registry"};
  in.signers = {"registry/k1"};
  in.subjects = {"patent:ZL" + std::to_string(n)};
  return in;
}

// Applies `mutate` to the stored value of `key` in column family `cf`, bypassing the
// ledger, as a disk fault or a tampering operator would.
void TamperWith(const std::string& dir, const std::string& cf, const std::string& key,
                const std::function<void(std::string*)>& mutate) {
  ASSERT_EQ(testing::MutateStored(
                dir, cf, [&key](std::string_view k) { return k == key; }, mutate),
            key)
      << cf << " key missing";
}

class LedgerTest : public ::testing::Test {
 protected:
  std::string Dir() const { return dir_.str() + "/db"; }

  std::unique_ptr<Ledger> CreateAndOpen(LedgerOptions options = {}) {
    Status s = Ledger::Create(Dir(), kOrigin, TestKey(1), options);
    EXPECT_OK(s);
    auto ledger = Ledger::Open(Dir(), TestKey(1), options);
    EXPECT_OK(ledger);
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  static std::vector<EntryInput> Inputs(int first, int count) {
    std::vector<EntryInput> v;
    for (int i = first; i < first + count; ++i) v.push_back(MakeInput(i));
    return v;
  }

  TempDir dir_;
};

TEST_F(LedgerTest, NewLedgerIsEmptyWithSignedEmptyCheckpoint) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  Head h = ledger->head();
  EXPECT_EQ(h.checkpoint.size, 0u);
  EXPECT_EQ(h.checkpoint.root, EmptyTreeRoot());
  EXPECT_EQ(h.checkpoint.origin, kOrigin);
  auto cp = OpenCheckpoint(h.signed_checkpoint, MakeNoteVerifier(kOrigin, TestKey(1).public_key()));
  ASSERT_OK(cp);
  EXPECT_EQ(*cp, h.checkpoint);
  EXPECT_OK(ledger->Verify());
}

TEST_F(LedgerTest, AppendAssignsConsecutiveIndexesAndProvesInclusion) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 5);
  auto first = ledger->Append(inputs);
  ASSERT_OK(first);
  inputs = Inputs(5, 8);
  auto second = ledger->Append(inputs);
  ASSERT_OK(second);
  ASSERT_EQ(second->entries.size(), 8u);
  EXPECT_EQ(second->entries.front().entry.index, 5u);
  EXPECT_EQ(second->checkpoint.size, 13u);

  const NoteVerifier v = ledger->verifier();
  for (std::uint64_t i = 0; i < 13; ++i) {
    auto leaf = ledger->GetLeaf(i);
    ASSERT_OK(leaf);
    auto entry = DecodeLeaf(*leaf);
    ASSERT_OK(entry);
    EXPECT_EQ(entry->index, i);
    auto envelope = ledger->GetEnvelope(*entry);
    ASSERT_OK(envelope);
    EXPECT_EQ(*envelope, MakeInput(static_cast<int>(i)).envelope);
    auto proof = ledger->ProveInclusion(i, 13);
    ASSERT_OK(proof);
    EXPECT_OK(VerifyInclusion(i, 13, LeafHash(AsBytes(*leaf)), *proof, second->checkpoint.root));
    auto tlog = ledger->TlogProof(i);
    ASSERT_OK(tlog);
    auto verified = VerifyTlogProof(*tlog, AsBytes(*leaf), v);
    ASSERT_OK(verified);
    EXPECT_EQ(verified->size, 13u);
  }
  auto consistency = ledger->ProveConsistency(5, 13);
  ASSERT_OK(consistency);
  EXPECT_OK(
      VerifyConsistency(5, 13, first->checkpoint.root, second->checkpoint.root, *consistency));
  EXPECT_OK(ledger->Verify());
}

TEST_F(LedgerTest, AppendRejectsEmptyBatchAndEmptyEnvelope) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->Append({}).status().code(), ErrorCode::kInvalidArgument);
  EntryInput in = MakeInput(0);
  in.envelope.clear();
  EXPECT_EQ(ledger->Append({&in, 1}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->size(), 0u);
}

TEST_F(LedgerTest, ProofRequestsOutsideTheTreeAreInvalid) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 4);
  ASSERT_OK(ledger->Append(inputs));
  EXPECT_EQ(ledger->ProveInclusion(4, 4).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveInclusion(0, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveConsistency(0, 4).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveConsistency(3, 2).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveConsistency(2, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger->GetLeaf(4).status().code(), ErrorCode::kNotFound);
  auto same = ledger->ProveConsistency(4, 4);
  ASSERT_OK(same);
  EXPECT_TRUE(same->empty());
}

TEST_F(LedgerTest, ReopenRecoversExactlyTheDurableHead) {
  Head before;
  {
    auto ledger = CreateAndOpen();
    ASSERT_NE(ledger, nullptr);
    for (int b = 0; b < 4; ++b) {
      auto inputs = Inputs(b * 7, 7);
      ASSERT_OK(ledger->Append(inputs));
    }
    before = ledger->head();
  }
  auto reopened = Ledger::Open(Dir(), TestKey(1), {});
  ASSERT_OK(reopened);
  Head after = (*reopened)->head();
  EXPECT_EQ(after.checkpoint, before.checkpoint);
  EXPECT_EQ(after.signed_checkpoint, before.signed_checkpoint);
  EXPECT_EQ(after.last_time_ms, before.last_time_ms);
  EXPECT_OK((*reopened)->Verify());
  auto inputs = Inputs(28, 1);
  auto more = (*reopened)->Append(inputs);
  ASSERT_OK(more);
  EXPECT_EQ(more->entries[0].entry.index, 28u);
}

TEST_F(LedgerTest, CreateRefusesExistingLedgerAndOpenRefusesMissingOne) {
  ASSERT_OK(Ledger::Create(Dir(), kOrigin, TestKey(1), {}));
  EXPECT_EQ(Ledger::Create(Dir(), kOrigin, TestKey(1), {}).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Ledger::Open(dir_.str() + "/nothing", TestKey(1), {}).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(Ledger::OpenReadOnly(dir_.str() + "/nothing", {}).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(LedgerTest, CreateRefusesInvalidOrigin) {
  EXPECT_EQ(Ledger::Create(Dir(), "has space", TestKey(1), {}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Ledger::Create(Dir(), "a+b", TestKey(1), {}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Ledger::Create(Dir(), "", TestKey(1), {}).code(), ErrorCode::kInvalidArgument);
}

TEST_F(LedgerTest, OpenWithAnotherLogKeyIsRefused) {
  ASSERT_OK(Ledger::Create(Dir(), kOrigin, TestKey(1), {}));
  EXPECT_EQ(Ledger::Open(Dir(), TestKey(2), {}).status().code(), ErrorCode::kFailedPrecondition);
}

// The stored format version of the ledger in `dir`, read beside the ledger.
std::string StoredFormat(const std::string& dir) {
  std::string seen;
  testing::MutateStored(
      dir, "meta", [](std::string_view k) { return k == "format"; },
      [&seen](std::string* v) { seen = *v; });
  return seen;
}

TEST_F(LedgerTest, PreviousFormatIsReadAndMarkedCurrentByTheFirstWriterOnly) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 3);
  ASSERT_OK(ledger->Append(inputs));
  ledger.reset();
  EXPECT_EQ(StoredFormat(Dir()), kFormatVersion);

  testing::OverwriteStored(Dir(), "meta", "format", std::string(kPreviousFormatVersion));
  auto reader = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->size(), 3u);
  reader->reset();
  EXPECT_EQ(StoredFormat(Dir()), kPreviousFormatVersion);  // a reader changes nothing

  auto writer = Ledger::Open(Dir(), TestKey(1), {});
  ASSERT_OK(writer);
  EXPECT_EQ((*writer)->size(), 3u);
  writer->reset();
  EXPECT_EQ(StoredFormat(Dir()), kFormatVersion);

  // A version this build does not know (an older "1", a newer "4") is refused, naming it.
  for (const char* v : {"1", "4"}) {
    testing::OverwriteStored(Dir(), "meta", "format", std::string(v));
    auto refused = Ledger::Open(Dir(), TestKey(1), {});
    EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition) << v;
    EXPECT_NE(refused.status().message().find(std::string("version ") + v), std::string::npos)
        << refused.status().message();
  }
}

TEST_F(LedgerTest, SecondWriterIsRefusedButReadOnlyOpenWorks) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 3);
  ASSERT_OK(ledger->Append(inputs));
  EXPECT_EQ(Ledger::Open(Dir(), TestKey(1), {}).status().code(), ErrorCode::kUnavailable);
  auto reader = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->size(), 3u);
  EXPECT_TRUE((*reader)->read_only());
  EXPECT_OK((*reader)->Verify());
  EXPECT_EQ((*reader)->Append(inputs).status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(LedgerTest, IntegratedTimeNeverDecreases) {
  std::int64_t now = 1'800'000'000'000;
  LedgerOptions options;
  options.clock = [&now] { return now; };
  auto ledger = CreateAndOpen(options);
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 2);
  auto a = ledger->Append(inputs);
  ASSERT_OK(a);
  EXPECT_EQ(a->entries[0].entry.time_ms, now);
  EXPECT_EQ(a->entries[1].entry.time_ms, now);
  now -= 60'000;  // the system clock steps back a minute
  auto b = ledger->Append(inputs);
  ASSERT_OK(b);
  EXPECT_EQ(b->entries[0].entry.time_ms, now + 60'000);
  now += 120'000;
  auto c = ledger->Append(inputs);
  ASSERT_OK(c);
  EXPECT_EQ(c->entries[0].entry.time_ms, now);
}

TEST_F(LedgerTest, WorksOnRocksDbInMemoryEnv) {
  std::unique_ptr<rocksdb::Env> mem(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  LedgerOptions options;
  options.env = mem.get();
  const std::string dir = "/mem/ledger";
  ASSERT_OK(Ledger::Create(dir, kOrigin, TestKey(1), options));
  {
    auto ledger = Ledger::Open(dir, TestKey(1), options);
    ASSERT_OK(ledger);
    auto inputs = Inputs(0, 10);
    ASSERT_OK((*ledger)->Append(inputs));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  auto ledger = Ledger::Open(dir, TestKey(1), options);
  ASSERT_OK(ledger);
  EXPECT_EQ((*ledger)->size(), 10u);
  EXPECT_OK((*ledger)->Verify());
}

TEST_F(LedgerTest, TilesMatchTheStoredTree) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 300);
  ASSERT_OK(ledger->Append(inputs));
  auto full = ledger->ReadTile(TileRef{false, 0, 0, 256});
  ASSERT_OK(full);
  ASSERT_EQ(full->size(), 256u * 32);
  auto leaf7 = ledger->GetLeaf(7);
  ASSERT_OK(leaf7);
  Digest h = LeafHash(AsBytes(*leaf7));
  EXPECT_TRUE(std::equal(h.begin(), h.end(), full->begin() + 7 * 32));
  auto partial = ledger->ReadTile(TileRef{false, 0, 1, 44});
  ASSERT_OK(partial);
  EXPECT_EQ(partial->size(), 44u * 32);
  EXPECT_EQ(ledger->ReadTile(TileRef{false, 0, 1, 45}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ledger->ReadTile(TileRef{false, 0, 2, 256}).status().code(), ErrorCode::kNotFound);
  // The level-1 partial tile holds the root of the first full level-0 tile.
  auto level1 = ledger->ReadTile(TileRef{false, 1, 0, 1});
  ASSERT_OK(level1);
  auto root256 = ledger->RootAt(256);
  ASSERT_OK(root256);
  EXPECT_TRUE(std::equal(root256->begin(), root256->end(), level1->begin()));
  auto bundle = ledger->ReadTile(TileRef{true, 0, 1, 44});
  ASSERT_OK(bundle);
  auto leaf256 = ledger->GetLeaf(256);
  ASSERT_OK(leaf256);
  ASSERT_GE(bundle->size(), 2 + leaf256->size());
  EXPECT_EQ((static_cast<size_t>((*bundle)[0]) << 8) | (*bundle)[1], leaf256->size());
  EXPECT_EQ(ToString(ByteView(*bundle).subspan(2, leaf256->size())), *leaf256);
  EXPECT_EQ(ledger->ReadTile(TileRef{true, 0, 1, 45}).status().code(), ErrorCode::kNotFound);
}

TEST_F(LedgerTest, ConcurrentAppendsAndReadsStayConsistent) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < 10; ++b) {
        auto inputs = Inputs(t * 1000 + b * 3, 3);
        if (!ledger->Append(inputs).ok()) failed = true;
      }
    });
  }
  std::thread reader([&] {
    for (int i = 0; i < 50; ++i) {
      Head h = ledger->head();
      if (h.checkpoint.size < 2) continue;
      auto proof = ledger->ProveInclusion(1, h.checkpoint.size);
      auto leaf = ledger->GetLeaf(1);
      if (!proof.ok() || !leaf.ok() ||
          !VerifyInclusion(1, h.checkpoint.size, LeafHash(AsBytes(*leaf)), *proof,
                           h.checkpoint.root)
               .ok()) {
        failed = true;
      }
    }
  });
  for (auto& w : writers) w.join();
  reader.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(ledger->size(), 90u);
  EXPECT_OK(ledger->Verify());
}

TEST_F(LedgerTest, OnlineBackupFromAReadOnlyInstanceWhileTheWriterAppends) {
  auto writer = CreateAndOpen();
  ASSERT_NE(writer, nullptr);
  auto inputs = Inputs(0, 30);
  ASSERT_OK(writer->Append(inputs));
  const Head at_backup = writer->head();
  auto reader = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(reader);
  const std::string copy = dir_.str() + "/backup";
  ASSERT_OK((*reader)->Backup(copy));
  EXPECT_EQ((*reader)->Backup(copy).code(), ErrorCode::kAlreadyExists);
  // The writer goes on; the copy keeps the state as of the backup.
  auto more = Inputs(30, 5);
  ASSERT_OK(writer->Append(more));
  reader->reset();
  // A server started on the copy serves the same checkpoint, and the copy verifies.
  auto restored = Ledger::Open(copy, TestKey(1), {});
  ASSERT_OK(restored);
  EXPECT_EQ((*restored)->head().signed_checkpoint, at_backup.signed_checkpoint);
  EXPECT_OK((*restored)->Verify());
  auto next = Inputs(100, 1);
  auto appended = (*restored)->Append(next);
  ASSERT_OK(appended);
  EXPECT_EQ(appended->entries[0].entry.index, 30u);
}

// --- The in-memory upper levels of the tree (ledger/log/hash_cache.h). ---

// Proofs and roots of `ledger` at `size` equal RFC 6962's, computed in memory from
// `leaf_hashes`, and those of `plain` (the same ledger read with no cache), for a
// spread of indexes and old sizes.
void ExpectProofsMatchReference(const Ledger& ledger, const Ledger& plain,
                                const std::vector<Digest>& leaf_hashes, std::uint64_t size,
                                std::mt19937_64& rng) {
  const std::span<const Digest> leaves = std::span<const Digest>(leaf_hashes).first(size);
  auto root = ledger.RootAt(size);
  ASSERT_OK(root);
  EXPECT_EQ(*root, ReferenceRoot(leaves)) << "size " << size;
  std::vector<std::uint64_t> picks = {0, size - 1, size / 2, size & ~std::uint64_t{63}};
  for (int k = 0; k < 3; ++k) picks.push_back(rng() % size);
  for (std::uint64_t m : picks) {
    if (m >= size) continue;
    auto proof = ledger.ProveInclusion(m, size);
    ASSERT_OK(proof);
    EXPECT_EQ(*proof, ReferenceInclusionProof(leaves, m)) << "leaf " << m << " size " << size;
    auto other = plain.ProveInclusion(m, size);
    ASSERT_OK(other);
    EXPECT_EQ(*proof, *other) << "leaf " << m << " size " << size;
    const std::uint64_t old_size = m + 1;
    auto consistency = ledger.ProveConsistency(old_size, size);
    ASSERT_OK(consistency);
    EXPECT_EQ(*consistency, ReferenceConsistencyProof(leaves, old_size))
        << "from " << old_size << " to " << size;
    auto other_consistency = plain.ProveConsistency(old_size, size);
    ASSERT_OK(other_consistency);
    EXPECT_EQ(*consistency, *other_consistency) << "from " << old_size << " to " << size;
  }
}

class LedgerHashCacheTest : public LedgerTest, public ::testing::WithParamInterface<int> {};

TEST_P(LedgerHashCacheTest, ProofsEqualTheReferenceAcrossBatchesAndReopens) {
  LedgerOptions options;
  options.hash_cache_min_level = GetParam();
  LedgerOptions no_cache;
  no_cache.hash_cache_min_level = kHashCacheOff;
  ASSERT_OK(Ledger::Create(Dir(), kOrigin, TestKey(1), options));
  std::vector<Digest> leaf_hashes;
  std::mt19937_64 rng(static_cast<std::uint64_t>(GetParam()) + 5);
  // Uneven batches whose ends fall on, just before and just after block boundaries.
  const std::vector<int> batches = {1, 2, 61, 1, 64, 127, 1, 3, 250, 1, 300, 13, 200};
  std::size_t b = 0;
  for (int round = 0; round < 4; ++round) {  // reopen between rounds
    auto ledger = Ledger::Open(Dir(), TestKey(1), options);
    ASSERT_OK(ledger);
    for (std::size_t k = 0; k < 4 && b < batches.size(); ++k, ++b) {
      const auto first = static_cast<int>(leaf_hashes.size());
      auto inputs = Inputs(first, batches[b]);
      auto appended = (*ledger)->Append(inputs);
      ASSERT_OK(appended);
      for (const AppendedEntry& e : appended->entries) leaf_hashes.push_back(e.leaf_hash);
      EXPECT_EQ(appended->checkpoint.root, ReferenceRoot(leaf_hashes));
      auto plain = Ledger::OpenReadOnly(Dir(), no_cache);  // sees the durable head
      ASSERT_OK(plain);
      const std::uint64_t size = leaf_hashes.size();
      for (std::uint64_t at : {size, size - 1, std::bit_floor(size)}) {
        if (at == 0) continue;
        ExpectProofsMatchReference(**ledger, **plain, leaf_hashes, at, rng);
      }
      // A tile whose hashes come from the cache (level 1 tiles are tree level 8).
      if (size >= 256) {
        auto tile = (*ledger)->ReadTile(TileRef{false, 1, 0, 1});
        auto plain_tile = (*plain)->ReadTile(TileRef{false, 1, 0, 1});
        ASSERT_OK(tile);
        ASSERT_OK(plain_tile);
        EXPECT_EQ(*tile, *plain_tile);
      }
    }
    if (GetParam() != kHashCacheOff && leaf_hashes.size() >= (std::uint64_t{2} << GetParam())) {
      EXPECT_GT((*ledger)->hash_cache_bytes(), 0u);
    }
    EXPECT_OK((*ledger)->Verify());
  }
  ASSERT_EQ(b, batches.size());
  auto reopened = Ledger::OpenReadOnly(Dir(), options);
  ASSERT_OK(reopened);
  auto plain = Ledger::OpenReadOnly(Dir(), no_cache);
  ASSERT_OK(plain);
  for (std::uint64_t at = 1; at <= leaf_hashes.size(); at += 97) {
    ExpectProofsMatchReference(**reopened, **plain, leaf_hashes, at, rng);
  }
}

INSTANTIATE_TEST_SUITE_P(MinLevels, LedgerHashCacheTest, ::testing::Values(0, 1, 3, 6));

TEST_F(LedgerTest, HashCacheMinLevelOutsideZeroTo63IsInvalid) {
  ASSERT_OK(Ledger::Create(Dir(), kOrigin, TestKey(1), {}));
  for (int level : {-1, 64}) {
    LedgerOptions options;
    options.hash_cache_min_level = level;
    EXPECT_EQ(Ledger::Open(Dir(), TestKey(1), options).status().code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(Ledger::OpenReadOnly(Dir(), options).status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST_F(LedgerTest, FlippedInteriorUpperHashMakesOpenFail) {
  // Subtree (6, 0) is inside [0, 256): the root check alone never reads it, but the
  // cache is checked parent against children before any proof is served from it.
  {
    auto ledger = CreateAndOpen();
    ASSERT_NE(ledger, nullptr);
    auto inputs = Inputs(0, 300);
    ASSERT_OK(ledger->Append(inputs));
  }
  const std::uint64_t idx = StoredHashIndex(6, 0);
  TamperWith(Dir(), "tree", EncodeFixed64BE(idx), [](std::string* v) { (*v)[9] ^= 0x02; });
  auto ledger = Ledger::Open(Dir(), TestKey(1), {});
  EXPECT_EQ(ledger.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(ledger.status().message().find(std::to_string(StoredHashIndex(7, 0))),
            std::string::npos)
      << ledger.status().message();
  // Without the cache the ledger opens, and Verify names the leaf that stored it.
  LedgerOptions no_cache;
  no_cache.hash_cache_min_level = kHashCacheOff;
  auto plain = Ledger::OpenReadOnly(Dir(), no_cache);
  ASSERT_OK(plain);
  Status s = (*plain)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("leaf 63"), std::string::npos) << s.message();
}

// --- Corruption: every stored byte that matters is checked by Verify or Open. ---

class LedgerCorruptionTest : public LedgerTest {
 protected:
  void SetUp() override {
    auto ledger = CreateAndOpen();
    ASSERT_NE(ledger, nullptr);
    auto inputs = Inputs(0, 20);
    ASSERT_OK(ledger->Append(inputs));
  }
};

TEST_F(LedgerCorruptionTest, FlippedLeafByteIsNamedByVerify) {
  TamperWith(Dir(), "leaves", EncodeFixed64BE(7), [](std::string* v) { (*v)[30] ^= 0x01; });
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);  // the head still matches; only a full check sees leaf 7
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("leaf 7"), std::string::npos) << s.message();
}

TEST_F(LedgerCorruptionTest, FlippedTreeHashIsNamedByVerify) {
  // Stored hash 10 is written when leaf 6 is appended (StoredHashCount(6) = 10).
  ASSERT_EQ(StoredHashCount(6), 10u);
  TamperWith(Dir(), "tree", EncodeFixed64BE(10),
             [](std::string* v) { (*v)[0] = static_cast<char>((*v)[0] ^ 0x40); });
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("leaf 6"), std::string::npos) << s.message();
}

TEST_F(LedgerCorruptionTest, FlippedBorderHashMakesOpenFail) {
  // The root of size 20 reads the perfect subtree [0,16) hash: a flipped bit there
  // no longer matches the signed checkpoint, so Open refuses the ledger.
  const std::uint64_t idx = StoredHashIndex(4, 0);
  TamperWith(Dir(), "tree", EncodeFixed64BE(idx), [](std::string* v) { (*v)[5] ^= 0x04; });
  auto ledger = Ledger::Open(Dir(), TestKey(1), {});
  EXPECT_EQ(ledger.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(ledger.status().message().find("root"), std::string::npos);
}

TEST_F(LedgerCorruptionTest, TamperedCheckpointMakesOpenFail) {
  TamperWith(Dir(), "meta", "checkpoint", [](std::string* v) {
    // Claim a different size: the signature no longer verifies.
    v->replace(v->find("\n20\n"), 4, "\n21\n");
  });
  auto ledger = Ledger::Open(Dir(), TestKey(1), {});
  EXPECT_EQ(ledger.status().code(), ErrorCode::kCorruption);
}

TEST_F(LedgerCorruptionTest, SwappedEnvelopeIsNamedByVerify) {
  auto reader = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(reader);
  auto leaf = (*reader)->GetLeaf(3);
  ASSERT_OK(leaf);
  auto entry = DecodeLeaf(*leaf);
  ASSERT_OK(entry);
  reader->reset();
  TamperWith(Dir(), "envelopes", EncodeFixed64BE(entry->index),
             [](std::string* v) { v->push_back(' '); });
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("leaf 3"), std::string::npos) << s.message();
}

TEST_F(LedgerCorruptionTest, LostEnvelopeIsNamedByVerify) {
  testing::OverwriteStored(Dir(), "envelopes", EncodeFixed64BE(12), std::nullopt);
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("the envelope of leaf 12: missing"), std::string::npos) << s.message();
  auto leaf = (*ledger)->GetLeaf(12);
  ASSERT_OK(leaf);
  auto entry = DecodeLeaf(*leaf);
  ASSERT_OK(entry);
  EXPECT_EQ((*ledger)->GetEnvelope(*entry).status().code(), ErrorCode::kNotFound);
}

TEST_F(LedgerCorruptionTest, EnvelopeStoredBeyondTheTreeFailsVerify) {
  testing::OverwriteStored(Dir(), "envelopes", EncodeFixed64BE(20), "{}");
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("envelope is stored beyond the tree size 20"), std::string::npos)
      << s.message();
}

TEST_F(LedgerCorruptionTest, SwappedEnvelopeIsRefusedByGetEnvelope) {
  // Leaf 4 pointing at leaf 5's envelope bytes: the read checks the hash.
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  auto leaf5 = (*ledger)->GetLeaf(5);
  ASSERT_OK(leaf5);
  auto entry5 = DecodeLeaf(*leaf5);
  ASSERT_OK(entry5);
  auto envelope5 = (*ledger)->GetEnvelope(*entry5);
  ASSERT_OK(envelope5);
  ledger->reset();
  testing::OverwriteStored(Dir(), "envelopes", EncodeFixed64BE(4), *envelope5);
  auto reopened = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(reopened);
  auto leaf4 = (*reopened)->GetLeaf(4);
  ASSERT_OK(leaf4);
  auto entry4 = DecodeLeaf(*leaf4);
  ASSERT_OK(entry4);
  EXPECT_EQ((*reopened)->GetEnvelope(*entry4).status().code(), ErrorCode::kCorruption);
  Status s = (*reopened)->Verify();
  EXPECT_NE(s.message().find("leaf 4"), std::string::npos) << s.message();
}

// Verify reads in runs of 4,096 leaves checked on all cores: a fault in a later run, in
// any thread's slice, is still named by its index.
TEST_F(LedgerTest, VerifyNamesAFaultPastTheFirstRunOfLeaves) {
  {
    auto ledger = CreateAndOpen();
    ASSERT_NE(ledger, nullptr);
    for (int first = 0; first < 9000; first += 1000) {
      auto inputs = Inputs(first, 1000);
      ASSERT_OK(ledger->Append(inputs));
    }
    ASSERT_OK(ledger->Verify());
  }
  TamperWith(Dir(), "leaves", EncodeFixed64BE(8191), [](std::string* v) { (*v)[30] ^= 0x01; });
  TamperWith(Dir(), "tree", EncodeFixed64BE(StoredHashCount(8500)),
             [](std::string* v) { (*v)[3] ^= 0x01; });
  auto ledger = Ledger::OpenReadOnly(Dir(), {});
  ASSERT_OK(ledger);
  Status s = (*ledger)->Verify();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("leaf 8191"), std::string::npos) << s.message();
}

TEST_F(LedgerCorruptionTest, NewestLeafTamperingMakesOpenFail) {
  TamperWith(Dir(), "leaves", EncodeFixed64BE(19), [](std::string* v) { (*v)[40] ^= 0x02; });
  auto ledger = Ledger::Open(Dir(), TestKey(1), {});
  EXPECT_EQ(ledger.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(ledger.status().message().find("leaf 19"), std::string::npos);
}

// A crash image (the files as they are right after an acknowledged append, before any
// clean close) whose write-ahead log has one flipped byte must not open: dropping the
// damaged record would silently lose an acknowledged batch. A torn (truncated) tail,
// which only an unacknowledged write can leave, is tolerated.
TEST_F(LedgerTest, DamagedLogRecordFailsOpenButTornTailIsTolerated) {
  auto ledger = CreateAndOpen();
  ASSERT_NE(ledger, nullptr);
  auto inputs = Inputs(0, 6);
  ASSERT_OK(ledger->Append(inputs));
  const std::string flipped = dir_.str() + "/flipped";
  const std::string torn = dir_.str() + "/torn";
  std::filesystem::copy(Dir(), flipped);
  std::filesystem::copy(Dir(), torn);
  ledger.reset();
  std::filesystem::path log;
  for (const auto& e : std::filesystem::directory_iterator(flipped)) {
    if (e.path().extension() == ".log" && e.file_size() > 0) log = e.path();
  }
  ASSERT_FALSE(log.empty());
  std::string bytes = testing::ReadFileOrDie(log);
  ASSERT_GT(bytes.size(), 200u);
  bytes[bytes.size() - 150] = static_cast<char>(bytes[bytes.size() - 150] ^ 0x01);
  {
    std::ofstream out(log, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto damaged = Ledger::OpenReadOnly(flipped, {});
  EXPECT_EQ(damaged.status().code(), ErrorCode::kCorruption) << damaged.status().ToString();

  const std::filesystem::path torn_log = torn / log.filename();
  std::filesystem::resize_file(torn_log, std::filesystem::file_size(torn_log) - 40);
  auto recovered = Ledger::Open(torn, TestKey(1), {});
  ASSERT_OK(recovered);
  EXPECT_OK((*recovered)->Verify());
}

// --- Storage faults: a failed write turns the ledger read-only until reopened. ---

TEST_F(LedgerTest, FailedSyncTurnsLedgerReadOnlyAndReopenRecovers) {
  testing::FaultFileSystem faults;
  LedgerOptions options;
  options.env = faults.env();
  std::uint64_t acknowledged = 0;
  {
    auto ledger = CreateAndOpen(options);
    ASSERT_NE(ledger, nullptr);
    auto inputs = Inputs(0, 5);
    ASSERT_OK(ledger->Append(inputs));
    acknowledged = ledger->size();
    faults.Fail(testing::FaultFileSystem::kSync);
    auto more = Inputs(5, 5);
    auto failed = ledger->Append(more);
    EXPECT_EQ(failed.status().code(), ErrorCode::kUnavailable);
    EXPECT_GT(faults.injected(), 0);
    EXPECT_TRUE(ledger->read_only());
    EXPECT_EQ(ledger->size(), acknowledged);  // nothing unacknowledged is served
    faults.Heal();
    // Even with the disk healed, the ledger stays read-only until it is reopened...
    EXPECT_EQ(ledger->Append(more).status().code(), ErrorCode::kUnavailable);
    // ...and keeps serving reads of what it acknowledged.
    auto proof = ledger->ProveInclusion(2, acknowledged);
    EXPECT_OK(proof);
  }
  auto reopened = Ledger::Open(Dir(), TestKey(1), options);
  ASSERT_OK(reopened);
  // The failed batch's outcome is unknown (style.md B.7): it is either wholly there
  // or wholly absent, and everything acknowledged is there.
  const std::uint64_t size = (*reopened)->size();
  EXPECT_TRUE(size == acknowledged || size == acknowledged + 5) << size;
  EXPECT_OK((*reopened)->Verify());
  auto inputs = Inputs(10, 1);
  EXPECT_OK((*reopened)->Append(inputs));
}

// RocksDB renames files when it opens a database (a new MANIFEST becomes CURRENT), not
// while it appends; a failing rename makes the open fail, clearly and without damage.
TEST_F(LedgerTest, FailedRenameAtOpenFailsTheOpenAndLosesNothing) {
  testing::FaultFileSystem faults;
  LedgerOptions options;
  options.env = faults.env();
  Head before;
  {
    auto ledger = CreateAndOpen(options);
    ASSERT_NE(ledger, nullptr);
    auto inputs = Inputs(0, 7);
    ASSERT_OK(ledger->Append(inputs));
    before = ledger->head();
  }
  faults.Fail(testing::FaultFileSystem::kRename);
  auto failed = Ledger::Open(Dir(), TestKey(1), options);
  EXPECT_FALSE(failed.ok());
  EXPECT_GT(faults.injected(), 0);
  faults.Heal();
  auto reopened = Ledger::Open(Dir(), TestKey(1), options);
  ASSERT_OK(reopened);
  EXPECT_EQ((*reopened)->head().signed_checkpoint, before.signed_checkpoint);
  EXPECT_OK((*reopened)->Verify());
}

TEST_F(LedgerTest, FailedAppendWriteTurnsLedgerReadOnly) {
  testing::FaultFileSystem faults;
  LedgerOptions options;
  options.env = faults.env();
  auto ledger = CreateAndOpen(options);
  ASSERT_NE(ledger, nullptr);
  faults.Fail(testing::FaultFileSystem::kAppend);
  auto inputs = Inputs(0, 2);
  EXPECT_EQ(ledger->Append(inputs).status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(ledger->read_only());
  EXPECT_EQ(ledger->size(), 0u);
}

}  // namespace
}  // namespace ipledger
