// The read path's caches (issue #18, item 5; api/server/read_cache.h) over real HTTP on
// 127.0.0.1 port 0 and a real registry: a cached answer is never served after a change,
// visibility never leaks between callers, the bounds hold, and the RFC 9421 cache skips
// only the Ed25519 check (nonce replays, wrong keys and revoked keys are still refused).
#include "api/server/read_cache.h"

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/codec/http_signature.h"
#include "crypto/bytes.h"
#include "ledger/registry/asset_id.h"
#include "tests/testing/http_story.h"
#include "tests/testing/server_fixture.h"

namespace ipledger {
namespace {

using nlohmann::json;

constexpr char kAsset[] = "/v1/assets/patent:2014103620773";
constexpr char kStatus[] = "/v1/assets/patent:2014103620773/pledge-status";

json Body(const api::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

class ReadCacheTest : public testing::HttpStoryTest {
 protected:
  // The value of ipledger_read_cache_lookups_total{cache,result} on /metrics (0 if absent).
  std::uint64_t Lookups(const std::string& cache, const std::string& result) {
    const std::string body = Get("/metrics").body;
    const std::string series =
        "ipledger_read_cache_lookups_total{cache=\"" + cache + "\",result=\"" + result + "\"} ";
    const size_t at = body.find(series);
    if (at == std::string::npos) return 0;
    return std::stoull(body.substr(at + series.size()));
  }
};

TEST_F(ReadCacheTest, ARepeatedReadIsAHitWithTheSameBytes) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  const auto first = Get(kStatus, "ccb-quzhou");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::uint64_t hits = Lookups("pledge_status", "hit");
  const auto second = Get(kStatus, "ccb-quzhou");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.content_type, first.content_type);
  EXPECT_EQ(Lookups("pledge_status", "hit"), hits + 1);
  // The asset view too, for anonymous and signed callers alike (it is public).
  const auto a1 = Get(kAsset);
  const auto a2 = Get(kAsset, "picc-zhejiang");
  EXPECT_EQ(a1.body, a2.body);
  EXPECT_GE(Lookups("asset", "hit"), 1u);
  EXPECT_GE(Lookups("signature", "miss"), 1u);
}

TEST_F(ReadCacheTest, ACachedAnswerIsNeverServedAfterAChangeToTheAsset) {
  // Warm both views while the asset is not pledged.
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(Body(Get(kStatus, "ccb-quzhou"))["pledged"].get<bool>());
    EXPECT_TRUE(Body(Get(kAsset))["active_pledges"].empty());
  }
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  const json status = Body(Get(kStatus, "ccb-quzhou"));
  EXPECT_TRUE(status["pledged"].get<bool>());
  EXPECT_EQ(status["pledges"][0]["pledge_id"], "PL-1");
  EXPECT_EQ(Body(Get(kAsset))["active_pledges"][0]["pledge_id"], "PL-1");
  // An entry about another asset changes the log the answer is evidenced against: the
  // answer names the new checkpoint, never the one it had before.
  const std::uint64_t size_before = s_.f().registry().ledger().size();
  s_.f().AddPatent("201410362099X", {"hengtai-valve"});
  const json after = Body(Get(kStatus, "ccb-quzhou"));
  EXPECT_EQ(after["as_of"]["index"].get<std::uint64_t>(), s_.f().registry().ledger().size() - 1);
  EXPECT_GT(s_.f().registry().ledger().size(), size_before);
  EXPECT_NE(after["as_of"]["checkpoint"], status["as_of"]["checkpoint"]);
}

TEST_F(ReadCacheTest, CoverageIsCachedPerQueryAndNeverServedAfterAChange) {
  const std::string on = FormatDate(AddDays(s_.f().today(), 30));
  const std::string coverage = "/v1/assets/patent:2014103620773/coverage?date=" + on;
  // Not covered yet; the second read is a hit with the same bytes, for another caller too.
  const auto first = Get(coverage, "ccb-quzhou");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(Body(first)["covered"].get<bool>());
  const std::uint64_t hits = Lookups("coverage", "hit");
  EXPECT_EQ(Get(coverage, "picc-zhejiang").body, first.body);
  EXPECT_EQ(Lookups("coverage", "hit"), hits + 1);
  // Another date is another answer, not the cached one.
  const auto later = Get("/v1/assets/patent:2014103620773/coverage?date=2030-01-01", "ccb-quzhou");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(Body(later)["date"], "2030-01-01");
  // A bad query is answered 400 every time, never cached.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Get("/v1/assets/patent:2014103620773/coverage?date=2030-13-01", "ccb-quzhou").status,
              400);
  }
  // A policy issued on the asset: the next answer covers it.
  ASSERT_EQ(s_.Post(s_.f().Make("picc-zhejiang", PolicyBody("POL-1"))).status, 201);
  const json after = Body(Get(coverage, "ccb-quzhou"));
  EXPECT_TRUE(after["covered"].get<bool>()) << after.dump();
  EXPECT_EQ(after["policies"][0]["policy_id"], "POL-1");
  EXPECT_EQ(after["as_of"]["index"].get<std::uint64_t>(), s_.f().registry().ledger().size() - 1);
  // Anonymous callers are refused before the cache is asked.
  EXPECT_EQ(Get(coverage).status, 401);
}

TEST_F(ReadCacheTest, ReadsRacingWritesNeverSeeAnAnswerOlderThanAReceipt) {
  constexpr std::size_t kAssets = 4;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < kAssets; ++i) {
    const std::string body = "20141036210" + std::to_string(i);
    const std::string no = body + *CnipaCheckCharacter(body);
    s_.f().AddPatent(no, {"lanyu-materials"});
    ids.push_back("patent:" + no);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      auto c = s_.ClientFor(t == 0 ? "ccb-quzhou" : "cnipa-zj");
      for (std::size_t k = 0; !stop; ++k) {
        const std::string& id = ids[k % ids.size()];
        auto r = c->Request("GET", "/v1/assets/" + id + (t == 2 ? "" : "/pledge-status"));
        if (!r.ok() || r->status != 200) ++bad;
      }
    });
  }
  for (std::size_t i = 0; i < kAssets; ++i) {
    auto reg = s_.Post(
        s_.f().Make("ccb-quzhou", s_.f().PledgeBody("PL-" + std::to_string(i), {"lanyu-materials"},
                                                    {ids[i]}, DateFromCivil(2028, 1, 1))),
        {"ccb-quzhou", "lanyu-materials"});
    ASSERT_EQ(reg.status, 201) << reg.body;
    const std::uint64_t index = Body(reg)["index"];
    // Once the receipt is out, every answer covers the entry.
    const json st = Body(Get("/v1/assets/" + ids[i] + "/pledge-status", "ccb-quzhou"));
    EXPECT_GE(st["as_of"]["index"].get<std::uint64_t>(), index);
    EXPECT_TRUE(st["pledged"].get<bool>()) << st.dump();
    EXPECT_EQ(Body(Get("/v1/assets/" + ids[i]))["active_pledges"].size(), 1u);
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(ReadCacheTest, VisibilityNeverLeaksBetweenCallers) {
  ASSERT_EQ(PostPledge("PL-1").status, 201);
  // Each caller asks twice, in an order where a party's answer is cached before an
  // outsider asks and the other way round.
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(Body(Get(kStatus, "ccb-quzhou"))["pledges"][0].contains("secured"));
    EXPECT_FALSE(Body(Get(kStatus, "picc-zhejiang"))["pledges"][0].contains("secured"));
    EXPECT_FALSE(Body(Get(kStatus, "hengtai-valve"))["pledges"][0].contains("secured"));
    EXPECT_TRUE(Body(Get(kStatus, "lanyu-materials"))["pledges"][0].contains("secured"));
    EXPECT_TRUE(Body(Get(kStatus, "cnipa-zj"))["pledges"][0].contains("secured"));
    EXPECT_EQ(Get(kAsset).body.find("amount"), std::string::npos);
  }
  // Anonymous callers get the 401, never someone's cached answer.
  EXPECT_EQ(Get(kStatus).status, 401);
}

TEST_F(ReadCacheTest, ANonceReplayIsRefusedEvenWhenTheSignatureIsCached) {
  const std::int64_t now = s_.f().now_ms() / 1000;
  const SigningKey& key = s_.f().KeyOf("ccb-quzhou");
  const std::string params = std::string("(\"@method\" \"@path\" \"@query\");created=") +
                             std::to_string(now) +
                             ";keyid=\"ccb-quzhou/k1\";alg=\"ed25519\";nonce=\"n-1\"";
  const std::string base = api::SignatureBase("GET", kStatus, params);
  const Signature sig = key.Sign(AsBytes(base));
  const std::map<std::string, std::string> headers = {
      {"Signature-Input", "ipl=" + params}, {"Signature", "ipl=:" + Base64Encode(sig) + ":"}};
  auto c = s_.ClientFor();
  auto first = c->Request("GET", kStatus, "", "application/json", headers);
  ASSERT_OK(first);
  EXPECT_EQ(first->status, 200) << first->body;
  const std::uint64_t hits = Lookups("signature", "hit");
  auto again = c->Request("GET", kStatus, "", "application/json", headers);
  ASSERT_OK(again);
  EXPECT_EQ(again->status, 401) << again->body;
  EXPECT_NE(again->body.find("nonce already used"), std::string::npos) << again->body;
  EXPECT_EQ(Lookups("signature", "hit"), hits + 1);  // the cache answered; the replay check ran
  // A signature one bit off is refused although its base is cached with the right one.
  Signature bad = sig;
  bad[5] ^= 1;
  auto tampered = c->Request(
      "GET", kStatus, "", "application/json",
      {{"Signature-Input", "ipl=" + params}, {"Signature", "ipl=:" + Base64Encode(bad) + ":"}});
  ASSERT_OK(tampered);
  EXPECT_EQ(tampered->status, 401);
}

// --- The caches alone -------------------------------------------------------------------

api::Response Answer(const std::string& body) {
  api::Response r;
  r.body = body;
  return r;
}

TEST(AnswerCacheTest, BoundsHoldAndOnlyTheCurrentEpochIsServed) {
  api::AnswerCache cache(/*max_entries=*/4, /*max_bytes=*/4096);
  for (int i = 0; i < 10; ++i) cache.Store("k" + std::to_string(i), 2, Answer("answer"));
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_FALSE(cache.Find("k0", 2).has_value());  // the oldest went first
  EXPECT_EQ(cache.Find("k9", 2)->Body(), "answer");
  EXPECT_FALSE(cache.Find("k9", 4).has_value());  // another epoch: a miss
  // A hit shares the cached body instead of copying it, and a body held by an answer
  // being sent outlives its eviction from the cache.
  const std::optional<api::Response> held = cache.Find("k9", 2);
  ASSERT_TRUE(held.has_value() && held->shared_body != nullptr);
  EXPECT_TRUE(held->body.empty());
  EXPECT_EQ(cache.Find("k9", 2)->Body().data(), held->Body().data());
  EXPECT_EQ(held->status, 200);
  for (int i = 10; i < 20; ++i) cache.Store("k" + std::to_string(i), 2, Answer("answer"));
  EXPECT_FALSE(cache.Find("k9", 2).has_value());
  EXPECT_EQ(held->Body(), "answer");
  // Bytes: an answer larger than the bound is not kept; large ones push out others.
  cache.Store("huge", 2, Answer(std::string(5000, 'x')));
  EXPECT_FALSE(cache.Find("huge", 2).has_value());
  cache.Store("big1", 2, Answer(std::string(1800, 'x')));
  cache.Store("big2", 2, Answer(std::string(1800, 'x')));
  cache.Store("big3", 2, Answer(std::string(1800, 'x')));
  EXPECT_LE(cache.bytes(), 4096u);
  EXPECT_FALSE(cache.Find("big1", 2).has_value());
  EXPECT_TRUE(cache.Find("big3", 2).has_value());
  // A newer epoch drops every older answer; an answer of an older epoch is not stored.
  cache.Store("new", 6, Answer("fresh"));
  EXPECT_EQ(cache.size(), 1u);
  cache.Store("old", 4, Answer("stale"));
  EXPECT_FALSE(cache.Find("old", 4).has_value());
  EXPECT_FALSE(cache.Find("old", 6).has_value());
  // Problems are never cached.
  api::Response problem = Answer("{}");
  problem.status = 404;
  cache.Store("missing", 6, problem);
  EXPECT_FALSE(cache.Find("missing", 6).has_value());
}

TEST(SignatureCacheTest, OnlyVerifiedTriplesAreRememberedWithinTheirWindow) {
  const SigningKey key = testing::TestKey(7);
  const SigningKey other = testing::TestKey(8);
  api::SignatureCache cache(/*max_entries=*/3);
  const std::string base = "\"@method\": GET";
  const Signature sig = key.Sign(AsBytes(base));
  bool hit = true;
  EXPECT_TRUE(cache.Verify(key.public_key(), base, sig, 1000, 900, &hit));
  EXPECT_FALSE(hit);
  EXPECT_TRUE(cache.Verify(key.public_key(), base, sig, 1000, 950, &hit));
  EXPECT_TRUE(hit);
  // Another key, base or signature is a different triple, verified on its own.
  EXPECT_FALSE(cache.Verify(other.public_key(), base, sig, 1000, 950, &hit));
  EXPECT_FALSE(hit);
  EXPECT_FALSE(cache.Verify(key.public_key(), base + " ", sig, 1000, 950, &hit));
  Signature flipped = sig;
  flipped[0] ^= 0x80;
  EXPECT_FALSE(cache.Verify(key.public_key(), base, flipped, 1000, 950, &hit));
  EXPECT_EQ(cache.size(), 1u);  // failures are never remembered
  // After its window the triple is verified again (a miss), not answered from memory.
  EXPECT_TRUE(cache.Verify(key.public_key(), base, sig, 2000, 1001, &hit));
  EXPECT_FALSE(hit);
  // The bound holds.
  for (int i = 0; i < 10; ++i) {
    const std::string b = "base " + std::to_string(i);
    EXPECT_TRUE(cache.Verify(key.public_key(), b, key.Sign(AsBytes(b)), 1000, 900));
  }
  EXPECT_EQ(cache.size(), 3u);
}

}  // namespace
}  // namespace ipledger
