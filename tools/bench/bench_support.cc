// The harness of ipledger-bench (tools/bench/bench_support.h).
#include "tools/bench/bench_support.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <latch>
#include <mutex>

namespace ipledger::bench {

// --- Flags, output, time --------------------------------------------------------------------

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

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

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

Party MakeParty(const std::string& id) {
  return {id, *SigningKey::FromSeed(Sha256(AsBytes("ipledger-bench participant " + id)))};
}

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

// --- In process: a Registry without the server ---------------------------------------------

StatusOr<Submission> DecodeSubmission(const Registry& registry, const Envelope& e) {
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

Status SubmitAll(Registry& registry, const std::vector<Envelope>& envelopes, std::uint64_t batch,
                 double* seconds, const std::function<void(bool before)>& around) {
  for (std::uint64_t first = 0; first < envelopes.size(); first += batch) {
    const std::uint64_t n = std::min<std::uint64_t>(batch, envelopes.size() - first);
    std::vector<StatusOr<Submission>> decoded = ParallelMake<StatusOr<Submission>>(
        n, [&](std::uint64_t i) { return DecodeSubmission(registry, envelopes[first + i]); });
    std::vector<Submission> submissions;
    submissions.reserve(n);
    for (auto& d : decoded) {
      if (!d.ok()) return d.status();
      submissions.push_back(std::move(*d));
    }
    if (around) around(true);
    const auto start = Clock::now();
    auto outcomes = registry.Submit(submissions);
    if (seconds != nullptr) *seconds += SecondsSince(start);
    if (around) around(false);
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

// --- HTTP ----------------------------------------------------------------------------------

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

}  // namespace ipledger::bench
