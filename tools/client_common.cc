// The helpers the client commands share (tools/client_common.h).
#include "tools/client_common.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "api/client/cli_support.h"
#include "crypto/bytes.h"
#include "tools/ipledger_client.h"
#include "tools/key_file.h"

namespace ipledger::cli {

// --- Arguments ---------------------------------------------------------------------------

Args ParseArgs(int argc, char** argv, int first, const std::set<std::string>& valued,
               const std::set<std::string>& switch_names, std::size_t max_positional) {
  OptionSpec spec{
      {valued.begin(), valued.end()}, {switch_names.begin(), switch_names.end()}, max_positional};
  Args a;
  auto parsed = ParseCommandLine(argc, argv, first, spec);
  if (!parsed.ok()) {
    a.error = parsed.status().message();
    return a;
  }
  static_cast<ipledger::Args&>(a) = std::move(*parsed);
  return a;
}

int Usage(const std::string& command, const std::string& why) {
  return UsageError("ipledger " + command, why, std::string("usage:\n") + kClientUsage);
}

int Fail(const std::string& command, const std::string& what) {
  std::fprintf(stderr, "ipledger %s: %s\n", command.c_str(), what.c_str());
  return 1;
}

// --- Files, keys, time --------------------------------------------------------------------

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 128 random bits as 32 hex digits: an idempotency key nobody else will pick.
std::string RandomIdempotencyKey() {
  std::random_device rd;
  Bytes b;
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t w = rd();
    for (int s = 0; s < 32; s += 8) b.push_back(static_cast<std::uint8_t>(w >> s));
  }
  return HexEncode(b);
}

std::string TrimRight(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

// Writes `contents` to `path`, replacing it if present (through a temporary file and a
// rename, so a reader never sees half a file).
Status WriteFileReplacing(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) return Status::Unavailable("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

// A vkey given inline or as a file holding one line.
StatusOr<NoteVerifier> LoadVkey(const std::string& arg) {
  std::string text = arg;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    auto file = ReadWholeFile(arg);
    if (!file.ok()) return file.status();
    text = TrimRight(*file);
  }
  auto v = ParseVkey(text);
  if (!v) {
    return Status::InvalidArgument(
        "'" + arg + "' is neither a vkey (NAME+KEYID+BASE64) nor a file holding one");
  }
  return *v;
}

// "1 evidence entry", "3 evidence entries".
std::string Entries(size_t n) {
  return std::to_string(n) + (n == 1 ? " evidence entry" : " evidence entries");
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out.empty() ? "-" : out;
}

namespace {

// Display width of UTF-8 text (one column per code point: enough for "¥" and ids).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

// Prints rows as left-aligned columns, indented by two spaces.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 1, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

// Usage problems return 2 through *exit_code; other failures 1.
std::optional<Connection> Connect(const std::string& command, const Args& a, bool key_required,
                                  int* exit_code) {
  if (!a.Has("server")) {
    *exit_code = Usage(command, "--server http(s)://HOST:PORT is required");
    return std::nullopt;
  }
  auto addr = api::ParseServerUrl(a.Get("server"));
  if (!addr.ok()) {
    *exit_code = Usage(command, addr.status().message());
    return std::nullopt;
  }
  if (a.Has("ca-file") && !addr->tls) {
    *exit_code = Usage(command, "--ca-file needs an https:// server");
    return std::nullopt;
  }
  Connection c;
  api::TlsOptions tls;
  tls.enabled = addr->tls;
  if (a.Has("ca-file")) tls.ca_file = a.Get("ca-file");
  c.client = std::make_unique<api::Client>(addr->host, addr->port, std::move(tls));
  if (!a.Has("key")) {
    if (key_required) {
      *exit_code = Usage(command, "--key KEYFILE:KEYID is required (reads are signed, RFC 9421)");
      return std::nullopt;
    }
    return c;
  }
  auto spec = ParseKeySpec(a.Get("key"));
  if (!spec) {
    *exit_code = Usage(command, "--key must be KEYFILE:KEYID, e.g. bank.key:ccb-quzhou/k1");
    return std::nullopt;
  }
  auto key = ReadKeyFile(spec->file);
  if (!key.ok()) {
    *exit_code = Fail(command, key.status().message());
    return std::nullopt;
  }
  c.key = std::make_unique<SigningKey>(std::move(*key));
  c.keyid = spec->keyid;
  c.client->SetSigner(c.keyid, c.key.get());
  return c;
}

// One line for a problem answer (or the raw body if it is not one).
std::string DescribeProblem(const api::HttpResponse& r) {
  auto p = api::ParseProblemJson(r.body);
  if (!p.ok()) return "HTTP " + std::to_string(r.status) + ": " + TrimRight(r.body);
  std::string s = "HTTP " + std::to_string(r.status) + " " + p->title;
  if (!p->codes.empty()) s += " [" + Join(p->codes) + "]";
  if (!p->detail.empty()) s += ": " + p->detail;
  return s;
}

}  // namespace ipledger::cli
