// The client commands of the `ipledger` CLI about entries and certificates: sign,
// submit, get, verify-receipt, verify-certificate, status and coverage, and the
// dispatch of every client command. Their shared helpers are in tools/client_common.h,
// stats and audit in tools/ipledger_client_regulator.cc; HTTP and JSON go through api/
// (style.md C.2).
#include "tools/ipledger_client.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "api/client/status_proof.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/civil_time.h"
#include "ledger/base/encoding.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/merkle.h"
#include "ledger/log/search_certificate.h"
#include "tools/client_common.h"
#include "tools/key_file.h"

namespace ipledger {

const char* const kClientUsage =
    "  ipledger sign --statement FILE --key KEYFILE:KEYID [--key KEYFILE:KEYID ...] [--out "
    "FILE]\n"
    "  ipledger sign --envelope FILE --key KEYFILE:KEYID [...] [--out FILE]   (co-sign)\n"
    "  ipledger submit --server URL --envelope FILE [--receipt-out FILE]\n"
    "  ipledger get --server URL PATH [--key KEYFILE:KEYID]\n"
    "  ipledger verify-receipt --receipt FILE [--vkey VKEY_OR_FILE] [--envelope FILE]\n"
    "      [--policy FILE --server URL]\n"
    "  ipledger verify-certificate (--certificate FILE | --response FILE) [--vkey VKEY_OR_FILE]\n"
    "      [--asset ASSET] [--index N] [--policy FILE --server URL]\n"
    "  ipledger status ASSET --server URL --key KEYFILE:KEYID [--at DATE | --index N] [--json]\n"
    "      [--vkey VKEY_OR_FILE] [--policy FILE]\n"
    "  ipledger coverage ASSET --server URL --key KEYFILE:KEYID [--date DATE] [--json]\n"
    "      [--vkey VKEY_OR_FILE] [--policy FILE]\n"
    "  ipledger stats --server URL --key KEYFILE:KEYID --from DATE --to DATE [--region PREFIX]\n"
    "      [--group-by bank|region|asset_kind|month] [--as-of INDEX]\n"
    "      [--inclusive-threshold-fen N] [--json]           (regulators and the registry)\n"
    "  ipledger audit --server URL --key KEYFILE:KEYID [--from DATE] [--to DATE] [--type T]\n"
    "      [--participant P] [--asset A] [--limit N] [--cursor C] [--all] [--csv]   (same)\n"
    "  ipledger monitor --server URL --vkey VKEY_OR_FILE --state DIR [--once] [--interval S]\n"
    "      [--watch ASSET]... [--json]   (follows the public log; exit 1 on a disagreement)\n"
    "  ipledger witness-policy --server URL [--quorum default|any|all|K] [--out FILE]\n"
    "      (the witness policy derived from the witness keys registered in the log)\n"
    "  (URL is http://HOST:PORT or https://HOST:PORT; with https, --ca-file FILE trusts the\n"
    "  CA certificates in FILE instead of the system's; KEYID is <participant>/<label>, e.g.\n"
    "  ccb-quzhou/k1. Without --vkey, status and coverage pin the server's log key at first\n"
    "  use in --known-logs FILE (default $IPLEDGER_KNOWN_LOGS, else\n"
    "  ~/.config/ipledger/known_logs) and refuse a different one later; verify-receipt and\n"
    "  verify-certificate use the pinned key. --policy FILE, a witness policy, also requires\n"
    "  the answer to lie on the branch the policy's witnesses cosigned, as the server's\n"
    "  /v1/checkpoints/cosigned shows, and the policy's quorum to be met)\n";
namespace cli {
namespace {

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
  std::vector<KeyOption> specs;
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
  for (const KeyOption& spec : specs) {
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

// The key to check a saved receipt or certificate with: --vkey, else the key pinned for
// the origin it names (`origin`, not verified yet).
StatusOr<NoteVerifier> ReceiptOrCertificateKey(const Args& a, const StatusOr<std::string>& origin) {
  if (a.Has("vkey")) return LoadVkey(a.Get("vkey"));
  if (!origin.ok()) return Status::FailedPrecondition("FAILED: " + origin.status().message());
  auto store = OpenTrustStore(a);
  if (!store.ok()) return store.status();
  return OfflineLogKey(a, *store, *origin);
}

// N of --`flag` N: a decimal entry index. nullopt (and a usage message in *why) if not.
std::optional<std::uint64_t> IndexFlag(const Args& a, const std::string& flag, std::string* why) {
  const std::string v = a.Get(flag);
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos ||
      (v.size() > 1 && v[0] == '0')) {
    *why = "--" + flag + " must be an entry index (a decimal number), got '" + v + "'";
    return std::nullopt;
  }
  return std::stoull(v);
}

int VerifyReceiptCommand(int argc, char** argv) {
  const std::string cmd = "verify-receipt";
  Args a = ParseArgs(argc, argv, 2,
                     {"receipt", "vkey", "envelope", "known-logs", "policy", "server", "ca-file"},
                     {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (!a.Has("receipt")) return Usage(cmd, "--receipt FILE is required");
  auto text = ReadWholeFile(a.Get("receipt"));
  if (!text.ok()) return Fail(cmd, text.status().message());
  auto receipt = api::ParseReceiptJson(*text);
  if (!receipt.ok()) return Fail(cmd, "FAILED: " + receipt.status().message());
  auto vkey = ReceiptOrCertificateKey(a, api::ClaimedOriginOfReceipt(*receipt));
  if (!vkey.ok()) return Fail(cmd, vkey.status().message());
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
  std::string witnessed;
  if (a.Has("policy")) {
    int code = 0;
    auto conn = Connect(cmd, a, /*key_required=*/false, &code);
    if (!conn) return code;
    auto w = CheckWitnessPolicy(a, *conn->client, *vkey, v->checkpoint, v->entry.index,
                                LeafHash(receipt->leaf));
    if (!w.ok()) return Fail(cmd, "FAILED: " + w.status().message());
    witnessed = *w;
  }
  const Entry& e = v->entry;
  std::printf("receipt verified with the vkey of %s%s\n", vkey->name.c_str(),
              a.Has("vkey") ? "" : " (pinned)");
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
  if (!witnessed.empty()) std::printf("%s\n", witnessed.c_str());
  return 0;
}

// --- verify-certificate --------------------------------------------------------------------

// The status map part of a verified answer (pledge-status or coverage): the proof of the
// asset's record or of its absence against a logged root included in `cp`. Prints the
// proven status; the message of the first failing check otherwise.
// nullopt if the answer has no map evidence (no root logged that early).
StatusOr<std::optional<api::ProvenStatus>> VerifyStatusMapOf(
    const std::string& text, const std::string& asset, const Checkpoint& cp,
    const NoteVerifier& vkey, std::optional<std::uint64_t> asked_index) {
  auto evidence = api::ParseStatusMapOfResponse(text);
  if (!evidence.ok()) return evidence.status();
  if (!*evidence) return std::optional<api::ProvenStatus>();
  auto proven = api::VerifyStatusMap(**evidence, asset, cp, vkey);
  if (!proven.ok()) return proven.status();
  if (asked_index && proven->version > *asked_index) {
    return Status::FailedPrecondition("the map root (entry " + std::to_string(proven->version) +
                                      ") is after entry " + std::to_string(*asked_index) +
                                      " as asked");
  }
  return std::optional<api::ProvenStatus>(std::move(*proven));
}

void PrintUnproven(const std::string& asset, std::uint64_t as_of) {
  std::printf(
      "asset %s: status not proven: no status map root is logged at or before index "
      "%llu\n",
      asset.c_str(), static_cast<unsigned long long>(as_of));
}

// The status map evidence of a pledge-status answer whose certificate and checkpoint
// VerifyPledgeStatus accepted: the map proof, the certificate's map line, and the
// pledges listed against the proven record. nullopt if the answer has no map evidence.
StatusOr<std::optional<api::ProvenStatus>> CheckPledgeStatusMap(
    const std::string& text, const api::PledgeStatusAnswer& answer, const Checkpoint& cp,
    const NoteVerifier& vkey) {
  auto cert = OpenSearchCertificate(answer.certificate, vkey);
  if (!cert.ok()) return cert.status();
  auto verified = VerifyStatusMapOf(text, answer.asset, cp, vkey, answer.as_of_index);
  if (!verified.ok()) return verified.status();
  if (!*verified) {
    if (cert->map_version) {
      return Status::FailedPrecondition(
          "the certificate names a status map root the answer does not prove against");
    }
    return verified;
  }
  const api::ProvenStatus& p = **verified;
  if (!cert->map_version || *cert->map_version != p.version || cert->map_root != p.root) {
    return Status::FailedPrecondition(
        "the certificate does not name the status map root the answer proves against");
  }
  // The map as of its root must agree with the pledges listed when nothing can have
  // changed in between (the root is the as-of entry, or the answer is the latest).
  std::vector<std::uint64_t> listed;
  for (const api::PledgeView& pv : answer.pledges) listed.push_back(pv.registered_index);
  std::sort(listed.begin(), listed.end());
  const std::vector<std::uint64_t> held =
      p.record ? p.record->pledges : std::vector<std::uint64_t>{};
  if (listed != held && (p.version == answer.as_of_index || answer.as_of_index + 1 == cp.size)) {
    return Status::FailedPrecondition("the pledges listed differ from the proven status record");
  }
  return verified;
}

// verify-certificate --response with a coverage answer: the checkpoint and the status map.
int VerifyCoverageResponse(const Args& a, const std::string& text,
                           std::optional<std::uint64_t> asked_index) {
  const std::string cmd = "verify-certificate";
  auto answer = api::ParseCoverageJson(text);
  if (!answer.ok()) return Fail(cmd, "FAILED: " + answer.status().message());
  auto parsed = ParseNote(answer->checkpoint);
  std::string origin = parsed ? parsed->text.substr(0, parsed->text.find('\n')) : "";
  auto vkey = ReceiptOrCertificateKey(a, origin);
  if (!vkey.ok()) return Fail(cmd, vkey.status().message());
  auto cp = OpenCheckpoint(answer->checkpoint, *vkey);
  if (!cp.ok()) return Fail(cmd, "FAILED: as_of.checkpoint: " + cp.status().message());
  if (a.Has("asset") && answer->asset != a.Get("asset")) {
    return Fail(cmd, "REFUSED: the answer is about asset " + answer->asset + ", not " +
                         a.Get("asset") + " as asked");
  }
  if (asked_index && answer->as_of_index != *asked_index) {
    return Fail(cmd, "REFUSED: the answer is as of entry " + std::to_string(answer->as_of_index) +
                         ", not entry " + std::to_string(*asked_index) + " as asked");
  }
  if (answer->as_of_index >= cp->size) {
    return Fail(cmd, "FAILED: as_of.index is beyond the checkpoint's tree size");
  }
  auto verified = VerifyStatusMapOf(text, answer->asset, *cp, *vkey, answer->as_of_index);
  if (!verified.ok()) return Fail(cmd, "FAILED: " + verified.status().message());
  if (!*verified) {
    if (!answer->policies.empty()) {
      return Fail(cmd, "FAILED: the answer lists policies but no status map evidence");
    }
    std::printf("response verified: the as_of checkpoint (tree size %llu) is signed by the log\n",
                static_cast<unsigned long long>(cp->size));
    PrintUnproven(answer->asset, answer->as_of_index);
    return 0;
  }
  const api::ProvenStatus* proven = &**verified;
  // Every policy the answer says is in force must be one the map says is not cancelled.
  for (const api::PolicyView& p : answer->policies) {
    const auto& held = proven->record ? proven->record->policies : std::vector<std::uint64_t>{};
    if (std::find(held.begin(), held.end(), p.issued_index) == held.end() &&
        proven->version == answer->as_of_index) {
      return Fail(cmd, "FAILED: policy " + p.policy_id + " (entry " +
                           std::to_string(p.issued_index) + ") is not in the proven status record");
    }
  }
  std::printf(
      "response verified: the as_of checkpoint (tree size %llu) is signed by the log; "
      "the status map root entry %llu is included in it\n",
      static_cast<unsigned long long>(cp->size), static_cast<unsigned long long>(proven->version));
  std::printf("%s\n", api::DescribePolicies(*proven).c_str());
  return 0;
}

int VerifyCertificateCommand(int argc, char** argv) {
  const std::string cmd = "verify-certificate";
  Args a = ParseArgs(argc, argv, 2,
                     {"certificate", "response", "vkey", "known-logs", "asset", "index", "policy",
                      "server", "ca-file"},
                     {}, 0);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.Has("certificate") == a.Has("response")) {
    return Usage(cmd, "give one of --certificate FILE or --response FILE");
  }
  std::optional<std::uint64_t> asked_index;
  if (a.Has("index")) {
    std::string why;
    asked_index = IndexFlag(a, "index", &why);
    if (!asked_index) return Usage(cmd, why);
  }
  const bool whole = a.Has("response");
  auto text = ReadWholeFile(whole ? a.Get("response") : a.Get("certificate"));
  if (!text.ok()) return Fail(cmd, text.status().message());

  std::string note = *text;
  std::optional<api::PledgeStatusAnswer> answer;
  if (whole && !api::ParsePledgeStatusJson(*text).ok() && api::ParseCoverageJson(*text).ok()) {
    return VerifyCoverageResponse(a, *text, asked_index);
  }
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
  auto vkey = ReceiptOrCertificateKey(a, api::ClaimedOriginOfCertificate(note));
  if (!vkey.ok()) return Fail(cmd, vkey.status().message());
  auto cert = api::VerifyCertificate(note, *vkey);
  if (!cert.ok()) return Fail(cmd, "FAILED: " + cert.status().message());
  // The certificate must answer the question it is checked against, if one is given.
  if (a.Has("asset") && cert->certificate.asset != a.Get("asset")) {
    return Fail(cmd, "REFUSED: the certificate is about asset " + cert->certificate.asset +
                         ", not " + a.Get("asset") + " as asked");
  }
  if (asked_index && cert->certificate.as_of_index != *asked_index) {
    return Fail(cmd, "REFUSED: the certificate is as of entry " +
                         std::to_string(cert->certificate.as_of_index) + ", not entry " +
                         std::to_string(*asked_index) + " as asked");
  }
  std::optional<Checkpoint> cp;
  if (answer) {
    auto checked = api::VerifyPledgeStatus(*answer, *vkey);
    if (!checked.ok()) return Fail(cmd, "FAILED: " + checked.status().message());
    cp = *checked;
  }
  std::string witnessed;
  if (a.Has("policy")) {
    int code = 0;
    auto conn = Connect(cmd, a, /*key_required=*/false, &code);
    if (!conn) return code;
    const SearchCertificate& sc = cert->certificate;
    auto w = CheckWitnessPolicy(a, *conn->client, *vkey,
                                cp ? *cp : Checkpoint{sc.origin, sc.tree_size, sc.root});
    if (!w.ok()) return Fail(cmd, "FAILED: " + w.status().message());
    witnessed = *w;
  }
  std::optional<api::ProvenStatus> proven;
  if (answer) {
    auto verified = CheckPledgeStatusMap(*text, *answer, *cp, *vkey);
    if (!verified.ok()) return Fail(cmd, "FAILED: " + verified.status().message());
    proven = *verified;
  }
  std::printf("certificate verified: signed by the log key of %s%s\n", vkey->name.c_str(),
              a.Has("vkey") ? "" : " (pinned)");
  for (const std::string& line : cert->lines) std::printf("  %s\n", line.c_str());
  if (answer) {
    std::printf(
        "response verified: the as_of checkpoint (tree size %llu) is signed by the log; %s "
        "included in it; the pledges listed match the certificate\n",
        static_cast<unsigned long long>(cp->size), Entries(answer->evidence.size()).c_str());
    if (proven) {
      std::printf("%s\n", api::DescribePledges(*proven).c_str());
    } else {
      PrintUnproven(answer->asset, answer->as_of_index);
    }
  }
  if (!witnessed.empty()) std::printf("%s\n", witnessed.c_str());
  return 0;
}

// --- status and coverage -------------------------------------------------------------------

std::string AssetPath(const std::string& asset, const std::string& what) {
  return "/v1/assets/" + api::EscapePathSegment(asset) + "/" + what;
}

// OK iff entry `as_of` is the last one on or before the end of `date` (Asia/Shanghai) in
// the verified checkpoint `cp`, as a pledge-status answer --at `date` must be: the entry is
// integrated on or before that date and the next one, if in `cp`, after it (both proved
// included in `cp`). kFailedPrecondition naming both dates otherwise.
Status CheckAsOfDate(const std::string& at, std::uint64_t as_of, const Checkpoint& cp,
                     api::Client& client) {
  const std::optional<Date> date = ParseDate(at);
  if (!date) return Status::InvalidArgument("--at must be a date YYYY-MM-DD, got '" + at + "'");
  auto entry = api::FetchProvenEntry(client, as_of, cp);
  if (!entry.ok()) return entry.status();
  if (entry->time_ms > EndOfDateInstant(*date)) {
    return Status::FailedPrecondition("the certificate is as of entry " + std::to_string(as_of) +
                                      " of " + FormatDate(DateOfInstant(entry->time_ms)) +
                                      ", not of " + at + " as asked");
  }
  if (as_of + 1 < cp.size) {
    auto next = api::FetchProvenEntry(client, as_of + 1, cp);
    if (!next.ok()) return next.status();
    if (next->time_ms <= EndOfDateInstant(*date)) {
      return Status::FailedPrecondition("the certificate is as of entry " + std::to_string(as_of) +
                                        ", not the last one of " + at + " as asked (entry " +
                                        std::to_string(as_of + 1) + " is of " +
                                        FormatDate(DateOfInstant(next->time_ms)) + ")");
    }
  }
  return Status::Ok();
}

int StatusCommand(int argc, char** argv) {
  const std::string cmd = "status";
  Args a = ParseArgs(argc, argv, 2,
                     {"server", "ca-file", "key", "at", "index", "vkey", "known-logs", "policy"},
                     {"json"}, 1);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.positional.empty()) return Usage(cmd, "give the ASSET, e.g. patent:2014103620773");
  if (a.Has("at") && a.Has("index")) return Usage(cmd, "give --at DATE or --index N, not both");
  std::optional<std::uint64_t> asked_index;
  if (a.Has("index")) {
    std::string why;
    asked_index = IndexFlag(a, "index", &why);
    if (!asked_index) return Usage(cmd, why);
  }
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  auto store = OpenTrustStore(a);
  if (!store.ok()) return Fail(cmd, store.status().message());
  const std::string asset = a.positional[0];
  std::string target = AssetPath(asset, "pledge-status");
  if (a.Has("at")) target += "?at=" + api::EscapePathSegment(a.Get("at"));
  if (asked_index) target += "?index=" + std::to_string(*asked_index);
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  auto answer = api::ParsePledgeStatusJson(r->body);
  if (!answer.ok()) return Fail(cmd, "malformed answer: " + answer.status().message());
  auto log_key = ServerLogKey(cmd, a, *store, *conn->client);
  if (!log_key.ok()) return Fail(cmd, "no log key to verify with: " + log_key.status().message());
  const NoteVerifier* vkey = &log_key->key;
  // Nothing is shown before the answer is verified and is the answer to this question.
  auto cp = api::VerifyPledgeStatus(*answer, *vkey);
  if (!cp.ok()) {
    return Fail(cmd,
                "NOT verified with the log key of " + vkey->name + ": " + cp.status().message());
  }
  if (answer->asset != asset) {
    return Fail(cmd, "REFUSED: the certificate is about asset " + answer->asset + ", not " + asset +
                         " as asked");
  }
  if (asked_index && answer->as_of_index != *asked_index) {
    return Fail(cmd, "REFUSED: the certificate is as of entry " +
                         std::to_string(answer->as_of_index) + ", not entry " +
                         std::to_string(*asked_index) + " as asked");
  }
  if (a.Has("at")) {
    if (Status s = CheckAsOfDate(a.Get("at"), answer->as_of_index, *cp, *conn->client); !s.ok()) {
      return Fail(cmd, "REFUSED: " + s.message());
    }
  }
  if (Status s = CheckAndRecordCheckpoint(*store, *cp, *conn->client); !s.ok()) {
    return Fail(cmd, "REFUSED: " + s.message());
  }
  std::string witnessed;
  if (a.Has("policy")) {
    auto w = CheckWitnessPolicy(a, *conn->client, *vkey, *cp);
    if (!w.ok()) return Fail(cmd, "REFUSED: " + w.status().message());
    witnessed = *w;
  }
  auto proven = CheckPledgeStatusMap(r->body, *answer, *cp, *vkey);
  if (!proven.ok()) {
    return Fail(cmd, "NOT verified: the status map evidence: " + proven.status().message());
  }
  if (Status s = PinLogKey(cmd, *store, *log_key); !s.ok()) return Fail(cmd, s.message());
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }

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
  std::printf(
      "certificate: verified (signed by the log key of %s; checkpoint tree size %llu; %s "
      "proven)\n",
      vkey->name.c_str(), static_cast<unsigned long long>(cp->size),
      Entries(answer->evidence.size()).c_str());
  if (*proven) {
    std::printf("%s\n", api::DescribePledges(**proven).c_str());
  } else {
    PrintUnproven(answer->asset, answer->as_of_index);
  }
  if (!witnessed.empty()) std::printf("%s\n", witnessed.c_str());
  return 0;
}

int CoverageCommand(int argc, char** argv) {
  const std::string cmd = "coverage";
  Args a =
      ParseArgs(argc, argv, 2, {"server", "ca-file", "key", "date", "vkey", "known-logs", "policy"},
                {"json"}, 1);
  if (!a.error.empty()) return Usage(cmd, a.error);
  if (a.positional.empty()) return Usage(cmd, "give the ASSET, e.g. data:greenhouse-2026");
  int code = 0;
  auto conn = Connect(cmd, a, /*key_required=*/true, &code);
  if (!conn) return code;
  auto store = OpenTrustStore(a);
  if (!store.ok()) return Fail(cmd, store.status().message());
  const std::string asset = a.positional[0];
  // The date is always asked explicitly (today's, Asia/Shanghai, by default), so that
  // the answer's date can be held to it.
  const std::string date = a.Has("date") ? a.Get("date") : FormatDate(DateOfInstant(NowMs()));
  const std::string target = AssetPath(asset, "coverage") + "?date=" + api::EscapePathSegment(date);
  auto r = conn->client->Request("GET", target);
  if (!r.ok()) return Fail(cmd, "cannot reach the server: " + r.status().message());
  if (r->status != 200) return Fail(cmd, DescribeProblem(*r));
  auto answer = api::ParseCoverageJson(r->body);
  if (!answer.ok()) return Fail(cmd, "malformed answer: " + answer.status().message());
  auto log_key = ServerLogKey(cmd, a, *store, *conn->client);
  if (!log_key.ok()) return Fail(cmd, "no log key to verify with: " + log_key.status().message());
  const NoteVerifier* vkey = &log_key->key;
  // Nothing is shown before the checkpoint is verified and the answer is the answer to
  // this question. A coverage answer carries no certificate: its asset and date are
  // compared with the question; only its checkpoint is signed.
  auto cp = OpenCheckpoint(answer->checkpoint, *vkey);
  if (!cp.ok()) {
    return Fail(cmd, "NOT verified: the as_of checkpoint does not verify with the log key of " +
                         vkey->name + ": " + cp.status().message());
  }
  if (answer->asset != asset) {
    return Fail(cmd, "REFUSED: the answer is about asset " + answer->asset + ", not " + asset +
                         " as asked");
  }
  if (answer->date != date) {
    return Fail(cmd, "REFUSED: the answer is for the date " +
                         (answer->date.empty() ? std::string("(none)") : answer->date) + ", not " +
                         date + " as asked");
  }
  if (answer->as_of_index >= cp->size) {
    return Fail(cmd, "REFUSED: the answer is as of entry " + std::to_string(answer->as_of_index) +
                         ", beyond its checkpoint of tree size " + std::to_string(cp->size));
  }
  if (Status s = CheckAndRecordCheckpoint(*store, *cp, *conn->client); !s.ok()) {
    return Fail(cmd, "REFUSED: " + s.message());
  }
  std::string witnessed;
  if (a.Has("policy")) {
    auto w = CheckWitnessPolicy(a, *conn->client, *vkey, *cp);
    if (!w.ok()) return Fail(cmd, "REFUSED: " + w.status().message());
    witnessed = *w;
  }
  if (Status s = PinLogKey(cmd, *store, *log_key); !s.ok()) return Fail(cmd, s.message());
  if (a.switches.contains("json")) {
    std::printf("%s\n", TrimRight(r->body).c_str());
    return 0;
  }

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
  std::printf("checkpoint: verified (signed by the log key of %s; tree size %llu)\n",
              vkey->name.c_str(), static_cast<unsigned long long>(cp->size));
  if (!witnessed.empty()) std::printf("%s\n", witnessed.c_str());
  return 0;
}

}  // namespace
}  // namespace cli

bool IsClientCommand(std::string_view command) {
  return command == "sign" || command == "submit" || command == "get" ||
         command == "verify-receipt" || command == "verify-certificate" || command == "status" ||
         command == "coverage" || command == "stats" || command == "audit" ||
         command == "monitor" || command == "witness-policy";
}

int RunClientCommand(int argc, char** argv) {
  const std::string_view command = argv[1];
  if (command == "sign") return cli::Sign(argc, argv);
  if (command == "submit") return cli::Submit(argc, argv);
  if (command == "get") return cli::Get(argc, argv);
  if (command == "verify-receipt") return cli::VerifyReceiptCommand(argc, argv);
  if (command == "verify-certificate") return cli::VerifyCertificateCommand(argc, argv);
  if (command == "status") return cli::StatusCommand(argc, argv);
  if (command == "coverage") return cli::CoverageCommand(argc, argv);
  if (command == "stats") return cli::StatsCommand(argc, argv);
  if (command == "audit") return cli::AuditCommand(argc, argv);
  if (command == "monitor") return cli::MonitorCommand(argc, argv);
  if (command == "witness-policy") return cli::WitnessPolicyCommand(argc, argv);
  return cli::Usage(std::string(command), "not a client command");
}

}  // namespace ipledger
