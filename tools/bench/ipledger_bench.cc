// ipledger-bench: an HTTP load generator for ipledgerd, and the baselines its figures are
// read against (issue #5): one core's Ed25519 verify rate and a PostgreSQL table.
//
//   ipledger-bench append --server URL --data-dir DIR [--connections C] [--count N]
//                         [--kind single|pledge2] [--registry-id ID] [--server-pid PID]
//   ipledger-bench read --server URL --data-dir DIR [--connections C] [--seconds S]
//                       [--registry-id ID] [--server-pid PID]
//   ipledger-bench verify-rate [--seconds S]
//   ipledger-bench pg --conninfo STR [--connections C] [--count N] [--kind single|pledge2]
//   ipledger-bench fill --data-dir DIR [--count N] [--batch B]
//
// Each prints one JSON object with its figures on stdout; progress goes to stderr. With
// --server-pid (a server on this machine) the server's CPU time over each measurement is
// reported too, from /proc: CPU per entry is what the throughput is bound by on 2 cores.
//
// append: registers (over HTTP, signed with DIR/registry.key as the registry office
// would) the participants and patents the run needs, pre-signs N envelopes, then posts
// them over C keep-alive connections (one thread each) and measures entries/s, latency
// and the group-commit batch sizes (from the receipts' checkpoints and from /metrics).
// `single` envelopes are data-asset registrations by enterprises (one signature);
// `pledge2` are pledge registrations over distinct patents signed by the pledgee bank
// and the pledgor. Any answer but 201 fails the run (exit 1). Envelopes carry a
// `created` time from before the measurement, so pre-signing and posting must end
// within the server's 10-minute staleness window.
//
// read: registers a few pledges and policies, then measures GET pledge-status, GET
// coverage (RFC 9421-signed by a bank; the signatures are made before each phase and
// reused, which the server allows within its 300 s window) and GET /healthz, each for
// S seconds over C connections.
//
// verify-rate: crypto_sign_verify_detached (through crypto/keys.h, which is exactly that
// call) of one signature over the PAE of a pre-signed pledge envelope, on one thread.
//
// pg: what a bank would build instead: C libpq connections each inserting the same kind
// of pre-signed envelopes, one durable autocommit INSERT each (synchronous_commit=on),
// into entries(id bigserial, idempotency_key text unique, envelope bytea). Only when
// built with libpq; otherwise it says so and exits 1.
//
// fill: appends N `single` statements straight into a stopped server's data directory
// (in process, batches of B, signatures checked on all cores), for measurements of a
// large log: server memory, open and verify time, disk per entry.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if IPLEDGER_BENCH_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "crypto/keys.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "ledger/base/status.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/statement.h"
#include "tools/key_file.h"
#include "tools/options.h"

namespace ipledger {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage:\n"
    "  ipledger-bench append --server URL --data-dir DIR [--connections C] [--count N]\n"
    "                        [--kind single|pledge2] [--registry-id ID] [--server-pid PID]\n"
    "  ipledger-bench read --server URL --data-dir DIR [--connections C] [--seconds S]\n"
    "                      [--registry-id ID] [--server-pid PID]\n"
    "  ipledger-bench verify-rate [--seconds S]\n"
    "  ipledger-bench pg --conninfo STR [--connections C] [--count N] [--kind single|pledge2]\n"
    "  ipledger-bench fill --data-dir DIR [--count N] [--batch B]   (server stopped)\n"
    "defaults: --connections 64, --count 20000, --kind single, --seconds 5 (read: per query\n"
    "kind), --registry-id registry; --server-pid (a local server) adds its CPU time\n";

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

// argv[2..argc) against the command's options (tools/options.h); the last value wins.
StatusOr<Flags> ParseFlags(int argc, char** argv, const std::vector<std::string>& allowed) {
  auto args = ParseCommandLine(argc, argv, 2, {allowed, {}});
  if (!args.ok()) return args.status();
  Flags f;
  f.values = args->LastValues();
  return f;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

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

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// User plus system CPU seconds of this process so far.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// User plus system CPU seconds process `pid` has used (from /proc/PID/stat), or nullopt
// if unknown (pid 0, another machine, no /proc).
std::optional<double> CpuSecondsOf(std::uint64_t pid) {
  if (pid == 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start with field 3, state;
  // utime and stime are fields 14 and 15.
  const size_t close = stat.rfind(") ");
  if (close == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(stat).substr(close + 2);
  std::uint64_t ticks = 0;
  for (int field = 3; field <= 15; ++field) {
    const size_t sp = rest.find(' ');
    if (field >= 14) {
      auto v = ParseDecimalU64(rest.substr(0, sp));
      if (!v) return std::nullopt;
      ticks += *v;
    }
    if (sp == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(sp + 1);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server's CPU seconds over a measurement, as JSON members ("" when unknown).
std::string ServerCpuJson(std::optional<double> before, std::optional<double> after,
                          std::uint64_t operations, const std::string& prefix) {
  if (!before || !after) return "";
  const double cpu = *after - *before;
  JsonObject o;
  o.Real(prefix + "server_cpu_seconds", cpu)
      .Real(prefix + "server_cpu_us_per_op", cpu * 1e6 / static_cast<double>(operations));
  const std::string r = o.Render();
  return "," + r.substr(1, r.size() - 2);
}

// p50 / p99 / max / mean of latencies in milliseconds (sorted in place).
std::string LatencyJson(std::vector<double>& ms, std::string_view prefix) {
  std::sort(ms.begin(), ms.end());
  auto at = [&ms](double q) {
    if (ms.empty()) return 0.0;
    const auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size()))) - 1;
    return ms[std::min(i, ms.size() - 1)];
  };
  double sum = 0;
  for (double v : ms) sum += v;
  const std::string p(prefix);
  JsonObject o;
  o.Real(p + "p50", at(0.5))
      .Real(p + "p99", at(0.99))
      .Real(p + "max", ms.empty() ? 0 : ms.back())
      .Real(p + "mean", ms.empty() ? 0 : sum / static_cast<double>(ms.size()));
  const std::string r = o.Render();
  return r.substr(1, r.size() - 2);  // members only, to splice into the caller's object
}

// --- The participants and statements of a run ------------------------------------------------

struct Party {
  std::string id;
  SigningKey key;
  std::string keyid() const { return id + "/k1"; }
};

// A deterministic key per participant id, so a run can be reproduced.
Party MakeParty(const std::string& id) {
  return {id, *SigningKey::FromSeed(Sha256(AsBytes("ipledger-bench participant " + id)))};
}

// A signed envelope ready to post, and the key a table without the registry would use.
struct Envelope {
  std::string bytes;
  std::string idempotency_key;  // "<submitter>:<statement idempotency key>"
};

// The 13-character CNIPA invention application number for a serial: year 2020, type
// digit 1, seven serial digits and the check digit (weights 2..9,2..5, mod 11; 10 is X).
std::string ApplicationNo(std::uint64_t serial) {
  char body[32];
  std::snprintf(body, sizeof(body), "20201%07llu",
                static_cast<unsigned long long>(serial % 10000000));
  static constexpr int kWeights[] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (body[i] - '0') * kWeights[i];
  const int c = sum % 11;
  return std::string(body) + (c == 10 ? 'X' : static_cast<char>('0' + c));
}

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
StatusOr<std::uint64_t> TreeSize(const Server& server) {
  auto c = server.NewClient();
  auto r = c->Request("GET", "/healthz");
  if (!r.ok()) return r.status();
  constexpr std::string_view kKey = "\"tree_size\":";
  const size_t at = r->body.find(kKey);
  if (r->status != 200 || at == std::string::npos) {
    return Status::Unavailable("GET /healthz answered " + std::to_string(r->status) + ": " +
                               r->body);
  }
  std::string_view rest = std::string_view(r->body).substr(at + kKey.size());
  auto n = ParseDecimalU64(rest.substr(0, rest.find_first_not_of("0123456789")));
  if (!n) return Status::Unavailable("GET /healthz: no tree_size in " + r->body);
  return *n;
}

// Posts every envelope (in any order) over `connections` connections; every answer must
// be 201 (or 200, an idempotent replay of an earlier attempt). Not measured.
Status PostAll(const Server& server, const std::vector<Envelope>& envelopes,
               std::uint64_t connections, const std::string& what) {
  std::atomic<std::uint64_t> next{0};
  std::mutex mu;
  Status failure;
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (std::uint64_t t = 0; t < std::min<std::uint64_t>(connections, envelopes.size()); ++t) {
    pool.emplace_back([&] {
      auto client = server.NewClient();
      for (std::uint64_t i; !failed && (i = next.fetch_add(1)) < envelopes.size();) {
        auto r = client->Request("POST", "/v1/entries", envelopes[i].bytes);
        if (r.ok() && (r->status == 201 || r->status == 200)) continue;
        std::lock_guard<std::mutex> l(mu);
        if (!failed.exchange(true)) {
          failure = r.ok() ? Status::FailedPrecondition(what + ": POST answered " +
                                                        std::to_string(r->status) + ": " + r->body)
                           : r.status();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (!failure.ok()) return failure;
  std::fprintf(stderr, "ipledger-bench: setup: %zu %s in %.1f s\n", envelopes.size(), what.c_str(),
               SecondsSince(start));
  return Status::Ok();
}

// Cumulative bucket counts of the ipledger_batch_size histogram at /metrics, by "le".
StatusOr<std::vector<std::pair<std::string, std::uint64_t>>> BatchHistogram(const Server& server) {
  auto c = server.NewClient();
  auto r = c->Request("GET", "/metrics");
  if (!r.ok()) return r.status();
  if (r->status != 200)
    return Status::Unavailable("GET /metrics answered " + std::to_string(r->status));
  std::vector<std::pair<std::string, std::uint64_t>> out;
  constexpr std::string_view kPrefix = "ipledger_batch_size_bucket{le=\"";
  std::string_view text = r->body;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.starts_with(kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    const size_t close = line.find("\"} ");
    if (close == std::string_view::npos) continue;
    auto n = ParseDecimalU64(line.substr(close + 3));
    if (n) out.emplace_back(std::string(line.substr(0, close)), *n);
  }
  return out;
}

// The tree size of the checkpoint in a receipt, found without parsing the whole JSON
// (receipts are checked in full on a sample afterwards): "checkpoint":"<origin>\n<size>\n.
std::optional<std::uint64_t> ReceiptTreeSize(std::string_view body) {
  constexpr std::string_view kKey = "\"checkpoint\":\"";
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  at = body.find("\\n", at + kKey.size());
  if (at == std::string_view::npos) return std::nullopt;
  at += 2;
  const size_t end = body.find("\\n", at);
  if (end == std::string_view::npos) return std::nullopt;
  return ParseDecimalU64(body.substr(at, end - at));
}

// The batch sizes seen in the receipts: entries whose receipts name the same checkpoint
// were committed in one batch (only this run's requests are in flight).
std::string BatchesFromReceipts(const std::vector<std::uint64_t>& tree_sizes) {
  std::map<std::uint64_t, std::uint64_t> per_checkpoint;
  for (std::uint64_t s : tree_sizes) ++per_checkpoint[s];
  std::vector<std::uint64_t> sizes;
  for (const auto& [cp, n] : per_checkpoint) sizes.push_back(n);
  std::sort(sizes.begin(), sizes.end());
  // Power-of-two buckets: "1", "2-3", "4-7", ...
  std::map<std::uint64_t, std::uint64_t> buckets;
  std::uint64_t entries = 0;
  for (std::uint64_t s : sizes) {
    std::uint64_t lo = 1;
    while (lo * 2 <= s) lo *= 2;
    ++buckets[lo];
    entries += s;
  }
  JsonObject hist;
  for (const auto& [lo, n] : buckets) {
    hist.Int(lo == 1 ? "1" : std::to_string(lo) + "-" + std::to_string(lo * 2 - 1), n);
  }
  // The batch size the median entry was committed in (weighted by entries).
  std::uint64_t seen = 0;
  std::uint64_t entry_median = 0;
  for (std::uint64_t s : sizes) {
    seen += s;
    if (entry_median == 0 && seen * 2 >= entries) entry_median = s;
  }
  JsonObject o;
  o.Int("batches", sizes.size())
      .Real("mean",
            sizes.empty() ? 0 : static_cast<double>(entries) / static_cast<double>(sizes.size()))
      .Int("p50", sizes.empty() ? 0 : sizes[(sizes.size() - 1) / 2])
      .Int("max", sizes.empty() ? 0 : sizes.back())
      .Int("entry_weighted_p50", entry_median)
      .Raw("histogram", hist.Render());
  return o.Render();
}

// The per-bucket difference of two cumulative histograms (after minus before).
std::string HistogramDelta(const std::vector<std::pair<std::string, std::uint64_t>>& before,
                           const std::vector<std::pair<std::string, std::uint64_t>>& after) {
  JsonObject o;
  std::uint64_t prev = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const std::uint64_t was = i < before.size() ? before[i].second : 0;
    const std::uint64_t cumulative = after[i].second - was;
    o.Int("le_" + after[i].first, cumulative - prev);
    prev = cumulative;
  }
  return o.Render();
}

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
                const std::function<StatusOr<Worker>(std::uint64_t t)>& connect) {
  std::vector<std::vector<double>> per(c);
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Load load;
  auto fail = [&](Status s) {
    failed = true;
    std::lock_guard<std::mutex> l(mu);
    if (load.status.ok()) load.status = std::move(s);
  };
  std::latch ready(static_cast<std::ptrdiff_t>(c) + 1);
  std::latch go(1);
  std::vector<std::thread> pool;
  for (std::uint64_t t = 0; t < c; ++t) {
    pool.emplace_back([&, t] {
      StatusOr<Worker> worker = connect(t);
      per[t].reserve(n / c + 1);
      ready.count_down();
      go.wait();
      if (!worker.ok()) return fail(worker.status());
      for (std::uint64_t i; !failed && (i = next.fetch_add(1)) < n;) {
        const auto t0 = Clock::now();
        Status s = (*worker)(i);
        per[t].push_back(SecondsSince(t0) * 1e3);
        if (!s.ok()) return fail(std::move(s));
      }
    });
  }
  ready.arrive_and_wait();
  const double cpu0 = ProcessCpuSeconds();
  load.server_cpu0 = CpuSecondsOf(server_pid);
  const auto start = Clock::now();
  go.count_down();
  for (auto& th : pool) th.join();
  load.seconds = SecondsSince(start);
  load.client_cpu = ProcessCpuSeconds() - cpu0;
  load.server_cpu1 = CpuSecondsOf(server_pid);
  for (auto& v : per) load.latency_ms.insert(load.latency_ms.end(), v.begin(), v.end());
  return load;
}

// --- append --------------------------------------------------------------------------------

struct Setup {
  Server server;
  Party registry;               // the registry office, signing with DIR/registry.key
  std::uint64_t tree_size = 0;  // at the start
};

StatusOr<Setup> OpenSetup(const Flags& f) {
  if (f.Get("server").empty() || f.Get("data-dir").empty()) {
    return Status::InvalidArgument("--server and --data-dir are required");
  }
  auto address = api::ParseServerUrl(f.Get("server"));
  if (!address.ok()) return address.status();
  auto key = ReadKeyFile(f.Get("data-dir") + "/registry.key");
  if (!key.ok()) return key.status();
  Setup s{Server{*address}, Party{f.Get("registry-id", "registry"), std::move(*key)}, 0};
  auto size = TreeSize(s.server);
  if (!size.ok()) return size.status();
  s.tree_size = *size;
  return s;
}

// Signs `statements` as the registry office.
std::vector<Envelope> SignAsRegistry(const World& w, const Setup& s,
                                     const std::vector<Statement>& statements) {
  return ParallelMake<Envelope>(
      statements.size(), [&](std::uint64_t i) { return w.Sign(statements[i], {&s.registry}); });
}

Status RegisterParticipants(const World& w, const Setup& s, std::uint64_t connections) {
  return PostAll(s.server, SignAsRegistry(w, s, w.ParticipantStatements()), connections,
                 "participants");
}

Status RegisterPatents(const World& w, const Setup& s, std::uint64_t n, std::uint64_t connections) {
  std::vector<Statement> patents;
  for (std::uint64_t i = 0; i < n; ++i) patents.push_back(w.PatentStatement(i));
  return PostAll(s.server, SignAsRegistry(w, s, patents), connections, "patents");
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "ipledger-bench: %s\n", what.c_str());
  return 1;
}

int RunAppend(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto count = f.Number("count", 20000, 1, 100'000'000);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!count.ok()) return Fail(count.status().message());
  auto pid = f.Number("server-pid", 0, 0, 1u << 30);
  if (!pid.ok()) return Fail(pid.status().message());
  const std::string kind = f.Get("kind", "single");
  if (kind != "single" && kind != "pledge2") return Fail("--kind must be single or pledge2");
  auto setup = OpenSetup(f);
  if (!setup.ok()) return Fail(setup.status().ToString());
  const std::uint64_t c = *connections;
  const std::uint64_t n = *count;
  const std::uint64_t server_pid = *pid;

  // Setup: the run's participants (and patents), registered as the registry would.
  World world("t" + std::to_string(setup->tree_size), setup->tree_size);
  if (Status st = RegisterParticipants(world, *setup, c); !st.ok()) return Fail(st.ToString());
  if (kind == "pledge2") {
    if (Status st = RegisterPatents(world, *setup, n, c); !st.ok()) return Fail(st.ToString());
  }
  auto start_sign = Clock::now();
  const std::vector<Envelope> envelopes =
      ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured(kind, i); });
  std::fprintf(stderr, "ipledger-bench: pre-signed %llu %s envelopes in %.1f s\n",
               static_cast<unsigned long long>(n), kind.c_str(), SecondsSince(start_sign));
  auto hist_before = BatchHistogram(setup->server);
  if (!hist_before.ok()) return Fail(hist_before.status().ToString());

  // Measurement: C threads, one keep-alive connection each, taking envelopes in order.
  struct PerThread {
    std::vector<std::uint64_t> tree_sizes;
    std::string first_receipt;
  };
  std::vector<PerThread> per(c);
  Load load = RunClients(c, n, server_pid, [&](std::uint64_t t) -> StatusOr<Worker> {
    std::shared_ptr<api::Client> client = setup->server.NewClient();
    auto warm = client->Request("GET", "/healthz");  // connect before the clock starts
    if (!warm.ok()) return Status::Unavailable("connect: " + warm.status().ToString());
    PerThread& me = per[t];
    me.tree_sizes.reserve(n / c + 1);
    return Worker([client, &me, &envelopes](std::uint64_t i) -> Status {
      auto r = client->Request("POST", "/v1/entries", envelopes[i].bytes);
      std::optional<std::uint64_t> size;
      if (r.ok() && r->status == 201) size = ReceiptTreeSize(r->body);
      if (!size) {
        return Status::FailedPrecondition(
            "envelope " + std::to_string(i) + ": " +
            (r.ok() ? "HTTP " + std::to_string(r->status) + ": " + r->body
                    : r.status().ToString()));
      }
      me.tree_sizes.push_back(*size);
      if (me.first_receipt.empty()) me.first_receipt = std::move(r->body);
      return Status::Ok();
    });
  });
  if (!load.status.ok()) {
    return Fail("append " + kind + " failed (every answer must be 201): " + load.status.message());
  }

  // Every receipt's checkpoint was read cheaply above; check a sample in full, offline
  // with the log key: the receipts are real.
  auto vkey = api::FetchVkey(*setup->server.NewClient());
  if (!vkey.ok()) return Fail(vkey.status().ToString());
  std::uint64_t verified = 0;
  std::vector<std::uint64_t> tree_sizes;
  for (PerThread& p : per) {
    tree_sizes.insert(tree_sizes.end(), p.tree_sizes.begin(), p.tree_sizes.end());
    if (p.first_receipt.empty()) continue;
    auto receipt = api::ParseReceiptJson(p.first_receipt);
    if (!receipt.ok()) return Fail("a receipt: " + receipt.status().ToString());
    auto v = api::VerifyReceipt(*receipt, *vkey);
    if (!v.ok()) return Fail("a receipt does not verify: " + v.status().ToString());
    if (v->checkpoint.size != ReceiptTreeSize(p.first_receipt)) {
      return Fail("the checkpoint size read from a receipt is not its verified one");
    }
    ++verified;
  }
  auto hist_after = BatchHistogram(setup->server);
  if (!hist_after.ok()) return Fail(hist_after.status().ToString());

  JsonObject o;
  o.Str("mode", "append")
      .Str("kind", kind)
      .Int("connections", c)
      .Int("count", n)
      .Int("envelope_bytes_mean",
           [&] {
             std::uint64_t b = 0;
             for (const Envelope& e : envelopes) b += e.bytes.size();
             return b / n;
           }())
      .Real("seconds", load.seconds)
      .Real("entries_per_s", static_cast<double>(n) / load.seconds)
      .Raw("latency", "{" + LatencyJson(load.latency_ms, "ms_") + "}")
      .Raw("batch_size_from_receipts", BatchesFromReceipts(tree_sizes))
      .Raw("batch_size_metrics_delta", HistogramDelta(*hist_before, *hist_after))
      .Int("receipts_verified_offline", verified)
      .Real("client_cpu_seconds", load.client_cpu);
  std::string out = o.Render();
  out.insert(out.size() - 1, ServerCpuJson(load.server_cpu0, load.server_cpu1, n, ""));
  std::printf("%s\n", out.c_str());
  return 0;
}

// --- read ----------------------------------------------------------------------------------

struct ReadTarget {
  std::string target;
  std::map<std::string, std::string> headers;  // RFC 9421, signed before the phase
};

// GETs `targets` round robin for `seconds` over `connections` connections; every answer
// must be 200. Returns the JSON members of the phase, prefixed with `name`.
StatusOr<std::string> ReadPhase(const Server& server, const std::string& name,
                                const std::vector<ReadTarget>& targets, std::uint64_t connections,
                                double seconds, std::uint64_t server_pid) {
  std::vector<std::vector<double>> per(connections);
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status failure;
  std::latch ready(static_cast<std::ptrdiff_t>(connections) + 1);
  std::latch go(1);
  std::vector<std::thread> pool;
  for (std::uint64_t t = 0; t < connections; ++t) {
    pool.emplace_back([&, t] {
      auto client = server.NewClient();
      auto warm = client->Request("GET", "/healthz");
      ready.count_down();
      go.wait();
      if (!warm.ok()) {
        stop = true;
        std::lock_guard<std::mutex> l(mu);
        failure = warm.status();
        return;
      }
      for (std::uint64_t k = t; !stop; ++k) {
        const ReadTarget& rt = targets[k % targets.size()];
        const auto t0 = Clock::now();
        auto r = client->Request("GET", rt.target, {}, "application/json", rt.headers);
        per[t].push_back(SecondsSince(t0) * 1e3);
        if (!r.ok() || r->status != 200) {
          std::lock_guard<std::mutex> l(mu);
          if (!stop.exchange(true)) {
            failure = r.ok()
                          ? Status::FailedPrecondition("GET " + rt.target + " answered " +
                                                       std::to_string(r->status) + ": " + r->body)
                          : r.status();
          }
          return;
        }
      }
    });
  }
  ready.arrive_and_wait();
  const double cpu0 = ProcessCpuSeconds();
  const auto server_cpu0 = CpuSecondsOf(server_pid);
  const auto start = Clock::now();
  go.count_down();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = SecondsSince(start);
  const double cpu = ProcessCpuSeconds() - cpu0;
  const auto server_cpu1 = CpuSecondsOf(server_pid);
  if (!failure.ok()) return failure;
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  JsonObject o;
  o.Int(name + "_requests", all.size())
      .Real(name + "_per_s", static_cast<double>(all.size()) / elapsed)
      .Real(name + "_client_cpu_seconds", cpu);
  std::string members = o.Render();
  members = members.substr(1, members.size() - 2) + "," + LatencyJson(all, name + "_ms_") +
            ServerCpuJson(server_cpu0, server_cpu1, all.size(), name + "_");
  std::fprintf(stderr, "ipledger-bench: read %s: %.0f requests/s\n", name.c_str(),
               static_cast<double>(all.size()) / elapsed);
  return members;
}

// The value of `key` (a number) in a flat JSON member list.
double NumberIn(const std::string& members, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const size_t at = members.find(k);
  if (at == std::string::npos) return 0;
  return std::strtod(members.c_str() + at + k.size(), nullptr);
}

int RunRead(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto secs = f.Number("seconds", 5, 1, 240);  // the signatures are valid for 300 s
  auto pid = f.Number("server-pid", 0, 0, 1u << 30);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!secs.ok()) return Fail(secs.status().message());
  if (!pid.ok()) return Fail(pid.status().message());
  auto setup = OpenSetup(f);
  if (!setup.ok()) return Fail(setup.status().ToString());
  const std::uint64_t c = *connections;

  // Setup: 8 patents, each of its own enterprise; the even ones pledged to a bank (two
  // signatures), every one insured against infringement loss with the bank as payee.
  constexpr std::uint64_t kPatents = 8;
  World world("r" + std::to_string(setup->tree_size), setup->tree_size);
  if (Status st = RegisterParticipants(world, *setup, c); !st.ok()) return Fail(st.ToString());
  if (Status st = RegisterPatents(world, *setup, kPatents, c); !st.ok()) return Fail(st.ToString());
  std::vector<Envelope> deals;
  for (std::uint64_t i = 0; i < kPatents; i += 2) deals.push_back(world.SignedPledge(i));
  for (std::uint64_t i = 0; i < kPatents; ++i) {
    deals.push_back(world.SignedPolicy(i, {world.PatentId(i)}));
  }
  if (Status st = PostAll(setup->server, deals, c, "pledges and policies"); !st.ok()) {
    return Fail(st.ToString());
  }

  // The caller: bank 0, pledgee of patents 0 and 4 and loss payee of their policies.
  const Party& caller = world.bank(0);
  const std::string today = FormatDate(world.today());
  auto sign_targets = [&](const std::string& path_suffix) {
    std::vector<ReadTarget> out;
    const std::int64_t created = NowMs() / 1000;
    for (std::uint64_t i = 0; i < kPatents; ++i) {
      ReadTarget rt;
      rt.target = "/v1/assets/" + api::EscapePathSegment(world.PatentId(i)) + path_suffix;
      api::SignatureHeaders h =
          api::SignRequest("GET", rt.target, caller.keyid(), created, caller.key);
      rt.headers = {{"Signature-Input", h.signature_input}, {"Signature", h.signature}};
      out.push_back(std::move(rt));
    }
    return out;
  };
  const double s = static_cast<double>(*secs);
  auto status =
      ReadPhase(setup->server, "status", sign_targets("/pledge-status?at=" + today), c, s, *pid);
  if (!status.ok()) return Fail("pledge-status: " + status.status().ToString());
  auto coverage =
      ReadPhase(setup->server, "coverage", sign_targets("/coverage?date=" + today), c, s, *pid);
  if (!coverage.ok()) return Fail("coverage: " + coverage.status().ToString());
  auto healthz = ReadPhase(setup->server, "healthz", {ReadTarget{"/healthz", {}}}, c, s, *pid);
  if (!healthz.ok()) return Fail("healthz: " + healthz.status().ToString());

  const double h = NumberIn(*healthz, "healthz_per_s");
  std::string out =
      "{\"mode\":\"read\",\"connections\":" + std::to_string(c) +
      ",\"seconds_per_phase\":" + std::to_string(*secs) +
      ",\"signed\":\"once per phase per target (RFC 9421, bank key)\"," + *status + "," +
      *coverage + "," + *healthz +
      ",\"status_over_healthz\":" + Num(h > 0 ? NumberIn(*status, "status_per_s") / h : 0) +
      ",\"coverage_over_healthz\":" + Num(h > 0 ? NumberIn(*coverage, "coverage_per_s") / h : 0) +
      "}";
  std::printf("%s\n", out.c_str());
  return 0;
}

// --- verify-rate ---------------------------------------------------------------------------

int RunVerifyRate(const Flags& f) {
  auto secs = f.Number("seconds", 3, 1, 600);
  if (!secs.ok()) return Fail(secs.status().message());
  // A realistic message: the PAE of a two-signature pledge envelope as a bank sends it.
  World world("verify", 1000);
  const Statement st = world.PledgeStatement(7);
  const std::string json = api::EncodeStatement(st);
  const Bytes pae = Pae(api::kStatementPayloadType, AsBytes(json));
  const Party& signer = world.bank(7);
  const Signature sig = signer.key.Sign(pae);
  const PublicKey pk = signer.key.public_key();

  std::uint64_t verifies = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(*secs);
  while (Clock::now() < deadline) {
    for (int i = 0; i < 256; ++i) {
      if (!Verify(pk, pae, sig)) return Fail("a valid signature did not verify");
    }
    verifies += 256;
  }
  const double seconds = SecondsSince(start);
  JsonObject o;
  o.Str("mode", "verify-rate")
      .Int("pae_bytes", pae.size())
      .Int("verifies", verifies)
      .Real("seconds", seconds)
      .Real("verifies_per_s", static_cast<double>(verifies) / seconds)
      .Real("us_per_verify", seconds * 1e6 / static_cast<double>(verifies));
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

// --- pg ------------------------------------------------------------------------------------

#if IPLEDGER_BENCH_HAVE_LIBPQ

// One libpq connection, closed on destruction.
struct PgConn {
  PGconn* conn = nullptr;
  explicit PgConn(const std::string& conninfo) : conn(PQconnectdb(conninfo.c_str())) {
    // Notices ("table entries does not exist, skipping") are not results; keep stderr
    // for progress.
    if (conn != nullptr)
      PQsetNoticeProcessor(
          conn, [](void*, const char*) {}, nullptr);
  }
  ~PgConn() { PQfinish(conn); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  bool ok() const { return conn != nullptr && PQstatus(conn) == CONNECTION_OK; }
  std::string error() const { return conn == nullptr ? "out of memory" : PQerrorMessage(conn); }

  // Runs `sql`; kUnavailable with the server's message unless it succeeds.
  Status Exec(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Status::Unavailable(sql + ": " + error());
    }
    return Status::Ok();
  }
  // The single value `sql` answers.
  StatusOr<std::string> Value(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    std::optional<std::string> v;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) v = PQgetvalue(r, 0, 0);
    PQclear(r);
    if (!v) return Status::Unavailable(sql + ": " + error());
    return *v;
  }
};

int RunPg(const Flags& f) {
  auto connections = f.Number("connections", 64, 1, 4096);
  auto count = f.Number("count", 20000, 1, 100'000'000);
  if (!connections.ok()) return Fail(connections.status().message());
  if (!count.ok()) return Fail(count.status().message());
  const std::string kind = f.Get("kind", "single");
  if (kind != "single" && kind != "pledge2") return Fail("--kind must be single or pledge2");
  const std::string conninfo = f.Get("conninfo");
  if (conninfo.empty()) return Fail("--conninfo is required");
  const std::uint64_t c = *connections;
  const std::uint64_t n = *count;

  PgConn admin(conninfo);
  if (!admin.ok()) return Fail("cannot connect to PostgreSQL: " + admin.error());
  for (const char* sql :
       {"DROP TABLE IF EXISTS entries",
        "CREATE TABLE entries(id bigserial primary key, idempotency_key text unique not null, "
        "envelope bytea not null)"}) {
    if (Status s = admin.Exec(sql); !s.ok()) return Fail(s.ToString());
  }
  auto fsync = admin.Value("SHOW fsync");
  auto version = admin.Value("SHOW server_version");
  if (!fsync.ok() || !version.ok()) return Fail("cannot read the server settings");

  // The same generator as `append` (a fixed tag: the table is new each run).
  World world("pg", 0);
  auto start_sign = Clock::now();
  const std::vector<Envelope> envelopes =
      ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured(kind, i); });
  std::fprintf(stderr, "ipledger-bench: pre-signed %llu %s envelopes in %.1f s\n",
               static_cast<unsigned long long>(n), kind.c_str(), SecondsSince(start_sign));

  Load load = RunClients(c, n, 0, [&](std::uint64_t) -> StatusOr<Worker> {
    auto pg = std::make_shared<PgConn>(conninfo);
    if (!pg->ok()) return Status::Unavailable("connect: " + pg->error());
    if (Status st = pg->Exec("SET synchronous_commit = on"); !st.ok()) return st;
    PGresult* r =
        PQprepare(pg->conn, "ins", "INSERT INTO entries(idempotency_key, envelope) VALUES ($1, $2)",
                  2, nullptr);
    const bool prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!prepared) return Status::Unavailable(pg->error());
    return Worker([pg, &envelopes](std::uint64_t i) -> Status {
      const Envelope& e = envelopes[i];
      const char* values[2] = {e.idempotency_key.c_str(), e.bytes.data()};
      const int lengths[2] = {0, static_cast<int>(e.bytes.size())};
      const int formats[2] = {0, 1};  // text key, binary bytea
      PGresult* res = PQexecPrepared(pg->conn, "ins", 2, values, lengths, formats, 0);
      const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
      if (!ok) {
        return Status::Unavailable("INSERT of envelope " + std::to_string(i) + ": " + pg->error());
      }
      return Status::Ok();
    });
  });
  if (!load.status.ok()) return Fail("pg " + kind + " failed: " + load.status.message());
  auto rows = admin.Value("SELECT count(*) FROM entries");
  if (!rows.ok() || *rows != std::to_string(n)) {
    return Fail("the table holds " + (rows.ok() ? *rows : rows.status().ToString()) +
                " rows, not " + std::to_string(n));
  }
  JsonObject o;
  o.Str("mode", "pg")
      .Str("kind", kind)
      .Str("server_version", *version)
      .Str("fsync", *fsync)
      .Str("synchronous_commit", "on")
      .Int("connections", c)
      .Int("count", n)
      .Real("seconds", load.seconds)
      .Real("entries_per_s", static_cast<double>(n) / load.seconds)
      .Raw("latency", "{" + LatencyJson(load.latency_ms, "ms_") + "}")
      .Real("client_cpu_seconds", load.client_cpu);
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

#else

int RunPg(const Flags&) {
  return Fail(
      "pg: this ipledger-bench was built without libpq (install libpq-dev, see "
      "tools/deps.sh, and re-run cmake)");
}

#endif

// --- fill --------------------------------------------------------------------------------

// Resident set size of this process in bytes (VmRSS), or 0 if unknown.
std::uint64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::uint64_t DirectoryBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

// Decodes a signed envelope as the server would, with its signatures pre-checked.
StatusOr<Submission> Decoded(const Registry& registry, const Envelope& e) {
  Submission s;
  auto envelope = api::DecodeEnvelopeJson(e.bytes);
  if (!envelope.ok()) return envelope.status();
  auto statement = api::DecodeStatement(ToString(envelope->payload));
  if (!statement.ok()) return statement.status();
  s.envelope = std::move(*envelope);
  s.statement = std::move(*statement);
  s.envelope_bytes = e.bytes;
  registry.PreverifySignatures(&s);
  return s;
}

// Sequences `envelopes` in batches of `batch`; every one must be accepted.
Status SubmitAll(Registry& registry, const std::vector<Envelope>& envelopes, std::uint64_t batch) {
  for (std::uint64_t first = 0; first < envelopes.size(); first += batch) {
    const std::uint64_t n = std::min<std::uint64_t>(batch, envelopes.size() - first);
    std::vector<StatusOr<Submission>> decoded = ParallelMake<StatusOr<Submission>>(
        n, [&](std::uint64_t i) { return Decoded(registry, envelopes[first + i]); });
    std::vector<Submission> submissions;
    submissions.reserve(n);
    for (auto& d : decoded) {
      if (!d.ok()) return d.status();
      submissions.push_back(std::move(*d));
    }
    auto outcomes = registry.Submit(submissions);
    if (!outcomes.ok()) return outcomes.status();
    for (const SubmitOutcome& o : *outcomes) {
      if (o.kind != OutcomeKind::kAccepted) {
        std::string codes;
        for (const auto& c : o.codes) codes += c + " ";
        return Status::FailedPrecondition("not accepted: " + codes + o.detail);
      }
    }
  }
  return Status::Ok();
}

// Appends N single-signature statements (the `append --kind single` kind) directly to a
// stopped server's data directory, in process: a large log in minutes instead of hours
// over HTTP, to measure a server that is already big (memory, open and verify time).
// Statements are made in chunks of 100,000, each under a fresh run tag (its own 21
// participants), so none is older than the registry's staleness window when sequenced.
int RunFill(const Flags& f) {
  auto count = f.Number("count", 1'000'000, 1, 100'000'000);
  if (!count.ok()) return Fail(count.status().message());
  auto batch = f.Number("batch", 1000, 1, 100'000);
  if (!batch.ok()) return Fail(batch.status().message());
  const std::string dir = f.Get("data-dir");
  if (dir.empty()) return Fail("fill needs --data-dir (of a stopped server)");
  auto log_key = ReadKeyFile(dir + "/log.key");
  if (!log_key.ok()) return Fail(log_key.status().ToString());
  auto office_key = ReadKeyFile(dir + "/registry.key");
  if (!office_key.ok()) return Fail(office_key.status().ToString());
  Party office{f.Get("registry-id", "registry"), std::move(*office_key)};
  auto registry = Registry::Open(dir + "/db", std::move(*log_key), {});
  if (!registry.ok()) return Fail("cannot open " + dir + "/db: " + registry.status().ToString());
  Registry& r = **registry;
  const std::uint64_t start_size = r.ledger().size();
  const auto start = Clock::now();
  constexpr std::uint64_t kChunk = 100'000;
  for (std::uint64_t done = 0; done < *count;) {
    const std::uint64_t n = std::min(kChunk, *count - done);
    World world("f" + std::to_string(r.ledger().size()), r.ledger().size());
    const std::vector<Statement> people = world.ParticipantStatements();
    std::vector<Envelope> registrations;
    for (const Statement& st : people) registrations.push_back(world.Sign(st, {&office}));
    if (Status st = SubmitAll(r, registrations, *batch); !st.ok()) return Fail(st.ToString());
    const std::vector<Envelope> envelopes =
        ParallelMake<Envelope>(n, [&](std::uint64_t i) { return world.Measured("single", i); });
    if (Status st = SubmitAll(r, envelopes, *batch); !st.ok()) return Fail(st.ToString());
    done += n;
    std::fprintf(stderr, "ipledger-bench: fill: %llu of %llu, tree size %llu, %.0f entries/s\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(*count),
                 static_cast<unsigned long long>(r.ledger().size()),
                 static_cast<double>(done) / SecondsSince(start));
  }
  const double seconds = SecondsSince(start);
  const std::uint64_t size = r.ledger().size();
  const std::uint64_t rss = RssBytes();
  registry->reset();  // flushes the memtables, so the bytes on disk are all there
  const std::uint64_t bytes = DirectoryBytes(dir + "/db");
  JsonObject o;
  o.Str("mode", "fill")
      .Int("entries_added", size - start_size)
      .Int("tree_size", size)
      .Real("seconds", seconds)
      .Real("entries_per_s", static_cast<double>(size - start_size) / seconds)
      .Int("db_bytes", bytes)
      .Real("db_bytes_per_entry", static_cast<double>(bytes) / static_cast<double>(size))
      .Int("fill_rss_bytes", rss);
  std::printf("%s\n", o.Render().c_str());
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help") {
    std::fprintf(argc < 2 ? stderr : stdout, "%s", kUsage);
    return argc < 2 ? 2 : 0;
  }
  if (!InitCrypto()) return Fail("libsodium initialization failed");
  const std::string cmd = argv[1];
  std::vector<std::string> allowed;
  int (*run)(const Flags&) = nullptr;
  if (cmd == "append") {
    allowed = {"server", "data-dir", "connections", "count", "kind", "registry-id", "server-pid"};
    run = RunAppend;
  } else if (cmd == "read") {
    allowed = {"server", "data-dir", "connections", "seconds", "registry-id", "server-pid"};
    run = RunRead;
  } else if (cmd == "verify-rate") {
    allowed = {"seconds"};
    run = RunVerifyRate;
  } else if (cmd == "fill") {
    allowed = {"data-dir", "count", "batch", "registry-id"};
    run = RunFill;
  } else if (cmd == "pg") {
    allowed = {"conninfo", "connections", "count", "kind"};
    run = RunPg;
  } else {
    std::fprintf(stderr, "ipledger-bench: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  }
  auto flags = ParseFlags(argc, argv, allowed);
  if (!flags.ok()) {
    std::fprintf(stderr, "ipledger-bench %s: %s\n%s", cmd.c_str(), flags.status().message().c_str(),
                 kUsage);
    return 2;
  }
  return run(*flags);
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  try {
    return ipledger::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipledger-bench: internal error: %s\n", e.what());
    return 1;
  }
}
