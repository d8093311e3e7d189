// The bodies of the libFuzzer targets (tests/fuzz/fuzz_*.cc) and of their regression test
// (tests/api/codec/fuzz_regressions_test.cc): each takes one input, runs it through a parser
// (and, where one exists, its inverse) and checks the invariants that must hold for every
// input. A memory or UB error is caught by the sanitizers; a broken invariant is returned
// as kInternal naming it.
//
// The "http_request" target keeps one Registry (RocksDB in memory, a fixed clock and
// fixed keys), GroupCommitter and Router per process, created on first use; inputs may
// append to it (a replayed seed submission), so state carries over between inputs.
//
// Thread-compatible: run one input at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/base/status.h"

namespace ipledger::fuzz {

// DecodeEnvelopeJson; a decoded envelope re-encodes and decodes to the same envelope.
Status FuzzEnvelope(std::string_view input);
// DecodeStatement; a decoded statement re-encodes (EncodeStatement) to JSON that decodes
// and re-encodes to the same bytes.
Status FuzzStatement(std::string_view input);
// ParseNote, OpenNote with the verifiers of ../shared/vectors/derived/keys.json, and
// ParseVkey (a parsed vkey formats back to the same string).
Status FuzzNote(std::string_view input);
// ParseCheckpointText, OpenCheckpoint (the vectors' log key), ParseTlogProof and
// Parse/OpenSearchCertificate; parsed
// values format and parse back to the same values.
Status FuzzCheckpoint(std::string_view input);
// ParseTilePath: TilePath(ParseTilePath(x)) == x.
Status FuzzTilePath(std::string_view input);
// DecodeLeaf, ParseInstant and ParseDate: each success formats back to the same bytes.
Status FuzzLeaf(std::string_view input);
// The first 32 bytes as a map key, the rest through DecodeMapProof (a decoded proof
// re-encodes to the same bytes), then VerifyMapProof against a fixed 64-key MemoryMap:
// a proof is accepted only for a true claim (the key's value, or its absence). Shorter
// inputs go through DecodeMapProof whole.
Status FuzzMapProof(std::string_view input);
// ParseSignatureHeaders on "<Signature-Input>\n<Signature>" (the input split at its
// first '\n'), then VerifyRequestSignature and SignatureBase on what parsed.
Status FuzzHttpSignature(std::string_view input);
// The input as raw HTTP/1.1 bytes (up to 4 pipelined requests) through Beast's
// request_parser with the server's limits, each parsed request into Router::Handle:
// exactly one response, status 200..599, a JSON body for application/json, and an RFC
// 9457 body (type, title, status, detail) for every status >= 400.
Status FuzzHttpRequest(std::string_view input);

struct Target {
  const char* name;  // the directory name under tests/fuzz/corpus and regressions
  Status (*run)(std::string_view input);
};

// Every target, by name.
std::span<const Target> Targets();

// Initializes libsodium and, for "http_request", that target's registry (so that the
// first input is not charged for it). Aborts if either fails.
void Initialize(std::string_view target_name);

// Runs `target` on one input: returns 0, or prints the broken invariant and aborts (so
// that libFuzzer records the input).
int RunOrAbort(Status (*target)(std::string_view), const std::uint8_t* data, std::size_t size);

// Seed inputs that depend on the http_request target's registry (its keys and clock):
// (file name, bytes) pairs per target name, for tests/fuzz/make_seeds.cc.
std::vector<std::pair<std::string, std::string>> GeneratedSeeds(std::string_view target);

}  // namespace ipledger::fuzz
