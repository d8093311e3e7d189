// Metrics: counters, gauges and histograms exposed in the Prometheus text format
// (version 0.0.4) at GET /metrics (and on ipledgerd's --metrics-listen address).
//
// Families: ipledger_http_requests_total and ipledger_http_request_duration_seconds by
// route pattern (never the raw path), method and status code; the group-commit batch
// histograms and counter; the gauges ipledger_tree_size, ipledger_read_only and
// ipledger_queue_depth (set by SetLive before each render); ipledger_build_info{version};
// the read caches' ipledger_read_cache_lookups_total{cache,result}; and the standard
// process_* families read from /proc/self at render time.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ledger/base/mutex.h"

namespace ipledger::api {

class Metrics {
 public:
  Metrics();

  // ipledger_http_requests_total{route,method,code} and the request latency histogram
  // of that label set.
  void ObserveRequest(const std::string& route, const std::string& method, int status,
                      double seconds);
  // ipledger_batch_size and ipledger_append_seconds histograms, ipledger_tree_size gauge.
  void ObserveBatch(std::size_t size, std::uint64_t tree_size, double seconds);
  void SetTreeSize(std::uint64_t size);
  // The gauges read from the live registry: tree size, read-only (after a failed write)
  // and submissions waiting in the group-commit queue.
  void SetLive(std::uint64_t tree_size, bool read_only, std::size_t queue_depth);

  // ipledger_read_cache_lookups_total{cache,result="hit"|"miss"}: the read path's caches
  // (read_cache.h): "pledge_status" and "asset" answers, RFC 9421 "signature" checks.
  void CountCacheLookup(const std::string& cache, bool hit);

  // The whole exposition, "text/plain; version=0.0.4".
  std::string Render() const;

  // The project's version, as in ipledger_build_info and --version.
  static const char* Version();

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;  // one per bound, plus +Inf
    double sum = 0;
    std::uint64_t count = 0;
    void Observe(double v);
  };
  // One histogram's lines; `labels` ("" or `a="b",c="d"`) go before `le`.
  static void RenderHistogram(std::string* out, const std::string& name, const std::string& labels,
                              const Histogram& h);
  static void RenderHelp(std::string* out, const std::string& name, const std::string& type,
                         const std::string& help);

  mutable Mutex mu_;
  std::map<std::string, std::uint64_t> requests_ GUARDED_BY(mu_);     // label set -> count
  std::map<std::string, Histogram> request_seconds_ GUARDED_BY(mu_);  // label set -> latency
  Histogram batch_size_ GUARDED_BY(mu_);
  Histogram append_seconds_ GUARDED_BY(mu_);
  std::uint64_t tree_size_ GUARDED_BY(mu_) = 0;
  std::uint64_t batches_ GUARDED_BY(mu_) = 0;
  bool read_only_ GUARDED_BY(mu_) = false;
  std::size_t queue_depth_ GUARDED_BY(mu_) = 0;
  std::map<std::string, std::uint64_t> cache_lookups_ GUARDED_BY(mu_);  // label set -> count
};

}  // namespace ipledger::api
