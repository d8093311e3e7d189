// HTTP crash test (issue 6, item 1): an acknowledged registration is never lost.
//
// Each round starts crash_server (the production server, assembled as ipledgerd, on a
// FileSystem that loses every byte not fsynced when the process dies, as a power cut
// would: tests/crash/losing_fs.h), lets four clients register participants over HTTP,
// and SIGKILLs the server after a random 50-400 ms. After every restart it checks that
//   - every receipt any client received is in the log: same leaf bytes at the same index;
//   - every checkpoint any client saw is a prefix of the current tree (consistency
//     proofs served by the server, verified here against the roots of checkpoints opened
//     with the log's verifier key);
//   - a statement whose POST died with the server, retried with the same envelope (same
//     idempotency key), gets 201 (it had not landed) or 200 with its original entry; an
//     acknowledged one, retried, gets 200 with its original receipt; no participant is
//     ever in two entries.
// At the end the server stops cleanly, `ipledger verify --replay` must pass, and a scan
// of the whole log finds each participant in exactly one entry and no refusal.
//
// FsyncRemovedLosesAcknowledgedEntries runs the same loop against `crash_server
// --no-sync` (no fsync before acknowledging) and requires the checks to catch a lost
// acknowledged entry: the proof that this test can fail.
//
// IPLEDGER_CRASH_ROUNDS (default 20) and IPLEDGER_CRASH_SEED set the rounds and the
// random schedule; tools/crash_soak.sh runs 200 rounds. Such longer runs check, after
// a restart, the new receipts and checkpoints and a sample of the old ones once there
// are more than kSoakCheckBudget (see WithinBudget); the final check covers every one.
#include <fcntl.h>
#include <rocksdb/env.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/client/http_client.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/note.h"
#include "ledger/base/encoding.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/ledger.h"
#include "ledger/log/merkle.h"
#include "ledger/registry/statement.h"
#include "tests/crash/losing_fs.h"
#include "tests/testing/testing.h"
#include "tools/key_file.h"

extern char** environ;

namespace ipledger {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 4;
constexpr int kDefaultRounds = 20;
constexpr unsigned kDefaultSeed = 20260601;
// Rounds the no-sync server gets to lose an acknowledged entry (it loses one in the
// first round that acknowledges anything).
constexpr int kNoSyncMaxRounds = 10;
// Acknowledged statements re-sent after each restart, expecting their original receipt.
constexpr int kReplaysPerRound = 8;
// Receipts (and checkpoints) checked directly after one restart in runs longer than
// kDefaultRounds (soaks; see WithinBudget). The CTest case checks every one every time.
constexpr std::size_t kSoakCheckBudget = 4000;
constexpr const char* kOrigin = "crash.ipledger.test/log";

int IntFromEnv(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  auto n = ParseDecimalU64(v);
  return n && *n <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
             ? static_cast<int>(*n)
             : fallback;
}

// --- Processes ----------------------------------------------------------------------------

std::string Tail(const std::string& path, std::size_t max_bytes = 4000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() <= max_bytes ? s : "..." + s.substr(s.size() - max_bytes);
}

// Spawns `argv` with stdout going to `stdout_fd` (or -1: to `log_path` too) and stderr
// appended to `log_path`. Returns the pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv, int stdout_fd, const std::string& log_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, stdout_fd, STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Runs `argv` to completion; its output goes to `log_path`. Returns the exit status
// (128 + signal if killed, -1 if it could not be started).
int RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = Spawn(argv, -1, log_path);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

// One crash_server process.
class ServerProcess {
 public:
  // Starts the server on `data_dir` and waits until it listens. kUnavailable (with the
  // end of its log) if it exits instead.
  static StatusOr<std::unique_ptr<ServerProcess>> Start(const std::string& data_dir, bool sync,
                                                        const std::string& log_path) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Status::Unavailable("pipe failed");
    std::vector<std::string> argv = {IPLEDGER_CRASH_SERVER, "--data-dir", data_dir};
    if (!sync) argv.push_back("--no-sync");
    const pid_t pid = Spawn(argv, fds[1], log_path);
    close(fds[1]);
    if (pid < 0) {
      close(fds[0]);
      return Status::Unavailable("cannot spawn " + std::string(IPLEDGER_CRASH_SERVER));
    }
    std::unique_ptr<ServerProcess> p(new ServerProcess(pid, fdopen(fds[0], "r")));
    char line[256];
    const std::string prefix = "crash_server: listening on http://127.0.0.1:";
    if (p->out_ == nullptr || std::fgets(line, sizeof(line), p->out_) == nullptr ||
        std::string_view(line).substr(0, prefix.size()) != prefix) {
      p->Kill();
      return Status::Unavailable("crash_server did not start; its log ends:\n" + Tail(log_path));
    }
    std::string rest(line + prefix.size());
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.pop_back();
    auto port = ParseDecimalU64(rest);
    if (!port || *port == 0 || *port > 65535) {
      p->Kill();
      return Status::Internal(std::string("bad listening line: ") + line);
    }
    p->port_ = static_cast<std::uint16_t>(*port);
    return p;
  }

  ~ServerProcess() {
    Kill();
    if (out_ != nullptr) std::fclose(out_);
  }

  std::uint16_t port() const { return port_; }

  // SIGKILL: the power cut. Waits for the process to be gone.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGTERM: a clean stop. Returns the exit status (-1 if killed by a signal).
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    const bool waited = waitpid(pid_, &status, 0) == pid_;
    pid_ = -1;
    return waited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  ServerProcess(pid_t pid, FILE* out) : pid_(pid), out_(out) {}
  pid_t pid_;
  FILE* out_;  // kept open: the server must never get SIGPIPE on stdout
  std::uint16_t port_ = 0;
};

// --- Statements ---------------------------------------------------------------------------

// Signs participant.register statements as registry/k1, one unique id and idempotency
// key each. Thread-safe (signing is const).
class Registrar {
 public:
  explicit Registrar(SigningKey registry_key)
      : registry_key_(std::move(registry_key)),
        participant_key_(*SigningKey::FromSeed(Sha256(AsBytes("crash test participant")))) {}

  // The envelope bytes a client POSTs to register `id`, created now.
  std::string Envelope(const std::string& id) const {
    ParticipantRegister body;
    body.id = id;
    body.name = "Crash test participant " + id;
    body.role = Role::kEnterprise;
    body.region_code = "330802";
    body.keys = {{"k1", participant_key_.public_key()}};
    Statement st;
    st.type = "participant.register";
    st.submitter = "registry";
    st.idempotency_key = "crash-" + id;
    st.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    st.body = body;
    const std::string payload = api::EncodeStatement(st);
    DsseEnvelope env;
    env.payload_type = std::string(api::kStatementPayloadType);
    env.payload.assign(payload.begin(), payload.end());
    AddDsseSignature(env, "registry/k1", registry_key_);
    return api::EncodeEnvelopeJson(env);
  }

 private:
  SigningKey registry_key_;
  SigningKey participant_key_;
};

// The digests of a JSON array of base64 strings; nullopt if it is not one.
std::optional<std::vector<Digest>> DigestList(const json& array) {
  if (!array.is_array()) return std::nullopt;
  std::vector<Digest> out;
  for (const json& h : array) {
    auto d = h.is_string() ? Base64Decode(h.get<std::string>()) : std::nullopt;
    if (!d || d->size() != 32) return std::nullopt;
    Digest digest;
    std::copy(d->begin(), d->end(), digest.begin());
    out.push_back(digest);
  }
  return out;
}

// --- What the clients saw -----------------------------------------------------------------

struct Receipt {
  std::uint64_t index = 0;
  std::string leaf;  // base64, as in the receipt
};

// Everything every client was told, across all rounds. Thread-safe.
class History {
 public:
  explicit History(NoteVerifier vkey) : vkey_(std::move(vkey)) {}

  void Posted(const std::string& id, const std::string& envelope) {
    std::lock_guard<std::mutex> l(mu_);
    envelopes_[id] = envelope;
  }
  std::string EnvelopeOf(const std::string& id) const {
    std::lock_guard<std::mutex> l(mu_);
    return envelopes_.at(id);
  }

  // A POST of `id` whose outcome is unknown: the server died before answering.
  void Unanswered(const std::string& id) {
    std::lock_guard<std::mutex> l(mu_);
    unanswered_.insert(id);
  }
  std::vector<std::string> TakeUnanswered() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> ids(unanswered_.begin(), unanswered_.end());
    unanswered_.clear();
    return ids;
  }

  // Records a 201/200 answer for `id`. Returns "" or what is wrong with it: a receipt
  // that does not verify, or a second entry for the same participant.
  std::string Answered(const std::string& id, const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j["index"].is_number_unsigned() || !j["leaf"].is_string() ||
        !j["checkpoint"].is_string() || !j["inclusion_proof"].is_array()) {
      return "receipt for " + id + " is malformed: " + body;
    }
    Receipt r{j["index"].get<std::uint64_t>(), j["leaf"].get<std::string>()};
    auto leaf = Base64Decode(r.leaf);
    if (!leaf) return "receipt for " + id + ": leaf is not base64";
    auto entry = DecodeLeaf(ToString(*leaf));
    if (!entry.ok() || entry->index != r.index || entry->type != "participant.register" ||
        std::find(entry->subjects.begin(), entry->subjects.end(), id) == entry->subjects.end()) {
      return "receipt for " + id + " at " + std::to_string(r.index) +
             " does not hold its registration";
    }
    const std::string note = j["checkpoint"].get<std::string>();
    auto cp = OpenCheckpoint(note, vkey_);
    if (!cp.ok()) return "receipt checkpoint for " + id + ": " + cp.status().ToString();
    auto proof = DigestList(j["inclusion_proof"]);
    if (!proof) return "receipt for " + id + ": bad inclusion proof";
    if (Status s = VerifyInclusion(r.index, cp->size, LeafHash(*leaf), *proof, cp->root); !s.ok()) {
      return "receipt for " + id + ": inclusion proof fails: " + s.ToString();
    }
    std::string problem = SawCheckpoint(*cp);
    std::lock_guard<std::mutex> l(mu_);
    auto [it, inserted] = acked_.emplace(id, r);
    if (!inserted && (it->second.index != r.index || it->second.leaf != r.leaf)) {
      problem += "participant " + id + " answered at index " + std::to_string(r.index) +
                 " but acknowledged before at " + std::to_string(it->second.index) + "; ";
    }
    return problem;
  }

  // Records a checkpoint a client saw. Returns "" or a fork: another checkpoint of the
  // same size with a different root.
  std::string SawCheckpoint(const Checkpoint& cp) {
    std::lock_guard<std::mutex> l(mu_);
    auto [it, inserted] = checkpoints_.emplace(cp.size, cp.root);
    if (!inserted && it->second != cp.root) {
      return "two checkpoints of size " + std::to_string(cp.size) + " with different roots; ";
    }
    return "";
  }
  std::string SawCheckpointNote(const std::string& note) {
    auto cp = OpenCheckpoint(note, vkey_);
    if (!cp.ok()) return "checkpoint does not open: " + cp.status().ToString();
    return SawCheckpoint(*cp);
  }

  std::map<std::string, Receipt> acked() const {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }
  std::map<std::uint64_t, Digest> checkpoints() const {
    std::lock_guard<std::mutex> l(mu_);
    return checkpoints_;
  }
  const NoteVerifier& vkey() const { return vkey_; }

 private:
  const NoteVerifier vkey_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> envelopes_;  // every id ever posted
  std::set<std::string> unanswered_;              // outcome unknown, to retry
  std::map<std::string, Receipt> acked_;          // id -> first receipt
  std::map<std::uint64_t, Digest> checkpoints_;   // size -> root, every one seen
};

// What one post-restart check found.
struct CheckReport {
  int lost_receipts = 0;             // acknowledged entries missing or changed
  int inconsistent_checkpoints = 0;  // seen checkpoints that are not a prefix any more
  std::vector<std::string> problems;

  bool clean() const { return problems.empty(); }
  void Add(std::string p) { problems.push_back(std::move(p)); }
  std::string Summary() const {
    std::string s = std::to_string(problems.size()) + " problems (" +
                    std::to_string(lost_receipts) + " lost receipts, " +
                    std::to_string(inconsistent_checkpoints) + " inconsistent checkpoints):";
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) s += "\n  " + problems[i];
    return s;
  }
};

// Runs fn(client, i) for i in [0, n) on kClients threads, one keep-alive client each.
void ParallelFor(std::uint16_t port, std::size_t n,
                 const std::function<void(api::Client&, std::size_t)>& fn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      api::Client client("127.0.0.1", port);
      for (std::size_t i = static_cast<std::size_t>(t); i < n; i += kClients) fn(client, i);
    });
  }
  for (auto& th : threads) th.join();
}

// --- The loop -----------------------------------------------------------------------------

struct CrashRunOptions {
  bool sync = true;  // false: crash_server --no-sync
  int rounds = kDefaultRounds;
  unsigned seed = kDefaultSeed;
  // Most receipts (and checkpoints) checked directly after one restart. Default: all.
  std::size_t check_budget = std::numeric_limits<std::size_t>::max();
};

class CrashRun {
 public:
  explicit CrashRun(CrashRunOptions options) : options_(options), rng_(options.seed) {}

  // `ipledger init`, then reads the registry key (the verifier key comes from the
  // server: GET /log/vkey, in StartServer).
  void Init() {
    data_dir_ = tmp_.str() + "/data";
    logs_ = tmp_.str() + "/logs";
    std::filesystem::create_directories(logs_);
    const int rc = RunToCompletion(
        {IPLEDGER_CLI, "init", "--data-dir", data_dir_, "--origin", kOrigin}, logs_ + "/init.log");
    ASSERT_EQ(rc, 0) << Tail(logs_ + "/init.log");
    auto key = ReadKeyFile(data_dir_ + "/registry.key");
    ASSERT_OK(key);
    registrar_ = std::make_unique<Registrar>(std::move(*key));
  }

  // Starts the server for round `round` (logs/round-N.log).
  void StartServer(int round) {
    log_path_ = logs_ + "/round-" + std::to_string(round) + ".log";
    auto server = ServerProcess::Start(data_dir_, options_.sync, log_path_);
    ASSERT_OK(server);
    server_ = std::move(*server);
    if (!history_) {
      api::Client client("127.0.0.1", server_->port());
      auto r = client.Request("GET", "/log/vkey");
      ASSERT_OK(r);
      ASSERT_EQ(r->status, 200);
      std::string line = r->body;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      auto vkey = ParseVkey(line);
      ASSERT_TRUE(vkey.has_value()) << r->body;
      history_ = std::make_unique<History>(*vkey);
    }
  }

  // Four clients register participants until the server dies; it is SIGKILLed after a
  // random 50-400 ms. Returns the number of acknowledgements in this round.
  int LoadAndKill(int round) {
    const int delay_ms = std::uniform_int_distribution<int>(50, 400)(rng_);
    std::atomic<bool> killed{false};
    std::atomic<int> acks{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        api::Client client("127.0.0.1", server_->port());
        for (int n = 0; !killed.load(); ++n) {
          const std::string id =
              "c" + std::to_string(round) + "-" + std::to_string(c) + "-" + std::to_string(n);
          const std::string envelope = registrar_->Envelope(id);
          history_->Posted(id, envelope);
          auto r = client.Request("POST", "/v1/entries", envelope);
          if (!r.ok()) {
            history_->Unanswered(id);  // died with the server: outcome unknown
            return;
          }
          if (r->status == 201) {
            Problem(history_->Answered(id, r->body));
            acks.fetch_add(1);
          } else {
            Problem("fresh registration " + id + " got " + std::to_string(r->status) + ": " +
                    r->body);
          }
          if (n % 8 == 7) {
            auto cp = client.Request("GET", "/log/checkpoint");
            if (!cp.ok()) return;
            if (cp->status == 200) Problem(history_->SawCheckpointNote(cp->body));
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    server_->Kill();
    killed.store(true);
    for (auto& t : clients) t.join();
    server_.reset();
    return acks.load();
  }

  // The checks after a restart (see the file comment). `everything`: no check budget.
  CheckReport CheckAfterRestart(bool everything = false) {
    CheckReport report;
    for (std::string& p : TakeProblems()) report.Add(std::move(p));
    api::Client client("127.0.0.1", server_->port());
    auto head = client.Request("GET", "/log/checkpoint");
    if (!head.ok() || head->status != 200) {
      report.Add("GET /log/checkpoint failed");
      return report;
    }
    auto current = OpenCheckpoint(head->body, history_->vkey());
    if (!current.ok()) {
      report.Add("current checkpoint: " + current.status().ToString());
      return report;
    }

    // Every receipt: the same leaf at the same index.
    const std::map<std::string, Receipt> acked = history_->acked();
    std::vector<std::pair<std::string, Receipt>> receipts;
    for (const auto& [id, receipt] : acked) receipts.emplace_back(id, receipt);
    if (!everything) {
      receipts = WithinBudget(std::move(receipts),
                              [&](const auto& r) { return checked_ids_.contains(r.first); });
    }
    for (const auto& [id, receipt] : receipts) checked_ids_.insert(id);
    checked_receipts_ += receipts.size();
    std::mutex mu;
    ParallelFor(server_->port(), receipts.size(), [&](api::Client& c, std::size_t i) {
      const auto& [id, receipt] = receipts[i];
      std::string problem;
      if (receipt.index >= current->size) {
        problem = "lost: " + id + " acknowledged at index " + std::to_string(receipt.index) +
                  " but the tree has " + std::to_string(current->size) + " entries";
      } else {
        auto r = c.Request("GET", "/v1/entries/" + std::to_string(receipt.index));
        json j = r.ok() && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
        if (!j.is_object() || !j["leaf"].is_string()) {
          problem = "lost: GET /v1/entries/" + std::to_string(receipt.index) + " failed";
        } else if (j["leaf"].get<std::string>() != receipt.leaf) {
          problem = "lost: " + id + " acknowledged at index " + std::to_string(receipt.index) +
                    " but another leaf is there now";
        }
      }
      if (problem.empty()) return;
      std::lock_guard<std::mutex> l(mu);
      ++report.lost_receipts;
      report.Add(problem);
    });

    // Every checkpoint seen: a prefix of the current tree.
    const std::map<std::uint64_t, Digest> seen = history_->checkpoints();
    std::vector<std::pair<std::uint64_t, Digest>> checkpoints;
    for (const auto& [size, root] : seen) {
      // The previous head, proved a prefix of every earlier checkpoint, is always checked.
      if (size == last_head_size_) continue;
      checkpoints.emplace_back(size, root);
    }
    if (!everything) {
      checkpoints = WithinBudget(std::move(checkpoints),
                                 [&](const auto& c) { return checked_sizes_.contains(c.first); });
    }
    if (seen.contains(last_head_size_)) {
      checkpoints.emplace_back(last_head_size_, seen.at(last_head_size_));
    }
    for (const auto& [size, root] : checkpoints) checked_sizes_.insert(size);
    checked_checkpoints_ += checkpoints.size();
    ParallelFor(server_->port(), checkpoints.size(), [&](api::Client& c, std::size_t i) {
      const auto& [size, root] = checkpoints[i];
      std::string problem;
      if (size > current->size) {
        problem = "checkpoint of size " + std::to_string(size) + " seen, but the tree has " +
                  std::to_string(current->size) + " entries";
      } else if (size > 0) {
        auto r = c.Request("GET", "/v1/log/consistency?old=" + std::to_string(size) +
                                      "&new=" + std::to_string(current->size));
        json j = r.ok() && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
        auto proof = j.is_object() ? DigestList(j["hashes"]) : std::nullopt;
        if (!proof) {
          problem = "GET /v1/log/consistency?old=" + std::to_string(size) + " failed";
        } else if (Status s = VerifyConsistency(size, current->size, root, current->root, *proof);
                   !s.ok()) {
          problem = "checkpoint of size " + std::to_string(size) +
                    " is not a prefix of the current tree: " + s.ToString();
        }
      }
      if (problem.empty()) return;
      std::lock_guard<std::mutex> l(mu);
      ++report.inconsistent_checkpoints;
      report.Add(problem);
    });
    if (std::string p = history_->SawCheckpoint(*current); !p.empty()) report.Add(p);
    last_head_size_ = current->size;

    // Unanswered POSTs, retried with the very same envelope: 201 or 200, never twice.
    for (const std::string& id : history_->TakeUnanswered()) {
      auto r = client.Request("POST", "/v1/entries", history_->EnvelopeOf(id));
      if (!r.ok()) {
        report.Add("retry of " + id + " failed: " + r.status().ToString());
      } else if (r->status != 201 && r->status != 200) {
        report.Add("retry of " + id + " got " + std::to_string(r->status) + ": " + r->body);
      } else {
        ++(r->status == 200 ? retried_landed_ : retried_not_landed_);
        if (std::string p = history_->Answered(id, r->body); !p.empty()) report.Add(p);
      }
    }

    // Acknowledged statements, retried: 200 and the original receipt.
    std::vector<std::string> ids;
    for (const auto& [id, receipt] : acked) ids.push_back(id);
    std::shuffle(ids.begin(), ids.end(), rng_);
    for (std::size_t i = 0; i < ids.size() && i < kReplaysPerRound; ++i) {
      auto r = client.Request("POST", "/v1/entries", history_->EnvelopeOf(ids[i]));
      if (!r.ok() || r->status != 200) {
        report.Add("replay of acknowledged " + ids[i] + " got " +
                   (r.ok() ? std::to_string(r->status) + ": " + r->body : r.status().ToString()));
        continue;
      }
      ++replayed_;
      if (std::string p = history_->Answered(ids[i], r->body); !p.empty()) report.Add(p);
    }
    return report;
  }

  // The end: a clean stop, the offline verifier with --replay, and one pass over the
  // whole log (each participant in exactly one entry; no refusals).
  void StopAndVerifyOffline() {
    ASSERT_EQ(server_->Stop(), 0) << Tail(log_path_);
    server_.reset();
    const std::string verify_log = logs_ + "/verify.log";
    ASSERT_EQ(
        RunToCompletion({IPLEDGER_CLI, "verify", "--data-dir", data_dir_, "--replay"}, verify_log),
        0)
        << Tail(verify_log);

    auto ledger = Ledger::OpenReadOnly(data_dir_ + "/db", {});
    ASSERT_OK(ledger);
    std::map<std::string, std::uint64_t> entry_of;
    for (std::uint64_t i = 1; i < (*ledger)->size(); ++i) {
      auto leaf = (*ledger)->GetLeaf(i);
      ASSERT_OK(leaf);
      auto e = DecodeLeaf(*leaf);
      ASSERT_OK(e);
      ASSERT_EQ(e->type, "participant.register") << "index " << i;
      for (const std::string& id : e->subjects) {
        auto [it, inserted] = entry_of.emplace(id, i);
        EXPECT_TRUE(inserted) << id << " is registered at " << it->second << " and at " << i;
      }
    }
    for (const auto& [id, receipt] : history_->acked()) {
      auto it = entry_of.find(id);
      ASSERT_NE(it, entry_of.end()) << id << " was acknowledged but is not in the log";
      EXPECT_EQ(it->second, receipt.index) << id;
    }
    entries_ = (*ledger)->size();
  }

  std::map<std::string, Receipt> acked() const { return history_->acked(); }
  std::uint64_t checked_receipts() const { return checked_receipts_; }
  std::uint64_t checked_checkpoints() const { return checked_checkpoints_; }
  int retried_landed() const { return retried_landed_; }
  int retried_not_landed() const { return retried_not_landed_; }
  int replayed() const { return replayed_; }
  std::uint64_t entries() const { return entries_; }
  const std::string& log_path() const { return log_path_; }

 private:
  // `items` when there are at most options_.check_budget of them (always, in the CTest
  // case). Beyond that (long soaks) the ones never checked plus a random sample of the
  // others, up to the budget: an item checked once stays covered by transitivity, since
  // its checkpoint was proved a prefix of that head, and each head is proved a prefix
  // of the next.
  template <typename T, typename Checked>
  std::vector<T> WithinBudget(std::vector<T> items, const Checked& checked) {
    if (items.size() <= options_.check_budget) return items;
    std::vector<T> chosen;
    std::vector<T> others;
    for (T& item : items) (checked(item) ? others : chosen).push_back(std::move(item));
    std::shuffle(others.begin(), others.end(), rng_);
    for (T& item : others) {
      if (chosen.size() >= options_.check_budget) break;
      chosen.push_back(std::move(item));
    }
    return chosen;
  }

  void Problem(std::string p) {
    if (p.empty()) return;
    std::lock_guard<std::mutex> l(problems_mu_);
    problems_.push_back(std::move(p));
  }
  std::vector<std::string> TakeProblems() {
    std::lock_guard<std::mutex> l(problems_mu_);
    return std::exchange(problems_, {});
  }

  const CrashRunOptions options_;
  std::mt19937 rng_;
  testing::TempDir tmp_;
  std::string data_dir_;
  std::string logs_;
  std::string log_path_;
  std::unique_ptr<Registrar> registrar_;
  std::unique_ptr<History> history_;
  std::unique_ptr<ServerProcess> server_;
  std::mutex problems_mu_;
  std::vector<std::string> problems_;      // guarded by problems_mu_; found by load threads
  std::set<std::string> checked_ids_;      // receipts checked at least once
  std::set<std::uint64_t> checked_sizes_;  // checkpoints checked at least once
  std::uint64_t last_head_size_ = 0;       // the head at the previous check
  std::uint64_t checked_receipts_ = 0;     // GET /v1/entries checks, all rounds
  std::uint64_t checked_checkpoints_ = 0;  // consistency checks, all rounds
  int retried_landed_ = 0;      // unanswered POSTs whose retry got 200: durable, unacknowledged
  int retried_not_landed_ = 0;  // ... got 201: the crash came before their batch was durable
  int replayed_ = 0;
  std::uint64_t entries_ = 0;
};

// --- Tests --------------------------------------------------------------------------------

TEST(LosingFileSystemTest, OnlySyncedBytesReachTheFileUntilClose) {
  testing::TempDir tmp;
  testing::LosingFileSystem fs;
  const std::string path = tmp.str() + "/f";
  std::unique_ptr<rocksdb::WritableFile> f;
  ASSERT_TRUE(fs.env()->NewWritableFile(path, &f, rocksdb::EnvOptions()).ok());
  ASSERT_TRUE(f->Append("synced|").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("lost").ok());
  ASSERT_TRUE(f->Flush().ok());
  EXPECT_EQ(f->GetFileSize(), 11u);
  // What a power cut now would leave on disk:
  EXPECT_EQ(testing::ReadFileOrDie(path), "synced|");
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(testing::ReadFileOrDie(path), "synced|lost");
}

TEST(HttpCrashTest, SigkillNeverLosesAcknowledgedEntries) {
  CrashRunOptions options;
  options.rounds = IntFromEnv("IPLEDGER_CRASH_ROUNDS", kDefaultRounds);
  options.seed = static_cast<unsigned>(IntFromEnv("IPLEDGER_CRASH_SEED", kDefaultSeed));
  if (options.rounds > kDefaultRounds) options.check_budget = kSoakCheckBudget;
  CrashRun run(options);
  const auto start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(run.Init());
  int total_acks = 0;
  for (int round = 0; round < options.rounds; ++round) {
    ASSERT_NO_FATAL_FAILURE(run.StartServer(round));
    if (round > 0) {
      CheckReport report = run.CheckAfterRestart();
      ASSERT_TRUE(report.clean()) << "after the SIGKILL of round " << round - 1 << ": "
                                  << report.Summary();
    }
    total_acks += run.LoadAndKill(round);
  }
  ASSERT_NO_FATAL_FAILURE(run.StartServer(options.rounds));
  CheckReport report = run.CheckAfterRestart(/*everything=*/true);
  ASSERT_TRUE(report.clean()) << "after the last SIGKILL: " << report.Summary();
  ASSERT_NO_FATAL_FAILURE(run.StopAndVerifyOffline());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "crash test: %d rounds of SIGKILL (seed %u), %d acknowledged during load, %llu entries "
      "in the log; unanswered POSTs retried: %d had landed (200), %d had not (201); %d "
      "acknowledged POSTs replayed (200); %llu receipt and %llu checkpoint checks; 0 lost; "
      "%.1f s\n",
      options.rounds, options.seed, total_acks, static_cast<unsigned long long>(run.entries()),
      run.retried_landed(), run.retried_not_landed(), run.replayed(),
      static_cast<unsigned long long>(run.checked_receipts()),
      static_cast<unsigned long long>(run.checked_checkpoints()), seconds);
  EXPECT_GE(options.rounds, 20);
  EXPECT_GT(total_acks, options.rounds);  // the kills did land among acknowledged writes
}

// The same loop without the fsync before acknowledging: the checks above must catch a
// lost acknowledged entry, or they prove nothing.
TEST(HttpCrashTest, FsyncRemovedLosesAcknowledgedEntries) {
  CrashRunOptions options;
  options.sync = false;
  options.seed = static_cast<unsigned>(IntFromEnv("IPLEDGER_CRASH_SEED", kDefaultSeed));
  CrashRun run(options);
  ASSERT_NO_FATAL_FAILURE(run.Init());
  int lost = 0;
  int round = 0;
  CheckReport report;
  for (; round < kNoSyncMaxRounds && lost == 0; ++round) {
    ASSERT_NO_FATAL_FAILURE(run.StartServer(round));
    if (round > 0) {
      report = run.CheckAfterRestart();
      lost = report.lost_receipts;
      if (lost > 0) break;
    }
    run.LoadAndKill(round);
  }
  ASSERT_GT(lost, 0) << "without the fsync, " << round
                     << " rounds of SIGKILL lost no acknowledged entry: the crash test "
                        "cannot tell a durable server from one that is not";
  std::printf(
      "no-sync control: the check caught %d lost acknowledged entries after %d round(s) "
      "(%zu acknowledged in all); %s\n",
      lost, round, run.acked().size(), report.problems.front().c_str());
}

}  // namespace
}  // namespace ipledger
