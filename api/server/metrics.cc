#include "api/server/metrics.h"

#include <cstdio>

namespace ipledger::api {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++count;
}

Metrics::Metrics() {
  request_seconds_.bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
  batch_size_.bounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  append_seconds_.bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
  for (Histogram* h : {&request_seconds_, &batch_size_, &append_seconds_}) {
    h->counts.assign(h->bounds.size() + 1, 0);
  }
}

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status,
                             double seconds) {
  // Label values must stay a small fixed set: any method token a client invents is
  // "other", or a client could grow the series (and this process) without bound.
  static const char* const kMethods[] = {"GET",    "POST",    "HEAD", "PUT",
                                         "DELETE", "OPTIONS", "PATCH"};
  std::string m = "other";
  for (const char* known : kMethods) {
    if (method == known) m = known;
  }
  const std::string labels =
      "route=\"" + route + "\",method=\"" + m + "\",code=\"" + std::to_string(status) + "\"";
  MutexLock l(&mu_);
  ++requests_[labels];
  request_seconds_.Observe(seconds);
}

void Metrics::ObserveBatch(std::size_t size, std::uint64_t tree_size, double seconds) {
  MutexLock l(&mu_);
  batch_size_.Observe(static_cast<double>(size));
  append_seconds_.Observe(seconds);
  tree_size_ = tree_size;
  ++batches_;
}

void Metrics::SetTreeSize(std::uint64_t size) {
  MutexLock l(&mu_);
  tree_size_ = size;
}

void Metrics::RenderHistogram(std::string* out, const std::string& name, const std::string& help,
                              const Histogram& h) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    *out += name + "_bucket{le=\"" + Num(h.bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += h.counts.back();
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  *out += name + "_sum " + Num(h.sum) + "\n";
  *out += name + "_count " + std::to_string(h.count) + "\n";
}

std::string Metrics::Render() const {
  MutexLock l(&mu_);
  std::string out;
  out += "# HELP ipledger_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE ipledger_http_requests_total counter\n";
  for (const auto& [labels, n] : requests_) {
    out += "ipledger_http_requests_total{" + labels + "} " + std::to_string(n) + "\n";
  }
  RenderHistogram(&out, "ipledger_http_request_duration_seconds",
                  "Time from a request's arrival to its response.", request_seconds_);
  RenderHistogram(&out, "ipledger_batch_size", "Submissions per group-commit batch.", batch_size_);
  RenderHistogram(&out, "ipledger_append_seconds",
                  "Time to sequence, write and fsync one batch and sign its checkpoint.",
                  append_seconds_);
  out += "# HELP ipledger_batches_total Committed group-commit batches.\n";
  out += "# TYPE ipledger_batches_total counter\n";
  out += "ipledger_batches_total " + std::to_string(batches_) + "\n";
  out += "# HELP ipledger_tree_size Entries in the log.\n# TYPE ipledger_tree_size gauge\n";
  out += "ipledger_tree_size " + std::to_string(tree_size_) + "\n";
  return out;
}

}  // namespace ipledger::api
