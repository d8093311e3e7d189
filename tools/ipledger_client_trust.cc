// Which log keys and checkpoints the client commands trust (tools/client_common.h,
// issue #12 item 8): the known_logs file of pinned log keys per origin (trust on first
// use, as ssh's known_hosts) and, beside it, the latest checkpoint verified per origin,
// so that a server answering for another log, with another key, or with an older or
// forked log is refused. Single-threaded, like the CLI; two CLI processes writing at the
// same moment may lose one's record (each write is atomic, the last one wins).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/client/cli_support.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "ledger/log/merkle.h"
#include "tools/client_common.h"
#include "tools/key_file.h"

namespace ipledger::cli {
namespace {

// `contents` to `path` through a temporary file that is fsync'd before the rename, and
// the directory fsync'd after it, so a crash leaves the old file or the new one. The
// parent directory is made (mode 0700) if missing.
Status WriteFileDurably(const std::string& path, const std::string& contents) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !std::filesystem::exists(p.parent_path(), ec)) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::Unavailable("cannot create " + p.parent_path().string());
    std::filesystem::permissions(p.parent_path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::Unavailable("cannot write " + path + ": " + why);
  }
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

// The file's lines, none if it does not exist.
StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<std::string>{};
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    lines.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool Ignorable(const std::string& line) { return TrimRight(line).empty() || line.starts_with("#"); }

// The pinned keys, by origin (the first line of an origin wins).
StatusOr<std::map<std::string, NoteVerifier>> PinnedKeys(const TrustStore& store) {
  auto lines = ReadLines(store.known_logs);
  if (!lines.ok()) return lines.status();
  std::map<std::string, NoteVerifier> keys;
  for (size_t i = 0; i < lines->size(); ++i) {
    if (Ignorable((*lines)[i])) continue;
    auto v = ParseVkey(TrimRight((*lines)[i]));
    if (!v) {
      return Status::InvalidArgument(store.known_logs + " line " + std::to_string(i + 1) +
                                     " is not a vkey (NAME+KEYID+BASE64)");
    }
    keys.emplace(v->name, *v);
  }
  return keys;
}

Status Pin(const TrustStore& store, const NoteVerifier& key) {
  auto lines = ReadLines(store.known_logs);
  if (!lines.ok()) return lines.status();
  std::string text;
  if (lines->empty()) {
    text =
        "# Log keys pinned by `ipledger` at first use, one vkey per line (the origin is the\n"
        "# part before the first '+'). A different key for an origin here is refused.\n";
  }
  for (const std::string& line : *lines) text += line + "\n";
  text += FormatVkey(key) + "\n";
  return WriteFileDurably(store.known_logs, text);
}

struct Seen {
  std::uint64_t size = 0;
  Digest root{};
};

StatusOr<std::map<std::string, Seen>> SeenCheckpoints(const TrustStore& store) {
  auto lines = ReadLines(store.checkpoints);
  if (!lines.ok()) return lines.status();
  std::map<std::string, Seen> seen;
  for (size_t i = 0; i < lines->size(); ++i) {
    const std::string& line = (*lines)[i];
    if (Ignorable(line)) continue;
    const size_t a = line.find(' ');
    const size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    std::optional<Digest> root;
    std::uint64_t size = 0;
    bool ok = b != std::string::npos;
    if (ok) {
      const std::string size_text = line.substr(a + 1, b - a - 1);
      ok = !size_text.empty() && size_text.size() <= 19 &&
           size_text.find_first_not_of("0123456789") == std::string::npos;
      if (ok) size = std::stoull(size_text);
      auto bytes = Base64Decode(line.substr(b + 1));
      if (bytes) root = DigestFromBytes(*bytes);
      ok = ok && root.has_value();
    }
    if (!ok) {
      return Status::InvalidArgument(store.checkpoints + " line " + std::to_string(i + 1) +
                                     " is not '<origin> <tree size> <base64 root>'");
    }
    seen[line.substr(0, a)] = Seen{size, *root};
  }
  return seen;
}

Status Record(const TrustStore& store, std::map<std::string, Seen> seen, const Checkpoint& cp) {
  seen[cp.origin] = Seen{cp.size, cp.root};
  std::string text = "# The latest checkpoint `ipledger` verified per origin.\n";
  for (const auto& [origin, s] : seen) {
    text += origin + " " + std::to_string(s.size) + " " + Base64Encode(s.root) + "\n";
  }
  return WriteFileDurably(store.checkpoints, text);
}

std::string Describe(std::uint64_t size, const Digest& root) {
  return "tree size " + std::to_string(size) + ", root " + Base64Encode(root);
}

}  // namespace

StatusOr<TrustStore> OpenTrustStore(const Args& a) {
  std::string path;
  if (a.Has("known-logs")) {
    path = a.Get("known-logs");
  } else if (const char* env = std::getenv("IPLEDGER_KNOWN_LOGS"); env != nullptr && *env) {
    path = env;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home) {
    path = std::string(home) + "/.config/ipledger/known_logs";
  } else {
    return Status::InvalidArgument(
        "no known_logs file: give --known-logs FILE or set IPLEDGER_KNOWN_LOGS or HOME");
  }
  return TrustStore{path, path + ".checkpoints"};
}

std::string Fingerprint(const NoteVerifier& key) {
  return "SHA256:" + HexEncode(Sha256(AsBytes(FormatVkey(key))));
}

StatusOr<LogKey> ServerLogKey(const std::string& command, const Args& a, const TrustStore& store,
                              api::Client& client) {
  auto pinned = PinnedKeys(store);
  if (!pinned.ok()) return pinned.status();
  if (a.Has("vkey")) {
    auto given = LoadVkey(a.Get("vkey"));
    if (!given.ok()) return given.status();
    auto it = pinned->find(given->name);
    if (it != pinned->end() && FormatVkey(it->second) != FormatVkey(*given)) {
      std::fprintf(stderr,
                   "ipledger %s: WARNING: --vkey (%s) is not the key pinned for %s in %s (%s); "
                   "using --vkey as asked, the pin is unchanged\n",
                   command.c_str(), Fingerprint(*given).c_str(), given->name.c_str(),
                   store.known_logs.c_str(), Fingerprint(it->second).c_str());
    }
    return LogKey{*given, it == pinned->end(), true};
  }
  auto served = api::FetchVkey(client);
  if (!served.ok()) return served.status();
  auto it = pinned->find(served->name);
  if (it == pinned->end()) return LogKey{*served, true, false};
  if (FormatVkey(it->second) != FormatVkey(*served)) {
    return Status::FailedPrecondition(
        "@@@ LOG KEY CHANGED @@@ the server's key for " + served->name + " (" +
        Fingerprint(*served) + ") is not the one pinned in " + store.known_logs + " (" +
        Fingerprint(it->second) +
        "); refused. If the registry office really changed its key, check the new one out of "
        "band and give it with --vkey");
  }
  return LogKey{it->second, false, false};
}

Status PinLogKey(const std::string& command, const TrustStore& store, const LogKey& k) {
  if (!k.pin) return Status::Ok();
  if (Status s = Pin(store, k.key); !s.ok()) return s;
  if (k.given) {
    std::fprintf(stderr, "ipledger %s: pinned the log key of %s given with --vkey (%s) in %s\n",
                 command.c_str(), k.key.name.c_str(), Fingerprint(k.key).c_str(),
                 store.known_logs.c_str());
    return Status::Ok();
  }
  std::fprintf(stderr,
               "ipledger %s: @@@ FIRST USE OF LOG %s @@@\n"
               "  The server's log key, now pinned in %s:\n"
               "    %s\n"
               "    fingerprint %s\n"
               "  Compare this fingerprint with the one the registry office publishes. From\n"
               "  now on, answers for %s must be signed by this key.\n",
               command.c_str(), k.key.name.c_str(), store.known_logs.c_str(),
               FormatVkey(k.key).c_str(), Fingerprint(k.key).c_str(), k.key.name.c_str());
  return Status::Ok();
}

StatusOr<NoteVerifier> OfflineLogKey(const Args& a, const TrustStore& store,
                                     const std::string& origin) {
  if (a.Has("vkey")) return LoadVkey(a.Get("vkey"));
  auto pinned = PinnedKeys(store);
  if (!pinned.ok()) return pinned.status();
  auto it = pinned->find(origin);
  if (it == pinned->end()) {
    return Status::FailedPrecondition("no log key pinned for " + origin + " in " +
                                      store.known_logs + ": give --vkey VKEY_OR_FILE");
  }
  return it->second;
}

Status CheckAndRecordCheckpoint(const TrustStore& store, const Checkpoint& cp,
                                api::Client& client) {
  auto seen = SeenCheckpoints(store);
  if (!seen.ok()) return seen.status();
  auto it = seen->find(cp.origin);
  if (it == seen->end()) return Record(store, std::move(*seen), cp);
  const Seen old = it->second;
  const std::string before =
      "the one already seen (" + Describe(old.size, old.root) + ", in " + store.checkpoints + ")";
  if (cp.size < old.size) {
    return Status::FailedPrecondition(
        "the server shows an older log than one already seen: " + cp.origin + " at " +
        Describe(cp.size, cp.root) + ", older than " + before + "; refused (a rollback)");
  }
  if (cp.size == old.size) {
    if (cp.root == old.root) return Status::Ok();
    return Status::FailedPrecondition(
        "the server shows another log of the same size: " + cp.origin + " at " +
        Describe(cp.size, cp.root) + ", not " + before + "; refused (a fork)");
  }
  if (old.size > 0) {
    auto proof = api::FetchConsistencyProof(client, old.size, cp.size);
    if (!proof.ok()) {
      return Status::FailedPrecondition("no consistency proof from " + before + " to " +
                                        Describe(cp.size, cp.root) + ": " +
                                        proof.status().message());
    }
    if (Status s = VerifyConsistency(old.size, cp.size, old.root, cp.root, *proof); !s.ok()) {
      return Status::FailedPrecondition(
          "the server's log " + cp.origin + " at " + Describe(cp.size, cp.root) +
          " is not consistent with " + before + ": " + s.message() + "; refused (a rewritten log)");
    }
  }
  return Record(store, std::move(*seen), cp);
}

}  // namespace ipledger::cli
