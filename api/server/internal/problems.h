// RFC 9457 problem responses, the table from refusal codes (E_SCHEMA, ...) and Status
// codes to HTTP statuses, and the JSON and text response builders every handler uses.
//
// Internal to api/server: included only by its .cc files. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/server/http_types.h"
#include "ledger/base/status.h"

namespace ipledger::api {

// An application/problem+json response: type urn:ipledger:problem:<slug>, `title`,
// `status`, `detail` and `codes`, plus the members of `extra`.
Response Problem(int status, const std::string& slug, const std::string& title,
                 const std::string& detail, std::vector<std::string> codes = {},
                 nlohmann::json extra = nlohmann::json::object());

// The problem for a refusal with `codes`: the first code names it, and any conflict code
// makes it a 409 (api.md §6). Unknown codes are 422 "rule".
Response CodesProblem(const std::vector<std::string>& codes, const std::string& detail,
                      nlohmann::json extra = nlohmann::json::object());

// The problem for a failed Status: 400, 404, 409, 429 (overloaded), 503 or 500.
Response StatusProblem(const Status& s);

// A JSON body with `status`.
Response Json(const nlohmann::json& j, int status = 200);

// A 200 with `body` as `content_type`.
Response Text(std::string body, std::string content_type = "text/plain; charset=utf-8");

}  // namespace ipledger::api
