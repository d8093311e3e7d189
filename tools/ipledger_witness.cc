// `ipledger witness`: key and state files, the HTTP front of ledger/log/witness.h.
#include "tools/ipledger_witness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/server/server.h"
#include "crypto/note.h"
#include "ledger/base/encoding.h"
#include "ledger/log/witness.h"
#include "tools/key_file.h"
#include "tools/options.h"

namespace ipledger {
namespace {

constexpr const char* kUsage =
    "usage: ipledger witness --data-dir W --listen HOST:PORT --name NAME\n"
    "                        --log-vkey FILE [--log-vkey FILE]...\n"
    "  A C2SP tlog-witness: POST /add-checkpoint cosigns checkpoints of the logs whose\n"
    "  vkeys are given (files holding one vkey line, e.g. a data directory's log.vkey).\n"
    "  W/witness.key is created on the first start; W/witness.vkey is its vkey.\n";

int Fail(const std::string& what) {
  std::fprintf(stderr, "ipledger witness: %s\n", what.c_str());
  return 1;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

api::Response Handle(Witness& witness, const api::Request& r) {
  api::Response out;
  std::string path = r.target.substr(0, r.target.find('?'));
  out.route = path;
  if (path == "/add-checkpoint") {
    if (r.method != "POST") {
      out.status = 405;
      out.content_type = "text/plain; charset=utf-8";
      out.headers.emplace_back("allow", "POST");
      out.body = "use POST\n";
      return out;
    }
    WitnessAnswer a = witness.AddCheckpoint(r.body);
    out.status = a.status;
    out.content_type = a.content_type;
    out.body = std::move(a.body);
    return out;
  }
  if (path == "/healthz" && r.method == "GET") {
    out.content_type = "text/plain; charset=utf-8";
    out.body = "ok\n";
    return out;
  }
  out.status = 404;
  out.content_type = "text/plain; charset=utf-8";
  out.body = "not found\n";
  return out;
}

}  // namespace

int RunWitness(int argc, char** argv) {
  auto args =
      ParseCommandLine(argc, argv, 2, OptionSpec{{"data-dir", "listen", "name", "log-vkey"}, {}});
  if (!args.ok()) return UsageError("ipledger witness", args.status().message(), kUsage);
  for (const char* required : {"data-dir", "listen", "name", "log-vkey"}) {
    if (!args->Has(required)) {
      return UsageError("ipledger witness", std::string("--") + required + " is required", kUsage);
    }
  }
  const std::string dir = args->Get("data-dir");
  const std::string name = args->Get("name");
  const std::string listen = args->Get("listen");
  if (!IsValidNoteKeyName(name)) {
    return UsageError("ipledger witness", "--name must be a key name (no spaces or '+')", kUsage);
  }
  const std::size_t colon = listen.rfind(':');
  auto port = colon == std::string::npos ? std::nullopt : ParseDecimalU64(listen.substr(colon + 1));
  if (!port || *port > 65535) {
    return UsageError("ipledger witness", "--listen must be HOST:PORT", kUsage);
  }
  std::vector<NoteVerifier> logs;
  for (const std::string& file : args->values.at("log-vkey")) {
    auto text = ReadWholeFile(file);
    if (!text.ok()) return Fail("--log-vkey " + file + ": " + text.status().ToString());
    auto v = ParseVkey(Trim(*text));
    if (!v || v->type != kNoteSigEd25519)
      return Fail("--log-vkey " + file + ": not an Ed25519 vkey");
    logs.push_back(*v);
  }

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail("cannot create " + dir + ": " + ec.message());
  const std::string key_path = dir + "/witness.key";
  const std::string vkey_path = dir + "/witness.vkey";
  bool created = false;
  if (!std::filesystem::exists(key_path)) {
    if (Status s = WriteKeyFile(key_path, SigningKey::Generate()); !s.ok()) {
      return Fail(s.ToString());
    }
    created = true;
  }
  auto key = ReadKeyFile(key_path);
  if (!key.ok()) return Fail(key.status().ToString());
  const std::string vkey = FormatVkey(MakeCosignatureVerifier(name, key->public_key()));
  if (auto old = ReadWholeFile(vkey_path); old.ok()) {
    if (Trim(*old) != vkey) {
      return Fail(vkey_path + " does not match witness.key under --name " + name +
                  " (the name is part of the key id)");
    }
  } else if (Status s = WriteNewFile(vkey_path, vkey + "\n"); !s.ok()) {
    return Fail(s.ToString());
  }
  if (created) std::printf("ipledger witness: new key; vkey %s\n", vkey.c_str());

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto witness = Witness::Open(name, std::move(*key), logs, dir + "/state");
  if (!witness.ok()) return Fail(witness.status().ToString());
  api::ServerOptions so;
  so.host = listen.substr(0, colon);
  so.port = static_cast<std::uint16_t>(*port);
  so.io_threads = 2;
  Witness& w = **witness;
  auto server =
      api::Server::Start(so, [&w](api::Request r, api::Respond done) { done(Handle(w, r)); });
  if (!server.ok()) return Fail(server.status().ToString());
  std::fprintf(stderr, "{\"event\":\"witness-start\",\"name\":\"%s\",\"logs\":%zu}\n", name.c_str(),
               logs.size());
  std::printf("ipledger witness: listening on http://%s:%u\n", so.host.c_str(), (*server)->port());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Stop();
  return 0;
}

}  // namespace ipledger
