// Example statements for the statement codec tests: one per statement type (asset.register
// once per kind) with every optional field, as a client writes them, with the Statement
// each means; and statements with every optional field absent. Shared by
// statement_codec_test.cc (valid statements) and statement_refusal_test.cc (each
// refusal edits one example).
//
// Built once; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ledger/registry/statement.h"

namespace ipledger::api {

struct Example {
  std::string name;
  std::string json;    // as a client would write it
  Statement expected;  // what it means
};

// One example per statement type (asset.register once per kind), each using every
// optional field, as a client would send them: pretty-printed, keys in api.md order.
std::vector<Example> Examples();

// The example called `name`; a test failure (and the first example) if there is none.
const Example& ExampleNamed(std::string_view name);

// Statements with every optional field absent, so that omission round-trips too.
std::vector<Statement> MinimalStatements();

}  // namespace ipledger::api
