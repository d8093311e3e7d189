// Boost.ProgramOptions reports every problem by throwing; the try/catch blocks below are
// the boundary with it (style.md C.3), and nothing thrown leaves this file.
#include "tools/options.h"

#include <dlfcn.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <sstream>

#include "tools/key_file.h"

namespace ipledger {
namespace {

namespace po = boost::program_options;

// The hidden option that collects plain arguments. A user who types it as a flag is
// told it is unknown: positional options carry a position, named ones do not.
constexpr const char* kPositional = "positional-argument";

// The long name of a spec entry ("help,h" -> "help").
std::string LongName(const std::string& spec_name) {
  return spec_name.substr(0, spec_name.find(','));
}

po::options_description DescriptionOf(const OptionSpec& spec) {
  po::options_description desc;
  auto add = desc.add_options();
  for (const std::string& name : spec.valued) add(name.c_str(), po::value<std::string>());
  for (const std::string& name : spec.switches) add(name.c_str(), po::bool_switch());
  add(kPositional, po::value<std::vector<std::string>>());
  return desc;
}

bool IsSwitch(const OptionSpec& spec, const std::string& name) {
  for (const std::string& s : spec.switches) {
    if (LongName(s) == name) return true;
  }
  return false;
}

// One line for what Boost.ProgramOptions refused, in the words the tools always used.
std::string Explain(const po::error& e) {
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&e)) {
    const std::string name = unknown->get_option_name();
    return (name.starts_with("--") ? "unknown flag " : "unexpected argument ") +
           (name.starts_with("--") ? name : "'" + name + "'");
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
    switch (syntax->kind()) {
      case po::invalid_syntax::missing_parameter:
        return "flag " + syntax->get_option_name() + " needs a value";
      case po::invalid_syntax::extra_parameter:
        return "flag " + syntax->get_option_name() + " takes no value";
      default:
        break;
    }
  }
  return e.what();
}

}  // namespace

std::map<std::string, std::string> Args::LastValues() const {
  std::map<std::string, std::string> last;
  for (const auto& [name, v] : values) last[name] = v.back();
  return last;
}

StatusOr<Args> ParseCommandLine(int argc, const char* const* argv, int first,
                                const OptionSpec& spec) {
  const std::vector<std::string> tokens(argv + std::min(first, argc), argv + argc);
  const po::options_description desc = DescriptionOf(spec);
  po::positional_options_description positional;
  positional.add(kPositional, -1);
  // No abbreviations: "--data" must never quietly mean "--data-dir".
  const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_guessing;
  po::parsed_options parsed(&desc);
  try {
    parsed =
        po::command_line_parser(tokens).options(desc).positional(positional).style(style).run();
  } catch (const po::error& e) {
    return Status::InvalidArgument(Explain(e));
  }
  Args args;
  for (const po::option& o : parsed.options) {
    if (o.string_key == kPositional) {
      if (o.position_key < 0) return Status::InvalidArgument("unknown flag --" + o.string_key);
      for (const std::string& v : o.value) {
        if (args.positional.size() >= spec.max_positional) {
          return Status::InvalidArgument("unexpected argument '" + v + "'");
        }
        args.positional.push_back(v);
      }
    } else if (IsSwitch(spec, o.string_key)) {
      args.switches.insert(o.string_key);
    } else {
      for (const std::string& v : o.value) args.values[o.string_key].push_back(v);
    }
  }
  return args;
}

Status MergeConfigFile(const std::string& path, const OptionSpec& spec, Args* args) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  po::options_description desc;
  auto add = desc.add_options();
  // Every value is read as text here; switches are checked below.
  for (const std::string& name : spec.valued) add(LongName(name).c_str(), po::value<std::string>());
  for (const std::string& name : spec.switches) {
    add(LongName(name).c_str(), po::value<std::string>());
  }
  po::parsed_options parsed(&desc);
  try {
    parsed = po::parse_config_file(in, desc, /*allow_unregistered=*/false);
  } catch (const po::error& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  Args from_file;
  for (const po::option& o : parsed.options) {
    if (!IsSwitch(spec, o.string_key)) {
      for (const std::string& v : o.value) from_file.values[o.string_key].push_back(v);
      continue;
    }
    const std::string v = o.value.empty() ? "" : o.value.back();
    if (v == "true" || v == "1" || v == "yes" || v == "on") {
      from_file.switches.insert(o.string_key);
    } else if (v != "false" && v != "0" && v != "no" && v != "off") {
      return Status::InvalidArgument(path + ": " + o.string_key + " must be true or false, got '" +
                                     v + "'");
    }
  }
  for (auto& [name, v] : from_file.values) {
    if (!args->Has(name)) args->values[name] = std::move(v);
  }
  args->switches.merge(from_file.switches);
  return Status::Ok();
}

int UsageError(std::string_view who, std::string_view why, std::string_view usage) {
  std::fprintf(stderr, "%.*s: %.*s\n%.*s", static_cast<int>(who.size()), who.data(),
               static_cast<int>(why.size()), why.data(), static_cast<int>(usage.size()),
               usage.data());
  return 2;
}

std::string_view Version() { return IPLEDGER_VERSION; }

std::string Allocator() {
  // jemalloc, when it replaced malloc, is in the process and answers mallctl("version").
  void* symbol = dlsym(RTLD_DEFAULT, "mallctl");
  if (symbol == nullptr) return "glibc";
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  const char* version = nullptr;
  size_t size = sizeof(version);
  if (reinterpret_cast<Mallctl>(symbol)("version", &version, &size, nullptr, 0) != 0 ||
      version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

int PrintVersion(std::string_view who) {
  std::printf("%.*s %s\n", static_cast<int>(who.size()), who.data(), IPLEDGER_VERSION);
  return 0;
}

std::optional<KeyOption> ParseKeySpec(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) return std::nullopt;
  KeyOption k{spec.substr(0, colon), spec.substr(colon + 1)};
  const size_t slash = k.keyid.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == k.keyid.size()) return std::nullopt;
  return k;
}

}  // namespace ipledger
