#include "tests/fuzz/targets.h"

#include <utility>
// (utility before Asio in C++20 mode, see style.md)
#include <rocksdb/env.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "api/server/http_types.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "api/server/server.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/init.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/search_certificate.h"
#include "ledger/log/tile.h"
#include "ledger/log/tlog_proof.h"
#include "ledger/map/memory_map.h"
#include "ledger/map/proof.h"
#include "ledger/registry/group_commit.h"
#include "ledger/registry/registry.h"
#include "ledger/registry/statement.h"
#include "tests/fuzz/decode_differential.h"

namespace ipledger::fuzz {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;

Status Broken(std::string what) { return Status::Internal(std::move(what)); }

// Printable for a failure message: the first bytes of `s`, escaped.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      out += hex;
    }
  }
  if (s.size() > 200) out += "...";
  return out + "\"";
}

// --- Fixed keys (tests/vectors/derived/keys.json) --------------------------------------

constexpr std::string_view kLogVkey =
    "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6";
constexpr std::string_view kWitnessCosigVkey =
    "PeterNeumann+18b9780b+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kWitnessNoteVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

const std::vector<NoteVerifier>& Verifiers() {
  static const std::vector<NoteVerifier>* const verifiers = [] {
    auto* v = new std::vector<NoteVerifier>;
    for (std::string_view vkey : {kLogVkey, kWitnessCosigVkey, kWitnessNoteVkey}) {
      std::optional<NoteVerifier> parsed = ParseVkey(vkey);
      if (!parsed) {
        std::fprintf(stderr, "fuzz: the fixed vkey %s does not parse\n", std::string(vkey).c_str());
        std::abort();
      }
      v->push_back(*parsed);
    }
    return v;
  }();
  return *verifiers;
}

// --- Parsers of the log formats --------------------------------------------------------------

Status CheckVkey(std::string_view input) {
  std::optional<NoteVerifier> v = ParseVkey(input);
  if (!v) return Status::Ok();
  if (FormatVkey(*v) != input) {
    return Broken("ParseVkey accepted " + Quote(input) + " but FormatVkey gives " +
                  Quote(FormatVkey(*v)));
  }
  std::optional<NoteVerifier> again = ParseVkey(FormatVkey(*v));
  if (!again || again->name != v->name || again->key_id != v->key_id || again->type != v->type ||
      again->key != v->key) {
    return Broken("FormatVkey output does not parse back to the same verifier");
  }
  return Status::Ok();
}

std::string NoteSignatureLine(const NoteSignature& sig) {
  Bytes raw = {static_cast<std::uint8_t>(sig.key_id >> 24),
               static_cast<std::uint8_t>(sig.key_id >> 16),
               static_cast<std::uint8_t>(sig.key_id >> 8), static_cast<std::uint8_t>(sig.key_id)};
  raw.insert(raw.end(), sig.blob.begin(), sig.blob.end());
  return "\xe2\x80\x94 " + sig.name + " " + Base64Encode(raw) + "\n";
}

}  // namespace

Status FuzzNote(std::string_view input) {
  std::optional<Note> note = ParseNote(input);
  if (note) {
    // A note has exactly one spelling: text, empty line, canonical signature lines.
    std::string rebuilt = note->text + "\n";
    for (const NoteSignature& sig : note->signatures) rebuilt += NoteSignatureLine(sig);
    if (rebuilt != input) {
      return Broken("ParseNote accepted " + Quote(input) + " but its parts rebuild " +
                    Quote(rebuilt));
    }
    if (note->signatures.empty() || note->signatures.size() > 100) {
      return Broken("ParseNote accepted a note with " + std::to_string(note->signatures.size()) +
                    " signatures");
    }
  }
  std::optional<Note> opened = OpenNote(input, Verifiers());
  if (opened) {
    if (!note) return Broken("OpenNote accepted a note ParseNote refuses: " + Quote(input));
    if (opened->text != note->text || opened->signatures.empty()) {
      return Broken("OpenNote returned another text, or no signature, for " + Quote(input));
    }
  }
  for (const NoteSignature& sig : note ? note->signatures : std::vector<NoteSignature>{}) {
    // Must not crash on any blob; the result is checked by the note tests.
    (void)CosignatureTimestamp(sig);
  }
  return CheckVkey(input);
}

Status FuzzCheckpoint(std::string_view input) {
  StatusOr<Checkpoint> cp = ParseCheckpointText(input);
  if (cp.ok()) {
    const std::string text = FormatCheckpointText(*cp);
    if (!input.starts_with(text)) {
      return Broken("ParseCheckpointText accepted " + Quote(input) +
                    " but it does not start with its formatted text " + Quote(text));
    }
    StatusOr<Checkpoint> again = ParseCheckpointText(text);
    if (!again.ok() || !(*again == *cp)) {
      return Broken("FormatCheckpointText output does not parse back: " + Quote(text));
    }
  }
  StatusOr<Checkpoint> opened = OpenCheckpoint(input, Verifiers()[0]);
  if (opened.ok() && opened->origin != Verifiers()[0].name) {
    return Broken("OpenCheckpoint accepted origin " + Quote(opened->origin));
  }
  StatusOr<TlogProof> proof = ParseTlogProof(input);
  if (proof.ok()) {
    const std::string formatted = FormatTlogProof(*proof);
    if (formatted != input) {
      return Broken("ParseTlogProof accepted " + Quote(input) + " but FormatTlogProof gives " +
                    Quote(formatted));
    }
    // Any leaf: verification may fail, but must fail cleanly.
    (void)VerifyTlogProof(input, AsBytes("leaf"), Verifiers()[0]);
  }
  // Search certificates are signed notes of the same shape: whatever parses formats back
  // to exactly the input, and opening one never accepts another origin.
  StatusOr<SearchCertificate> cert = ParseSearchCertificate(input);
  if (cert.ok()) {
    const std::string formatted = FormatSearchCertificate(*cert);
    if (formatted != input) {
      return Broken("ParseSearchCertificate accepted " + Quote(input) +
                    " but FormatSearchCertificate gives " + Quote(formatted));
    }
  }
  StatusOr<SearchCertificate> opened_cert = OpenSearchCertificate(input, Verifiers()[0]);
  if (opened_cert.ok() && opened_cert->origin != Verifiers()[0].name) {
    return Broken("OpenSearchCertificate accepted origin " + Quote(opened_cert->origin));
  }
  return Status::Ok();
}

Status FuzzTilePath(std::string_view input) {
  StatusOr<TileRef> tile = ParseTilePath(input);
  if (!tile.ok()) return Status::Ok();
  if (TilePath(*tile) != input) {
    return Broken("ParseTilePath accepted " + Quote(input) + " but TilePath gives " +
                  Quote(TilePath(*tile)));
  }
  if (tile->width < 1 || tile->width > kTileWidth || tile->level < 0 || tile->level > 63 ||
      (tile->entries && tile->level != 0)) {
    return Broken("ParseTilePath returned an impossible tile for " + Quote(input));
  }
  (void)TileWidthAt(tile->level, tile->index, tile->index * kTileWidth + tile->width);
  return Status::Ok();
}

Status FuzzLeaf(std::string_view input) {
  StatusOr<Entry> entry = DecodeLeaf(input);
  if (entry.ok() && EncodeLeaf(*entry) != input) {
    return Broken("DecodeLeaf accepted " + Quote(input) + " but EncodeLeaf gives " +
                  Quote(EncodeLeaf(*entry)));
  }
  StatusOr<std::int64_t> instant = ParseInstant(input);
  if (instant.ok() && FormatInstant(*instant) != input) {
    return Broken("ParseInstant accepted " + Quote(input) + " but FormatInstant gives " +
                  Quote(FormatInstant(*instant)));
  }
  std::optional<Date> date = ParseDate(input);
  if (date) {
    if (FormatDate(*date) != input) {
      return Broken("ParseDate accepted " + Quote(input) + " but FormatDate gives " +
                    Quote(FormatDate(*date)));
    }
    // The calendar helpers must stay defined over every date ParseDate returns.
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    CivilFromDate(*date, &year, &month, &day);
    if (!(DateFromCivil(year, month, day) == *date)) {
      return Broken("DateFromCivil(CivilFromDate(d)) != d for " + Quote(input));
    }
    (void)AddYears(*date, 1);
    (void)EndOfDateInstant(*date);
  }
  return Status::Ok();
}

// --- JSON codecs ------------------------------------------------------------------------------

Status FuzzEnvelope(std::string_view input) {
  if (Status st = CheckStrictJsonPasses(input); !st.ok()) return st;
  if (Status st = CheckEnvelopePasses(input); !st.ok()) return st;
  StatusOr<DsseEnvelope> envelope = api::DecodeEnvelopeJson(input);
  if (!envelope.ok()) return Status::Ok();
  if (envelope->signatures.empty()) return Broken("an envelope without signatures decoded");
  const std::string encoded = api::EncodeEnvelopeJson(*envelope);
  StatusOr<DsseEnvelope> again = api::DecodeEnvelopeJson(encoded);
  if (!again.ok()) {
    return Broken("EncodeEnvelopeJson output does not decode (" + again.status().message() +
                  "): " + Quote(encoded));
  }
  if (!SameEnvelope(*envelope, *again) || api::EncodeEnvelopeJson(*again) != encoded) {
    return Broken("envelope changed on re-encoding: " + Quote(input));
  }
  return Status::Ok();
}

Status FuzzStatement(std::string_view input) {
  if (Status st = CheckStrictJsonPasses(input); !st.ok()) return st;
  StatusOr<Statement> statement = api::DecodeStatement(input);
  if (!statement.ok()) return Status::Ok();
  if (std::string_view(statement->type) != StatementTypeName(statement->body)) {
    return Broken("decoded type " + Quote(statement->type) + " does not match its body");
  }
  const std::string encoded = api::EncodeStatement(*statement);
  StatusOr<Statement> again = api::DecodeStatement(encoded);
  if (!again.ok()) {
    return Broken("EncodeStatement output does not decode (" + again.status().message() +
                  "): " + Quote(encoded));
  }
  const std::string reencoded = api::EncodeStatement(*again);
  if (reencoded != encoded) {
    return Broken("statement changed on re-encoding: " + Quote(encoded) + " became " +
                  Quote(reencoded));
  }
  return Status::Ok();
}

// --- RFC 9421 ---------------------------------------------------------------------------------

namespace {

const SigningKey& FixedKey(std::string_view id) {
  static std::map<std::string, SigningKey, std::less<>>* const keys =
      new std::map<std::string, SigningKey, std::less<>>;
  static std::mutex mu;
  std::lock_guard<std::mutex> l(mu);
  auto it = keys->find(id);
  if (it == keys->end()) {
    std::optional<SigningKey> key =
        SigningKey::FromSeed(Sha256(AsBytes("participant key " + std::string(id))));
    it = keys->emplace(std::string(id), std::move(*key)).first;
  }
  return it->second;
}

// Noon of 2026-06-01 in Asia/Shanghai: the clock of the http_request target's registry,
// and `created` of the generated seeds.
std::int64_t NowMs() { return EndOfDateInstant(DateFromCivil(2026, 6, 1)) - 12 * 3'600'000 + 1; }

}  // namespace

Status FuzzHttpSignature(std::string_view input) {
  const std::size_t nl = input.find('\n');
  const std::string_view signature_input = input.substr(0, nl);
  const std::string_view signature =
      nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  StatusOr<api::ParsedSignature> parsed = api::ParseSignatureHeaders(signature_input, signature);
  if (!parsed.ok()) return Status::Ok();
  if (parsed->params.alg != "ed25519" || parsed->params.keyid.empty() ||
      signature_input.find(parsed->params_text) == std::string_view::npos) {
    return Broken("ParseSignatureHeaders returned inconsistent parameters for " + Quote(input));
  }
  const SigningKey& key = FixedKey("registry");
  // Verification of arbitrary parameters fails or succeeds, but cleanly, at any clock.
  (void)api::VerifyRequestSignature(*parsed, "GET", "/v1/participants?x=1", key.public_key(),
                                    NowMs() / 1000);
  (void)api::VerifyRequestSignature(*parsed, "POST", "/", key.public_key(), 0, 0);
  (void)api::SignatureBase("GET", "/", parsed->params_text);
  // What parsed can be signed again, and that signature parses to the same values and
  // verifies.
  api::SignatureHeaders h =
      api::SignRequest("GET", "/a?b=c", parsed->params.keyid, parsed->params.created, key);
  StatusOr<api::ParsedSignature> resigned =
      api::ParseSignatureHeaders(h.signature_input, h.signature);
  if (!resigned.ok()) {
    return Broken("SignRequest with keyid " + Quote(parsed->params.keyid) + " created " +
                  std::to_string(parsed->params.created) + " gives headers that do not parse (" +
                  resigned.status().message() + "): " + Quote(h.signature_input));
  }
  if (resigned->params.keyid != parsed->params.keyid ||
      resigned->params.created != parsed->params.created) {
    return Broken("re-signed headers parse to other parameters: " + Quote(h.signature_input));
  }
  Status v = api::VerifyRequestSignature(*resigned, "GET", "/a?b=c", key.public_key(),
                                         parsed->params.created);
  if (!v.ok()) return Broken("a fresh signature does not verify: " + v.message());
  return Status::Ok();
}

// --- HTTP requests through the Router ---------------------------------------------------------

namespace {

// Statements signed by the fixed participant keys, created at NowMs().
Submission SignedSubmission(const std::string& submitter, const std::string& idempotency_key,
                            StatementBody body, const std::vector<std::string>& signers) {
  Submission s;
  s.statement.type = std::string(StatementTypeName(body));
  s.statement.submitter = submitter;
  s.statement.idempotency_key = idempotency_key;
  s.statement.created_ms = NowMs();
  s.statement.body = std::move(body);
  const std::string payload = api::EncodeStatement(s.statement);
  s.envelope.payload_type = std::string(api::kStatementPayloadType);
  s.envelope.payload.assign(payload.begin(), payload.end());
  for (const std::string& id : signers) AddDsseSignature(s.envelope, id + "/k1", FixedKey(id));
  s.envelope_bytes = api::EncodeEnvelopeJson(s.envelope);
  return s;
}

ParticipantRegister ParticipantBody(const std::string& id, Role role) {
  ParticipantRegister b;
  b.id = id;
  b.name = "Participant " + id;
  b.role = role;
  b.region_code = "330802";
  b.keys = {{"k1", FixedKey(id).public_key()}};
  return b;
}

AssetRegister PatentBody(const std::string& application_no, const std::string& holder) {
  AssetRegister b;
  b.asset_id = "patent:" + application_no;
  b.kind = AssetKind::kPatent;
  b.holders = {holder};
  PatentFacts p;
  p.application_no = application_no;
  p.type = PatentType::kInvention;
  p.title = "Patent " + application_no;
  p.filing_date = DateFromCivil(2018, 3, 1);
  p.grant_date = DateFromCivil(2019, 3, 1);
  p.annuity_paid_through = DateFromCivil(2027, 6, 1);
  b.patent = p;
  return b;
}

PledgeRegister PledgeBody(const std::string& pledge_id) {
  PledgeRegister b;
  b.pledge_id = pledge_id;
  b.pledgors = {"lanyu-materials"};
  b.debtor = "lanyu-materials";
  b.collateral = {"patent:2014103620773"};
  b.secured = {SecuredType::kLoan, {100'000'000, "CNY"}};
  b.debt_term = {DateFromCivil(2026, 6, 1), DateFromCivil(2028, 6, 1)};
  b.contract_sha256 = Sha256(AsBytes("contract " + pledge_id));
  return b;
}

void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz: setting up the http_request target: %s\n", what.c_str());
  std::abort();
}

// One registry per process: genesis, two banks' worth of participants, a patent and a
// pledge over it, so that every read route has something to show.
class RouterHarness {
 public:
  RouterHarness() : env_(rocksdb::NewMemEnv(rocksdb::Env::Default())) {
    RegistryOptions options;
    options.ledger.clock = [] { return NowMs(); };
    options.ledger.env = env_.get();
    const std::string dir = "/ipledger-fuzz/db";  // inside the in-memory Env only
    std::optional<SigningKey> log_key = SigningKey::FromSeed(Sha256(AsBytes("fuzz log key")));
    Submission genesis = SignedSubmission(
        "registry", "genesis", ParticipantBody("registry", Role::kRegistry), {"registry"});
    if (Status s = Registry::Create(dir, "fuzz.ipledger/log", *log_key, genesis, options);
        !s.ok()) {
      Die(s.ToString());
    }
    auto opened = Registry::Open(dir, std::move(*log_key), options);
    if (!opened.ok()) Die(opened.status().ToString());
    registry_ = std::move(*opened);
    const std::vector<Submission> setup = {
        SignedSubmission("registry", "setup-1", ParticipantBody("ccb-quzhou", Role::kBank),
                         {"registry"}),
        SignedSubmission("registry", "setup-2",
                         ParticipantBody("lanyu-materials", Role::kEnterprise), {"registry"}),
        SignedSubmission("registry", "setup-3", PatentBody("2014103620773", "lanyu-materials"),
                         {"registry"}),
        SignedSubmission("ccb-quzhou", "setup-4", PledgeBody("PL-1"),
                         {"ccb-quzhou", "lanyu-materials"}),
    };
    for (const Submission& s : setup) {
      auto out = registry_->Submit({&s, 1});
      if (!out.ok()) Die(out.status().ToString());
      if ((*out)[0].kind != OutcomeKind::kAccepted) {
        Die(s.statement.idempotency_key + " was not accepted: " + (*out)[0].detail);
      }
    }
    committer_ = std::make_unique<GroupCommitter>(*registry_, GroupCommitOptions{});
    api::RouterOptions ro;
    ro.clock_seconds = [] { return NowMs() / 1000; };
    ro.log = [](const std::string&) {};
    router_ = std::make_unique<api::Router>(*registry_, *committer_, metrics_, ro);
  }

  ~RouterHarness() {
    committer_->Stop();
    router_.reset();
    committer_.reset();
    registry_.reset();
  }

  // The response to `request`, waiting for writes to be committed.
  StatusOr<api::Response> Handle(api::Request request) {
    struct Pending {
      std::promise<api::Response> promise;
      std::atomic<int> calls{0};
    };
    auto pending = std::make_shared<Pending>();
    std::future<api::Response> answer = pending->promise.get_future();
    router_->Handle(std::move(request), [pending](api::Response r) {
      if (pending->calls.fetch_add(1) == 0) pending->promise.set_value(std::move(r));
    });
    api::Response r = answer.get();
    if (pending->calls.load() != 1) return Broken("the router responded more than once");
    return r;
  }

 private:
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<Registry> registry_;
  api::Metrics metrics_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<api::Router> router_;
};

RouterHarness& Harness() {
  static RouterHarness harness;
  return harness;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

Status CheckResponse(const api::Request& req, const api::Response& r) {
  const std::string what = req.method + " " + Quote(req.target) + " -> " + std::to_string(r.status);
  if (r.status < 200 || r.status > 599) return Broken("status out of range: " + what);
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || value.find_first_of("\r\n") != std::string::npos) {
      return Broken("malformed response header " + Quote(name) + ": " + what);
    }
  }
  const bool is_problem = r.content_type == "application/problem+json";
  if (r.status >= 400 && !is_problem) {
    return Broken("error without a problem body (" + r.content_type + "): " + what);
  }
  if (!is_problem && r.content_type != "application/json") return Status::Ok();
  const json body = json::parse(r.Body(), nullptr, false);
  if (body.is_discarded()) return Broken("body is not JSON: " + what + " " + Quote(r.Body()));
  if (!is_problem) return Status::Ok();
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string() ||
      !body.contains("title") || !body["title"].is_string() || !body.contains("status") ||
      !body["status"].is_number_integer() || body["status"].get<int>() != r.status ||
      !body.contains("detail") || !body["detail"].is_string()) {
    return Broken("malformed problem body: " + what + " " + Quote(r.Body()));
  }
  return Status::Ok();
}

// IPLEDGER_FUZZ_VERBOSE=1 prints every request and its status (for corpus work).
bool Verbose() {
  static const bool verbose = std::getenv("IPLEDGER_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

// The server's conversion of a parsed Beast request (api/server/server.cc).
api::Request ToRequest(http::request<http::string_body>& msg) {
  api::Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.body = std::move(msg.body());
  req.remote = "fuzz";
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = req.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  return req;
}

}  // namespace

Status FuzzHttpRequest(std::string_view input) {
  const api::ServerOptions limits;
  for (int n = 0; n < 4 && !input.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    boost::beast::error_code ec;
    while (!input.empty() && !parser.is_done()) {
      const std::size_t used =
          parser.put(boost::asio::const_buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      if (ec || used == 0) break;
    }
    if (!parser.is_done()) return Status::Ok();  // the server answers 400/413/431 itself
    http::request<http::string_body> msg = parser.release();
    const bool keep_alive = msg.keep_alive();
    api::Request req = ToRequest(msg);
    const api::Request copy = req;
    StatusOr<api::Response> r = Harness().Handle(std::move(req));
    if (!r.ok()) return r.status();
    if (Verbose()) {
      std::fprintf(stderr, "fuzz: %s %s -> %d %s\n", copy.method.c_str(),
                   Quote(copy.target).c_str(), r->status, Quote(r->body.substr(0, 120)).c_str());
    }
    if (Status s = CheckResponse(copy, *r); !s.ok()) return s;
    if (!keep_alive) break;
  }
  return Status::Ok();
}

namespace {

// The map FuzzMapProof checks claims against: 64 assets, each with its own value.
const map::MemoryMap& FuzzMap() {
  static const map::MemoryMap* m = [] {
    auto* built = new map::MemoryMap();
    for (int i = 0; i < 64; ++i) {
      built->Set(map::MapKey("fuzz-asset-" + std::to_string(i)),
                 Sha256(AsBytes("status-" + std::to_string(i))));
    }
    return built;
  }();
  return *m;
}

}  // namespace

Status FuzzMapProof(std::string_view input) {
  auto round_trip = [](std::string_view bytes) -> StatusOr<map::MapProof> {
    StatusOr<map::MapProof> p = map::DecodeMapProof(bytes);
    if (p.ok() && map::EncodeMapProof(*p) != bytes) {
      return Broken("DecodeMapProof accepted " + Quote(bytes) + " but EncodeMapProof differs");
    }
    return p;
  };
  if (input.size() < 32) {
    auto p = round_trip(input);
    if (!p.ok() && p.status().code() == ErrorCode::kInternal) return p.status();
    return Status::Ok();
  }
  map::Hash key;
  std::copy_n(reinterpret_cast<const std::uint8_t*>(input.data()), key.size(), key.begin());
  auto proof = round_trip(input.substr(32));
  if (!proof.ok()) {
    return proof.status().code() == ErrorCode::kInternal ? proof.status() : Status::Ok();
  }
  const map::MemoryMap& m = FuzzMap();
  const std::optional<map::Hash> actual = m.Get(key);
  const map::Hash claimed = actual ? *actual : Sha256(AsBytes("not a status"));
  map::Hash wrong = claimed;
  wrong[0] ^= 1;
  if (map::VerifyMapProof(m.Root(), key, wrong, *proof).ok()) {
    return Broken("VerifyMapProof accepted a wrong value for " + HexEncode(key));
  }
  if (!actual && map::VerifyMapProof(m.Root(), key, claimed, *proof).ok()) {
    return Broken("VerifyMapProof accepted the presence of an absent key " + HexEncode(key));
  }
  if (actual && map::VerifyMapProof(m.Root(), key, std::nullopt, *proof).ok()) {
    return Broken("VerifyMapProof accepted the absence of a present key " + HexEncode(key));
  }
  // The honest proof for the key always verifies.
  if (!map::VerifyMapProof(m.Root(), key, actual, m.Prove(key)).ok()) {
    return Broken("MemoryMap's own proof for " + HexEncode(key) + " does not verify");
  }
  return Status::Ok();
}

std::span<const Target> Targets() {
  static constexpr Target kTargets[] = {
      {"envelope", FuzzEnvelope},
      {"statement", FuzzStatement},
      {"note", FuzzNote},
      {"checkpoint", FuzzCheckpoint},
      {"tile_path", FuzzTilePath},
      {"leaf", FuzzLeaf},
      {"http_signature", FuzzHttpSignature},
      {"http_request", FuzzHttpRequest},
      {"map_proof", FuzzMapProof},
  };
  return kTargets;
}

void Initialize(std::string_view target_name) {
  if (!InitCrypto()) {
    std::fprintf(stderr, "fuzz: libsodium initialization failed\n");
    std::abort();
  }
  (void)Verifiers();
  if (target_name == "http_request") (void)Harness();
}

int RunOrAbort(Status (*target)(std::string_view), const std::uint8_t* data, std::size_t size) {
  Status s = target(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!s.ok()) {
    std::fprintf(stderr, "fuzz: invariant broken: %s\n", s.message().c_str());
    std::abort();
  }
  return 0;
}

// --- Generated seeds ----------------------------------------------------------------------------

namespace {

std::string HttpGet(const std::string& target, const std::string& as = "") {
  std::string out = "GET " + target + " HTTP/1.1\r\nHost: fuzz\r\n";
  if (!as.empty()) {
    api::SignatureHeaders h =
        api::SignRequest("GET", target, as + "/k1", NowMs() / 1000, FixedKey(as));
    out += "Signature-Input: " + h.signature_input + "\r\nSignature: " + h.signature + "\r\n";
  }
  return out + "\r\n";
}

std::string HttpPost(const std::string& target, const std::string& body,
                     const std::string& as = "") {
  std::string out =
      "POST " + target + " HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n";
  if (!as.empty()) {
    api::SignatureHeaders h =
        api::SignRequest("POST", target, as + "/k1", NowMs() / 1000, FixedKey(as));
    out += "Signature-Input: " + h.signature_input + "\r\nSignature: " + h.signature + "\r\n";
  }
  return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::vector<Submission> SeedSubmissions() {
  std::vector<Submission> out;
  out.push_back(SignedSubmission("registry", "seed-1",
                                 ParticipantBody("icbc-jiangshan", Role::kBank), {"registry"}));
  out.push_back(SignedSubmission("registry", "seed-2",
                                 PatentBody("2015100000010", "lanyu-materials"), {"registry"}));
  // Refused: the patent is pledged already (a logged refusal).
  out.push_back(SignedSubmission("ccb-quzhou", "seed-3", PledgeBody("PL-2"),
                                 {"ccb-quzhou", "lanyu-materials"}));
  // Rejected: a missing co-signature (answered and forgotten).
  out.push_back(SignedSubmission("ccb-quzhou", "seed-4", PledgeBody("PL-3"), {"ccb-quzhou"}));
  out.push_back(SignedSubmission(
      "ccb-quzhou", "seed-5", PledgeRelease{"PL-1", ReleaseReason::kRepaid, {}}, {"ccb-quzhou"}));
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> GeneratedSeeds(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  if (target == "envelope" || target == "statement") {
    int n = 0;
    for (const Submission& s : SeedSubmissions()) {
      ++n;
      out.emplace_back("generated-" + std::to_string(n) + ".json",
                       target == "envelope" ? s.envelope_bytes : ToString(s.envelope.payload));
    }
  } else if (target == "leaf") {
    Entry e;
    e.index = 4;
    e.time_ms = NowMs();
    e.type = "pledge.register";
    e.envelope_sha256 = Sha256(AsBytes("envelope"));
    e.parties = {"ccb-quzhou", "lanyu-materials"};
    e.signers = {"ccb-quzhou/k1", "lanyu-materials/k1"};
    e.subjects = {"PL-1", "patent:2014103620773"};
    out.emplace_back("generated-leaf-1", EncodeLeaf(e));
    e.type = std::string(kRefusalType);
    e.refused = "pledge.register";
    e.codes = {"E_ALREADY_PLEDGED", "E_FEE_GRACE"};
    e.subjects = {"a\"b\\c\n\x01\xe4\xb8\xad"};
    out.emplace_back("generated-leaf-2", EncodeLeaf(e));
    Entry genesis;
    genesis.type = "participant.register";
    genesis.parties = {"registry"};
    genesis.signers = {"registry/k1"};
    genesis.subjects = {"registry"};
    out.emplace_back("generated-leaf-3", EncodeLeaf(genesis));
    out.emplace_back("generated-instant-1", FormatInstant(NowMs()));
    out.emplace_back("generated-instant-2", FormatInstant(0));
    out.emplace_back("generated-instant-3", FormatInstant(253'402'300'799'999));
    out.emplace_back("generated-date-1", FormatDate(DateFromCivil(2028, 2, 29)));
    out.emplace_back("generated-date-2", FormatDate(DateFromCivil(1, 1, 1)));
    out.emplace_back("generated-date-3", FormatDate(DateFromCivil(9999, 12, 31)));
  } else if (target == "map_proof") {
    // key || proof for present keys and both kinds of absence.
    const map::MemoryMap& m = FuzzMap();
    int n = 0;
    int kinds[3] = {0, 0, 0};
    for (int i = 0; n < 8 && i < 1000; ++i) {
      const map::Hash key = map::MapKey(i < 3 ? "fuzz-asset-" + std::to_string(i * 20)
                                              : "fuzz-other-" + std::to_string(i));
      const map::MapProof p = m.Prove(key);
      auto& seen = kinds[static_cast<int>(p.kind)];
      if (seen >= 3) continue;
      ++seen;
      out.emplace_back("generated-" + std::to_string(++n), ToString(key) + map::EncodeMapProof(p));
    }
  } else if (target == "http_signature") {
    const std::vector<std::pair<std::string, std::string>> requests = {
        {"GET", "/v1/pledges/PL-1"},
        {"POST", "/v1/precheck"},
        {"GET", "/v1/participants?role=bank"}};
    int n = 0;
    for (const auto& [method, path] : requests) {
      api::SignatureHeaders h =
          api::SignRequest(method, path, "ccb-quzhou/k1", NowMs() / 1000, FixedKey("ccb-quzhou"));
      out.emplace_back("generated-" + std::to_string(++n) + ".txt",
                       h.signature_input + "\n" + h.signature);
    }
  } else if (target == "http_request") {
    const std::vector<Submission> subs = SeedSubmissions();
    out = {
        {"healthz.http", HttpGet("/healthz")},
        {"metrics.http", HttpGet("/metrics")},
        {"checkpoint.http", HttpGet("/log/checkpoint")},
        {"vkey.http", HttpGet("/log/vkey")},
        {"tile.http", HttpGet("/log/tile/0/000.p/5")},
        {"tile-entries.http", HttpGet("/log/tile/entries/000.p/5")},
        {"entry.http", HttpGet("/v1/entries/4", "ccb-quzhou")},
        {"entry-anonymous.http", HttpGet("/v1/entries/1")},
        {"proof.http", HttpGet("/v1/entries/1/proof?size=4")},
        {"tlog-proof.http", HttpGet("/v1/entries/2/tlog-proof")},
        {"consistency.http", HttpGet("/v1/log/consistency?old=2&new=5")},
        {"participants.http", HttpGet("/v1/participants")},
        {"participant.http", HttpGet("/v1/participants/ccb-quzhou")},
        {"asset.http", HttpGet("/v1/assets/patent%3A2014103620773")},
        {"asset-history.http", HttpGet("/v1/assets/patent:2014103620773/history", "registry")},
        {"pledge-status.http",
         HttpGet("/v1/assets/patent:2014103620773/pledge-status?at=2026-06-01", "ccb-quzhou")},
        {"pledge-status-index.http",
         HttpGet("/v1/assets/patent:2014103620773/pledge-status?index=3", "lanyu-materials")},
        {"coverage.http",
         HttpGet("/v1/assets/patent:2014103620773/coverage?date=2026-06-01", "ccb-quzhou")},
        {"pledge.http", HttpGet("/v1/pledges/PL-1", "ccb-quzhou")},
        {"policy.http", HttpGet("/v1/policies/POL-1", "registry")},
        {"valuation.http", HttpGet("/v1/valuations/V-1", "registry")},
        {"case.http", HttpGet("/v1/cases/C-1", "registry")},
        {"unauthenticated.http", HttpGet("/v1/pledges/PL-1")},
        {"not-found.http", HttpGet("/v2/nothing")},
        {"bad-query.http", HttpGet("/v1/participants?a=%zz&a=1")},
        {"method-not-allowed.http", "DELETE /healthz HTTP/1.1\r\nHost: fuzz\r\n\r\n"},
        {"pipelined.http", HttpGet("/healthz") + HttpGet("/v1/entries/0") +
                               "GET /log/vkey HTTP/1.1\r\nConnection: close\r\n\r\n"},
        {"chunked.http",
         "POST /v1/entries HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n"},
        {"post-accepted.http", HttpPost("/v1/entries", subs[0].envelope_bytes)},
        {"post-accepted-2.http", HttpPost("/v1/entries", subs[1].envelope_bytes)},
        {"post-refused.http", HttpPost("/v1/entries", subs[2].envelope_bytes)},
        {"post-rejected.http", HttpPost("/v1/entries", subs[3].envelope_bytes)},
        {"post-release.http", HttpPost("/v1/entries", subs[4].envelope_bytes)},
        {"precheck.http", HttpPost("/v1/precheck", subs[2].envelope_bytes, "ccb-quzhou")},
        {"post-schema.http", HttpPost("/v1/entries", "{\"payloadType\":1}")},
    };
  }
  return out;
}

}  // namespace ipledger::fuzz
