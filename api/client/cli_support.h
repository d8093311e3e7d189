// Client-side support for the `ipledger` CLI (api.md §2, §6–10): completing and
// signing statement JSON, the server URL, the JSON answers of the API in typed form
// (receipts, problems, pledge status, coverage, statistics, audit pages) and their
// offline verification with the log's verifier key alone.
//
// The JSON lives here because api/ is the only place for nlohmann (style.md C.2);
// tools/ipledger_client.cc does the files, flags and printing. Parsing never throws:
// an answer that is not of the documented shape is kInvalidArgument naming the field.
// Pure functions (the exceptions, FetchVkey, FetchConsistencyProof and FetchProvenEntry,
// talk to a server through a Client); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/client/http_client.h"
#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry.h"
#include "ledger/log/search_certificate.h"
#include "ledger/registry/statement.h"

namespace ipledger::api {

// --- Statements and envelopes ------------------------------------------------------------

// `json` (a statement object) with the top-level members it lacks added: "created" set
// to FormatInstant(`now_ms`) and "idempotency_key" set to `idempotency_key`. Members
// already present are kept, and so is every other byte of `json`: the new members are
// inserted right after the opening '{', so the caller signs what the author wrote.
// Trailing whitespace is dropped. kInvalidArgument if `json` is not a JSON object.
StatusOr<std::string> CompleteStatementJson(std::string_view json, std::int64_t now_ms,
                                            std::string_view idempotency_key);

// One signer of an envelope: the key id it signs as and its key (not owned; must
// outlive the call).
struct EnvelopeSigner {
  std::string keyid;
  const SigningKey* key = nullptr;
};

// The DSSE envelope JSON (api.md §2) around `statement_json`, exactly those bytes as
// payload, signed over PAE by each signer in order. The statement is first decoded
// with DecodeStatement: kInvalidArgument (its E_SCHEMA message) if it is not a valid v1
// statement, or if `signers` is empty.
StatusOr<std::string> SignStatementJson(std::string_view statement_json,
                                        const std::vector<EnvelopeSigner>& signers);

// `envelope_json` with one more signature per signer over the same payload (a
// co-signature: the statement bytes are untouched). kInvalidArgument if it is not an
// envelope of a valid v1 statement, if `signers` is empty or if a signer's key id has
// signed already.
StatusOr<std::string> CosignEnvelopeJson(std::string_view envelope_json,
                                         const std::vector<EnvelopeSigner>& signers);

// What the CLI shows about an envelope before sending it: the decoded statement's type
// and submitter, the signing key ids and SHA-256 of the envelope bytes.
struct EnvelopeSummary {
  std::string type;
  std::string submitter;
  std::vector<std::string> keyids;
  Digest sha256{};
};
// kInvalidArgument if `envelope_json` is not an envelope with a valid v1 statement.
StatusOr<EnvelopeSummary> SummarizeEnvelope(std::string_view envelope_json);

// --- The server --------------------------------------------------------------------------

struct ServerAddress {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;  // https://
};

// Parses "http://HOST:PORT" or "https://HOST:PORT" (an optional trailing '/'; HOST a
// name, IPv4 or [IPv6]). kInvalidArgument otherwise.
StatusOr<ServerAddress> ParseServerUrl(std::string_view url);

// `path` with every byte outside [A-Za-z0-9._~:@-] percent-encoded: one path segment.
std::string EscapePathSegment(std::string_view segment);

// Fetches GET /log/vkey through `client` and parses it. kUnavailable if the server
// cannot be reached; kInvalidArgument if the answer is not a vkey.
StatusOr<NoteVerifier> FetchVkey(Client& client);

// Fetches GET /v1/log/consistency?old=`old_size`&new=`new_size` through `client` and
// returns its hashes: the RFC 6962 proof that the tree of `old_size` is a prefix of the
// tree of `new_size` (to check with VerifyConsistency of ledger/log/merkle.h). kUnavailable
// if the server cannot be reached; kInvalidArgument if the answer is not a consistency
// proof between exactly those sizes.
StatusOr<std::vector<Digest>> FetchConsistencyProof(Client& client, std::uint64_t old_size,
                                                    std::uint64_t new_size);

// Fetches entry `index` (GET /v1/entries/{index}) and its inclusion proof in the tree of
// `cp` (GET /v1/entries/{index}/proof?size=), and returns its leaf once it is proved
// included in `cp` (already verified by the caller) and is a canonical leaf of that
// index. kUnavailable if the server cannot be reached; kFailedPrecondition naming what
// does not verify; kInvalidArgument if an answer is malformed.
StatusOr<Entry> FetchProvenEntry(Client& client, std::uint64_t index, const Checkpoint& cp);

// --- Answers -------------------------------------------------------------------------------

// "¥5,800,000.00" for CNY; "USD 12.50" for another currency.
std::string FormatMoney(const Money& m);

// The receipt of an accepted (or refused and recorded) statement (api.md §6).
struct Receipt {
  std::uint64_t index = 0;
  Bytes leaf;
  std::string leaf_hash;  // lowercase hex, as sent
  std::string integrated_time;
  std::string checkpoint;
  std::vector<Digest> inclusion_proof;
  std::string tlog_proof;
  std::vector<std::string> warnings;
};
StatusOr<Receipt> ParseReceiptJson(std::string_view json);

// What a verified receipt proves: the decoded leaf, and the checkpoint it is in.
struct VerifiedReceipt {
  Entry entry;
  Checkpoint checkpoint;
};

// Verifies `r` offline with the log key alone: leaf_hash is LeafHash(leaf), the leaf is
// canonical with the receipt's index, and the tlog-proof (checkpoint signature and
// inclusion of the leaf at that index) verifies with `log_key`; if the receipt's
// separate checkpoint is present it must be the tlog-proof's. kFailedPrecondition (or
// kInvalidArgument for a malformed part) whose message names the first check that
// failed.
StatusOr<VerifiedReceipt> VerifyReceipt(const Receipt& r, const NoteVerifier& log_key);

// The origin that the checkpoint of a receipt's tlog_proof names (its first line), not
// verified: which pinned log key to verify the receipt with. kInvalidArgument if the
// tlog_proof is malformed.
StatusOr<std::string> ClaimedOriginOfReceipt(const Receipt& r);

// An RFC 9457 problem (api.md §5), with the receipt of a recorded refusal if present.
struct ProblemDetails {
  int status = 0;
  std::string type;
  std::string title;
  std::string detail;
  std::vector<std::string> codes;
  std::optional<std::uint64_t> refusal_index;
  std::optional<std::string> receipt_json;  // the "receipt" member, re-serialized
};
StatusOr<ProblemDetails> ParseProblemJson(std::string_view json);

// The pledge-status answer (api.md §7). Secured amounts and LTV appear only when the
// caller may see them.
struct PledgeView {
  std::string pledge_id;
  std::string pledgee;
  std::vector<std::string> pledgors;
  std::string debtor;
  std::vector<std::string> collateral;
  std::string state;
  std::uint64_t registered_index = 0;
  std::string registered_at;
  std::optional<std::string> official_reg_no;
  std::optional<std::string> case_id;
  std::string debt_term_start;
  std::string debt_term_end;
  std::optional<std::string> secured_type;
  std::optional<Money> secured;
  std::optional<std::int64_t> ltv_bps;
  std::vector<std::uint64_t> evidence;  // the entries establishing this pledge
};

struct Evidence {
  std::uint64_t index = 0;
  Bytes leaf;
  std::vector<Digest> inclusion_proof;
};

struct PledgeStatusAnswer {
  std::string asset;
  bool pledged = false;
  std::vector<PledgeView> pledges;
  std::uint64_t as_of_index = 0;
  std::string checkpoint;  // as_of.checkpoint, a signed note
  std::vector<Evidence> evidence;
  std::string certificate;  // a signed note
};
StatusOr<PledgeStatusAnswer> ParsePledgeStatusJson(std::string_view json);

// The certificate member of a pledge-status answer; kInvalidArgument if absent.
StatusOr<std::string> CertificateOfResponse(std::string_view json);

// A verified search certificate (ledger/log/search_certificate.h) and its text lines
// (without the final '\n'), for display.
struct VerifiedCertificate {
  SearchCertificate certificate;
  std::vector<std::string> lines;
};

// The origin that a search certificate (a signed note) names, not verified: which
// pinned log key to verify it with. kInvalidArgument if it is not a signed note of the
// search-certificate form.
StatusOr<std::string> ClaimedOriginOfCertificate(std::string_view note);

// Verifies a search certificate, a C2SP signed note by the log key, with `log_key`, and
// parses it strictly. kFailedPrecondition if no signature by that key verifies or it
// names another origin; kInvalidArgument if it is not a signed note of the
// ipledger.search-certificate/v1 form.
StatusOr<VerifiedCertificate> VerifyCertificate(std::string_view note, const NoteVerifier& log_key);

// Everything a pledge-status answer claims, checked offline with `log_key`: the
// certificate verifies and states this answer's asset, as-of index, status, pledges and
// the tree size and root of the as_of checkpoint, which verifies too; every evidence
// leaf is canonical, has its index and is included in that checkpoint's tree. Returns
// the verified checkpoint. kFailedPrecondition naming the first failed check.
StatusOr<Checkpoint> VerifyPledgeStatus(const PledgeStatusAnswer& a, const NoteVerifier& log_key);

// The coverage answer (api.md §7).
struct PolicyView {
  std::string policy_id;
  std::string insurer;
  std::string product;
  std::string insured;
  std::string period_start;
  std::string period_end;
  Money per_claim;
  Money aggregate;
  Money deductible;
  Money remaining_aggregate;
  std::vector<std::string> loss_payees;
  std::uint64_t issued_index = 0;
};

struct CoverageAnswer {
  std::string asset;
  std::string date;
  bool covered = false;
  std::vector<PolicyView> policies;
  std::uint64_t as_of_index = 0;
  std::string checkpoint;
};
StatusOr<CoverageAnswer> ParseCoverageJson(std::string_view json);

// --- Regulators: statistics and audit (api.md §7, §9) ------------------------------------

// "12.34%" for 1234 basis points; "-0.05%" for -5. With `sign`, positive values get a
// leading '+' ("+64.70%"), as year-on-year changes are shown.
std::string FormatBps(std::int64_t bps, bool sign = false);

// One set of figures of GET /v1/stats/pledges (schema StatsTotals): `totals`,
// `previous_year` and each group.
struct StatsFigures {
  Money amount;                // the CNY sum ("amount")
  std::vector<Money> amounts;  // every currency, CNY included ("amounts")
  std::uint64_t registrations = 0;
  std::uint64_t cases = 0;
  std::uint64_t enterprises = 0;
  std::uint64_t patents = 0;  // ip_items
  std::uint64_t trademarks = 0;
  std::uint64_t data = 0;
  std::uint64_t inclusive_enterprises = 0;
  std::int64_t inclusive_share_bps = 0;
};

struct StatsGroupFigures {
  std::string key;  // bank id, region code, asset kind or YYYY-MM
  StatsFigures figures;
};

// The answer of GET /v1/stats/pledges (api.md §9). A null year-on-year figure (the
// previous one is 0) is nullopt.
struct StatsAnswer {
  std::uint64_t as_of_index = 0;
  std::string checkpoint;  // as_of.checkpoint, a signed note
  std::string from;        // window
  std::string to;
  std::string region;
  std::string group_by;
  std::int64_t inclusive_threshold_fen = 0;
  StatsFigures totals;
  StatsFigures previous_year;
  std::optional<std::int64_t> yoy_amount_bps;
  std::optional<std::int64_t> yoy_registrations_bps;
  std::optional<std::int64_t> yoy_enterprises_bps;
  std::vector<StatsGroupFigures> groups;
};
StatusOr<StatsAnswer> ParseStatsJson(std::string_view json);

// One entry of GET /v1/audit/entries (the envelope itself is left in the JSON).
struct AuditEntryView {
  std::uint64_t index = 0;
  std::string time;
  std::string type;
  std::string refused;             // refusals only
  std::vector<std::string> codes;  // refusals only
  std::vector<std::string> parties;
  std::vector<std::string> signers;
  std::vector<std::string> subjects;
  std::vector<std::string> warnings;
};

// One page of GET /v1/audit/entries (schema AuditPage).
struct AuditPage {
  std::vector<AuditEntryView> entries;
  std::string next_cursor;  // an opaque decimal string
  std::uint64_t tree_size = 0;
};
StatusOr<AuditPage> ParseAuditPageJson(std::string_view json);

}  // namespace ipledger::api
