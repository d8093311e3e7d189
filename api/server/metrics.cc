#include "api/server/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ipledger::api {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

const std::vector<double> kSecondsBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    2.5};

// The process_* families of the Prometheus client libraries, from /proc/self; a family
// whose source cannot be read is left out.
std::string ProcessMetrics() {
  std::string out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at field 3, "state".
  const size_t close = stat.rfind(')');
  std::vector<std::string> f;
  if (close != std::string::npos) {
    std::istringstream in(stat.substr(close + 2));
    for (std::string w; in >> w;) f.push_back(w);
  }
  // f[0] is field 3; utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() > 21 && ticks > 0) {
    const double cpu =
        (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / ticks;
    out += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n";
    out += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " + Num(cpu) + "\n";
    out += "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n";
    out +=
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes " + f[20] + "\n";
    const double rss =
        std::strtod(f[21].c_str(), nullptr) * static_cast<double>(sysconf(_SC_PAGESIZE));
    out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
    out += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " +
           std::to_string(static_cast<std::uint64_t>(rss)) + "\n";
    std::ifstream proc_stat("/proc/stat");
    for (std::string line; std::getline(proc_stat, line);) {
      if (line.rfind("btime ", 0) != 0) continue;
      const double start =
          std::strtod(line.c_str() + 6, nullptr) + std::strtod(f[19].c_str(), nullptr) / ticks;
      out +=
          "# HELP process_start_time_seconds Start time of the process since unix epoch in "
          "seconds.\n";
      char text[32];
      std::snprintf(text, sizeof(text), "%.2f", start);
      out += "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds " +
             std::string(text) + "\n";
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    out += "# HELP process_open_fds Number of open file descriptors.\n";
    out += "# TYPE process_open_fds gauge\nprocess_open_fds " + std::to_string(n - 1) + "\n";
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out += "# HELP process_max_fds Maximum number of open file descriptors.\n";
    out +=
        "# TYPE process_max_fds gauge\nprocess_max_fds " +
        (limit.rlim_cur == RLIM_INFINITY ? std::string("+Inf") : std::to_string(limit.rlim_cur)) +
        "\n";
  }
  return out;
}

}  // namespace

const char* Metrics::Version() { return IPLEDGER_VERSION; }

void Metrics::Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++count;
}

Metrics::Metrics() {
  batch_size_.bounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  append_seconds_.bounds = kSecondsBounds;
  for (Histogram* h : {&batch_size_, &append_seconds_}) h->counts.assign(h->bounds.size() + 1, 0);
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
  Histogram& h = request_seconds_[labels];
  if (h.bounds.empty()) {
    h.bounds = kSecondsBounds;
    h.counts.assign(h.bounds.size() + 1, 0);
  }
  h.Observe(seconds);
}

void Metrics::CountCacheLookup(const std::string& cache, bool hit) {
  const std::string labels =
      "cache=\"" + cache + "\",result=\"" + std::string(hit ? "hit" : "miss") + "\"";
  MutexLock l(&mu_);
  ++cache_lookups_[labels];
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

void Metrics::SetLive(std::uint64_t tree_size, bool read_only, std::size_t queue_depth) {
  MutexLock l(&mu_);
  tree_size_ = tree_size;
  read_only_ = read_only;
  queue_depth_ = queue_depth;
}

void Metrics::RenderHelp(std::string* out, const std::string& name, const std::string& type,
                         const std::string& help) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Metrics::RenderHistogram(std::string* out, const std::string& name, const std::string& labels,
                              const Histogram& h) {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    *out += name + "_bucket{" + prefix + "le=\"" + Num(h.bounds[i]) + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  cumulative += h.counts.back();
  *out += name + "_bucket{" + prefix + "le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  *out += name + "_sum" + braces + " " + Num(h.sum) + "\n";
  *out += name + "_count" + braces + " " + std::to_string(h.count) + "\n";
}

std::string Metrics::Render() const {
  std::string out = ProcessMetrics();
  RenderHelp(&out, "ipledger_build_info", "gauge",
             "Always 1; the version label is the running ipledgerd's version.");
  out += "ipledger_build_info{version=\"" + std::string(Version()) + "\"} 1\n";
  MutexLock l(&mu_);
  RenderHelp(&out, "ipledger_http_requests_total", "counter",
             "HTTP requests by route pattern, method and status.");
  for (const auto& [labels, n] : requests_) {
    out += "ipledger_http_requests_total{" + labels + "} " + std::to_string(n) + "\n";
  }
  RenderHelp(&out, "ipledger_http_request_duration_seconds", "histogram",
             "Time from a request's arrival to its response, by route pattern, method and status.");
  for (const auto& [labels, h] : request_seconds_) {
    RenderHistogram(&out, "ipledger_http_request_duration_seconds", labels, h);
  }
  RenderHelp(&out, "ipledger_batch_size", "histogram", "Submissions per group-commit batch.");
  RenderHistogram(&out, "ipledger_batch_size", "", batch_size_);
  RenderHelp(&out, "ipledger_append_seconds", "histogram",
             "Time to sequence, write and fsync one batch and sign its checkpoint.");
  RenderHistogram(&out, "ipledger_append_seconds", "", append_seconds_);
  RenderHelp(&out, "ipledger_batches_total", "counter", "Committed group-commit batches.");
  out += "ipledger_batches_total " + std::to_string(batches_) + "\n";
  RenderHelp(&out, "ipledger_tree_size", "gauge", "Entries in the log.");
  out += "ipledger_tree_size " + std::to_string(tree_size_) + "\n";
  RenderHelp(&out, "ipledger_read_only", "gauge",
             "1 once a write has failed: the registry refuses writes until restarted.");
  out += "ipledger_read_only " + std::string(read_only_ ? "1" : "0") + "\n";
  RenderHelp(&out, "ipledger_queue_depth", "gauge",
             "Submissions waiting in the group-commit queue.");
  out += "ipledger_queue_depth " + std::to_string(queue_depth_) + "\n";
  RenderHelp(&out, "ipledger_read_cache_lookups_total", "counter",
             "Lookups in the read path's caches of answers and of RFC 9421 signature checks.");
  for (const auto& [labels, n] : cache_lookups_) {
    out += "ipledger_read_cache_lookups_total{" + labels + "} " + std::to_string(n) + "\n";
  }
  return out;
}

}  // namespace ipledger::api
