// The client commands of the `ipledger` CLI (api.md §2, §6–9): sign (and co-sign),
// submit, get, verify-receipt, verify-certificate, status, coverage, and for
// regulators stats and audit.
//
// They talk to a server through api::Client and do their JSON through
// api/client/cli_support.h, so that nlohmann and Beast stay inside api/. Single-threaded.
#pragma once

#include <string_view>

namespace ipledger {

// Usage lines of the client commands, for `ipledger help`.
extern const char* const kClientUsage;

// True iff `command` is one of the client commands.
bool IsClientCommand(std::string_view command);

// Runs client command argv[1] with its arguments argv[2..argc). Returns the exit
// status: 0 success, 1 failure (refused, unreachable, does not verify), 2 bad usage.
// Requires InitCrypto() to have succeeded.
int RunClientCommand(int argc, char** argv);

}  // namespace ipledger
