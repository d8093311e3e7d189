// The client commands of the `ipledger` CLI. Files, flags and printing live here; HTTP
// and JSON go through api/ (style.md C.2).
#include "tools/ipledger_client.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "tools/key_file.h"

namespace ipledger {

const char* const kClientUsage =
    "  ipledger sign --statement FILE --key KEYFILE:KEYID [--key KEYFILE:KEYID ...] [--out "
    "FILE]\n"
    "  ipledger sign --envelope FILE --key KEYFILE:KEYID [...] [--out FILE]   (co-sign)\n"
    "  ipledger submit --server URL --envelope FILE [--receipt-out FILE]\n"
    "  ipledger get --server URL PATH [--key KEYFILE:KEYID]\n"
    "  ipledger verify-receipt --receipt FILE --vkey VKEY_OR_FILE [--envelope FILE]\n"
    "  ipledger verify-certificate (--certificate FILE | --response FILE) --vkey VKEY_OR_FILE\n"
    "  ipledger status ASSET --server URL --key KEYFILE:KEYID [--at DATE] [--json] [--vkey V]\n"
    "  ipledger coverage ASSET --server URL --key KEYFILE:KEYID [--date DATE] [--json] [--vkey "
    "V]\n"
    "  ipledger stats --server URL --key KEYFILE:KEYID --from DATE --to DATE [--region PREFIX]\n"
    "      [--group-by bank|region|asset_kind|month] [--as-of INDEX]\n"
    "      [--inclusive-threshold-fen N] [--json]           (regulators and the registry)\n"
    "  ipledger audit --server URL --key KEYFILE:KEYID [--from DATE] [--to DATE] [--type T]\n"
    "      [--participant P] [--asset A] [--limit N] [--cursor C] [--all] [--csv]   (same)\n"
    "  (URL is http://HOST:PORT or https://HOST:PORT; with https, --ca-file FILE trusts the\n"
    "  CA certificates in FILE instead of the system's; KEYID is <participant>/<label>, e.g.\n"
    "  ccb-quzhou/k1)\n";

namespace {

// --- Arguments ---------------------------------------------------------------------------

struct Args {
  std::map<std::string, std::vector<std::string>> values;  // --name value (repeatable)
  std::set<std::string> switches;                          // --name (no value)
  std::vector<std::string> positional;
  std::string error;

  bool Has(const std::string& name) const { return values.contains(name); }
  // The last value of --name (callers check Has first).
  const std::string& Get(const std::string& name) const { return values.at(name).back(); }
};

// Parses argv[first..argc): "--name value", "--name=value", switches and positionals.
Args ParseArgs(int argc, char** argv, int first, const std::set<std::string>& valued,
               const std::set<std::string>& switch_names, size_t max_positional) {
  Args a;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.starts_with("--")) {
      if (a.positional.size() >= max_positional) {
        a.error = "unexpected argument '" + arg + "'";
        return a;
      }
      a.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switch_names.contains(name)) {
      if (value) {
        a.error = "flag --" + name + " takes no value";
        return a;
      }
      a.switches.insert(name);
      continue;
    }
    if (!valued.contains(name)) {
      a.error = "unknown flag --" + name;
      return a;
    }
    if (!value) {
      if (i + 1 >= argc) {
        a.error = "flag --" + name + " needs a value";
        return a;
      }
      value = argv[++i];
    }
    a.values[name].push_back(*value);
  }
  return a;
}

int Usage(const std::string& command, const std::string& why) {
  std::fprintf(stderr, "ipledger %s: %s\nusage:\n%s", command.c_str(), why.c_str(), kClientUsage);
  return 2;
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

struct KeySpec {
  std::string file;
  std::string keyid;
};

// "KEYFILE:KEYID" (split at the last ':', as key ids hold none).
std::optional<KeySpec> ParseKeySpec(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) return std::nullopt;
  KeySpec k{spec.substr(0, colon), spec.substr(colon + 1)};
  const size_t slash = k.keyid.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == k.keyid.size()) return std::nullopt;
  return k;
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

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out.empty() ? "-" : out;
}

// Display width of UTF-8 text (one column per code point: enough for "¥" and ids).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

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

// A client for --server, signing with --key when given.
struct Connection {
  std::unique_ptr<api::Client> client;
  std::unique_ptr<SigningKey> key;  // heap-held: the client keeps a pointer to it
  std::string keyid;
};

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

// --- sign ----------------------------------------------------------------------------------

int Sign(int argc, char** argv) {
  const std::string cmd = "sign";
  Args a = ParseArgs(argc, argv, 2, {"statement", "envelope", "key", "out"}, {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.Has("statement") == a.Has("envelope")) {
    return Usage(cmd,
                 "give --statement FILE (to sign a statement) or --envelope FILE (to add "
                 "a co-signature to a signed envelope)");
  }
  if (!a.Has("key")) return Usage(cmd, "at least one --key KEYFILE:KEYID is required");
  std::vector<KeySpec> specs;
  for (const std::string& s : a.values.at("key")) {
    auto spec = ParseKeySpec(s);
    if (!spec) return Usage(cmd, "--key '" + s + "' must be KEYFILE:KEYID");
    specs.push_back(*spec);
  }
  const std::string input = a.Has("statement") ? a.Get("statement") : a.Get("envelope");
  auto text = ReadWholeFile(input);
  if (!text.ok()) return Fail(cmd, text.status().message());
  std::vector<SigningKey> keys;
  keys.reserve(specs.size());
  for (const KeySpec& spec : specs) {
    auto key = ReadKeyFile(spec.file);
    if (!key.ok()) return Fail(cmd, key.status().message());
    keys.push_back(std::move(*key));
  }
  std::vector<api::EnvelopeSigner> signers;
  for (size_t i = 0; i < keys.size(); ++i) signers.push_back({specs[i].keyid, &keys[i]});

  StatusOr<std::string> envelope = Status::Internal("not signed");
  if (a.Has("statement")) {
    auto completed = api::CompleteStatementJson(*text, NowMs(), RandomIdempotencyKey());
    if (!completed.ok()) {
      return Fail(cmd, "E_SCHEMA: " + input + ": " + completed.status().message());
    }
    envelope = api::SignStatementJson(*completed, signers);
  } else {
    envelope = api::CosignEnvelopeJson(TrimRight(*text), signers);
  }
  if (!envelope.ok()) return Fail(cmd, "E_SCHEMA: " + input + ": " + envelope.status().message());
  auto summary = api::SummarizeEnvelope(*envelope);
  if (!summary.ok()) return Fail(cmd, summary.status().message());
  const bool submitter_signed =
      std::any_of(summary->keyids.begin(), summary->keyids.end(),
                  [&](const std::string& k) { return k.starts_with(summary->submitter + "/"); });
  if (!submitter_signed) {
    std::fprintf(stderr,
                 "ipledger sign: warning: the submitter %s has not signed yet; the server "
                 "refuses an envelope without the submitter's signature\n",
                 summary->submitter.c_str());
  }
  if (a.Has("out")) {
    if (Status s = WriteFileReplacing(a.Get("out"), *envelope); !s.ok()) {
      return Fail(cmd, s.message());
    }
    std::fprintf(stderr, "ipledger sign: %s by %s, signed by %s -> %s\n", summary->type.c_str(),
                 summary->submitter.c_str(), Join(summary->keyids).c_str(), a.Get("out").c_str());
  } else {
    std::printf("%s\n", envelope->c_str());
  }
  return 0;
}

// --- submit --------------------------------------------------------------------------------

int Submit(int argc, char** argv) {
  const std::string cmd = "submit";
  Args a = ParseArgs(argc, argv, 2, {"server", "ca-file", "envelope", "receipt-out"}, {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("envelope")) return Usage(cmd, "--envelope FILE is required");
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/false, &code);
  if (!conn) return code;
  auto file = ReadWholeFile(a.Get("envelope"));
  if (!file.ok()) return Fail(cmd, file.status().message());
  // `ipledger sign > FILE` adds a newline; the envelope is the JSON without it.
  const std::string body = TrimRight(*file);
  auto summary = api::SummarizeEnvelope(body);
  if (!summary.ok()) {
    return Fail(cmd, "E_SCHEMA: " + a.Get("envelope") + ": " + summary.status().message());
  }
  const std::string receipt_path =
      a.Has("receipt-out") ? a.Get("receipt-out") : a.Get("envelope") + ".receipt.json";

  auto r = conn->client->Request("POST", "/v1/entries", body, "application/json");
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());

  if (r->status == 200 || r->status == 201) {
    auto receipt = api::ParseReceiptJson(r->body);
    if (!receipt.ok()) {
      return Fail(cmd, "HTTP " + std::to_string(r->status) +
                           " but the receipt is malformed: " + receipt.status().message());
    }
    auto leaf = DecodeLeaf(ToString(receipt->leaf));
    if (!leaf.ok() || leaf->envelope_sha256 != summary->sha256) {
      return Fail(cmd, "the receipt's leaf is not for this envelope (envelope_sha256 differs)");
    }
    if (Status s = WriteFileReplacing(receipt_path, r->body + "\n"); !s.ok()) {
      return Fail(cmd, s.message());
    }
    std::printf("%s: %s by %s\n",
                r->status == 201 ? "accepted (201)" : "already recorded (200, idempotent replay)",
                summary->type.c_str(), summary->submitter.c_str());
    PrintTable({{"index:", std::to_string(receipt->index)},
                {"leaf hash:", receipt->leaf_hash},
                {"integrated time:", receipt->integrated_time},
                {"warnings:", receipt->warnings.empty() ? "none" : Join(receipt->warnings)},
                {"receipt:", receipt_path}});
    return 0;
  }

  auto problem = api::ParseProblemJson(r->body);
  if (!problem.ok()) {
    return Fail(cmd, "HTTP " + std::to_string(r->status) + ": " + TrimRight(r->body));
  }
  std::printf("refused (HTTP %d): %s by %s\n", r->status, summary->type.c_str(),
              summary->submitter.c_str());
  std::vector<std::vector<std::string>> rows = {
      {"status:", std::to_string(problem->status) + " " + problem->title},
      {"codes:", Join(problem->codes)},
      {"detail:", problem->detail.empty() ? "-" : problem->detail}};
  if (problem->refusal_index) {
    rows.push_back({"refusal_index:", std::to_string(*problem->refusal_index) +
                                          " (the refusal is recorded in the log)"});
  }
  if (problem->receipt_json) {
    if (Status s = WriteFileReplacing(receipt_path, *problem->receipt_json + "\n"); s.ok()) {
      rows.push_back({"refusal receipt:", receipt_path});
    }
  }
  PrintTable(rows);
  return 1;
}

// --- get -----------------------------------------------------------------------------------

int Get(int argc, char** argv) {
  const std::string cmd = "get";
  Args a = ParseArgs(argc, argv, 2, {"server", "ca-file", "key"}, {}, 1);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.positional.empty() || !a.positional[0].starts_with("/")) {
    return Usage(cmd, "give the PATH to read, e.g. /v1/assets/patent:2014103620773");
  }
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/false, &code);
  if (!conn) return code;
  auto r = conn->client->Request("GET", a.positional[0]);
  if (!r.ok()) return Fail(cmd, r.status().message());
  std::fprintf(stderr, "HTTP %d%s%s%s\n", r->status, r->content_type.empty() ? "" : " (",
               r->content_type.c_str(), r->content_type.empty() ? "" : ")");
  std::fwrite(r->body.data(), 1, r->body.size(), stdout);
  if (!r->body.empty() && r->body.back() != '\n') std::printf("\n");
  return r->status >= 400 ? 1 : 0;
}

// --- verify-receipt ------------------------------------------------------------------------

int VerifyReceiptCommand(int argc, char** argv) {
  const std::string cmd = "verify-receipt";
  Args a = ParseArgs(argc, argv, 2, {"receipt", "vkey", "envelope"}, {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("receipt") || !a.Has("vkey")) {
    return Usage(cmd, "--receipt FILE and --vkey VKEY_OR_FILE are required");
  }
  auto vkey = LoadVkey(a.Get("vkey"));
  if (!vkey.ok()) return Fail(cmd, vkey.status().message());
  auto text = ReadWholeFile(a.Get("receipt"));
  if (!text.ok()) return Fail(cmd, text.status().message());
  auto receipt = api::ParseReceiptJson(*text);
  if (!receipt.ok()) return Fail(cmd, "FAILED: " + receipt.status().message());
  auto v = api::VerifyReceipt(*receipt, *vkey);
  if (!v.ok()) return Fail(cmd, "FAILED: " + v.status().message());
  if (a.Has("envelope")) {
    auto env = ReadWholeFile(a.Get("envelope"));
    if (!env.ok()) return Fail(cmd, env.status().message());
    if (Sha256(AsBytes(TrimRight(*env))) != v->entry.envelope_sha256) {
      return Fail(cmd,
                  "FAILED: the leaf's envelope_sha256 is not the hash of " + a.Get("envelope"));
    }
  }
  const Entry& e = v->entry;
  std::printf("receipt verified with the vkey of %s\n", vkey->name.c_str());
  std::vector<std::vector<std::string>> rows = {
      {"index:", std::to_string(e.index) + " (in the checkpoint of tree size " +
                     std::to_string(v->checkpoint.size) + ")"},
      {"leaf hash:", receipt->leaf_hash},
      {"type:", e.type},
      {"time:", FormatInstant(e.time_ms)},
      {"parties:", Join(e.parties)},
      {"signers:", Join(e.signers)},
      {"subjects:", Join(e.subjects)}};
  if (e.type == kRefusalType) {
    rows.push_back({"refused:", e.refused});
    rows.push_back({"codes:", Join(e.codes)});
  }
  if (!receipt->warnings.empty()) rows.push_back({"warnings:", Join(receipt->warnings)});
  rows.push_back({"envelope sha256:", HexEncode(e.envelope_sha256) +
                                          (a.Has("envelope") ? " (matches the envelope)" : "")});
  PrintTable(rows);
  return 0;
}

// --- verify-certificate --------------------------------------------------------------------

int VerifyCertificateCommand(int argc, char** argv) {
  const std::string cmd = "verify-certificate";
  Args a = ParseArgs(argc, argv, 2, {"certificate", "response", "vkey"}, {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.Has("certificate") == a.Has("response")) {
    return Usage(cmd, "give one of --certificate FILE or --response FILE");
  }
  if (!a.Has("vkey")) return Usage(cmd, "--vkey VKEY_OR_FILE is required");
  auto vkey = LoadVkey(a.Get("vkey"));
  if (!vkey.ok()) return Fail(cmd, vkey.status().message());
  const bool whole = a.Has("response");
  auto text = ReadWholeFile(whole ? a.Get("response") : a.Get("certificate"));
  if (!text.ok()) return Fail(cmd, text.status().message());

  std::string note = *text;
  std::optional<api::PledgeStatusAnswer> answer;
  if (whole) {
    auto parsed = api::ParsePledgeStatusJson(*text);
    if (!parsed.ok()) return Fail(cmd, "FAILED: " + parsed.status().message());
    answer = std::move(*parsed);
    note = answer->certificate;
  } else if (TrimRight(*text).starts_with("{")) {
    // A saved pledge-status answer given as --certificate: take its certificate.
    auto cert = api::CertificateOfResponse(*text);
    if (!cert.ok()) return Fail(cmd, "FAILED: " + cert.status().message());
    note = *cert;
  }
  auto cert = api::VerifyCertificate(note, *vkey);
  if (!cert.ok()) return Fail(cmd, "FAILED: " + cert.status().message());
  std::optional<Checkpoint> cp;
  if (answer) {
    auto checked = api::VerifyPledgeStatus(*answer, *vkey);
    if (!checked.ok()) return Fail(cmd, "FAILED: " + checked.status().message());
    cp = *checked;
  }
  std::printf("certificate verified: signed by the log key of %s\n", vkey->name.c_str());
  for (const std::string& line : cert->lines) std::printf("  %s\n", line.c_str());
  if (answer) {
    std::printf(
        "response verified: the as_of checkpoint (tree size %llu) is signed by the log; %s "
        "included in it; the pledges listed match the certificate\n",
        static_cast<unsigned long long>(cp->size), Entries(answer->evidence.size()).c_str());
  }
  return 0;
}

// --- status and coverage -------------------------------------------------------------------

// The log key to check answers with: --vkey if given, else the server's /log/vkey.
StatusOr<NoteVerifier> AnswerKey(const Args& a, api::Client& client) {
  if (a.Has("vkey")) return LoadVkey(a.Get("vkey"));
  return api::FetchVkey(client);
}

std::string AssetPath(const std::string& asset, const std::string& what) {
  return "/v1/assets/" + api::EscapePathSegment(asset) + "/" + what;
}

int StatusCommand(int argc, char** argv) {
  const std::string cmd = "status";
  Args a = ParseArgs(argc, argv, 2, {"server", "ca-file", "key", "at", "vkey"}, {"json"}, 1);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.positional.empty()) return Usage(cmd, "give the ASSET, e.g. patent:2014103620773");
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  const std::string asset = a.positional[0];
  std::string target = AssetPath(asset, "pledge-status");
  if (a.Has("at")) target += "?at=" + api::EscapePathSegment(a.Get("at"));
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }
  auto answer = api::ParsePledgeStatusJson(r->body);
  if (!answer.ok()) return Fail(cmd, "malformed answer: " + answer.status().message());
  auto vkey = AnswerKey(a, *conn->client);
  if (!vkey.ok()) return Fail(cmd, "no log key to verify with: " + vkey.status().message());
  auto cp = api::VerifyPledgeStatus(*answer, *vkey);

  const std::string when = a.Has("at") ? ", the last entry on or before " + a.Get("at") : "";
  std::printf("%s: %s (as of entry %llu%s)\n", answer->asset.c_str(),
              answer->pledged ? "PLEDGED" : "not pledged",
              static_cast<unsigned long long>(answer->as_of_index), when.c_str());
  if (!answer->pledges.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"pledge", "pledgee", "pledgors", "state", "registered", "debt term", "secured", "LTV"}};
    for (const api::PledgeView& p : answer->pledges) {
      std::string secured = "(not visible)";
      if (p.secured) secured = *p.secured_type + " " + api::FormatMoney(*p.secured);
      std::string ltv = "-";
      if (p.ltv_bps) {
        ltv = std::to_string(*p.ltv_bps / 100) + "." + (*p.ltv_bps % 100 < 10 ? "0" : "") +
              std::to_string(*p.ltv_bps % 100) + "%";
      }
      rows.push_back(
          {p.pledge_id, p.pledgee, Join(p.pledgors), p.state,
           "#" + std::to_string(p.registered_index) + " " + p.registered_at.substr(0, 10),
           p.debt_term_start + ".." + p.debt_term_end, secured, ltv});
    }
    PrintTable(rows);
    for (const api::PledgeView& p : answer->pledges) {
      if (p.official_reg_no || p.case_id) {
        std::printf("  %s:%s%s%s%s\n", p.pledge_id.c_str(),
                    p.official_reg_no ? " official no. " : "",
                    p.official_reg_no ? p.official_reg_no->c_str() : "", p.case_id ? " case " : "",
                    p.case_id ? p.case_id->c_str() : "");
      }
    }
  }
  if (!cp.ok()) {
    return Fail(cmd,
                "NOT verified with the log key of " + vkey->name + ": " + cp.status().message());
  }
  std::printf(
      "certificate: verified (signed by the log key of %s; checkpoint tree size %llu; %s "
      "proven)\n",
      vkey->name.c_str(), static_cast<unsigned long long>(cp->size),
      Entries(answer->evidence.size()).c_str());
  return 0;
}

int CoverageCommand(int argc, char** argv) {
  const std::string cmd = "coverage";
  Args a = ParseArgs(argc, argv, 2, {"server", "ca-file", "key", "date", "vkey"}, {"json"}, 1);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.positional.empty()) return Usage(cmd, "give the ASSET, e.g. data:greenhouse-2026");
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  std::string target = AssetPath(a.positional[0], "coverage");
  if (a.Has("date")) target += "?date=" + api::EscapePathSegment(a.Get("date"));
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }
  auto answer = api::ParseCoverageJson(r->body);
  if (!answer.ok()) return Fail(cmd, "malformed answer: " + answer.status().message());
  auto vkey = AnswerKey(a, *conn->client);
  if (!vkey.ok()) return Fail(cmd, "no log key to verify with: " + vkey.status().message());
  auto cp = OpenCheckpoint(answer->checkpoint, *vkey);

  std::printf("%s: %s on %s (as of entry %llu)\n", answer->asset.c_str(),
              answer->covered ? "COVERED" : "not covered", answer->date.c_str(),
              static_cast<unsigned long long>(answer->as_of_index));
  if (!answer->policies.empty()) {
    std::vector<std::vector<std::string>> rows = {{"policy", "insurer", "product", "period",
                                                   "per claim", "aggregate", "deductible",
                                                   "remaining", "loss payees"}};
    for (const api::PolicyView& p : answer->policies) {
      rows.push_back({p.policy_id, p.insurer, p.product, p.period_start + ".." + p.period_end,
                      api::FormatMoney(p.per_claim), api::FormatMoney(p.aggregate),
                      api::FormatMoney(p.deductible), api::FormatMoney(p.remaining_aggregate),
                      Join(p.loss_payees)});
    }
    PrintTable(rows);
  }
  if (!cp.ok()) {
    return Fail(cmd, "NOT verified: the as_of checkpoint does not verify with the log key of " +
                         vkey->name + ": " + cp.status().message());
  }
  std::printf("checkpoint: verified (signed by the log key of %s; tree size %llu)\n",
              vkey->name.c_str(), static_cast<unsigned long long>(cp->size));
  return 0;
}

// --- stats and audit (regulators) -----------------------------------------------------------

// "&name=value" (or "?name=value" for the first) with the value percent-encoded.
void AddQuery(std::string* target, const std::string& name, const std::string& value) {
  *target += (target->find('?') == std::string::npos ? "?" : "&") + name + "=" +
             api::EscapePathSegment(value);
}

// Checks the optional --`flag` is a date YYYY-MM-DD; the usage problem otherwise.
std::optional<std::string> BadDate(const Args& a, const std::string& flag) {
  if (!a.Has(flag) || ParseDate(a.Get(flag))) return std::nullopt;
  return "--" + flag + " must be a date YYYY-MM-DD, not '" + a.Get(flag) + "'";
}

// Checks the optional --`flag` is a decimal integer in [min, max].
std::optional<std::string> BadNumber(const Args& a, const std::string& flag, std::uint64_t min,
                                     std::uint64_t max) {
  if (!a.Has(flag)) return std::nullopt;
  auto n = ParseDecimalU64(a.Get(flag));
  if (n && *n >= min && *n <= max) return std::nullopt;
  return "--" + flag + " must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max) + ", not '" + a.Get(flag) + "'";
}

// The non-CNY amounts ("USD 1,000.00, EUR 5.00"), or "-".
std::string OtherCurrencies(const api::StatsFigures& f) {
  std::vector<std::string> out;
  for (const Money& m : f.amounts) {
    if (m.currency != "CNY") out.push_back(api::FormatMoney(m));
  }
  return Join(out);
}

std::string IpItems(const api::StatsFigures& f) {
  return "patent " + std::to_string(f.patents) + ", trademark " + std::to_string(f.trademarks) +
         ", data " + std::to_string(f.data);
}

std::string InclusiveShare(const api::StatsFigures& f) {
  return api::FormatBps(f.inclusive_share_bps) + " (" + std::to_string(f.inclusive_enterprises) +
         " of " + std::to_string(f.enterprises) + ")";
}

std::string Yoy(const std::optional<std::int64_t>& bps) {
  return bps ? api::FormatBps(*bps, /*sign=*/true) : "n/a";
}

int StatsCommand(int argc, char** argv) {
  const std::string cmd = "stats";
  Args a = ParseArgs(argc, argv, 2,
                     {"server", "ca-file", "key", "from", "to", "region", "group-by", "as-of",
                      "inclusive-threshold-fen"},
                     {"json"}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("from") || !a.Has("to")) {
    return Usage(cmd, "--from DATE and --to DATE (YYYY-MM-DD, inclusive) are required");
  }
  for (const char* flag : {"from", "to"}) {
    if (auto why = BadDate(a, flag)) return Usage(cmd, *why);
  }
  if (*ParseDate(a.Get("to")) < *ParseDate(a.Get("from"))) {
    return Usage(cmd, "--to must not be before --from");
  }
  if (a.Has("region")) {
    const std::string& r = a.Get("region");
    if (r.empty() || r.size() > 6 ||
        !std::all_of(r.begin(), r.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return Usage(cmd, "--region must be 1 to 6 digits (a GB/T 2260 prefix, e.g. 3308)");
    }
  }
  if (a.Has("group-by")) {
    const std::string& g = a.Get("group-by");
    if (g != "bank" && g != "region" && g != "asset_kind" && g != "month") {
      return Usage(cmd, "--group-by must be bank, region, asset_kind or month");
    }
  }
  const std::uint64_t kMaxI64 = 0x7fffffffffffffffull;
  if (auto why = BadNumber(a, "as-of", 0, kMaxI64)) return Usage(cmd, *why);
  if (auto why = BadNumber(a, "inclusive-threshold-fen", 0, kMaxI64)) return Usage(cmd, *why);
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;

  std::string target = "/v1/stats/pledges";
  AddQuery(&target, "from", a.Get("from"));
  AddQuery(&target, "to", a.Get("to"));
  if (a.Has("region")) AddQuery(&target, "region", a.Get("region"));
  if (a.Has("group-by")) AddQuery(&target, "group_by", a.Get("group-by"));
  if (a.Has("as-of")) AddQuery(&target, "as_of", a.Get("as-of"));
  if (a.Has("inclusive-threshold-fen")) {
    AddQuery(&target, "inclusive_threshold_fen", a.Get("inclusive-threshold-fen"));
  }
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }
  auto s = api::ParseStatsJson(r->body);
  if (!s.ok()) return Fail(cmd, "malformed answer: " + s.status().message());

  const auto from = ParseDate(s->from);
  const auto to = ParseDate(s->to);
  const std::string window = s->from + ".." + s->to;
  const std::string previous =
      from && to ? FormatDate(AddYears(*from, -1)) + ".." + FormatDate(AddYears(*to, -1))
                 : "previous year";
  const std::string where = s->region.empty() ? "all regions" : "region " + s->region + "*";
  std::printf("pledge registrations %s, %s, as of entry %llu\n", window.c_str(), where.c_str(),
              static_cast<unsigned long long>(s->as_of_index));
  const api::StatsFigures& t = s->totals;
  const api::StatsFigures& p = s->previous_year;
  std::vector<std::vector<std::string>> rows = {
      {"", window, previous, "YoY"},
      {"amount:", api::FormatMoney(t.amount), api::FormatMoney(p.amount), Yoy(s->yoy_amount_bps)}};
  if (OtherCurrencies(t) != "-" || OtherCurrencies(p) != "-") {
    rows.push_back({"other currencies:", OtherCurrencies(t), OtherCurrencies(p)});
  }
  rows.push_back({"registrations:", std::to_string(t.registrations),
                  std::to_string(p.registrations), Yoy(s->yoy_registrations_bps)});
  rows.push_back({"cases:", std::to_string(t.cases), std::to_string(p.cases)});
  rows.push_back({"enterprises:", std::to_string(t.enterprises), std::to_string(p.enterprises),
                  Yoy(s->yoy_enterprises_bps)});
  rows.push_back({"IP items:", IpItems(t), IpItems(p)});
  rows.push_back({"inclusive share:", InclusiveShare(t), InclusiveShare(p)});
  PrintTable(rows);
  std::printf(
      "  (amounts once per financing case; inclusive: enterprises with a CNY case below %s)\n",
      api::FormatMoney({s->inclusive_threshold_fen, "CNY"}).c_str());
  if (!s->group_by.empty()) {
    std::printf("by %s:\n", s->group_by.c_str());
    if (s->groups.empty()) {
      std::printf("  (no registrations)\n");
    } else {
      std::vector<std::vector<std::string>> groups = {{s->group_by, "amount", "other currencies",
                                                       "registrations", "cases", "enterprises",
                                                       "IP items", "inclusive share"}};
      for (const api::StatsGroupFigures& g : s->groups) {
        const api::StatsFigures& f = g.figures;
        groups.push_back({g.key, api::FormatMoney(f.amount), OtherCurrencies(f),
                          std::to_string(f.registrations), std::to_string(f.cases),
                          std::to_string(f.enterprises), IpItems(f), InclusiveShare(f)});
      }
      PrintTable(groups);
    }
  }
  std::printf(
      "reproduce with --as-of %llu (the answer cites the signed checkpoint of tree size "
      "%llu)\n",
      static_cast<unsigned long long>(s->as_of_index),
      static_cast<unsigned long long>(s->as_of_index + 1));
  return 0;
}

// One audit entry on one line: index, time, type (for a refusal the refused type and
// codes), parties, subjects and any warnings.
void PrintAuditEntry(const api::AuditEntryView& e, int index_width) {
  std::string what = e.type;
  if (e.type == kRefusalType) {
    what +=
        " of " + (e.refused.empty() ? std::string("?") : e.refused) + " [" + Join(e.codes) + "]";
  }
  std::string line = "parties: " + Join(e.parties) + "  subjects: " + Join(e.subjects);
  if (!e.warnings.empty()) line += "  warnings: " + Join(e.warnings);
  std::printf("%*llu  %s  %-20s  %s\n", index_width, static_cast<unsigned long long>(e.index),
              e.time.c_str(), what.c_str(), line.c_str());
}

int AuditCommand(int argc, char** argv) {
  const std::string cmd = "audit";
  Args a = ParseArgs(
      argc, argv, 2,
      {"server", "ca-file", "key", "from", "to", "type", "participant", "asset", "limit", "cursor"},
      {"all", "csv"}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  for (const char* flag : {"from", "to"}) {
    if (auto why = BadDate(a, flag)) return Usage(cmd, *why);
  }
  if (auto why = BadNumber(a, "limit", 1, 1000)) return Usage(cmd, *why);
  if (a.Has("cursor") && !ParseDecimalU64(a.Get("cursor"))) {
    return Usage(cmd, "--cursor must be a cursor printed by an earlier audit");
  }
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  const bool all = a.switches.contains("all");
  const bool csv = a.switches.contains("csv");

  std::string base = "/v1/audit/entries";
  for (const char* flag : {"from", "to", "type", "participant", "asset", "limit"}) {
    if (a.Has(flag)) AddQuery(&base, flag, a.Get(flag));
  }
  std::map<std::string, std::string> headers;
  if (csv) headers["Accept"] = "text/csv";

  std::optional<std::string> cursor;
  if (a.Has("cursor")) cursor = a.Get("cursor");
  std::uint64_t printed = 0;
  bool header_printed = false;
  int index_width = 0;
  std::string last;  // the last next_cursor
  for (;;) {
    std::string target = base;
    if (cursor) AddQuery(&target, "cursor", *cursor);
    auto r = conn->client->Request("GET", target, {}, "application/json", headers);
    if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
    if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
    std::string next;
    bool empty = true;
    if (csv) {
      if (!r->content_type.starts_with("text/csv")) {
        return Fail(cmd, "asked for text/csv, the server answered " + r->content_type);
      }
      auto h = r->headers.find("x-next-cursor");
      if (h == r->headers.end()) return Fail(cmd, "the CSV answer has no x-next-cursor header");
      next = h->second;
      const size_t nl = r->body.find('\n');
      const std::string header = r->body.substr(0, nl == std::string::npos ? r->body.size() : nl);
      const std::string rows = nl == std::string::npos ? "" : r->body.substr(nl + 1);
      empty = rows.empty();
      if (!header_printed) {
        std::printf("%s\n", header.c_str());
        header_printed = true;
      }
      std::fwrite(rows.data(), 1, rows.size(), stdout);
      if (!rows.empty() && rows.back() != '\n') std::printf("\n");
      printed += static_cast<std::uint64_t>(std::count(rows.begin(), rows.end(), '\n'));
    } else {
      auto page = api::ParseAuditPageJson(r->body);
      if (!page.ok()) return Fail(cmd, "malformed answer: " + page.status().message());
      next = page->next_cursor;
      empty = page->entries.empty();
      if (index_width == 0) {
        index_width =
            static_cast<int>(std::to_string(page->tree_size == 0 ? 0 : page->tree_size - 1).size());
      }
      for (const api::AuditEntryView& e : page->entries) PrintAuditEntry(e, index_width);
      printed += page->entries.size();
    }
    last = next;
    // Stop when a page is empty and gives back the cursor sent: every match so far seen.
    if (!all || (empty && cursor && next == *cursor)) break;
    const auto n = ParseDecimalU64(next);
    const auto c = cursor ? ParseDecimalU64(*cursor) : std::optional<std::uint64_t>(0);
    if (!n || *n < *c || (!empty && cursor && next == *cursor)) {
      return Fail(cmd, "the server answered next_cursor '" + next + "' to cursor '" +
                           cursor.value_or("") + "': it does not advance");
    }
    cursor = next;
  }
  std::fflush(stdout);
  const std::string summary = std::to_string(printed) + (printed == 1 ? " entry" : " entries") +
                              "; next cursor " + last +
                              (all ? " (poll with --cursor for entries logged since)" : "");
  if (csv) {
    std::fprintf(stderr, "ipledger audit: %s\n", summary.c_str());
  } else {
    std::printf("%s\n", summary.c_str());
  }
  return 0;
}

}  // namespace

bool IsClientCommand(std::string_view command) {
  return command == "sign" || command == "submit" || command == "get" ||
         command == "verify-receipt" || command == "verify-certificate" || command == "status" ||
         command == "coverage" || command == "stats" || command == "audit";
}

int RunClientCommand(int argc, char** argv) {
  const std::string_view command = argv[1];
  if (command == "sign") return Sign(argc, argv);
  if (command == "submit") return Submit(argc, argv);
  if (command == "get") return Get(argc, argv);
  if (command == "verify-receipt") return VerifyReceiptCommand(argc, argv);
  if (command == "verify-certificate") return VerifyCertificateCommand(argc, argv);
  if (command == "status") return StatusCommand(argc, argv);
  if (command == "coverage") return CoverageCommand(argc, argv);
  if (command == "stats") return StatsCommand(argc, argv);
  if (command == "audit") return AuditCommand(argc, argv);
  return Usage(std::string(command), "not a client command");
}

}  // namespace ipledger
