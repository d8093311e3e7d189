// The harness of ipledger-bench (tools/bench/ipledger_bench.cc): its flags, the JSON it
// prints, time and CPU readings, the participants and signed statements of a run (World),
// the HTTP helpers and the client threads that measure a load.
//
// World is immutable once built and safe to share between threads; RunClients,
// ParallelMake and PostAll start and join their own threads. The rest is
// thread-compatible.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "ledger/base/status.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/statement.h"

namespace ipledger::bench {

using Clock = std::chrono::steady_clock;

// --- Flags, output, time --------------------------------------------------------------------

struct Flags {
  std::map<std::string, std::string> values;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  // The flag as a number in [min, max], or `fallback` when absent.
  StatusOr<std::uint64_t> Number(const std::string& name, std::uint64_t fallback, std::uint64_t min,
                                 std::uint64_t max) const {
    auto it = values.find(name);
    if (it == values.end()) return fallback;
    auto n = ParseDecimalU64(it->second);
    if (!n || *n < min || *n > max) {
      return Status::InvalidArgument("--" + name + " must be a number in " + std::to_string(min) +
                                     ".." + std::to_string(max) + ", got '" + it->second + "'");
    }
    return *n;
  }
};

std::string JsonString(std::string_view s);

std::string Num(double v);

// Builds one flat-ish JSON object, member by member, in the order given.
class JsonObject {
 public:
  JsonObject& Str(std::string_view key, std::string_view v) { return Raw(key, JsonString(v)); }
  JsonObject& Int(std::string_view key, std::uint64_t v) { return Raw(key, std::to_string(v)); }
  JsonObject& Real(std::string_view key, double v) { return Raw(key, Num(v)); }
  JsonObject& Raw(std::string_view key, std::string_view json) {
    if (!body_.empty()) body_ += ",";
    body_ += JsonString(key) + ":" + std::string(json);
    return *this;
  }
  std::string Render() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

std::int64_t NowMs();

double SecondsSince(Clock::time_point t);

// User plus system CPU seconds of this process so far.
double ProcessCpuSeconds();

// User plus system CPU seconds process `pid` has used (from /proc/PID/stat), or nullopt
// if unknown (pid 0, another machine, no /proc).
std::optional<double> CpuSecondsOf(std::uint64_t pid);

// The server's CPU seconds over a measurement, as JSON members ("" when unknown).
std::string ServerCpuJson(std::optional<double> before, std::optional<double> after,
                          std::uint64_t operations, const std::string& prefix);

// p50 / p99 / max / mean of latencies in milliseconds (sorted in place).
std::string LatencyJson(std::vector<double>& ms, std::string_view prefix);

// --- The participants and statements of a run ------------------------------------------------

struct Party {
  std::string id;
  SigningKey key;
  std::string keyid() const { return id + "/k1"; }
};

// A deterministic key per participant id, so a run can be reproduced.
Party MakeParty(const std::string& id);

// A signed envelope ready to post, and the key a table without the registry would use.
struct Envelope {
  std::string bytes;
  std::string idempotency_key;  // "<submitter>:<statement idempotency key>"
};

// The 13-character CNIPA invention application number for a serial: year 2020, type
// digit 1, seven serial digits and the check digit (weights 2..9,2..5, mod 11; 10 is X).
std::string ApplicationNo(std::uint64_t serial);

// Everything one run registers and signs: its participants (ids carry the run's tag, so
// runs against the same ledger never collide), its patents and its envelopes.
class World {
 public:
  static constexpr int kEnterprises = 16;
  static constexpr int kBanks = 4;

  // `tag` makes ids unique on one ledger; `serial_base` numbers the patents (the tree
  // size when the run starts: every earlier patent took an entry below it).
  World(std::string tag, std::uint64_t serial_base)
      : tag_(std::move(tag)),
        serial_base_(serial_base),
        created_ms_(NowMs()),
        today_(DateOfInstant(created_ms_)),
        insurer_(MakeParty("bench-" + tag_ + "-insurer")) {
    for (int i = 0; i < kEnterprises; ++i) {
      enterprises_.push_back(MakeParty("bench-" + tag_ + "-ent-" + std::to_string(i)));
    }
    for (int i = 0; i < kBanks; ++i) {
      banks_.push_back(MakeParty("bench-" + tag_ + "-bank-" + std::to_string(i)));
    }
  }

  Date today() const { return today_; }
  const Party& bank(std::uint64_t i) const { return banks_[i % kBanks]; }
  // The holder of patent i and of data asset i.
  const Party& holder(std::uint64_t i) const { return enterprises_[i % kEnterprises]; }
  std::string PatentId(std::uint64_t i) const {
    return "patent:" + ApplicationNo(serial_base_ + i);
  }

  // participant.register statements (by the registry) for everyone of the run.
  std::vector<Statement> ParticipantStatements() const {
    std::vector<Statement> out;
    auto add = [&](const Party& p, Role role, const std::string& region) {
      ParticipantRegister b;
      b.id = p.id;
      b.name = "Benchmark participant " + p.id;
      b.role = role;
      b.region_code = region;
      b.keys = {{"k1", p.key.public_key()}};
      out.push_back(Make("registry", b, "participant-" + p.id));
    };
    for (const Party& b : banks_) add(b, Role::kBank, "330802");
    for (const Party& e : enterprises_) add(e, Role::kEnterprise, "330881");
    add(insurer_, Role::kInsurer, "330802");
    return out;
  }

  // asset.register of patent i (by the registry): an invention granted in 2021, its
  // annuities paid for the coming year, held by holder(i).
  Statement PatentStatement(std::uint64_t i) const {
    AssetRegister b;
    b.asset_id = PatentId(i);
    b.kind = AssetKind::kPatent;
    b.holders = {holder(i).id};
    PatentFacts p;
    p.application_no = b.asset_id.substr(7);
    p.type = PatentType::kInvention;
    p.title = "Continuous-flow synthesis process, variant " + std::to_string(i);
    p.filing_date = DateFromCivil(2020, 3, 1);
    p.grant_date = DateFromCivil(2021, 9, 1);
    p.annuity_paid_through = AddYears(today_, 1);
    b.patent = p;
    return Make("registry", b, "patent-" + std::to_string(i));
  }

  // A data-asset registration by its holding enterprise (single signature).
  Statement DataStatement(std::uint64_t i) const {
    AssetRegister b;
    b.asset_id = "data:bench-" + tag_ + "-" + std::to_string(i);
    b.kind = AssetKind::kData;
    b.holders = {holder(i).id};
    DataFacts d;
    d.name = "Greenhouse microclimate records, base " + std::to_string(i);
    d.description = "Hourly temperature, humidity, CO2 and irrigation readings with yields";
    d.record_count = 1501 + i;
    d.fingerprint_sha256 = Sha256(AsBytes("bench data " + tag_ + std::to_string(i)));
    d.source_type = DataSource::kSelfCollected;
    d.scenario = "greenhouse climate control and yield forecasting";
    b.data = d;
    return Make(holder(i).id, b, "data-" + std::to_string(i));
  }

  // A pledge of patent i by its holder to bank(i), for a one-year loan.
  Statement PledgeStatement(std::uint64_t i) const {
    PledgeRegister b;
    b.pledge_id = "BENCH-" + tag_ + "-P" + std::to_string(i);
    b.pledgors = {holder(i).id};
    b.debtor = holder(i).id;
    b.collateral = {PatentId(i)};
    b.secured = {SecuredType::kLoan,
                 {5'000'000'00 + static_cast<std::int64_t>(i % 97) * 100'00, "CNY"}};
    b.debt_term = {today_, AddDays(AddYears(today_, 1), -1)};
    b.official_reg_no = "Y2026" + std::to_string(100000 + i);
    b.contract_sha256 = Sha256(AsBytes("pledge contract " + b.pledge_id));
    return Make(bank(i).id, b, "pledge-" + std::to_string(i));
  }

  // An infringement-loss policy by the insurer covering `assets` of holder(i), the
  // bank as loss payee.
  Statement PolicyStatement(std::uint64_t i, std::vector<std::string> assets) const {
    PolicyIssue b;
    b.policy_id = "BENCH-" + tag_ + "-POL" + std::to_string(i);
    b.product = "infringement_loss";
    b.insured = holder(i).id;
    b.loss_payees = {bank(i).id};
    b.covered_assets = std::move(assets);
    b.period = {today_, AddDays(AddYears(today_, 1), -1)};
    b.limit_per_claim = {30'000'000, "CNY"};
    b.aggregate_limit = {60'000'000, "CNY"};
    b.deductible = {200'000, "CNY"};
    b.covered_costs = {"investigation", "legal", "direct_loss"};
    return Make(insurer_.id, b, "policy-" + std::to_string(i));
  }

  // The envelope of `st` signed by each of `signers` (their k1 keys).
  Envelope Sign(const Statement& st, const std::vector<const Party*>& signers) const {
    const std::string json = api::EncodeStatement(st);
    DsseEnvelope env;
    env.payload_type = std::string(api::kStatementPayloadType);
    env.payload.assign(json.begin(), json.end());
    for (const Party* p : signers) AddDsseSignature(env, p->keyid(), p->key);
    return {api::EncodeEnvelopeJson(env), st.submitter + ":" + st.idempotency_key};
  }

  // The measured envelope i of `kind` ("single" or "pledge2").
  Envelope Measured(const std::string& kind, std::uint64_t i) const {
    if (kind == "single") return Sign(DataStatement(i), {&holder(i)});
    return Sign(PledgeStatement(i), {&bank(i), &holder(i)});
  }
  Envelope SignedPledge(std::uint64_t i) const {
    return Sign(PledgeStatement(i), {&bank(i), &holder(i)});
  }
  Envelope SignedPolicy(std::uint64_t i, std::vector<std::string> assets) const {
    return Sign(PolicyStatement(i, std::move(assets)), {&insurer_});
  }

 private:
  Statement Make(const std::string& submitter, StatementBody body, const std::string& what) const {
    Statement st;
    st.type = std::string(StatementTypeName(body));
    st.submitter = submitter;
    st.idempotency_key = "bench-" + tag_ + "-" + what;
    st.created_ms = created_ms_;
    st.body = std::move(body);
    return st;
  }

  std::string tag_;
  std::uint64_t serial_base_;
  std::int64_t created_ms_;
  Date today_;
  Party insurer_;
  std::vector<Party> enterprises_;
  std::vector<Party> banks_;
};

// Runs `make(i)` for i in [0, n) on every core; the results in order.
template <typename T, typename F>
std::vector<T> ParallelMake(std::uint64_t n, F make) {
  std::vector<T> out(n);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::uint64_t i; (i = next.fetch_add(1)) < n;) out[i] = make(i);
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

// --- In process: a Registry without the server ---------------------------------------------

// Decodes a signed envelope as the server would, with its signatures pre-checked.
StatusOr<Submission> DecodeSubmission(const Registry& registry, const Envelope& e);

// Sequences `envelopes` in durable batches of `batch`; every one must be accepted.
// Decoding and signature checks run on every core before each batch; with `seconds`,
// the time spent in Registry::Submit alone is added to `*seconds`. `around`, if set, is
// called just before (true) and just after (false) each Submit: a benchmark's own meters.
Status SubmitAll(Registry& registry, const std::vector<Envelope>& envelopes, std::uint64_t batch,
                 double* seconds = nullptr, const std::function<void(bool before)>& around = {});

// --- HTTP ----------------------------------------------------------------------------------

struct Server {
  api::ServerAddress address;
  std::unique_ptr<api::Client> NewClient() const {
    api::TlsOptions tls;
    tls.enabled = address.tls;
    return std::make_unique<api::Client>(address.host, address.port, tls);
  }
};

// The tree size the server reports at /healthz.
StatusOr<std::uint64_t> TreeSize(const Server& server);

// Posts every envelope (in any order) over `connections` connections; every answer must
// be 201 (or 200, an idempotent replay of an earlier attempt). Not measured.
Status PostAll(const Server& server, const std::vector<Envelope>& envelopes,
               std::uint64_t connections, const std::string& what);

// Cumulative bucket counts of the ipledger_batch_size histogram at /metrics, by "le".
StatusOr<std::vector<std::pair<std::string, std::uint64_t>>> BatchHistogram(const Server& server);

// The tree size of the checkpoint in a receipt, found without parsing the whole JSON
// (receipts are checked in full on a sample afterwards): "checkpoint":"<origin>\n<size>\n.
std::optional<std::uint64_t> ReceiptTreeSize(std::string_view body);

// The batch sizes seen in the receipts: entries whose receipts name the same checkpoint
// were committed in one batch (only this run's requests are in flight).
std::string BatchesFromReceipts(const std::vector<std::uint64_t>& tree_sizes);

// The per-bucket difference of two cumulative histograms (after minus before).
std::string HistogramDelta(const std::vector<std::pair<std::string, std::uint64_t>>& before,
                           const std::vector<std::pair<std::string, std::uint64_t>>& after);

// --- Client threads ---------------------------------------------------------------------

// One client thread's work: performs operation `i` (an index into pre-made inputs).
using Worker = std::function<Status(std::uint64_t i)>;

// What RunClients measured: wall and CPU time of the measured part, every operation's
// latency, and the first failure (then the figures mean nothing).
struct Load {
  double seconds = 0;
  double client_cpu = 0;
  std::optional<double> server_cpu0, server_cpu1;
  std::vector<double> latency_ms;
  Status status;
};

// Runs `c` client threads. Each first calls connect(t) (not measured; the worker it
// returns keeps the connection); once every thread is ready the clock starts and the
// workers take operations 0..n-1 in order until all are done or one fails. With a
// `server_pid` on this machine the server's CPU time over the measurement is read too.
Load RunClients(std::uint64_t c, std::uint64_t n, std::uint64_t server_pid,
                const std::function<StatusOr<Worker>(std::uint64_t t)>& connect);

}  // namespace ipledger::bench
