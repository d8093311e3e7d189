// Request and Response: HTTP messages as the router sees them, without sockets.
//
// api/server/server.cc converts Beast messages to and from these; api/server/router.cc handles
// them. Value types; thread-compatible.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ipledger::api {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // path plus optional "?query", as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address, for logs

  // The header `name` (lower case) or "" if absent.
  const std::string& Header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  // A body shared with others, in place of `body` (which is then empty): an answer of
  // the read cache (read_cache.h) is sent from the cache's copy, not copied per request.
  std::shared_ptr<const std::string> shared_body;
  // For logs and metrics: the route pattern (e.g. "/v1/entries/{index}") and the caller.
  std::string route;
  std::string caller;

  // The body, whichever of the two holds it.
  std::string_view Body() const { return shared_body ? std::string_view(*shared_body) : body; }
};

// Handles one request; must call `respond` exactly once, from any thread.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request, Respond)>;

}  // namespace ipledger::api
