// A small synchronous HTTP/1.1 client (Boost.Beast) for the CLI, tests and benchmarks.
//
// One Client holds one keep-alive connection to host:port and reconnects when the
// server closes it. Requests may be signed with RFC 9421 (api/http_signature.h).
// Errors never throw: transport failures are kUnavailable. A Client is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "ledger/status.h"

namespace ipledger::api {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Client {
 public:
  // `host` and `port` of the server (e.g. "127.0.0.1", 8080). No connection is made yet.
  Client(std::string host, std::uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. `target` is the path plus optional "?query". With `keyid` and
  // `key` set the request carries an RFC 9421 signature created now (or at
  // `created_override` seconds, for tests). kUnavailable if the server cannot be
  // reached or the connection fails mid-request; the status of any HTTP answer,
  // including 4xx/5xx, is in the response.
  StatusOr<HttpResponse> Request(std::string_view method, std::string_view target,
                                 std::string_view body = {},
                                 std::string_view content_type = "application/json",
                                 const std::map<std::string, std::string>& extra_headers = {});
  void SetSigner(std::string keyid, const SigningKey* key);  // key not owned; null = anonymous
  void SetCreatedOverride(std::optional<std::int64_t> created) { created_override_ = created; }

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
  std::string keyid_;
  const SigningKey* key_ = nullptr;
  std::optional<std::int64_t> created_override_;
};

}  // namespace ipledger::api
