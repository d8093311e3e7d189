// The bytes of api/openapi.yaml, embedded at build time (api/server/embed.cmake writes
// openapi_yaml.cc into the build tree). Internal to api/server. Immutable; thread-safe.
#pragma once

#include <string_view>

namespace ipledger::api {

std::string_view OpenapiYaml();

}  // namespace ipledger::api
