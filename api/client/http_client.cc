#include "api/client/http_client.h"

#include <utility>
// (utility before Asio in C++20 mode, see style.md)
#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstddef>
#include <optional>

#include "api/codec/http_signature.h"

namespace ipledger::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::chrono::seconds kTimeout{30};
constexpr std::uint64_t kBodyLimit = 64ull * 1024 * 1024;

// RFC 9110 tchar, for methods and field names.
bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}
// A request target must not be able to smuggle whitespace or line breaks onto the wire.
bool IsValidTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
bool IsValidFieldValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Beast 1.74 takes boost::string_view, not std::string_view.
beast::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The peer closed a kept-alive connection (typically an idle timeout on its side); the
// request was not processed, so one retry on a fresh connection is safe.
bool IsClosedConnection(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::broken_pipe || ec == net::error::connection_reset ||
         ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

}  // namespace

// The connection state. Operations are asynchronous on a private io_context run to
// completion by the calling thread, because tcp_stream applies expires_after only to
// asynchronous operations; from the caller's point of view every call is synchronous.
struct Client::Rep {
  std::string host;
  std::string port;
  TlsOptions tls_options;
  std::unique_ptr<ssl::context> tls;  // built on the first HTTPS connect
  net::io_context ioc;
  // At most one is engaged, while a connection is open.
  std::optional<beast::tcp_stream> stream;
  std::optional<TlsStream> tls_stream;
  beast::flat_buffer buffer;
  // Bound on each step (connect, handshake, write, read); Client::SetTimeout.
  std::chrono::milliseconds timeout{kTimeout};

  bool connected() const { return stream.has_value() || tls_stream.has_value(); }
  // The TCP layer of the open connection.
  beast::tcp_stream& lowest() {
    return tls_stream ? beast::get_lowest_layer(*tls_stream) : *stream;
  }

  void RunUntilDone() {
    ioc.restart();
    ioc.run();
  }

  // No TLS close_notify is sent: responses are length-delimited, so a truncation cannot
  // pass for a whole response, and waiting for the server's reply would only add a delay.
  void Close() {
    if (!connected()) return;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
    stream.reset();
    tls_stream.reset();
    buffer.clear();
  }

  Status MakeTlsContext() {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    if (!ec) ctx->set_verify_mode(ssl::verify_peer, ec);
    if (ec) return Status::Internal("TLS client options: " + ec.message());
    if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
      return Status::Internal("TLS: cannot require TLS 1.2");
    }
    if (tls_options.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) return Status::Internal("TLS: the system trust store: " + ec.message());
    } else {
      ctx->load_verify_file(tls_options.ca_file, ec);
      if (ec) {
        return Status::InvalidArgument("CA file '" + tls_options.ca_file + "': " + ec.message());
      }
    }
    tls = std::move(ctx);
    return Status::Ok();
  }

  // Host name checks for the handshake: SNI for a DNS name (never for an IP literal,
  // RFC 6066 §3), and the name or address the certificate must carry.
  Status PrepareTls(TlsStream& s) {
    beast::error_code ec;
    net::ip::make_address(host, ec);
    const bool is_ip = !ec;
    if (!is_ip && SSL_set_tlsext_host_name(s.native_handle(), host.c_str()) != 1) {
      return Status::Internal("TLS: cannot set the server name " + host);
    }
    // SSL_set1_host takes an IP literal as an address to match against IP SANs.
    if (SSL_set1_host(s.native_handle(), host.c_str()) != 1) {
      return Status::Internal("TLS: cannot set the expected host " + host);
    }
    return Status::Ok();
  }

  Status Connect() {
    Close();
    if (tls_options.enabled && !tls) {
      if (Status s = MakeTlsContext(); !s.ok()) return s;
    }
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    const tcp::resolver::results_type endpoints = resolver.resolve(host, port, ec);
    if (ec) return Status::Unavailable("resolve " + host + ":" + port + ": " + ec.message());
    if (tls) {
      tls_stream.emplace(ioc, *tls);
      if (Status s = PrepareTls(*tls_stream); !s.ok()) {
        tls_stream.reset();
        return s;
      }
    } else {
      stream.emplace(ioc);
    }
    lowest().expires_after(timeout);
    lowest().async_connect(endpoints,
                           [&ec](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
    RunUntilDone();
    if (ec) {
      Close();
      return Status::Unavailable("connect to " + host + ":" + port + ": " + ec.message());
    }
    if (tls_stream) {
      lowest().expires_after(timeout);
      tls_stream->async_handshake(ssl::stream_base::client,
                                  [&ec](const beast::error_code& e) { ec = e; });
      RunUntilDone();
      if (ec) {
        Close();
        return Status::Unavailable("TLS handshake with " + host + ":" + port + ": " + ec.message());
      }
    }
    return Status::Ok();
  }

  beast::error_code Write(http::request<http::string_body>& req) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    auto done = [&ec](const beast::error_code& e, std::size_t) { ec = e; };
    if (tls_stream) {
      http::async_write(*tls_stream, req, done);
    } else {
      http::async_write(*stream, req, done);
    }
    RunUntilDone();
    return ec;
  }

  beast::error_code Read(http::response_parser<http::string_body>& parser) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    auto done = [&ec](const beast::error_code& e, std::size_t) { ec = e; };
    if (tls_stream) {
      http::async_read(*tls_stream, buffer, parser, done);
    } else {
      http::async_read(*stream, buffer, parser, done);
    }
    RunUntilDone();
    return ec;
  }
};

Client::Client(std::string host, std::uint16_t port, TlsOptions tls)
    : rep_(std::make_unique<Rep>()) {
  rep_->host = std::move(host);
  rep_->port = std::to_string(port);
  rep_->tls_options = std::move(tls);
}

Client::~Client() { rep_->Close(); }

void Client::SetSigner(std::string keyid, const SigningKey* key) {
  keyid_ = std::move(keyid);
  key_ = key;
}

StatusOr<HttpResponse> Client::Request(std::string_view method, std::string_view target,
                                       std::string_view body, std::string_view content_type,
                                       const std::map<std::string, std::string>& extra_headers) {
  if (!IsToken(method)) {
    return Status::InvalidArgument("HTTP method '" + std::string(method) + "' is not a token");
  }
  if (!IsValidTarget(target)) {
    return Status::InvalidArgument("request target '" + std::string(target) +
                                   "' is empty or has whitespace or control characters");
  }
  if (!IsValidFieldValue(content_type)) {
    return Status::InvalidArgument("content type has a line break");
  }
  for (const auto& [name, value] : extra_headers) {
    if (!IsToken(name) || !IsValidFieldValue(value)) {
      return Status::InvalidArgument("header '" + name + "' is not a valid field");
    }
  }

  http::request<http::string_body> req;
  const http::verb verb = http::string_to_verb(Sv(method));
  if (verb == http::verb::unknown) {
    req.method_string(Sv(method));
  } else {
    req.method(verb);
  }
  req.target(Sv(target));
  req.version(11);
  const bool bracket = rep_->host.find(':') != std::string::npos;  // an IPv6 literal
  req.set(http::field::host, (bracket ? "[" + rep_->host + "]" : rep_->host) + ":" + rep_->port);
  req.set(http::field::user_agent, "ipledger-client");
  for (const auto& [name, value] : extra_headers) req.set(name, value);
  if (!body.empty()) {
    req.set(http::field::content_type, Sv(content_type));
    req.body() = std::string(body);
  }
  if (key_ != nullptr) {
    const std::int64_t created = created_override_
                                     ? *created_override_
                                     : std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
    SignatureHeaders sig = SignRequest(method, target, keyid_, created, *key_);
    req.set("Signature-Input", sig.signature_input);
    req.set("Signature", sig.signature);
  }
  req.keep_alive(true);
  req.prepare_payload();

  const std::string where =
      std::string(method) + " " + std::string(target) + " to " + rep_->host + ":" + rep_->port;
  for (int attempt = 0;; ++attempt) {
    const bool reused = rep_->connected();
    if (!reused) {
      if (Status s = rep_->Connect(); !s.ok()) return s;
    }
    // Only a kept-alive connection can have been closed under us; a fresh one failing
    // means the server is in trouble, and retrying would not help.
    const bool may_retry = reused && attempt == 0;

    if (beast::error_code ec = rep_->Write(req); ec) {
      rep_->Close();
      if (may_retry && IsClosedConnection(ec)) continue;
      return Status::Unavailable(where + ": write: " + ec.message());
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    if (verb == http::verb::head) parser.skip(true);
    if (beast::error_code ec = rep_->Read(parser); ec) {
      rep_->Close();
      if (may_retry && IsClosedConnection(ec)) continue;
      return Status::Unavailable(where + ": read: " + ec.message());
    }

    http::response<http::string_body> res = parser.release();
    if (!res.keep_alive()) rep_->Close();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = ToLower(c);
      std::string& slot = out.headers[name];
      // Repeated fields combine as a comma-separated list (RFC 9110 §5.3).
      slot += (slot.empty() ? "" : ", ") + std::string(field.value());
    }
    out.body = std::move(res.body());
    return out;
  }
}

}  // namespace ipledger::api

namespace ipledger::api {

void Client::SetTimeout(std::chrono::milliseconds timeout) { rep_->timeout = timeout; }

}  // namespace ipledger::api
