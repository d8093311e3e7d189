// A small synchronous HTTP/1.1 client (Boost.Beast) for the CLI, tests and benchmarks.
//
// One Client holds one keep-alive connection to host:port and reconnects when the
// server closes it. Requests may be signed with RFC 9421 (api/http_signature.h).
// Errors never throw: transport failures are kUnavailable. A Client is used by one
// thread at a time.
//
// With TlsOptions::enabled it speaks HTTPS (TLS 1.2 or later, as Beast 1.74's
// example/http/client/sync-ssl): the server's certificate must chain to the CA file
// (or, without one, to the system's trusted roots) and name the host, as a DNS name or
// for an IP literal as an IP address subjectAltName.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "ledger/base/status.h"

namespace ipledger::api {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TlsOptions {
  // Speak HTTPS. Default: false.
  bool enabled = false;
  // PEM file of the CA certificates to trust; empty means the system's default trust
  // store. Default: empty.
  std::string ca_file;
};

class Client {
 public:
  // `host` and `port` of the server (e.g. "127.0.0.1", 8080), over HTTPS if
  // `tls.enabled`. No connection is made yet (the CA file is read on the first request).
  Client(std::string host, std::uint16_t port, TlsOptions tls = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. `target` is the path plus optional "?query". With `keyid` and
  // `key` set the request carries an RFC 9421 signature created now (or at
  // `created_override` seconds, for tests). kUnavailable if the server cannot be
  // reached, the TLS handshake fails (including an untrusted certificate) or the
  // connection fails mid-request; kInvalidArgument if the CA file cannot be loaded. The
  // status of any HTTP answer, including 4xx/5xx, is in the response.
  StatusOr<HttpResponse> Request(std::string_view method, std::string_view target,
                                 std::string_view body = {},
                                 std::string_view content_type = "application/json",
                                 const std::map<std::string, std::string>& extra_headers = {});
  void SetSigner(std::string keyid, const SigningKey* key);  // key not owned; null = anonymous
  // Bounds each step of a request (connect, TLS handshake, write, read); default 30 s.
  void SetTimeout(std::chrono::milliseconds timeout);
  void SetCreatedOverride(std::optional<std::int64_t> created) { created_override_ = created; }

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
  std::string keyid_;
  const SigningKey* key_ = nullptr;
  std::optional<std::int64_t> created_override_;
};

}  // namespace ipledger::api
