// C2SP tlog-witness: request parsing, the checks in the spec's order, durable state.
#include "ledger/log/witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <utility>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/merkle.h"

namespace ipledger {
namespace {

constexpr std::size_t kMaxProofLines = 63;

WitnessAnswer Answer(int status, std::string body) {
  WitnessAnswer a;
  a.status = status;
  a.body = std::move(body);
  if (!a.body.empty() && a.body.back() != '\n') a.body += '\n';
  return a;
}

struct AddRequest {
  std::uint64_t old_size = 0;
  std::vector<Digest> proof;
  std::string checkpoint;
};

// Splits the body; nullopt (400) on any deviation from the grammar.
std::optional<AddRequest> ParseAddRequest(std::string_view body) {
  AddRequest r;
  std::size_t nl = body.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view first = body.substr(0, nl);
  if (!first.starts_with("old ")) return std::nullopt;
  auto old_size = ParseDecimalU64(first.substr(4));
  if (!old_size) return std::nullopt;
  r.old_size = *old_size;
  std::size_t pos = nl + 1;
  while (true) {
    nl = body.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    const std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (r.proof.size() == kMaxProofLines) return std::nullopt;
    auto bytes = Base64Decode(line);
    if (!bytes || bytes->size() != 32 || Base64Encode(*bytes) != line) return std::nullopt;
    Digest d;
    std::memcpy(d.data(), bytes->data(), d.size());
    r.proof.push_back(d);
  }
  r.checkpoint = std::string(body.substr(pos));
  return r;
}

std::string FormatState(const std::map<std::string, WitnessLogState>& state) {
  std::string out;
  for (const auto& [origin, s] : state) {
    out += origin + " " + std::to_string(s.size) + " " + Base64Encode(s.root) + "\n";
  }
  return out;
}

StatusOr<std::map<std::string, WitnessLogState>> ParseState(std::string_view text) {
  std::map<std::string, WitnessLogState> state;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return Status::Corruption("witness state: unterminated line");
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const std::size_t s1 = line.find(' ');
    const std::size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos) return Status::Corruption("witness state: bad line");
    auto size = ParseDecimalU64(line.substr(s1 + 1, s2 - s1 - 1));
    auto root = Base64Decode(line.substr(s2 + 1));
    if (!size || !root || root->size() != 32) {
      return Status::Corruption("witness state: bad line");
    }
    WitnessLogState s;
    s.size = *size;
    std::memcpy(s.root.data(), root->data(), s.root.size());
    state[std::string(line.substr(0, s1))] = s;
  }
  return state;
}

Status SyncDirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Unavailable("fsync " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

NoteVerifier MakeCosignatureVerifier(std::string_view name, const PublicKey& key) {
  NoteVerifier v;
  v.name = std::string(name);
  v.type = kNoteSigCosignatureV1;
  v.key = key;
  v.key_id = NoteKeyId(name, v.type, key);
  return v;
}

std::string FormatAddCheckpoint(std::uint64_t old_size, const std::vector<Digest>& proof,
                                std::string_view signed_checkpoint) {
  std::string out = "old " + std::to_string(old_size) + "\n";
  for (const Digest& d : proof) out += Base64Encode(d) + "\n";
  out += "\n";
  out.append(signed_checkpoint);
  return out;
}

Witness::Witness(std::string name, SigningKey key, std::vector<NoteVerifier> logs,
                 std::string state_path, std::function<std::int64_t()> clock)
    : name_(std::move(name)),
      key_(std::move(key)),
      verifier_(MakeCosignatureVerifier(name_, key_.public_key())),
      logs_(std::move(logs)),
      state_path_(std::move(state_path)),
      clock_(std::move(clock)) {}

StatusOr<std::unique_ptr<Witness>> Witness::Open(std::string name, SigningKey key,
                                                 std::vector<NoteVerifier> logs,
                                                 std::string state_path,
                                                 std::function<std::int64_t()> clock) {
  if (!IsValidNoteKeyName(name)) return Status::InvalidArgument("bad witness name '" + name + "'");
  for (const NoteVerifier& v : logs) {
    if (v.type != kNoteSigEd25519) {
      return Status::InvalidArgument("log key '" + v.name + "' is not an Ed25519 (0x01) vkey");
    }
  }
  if (!clock) {
    clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::map<std::string, WitnessLogState> state;
  std::ifstream in(state_path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = ParseState(ss.str());
    if (!parsed.ok()) return Status::InvalidArgument(state_path + ": " + parsed.status().message());
    state = std::move(*parsed);
  }
  std::unique_ptr<Witness> w(new Witness(std::move(name), std::move(key), std::move(logs),
                                         std::move(state_path), std::move(clock)));
  MutexLock lock(&w->mu_);
  w->state_ = std::move(state);
  return w;
}

std::optional<WitnessLogState> Witness::Latest(std::string_view origin) const {
  MutexLock lock(&mu_);
  auto it = state_.find(std::string(origin));
  if (it == state_.end()) return std::nullopt;
  return it->second;
}

Status Witness::Persist(const std::map<std::string, WitnessLogState>& next) const {
  const std::string tmp = state_path_ + ".tmp";
  const std::string text = FormatState(next);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable("open " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::Unavailable("write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Status::Unavailable("fsync " + tmp + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), state_path_.c_str()) != 0) {
    return Status::Unavailable("rename " + tmp + ": " + std::strerror(errno));
  }
  return SyncDirectoryOf(state_path_);
}

WitnessAnswer Witness::AddCheckpoint(std::string_view body) {
  auto req = ParseAddRequest(body);
  if (!req) return Answer(400, "malformed add-checkpoint request");
  auto note = ParseNote(req->checkpoint);
  if (!note) return Answer(400, "malformed checkpoint note");
  auto cp = ParseCheckpointText(note->text);
  if (!cp.ok()) return Answer(400, "malformed checkpoint: " + cp.status().message());
  std::vector<NoteVerifier> keys;
  for (const NoteVerifier& v : logs_) {
    if (v.name == cp->origin) keys.push_back(v);
  }
  if (keys.empty()) return Answer(404, "unknown log origin");
  if (!OpenNote(req->checkpoint, keys)) return Answer(403, "no valid signature by the log's key");
  if (req->old_size > cp->size) return Answer(400, "old size is larger than the checkpoint's");

  MutexLock lock(&mu_);
  if (failed_) return Answer(503, "witness state write failed; restart the witness");
  WitnessLogState current;
  if (auto it = state_.find(cp->origin); it != state_.end()) current = it->second;
  if (req->old_size != current.size) {
    WitnessAnswer a = Answer(409, std::to_string(current.size));
    a.content_type = std::string(kTlogSizeContentType);
    return a;
  }
  if (cp->size == 0 && cp->root != Sha256({})) {
    return Answer(422, "a size-0 checkpoint must have the empty tree's root");
  }
  if (req->old_size == 0) {
    if (!req->proof.empty()) return Answer(422, "a proof from size 0 must be empty");
  } else if (req->old_size == cp->size) {
    if (!req->proof.empty() || cp->root != current.root) {
      return Answer(422, "same size with another root (or a non-empty proof)");
    }
  } else if (!VerifyConsistency(req->old_size, cp->size, current.root, cp->root, req->proof).ok()) {
    return Answer(422, "consistency proof does not verify");
  }
  if (cp->size != current.size || !state_.contains(cp->origin)) {
    std::map<std::string, WitnessLogState> next = state_;
    next[cp->origin] = WitnessLogState{cp->size, cp->root};
    if (Status s = Persist(next); !s.ok()) {
      failed_ = true;
      return Answer(500, "cannot persist the witness state: " + s.message());
    }
    state_ = std::move(next);
  }
  std::int64_t now = clock_();
  if (now <= 0) now = 1;
  WitnessAnswer a;
  a.body = SignCosignatureLine(note->text, name_, static_cast<std::uint64_t>(now), key_);
  return a;
}

}  // namespace ipledger
