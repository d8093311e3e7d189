// Witness: the logic of a C2SP tlog-witness (v1.0.0) witness, without sockets.
//
// A witness knows some logs (origin and log verifier key), remembers for each origin the
// latest checkpoint it cosigned (size and root), and answers `POST /add-checkpoint`:
//
//   old <size the client believes the witness has>\n
//   <0..63 lines: base64 RFC 6962 consistency-proof hashes, old -> new>
//   \n
//   <the checkpoint, a signed note with at least one log signature>
//
// with, in this order of checks: 400 malformed; 404 unknown origin; 403 no valid log
// signature (or a failing one); 400 old > new size; 409 old differs from the witness's
// size (body "<size>\n", Content-Type text/x.tlog.size); 422 a size-0 checkpoint whose
// root is not SHA-256(""), a non-empty proof from old size 0, the same size with another
// root, or a proof that does not verify; 200 with one cosignature/v1 line (type 0x04,
// tlog-cosignature) for the witness's key, timestamp = the clock, never 0.
//
// State is one text file ("<origin> <size> <base64 root>" lines) replaced atomically:
// written to a temporary file, fsynced, renamed over the old one, and the directory
// fsynced, all while the check's lock is held and before the answer is made. So a
// witness never cosigns two inconsistent checkpoints of one origin, across crashes:
// either the new state is durable and the cosignature may be given, or the request
// fails (500) and, after an uncertain write, every later request fails (503) until a
// restart reads what is on disk.
//
// Thread-safety: AddCheckpoint may be called from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/mutex.h"
#include "ledger/base/status.h"

namespace ipledger {

// The content type of the 409 body.
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";

// The cosignature/v1 verifier (type 0x04) of a witness key named `name`.
NoteVerifier MakeCosignatureVerifier(std::string_view name, const PublicKey& key);

// The body of an add-checkpoint request (what a log or its client sends).
std::string FormatAddCheckpoint(std::uint64_t old_size, const std::vector<Digest>& proof,
                                std::string_view signed_checkpoint);

struct WitnessAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct WitnessLogState {
  std::uint64_t size = 0;
  Digest root{};
};

class Witness {
 public:
  // Opens the witness named `name` (its key name) with `key`, trusting `logs` (each a
  // type-0x01 verifier whose name is the log's origin), with its state at `state_path`
  // (created on the first cosignature). `clock` gives POSIX seconds (default: the
  // system clock). kInvalidArgument on a bad name or an unreadable state file.
  static StatusOr<std::unique_ptr<Witness>> Open(std::string name, SigningKey key,
                                                 std::vector<NoteVerifier> logs,
                                                 std::string state_path,
                                                 std::function<std::int64_t()> clock = {});

  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  // Handles one add-checkpoint request body.
  WitnessAnswer AddCheckpoint(std::string_view body) EXCLUDES(mu_);

  // The latest state of `origin`, or nullopt if never cosigned.
  std::optional<WitnessLogState> Latest(std::string_view origin) const EXCLUDES(mu_);

  // The witness's cosignature verifier (type 0x04), and its vkey.
  const NoteVerifier& verifier() const { return verifier_; }

 private:
  Witness(std::string name, SigningKey key, std::vector<NoteVerifier> logs, std::string state_path,
          std::function<std::int64_t()> clock);
  Status Persist(const std::map<std::string, WitnessLogState>& next) const;

  const std::string name_;
  const SigningKey key_;
  const NoteVerifier verifier_;
  const std::vector<NoteVerifier> logs_;
  const std::string state_path_;
  const std::function<std::int64_t()> clock_;

  mutable Mutex mu_;
  std::map<std::string, WitnessLogState> state_ GUARDED_BY(mu_);
  bool failed_ GUARDED_BY(mu_) = false;  // a state write failed; its outcome is unknown
};

}  // namespace ipledger
