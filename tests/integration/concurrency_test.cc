// Concurrency: many submitters and readers through HTTP, the group
// committer stopped with submissions queued, and concurrent ledger appends, proofs and
// tiles. Built like every test, and run under ThreadSanitizer by tools/tsan.sh (label
// concurrency), where a data race fails the test; the assertions below check that every
// interleaving still gives one consistent, verifiable log.
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/bytes.h"
#include "crypto/note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/ledger.h"
#include "ledger/log/merkle.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/replay.h"
#include "tests/testing/server_fixture.h"

namespace ipledger {
namespace {

using nlohmann::json;

// A participant.register by the registry for "firm-<n>".
Statement NewFirm(testing::RegistryFixture& f, int n) {
  ParticipantRegister p;
  p.id = "firm-" + std::to_string(n);
  p.name = p.id;
  p.role = Role::kEnterprise;
  p.keys = {{"k1", testing::TestKey(1000 + n).public_key()}};
  return f.Make("registry", p);
}

std::vector<Digest> DigestsOf(const json& list) {
  std::vector<Digest> out;
  for (const auto& h : list) {
    auto bytes = Base64Decode(h.get<std::string>());
    if (!bytes) return {};
    auto d = DigestFromBytes(*bytes);
    if (!d) return {};
    out.push_back(*d);
  }
  return out;
}

TEST(ConcurrencyTest, SubmittersAndReadersOverHttpSeeOneConsistentLog) {
  testing::ServerFixtureOptions options;
  options.server.io_threads = 4;
  testing::ServerFixture s(options);
  testing::RegistryFixture& f = s.f();
  constexpr int kSubmitters = 4;
  constexpr int kEach = 8;
  std::vector<std::vector<std::string>> work(kSubmitters);
  for (int t = 0; t < kSubmitters; ++t) {
    for (int i = 0; i < kEach; ++i) {
      work[static_cast<size_t>(t)].push_back(
          f.Sign(NewFirm(f, t * kEach + i), {"registry"}).envelope_bytes);
    }
  }
  const NoteVerifier verifier = f.registry().ledger().verifier();
  const std::uint64_t before = f.registry().ledger().size();

  std::mutex mu;
  std::vector<json> receipts;    // guarded by mu
  std::vector<Checkpoint> seen;  // guarded by mu: checkpoints the readers saw
  std::atomic<int> failures{0};
  std::atomic<int> submitters_left{kSubmitters};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      api::Client c("127.0.0.1", s.port());
      for (const std::string& envelope : work[static_cast<size_t>(t)]) {
        auto r = c.Request("POST", "/v1/entries", envelope);
        if (!r.ok() || r->status != 201) {
          ++failures;
          ADD_FAILURE() << (r.ok() ? r->body : r.status().ToString());
          continue;
        }
        std::lock_guard<std::mutex> l(mu);
        receipts.push_back(json::parse(r->body, nullptr, false));
      }
      --submitters_left;
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      api::Client c("127.0.0.1", s.port());
      // GET `target`; nullopt, and a failure naming it, unless it answers 200.
      auto get = [&](const std::string& target) -> std::optional<api::HttpResponse> {
        auto r = c.Request("GET", target);
        if (r.ok() && r->status == 200) return std::move(*r);
        ++failures;
        ADD_FAILURE() << "GET " << target << ": "
                      << (r.ok() ? std::to_string(r->status) + " " + r->body
                                 : r.status().ToString());
        return std::nullopt;
      };
      std::uint64_t last_size = 0;
      int rounds = 0;
      // At least a few rounds, even if the submitters finish first.
      while (submitters_left.load() > 0 || rounds < 3) {
        ++rounds;
        auto cp = get("/log/checkpoint");
        if (!cp) continue;
        auto opened = OpenCheckpoint(cp->body, verifier);
        if (!opened.ok() || opened->size < last_size) {
          ++failures;
          ADD_FAILURE() << "checkpoint went back or does not verify: " << cp->body;
          continue;
        }
        last_size = opened->size;
        {
          std::lock_guard<std::mutex> l(mu);
          seen.push_back(*opened);
        }
        // An inclusion proof against the checkpoint just seen, for an entry near its end.
        const std::uint64_t index = opened->size - (opened->size > 1 && t == 1 ? 2 : 1);
        auto entry = get("/v1/entries/" + std::to_string(index));
        auto proof = get("/v1/entries/" + std::to_string(index) +
                         "/proof?size=" + std::to_string(opened->size));
        if (!entry || !proof) continue;
        const json e = json::parse(entry->body, nullptr, false);
        const json p = json::parse(proof->body, nullptr, false);
        auto leaf = Base64Decode(e["leaf"].get<std::string>());
        if (!leaf || !VerifyInclusion(index, opened->size, LeafHash(*leaf), DigestsOf(p["hashes"]),
                                      opened->root)
                          .ok()) {
          ++failures;
          ADD_FAILURE() << "inclusion of " << index << " in " << opened->size;
        }
        // Derived state read while the sequencer writes.
        get(t == 0 ? "/v1/participants" : "/metrics");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  const Ledger& ledger = f.registry().ledger();
  ASSERT_EQ(ledger.size(), before + kSubmitters * kEach);
  const Head final_head = ledger.head();
  // Every receipt: a distinct index, its leaf at that index, its proof against its own
  // checkpoint, and that checkpoint a prefix of the final tree.
  std::set<std::uint64_t> indexes;
  for (const json& r : receipts) {
    const std::uint64_t index = r["index"];
    indexes.insert(index);
    auto leaf = Base64Decode(r["leaf"].get<std::string>());
    ASSERT_TRUE(leaf.has_value());
    auto stored = ledger.GetLeaf(index);
    ASSERT_OK(stored);
    EXPECT_EQ(ToString(*leaf), *stored);
    auto cp = OpenCheckpoint(r["checkpoint"].get<std::string>(), verifier);
    ASSERT_OK(cp);
    EXPECT_OK(VerifyInclusion(index, cp->size, LeafHash(*leaf), DigestsOf(r["inclusion_proof"]),
                              cp->root));
    seen.push_back(*cp);
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kSubmitters * kEach));
  for (const Checkpoint& cp : seen) {
    if (cp.size == 0 || cp.size == final_head.checkpoint.size) {
      EXPECT_TRUE(cp.size == 0 || cp.root == final_head.checkpoint.root);
      continue;
    }
    auto proof = ledger.ProveConsistency(cp.size, final_head.checkpoint.size);
    ASSERT_OK(proof);
    EXPECT_OK(VerifyConsistency(cp.size, final_head.checkpoint.size, cp.root,
                                final_head.checkpoint.root, *proof))
        << "checkpoint of size " << cp.size;
  }
  EXPECT_OK(ledger.Verify());
}

// Stop() while producers are still enqueueing: each callback runs exactly once; what
// was accepted is in the log, in full; what was refused for shutdown or overload is not.
void StopWithQueuedSubmissions(std::size_t max_queue) {
  testing::RegistryFixture f;
  constexpr int kProducers = 3;
  constexpr int kEach = 20;
  constexpr int kTotal = kProducers * kEach;
  std::vector<Submission> work;
  for (int i = 0; i < kTotal; ++i) work.push_back(f.Sign(NewFirm(f, i), {"registry"}));
  const std::uint64_t before = f.registry().ledger().size();

  GroupCommitOptions options;
  options.max_queue = max_queue;
  options.max_batch = 4;  // several batches, so that Stop lands between them
  auto committer = std::make_unique<GroupCommitter>(f.registry(), options);
  std::vector<std::atomic<int>> calls(kTotal);
  std::mutex mu;
  std::map<int, StatusOr<CommitResult>> results;  // guarded by mu
  std::atomic<int> enqueued{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = p * kEach; i < (p + 1) * kEach; ++i) {
        committer->Enqueue(work[static_cast<size_t>(i)], [&, i](StatusOr<CommitResult> r) {
          ++calls[static_cast<size_t>(i)];
          std::lock_guard<std::mutex> l(mu);
          results.emplace(i, std::move(r));
        });
        ++enqueued;
      }
    });
  }
  // Stop once some are queued and others are still on their way.
  while (enqueued.load() < kTotal / 4) std::this_thread::yield();
  committer->Stop();
  for (auto& t : producers) t.join();
  committer->Stop();  // idempotent
  committer.reset();

  Registry& registry = f.registry();
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < kTotal; ++i) {
    SCOPED_TRACE("submission " + std::to_string(i));
    EXPECT_EQ(calls[static_cast<size_t>(i)].load(), 1);
    auto it = results.find(i);
    ASSERT_NE(it, results.end());
    const std::string id = "firm-" + std::to_string(i);
    if (it->second.ok()) {
      const CommitResult& r = *it->second;
      ASSERT_EQ(r.outcome.kind, OutcomeKind::kAccepted) << r.outcome.detail;
      ++accepted;
      auto leaf = registry.ledger().GetLeaf(r.outcome.index);
      ASSERT_OK(leaf);
      EXPECT_EQ(*leaf, r.outcome.leaf);
      EXPECT_OK(registry.GetParticipant(id));
      auto cp = OpenCheckpoint(r.signed_checkpoint, registry.ledger().verifier());
      ASSERT_OK(cp);
      EXPECT_OK(VerifyInclusion(r.outcome.index, cp->size, LeafHash(AsBytes(r.outcome.leaf)),
                                r.inclusion_proof, cp->root));
    } else {
      EXPECT_EQ(it->second.status().code(), ErrorCode::kUnavailable);
      ++refused;
      EXPECT_EQ(registry.GetParticipant(id).status().code(), ErrorCode::kNotFound);
    }
  }
  EXPECT_EQ(accepted + refused, kTotal);
  EXPECT_GT(accepted, 0);
  EXPECT_EQ(registry.ledger().size(), before + static_cast<std::uint64_t>(accepted));
  EXPECT_OK(registry.ledger().Verify());
  std::printf("max_queue %zu: %d accepted, %d refused\n", max_queue, accepted, refused);
}

TEST(ConcurrencyTest, GroupCommitterStopWithQueuedSubmissionsCompletesEachOnce) {
  StopWithQueuedSubmissions(16384);
}

TEST(ConcurrencyTest, GroupCommitterStopWhileOverloadedCompletesEachOnce) {
  StopWithQueuedSubmissions(2);
}

EntryInput Input(int n) {
  EntryInput in;
  in.type = "asset.register";
  in.envelope = "{\"n\":" + std::to_string(n) + "}";
  in.parties = {"registry"};
  in.signers = {"registry/k1"};
  in.subjects = {"patent:" + std::to_string(n)};
  return in;
}

TEST(ConcurrencyTest, LedgerAppendsWithConcurrentProofsAndTiles) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/db";
  ASSERT_OK(Ledger::Create(path, "test.ipledger.example/log", testing::TestKey(1), {}));
  auto opened = Ledger::Open(path, testing::TestKey(1), {});
  ASSERT_OK(opened);
  Ledger& ledger = **opened;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < 12; ++b) {
        std::vector<EntryInput> batch;
        for (int i = 0; i < 1 + (b % 3); ++i) batch.push_back(Input(t * 1000 + b * 10 + i));
        auto r = ledger.Append(batch);
        if (!r.ok() || r->entries.size() != batch.size()) ++failures;
      }
    });
  }
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      Checkpoint previous;
      while (!done.load()) {
        const Head h = ledger.head();
        const std::uint64_t n = h.checkpoint.size;
        if (n == 0) continue;
        // The previous head is a prefix of this one.
        if (previous.size > 0 && previous.size <= n) {
          auto proof = ledger.ProveConsistency(previous.size, n);
          if (!proof.ok() ||
              !VerifyConsistency(previous.size, n, previous.root, h.checkpoint.root, *proof).ok()) {
            ++failures;
          }
        } else if (previous.size > n) {
          ++failures;  // the head went back
        }
        previous = h.checkpoint;
        // The newest entry is in the tree just read; the level-0 tile agrees with it.
        const std::uint64_t index = t == 0 ? n - 1 : n / 2;
        auto leaf = ledger.GetLeaf(index);
        auto proof = ledger.ProveInclusion(index, n);
        if (!leaf.ok() || !proof.ok() ||
            !VerifyInclusion(index, n, LeafHash(AsBytes(*leaf)), *proof, h.checkpoint.root).ok()) {
          ++failures;
        }
        TileRef tile;
        tile.index = (n - 1) / kTileWidth;
        tile.width = static_cast<std::uint32_t>(n - tile.index * kTileWidth);
        auto bytes = ledger.ReadTile(tile);
        if (!bytes.ok() || bytes->size() != tile.width * Digest().size()) ++failures;
        auto root = ledger.RootAt(n);
        if (!root.ok() || *root != h.checkpoint.root) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ledger.size(), 3u * (12 / 3) * (1 + 2 + 3));
  EXPECT_OK(ledger.Verify());
}

// Replay prepares chunks of entries on worker threads ahead of the sequencing thread,
// which prepares chunks too while it waits. A clean log of many chunks replays whole;
// a fault in the second chunk ends the replay while the workers are still preparing
// later chunks, and they stop and are joined without a race (run under TSan).
TEST(ConcurrencyTest, ReplayWorkersPrepareAheadAndStopOnAnEarlyFault) {
  testing::RegistryFixture f;
  std::vector<Submission> batch;
  for (int n = 0; n < 1200; ++n) {
    batch.push_back(f.Sign(NewFirm(f, n), {"registry"}));
    if (batch.size() == 300) {
      auto outcomes = f.registry().Submit(batch);
      ASSERT_OK(outcomes);
      batch.clear();
    }
  }
  ASSERT_EQ(f.registry().ledger().size(), 1201u);
  {
    testing::TempDir scratch;
    auto report = ReplayAndCompare(f.registry(), scratch.str() + "/db", api::DecodeSubmission);
    ASSERT_OK(report);
    EXPECT_EQ(report->entries, 1201u);
  }
  f.Close();
  const std::string db = f.dir() + "/db";
  ASSERT_TRUE(testing::BreakStoredSignature(db, 150));
  auto source = Registry::OpenReadOnly(db, {});
  ASSERT_OK(source);
  testing::TempDir scratch;
  auto report = ReplayAndCompare(**source, scratch.str() + "/db", api::DecodeSubmission);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(report.status().message().find("entry 150"), std::string::npos)
      << report.status().message();
}

}  // namespace
}  // namespace ipledger
