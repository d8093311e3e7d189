// What the client commands of the `ipledger` CLI share (tools/ipledger_client.cc for the
// entry and certificate commands, tools/ipledger_client_regulator.cc for stats and
// audit): their arguments, usage errors, files, printing and the connection to
// --server. Single-threaded, like the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/client/http_client.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"
#include "tools/options.h"

namespace ipledger::cli {

// --- Arguments ---------------------------------------------------------------------------

// A client command's arguments (tools/options.h), or the usage problem in `error`.
struct Args : ipledger::Args {
  std::string error;
};

// Parses argv[first..argc) with `valued` options, `switch_names` and up to
// `max_positional` plain arguments.
Args ParseArgs(int argc, char** argv, int first, const std::set<std::string>& valued,
               const std::set<std::string>& switch_names, std::size_t max_positional);

// Prints "ipledger `command`: `why`" and the client usage to stderr; returns 2.
int Usage(const std::string& command, const std::string& why);

// Prints "ipledger `command`: `what`" to stderr; returns 1.
int Fail(const std::string& command, const std::string& what);

// --- Files, keys, time --------------------------------------------------------------------

std::int64_t NowMs();

// 128 random bits as 32 hex digits: an idempotency key nobody else will pick.
std::string RandomIdempotencyKey();

// `s` without trailing newlines, carriage returns, spaces and tabs.
std::string TrimRight(std::string s);

// Writes `contents` to `path`, replacing it if present (through a temporary file and a
// rename, so a reader never sees half a file). kUnavailable on an I/O error.
Status WriteFileReplacing(const std::string& path, const std::string& contents);

// A vkey given inline or as a file holding one line. kInvalidArgument if it is neither;
// the file's read error otherwise.
StatusOr<NoteVerifier> LoadVkey(const std::string& arg);

// --- Printing ------------------------------------------------------------------------------

// "1 evidence entry", "3 evidence entries".
std::string Entries(std::size_t n);

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ");

// Prints rows as left-aligned columns, indented by two spaces.
void PrintTable(const std::vector<std::vector<std::string>>& rows);

// One line for a problem answer (or the raw body if it is not one).
std::string DescribeProblem(const api::HttpResponse& r);

// --- The server ----------------------------------------------------------------------------

// A client for --server, signing with --key when given.
struct Connection {
  std::unique_ptr<api::Client> client;
  std::unique_ptr<SigningKey> key;  // heap-held: the client keeps a pointer to it
  std::string keyid;
};

// The connection `a` asks for (--server, --ca-file, --key). On a usage problem prints it
// and sets *exit_code to 2; on another failure (an unreadable key) to 1; nullopt then.
std::optional<Connection> Connect(const std::string& command, const Args& a, bool key_required,
                                  int* exit_code);

// --- Trusted log keys and checkpoints seen (tools/ipledger_client_trust.cc) ---------------

// Trust on first use, as ssh's known_hosts. `known_logs` holds one vkey per line (the
// pinned log key of each origin; '#' comments and blank lines allowed) and
// `checkpoints` (beside it, the same path plus ".checkpoints") the latest checkpoint
// verified per origin as "<origin> <tree size> <base64 root>" lines. Both are rewritten
// atomically (temporary file, fsync, rename). The origin of a log is its vkey's key name,
// which is also the first line of every checkpoint it signs.
struct TrustStore {
  std::string known_logs;
  std::string checkpoints;
};

// --known-logs FILE, else $IPLEDGER_KNOWN_LOGS, else $HOME/.config/ipledger/known_logs.
// kInvalidArgument if none of them is set.
StatusOr<TrustStore> OpenTrustStore(const Args& a);

// "SHA256:" and the lowercase hex SHA-256 of the vkey line (FormatVkey, no newline).
std::string Fingerprint(const NoteVerifier& key);

// The log key of the server behind `client` to verify its answers with: --vkey if given
// (a warning on stderr if it differs from the pinned one), else the key the server
// serves at /log/vkey, which must be the one pinned for its origin. A different key for
// a pinned origin is kFailedPrecondition. `pin` is set when the origin has no pinned key
// yet: PinLogKey pins it once the answer passed every check.
struct LogKey {
  NoteVerifier key;
  bool pin = false;
  bool given = false;  // by --vkey
};
StatusOr<LogKey> ServerLogKey(const std::string& command, const Args& a, const TrustStore& store,
                              api::Client& client);

// Pins `k.key` for its origin if `k.pin`, saying so on stderr: loudly, with the key's
// fingerprint, when the key came from the server (first use). kUnavailable if the file
// cannot be written.
Status PinLogKey(const std::string& command, const TrustStore& store, const LogKey& k);

// The log key to verify a saved receipt or certificate of `origin` with offline: --vkey
// if given, else the key pinned for `origin`. kFailedPrecondition if neither.
StatusOr<NoteVerifier> OfflineLogKey(const Args& a, const TrustStore& store,
                                     const std::string& origin);

// Checks the verified checkpoint `cp` against the latest one seen for its origin, and
// records it when it is newer: a larger tree must be proved consistent with the one seen
// (GET /v1/log/consistency through `client`, checked with ledger/log/merkle.h); the same
// size must have the same root; a smaller tree is a rollback. kFailedPrecondition naming
// both checkpoints otherwise; kUnavailable if the state file cannot be written.
Status CheckAndRecordCheckpoint(const TrustStore& store, const Checkpoint& cp, api::Client& client);

// --- Witness policies (tools/client_witness.cc) ---------------------------------------------

// With --policy FILE (a witness policy, ledger/log/witness_policy.h): checks that the
// verified checkpoint `cp` lies on the branch the witnesses cosigned. Fetches the
// server's cosigned checkpoint (with `index`, the entry's tlog-proof against it, whose
// inclusion of `leaf_hash` is verified), verifies its log signature with `log_key` and
// the policy's quorum over its cosignatures, and proves consistency between `cp` and it.
// Returns one line saying what held; kFailedPrecondition ("QUORUM NOT MET: ..." or what
// does not verify), kInvalidArgument for a bad policy file, kUnavailable if unreachable.
StatusOr<std::string> CheckWitnessPolicy(const Args& a, api::Client& client,
                                         const NoteVerifier& log_key, const Checkpoint& cp,
                                         std::optional<std::uint64_t> index = std::nullopt,
                                         std::optional<Digest> leaf_hash = std::nullopt);

// --- Commands of tools/ipledger_client_regulator.cc ----------------------------------------

// `ipledger stats` and `ipledger audit`; the exit status, as RunClientCommand.
int StatsCommand(int argc, char** argv);
int AuditCommand(int argc, char** argv);

// `ipledger monitor` (tools/ipledger_client_monitor.cc); the exit status, as RunClientCommand.
int MonitorCommand(int argc, char** argv);

// `ipledger witness-policy` (tools/client_witness.cc): prints (or --out FILE writes) the
// witness policy derived from the witness keys registered in the log.
int WitnessPolicyCommand(int argc, char** argv);

}  // namespace ipledger::cli
