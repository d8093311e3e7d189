// Cosigner: one round = the newest checkpoint to every witness at once, then the quorum.
#include "api/client/cosigner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "api/client/http_client.h"
#include "ledger/base/encoding.h"
#include "ledger/base/log.h"
#include "ledger/log/witness.h"

namespace ipledger::api {

struct Cosigner::WitnessLink {
  PolicyWitness witness;
  std::unique_ptr<Client> client;  // null if the URL cannot be used
  std::string prefix;              // path before /add-checkpoint
  std::uint64_t known_size = 0;    // the size the witness last told us or cosigned
  std::string error;               // why the last request failed, for the log line
  std::string cosignature;         // the verified line of the current round
};

namespace {

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string prefix;
};

std::optional<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl u;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    u.tls = true;
  } else {
    return std::nullopt;
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.prefix = std::string(url.substr(slash));
  while (u.prefix.ends_with("/")) u.prefix.pop_back();
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    u.port = u.tls ? 443 : 80;
    u.host = std::string(authority);
  } else {
    auto p = ParseDecimalU64(authority.substr(colon + 1));
    if (!p || *p == 0 || *p > 65535) return std::nullopt;
    u.port = static_cast<std::uint16_t>(*p);
    u.host = std::string(authority.substr(0, colon));
  }
  if (u.host.starts_with("[") && u.host.ends_with("]"))
    u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty()) return std::nullopt;
  return u;
}

// Asks one witness to cosign `head`; on success sets link.cosignature to the verified
// line. Runs on its own thread; touches only `link` and reads the ledger.
void AskWitness(Cosigner::WitnessLink* link_ptr, const Ledger& ledger, const Head& head);

}  // namespace

QuorumLogThrottle::Line QuorumLogThrottle::Next(bool met, std::chrono::steady_clock::time_point now,
                                                std::string_view why) {
  if (met) {
    const bool was_missing = missing_;
    missing_ = false;
    suppressed_ = 0;
    return was_missing ? Line::kRestored : Line::kMet;
  }
  if (!missing_ || why != why_) {
    missing_ = true;
    why_ = std::string(why);
    last_line_ = now;
    suppressed_ = 0;
    return Line::kMissed;
  }
  if (now - last_line_ >= reminder_) {
    last_line_ = now;
    suppressed_ = 0;  // the caller read the count of the rounds before it
    return Line::kStillMissed;
  }
  ++suppressed_;
  return Line::kNone;
}

Cosigner::Cosigner(const Ledger& ledger, WitnessPolicy policy, CosignerOptions options)
    : ledger_(ledger),
      policy_(std::move(policy)),
      options_(std::move(options)),
      throttle_(options_.missed_reminder) {
  std::optional<CosignedCheckpoint> saved;
  if (auto note = ledger_.CosignedCheckpoint(); note.ok()) {
    if (auto c = OpenCosignedCheckpoint(*note, ledger_.verifier(), policy_); c.ok()) saved = *c;
  }
  for (const PolicyWitness& w : policy_.witnesses) {
    auto link = std::make_unique<WitnessLink>();
    link->witness = w;
    if (auto u = ParseUrl(w.url)) {
      TlsOptions tls;
      tls.enabled = u->tls;
      link->client = std::make_unique<Client>(u->host, u->port, tls);
      link->client->SetTimeout(options_.timeout);
      link->prefix = u->prefix;
    }
    if (saved && saved->witnesses.contains(w.name)) link->known_size = saved->checkpoint.size;
    links_[w.name] = std::move(link);
  }
  {
    MutexLock lock(&mu_);
    if (saved) stats_.cosigned_size = saved->checkpoint.size;
  }
  thread_ = std::thread([this] { Loop(); });
}

Cosigner::~Cosigner() { Stop(); }

void Cosigner::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CosignerStats Cosigner::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

void Cosigner::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else if (LogEnabled(LogLevel::kInfo)) {
    // `line` is a JSON object of the round's fields: written as one structured log line
    // (ts, level, msg first, then those fields).
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::string out = FormatLogLine(now_ms, LogLevel::kInfo, "witness cosignatures", {});
    out.pop_back();  // the closing brace
    WriteLogLine(out + "," + line.substr(1));
  }
}

void Cosigner::Loop() {
  while (true) {
    {
      MutexLock lock(&mu_);
      const auto deadline = std::chrono::steady_clock::now() + options_.interval;
      while (!stop_ && wake_.wait_until(mu_, deadline) != std::cv_status::timeout) {
      }
      if (stop_) return;
    }
    Round();
  }
}

void Cosigner::Round() {
  if (options_.active && !options_.active()) return;
  const Head head = ledger_.head();
  {
    MutexLock lock(&mu_);
    if (head.checkpoint.size <= stats_.cosigned_size && stats_.rounds > 0) return;
    ++stats_.rounds;
  }
  std::vector<std::thread> askers;
  for (auto& [name, link] : links_) {
    link->cosignature.clear();
    link->error.clear();
    if (!link->client) {
      link->error = "no usable URL";
      continue;
    }
    askers.emplace_back(AskWitness, link.get(), std::cref(ledger_), std::cref(head));
  }
  for (std::thread& t : askers) t.join();

  std::string note = head.signed_checkpoint;
  std::string answered = "[", failed = "{";
  for (const auto& [name, link] : links_) {
    if (!link->cosignature.empty()) {
      note += link->cosignature;
      answered += std::string(answered.size() > 1 ? "," : "") + JsonString(name);
    } else {
      failed += std::string(failed.size() > 1 ? "," : "") + JsonString(name) + ":" +
                JsonString(link->error);
    }
  }
  answered += "]";
  failed += "}";
  const std::set<std::string> cosigners = CosigningWitnesses(policy_, note);
  const bool met = QuorumMet(policy_, cosigners);
  Status saved = Status::Ok();
  if (met) saved = ledger_.SaveCosignedCheckpoint(note);
  std::uint64_t cosigned_size = 0;
  {
    MutexLock lock(&mu_);
    stats_.witnesses_last_round = cosigners.size();
    if (met && saved.ok()) {
      stats_.cosigned_size = head.checkpoint.size;
    } else {
      ++stats_.quorum_missed;
    }
    cosigned_size = stats_.cosigned_size;
  }
  const std::string size = std::to_string(head.checkpoint.size);
  using Line = QuorumLogThrottle::Line;
  const std::uint64_t suppressed = throttle_.suppressed();
  std::string why = failed;  // a 409's size or a timeout's figures do not make a new reason
  why.erase(std::remove_if(why.begin(), why.end(), [](char ch) { return ch >= '0' && ch <= '9'; }),
            why.end());
  const Line line = throttle_.Next(met && saved.ok(), std::chrono::steady_clock::now(), why);
  if (line == Line::kMet || line == Line::kRestored) {
    Log("{\"event\":\"cosigned\",\"tree_size\":" + size + ",\"witnesses\":" + answered +
        (failed.size() > 2 ? ",\"failed\":" + failed : "") +
        (line == Line::kRestored ? ",\"quorum_restored\":true" : "") + "}");
  } else if (line == Line::kMissed || line == Line::kStillMissed) {
    // A reminder says how many missing rounds went unlogged since the last line.
    Log("{\"event\":\"cosign-quorum-missed\",\"tree_size\":" + size + ",\"cosigned_size\":" +
        std::to_string(cosigned_size) + ",\"witnesses\":" + answered + ",\"failed\":" + failed +
        (saved.ok() ? "" : ",\"save_error\":" + JsonString(saved.ToString())) +
        (line == Line::kStillMissed
             ? ",\"reminder\":true,\"rounds_not_logged\":" + std::to_string(suppressed)
             : "") +
        "}");
  }
}

namespace {

void AskWitness(Cosigner::WitnessLink* link_ptr, const Ledger& ledger, const Head& head) {
  Cosigner::WitnessLink& link = *link_ptr;
  const std::uint64_t size = head.checkpoint.size;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (link.known_size > size) {
      link.error = "witness is at size " + std::to_string(link.known_size) + ", beyond the log";
      return;
    }
    std::vector<Digest> proof;
    if (link.known_size > 0 && link.known_size < size) {
      auto p = ledger.ProveConsistency(link.known_size, size);
      if (!p.ok()) {
        link.error = p.status().ToString();
        return;
      }
      proof = std::move(*p);
    }
    const std::string body = FormatAddCheckpoint(link.known_size, proof, head.signed_checkpoint);
    auto r = link.client->Request("POST", link.prefix + "/add-checkpoint", body,
                                  "text/plain; charset=utf-8");
    if (!r.ok()) {
      link.error = r.status().message();
      return;
    }
    if (r->status == 409) {
      std::string b = r->body;
      if (!b.empty() && b.back() == '\n') b.pop_back();
      auto hint = ParseDecimalU64(b);
      if (!hint || r->content_type.find(kTlogSizeContentType) == std::string::npos) {
        link.error = "409 without a size";
        return;
      }
      link.known_size = *hint;
      link.error = "409: witness at size " + b;
      continue;
    }
    if (r->status != 200) {
      std::string b = r->body.substr(0, 200);
      while (!b.empty() && b.back() == '\n') b.pop_back();
      link.error = "HTTP " + std::to_string(r->status) + ": " + b;
      return;
    }
    // Keep the answer's lines that verify under this witness's key.
    std::size_t pos = 0;
    while (pos < r->body.size()) {
      std::size_t nl = r->body.find('\n', pos);
      if (nl == std::string::npos) break;
      const std::string line = r->body.substr(pos, nl + 1 - pos);
      pos = nl + 1;
      const NoteVerifier v[1] = {link.witness.verifier};
      if (OpenNote(head.signed_checkpoint + line, std::span<const NoteVerifier>(v))) {
        link.cosignature = line;
        link.known_size = size;
        return;
      }
    }
    link.error = "no cosignature line verifies under the policy's key";
    return;
  }
}

}  // namespace
}  // namespace ipledger::api
