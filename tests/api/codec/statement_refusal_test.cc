// The statement codec's refusals (api/codec/statement_codec.h): each edits one piece of
// a valid example (statement_examples.h) and checks the refusal names the field; plus
// the nesting limit and messages that never echo unprintable input.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "api/codec/statement_codec.h"
#include "tests/api/codec/statement_examples.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

// ---------------------------------------------------------------------------------
// Refusals: each replaces one piece of a valid example and names the expected path.

struct Refusal {
  const char* name;
  const char* example;  // Examples() name, or "" to use `to` as the whole input
  const char* from;
  const char* to;
  const char* message;  // the message starts with this (path and problem)
};

std::string Substitute(const Refusal& r) {
  if (std::string_view(r.example).empty()) return r.to;
  std::string json = ExampleNamed(r.example).json;
  const std::string from = r.from;
  const std::size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << r.name << ": '" << r.from << "' not in " << r.example;
  EXPECT_EQ(json.find(from, at + 1), std::string::npos)
      << r.name << ": '" << r.from << "' is ambiguous in " << r.example;
  if (at != std::string::npos) json.replace(at, from.size(), r.to);
  return json;
}

class StatementRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(StatementRefusalTest, IsRefusedNamingTheField) {
  const Refusal& r = GetParam();
  StatusOr<Statement> s = DecodeStatement(Substitute(r));
  ASSERT_FALSE(s.ok()) << r.name;
  EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.status().message().rfind(r.message, 0), 0u)
      << "got: " << s.status().message() << "\nwant prefix: " << r.message;
}

const Refusal kRefusals[] = {
    // Not JSON, not an object, not UTF-8.
    {"empty_input", "", "", "", "statement: not valid JSON"},
    {"truncated", "", "", R"({"v": 1, "type": )", "type: not valid JSON"},
    {"trailing_garbage", "", "", R"({"v": 1} x)", "statement: not valid JSON"},
    {"top_level_array", "", "", "[]", "statement: must be a JSON object"},
    {"byte_order_mark", "data_reject", R"({
  "v": 1,)",
     "\xEF\xBB\xBF{\"v\": 1,", "statement: byte order mark not allowed"},
    {"top_level_string", "", "", R"("pledge")", "statement: must be a JSON object"},
    {"invalid_utf8_in_value", "data_reject", "objection upheld", "objection \xff upheld",
     "body.reason: not valid JSON"},
    {"overlong_utf8", "data_reject", "objection upheld", "objection \xc0\xaf upheld",
     "body.reason: not valid JSON"},
    {"utf8_surrogate_bytes", "data_reject", "objection upheld", "objection \xed\xa0\x80 upheld",
     "body.reason: not valid JSON"},
    {"lone_surrogate_escape", "data_reject", "objection upheld", R"(objection \ud800 upheld)",
     "body.reason: not valid JSON"},
    {"invalid_utf8_in_array_member", "pledge_register", R"("pledgors": ["lanyu-materials"])",
     "\"pledgors\": [\"a\", \"b\xfe\"]", "body.pledgors[1]: not valid JSON"},

    // Duplicate keys, at every level.
    {"duplicate_top_level_key", "data_reject", R"("v": 1,)", R"("v": 1, "v": 1,)",
     "v: duplicate key"},
    {"duplicate_body_key", "data_reject", R"("reason": "objection upheld")",
     R"("reason": "objection upheld", "reason": "other")", "body.reason: duplicate key"},
    {"duplicate_nested_key", "pledge_register", R"("currency": "CNY"}})",
     R"("currency": "CNY", "currency": "USD"}})", "body.secured.amount.currency: duplicate key"},
    {"duplicate_key_in_array_member", "participant_keys", R"({"label": "k3",)",
     R"({"label": "k3", "label": "k4",)", "body.add[0].label: duplicate key"},

    // Top-level fields.
    {"unknown_top_level_field", "data_reject", R"("v": 1,)", R"("v": 1, "signature": "x",)",
     "signature: unknown field"},
    {"missing_v", "data_reject", R"("v": 1,)", "", "v: required"},
    {"v_two", "data_reject", R"("v": 1,)", R"("v": 2,)", "v: must be 1"},
    {"v_float", "data_reject", R"("v": 1,)", R"("v": 1.0,)", "v: must be 1"},
    {"v_string", "data_reject", R"("v": 1,)", R"("v": "1",)", "v: must be 1"},
    {"missing_type", "data_reject", R"("type": "data.reject",)", "", "type: required"},
    {"unknown_type", "data_reject", R"("type": "data.reject")", R"("type": "data.delete")",
     "type: unknown statement type 'data.delete'"},
    {"type_case", "data_reject", R"("type": "data.reject")", R"("type": "Data.Reject")",
     "type: unknown statement type"},
    {"type_not_string", "data_reject", R"("type": "data.reject")", R"("type": 9)",
     "type: must be a string"},
    {"body_of_other_type", "data_reject", R"("type": "data.reject")", R"("type": "data.publicize")",
     "body.reason: unknown field"},
    {"missing_submitter", "data_reject", R"("submitter": "registry",)", "", "submitter: required"},
    {"submitter_upper_case", "data_reject", R"("submitter": "registry")",
     R"("submitter": "Registry")", "submitter: must be a participant id"},
    {"missing_idempotency_key", "data_reject", R"("idempotency_key": "rej-0001",)", "",
     "idempotency_key: required"},
    {"empty_idempotency_key", "data_reject", R"("idempotency_key": "rej-0001")",
     R"("idempotency_key": "")", "idempotency_key: must be a string of 1 to 128 characters"},
    {"idempotency_key_number", "data_reject", R"("idempotency_key": "rej-0001")",
     R"("idempotency_key": 1)", "idempotency_key: must be a string"},
    {"missing_created", "data_reject", R"("created": "2026-11-26T08:00:00.123Z",)", "",
     "created: required"},
    {"created_without_millis", "data_reject", R"("2026-11-26T08:00:00.123Z")",
     R"("2026-11-26T08:00:00Z")", "created: must be an RFC 3339 UTC instant"},
    {"created_with_offset", "data_reject", R"("2026-11-26T08:00:00.123Z")",
     R"("2026-11-26T16:00:00.123+08:00")", "created: must be an RFC 3339 UTC instant"},
    {"created_number", "data_reject", R"("2026-11-26T08:00:00.123Z")", "1795680000123",
     "created: must be an RFC 3339 UTC instant"},
    {"missing_body", "data_reject",
     R"(,
  "body": {"asset_id": "data:qz-logistics.routes_2025", "reason": "objection upheld"})",
     "", "body: required"},
    {"body_array", "data_reject",
     R"({"asset_id": "data:qz-logistics.routes_2025", "reason": "objection upheld"})", "[]",
     "body: must be a JSON object"},
    {"body_null", "data_reject",
     R"({"asset_id": "data:qz-logistics.routes_2025", "reason": "objection upheld"})", "null",
     "body: must be a JSON object"},

    // Unknown fields at every level of a body.
    {"unknown_body_field", "data_reject", R"("reason": "objection upheld")",
     R"("reason": "objection upheld", "note": "x")", "body.note: unknown field"},
    {"unknown_field_in_money", "pledge_register", R"("currency": "CNY"}})",
     R"("currency": "CNY", "scale": 2}})", "body.secured.amount.scale: unknown field"},
    {"unknown_field_in_secured", "pledge_register", R"("type": "loan",)",
     R"("type": "loan", "rate_bps": 385,)", "body.secured.rate_bps: unknown field"},
    {"unknown_field_in_range", "pledge_register", R"("end": "2029-11-30"})",
     R"("end": "2029-11-30", "tz": "+08:00"})", "body.debt_term.tz: unknown field"},
    {"unknown_field_in_key", "participant_register", R"({"label": "k2",)",
     R"({"label": "k2", "alg": "ed25519",)", "body.keys[1].alg: unknown field"},
    {"unknown_field_in_patent", "asset_register_patent", R"("title":)", R"("ipc": "C08", "title":)",
     "body.patent.ipc: unknown field"},
    {"unknown_field_in_trademark", "asset_register_trademark", R"("goods":)",
     R"("image": "x", "goods":)", "body.trademark.image: unknown field"},
    {"unknown_field_in_data_facts", "asset_register_data", R"("scenario":)",
     R"("format": "csv", "scenario":)", "body.data.format: unknown field"},
    {"unknown_field_in_item", "valuation_attest", R"("legal_score": 85,)",
     R"("legal_score": 85, "weight": 1,)", "body.items[0].weight: unknown field"},
    {"unknown_field_in_other_collateral", "case_register", R"("kind": "guarantee",)",
     R"("kind": "guarantee", "guarantor": "x",)",
     "body.other_collateral[1].guarantor: unknown field"},
    {"misspelt_body_field", "pledge_register", R"("debt_term":)", R"("debt_terms":)",
     "body.debt_terms: unknown field"},

    // Required body fields and wrong JSON types.
    {"missing_body_field", "data_reject", R"(, "reason": "objection upheld")", "",
     "body.reason: required"},
    {"text_number", "data_reject", R"("reason": "objection upheld")", R"("reason": 5)",
     "body.reason: must be a non-empty string"},
    {"text_empty", "data_reject", R"("reason": "objection upheld")", R"("reason": "")",
     "body.reason: must be a non-empty string"},
    {"optional_null", "participant_register", R"("uscc": "91330800MA2DXXXX16")", R"("uscc": null)",
     "body.uscc: must be"},
    {"bool_string", "data_resolve_objection", R"("upheld": true)", R"("upheld": "true")",
     "body.upheld: must be true or false"},
    {"bool_number", "data_resolve_objection", R"("upheld": true)", R"("upheld": 1)",
     "body.upheld: must be true or false"},
    {"forfeiture_null", "pledge_register", R"("forfeiture_clause": true)",
     R"("forfeiture_clause": null)", "body.forfeiture_clause: must be true or false"},
    {"list_as_string", "pledge_register", R"("pledgors": ["lanyu-materials"])",
     R"("pledgors": "lanyu-materials")", "body.pledgors: must be an array"},
    {"object_as_array", "pledge_register",
     R"("secured": {"type": "loan", "amount": {"amount_fen": 18400000000, "currency": "CNY"}})",
     R"("secured": ["loan", 18400000000])", "body.secured: must be a JSON object"},
    {"list_member_wrong_type", "participant_register", R"({"label": "k1",)",
     R"(7, {"label": "k1",)", "body.keys[0]: must be a JSON object"},
    {"record_count_string", "asset_register_data", R"("record_count": 18446744073709551615)",
     R"("record_count": "5")", "body.data.record_count: must be an integer >= 0"},
    {"enum_number", "participant_register", R"("role": "bank")", R"("role": 1)",
     "body.role: must be a string"},

    // Integers: no floats, no negatives, in range.
    {"amount_float", "pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": 1.0)",
     "body.secured.amount.amount_fen: must be an integer >= 0"},
    {"amount_exponent", "pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": 1e3)",
     "body.secured.amount.amount_fen: must be an integer >= 0"},
    {"amount_fraction", "policy_claim", R"("amount_fen": 120000000)",
     R"("amount_fen": 120000000.5)", "body.paid.amount_fen: must be an integer >= 0"},
    {"amount_negative", "pledge_register", R"("amount_fen": 18400000000)", R"("amount_fen": -1)",
     "body.secured.amount.amount_fen: must be an integer >= 0"},
    {"amount_negative_zero", "policy_claim", R"("amount_fen": 120000000)", R"("amount_fen": -0)",
     "body.paid.amount_fen: must be an integer >= 0"},
    {"amount_beyond_int64", "pledge_register", R"("amount_fen": 18400000000)",
     R"("amount_fen": 9223372036854775808)",
     "body.secured.amount.amount_fen: must be an integer <= 1000000000000000 (10^15)"},
    {"amount_beyond_uint64", "pledge_register", R"("amount_fen": 18400000000)",
     R"("amount_fen": 18446744073709551616)",
     "body.secured.amount.amount_fen: must be an integer >= 0"},
    {"amount_string", "pledge_register", R"("amount_fen": 18400000000)",
     R"("amount_fen": "18400000000")", "body.secured.amount.amount_fen: must be an integer >= 0"},
    {"record_count_beyond_uint64", "asset_register_data", R"("record_count": 18446744073709551615)",
     R"("record_count": 18446744073709551616)", "body.data.record_count: must be an integer >= 0"},
    {"record_count_float", "asset_register_data", R"("record_count": 18446744073709551615)",
     R"("record_count": 1e3)", "body.data.record_count: must be an integer >= 0"},
    {"objection_index_float", "data_resolve_objection", R"("objection_index": 1042)",
     R"("objection_index": 1042.0)", "body.objection_index: must be an integer >= 0"},
    {"objection_index_negative", "data_resolve_objection", R"("objection_index": 1042)",
     R"("objection_index": -1042)", "body.objection_index: must be an integer >= 0"},
    {"nice_class_zero", "asset_register_trademark", R"("nice_class": 45)", R"("nice_class": 0)",
     "body.trademark.nice_class: must be an integer from 1 to 45"},
    {"nice_class_46", "asset_register_trademark", R"("nice_class": 45)", R"("nice_class": 46)",
     "body.trademark.nice_class: must be an integer from 1 to 45"},
    {"nice_class_float", "asset_register_trademark", R"("nice_class": 45)", R"("nice_class": 45.0)",
     "body.trademark.nice_class: must be an integer from 1 to 45"},
    {"score_101", "valuation_attest", R"("technical_score": 100)", R"("technical_score": 101)",
     "body.items[0].technical_score: must be an integer from 0 to 100"},
    {"score_negative", "valuation_attest", R"("economic_score": 0)", R"("economic_score": -1)",
     "body.items[0].economic_score: must be an integer from 0 to 100"},
    {"score_float", "valuation_attest", R"("legal_score": 85)", R"("legal_score": 85.5)",
     "body.items[0].legal_score: must be an integer from 0 to 100"},
    {"score_huge", "valuation_attest", R"("legal_score": 85)", R"("legal_score": 4294967396)",
     "body.items[0].legal_score: must be an integer from 0 to 100"},

    // Currency.
    {"currency_lower_case", "policy_claim", R"("currency": "CNY")", R"("currency": "cny")",
     "body.paid.currency: must be an ISO 4217 code"},
    {"currency_two_letters", "policy_claim", R"("currency": "CNY")", R"("currency": "CN")",
     "body.paid.currency: must be an ISO 4217 code"},
    {"currency_four_letters", "policy_claim", R"("currency": "CNY")", R"("currency": "CNYY")",
     "body.paid.currency: must be an ISO 4217 code"},
    {"currency_digit", "policy_claim", R"("currency": "CNY")", R"("currency": "C1Y")",
     "body.paid.currency: must be an ISO 4217 code"},
    {"currency_non_ascii", "policy_claim", R"("currency": "CNY")", R"("currency": "ＣＮＹ")",
     "body.paid.currency: must be an ISO 4217 code"},
    {"missing_currency", "policy_claim", R"(, "currency": "CNY")", "",
     "body.paid.currency: required"},

    // Dates.
    {"date_not_leap_year", "pledge_enforce", R"("2028-03-01")", R"("2025-02-29")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_short_month", "pledge_enforce", R"("2028-03-01")", R"("2028-3-01")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_slashes", "pledge_enforce", R"("2028-03-01")", R"("2028/03/01")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_with_time", "pledge_enforce", R"("2028-03-01")", R"("2028-03-01T00:00:00Z")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_month_13", "pledge_enforce", R"("2028-03-01")", R"("2028-13-01")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_year_zero", "pledge_enforce", R"("2028-03-01")", R"("0000-03-01")",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"date_number", "pledge_enforce", R"("2028-03-01")", "20280301",
     "body.started: must be a calendar date YYYY-MM-DD"},
    {"nested_date", "asset_register_patent", R"("2016-09-14")", R"("2016-09-31")",
     "body.patent.grant_date: must be a calendar date YYYY-MM-DD"},

    // Ranges.
    {"debt_term_reversed", "pledge_register", R"("end": "2029-11-30")", R"("end": "2026-11-30")",
     "body.debt_term.end: must not be before start"},
    {"case_term_reversed", "case_register", R"("end": "2029-11-30")", R"("end": "2026-11-30")",
     "body.term.end: must not be before start"},
    {"amend_term_reversed", "pledge_amend", R"("end": "2030-11-30")", R"("end": "2025-11-30")",
     "body.debt_term.end: must not be before start"},
    {"range_missing_start", "pledge_register", R"("start": "2026-12-01", )", "",
     "body.debt_term.start: required"},
    {"policy_period_bad_date", "policy_issue", R"("end": "2027-11-30")", R"("end": "2027-11-31")",
     "body.period.end: must be a calendar date"},

    // Digests.
    {"digest_upper_case", "pledge_release",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")",
     R"("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")",
     "body.evidence_sha256: must be 64 lowercase hex digits"},
    {"digest_63_digits", "pledge_release",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0")",
     "body.evidence_sha256: must be 64 lowercase hex digits"},
    {"digest_65_digits", "pledge_release",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a080")",
     "body.evidence_sha256: must be 64 lowercase hex digits"},
    {"digest_not_hex", "pledge_release",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g")",
     "body.evidence_sha256: must be 64 lowercase hex digits"},
    {"digest_base64", "data_object",
     R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")",
     R"("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")",
     "body.evidence_sha256: must be 64 lowercase hex digits"},
    {"nested_digest", "asset_register_data",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")", R"("")",
     "body.data.fingerprint_sha256: must be 64 lowercase hex digits"},

    // Ed25519 keys.
    {"key_31_bytes", "participant_keys", R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")",
     R"("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==")",
     "body.add[0].ed25519: must be base64 of a 32-byte Ed25519 public key"},
    {"key_33_bytes", "participant_keys", R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")",
     R"("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g")",
     "body.add[0].ed25519: must be base64 of a 32-byte Ed25519 public key"},
    {"key_unpadded", "participant_keys", R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")",
     R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8")",
     "body.add[0].ed25519: must be base64 of a 32-byte Ed25519 public key"},
    {"key_noncanonical_padding_bits", "participant_keys",
     R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")",
     R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9=")",
     "body.add[0].ed25519: must be base64 of a 32-byte Ed25519 public key"},
    {"key_hex", "participant_keys", R"("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")",
     R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")",
     "body.add[0].ed25519: must be base64 of a 32-byte Ed25519 public key"},

    // Witness keys: a vkey that parses, canonically, with a sane name; an http(s) URL.
    {"witness_vkey_bad_key_id", "participant_keys_witness", "+cb58af5f+", "+cb58af5e+",
     "body.add[0].vkey: must be a C2SP vkey"},
    {"witness_vkey_not_a_vkey", "participant_keys_witness",
     "\"witness.ccb-quzhou.example+cb58af5f+BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\"",
     "\"nonsense\"", "body.add[0].vkey: must be a C2SP vkey"},
    {"witness_vkey_garbage", "participant_keys_witness",
     "+BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f", "+!!!",
     "body.add[0].vkey: must be a C2SP vkey"},
    {"witness_vkey_other_type", "participant_keys_witness",
     "+BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f",
     "+AkBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f", "body.add[0].vkey: must be a C2SP vkey"},
    {"witness_vkey_not_a_string", "participant_keys_witness",
     "\"witness.ccb-quzhou.example+cb58af5f+BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\"", "7",
     "body.add[0].vkey: must be a C2SP vkey"},
    {"witness_url_ftp", "participant_keys_witness", "https://witness.ccb-quzhou.example:8443/tlog",
     "ftp://witness.ccb-quzhou.example/tlog",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_no_host", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog", "https:///tlog",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_space", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog", "https://witness example/tlog",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_port_zero", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog", "https://witness.ccb-quzhou.example:0/tlog",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_user_info", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog", "https://u@witness.ccb-quzhou.example/tlog",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_query", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog", "https://witness.ccb-quzhou.example/?a=b",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_too_long", "participant_keys_witness",
     "https://witness.ccb-quzhou.example:8443/tlog",
     "https://witness.ccb-quzhou.example/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "body.add[0].url: must be an http:// or https:// URL"},
    {"witness_url_missing", "participant_keys_witness",
     R"(, "url": "https://witness.ccb-quzhou.example:8443/tlog")", "", "body.add[0].url: required"},
    {"witness_role_other", "participant_keys_witness", R"("role": "witness")",
     R"("role": "signing")", "body.add[0].role: must be \"witness\""},
    {"witness_with_ed25519", "participant_keys_witness", R"("role": "witness",)",
     R"("role": "witness", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",)",
     "body.add[0].ed25519: unknown field"},
    {"witness_label_repeats_signing", "participant_keys_witness", R"({"label": "k4",)",
     R"({"label": "w1",)", "body.add[1].label: repeats an earlier label"},
    {"witness_in_register", "participant_register", R"("label": "k1",)",
     R"("label": "k1", "role": "witness",)", "body.keys[0].role: unknown field"},

    // Participant ids and key labels.
    {"participant_upper_case", "participant_register", R"("id": "ccb-quzhou")",
     R"("id": "CCB-quzhou")", "body.id: must be a participant id"},
    {"participant_leading_hyphen", "participant_register", R"("id": "ccb-quzhou")",
     R"("id": "-ccb")", "body.id: must be a participant id"},
    {"participant_one_char", "participant_register", R"("id": "ccb-quzhou")", R"("id": "c")",
     "body.id: must be a participant id"},
    {"participant_65_chars", "participant_register", R"("id": "ccb-quzhou")",
     R"("id": "a1234567890123456789012345678901234567890123456789012345678901234")",
     "body.id: must be a participant id"},
    {"participant_underscore", "pledge_register", R"("debtor": "lanyu-materials")",
     R"("debtor": "lanyu_materials")", "body.debtor: must be a participant id"},
    {"participant_in_list", "pledge_register", R"("pledgors": ["lanyu-materials"])",
     R"("pledgors": ["lanyu-materials", "Lanyu"])", "body.pledgors[1]: must be a participant id"},
    {"insured_bad", "policy_issue", R"("insured": "lanyu-materials")", R"("insured": "")",
     "body.insured: must be a participant id"},
    {"key_label_upper_case", "participant_register", R"("label": "k1")", R"("label": "K1")",
     "body.keys[0].label: must be a key label"},
    {"key_label_with_slash", "participant_register", R"("label": "k1")", R"("label": "ccb/k1")",
     "body.keys[0].label: must be a key label"},
    {"revoke_label_bad", "participant_keys", R"("revoke": ["k1"])", R"("revoke": ["k 1"])",
     "body.revoke[0]: must be a key label"},

    // Asset ids.
    {"patent_id_12_chars", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "patent:201410362077")", "body.asset_id: must be an asset id"},
    {"patent_id_14_chars", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "patent:20141036207731")", "body.asset_id: must be an asset id"},
    {"patent_id_bad_char", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "patent:201410362077-")", "body.asset_id: must be an asset id"},
    {"trademark_id_empty", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "trademark:")", "body.asset_id: must be an asset id"},
    {"trademark_id_hyphen", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "trademark:123-45")", "body.asset_id: must be an asset id"},
    {"trademark_id_33_chars", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "trademark:123456789012345678901234567890123")",
     "body.asset_id: must be an asset id"},
    {"data_id_empty", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "data:")", "body.asset_id: must be an asset id"},
    {"data_id_slash", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "data:a/b")", "body.asset_id: must be an asset id"},
    {"unknown_asset_kind", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "copyright:1")", "body.asset_id: must be an asset id"},
    {"asset_id_without_prefix", "policy_claim", R"("asset_id": "patent:2014103620773")",
     R"("asset_id": "2014103620773")", "body.asset_id: must be an asset id"},
    {"collateral_bad", "pledge_register", R"("trademark:12345678"])", R"("tm:12345678"])",
     "body.collateral[1]: must be an asset id"},
    {"valuation_item_asset_bad", "valuation_attest", R"("asset_id": "trademark:12345678")",
     R"("asset_id": "trademark:")", "body.items[1].asset_id: must be an asset id"},
    {"data_statement_on_patent", "data_confirm", R"("asset_id": "data:qz-logistics.routes_2025")",
     R"("asset_id": "patent:2014103620773")", "body.asset_id: must be a data asset id"},

    // Other ids.
    {"other_id_space", "pledge_enforce", R"("pledge_id": "CCB-QZ-2026-0042-P1")",
     R"("pledge_id": "CCB QZ")", "body.pledge_id: must be an id"},
    {"other_id_empty", "pledge_enforce", R"("pledge_id": "CCB-QZ-2026-0042-P1")",
     R"("pledge_id": "")", "body.pledge_id: must be an id"},
    {"other_id_65_chars", "pledge_enforce", R"("pledge_id": "CCB-QZ-2026-0042-P1")",
     R"("pledge_id": "A2345678901234567890123456789012345678901234567890123456789012345")",
     "body.pledge_id: must be an id"},
    {"other_id_non_ascii", "policy_cancel", R"("policy_id": "PICC-ZJ-IP-2026-088")",
     R"("policy_id": "保单1")", "body.policy_id: must be an id"},
    {"case_id_bad", "pledge_register", R"("case_id": "CCB-QZ-2026-0042")", R"("case_id": "CCB:QZ")",
     "body.case_id: must be an id"},
    {"valuation_ids_member_bad", "pledge_register", R"("valuation_ids": ["ZJA-2026-0117"])",
     R"("valuation_ids": ["ZJA 2026"])", "body.valuation_ids[0]: must be an id"},
    {"claim_no_bad", "policy_claim", R"("claim_no": "PICC-CLM-2027-0003")",
     R"("claim_no": "PICC/CLM")", "body.claim_no: must be an id"},

    // Other string forms.
    {"uscc_17_chars", "participant_register", R"("uscc": "91330800MA2DXXXX16")",
     R"("uscc": "91330800MA2DXXXX1")", "body.uscc: must be a unified social credit code"},
    {"region_code_letters", "participant_register", R"("region_code": "330802")",
     R"("region_code": "33080a")", "body.region_code: must be a GB/T 2260 region code"},
    {"application_no_12", "asset_register_patent", R"("application_no": "2014103620773")",
     R"("application_no": "201410362077")",
     "body.patent.application_no: must be a 13-character application no."},
    {"reg_no_hyphen", "asset_register_trademark", R"("reg_no": "12345678")",
     R"("reg_no": "1234-5678")", "body.trademark.reg_no: must be a registration no."},
    {"product_spaces", "policy_issue", R"("product": "infringement_loss")",
     R"("product": "Infringement Loss")", "body.product: must be a snake_case name"},
    {"covered_cost_bad", "policy_issue", R"("covered_costs": ["investigation", "legal"])",
     R"("covered_costs": ["investigation", ""])",
     "body.covered_costs[1]: must be a snake_case name"},
    {"goods_member_empty", "asset_register_trademark", R"("goods": ["化工原料", "adhesives"])",
     R"("goods": ["化工原料", ""])", "body.trademark.goods[1]: must be a non-empty string"},

    // Enumerations.
    {"role_unknown", "participant_register", R"("role": "bank")", R"("role": "lender")",
     "body.role: unknown value 'lender'"},
    {"kind_unknown", "asset_register_patent", R"("kind": "patent")", R"("kind": "copyright")",
     "body.kind: unknown value 'copyright'"},
    {"patent_type_hyphen", "asset_register_patent", R"("type": "invention")",
     R"("type": "utility-model")", "body.patent.type: unknown value 'utility-model'"},
    {"source_type_us_spelling", "asset_register_data", R"("source_type": "public_authorised")",
     R"("source_type": "public_authorized")", "body.data.source_type: unknown value"},
    {"event_unknown", "asset_status", R"("event": "transferred")", R"("event": "sold")",
     "body.event: unknown value 'sold'"},
    {"method_unknown", "valuation_attest", R"(["income", "market", "cost"])",
     R"(["income", "dcf"])", "body.methods[1]: unknown value 'dcf'"},
    {"collateral_kind_unknown", "case_register", R"("kind": "real_estate")",
     R"("kind": "realestate")", "body.other_collateral[0].kind: unknown value"},
    {"secured_type_unknown", "pledge_register", R"("type": "loan")", R"("type": "bond")",
     "body.secured.type: unknown value 'bond'"},
    {"release_reason_unknown", "pledge_release", R"("reason": "contract_void")",
     R"("reason": "void")", "body.reason: unknown value 'void'"},

    // asset.register: facts match the kind, the id matches the facts.
    {"patent_kind_without_patent", "asset_register_trademark", R"("kind": "trademark")",
     R"("kind": "patent")", "body.patent: required for kind patent"},
    {"patent_kind_with_trademark", "asset_register_patent", R"("holders": ["lanyu-materials"],)",
     R"("holders": ["lanyu-materials"], "trademark": {"reg_no": "1", "nice_class": 1,
     "goods": [], "reg_date": "2015-03-14", "expiry_date": "2035-03-13"},)",
     "body.trademark: not allowed for kind patent"},
    {"patent_kind_with_data", "asset_register_patent", R"("holders": ["lanyu-materials"],)",
     R"("holders": ["lanyu-materials"], "data": {"name": "n", "description": "d",
     "record_count": 1, "source_type": "licensed", "scenario": "s",
     "fingerprint_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},)",
     "body.data: not allowed for kind patent"},
    {"data_kind_without_data", "asset_register_patent", R"("kind": "patent")", R"("kind": "data")",
     "body.patent: not allowed for kind data"},
    {"patent_id_differs_from_application_no", "asset_register_patent",
     R"("asset_id": "patent:2014103620773")", R"("asset_id": "patent:2014103620774")",
     "body.asset_id: must be patent:2014103620773"},
    {"trademark_id_differs_from_reg_no", "asset_register_trademark",
     R"("asset_id": "trademark:12345678")", R"("asset_id": "trademark:12345679")",
     "body.asset_id: must be trademark:12345678"},
    {"trademark_kind_with_patent_id", "asset_register_trademark",
     R"("asset_id": "trademark:12345678")", R"("asset_id": "patent:2014103620773")",
     "body.asset_id: must be trademark:12345678"},
    {"data_kind_with_patent_id", "asset_register_data",
     R"("asset_id": "data:qz-logistics.routes_2025")", R"("asset_id": "patent:2014103620773")",
     "body.asset_id: must be a data: id for kind data"},

    // Lists that must not be empty.
    {"keys_empty", "participant_register",
     R"([
      {"label": "k1", "ed25519": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
      {"label": "k2", "ed25519": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}
    ])",
     "[]", "body.keys: must not be empty"},
    {"holders_empty", "asset_register_patent", R"(["lanyu-materials"])", "[]",
     "body.holders: must not be empty"},
    {"pledgors_empty", "pledge_register", R"("pledgors": ["lanyu-materials"])", R"("pledgors": [])",
     "body.pledgors: must not be empty"},
    {"collateral_empty", "pledge_register", R"(["patent:2014103620773", "trademark:12345678"])",
     "[]", "body.collateral: must not be empty"},
    {"items_empty", "valuation_attest", R"([
      {"asset_id": "patent:2014103620773",
       "value": {"amount_fen": 12000000000, "currency": "CNY"},
       "legal_score": 85, "technical_score": 100, "economic_score": 0},
      {"asset_id": "trademark:12345678",
       "value": {"amount_fen": 6400000000, "currency": "CNY"}}
    ])",
     "[]", "body.items: must not be empty"},
    {"covered_assets_empty", "policy_issue", R"(["patent:2014103620773"])", "[]",
     "body.covered_assets: must not be empty"},
    {"status_holders_empty", "asset_status", R"(["lanyu-holdings"])", "[]",
     "body.holders: must not be empty"},

    // Lists whose members must be distinct.
    {"holders_repeat", "asset_register_trademark", R"(["lanyu-materials", "lanyu-holdings"])",
     R"(["lanyu-materials", "lanyu-materials"])", "body.holders[1]: repeats an earlier member"},
    {"pledgors_repeat", "pledge_register", R"("pledgors": ["lanyu-materials"])",
     R"("pledgors": ["lanyu-materials", "acme", "lanyu-materials"])",
     "body.pledgors[2]: repeats an earlier member"},
    {"collateral_repeat", "pledge_register", R"(["patent:2014103620773", "trademark:12345678"])",
     R"(["patent:2014103620773", "patent:2014103620773"])",
     "body.collateral[1]: repeats an earlier member"},
    {"key_labels_repeat", "participant_register", R"({"label": "k2",)", R"({"label": "k1",)",
     "body.keys[1].label: repeats an earlier label"},
    {"add_labels_repeat", "participant_keys", R"({"label": "k3",)",
     R"({"label": "k3", "ed25519": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}, {"label": "k3",)",
     "body.add[1].label: repeats an earlier label"},
    {"revoke_repeat", "participant_keys", R"("revoke": ["k1"])", R"("revoke": ["k1", "k1"])",
     "body.revoke[1]: repeats an earlier member"},
    {"methods_repeat", "valuation_attest", R"(["income", "market", "cost"])",
     R"(["income", "income"])", "body.methods[1]: repeats an earlier member"},
    {"valuation_item_asset_repeat", "valuation_attest", R"("asset_id": "trademark:12345678")",
     R"("asset_id": "patent:2014103620773")",
     "body.items[1].asset_id: repeats an earlier item's asset"},

    // Valuation total = sum of items, one currency.
    {"total_differs_from_sum", "valuation_attest",
     R"("total": {"amount_fen": 18400000000, "currency": "CNY"})",
     R"("total": {"amount_fen": 18400000001, "currency": "CNY"})",
     "body.total.amount_fen: must equal the sum of the item values (18400000000)"},
    {"item_currency_differs", "valuation_attest",
     R"({"amount_fen": 6400000000, "currency": "CNY"})",
     R"({"amount_fen": 6400000000, "currency": "USD"})",
     "body.items[1].value.currency: must equal total.currency (CNY)"},
    {"total_currency_differs", "valuation_attest",
     R"("total": {"amount_fen": 18400000000, "currency": "CNY"})",
     R"("total": {"amount_fen": 18400000000, "currency": "EUR"})",
     "body.items[0].value.currency: must equal total.currency (EUR)"},
    // With every amount at most 10^15 fen, item values can no longer add up past int64.
    {"item_value_beyond_the_cap", "valuation_attest", R"("amount_fen": 12000000000,)",
     R"("amount_fen": 9223372036854775807,)",
     "body.items[0].value.amount_fen: must be an integer <= 1000000000000000 (10^15)"},

    // asset.status: fields its event requires.
    {"annuity_paid_without_through", "asset_status",
     R"("event": "transferred",
    "effective_date": "2026-11-20",
    "annuity_paid_through": "2027-07-27",)",
     R"("event": "annuity_paid",
    "effective_date": "2026-11-20",)",
     "body.annuity_paid_through: required for event annuity_paid"},
    {"renewed_without_expiry", "asset_status",
     R"("event": "transferred",
    "effective_date": "2026-11-20",
    "annuity_paid_through": "2027-07-27",
    "expiry_date": "2034-07-27",)",
     R"("event": "renewed",
    "effective_date": "2026-11-20",
    "annuity_paid_through": "2027-07-27",)",
     "body.expiry_date: required for event renewed"},
    {"transferred_without_holders", "asset_status", R"(,
    "holders": ["lanyu-holdings"])",
     "", "body.holders: required for event transferred"},
};

INSTANTIATE_TEST_SUITE_P(Refusals, StatementRefusalTest, ::testing::ValuesIn(kRefusals),
                         [](const ::testing::TestParamInfo<Refusal>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(StatementCodecTest, NestingBeyondTheLimitIsRefused) {
  // The statement object, the body and 31 arrays make 33 levels; the 31st array is
  // the first beyond the limit, and the refusal names it.
  std::string json = ExampleNamed("data_reject").json;
  const std::string from = R"("reason": "objection upheld")";
  json.replace(json.find(from), from.size(),
               from + ", \"x\": " + std::string(31, '[') + std::string(31, ']'));
  StatusOr<Statement> s = DecodeStatement(json);
  ASSERT_FALSE(s.ok());
  std::string path = "body.x";
  for (int i = 0; i < 30; ++i) path += "[0]";
  EXPECT_EQ(s.status().message(), path + ": JSON nested deeper than 32 levels");

  // Far deeper input is refused the same way, without exhausting the stack.
  std::string hostile = "{\"body\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(DecodeStatement(hostile).ok());
}

TEST(StatementCodecTest, MessagesDoNotEchoUnprintableInput) {
  std::string json = ExampleNamed("data_reject").json;
  const std::string from = R"("reason": "objection upheld")";
  json.replace(json.find(from), from.size(),
               from + ", \"" + std::string(200, 'k') + "\\u0001\": 1");
  StatusOr<Statement> s = DecodeStatement(json);
  ASSERT_FALSE(s.ok());
  EXPECT_LT(s.status().message().size(), 120u) << s.status().message();
  for (char c : s.status().message()) EXPECT_GE(c, 0x20);
}

}  // namespace
}  // namespace ipledger::api
