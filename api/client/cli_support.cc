#include "api/client/cli_support.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "api/codec/internal/strict_json.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/dsse.h"
#include "ledger/base/encoding.h"
#include "ledger/log/merkle.h"
#include "ledger/log/tlog_proof.h"

namespace ipledger::api {
namespace {

using nlohmann::json;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Server answers go through the same strict reader as statements: a duplicate key or a
// hostile nesting depth makes the answer unreadable rather than ambiguous.
json ParseOrDiscard(std::string_view text) {
  std::string error;
  json j = ParseStrictJson(text, "answer", &error);
  return error.empty() ? j : json(json::value_t::discarded);
}

// Reads the members of one JSON object into typed fields, keeping the first error. The
// path names the object ("pledges[2].debt_term") in messages.
class Reader {
 public:
  Reader(const json& obj, std::string path, Status* status)
      : obj_(obj), path_(std::move(path)), status_(status) {
    if (!obj_.is_object()) Fail("", "must be a JSON object");
  }

  bool ok() const { return status_->ok(); }

  // The member `key`, or null if absent (an error if `required`).
  const json* Find(std::string_view key, bool required = true) {
    if (!ok() || !obj_.is_object()) return nullptr;
    auto it = obj_.find(std::string(key));
    if (it == obj_.end()) {
      if (required) Fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  void Str(std::string_view key, std::string* out, bool required = true) {
    const json* v = Find(key, required);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(key, "must be a string");
    *out = v->get_ref<const std::string&>();
  }
  void OptStr(std::string_view key, std::optional<std::string>* out) {
    std::string s;
    const json* v = Find(key, false);
    if (v == nullptr) return;
    Str(key, &s);
    if (ok()) *out = std::move(s);
  }
  void U64(std::string_view key, std::uint64_t* out) {
    const json* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_number_unsigned()) return Fail(key, "must be an integer >= 0");
    *out = v->get<std::uint64_t>();
  }
  void OptI64(std::string_view key, std::optional<std::int64_t>* out) {
    const json* v = Find(key, false);
    if (v == nullptr) return;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() <= 0x7fffffffffffffffull) {
      *out = static_cast<std::int64_t>(v->get<std::uint64_t>());
    } else if (v->is_number_integer() && !v->is_number_unsigned()) {
      *out = v->get<std::int64_t>();
    } else {
      Fail(key, "must be an integer");
    }
  }
  void Bool(std::string_view key, bool* out) {
    const json* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(key, "must be true or false");
    *out = v->get<bool>();
  }
  void Strings(std::string_view key, std::vector<std::string>* out, bool required = true) {
    const json* v = Find(key, required);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(key, "must be an array of strings");
    for (const json& s : *v) {
      if (!s.is_string()) return Fail(key, "must be an array of strings");
      out->push_back(s.get<std::string>());
    }
  }
  void U64s(std::string_view key, std::vector<std::uint64_t>* out, bool required = true) {
    const json* v = Find(key, required);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(key, "must be an array of integers");
    for (const json& n : *v) {
      if (!n.is_number_unsigned()) return Fail(key, "must be an array of integers >= 0");
      out->push_back(n.get<std::uint64_t>());
    }
  }
  void Base64(std::string_view key, Bytes* out) {
    std::string s;
    Str(key, &s);
    if (!ok()) return;
    auto b = Base64Decode(s);
    if (!b) return Fail(key, "must be base64");
    *out = std::move(*b);
  }
  void Digests(std::string_view key, std::vector<Digest>* out, bool required = true) {
    std::vector<std::string> list;
    Strings(key, &list, required);
    for (const std::string& s : list) {
      auto b = Base64Decode(s);
      std::optional<Digest> d = b ? DigestFromBytes(*b) : std::nullopt;
      if (!d) return Fail(key, "must be an array of base64 SHA-256 hashes");
      out->push_back(*d);
    }
  }
  void MoneyAt(std::string_view key, Money* out) {
    const json* v = Find(key);
    if (v == nullptr) return;
    Reader m = Sub(key);
    std::optional<std::int64_t> amount;
    m.OptI64("amount_fen", &amount);
    if (ok() && !amount) return Fail(std::string(key) + ".amount_fen", "missing");
    m.Str("currency", &out->currency);
    if (ok()) out->amount = *amount;
  }
  // A reader over the object member `key` (which must be present).
  Reader Sub(std::string_view key) {
    static const json kEmpty = json::object();
    const json* v = Find(key);
    return Reader(v == nullptr ? kEmpty : *v, Join(key), status_);
  }

  std::string Join(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  void Fail(std::string_view key, std::string_view problem) {
    if (!ok()) return;
    std::string where = key.empty() ? path_ : Join(key);
    *status_ =
        Status::InvalidArgument((where.empty() ? "answer" : where) + ": " + std::string(problem));
  }

 private:
  const json& obj_;
  std::string path_;
  Status* status_;
};

// Parses `text` as a JSON object for a Reader; kInvalidArgument naming `what`.
StatusOr<json> ParseObject(std::string_view text, std::string_view what) {
  json j = ParseOrDiscard(text);
  if (j.is_discarded()) return Status::InvalidArgument(std::string(what) + " is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(std::string(what) + " is not a JSON object");
  return j;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

// --- Statements and envelopes ------------------------------------------------------------

StatusOr<std::string> CompleteStatementJson(std::string_view text, std::int64_t now_ms,
                                            std::string_view idempotency_key) {
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
  const json j = ParseOrDiscard(text);
  if (j.is_discarded()) {
    return Status::InvalidArgument("statement: not valid JSON (syntax error or invalid UTF-8)");
  }
  if (!j.is_object()) return Status::InvalidArgument("statement: must be a JSON object");
  std::string added;
  if (!j.contains("created")) added += "\"created\":" + Dump(FormatInstant(now_ms));
  if (!j.contains("idempotency_key")) {
    if (!added.empty()) added += ",";
    added += "\"idempotency_key\":" + Dump(std::string(idempotency_key));
  }
  std::string out(text);
  if (added.empty()) return out;
  // The object parsed, so its first non-space byte (after a byte order mark, which
  // DecodeStatement then refuses) is its '{'.
  const size_t brace = out.find('{');
  if (brace == std::string::npos) return Status::InvalidArgument("statement: no '{'");
  if (!j.empty()) added += ",";
  out.insert(brace + 1, added);
  return out;
}

StatusOr<std::string> SignStatementJson(std::string_view statement_json,
                                        const std::vector<EnvelopeSigner>& signers) {
  if (signers.empty()) return Status::InvalidArgument("at least one signing key is needed");
  auto statement = DecodeStatement(statement_json);
  if (!statement.ok()) return statement.status();
  DsseEnvelope env;
  env.payload_type = std::string(kStatementPayloadType);
  env.payload.assign(statement_json.begin(), statement_json.end());
  for (const EnvelopeSigner& s : signers) {
    if (s.key == nullptr) return Status::InvalidArgument("no key for " + s.keyid);
    AddDsseSignature(env, s.keyid, *s.key);
  }
  return EncodeEnvelopeJson(env);
}

StatusOr<std::string> CosignEnvelopeJson(std::string_view envelope_json,
                                         const std::vector<EnvelopeSigner>& signers) {
  if (signers.empty()) return Status::InvalidArgument("at least one signing key is needed");
  auto env = DecodeEnvelopeJson(envelope_json);
  if (!env.ok()) return env.status();
  if (env->payload_type != kStatementPayloadType) {
    return Status::InvalidArgument("envelope: payloadType must be " +
                                   std::string(kStatementPayloadType));
  }
  auto statement = DecodeStatement(ToString(env->payload));
  if (!statement.ok()) return statement.status();
  for (const EnvelopeSigner& s : signers) {
    if (s.key == nullptr) return Status::InvalidArgument("no key for " + s.keyid);
    for (const DsseSignature& existing : env->signatures) {
      if (existing.keyid == s.keyid) {
        return Status::InvalidArgument(s.keyid + " has signed this envelope already");
      }
    }
    AddDsseSignature(*env, s.keyid, *s.key);
  }
  return EncodeEnvelopeJson(*env);
}

StatusOr<EnvelopeSummary> SummarizeEnvelope(std::string_view envelope_json) {
  auto env = DecodeEnvelopeJson(envelope_json);
  if (!env.ok()) return env.status();
  if (env->payload_type != kStatementPayloadType) {
    return Status::InvalidArgument("envelope: payloadType must be " +
                                   std::string(kStatementPayloadType));
  }
  auto st = DecodeStatement(ToString(env->payload));
  if (!st.ok()) return st.status();
  EnvelopeSummary s;
  s.type = st->type;
  s.submitter = st->submitter;
  for (const DsseSignature& sig : env->signatures) s.keyids.push_back(sig.keyid);
  s.sha256 = Sha256(AsBytes(envelope_json));
  return s;
}

// --- The server --------------------------------------------------------------------------

StatusOr<ServerAddress> ParseServerUrl(std::string_view url) {
  const std::string what = "server URL '" + std::string(url) + "'";
  const bool tls = url.starts_with("https://");
  if (!tls && !url.starts_with("http://")) {
    return Status::InvalidArgument(what + " must be http://HOST:PORT or https://HOST:PORT");
  }
  std::string_view rest = url.substr(tls ? 8 : 7);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return Status::InvalidArgument(what + " must be http(s)://[IPv6]:PORT");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument(what + " needs a port: http(s)://HOST:PORT");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  auto p = ParseDecimalU64(port);
  if (host.empty() || host.find_first_of("/?#@ ") != std::string_view::npos || !p || *p == 0 ||
      *p > 65535) {
    return Status::InvalidArgument(what + " must be http(s)://HOST:PORT with a port 1-65535");
  }
  return ServerAddress{std::string(host), static_cast<std::uint16_t>(*p), tls};
}

std::string EscapePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : segment) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("._~:@-").find(c) != std::string_view::npos;
    if (keep) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

StatusOr<NoteVerifier> FetchVkey(Client& client) {
  auto r = client.Request("GET", "/log/vkey");
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::InvalidArgument("GET /log/vkey answered HTTP " + std::to_string(r->status));
  }
  std::string_view text = r->body;
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
  auto v = ParseVkey(text);
  if (!v) return Status::InvalidArgument("GET /log/vkey answered no valid vkey");
  return *v;
}

StatusOr<std::vector<Digest>> FetchConsistencyProof(Client& client, std::uint64_t old_size,
                                                    std::uint64_t new_size) {
  const std::string target =
      "/v1/log/consistency?old=" + std::to_string(old_size) + "&new=" + std::to_string(new_size);
  auto r = client.Request("GET", target);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::InvalidArgument("GET " + target + " answered HTTP " + std::to_string(r->status));
  }
  auto j = ParseObject(r->body, "consistency proof");
  if (!j.ok()) return j.status();
  Status s;
  Reader reader(*j, "", &s);
  std::uint64_t old_got = 0;
  std::uint64_t new_got = 0;
  std::vector<Digest> hashes;
  reader.U64("old", &old_got);
  reader.U64("new", &new_got);
  reader.Digests("hashes", &hashes);
  if (!s.ok()) return s;
  if (old_got != old_size || new_got != new_size) {
    return Status::InvalidArgument("GET " + target + " answered a proof from " +
                                   std::to_string(old_got) + " to " + std::to_string(new_got));
  }
  return hashes;
}

StatusOr<Entry> FetchProvenEntry(Client& client, std::uint64_t index, const Checkpoint& cp) {
  const std::string target = "/v1/entries/" + std::to_string(index);
  auto r = client.Request("GET", target);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::InvalidArgument("GET " + target + " answered HTTP " + std::to_string(r->status));
  }
  auto j = ParseObject(r->body, "entry");
  if (!j.ok()) return j.status();
  Status s;
  Bytes leaf;
  Reader(*j, "", &s).Base64("leaf", &leaf);
  if (!s.ok()) return s;
  const std::string proof_target = target + "/proof?size=" + std::to_string(cp.size);
  auto p = client.Request("GET", proof_target);
  if (!p.ok()) return p.status();
  if (p->status != 200) {
    return Status::InvalidArgument("GET " + proof_target + " answered HTTP " +
                                   std::to_string(p->status));
  }
  auto pj = ParseObject(p->body, "inclusion proof");
  if (!pj.ok()) return pj.status();
  std::vector<Digest> hashes;
  Reader(*pj, "", &s).Digests("hashes", &hashes);
  if (!s.ok()) return s;
  if (Status v = VerifyInclusion(index, cp.size, LeafHash(leaf), hashes, cp.root); !v.ok()) {
    return Status::FailedPrecondition("entry " + std::to_string(index) +
                                      " is not proved included in the checkpoint of tree size " +
                                      std::to_string(cp.size) + ": " + v.message());
  }
  auto entry = DecodeLeaf(ToString(leaf));
  if (!entry.ok() || entry->index != index) {
    return Status::FailedPrecondition("entry " + std::to_string(index) +
                                      " is not a canonical leaf of that index");
  }
  return *entry;
}

// --- Answers -------------------------------------------------------------------------------

std::string FormatMoney(const Money& m) {
  const bool negative = m.amount < 0;
  // Magnitude in unsigned arithmetic, so INT64_MIN does not overflow.
  const std::uint64_t fen =
      negative ? 0 - static_cast<std::uint64_t>(m.amount) : static_cast<std::uint64_t>(m.amount);
  // Grouped by appending (GCC 12 -O3 warns falsely on std::string::insert, -Wrestrict).
  const std::string digits = std::to_string(fen / 100);
  std::string units;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) units.push_back(',');
    units.push_back(digits[i]);
  }
  const std::uint64_t cents = fen % 100;
  std::string s = units + "." + (cents < 10 ? "0" : "") + std::to_string(cents);
  if (negative) s = "-" + s;
  return m.currency == "CNY" ? "¥" + s : m.currency + " " + s;
}

StatusOr<Receipt> ParseReceiptJson(std::string_view text) {
  auto j = ParseObject(text, "receipt");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "receipt", &s);
  Receipt out;
  r.U64("index", &out.index);
  r.Base64("leaf", &out.leaf);
  r.Str("leaf_hash", &out.leaf_hash);
  r.Str("integrated_time", &out.integrated_time);
  r.Str("checkpoint", &out.checkpoint, false);
  r.Digests("inclusion_proof", &out.inclusion_proof, false);
  r.Str("tlog_proof", &out.tlog_proof);
  r.Strings("warnings", &out.warnings, false);
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::string> ClaimedOriginOfReceipt(const Receipt& r) {
  auto proof = ParseTlogProof(r.tlog_proof);
  if (!proof.ok()) return Status::InvalidArgument("tlog_proof: " + proof.status().message());
  auto note = ParseNote(proof->checkpoint);
  if (!note) return Status::InvalidArgument("tlog_proof: its checkpoint is not a signed note");
  auto cp = ParseCheckpointText(note->text);
  if (!cp.ok()) return Status::InvalidArgument("tlog_proof: " + cp.status().message());
  return cp->origin;
}

StatusOr<VerifiedReceipt> VerifyReceipt(const Receipt& r, const NoteVerifier& log_key) {
  const std::string hash = HexEncode(LeafHash(r.leaf));
  if (hash != r.leaf_hash) {
    return Status::FailedPrecondition("leaf_hash " + r.leaf_hash +
                                      " is not the hash of the receipt's leaf (" + hash + ")");
  }
  auto entry = DecodeLeaf(ToString(r.leaf));
  if (!entry.ok()) {
    return Status::FailedPrecondition("leaf is not a canonical ipledger leaf: " +
                                      entry.status().message());
  }
  if (entry->index != r.index) {
    return Status::FailedPrecondition("the leaf says index " + std::to_string(entry->index) +
                                      ", the receipt " + std::to_string(r.index));
  }
  auto proof = ParseTlogProof(r.tlog_proof);
  if (!proof.ok()) return Status::InvalidArgument("tlog_proof: " + proof.status().message());
  if (proof->index != r.index) {
    return Status::FailedPrecondition("tlog_proof is for index " + std::to_string(proof->index) +
                                      ", the receipt for " + std::to_string(r.index));
  }
  auto cp = VerifyTlogProof(r.tlog_proof, r.leaf, log_key);
  if (!cp.ok()) {
    return Status::FailedPrecondition("tlog_proof does not verify with the vkey of " +
                                      log_key.name + ": " + cp.status().message());
  }
  if (!r.checkpoint.empty() && r.checkpoint != proof->checkpoint) {
    return Status::FailedPrecondition("the receipt's checkpoint is not the tlog_proof's");
  }
  if (!r.inclusion_proof.empty() && r.inclusion_proof != proof->inclusion_proof) {
    return Status::FailedPrecondition("the receipt's inclusion_proof is not the tlog_proof's");
  }
  return VerifiedReceipt{std::move(*entry), *cp};
}

StatusOr<ProblemDetails> ParseProblemJson(std::string_view text) {
  auto j = ParseObject(text, "problem");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "problem", &s);
  ProblemDetails out;
  std::uint64_t status = 0;
  r.U64("status", &status);
  r.Str("type", &out.type, false);
  r.Str("title", &out.title, false);
  r.Str("detail", &out.detail, false);
  r.Strings("codes", &out.codes, false);
  if (r.Find("refusal_index", false) != nullptr) {
    std::uint64_t i = 0;
    r.U64("refusal_index", &i);
    out.refusal_index = i;
  }
  if (const json* receipt = r.Find("receipt", false); receipt != nullptr) {
    out.receipt_json = Dump(*receipt);
  }
  if (!s.ok()) return s;
  out.status = static_cast<int>(std::min<std::uint64_t>(status, 999));
  return out;
}

namespace {

Status ReadPledge(const json& j, const std::string& path, PledgeView* p) {
  Status s;
  Reader r(j, path, &s);
  r.Str("pledge_id", &p->pledge_id);
  r.Str("pledgee", &p->pledgee);
  r.Strings("pledgors", &p->pledgors);
  r.Str("debtor", &p->debtor, false);
  r.Strings("collateral", &p->collateral, false);
  r.Str("state", &p->state);
  r.U64("registered_index", &p->registered_index);
  r.Str("registered_at", &p->registered_at, false);
  r.OptStr("official_reg_no", &p->official_reg_no);
  r.OptStr("case_id", &p->case_id);
  if (r.Find("debt_term", false) != nullptr) {
    Reader t = r.Sub("debt_term");
    t.Str("start", &p->debt_term_start);
    t.Str("end", &p->debt_term_end);
  }
  if (r.Find("secured", false) != nullptr) {
    Reader sec = r.Sub("secured");
    std::string type;
    Money amount;
    sec.Str("type", &type);
    sec.MoneyAt("amount", &amount);
    p->secured_type = type;
    p->secured = amount;
  }
  r.OptI64("ltv_bps", &p->ltv_bps);
  r.U64s("evidence", &p->evidence, false);
  return s;
}

void ReadAsOf(Reader& r, std::uint64_t* index, std::string* checkpoint) {
  Reader a = r.Sub("as_of");
  a.U64("index", index);
  a.Str("checkpoint", checkpoint);
}

}  // namespace

StatusOr<PledgeStatusAnswer> ParsePledgeStatusJson(std::string_view text) {
  auto j = ParseObject(text, "pledge-status answer");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "", &s);
  PledgeStatusAnswer out;
  r.Str("asset", &out.asset);
  r.Bool("pledged", &out.pledged);
  ReadAsOf(r, &out.as_of_index, &out.checkpoint);
  r.Str("certificate", &out.certificate);
  if (const json* pledges = r.Find("pledges"); pledges != nullptr) {
    if (!pledges->is_array()) return Status::InvalidArgument("pledges: must be an array");
    for (size_t i = 0; i < pledges->size() && s.ok(); ++i) {
      PledgeView p;
      s = ReadPledge((*pledges)[i], "pledges[" + std::to_string(i) + "]", &p);
      out.pledges.push_back(std::move(p));
    }
  }
  if (const json* evidence = r.Find("evidence"); evidence != nullptr) {
    if (!evidence->is_array()) return Status::InvalidArgument("evidence: must be an array");
    for (size_t i = 0; i < evidence->size() && s.ok(); ++i) {
      Evidence e;
      Reader er((*evidence)[i], "evidence[" + std::to_string(i) + "]", &s);
      er.U64("index", &e.index);
      er.Base64("leaf", &e.leaf);
      er.Digests("inclusion_proof", &e.inclusion_proof);
      out.evidence.push_back(std::move(e));
    }
  }
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::string> CertificateOfResponse(std::string_view text) {
  auto j = ParseObject(text, "pledge-status answer");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "", &s);
  std::string cert;
  r.Str("certificate", &cert);
  if (!s.ok()) return s;
  return cert;
}

StatusOr<std::string> ClaimedOriginOfCertificate(std::string_view note) {
  auto parsed = ParseNote(note);
  if (!parsed) return Status::InvalidArgument("the certificate is not a signed note");
  auto cert = ParseSearchCertificate(parsed->text);
  if (!cert.ok()) return cert.status();
  return cert->origin;
}

StatusOr<VerifiedCertificate> VerifyCertificate(std::string_view note,
                                                const NoteVerifier& log_key) {
  auto opened = OpenSearchCertificate(note, log_key);
  if (!opened.ok()) return opened.status();
  VerifiedCertificate out;
  out.certificate = std::move(*opened);
  out.lines = SplitLines(FormatSearchCertificate(out.certificate));
  if (!out.lines.empty() && out.lines.back().empty()) out.lines.pop_back();
  return out;
}

StatusOr<Checkpoint> VerifyPledgeStatus(const PledgeStatusAnswer& a, const NoteVerifier& log_key) {
  auto cert = VerifyCertificate(a.certificate, log_key);
  if (!cert.ok()) return cert.status();
  auto cp = OpenCheckpoint(a.checkpoint, log_key);
  if (!cp.ok()) {
    return Status::FailedPrecondition("as_of.checkpoint does not verify: " + cp.status().message());
  }
  // What the certificate must say for this answer; the first differing line is named.
  SearchCertificate want;
  want.origin = log_key.name;
  want.asset = a.asset;
  want.as_of_index = a.as_of_index;
  want.tree_size = cp->size;
  want.root = cp->root;
  want.pledged = a.pledged;
  // The map line is checked against the answer's status_map (api/client/status_proof.h).
  want.map_version = cert->certificate.map_version;
  want.map_root = cert->certificate.map_root;
  for (const PledgeView& p : a.pledges) {
    want.pledges.push_back({p.pledge_id, p.pledgee, p.state, p.registered_index});
  }
  if (cert->certificate != want) {
    std::vector<std::string> want_lines = SplitLines(FormatSearchCertificate(want));
    if (!want_lines.empty() && want_lines.back().empty()) want_lines.pop_back();
    for (size_t i = 0; i < std::max(want_lines.size(), cert->lines.size()); ++i) {
      const std::string got = i < cert->lines.size() ? cert->lines[i] : "(nothing)";
      const std::string expected = i < want_lines.size() ? want_lines[i] : "(nothing)";
      if (got != expected) {
        return Status::FailedPrecondition("the certificate says '" + got +
                                          "' where the answer implies '" + expected + "'");
      }
    }
  }
  if (a.pledged != !a.pledges.empty()) {
    return Status::FailedPrecondition("pledged is inconsistent with the pledges listed");
  }
  if (a.as_of_index >= cp->size) {
    return Status::FailedPrecondition("as_of.index is beyond the checkpoint's tree size");
  }
  std::map<std::uint64_t, Entry> proven;
  for (const Evidence& e : a.evidence) {
    auto entry = DecodeLeaf(ToString(e.leaf));
    if (!entry.ok() || entry->index != e.index) {
      return Status::FailedPrecondition("evidence " + std::to_string(e.index) +
                                        ": the leaf is not canonical or has another index");
    }
    if (Status s =
            VerifyInclusion(e.index, cp->size, LeafHash(e.leaf), e.inclusion_proof, cp->root);
        !s.ok()) {
      return Status::FailedPrecondition("evidence " + std::to_string(e.index) +
                                        ": inclusion proof does not verify against the "
                                        "checkpoint of size " +
                                        std::to_string(cp->size) + ": " + s.message());
    }
    proven.emplace(e.index, std::move(*entry));
  }
  for (const PledgeView& p : a.pledges) {
    for (std::uint64_t i : p.evidence) {
      if (!proven.contains(i)) {
        return Status::FailedPrecondition("pledge " + p.pledge_id + " cites entry " +
                                          std::to_string(i) + ", which the answer does not prove");
      }
    }
    auto reg = proven.find(p.registered_index);
    if (reg == proven.end()) {
      return Status::FailedPrecondition("pledge " + p.pledge_id + ": its registration (entry " +
                                        std::to_string(p.registered_index) + ") is not proven");
    }
    const Entry& e = reg->second;
    const auto names = [&e](const std::string& id) {
      return std::find(e.subjects.begin(), e.subjects.end(), id) != e.subjects.end();
    };
    if (e.type != "pledge.register" || !names(p.pledge_id) || !names(a.asset)) {
      return Status::FailedPrecondition("entry " + std::to_string(p.registered_index) +
                                        " is not the registration of pledge " + p.pledge_id +
                                        " over " + a.asset);
    }
  }
  return *cp;
}

StatusOr<CoverageAnswer> ParseCoverageJson(std::string_view text) {
  auto j = ParseObject(text, "coverage answer");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "", &s);
  CoverageAnswer out;
  r.Str("asset", &out.asset);
  r.Str("date", &out.date, false);
  r.Bool("covered", &out.covered);
  ReadAsOf(r, &out.as_of_index, &out.checkpoint);
  if (const json* policies = r.Find("policies"); policies != nullptr) {
    if (!policies->is_array()) return Status::InvalidArgument("policies: must be an array");
    for (size_t i = 0; i < policies->size() && s.ok(); ++i) {
      PolicyView p;
      Reader pr((*policies)[i], "policies[" + std::to_string(i) + "]", &s);
      pr.Str("policy_id", &p.policy_id);
      pr.Str("insurer", &p.insurer);
      pr.Str("product", &p.product, false);
      pr.Str("insured", &p.insured, false);
      Reader period = pr.Sub("period");
      period.Str("start", &p.period_start);
      period.Str("end", &p.period_end);
      Reader limits = pr.Sub("limits");
      limits.MoneyAt("per_claim", &p.per_claim);
      limits.MoneyAt("aggregate", &p.aggregate);
      limits.MoneyAt("deductible", &p.deductible);
      pr.MoneyAt("remaining_aggregate", &p.remaining_aggregate);
      pr.Strings("loss_payees", &p.loss_payees, false);
      if (pr.Find("issued_index", false) != nullptr) pr.U64("issued_index", &p.issued_index);
      out.policies.push_back(std::move(p));
    }
  }
  if (!s.ok()) return s;
  return out;
}

// --- Regulators: statistics and audit ----------------------------------------------------

std::string FormatBps(std::int64_t bps, bool sign) {
  const bool negative = bps < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(bps) : static_cast<std::uint64_t>(bps);
  const std::uint64_t hundredths = magnitude % 100;
  std::string s = std::to_string(magnitude / 100) + "." + (hundredths < 10 ? "0" : "") +
                  std::to_string(hundredths) + "%";
  if (negative) return "-" + s;
  return sign && magnitude != 0 ? "+" + s : s;
}

namespace {

// A money object ({"amount_fen": N, "currency": C}) read by `r`.
void ReadMoney(Reader& r, Money* out) {
  std::optional<std::int64_t> amount;
  r.OptI64("amount_fen", &amount);
  if (r.ok() && !amount) r.Fail("amount_fen", "missing");
  r.Str("currency", &out->currency);
  if (r.ok()) out->amount = *amount;
}

Status ReadFigures(const json& j, const std::string& path, StatsFigures* f) {
  Status s;
  Reader r(j, path, &s);
  r.MoneyAt("amount", &f->amount);
  if (const json* amounts = r.Find("amounts"); amounts != nullptr) {
    if (!amounts->is_array())
      return Status::InvalidArgument(r.Join("amounts") + ": must be an array");
    for (size_t i = 0; i < amounts->size() && s.ok(); ++i) {
      Reader m((*amounts)[i], r.Join("amounts[" + std::to_string(i) + "]"), &s);
      Money money;
      ReadMoney(m, &money);
      f->amounts.push_back(std::move(money));
    }
  }
  r.U64("registrations", &f->registrations);
  r.U64("cases", &f->cases);
  r.U64("enterprises", &f->enterprises);
  Reader items = r.Sub("ip_items");
  items.U64("patent", &f->patents);
  items.U64("trademark", &f->trademarks);
  items.U64("data", &f->data);
  r.U64("inclusive_enterprises", &f->inclusive_enterprises);
  std::optional<std::int64_t> share;
  r.OptI64("inclusive_share_bps", &share);
  if (s.ok() && !share) r.Fail("inclusive_share_bps", "missing");
  if (s.ok()) f->inclusive_share_bps = *share;
  return s;
}

// An integer or null (nullopt); the member must be present.
void ReadNullableI64(Reader& r, std::string_view key, std::optional<std::int64_t>* out) {
  const json* v = r.Find(key);
  if (v == nullptr || v->is_null()) return;
  r.OptI64(key, out);
}

}  // namespace

StatusOr<StatsAnswer> ParseStatsJson(std::string_view text) {
  auto j = ParseObject(text, "stats answer");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "", &s);
  StatsAnswer out;
  ReadAsOf(r, &out.as_of_index, &out.checkpoint);
  Reader w = r.Sub("window");
  w.Str("from", &out.from);
  w.Str("to", &out.to);
  w.Str("region", &out.region, false);
  w.Str("group_by", &out.group_by, false);
  std::optional<std::int64_t> threshold;
  w.OptI64("inclusive_threshold_fen", &threshold);
  out.inclusive_threshold_fen = threshold.value_or(0);
  Reader yoy = r.Sub("yoy_bps");
  ReadNullableI64(yoy, "amount", &out.yoy_amount_bps);
  ReadNullableI64(yoy, "registrations", &out.yoy_registrations_bps);
  ReadNullableI64(yoy, "enterprises", &out.yoy_enterprises_bps);
  if (!s.ok()) return s;
  for (const char* key : {"totals", "previous_year"}) {
    const json* figures = r.Find(key);
    if (!s.ok()) return s;
    s = ReadFigures(*figures, key,
                    std::string_view(key) == "totals" ? &out.totals : &out.previous_year);
    if (!s.ok()) return s;
  }
  if (const json* groups = r.Find("groups", false); groups != nullptr) {
    if (!groups->is_array()) return Status::InvalidArgument("groups: must be an array");
    for (size_t i = 0; i < groups->size() && s.ok(); ++i) {
      const std::string path = "groups[" + std::to_string(i) + "]";
      StatsGroupFigures g;
      Reader gr((*groups)[i], path, &s);
      gr.Str("key", &g.key);
      if (s.ok()) s = ReadFigures((*groups)[i], path, &g.figures);
      out.groups.push_back(std::move(g));
    }
  }
  if (!s.ok()) return s;
  return out;
}

StatusOr<AuditPage> ParseAuditPageJson(std::string_view text) {
  auto j = ParseObject(text, "audit page");
  if (!j.ok()) return j.status();
  Status s;
  Reader r(*j, "", &s);
  AuditPage out;
  r.Str("next_cursor", &out.next_cursor);
  r.U64("tree_size", &out.tree_size);
  if (s.ok() && !ParseDecimalU64(out.next_cursor)) {
    return Status::InvalidArgument("next_cursor: must be a decimal string");
  }
  if (const json* entries = r.Find("entries"); entries != nullptr) {
    if (!entries->is_array()) return Status::InvalidArgument("entries: must be an array");
    for (size_t i = 0; i < entries->size() && s.ok(); ++i) {
      AuditEntryView e;
      Reader er((*entries)[i], "entries[" + std::to_string(i) + "]", &s);
      er.U64("index", &e.index);
      er.Str("time", &e.time);
      er.Str("type", &e.type);
      er.Str("refused", &e.refused, false);
      er.Strings("codes", &e.codes, false);
      er.Strings("parties", &e.parties);
      er.Strings("signers", &e.signers);
      er.Strings("subjects", &e.subjects);
      er.Strings("warnings", &e.warnings, false);
      out.entries.push_back(std::move(e));
    }
  }
  if (!s.ok()) return s;
  return out;
}

}  // namespace ipledger::api
