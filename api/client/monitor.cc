// The monitor engine (api/client/monitor.h): catch-up over the public tlog-tiles
// endpoints and the state directory.
#include "api/client/monitor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include "crypto/bytes.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "ledger/log/tile.h"

namespace ipledger::api {
namespace {

constexpr std::string_view kStateMagic = "ipledger monitor state 1";

std::string Errno() { return std::strerror(errno); }

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable("cannot write " + path + ": " + Errno());
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

void FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// `contents` to `path` through a temporary file fsync'd before the rename and the
// directory fsync'd after it: a crash leaves the old file or the new one.
Status ReplaceFileDurably(const std::string& dir, const std::string& path,
                          std::string_view contents) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot write " + tmp + ": " + Errno());
  Status s = WriteAll(fd, contents, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::Unavailable("cannot fsync " + tmp + ": " + Errno());
  if (::close(fd) != 0 && s.ok()) s = Status::Unavailable("cannot close " + tmp + ": " + Errno());
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::Unavailable("cannot rename " + tmp + ": " + Errno());
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  FsyncDir(dir);
  return Status::Ok();
}

StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot read " + path + ": " + Errno());
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Status::Unavailable("cannot read " + path + ": " + Errno());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string B64(const Digest& d) { return Base64Encode(d); }

std::optional<Digest> DigestFromB64(std::string_view s) {
  auto b = Base64Decode(s);
  if (!b || b->size() != 32) return std::nullopt;
  Digest d;
  std::memcpy(d.data(), b->data(), 32);
  return d;
}

// The words of `line` after `key ` (none if the line is exactly `key`).
std::optional<std::vector<std::string>> Field(std::string_view line, std::string_view key) {
  if (line == key) return std::vector<std::string>{};
  if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ' ') {
    return std::nullopt;
  }
  std::vector<std::string> words;
  std::istringstream in{std::string(line.substr(key.size() + 1))};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::optional<std::uint64_t> ParseU64(const std::string& s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// Splits an entry bundle into its leaves. kFailedPrecondition unless it holds exactly
// `width` well-formed entries.
StatusOr<std::vector<std::string_view>> SplitBundle(std::string_view body, std::uint32_t width) {
  std::vector<std::string_view> leaves;
  size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 2) return Status::FailedPrecondition("a truncated length prefix");
    const size_t len = (static_cast<size_t>(static_cast<std::uint8_t>(body[at])) << 8) |
                       static_cast<std::uint8_t>(body[at + 1]);
    at += 2;
    if (body.size() - at < len) return Status::FailedPrecondition("a truncated entry");
    leaves.push_back(body.substr(at, len));
    at += len;
  }
  if (leaves.size() != width) {
    return Status::FailedPrecondition(std::to_string(leaves.size()) + " entries instead of " +
                                      std::to_string(width));
  }
  return leaves;
}

}  // namespace

Digest CompactRangeRoot(const std::vector<Digest>& range) {
  if (range.empty()) return EmptyTreeRoot();
  Digest h = range.back();
  for (size_t i = range.size() - 1; i-- > 0;) h = NodeHash(range[i], h);
  return h;
}

void CompactRangeAppend(std::vector<Digest>* range, std::uint64_t size, const Digest& leaf_hash) {
  Digest h = leaf_hash;
  for (std::uint64_t n = size; (n & 1) != 0 && !range->empty(); n >>= 1) {
    h = NodeHash(range->back(), h);
    range->pop_back();
  }
  range->push_back(h);
}

struct Monitor::Rep {
  std::string dir;
  NoteVerifier log_key;
  int lock_fd = -1;
  Checkpoint cp;
  std::string note;
  std::uint64_t leaves_bytes = 0;
  std::vector<Digest> range;  // compact range of the verified tree
  std::vector<Digest> tail;   // leaf hashes of the partial last level-0 tile
  LeafObserver observer;

  std::string StatePath() const { return dir + "/state"; }
  std::string LeavesPath() const { return dir + "/leaves"; }

  std::string FormatState() const {
    std::string s(kStateMagic);
    s += "\nsize " + std::to_string(cp.size) + "\nroot " + B64(cp.root) + "\nleaves_bytes " +
         std::to_string(leaves_bytes) + "\nrange";
    for (const Digest& d : range) s += " " + B64(d);
    s += "\ntail";
    for (const Digest& d : tail) s += " " + B64(d);
    s += "\ncheckpoint\n" + note;
    return s;
  }

  Status LoadState(const std::string& text) {
    auto bad = [&](const std::string& why) {
      return Status::Corruption("monitor state " + StatePath() + ": " + why);
    };
    std::vector<std::string_view> lines;
    size_t at = 0;
    for (int i = 0; i < 7; ++i) {
      const size_t nl = text.find('\n', at);
      if (nl == std::string::npos) return bad("truncated");
      lines.push_back(std::string_view(text).substr(at, nl - at));
      at = nl + 1;
    }
    if (lines[0] != kStateMagic) return bad("not a monitor state file");
    auto size = Field(lines[1], "size");
    auto root = Field(lines[2], "root");
    auto bytes = Field(lines[3], "leaves_bytes");
    auto range_words = Field(lines[4], "range");
    auto tail_words = Field(lines[5], "tail");
    if (!size || size->size() != 1 || !root || root->size() != 1 || !bytes || bytes->size() != 1 ||
        !range_words || !tail_words || lines[6] != "checkpoint") {
      return bad("malformed");
    }
    auto n = ParseU64((*size)[0]);
    auto r = DigestFromB64((*root)[0]);
    auto lb = ParseU64((*bytes)[0]);
    if (!n || !r || !lb) return bad("malformed size, root or leaves_bytes");
    for (const auto& w : *range_words) {
      auto d = DigestFromB64(w);
      if (!d) return bad("malformed range");
      range.push_back(*d);
    }
    for (const auto& w : *tail_words) {
      auto d = DigestFromB64(w);
      if (!d) return bad("malformed tail");
      tail.push_back(*d);
    }
    note = text.substr(at);
    auto opened = OpenCheckpoint(note, log_key);
    if (!opened.ok()) {
      return Status::FailedPrecondition("monitor state " + StatePath() +
                                        ": its checkpoint is not signed by this log key (" +
                                        opened.status().message() + ")");
    }
    cp = *opened;
    if (cp.size != *n || cp.root != *r) return bad("size or root differ from its checkpoint");
    if (static_cast<std::uint64_t>(std::popcount(cp.size)) != range.size() ||
        CompactRangeRoot(range) != cp.root) {
      return bad("the compact range does not hash to the checkpoint's root");
    }
    if (tail.size() != cp.size % kTileWidth) return bad("wrong number of tail hashes");
    leaves_bytes = *lb;
    return Status::Ok();
  }

  // GET `target`: the body of a 200. kUnavailable on transport errors and 5xx,
  // kFailedPrecondition (naming `what`) on any other status.
  StatusOr<std::string> Get(Client& client, const std::string& target, const std::string& what,
                            CatchUpReport* report) {
    ++report->requests;
    auto r = client.Request("GET", target, {}, "");
    if (!r.ok()) return r.status();
    if (r->status >= 500) {
      return Status::Unavailable(target + " answered " + std::to_string(r->status));
    }
    if (r->status != 200) {
      return Status::FailedPrecondition(what + ": GET " + target + " answered " +
                                        std::to_string(r->status));
    }
    return std::move(r->body);
  }
};

Monitor::Monitor(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Monitor::~Monitor() {
  if (rep_ && rep_->lock_fd >= 0) ::close(rep_->lock_fd);
}

StatusOr<std::unique_ptr<Monitor>> Monitor::Open(const std::string& dir,
                                                 const NoteVerifier& log_key) {
  auto rep = std::make_unique<Rep>();
  rep->dir = dir;
  rep->log_key = log_key;
  rep->cp.origin = log_key.name;
  rep->cp.root = EmptyTreeRoot();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  const std::string lock = dir + "/lock";
  rep->lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (rep->lock_fd < 0) return Status::Unavailable("cannot open " + lock + ": " + Errno());
  if (::flock(rep->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(rep->lock_fd);
    return Status::FailedPrecondition("another monitor holds " + dir);
  }
  auto m = std::unique_ptr<Monitor>(new Monitor(std::move(rep)));
  Rep& r = *m->rep_;
  if (std::filesystem::exists(r.StatePath(), ec)) {
    auto text = ReadFile(r.StatePath());
    if (!text.ok()) return text.status();
    Status s = r.LoadState(*text);
    if (!s.ok()) return s;
  }
  // Cut off leaves a stopped run appended without recording them.
  const int fd = ::open(r.LeavesPath().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + r.LeavesPath() + ": " + Errno());
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  Status s = Status::Ok();
  if (!stat_ok) {
    s = Status::Unavailable("cannot stat " + r.LeavesPath() + ": " + Errno());
  } else if (static_cast<std::uint64_t>(st.st_size) < r.leaves_bytes) {
    s = Status::Corruption("monitor state: " + r.LeavesPath() + " is shorter than recorded");
  } else if (static_cast<std::uint64_t>(st.st_size) > r.leaves_bytes &&
             (::ftruncate(fd, static_cast<off_t>(r.leaves_bytes)) != 0 || ::fsync(fd) != 0)) {
    s = Status::Unavailable("cannot truncate " + r.LeavesPath() + ": " + Errno());
  }
  ::close(fd);
  if (!s.ok()) return s;
  return m;
}

void Monitor::SetLeafObserver(LeafObserver observer) { rep_->observer = std::move(observer); }

const Checkpoint& Monitor::checkpoint() const { return rep_->cp; }
const std::string& Monitor::checkpoint_note() const { return rep_->note; }

Status Monitor::ForEachPersistedLeaf(const LeafObserver& f) const {
  auto data = ReadFile(rep_->LeavesPath());
  if (!data.ok()) return data.status();
  std::string_view all = std::string_view(*data).substr(0, rep_->leaves_bytes);
  std::uint64_t index = 0;
  size_t at = 0;
  while (at < all.size()) {
    if (all.size() - at < 2) return Status::Corruption("monitor leaves: truncated");
    const size_t len = (static_cast<size_t>(static_cast<std::uint8_t>(all[at])) << 8) |
                       static_cast<std::uint8_t>(all[at + 1]);
    at += 2;
    if (all.size() - at < len) return Status::Corruption("monitor leaves: truncated");
    Status s = f(index++, all.substr(at, len));
    if (!s.ok()) return s;
    at += len;
  }
  if (index != rep_->cp.size) {
    return Status::Corruption("monitor leaves: " + std::to_string(index) + " leaves, state says " +
                              std::to_string(rep_->cp.size));
  }
  return Status::Ok();
}

StatusOr<CatchUpReport> Monitor::CatchUp(Client& client) {
  Rep& r = *rep_;
  const auto start = std::chrono::steady_clock::now();
  CatchUpReport report;
  report.old_size = r.cp.size;
  report.new_size = r.cp.size;
  auto note = r.Get(client, "/log/checkpoint", "the latest checkpoint", &report);
  if (!note.ok()) return note.status();
  auto opened = OpenCheckpoint(*note, r.log_key);
  if (!opened.ok()) {
    return Status::FailedPrecondition("the latest checkpoint does not verify with the log key: " +
                                      opened.status().message());
  }
  const Checkpoint cp = *opened;
  const std::uint64_t old_size = r.cp.size;
  const std::string sizes = "checkpoint of size " + std::to_string(cp.size);
  if (cp.size < old_size) {
    return Status::FailedPrecondition("the log shrank: " + sizes + " after size " +
                                      std::to_string(old_size) + " was verified");
  }
  if (cp.size == old_size) {
    if (cp.root != r.cp.root) {
      return Status::FailedPrecondition("fork at size " + std::to_string(cp.size) + ": " + sizes +
                                        " has root " + B64(cp.root) + ", verified root was " +
                                        B64(r.cp.root));
    }
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }
  if (cp.size > kMaxTreeSize) return Status::FailedPrecondition(sizes + " is too large");

  // Fetch the bundles from the one holding leaf old_size up to the new size, verifying
  // and appending as they come. The leaves file grows now; `state` names it at the end.
  std::vector<Digest> range = r.range;
  std::vector<Digest> tail = r.tail;
  const int fd = ::open(r.LeavesPath().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + r.LeavesPath() + ": " + Errno());
  std::uint64_t bytes = r.leaves_bytes;
  Status failed = Status::Ok();
  std::string buffer;
  for (std::uint64_t t = old_size / kTileWidth; failed.ok() && t <= (cp.size - 1) / kTileWidth;
       ++t) {
    TileRef ref;
    ref.entries = true;
    ref.index = t;
    ref.width = TileWidthAt(0, t, cp.size);
    const std::string target = "/log/" + TilePath(ref);
    auto body = r.Get(client, target, sizes, &report);
    if (!body.ok()) {
      failed = body.status();
      break;
    }
    auto leaves = SplitBundle(*body, ref.width);
    if (!leaves.ok()) {
      failed = Status::FailedPrecondition(sizes + ": entry bundle " + target + " holds " +
                                          leaves.status().message());
      break;
    }
    report.entries_fetched += leaves->size();
    const std::uint64_t first = t * kTileWidth;
    buffer.clear();
    for (std::uint32_t k = 0; k < ref.width; ++k) {
      const std::uint64_t index = first + k;
      const std::string_view leaf = (*leaves)[k];
      const Digest h = LeafHash(AsBytes(leaf));
      if (index < old_size) {
        if (h != tail[k]) {
          failed = Status::FailedPrecondition(
              "fork or altered entries: " + sizes + ": entry " + std::to_string(index) +
              " differs from the one verified at size " + std::to_string(old_size));
          break;
        }
        continue;
      }
      auto entry = DecodeLeaf(leaf);
      if (!entry.ok() || entry->index != index) {
        failed = Status::FailedPrecondition(
            sizes + ": entry " + std::to_string(index) + " of bundle " + target +
            (entry.ok() ? " carries index " + std::to_string(entry->index)
                        : " does not decode: " + entry.status().message()));
        break;
      }
      if (r.observer) {
        Status s = r.observer(index, leaf);
        if (!s.ok()) {
          failed = s;
          break;
        }
      }
      CompactRangeAppend(&range, index, h);
      if (index % kTileWidth == 0) tail.clear();
      tail.push_back(h);
      buffer.push_back(static_cast<char>(leaf.size() >> 8));
      buffer.push_back(static_cast<char>(leaf.size() & 0xff));
      buffer.append(leaf);
    }
    if (failed.ok()) {
      failed = WriteAll(fd, buffer, r.LeavesPath());
      bytes += buffer.size();
    }
  }
  if (tail.size() == kTileWidth) tail.clear();
  if (failed.ok() && ::fsync(fd) != 0) {
    failed = Status::Unavailable("cannot fsync " + r.LeavesPath() + ": " + Errno());
  }
  ::close(fd);
  if (failed.ok() && CompactRangeRoot(range) != cp.root) {
    failed = Status::FailedPrecondition(
        "fork or altered entries: the leaves of the " + sizes + " hash to " +
        B64(CompactRangeRoot(range)) + ", not to its root " + B64(cp.root) +
        " (the log is not the extension of size " + std::to_string(old_size) +
        " verified before, or its entry bundles differ from the log)");
  }
  if (!failed.ok()) {
    // Drop what this run appended; the state still names the old length.
    [[maybe_unused]] const int rc =
        ::truncate(r.LeavesPath().c_str(), static_cast<off_t>(r.leaves_bytes));
    return failed;
  }
  Rep next_state;
  next_state.cp = cp;
  next_state.note = *note;
  next_state.leaves_bytes = bytes;
  next_state.range = range;
  next_state.tail = tail;
  Status s = ReplaceFileDurably(r.dir, r.StatePath(), next_state.FormatState());
  if (!s.ok()) return s;
  r.cp = cp;
  r.note = std::move(*note);
  r.leaves_bytes = bytes;
  r.range = std::move(range);
  r.tail = std::move(tail);
  report.new_size = cp.size;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace ipledger::api
