// `ipledger monitor` (issue 13 item 5): follows a registry through its public endpoints
// with api/client/monitor.h and reports the first disagreement. With --once it catches
// up to the latest checkpoint and exits (0 when everything held, 1 naming the first
// disagreement or when the server cannot be reached); without it, it polls every
// --interval seconds until a disagreement (exit 1) or a signal. Single-threaded.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/client/monitor.h"
#include "api/client/status_follower.h"
#include "crypto/bytes.h"
#include "tools/client_common.h"

namespace ipledger::cli {
namespace {

void PrintReport(const api::CatchUpReport& r, const Checkpoint& cp, bool json) {
  const double rate =
      r.seconds > 0 ? static_cast<double>(r.new_size - r.old_size) / r.seconds : 0.0;
  if (json) {
    std::printf(
        "{\"event\":\"checkpoint\",\"origin\":\"%s\",\"size\":%llu,\"root\":\"%s\","
        "\"new_entries\":%llu,\"requests\":%llu,\"seconds\":%.3f,\"entries_per_second\":%.0f}\n",
        cp.origin.c_str(), static_cast<unsigned long long>(cp.size), Base64Encode(cp.root).c_str(),
        static_cast<unsigned long long>(r.new_size - r.old_size),
        static_cast<unsigned long long>(r.requests), r.seconds, rate);
  } else if (r.new_size == r.old_size) {
    std::printf("ipledger monitor: %s size %llu unchanged, verified\n", cp.origin.c_str(),
                static_cast<unsigned long long>(cp.size));
  } else {
    std::printf(
        "ipledger monitor: %s size %llu -> %llu verified (root %s): %llu new entries, "
        "%llu requests, %.3f s, %.0f entries/s\n",
        cp.origin.c_str(), static_cast<unsigned long long>(r.old_size),
        static_cast<unsigned long long>(r.new_size), Base64Encode(cp.root).c_str(),
        static_cast<unsigned long long>(r.new_size - r.old_size),
        static_cast<unsigned long long>(r.requests), r.seconds, rate);
  }
  std::fflush(stdout);
}

}  // namespace

int MonitorCommand(int argc, char** argv) {
  const std::string cmd = "monitor";
  Args a = ParseArgs(argc, argv, 2, {"server", "vkey", "state", "watch", "interval", "ca-file"},
                     {"once", "json"}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("vkey")) return Usage(cmd, "--vkey VKEY_OR_FILE is required (the log's key)");
  if (!a.Has("state")) return Usage(cmd, "--state DIR is required");
  long interval = 60;
  if (a.Has("interval")) {
    char* end = nullptr;
    interval = std::strtol(a.Get("interval").c_str(), &end, 10);
    if (end == a.Get("interval").c_str() || *end != '\0' || interval < 1 || interval > 86400) {
      return Usage(cmd, "--interval must be whole seconds from 1 to 86400");
    }
  }
  const bool once = a.switches.contains("once");
  const bool json = a.switches.contains("json");
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/false, &code);
  if (!conn) return code;
  auto vkey = LoadVkey(a.Get("vkey"));
  if (!vkey.ok()) return Usage(cmd, vkey.status().message());
  auto monitor = api::Monitor::Open(a.Get("state"), *vkey);
  if (!monitor.ok()) return Fail(cmd, monitor.status().message());

  // The status map is re-derived from the persisted leaves (the watch lines of those
  // were printed by the runs that verified them), then follows every new leaf.
  std::set<std::string> watch;
  if (a.Has("watch")) watch.insert(a.values.at("watch").begin(), a.values.at("watch").end());
  std::unique_ptr<api::StatusFollower> follower;
  auto rebuild = [&]() -> Status {
    follower = std::make_unique<api::StatusFollower>(watch);
    return (*monitor)->ForEachPersistedLeaf([&](std::uint64_t index, std::string_view leaf) {
      return follower->Apply(index, leaf, nullptr);
    });
  };
  if (Status s = rebuild(); !s.ok()) {
    return Fail(cmd, s.code() == ErrorCode::kFailedPrecondition ? "DISAGREEMENT: " + s.message()
                                                                : s.message());
  }
  std::vector<api::StatusChange> changes;
  (*monitor)->SetLeafObserver([&](std::uint64_t index, std::string_view leaf) {
    return follower->Apply(index, leaf, &changes);
  });

  while (true) {
    changes.clear();
    auto report = (*monitor)->CatchUp(*conn->client);
    if (report.ok()) {
      for (const api::StatusChange& c : changes) {
        std::printf("%s\n",
                    (json ? api::FormatStatusChangeJson(c) : api::FormatStatusChange(c)).c_str());
      }
      PrintReport(*report, (*monitor)->checkpoint(), json);
      if (!json) {
        std::printf("ipledger monitor: status map: %llu assets, %llu roots checked, root %s\n",
                    static_cast<unsigned long long>(follower->assets()),
                    static_cast<unsigned long long>(follower->roots_checked()),
                    follower->root_hex().c_str());
      }
      std::fflush(stdout);
      if (once) return 0;
    } else if (report.status().code() == ErrorCode::kFailedPrecondition) {
      return Fail(cmd, "DISAGREEMENT: " + report.status().message());
    } else if (report.status().code() == ErrorCode::kUnavailable && !once) {
      std::fprintf(stderr, "ipledger monitor: %s (retrying in %ld s)\n",
                   report.status().message().c_str(), interval);
      // The follower saw leaves of a catch-up that did not finish: start it again.
      if (Status s = rebuild(); !s.ok()) return Fail(cmd, s.message());
    } else {
      return Fail(cmd, report.status().message());
    }
    ::sleep(static_cast<unsigned>(interval));
  }
}

}  // namespace ipledger::cli
