// The web console's static files (GET /ui/...), served from a directory (ipledgerd
// --ui-dir): the built app of api/web/. Only regular files strictly inside that directory
// are served; a path with "." or ".." segments, empty segments, backslashes, control
// characters or bad percent-encoding (decoded once) is 400, anything else not found 404.
//
// Internal to api/server: included only by its .cc files. Thread-safe (reads files only).
#pragma once

#include <string>

#include "api/server/http_types.h"

namespace ipledger::api {

// The answer to GET `path` (the request path without query, starting "/ui") from
// `ui_dir`; 404 with a hint if `ui_dir` is empty or does not exist.
Response ServeUi(const std::string& ui_dir, const std::string& path);

}  // namespace ipledger::api
