#include "api/server/internal/ui.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "api/server/internal/problems.h"

namespace ipledger::api {

namespace {

namespace fs = std::filesystem;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `s` percent-decoded once; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The relative file path the decoded `rest` names, or nullopt if it may not be served:
// every segment a plain name (no "", ".", ".." or dot-files), no backslash or control
// character. An empty `rest` or one ending in "/" names index.html there.
std::optional<std::string> SafeRelativePath(const std::string& rest) {
  std::string rel = rest;
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  for (const char c : rel) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\' || c == ':') {
      return std::nullopt;
    }
  }
  size_t start = 0;
  while (true) {
    const size_t slash = rel.find('/', start);
    const std::string_view seg =
        std::string_view(rel).substr(start, slash == std::string::npos ? slash : slash - start);
    if (seg.empty() || seg.front() == '.') return std::nullopt;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return rel;
}

std::string ContentType(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Response NotFound(const std::string& path, const std::string& detail) {
  return Problem(404, "not-found", "Not found", detail.empty() ? "no file for " + path : detail);
}

}  // namespace

Response ServeUi(const std::string& ui_dir, const std::string& path) {
  if (path == "/ui") {
    Response r;
    r.status = 301;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("location", "/ui/");
    r.body = "/ui/\n";
    return r;
  }
  auto rest = PercentDecode(std::string_view(path).substr(4));  // after "/ui/"
  std::optional<std::string> rel = rest ? SafeRelativePath(*rest) : std::nullopt;
  if (!rel) {
    return Problem(400, "bad-request", "Bad request",
                   "the console serves plain file names below /ui/ only");
  }
  std::error_code ec;
  if (ui_dir.empty() || !fs::is_directory(ui_dir, ec)) {
    return NotFound(path,
                    "the web console is not installed: start ipledgerd with --ui-dir DIR "
                    "(the build's web/ folder)");
  }
  const fs::path root = fs::canonical(ui_dir, ec);
  if (ec) return NotFound(path, "");
  const fs::path file = fs::weakly_canonical(root / *rel, ec);
  // Symbolic links may not lead out of the directory either.
  const std::string root_s = root.string() + "/", file_s = file.string();
  if (ec || file_s.compare(0, root_s.size(), root_s) != 0 || !fs::is_regular_file(file, ec)) {
    return NotFound(path, "");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound(path, "");
  Response r;
  r.content_type = ContentType(file);
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.headers.emplace_back("x-content-type-options", "nosniff");
  r.headers.emplace_back("cache-control", "no-cache");
  // Everything comes from this server: no CDN, no other host (the page verifies what the
  // server answers; it need not trust anything else either).
  r.headers.emplace_back("content-security-policy",
                         "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                         "script-src 'self'; connect-src 'self'; object-src 'none'; "
                         "base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("referrer-policy", "no-referrer");
  return r;
}

}  // namespace ipledger::api
