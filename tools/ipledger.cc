// ipledger: the command-line tool (api.md §10).
//
//   ipledger keygen --out FILE
//   ipledger init --data-dir D --origin ORIGIN [--registry-id ID] [--clock-file FILE]
//                 [--recovery-publicity-days N]
//   ipledger verify --data-dir D [--replay]
//   ipledger checkpoint --data-dir D
//   ipledger backup --data-dir D --out B
//   ipledger --version
// and the client commands of tools/ipledger_client.h (sign, submit, get, verify-receipt,
// verify-certificate, status, coverage, and the regulators' stats and audit).
//
// Exit status: 0 success, 1 failure (verification failed, I/O error), 2 bad usage.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/codec/submission_codec.h"
#include "crypto/dsse.h"
#include "crypto/init.h"
#include "ledger/base/encoding.h"
#include "ledger/log/entry.h"
#include "ledger/log/ledger.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/replay.h"
#include "ledger/registry/status_map.h"
#include "tools/clock_file.h"
#include "tools/ipledger_client.h"
#include "tools/key_file.h"
#include "tools/options.h"

namespace ipledger {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  ipledger keygen --out FILE\n"
    "  ipledger init --data-dir D --origin ORIGIN [--registry-id ID] [--clock-file FILE]\n"
    "                [--recovery-publicity-days N]   (key recovery publicity, 1-365, default 7)\n"
    "  ipledger verify --data-dir D [--replay]\n"
    "  ipledger checkpoint --data-dir D\n"
    "  ipledger backup --data-dir D --out B\n"
    "  ipledger --version\n"
    "  (init --clock-file FILE, for demos and tests only: the genesis entry is stamped with\n"
    "  the time FILE holds, as ipledgerd --clock-file does; see docs/operations.md)\n";

void PrintUsage(FILE* out) { std::fprintf(out, "%s%s", kUsage, kClientUsage); }

// The options of one command, by name (a switch such as --replay holds "1").
struct Flags {
  std::map<std::string, std::string> values;
  std::string error;
};

// Parses argv[2..argc) against `spec` (tools/options.h); the last value of each wins.
Flags ParseFlags(int argc, char** argv, const OptionSpec& spec) {
  Flags f;
  auto args = ParseCommandLine(argc, argv, 2, spec);
  if (!args.ok()) {
    f.error = args.status().message();
    return f;
  }
  f.values = args->LastValues();
  for (const std::string& name : args->switches) f.values[name] = "1";
  return f;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "ipledger: %s\n", s.ToString().c_str());
  return 1;
}

int Usage(const std::string& why) {
  return UsageError("ipledger", why, std::string(kUsage) + kClientUsage);
}

std::string DbDir(const std::string& data_dir) { return data_dir + "/db"; }

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The envelope a client would send for `statement`, signed by each (key id, key), and
// decoded back as the server would.
StatusOr<Submission> MakeSubmission(
    const Statement& statement,
    const std::vector<std::pair<std::string, const SigningKey*>>& keys) {
  const std::string json = api::EncodeStatement(statement);
  DsseEnvelope env;
  env.payload_type = std::string(api::kStatementPayloadType);
  env.payload.assign(json.begin(), json.end());
  for (const auto& [keyid, key] : keys) AddDsseSignature(env, keyid, *key);
  Submission s;
  s.envelope_bytes = api::EncodeEnvelopeJson(env);
  auto decoded = api::DecodeStatement(json);
  if (!decoded.ok()) return decoded.status();
  s.statement = std::move(*decoded);
  s.envelope = std::move(env);
  return s;
}

int Keygen(const Flags& f) {
  auto out = f.values.find("out");
  if (out == f.values.end()) return Usage("keygen needs --out FILE");
  SigningKey key = SigningKey::Generate();
  if (Status s = WriteKeyFile(out->second, key); !s.ok()) return Fail(s);
  std::printf("%s\n", Base64Encode(key.public_key()).c_str());
  return 0;
}

int Init(const Flags& f) {
  auto dir_it = f.values.find("data-dir");
  auto origin_it = f.values.find("origin");
  if (dir_it == f.values.end() || origin_it == f.values.end()) {
    return Usage("init needs --data-dir D and --origin ORIGIN");
  }
  const std::string dir = dir_it->second;
  const std::string origin = origin_it->second;
  const std::string registry_id =
      f.values.contains("registry-id") ? f.values.at("registry-id") : "registry";
  std::optional<std::uint32_t> publicity_days;
  if (f.values.contains("recovery-publicity-days")) {
    auto days = ParseDecimalU64(f.values.at("recovery-publicity-days"));
    if (!days || *days < 1 || *days > 365) {
      return Usage("--recovery-publicity-days must be a number of days from 1 to 365");
    }
    publicity_days = static_cast<std::uint32_t>(*days);
  }
  if (!IsValidNoteKeyName(origin)) {
    return Fail(Status::InvalidArgument("origin '" + origin +
                                        "' must be non-empty with no spaces and no '+'"));
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return Fail(Status::AlreadyExists(dir + " is not empty; init refuses to touch it"));
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Status::Unavailable("cannot create " + dir + ": " + ec.message()));
  ::chmod(dir.c_str(), 0700);

  // Demos and tests only: the genesis entry at the time a clock file holds.
  std::optional<ClockFile> clock;
  RegistryOptions options;
  if (f.values.contains("clock-file")) {
    clock.emplace(f.values.at("clock-file"));
    options.ledger.clock = [&clock] { return clock->Now(); };
  }

  SigningKey log_key = SigningKey::Generate();
  SigningKey registry_key = SigningKey::Generate();
  const NoteVerifier verifier = MakeNoteVerifier(origin, log_key.public_key());
  if (Status s = WriteKeyFile(dir + "/log.key", log_key); !s.ok()) return Fail(s);
  if (Status s = WriteNewFile(dir + "/log.vkey", FormatVkey(verifier) + "\n"); !s.ok()) {
    return Fail(s);
  }
  if (Status s = WriteKeyFile(dir + "/registry.key", registry_key); !s.ok()) return Fail(s);
  // Genesis (api.md §10): index 0 registers the registry office with registry/k1,
  // signed by that key, through the same codec and rules as every later statement.
  ParticipantRegister body;
  body.id = registry_id;
  body.name = "Registry office";
  body.role = Role::kRegistry;
  body.keys = {{"k1", registry_key.public_key()}};
  body.recovery_publicity_days = publicity_days;  // recorded in the log, so replay derives it
  Statement statement;
  statement.type = "participant.register";
  statement.submitter = registry_id;
  statement.idempotency_key = "genesis";
  statement.created_ms = clock ? clock->Now() : NowMs();
  statement.body = body;
  auto genesis = MakeSubmission(statement, {{registry_id + "/k1", &registry_key}});
  if (!genesis.ok()) return Fail(genesis.status());
  if (Status s = Registry::Create(DbDir(dir), origin, log_key, *genesis, options); !s.ok()) {
    return Fail(s);
  }
  auto ledger = Ledger::OpenReadOnly(DbDir(dir), {});
  if (!ledger.ok()) return Fail(ledger.status());
  std::printf("initialized %s\n  origin: %s\n  vkey:   %s\n\n%s", dir.c_str(), origin.c_str(),
              FormatVkey(verifier).c_str(), (*ledger)->head().signed_checkpoint.c_str());
  return 0;
}

StatusOr<std::unique_ptr<Ledger>> OpenForReading(const Flags& f) {
  auto dir_it = f.values.find("data-dir");
  if (dir_it == f.values.end()) return Status::InvalidArgument("--data-dir D is required");
  auto ledger = Ledger::OpenReadOnly(DbDir(dir_it->second), {});
  if (!ledger.ok()) return ledger.status();
  // The published vkey file must name the key the ledger itself was created with.
  auto vkey_file = ReadWholeFile(dir_it->second + "/log.vkey");
  if (vkey_file.ok()) {
    std::string line = *vkey_file;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line != FormatVkey((*ledger)->verifier())) {
      return Status::Corruption(dir_it->second + "/log.vkey (" + line +
                                ") is not the ledger's verifier key " +
                                FormatVkey((*ledger)->verifier()));
    }
  }
  return ledger;
}

int Verify(const Flags& f) {
  if (!f.values.contains("data-dir")) return Usage("verify needs --data-dir D");
  // Each attempt opens D as a RocksDB secondary instance (Ledger::OpenReadOnly), which
  // is supported while ipledgerd appends, and checks the one state it sees: the head
  // and every leaf, envelope and tree hash as of its opening. A view that raced the
  // server's deletion of a write-ahead log can miss batches (RocksDB skips a log
  // deleted under it) and so fails the checks with kCorruption; a fresh view does not,
  // while damage on disk fails every attempt. Hence kAttempts before reporting it.
  constexpr int kAttempts = 3;
  Status opened;
  Status checked;
  Head h;
  StatusMapReport map_report;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto ledger = OpenForReading(f);
    opened = ledger.status();
    checked = ledger.ok() ? (*ledger)->Verify() : Status::Ok();
    if (ledger.ok()) h = (*ledger)->head();
    // The status map: recomputed from the public leaves and compared with every logged
    // root; then the stored map and the status records against the latest root.
    if (ledger.ok() && checked.ok()) {
      auto recomputed = VerifyStatusMapFromLeaves(**ledger);
      checked = recomputed.status();
      if (recomputed.ok()) map_report = *recomputed;
    }
    if (ledger.ok() && checked.ok()) {
      auto registry = Registry::OpenReadOnly(DbDir(f.values.at("data-dir")), {});
      checked = registry.ok() ? (*registry)->CheckStatusMap() : registry.status();
    }
    const Status& s = opened.ok() ? checked : opened;
    if (s.ok() || s.code() != ErrorCode::kCorruption) break;
  }
  if (!opened.ok()) return Fail(opened);
  if (!checked.ok()) {
    std::fprintf(stderr, "ipledger verify: FAILED: %s\n", checked.message().c_str());
    return 1;
  }
  std::printf("ipledger verify: OK: %llu entries, root %s, checkpoint signature verified\n",
              static_cast<unsigned long long>(h.checkpoint.size),
              Base64Encode(h.checkpoint.root).c_str());
  std::printf(
      "ipledger verify: OK: status map recomputed from the leaves: %llu roots logged, all equal; "
      "%llu assets; the stored map and status records match the latest root\n",
      static_cast<unsigned long long>(map_report.roots),
      static_cast<unsigned long long>(map_report.assets));
  if (!f.values.contains("replay")) return 0;
  // The replay reads a state of its own (a second secondary instance, as recent as or
  // later than the one just verified), consistent in itself.
  StatusOr<ReplayReport> report = Status::Internal("no replay attempted");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto registry = Registry::OpenReadOnly(DbDir(f.values.at("data-dir")), {});
    if (!registry.ok()) {
      if (registry.status().code() == ErrorCode::kCorruption) continue;
      return Fail(registry.status());
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string scratch =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipledger-replay-XXXXXX";
    if (mkdtemp(scratch.data()) == nullptr) {
      return Fail(Status::Unavailable("cannot create a scratch directory under $TMPDIR"));
    }
    report = ReplayAndCompare(**registry, scratch + "/db", api::DecodeSubmission);
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    if (report.ok() || report.status().code() != ErrorCode::kCorruption) break;
  }
  if (!report.ok()) {
    std::fprintf(stderr, "ipledger verify --replay: FAILED: %s\n",
                 report.status().message().c_str());
    return 1;
  }
  std::printf(
      "ipledger verify --replay: OK: %llu entries re-verified and re-sequenced in %llu "
      "batches; derived state matches key by key\n",
      static_cast<unsigned long long>(report->entries),
      static_cast<unsigned long long>(report->batches));
  return 0;
}

int PrintCheckpoint(const Flags& f) {
  if (!f.values.contains("data-dir")) return Usage("checkpoint needs --data-dir D");
  auto ledger = OpenForReading(f);
  if (!ledger.ok()) return Fail(ledger.status());
  std::printf("%s", (*ledger)->head().signed_checkpoint.c_str());
  return 0;
}

// A consistent online copy of D in B, with the key files, verified before it is
// declared good. B must not exist or be empty. The source is read through a RocksDB
// secondary instance (supported while ipledgerd appends; a running server is not
// disturbed), which sees one fixed state, and that state is copied key by key into a
// fresh database in B/db (Ledger::Backup). RocksDB's Checkpoint and BackupEngine are
// not used: they link or copy the live files by name, which a secondary cannot keep
// the server from deleting. The copy must then open, pass the full check and carry the
// very checkpoint the source showed; a copy of a view that raced the server (see
// Verify) fails that and is taken again, up to kAttempts times.
int Backup(const Flags& f) {
  auto dir_it = f.values.find("data-dir");
  auto out_it = f.values.find("out");
  if (dir_it == f.values.end() || out_it == f.values.end()) {
    return Usage("backup needs --data-dir D and --out B");
  }
  const std::string& out = out_it->second;
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_empty(out, ec)) {
    return Fail(
        Status::AlreadyExists(out + " is not empty; backup writes only to a new directory"));
  }
  std::filesystem::create_directories(out, ec);
  if (ec) return Fail(Status::Unavailable("cannot create " + out + ": " + ec.message()));
  ::chmod(out.c_str(), 0700);
  constexpr int kAttempts = 3;
  Head head;
  Status copied;
  Status checked;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::filesystem::remove_all(DbDir(out), ec);
    if (ec) return Fail(Status::Unavailable("cannot clear " + DbDir(out) + ": " + ec.message()));
    {
      auto ledger = OpenForReading(f);
      copied = ledger.ok() ? (*ledger)->Backup(DbDir(out)) : ledger.status();
      if (copied.ok()) head = (*ledger)->head();
    }  // the source's secondary instance closes here
    checked = Status::Ok();
    if (copied.ok()) {
      auto copy = Ledger::OpenReadOnly(DbDir(out), {});
      checked = copy.ok() ? (*copy)->Verify() : copy.status();
      if (checked.ok() && (*copy)->head().signed_checkpoint != head.signed_checkpoint) {
        checked = Status::Corruption("the copy's checkpoint differs from the source's");
      }
    }
    const Status& s = copied.ok() ? checked : copied;
    if (s.ok() || s.code() != ErrorCode::kCorruption) break;
  }
  if (!copied.ok()) return Fail(copied);
  if (!checked.ok()) {
    std::fprintf(stderr, "ipledger backup: the copy does not verify: %s\n",
                 checked.message().c_str());
    return 1;
  }
  // The keys travel with the copy (a restore must be able to serve); modes are kept.
  for (const char* name : {"log.key", "registry.key", "log.vkey"}) {
    const std::string from = dir_it->second + "/" + name;
    const std::string to = out + "/" + name;
    if (!std::filesystem::exists(from, ec)) continue;
    std::filesystem::copy_file(from, to, ec);
    if (ec) return Fail(Status::Unavailable("cannot copy " + from + ": " + ec.message()));
    std::filesystem::permissions(to, std::filesystem::status(from, ec).permissions(),
                                 std::filesystem::perm_options::replace, ec);
  }
  std::printf("ipledger backup: %s holds %llu entries (root %s), verified\n", out.c_str(),
              static_cast<unsigned long long>(head.checkpoint.size),
              Base64Encode(head.checkpoint.root).c_str());
  return 0;
}

int Main(int argc, char** argv) {
  if (!InitCrypto()) {
    std::fprintf(stderr, "ipledger: libsodium initialization failed\n");
    return 1;
  }
  if (argc < 2) return Usage("no command given");
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (cmd == "--version") return PrintVersion("ipledger");
  if (IsClientCommand(cmd)) return RunClientCommand(argc, argv);
  if (cmd == "keygen") {
    Flags f = ParseFlags(argc, argv, {{"out"}, {}});
    return f.error.empty() ? Keygen(f) : Usage(f.error);
  }
  if (cmd == "init") {
    Flags f = ParseFlags(
        argc, argv,
        {{"data-dir", "origin", "registry-id", "clock-file", "recovery-publicity-days"}, {}});
    return f.error.empty() ? Init(f) : Usage(f.error);
  }
  if (cmd == "verify") {
    Flags f = ParseFlags(argc, argv, {{"data-dir"}, {"replay"}});
    return f.error.empty() ? Verify(f) : Usage(f.error);
  }
  if (cmd == "checkpoint") {
    Flags f = ParseFlags(argc, argv, {{"data-dir"}, {}});
    return f.error.empty() ? PrintCheckpoint(f) : Usage(f.error);
  }
  if (cmd == "backup") {
    Flags f = ParseFlags(argc, argv, {{"data-dir", "out"}, {}});
    return f.error.empty() ? Backup(f) : Usage(f.error);
  }
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace
}  // namespace ipledger

int main(int argc, char** argv) {
  try {
    return ipledger::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipledger: internal error: %s\n", e.what());
    return 1;
  }
}
