// Metrics: counters, gauges and histograms exposed in the Prometheus text format
// (version 0.0.4) at GET /metrics.
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

  // ipledger_http_requests_total{route,method,code} and the request latency histogram.
  void ObserveRequest(const std::string& route, const std::string& method, int status,
                      double seconds);
  // ipledger_batch_size and ipledger_append_seconds histograms, ipledger_tree_size gauge.
  void ObserveBatch(std::size_t size, std::uint64_t tree_size, double seconds);
  void SetTreeSize(std::uint64_t size);

  // The whole exposition, "text/plain; version=0.0.4".
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;  // one per bound, plus +Inf
    double sum = 0;
    std::uint64_t count = 0;
    void Observe(double v);
  };
  static void RenderHistogram(std::string* out, const std::string& name, const std::string& help,
                              const Histogram& h);

  mutable Mutex mu_;
  std::map<std::string, std::uint64_t> requests_ GUARDED_BY(mu_);  // label set -> count
  Histogram request_seconds_ GUARDED_BY(mu_);
  Histogram batch_size_ GUARDED_BY(mu_);
  Histogram append_seconds_ GUARDED_BY(mu_);
  std::uint64_t tree_size_ GUARDED_BY(mu_) = 0;
  std::uint64_t batches_ GUARDED_BY(mu_) = 0;
};

}  // namespace ipledger::api
