// Command-line and config-file options of the tools (ipledger, ipledgerd, ipledger-bench):
// one parser for all of them, with Boost.ProgramOptions behind it, and the helpers every
// command shares (the usage error, `--version`, `--key KEYFILE:KEYID`).
//
// Boost.ProgramOptions throws; its exceptions stay inside options.cc, which turns them
// into a kInvalidArgument Status of one line (style.md C.3). Pure functions apart from
// MergeConfigFile's read and UsageError's print; thread-compatible.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/base/status.h"

namespace ipledger {

// The options one command accepts. A name may carry a one-letter alias after a comma
// ("help,h"); the long name is the key in Args.
struct OptionSpec {
  std::vector<std::string> valued;    // --name VALUE or --name=VALUE; repeatable
  std::vector<std::string> switches;  // --name, no value
  std::size_t max_positional = 0;     // plain arguments allowed. Default: none
};

// What a command line (and config file) gave.
struct Args {
  std::map<std::string, std::vector<std::string>> values;  // in the order given
  std::set<std::string> switches;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.contains(name); }
  // The last value of --name (callers check Has first).
  const std::string& Get(const std::string& name) const { return values.at(name).back(); }
  // The last value of each valued option.
  std::map<std::string, std::string> LastValues() const;
};

// Parses argv[first..argc) against `spec`: "--name value", "--name=value", switches and
// up to spec.max_positional plain arguments; "--" ends the options. Abbreviations are
// not accepted. kInvalidArgument with one line (e.g. "unknown flag --nope",
// "flag --data-dir needs a value", "unexpected argument 'x'") on a usage problem.
// `argv` is only read during the call.
StatusOr<Args> ParseCommandLine(int argc, const char* const* argv, int first,
                                const OptionSpec& spec);

// Adds to `args` the options of the INI-style file at `path` ("name = value" lines, '#'
// comments; a switch is "name = true" or "name = false") that `args` does not hold yet:
// the command line wins. Names are those of `spec` (its positional count is ignored).
// kNotFound or kUnavailable if the file cannot be read; kInvalidArgument (naming `path`)
// for an unknown name or a line that is not "name = value".
Status MergeConfigFile(const std::string& path, const OptionSpec& spec, Args* args);

// Prints "`who`: `why`" and then `usage` to stderr; returns 2, the exit status of a
// usage error.
int UsageError(std::string_view who, std::string_view why, std::string_view usage);

// `--key KEYFILE:KEYID`: a key file and the key id its signatures carry.
struct KeyOption {
  std::string file;
  std::string keyid;
};

// The project's version (CMake's project version, e.g. "0.1.0").
std::string_view Version();

// The allocator behind malloc: "jemalloc VERSION" when the program was linked with it
// (CMake's IPLEDGER_JEMALLOC), else "glibc". ipledgerd logs it at start.
std::string Allocator();

// `--version`: prints "`who` `Version()`" and a newline to stdout; returns 0, the exit
// status of that request.
int PrintVersion(std::string_view who);

// Splits "KEYFILE:KEYID" at the last ':' (key ids hold none); the key id must be
// "<participant>/<label>". nullopt if it is not of that form.
std::optional<KeyOption> ParseKeySpec(const std::string& spec);

}  // namespace ipledger
