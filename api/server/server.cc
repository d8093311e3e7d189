#include "api/server/server.h"

#include <utility>
// (utility before Asio in C++20 mode, see style.md)
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace ipledger::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string ProblemBody(int status, std::string_view code, std::string_view title,
                        std::string_view detail) {
  // Fixed ASCII texts: no JSON library needed for these transport-level answers.
  return "{\"type\":\"urn:ipledger:problem:" + std::string(code) + "\",\"title\":\"" +
         std::string(title) + "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" +
         std::string(detail) + "\",\"codes\":[]}";
}

Response TransportProblem(int status, std::string_view code, std::string_view title,
                          std::string_view detail) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = ProblemBody(status, code, title, detail);
  return r;
}

}  // namespace

const std::string& Request::Header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

struct Server::Rep {
  ServerOptions options;
  Handler handler;
  // Everything a session touches, its destructor included, is declared before `ioc`:
  // destroying `ioc` destroys the sessions still queued in it, so these must outlive it.
  // Set for HTTPS.
  std::unique_ptr<ssl::context> tls;
  std::atomic<int> connections{0};
  // Requests handed to the handler and not yet answered (their response not written).
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex address_mu;
  std::unordered_map<std::string, int> per_address;  // open connections by peer address
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  // Keeps the io threads running while requests are with the handler and no socket
  // operation is pending (the acceptor closed, every other connection gone): a
  // response posted later must still find a thread to write it. Reset by Stop().
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  explicit Rep(int threads_hint) : ioc(threads_hint) {}
  void Accept();
  // Counts a connection from `address` (delta +1 or -1); returns the count before.
  int CountAddress(const std::string& address, int delta) {
    std::lock_guard<std::mutex> l(address_mu);
    auto it = per_address.try_emplace(address, 0).first;
    const int before = it->second;
    it->second += delta;
    if (it->second <= 0) per_address.erase(it);
    return before;
  }
};

namespace {

// One connection. `Stream` is beast::tcp_stream for HTTP or
// beast::ssl_stream<beast::tcp_stream> for HTTPS; the latter adds a handshake before the
// first read and a TLS shutdown before closing.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, Server::Rep* rep, std::string address)
      : stream_(MakeStream(std::move(socket), rep)), rep_(rep), address_(std::move(address)) {
    rep_->connections.fetch_add(1);
    beast::error_code ec;
    auto ep = Socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() {
    if (in_request_) rep_->in_flight.fetch_sub(1);
    rep_->CountAddress(address_, -1);
    rep_->connections.fetch_sub(1);
  }

  void Run(bool over_capacity) {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this(), over_capacity] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(self->rep_->options.read_timeout);
        self->stream_.async_handshake(ssl::stream_base::server,
                                      [self, over_capacity](beast::error_code ec) {
                                        // Not TLS, an old protocol version, a timeout:
                                        // nothing can be said over this connection.
                                        if (ec) return self->CloseSocket();
                                        self->Begin(over_capacity);
                                      });
      } else {
        self->Begin(over_capacity);
      }
    });
  }

 private:
  static Stream MakeStream(tcp::socket&& socket, Server::Rep* rep) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *rep->tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  tcp::socket& Socket() { return beast::get_lowest_layer(stream_).socket(); }

  void Begin(bool over_capacity) {
    if (over_capacity) {
      keep_alive_ = false;
      return Write(TransportProblem(503, "overloaded", "Too many connections",
                                    "the connection limit is reached; retry later"));
    }
    DoRead();
  }

  void DoRead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(rep_->options.max_header_bytes));
    parser_->body_limit(rep_->options.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(rep_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return DoClose();
    // A timeout has closed the socket already; a TLS failure (including a peer that
    // closed without close_notify) leaves no channel to answer on.
    if (ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec.category() == net::error::get_ssl_category() ||
        ec == ssl::error::stream_truncated) {
      return CloseSocket();
    }
    keep_alive_ = false;  // after any error below, answer and close
    if (ec == http::error::body_limit) {
      return Write(TransportProblem(
          413, "too-large", "Request body too large",
          "the body exceeds " + std::to_string(rep_->options.max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Write(TransportProblem(
          431, "headers-too-large", "Request header fields too large",
          "the header exceeds " + std::to_string(rep_->options.max_header_bytes) + " bytes"));
    }
    if (ec) {
      return Write(
          TransportProblem(400, "bad-request", "Malformed HTTP request", "unparseable request"));
    }
    auto& msg = parser_->get();
    // A Transfer-Encoding that does not end in chunked leaves the length unknowable, and
    // one beside Content-Length is ambiguous framing (RFC 9112 §6.1, §6.3: answer 400
    // and close). Beast 1.74 reads the first as a request without a body and frames
    // "gzip" followed by Content-Length by the length, so the bytes after it would be
    // taken as another request: request smuggling behind a proxy that reads otherwise.
    if (msg.count(http::field::transfer_encoding) != 0 &&
        (!msg.chunked() || msg.count(http::field::content_length) != 0)) {
      return Write(TransportProblem(
          400, "bad-request", "Malformed HTTP request",
          "Transfer-Encoding must end in chunked and cannot come with Content-Length"));
    }
    keep_alive_ = msg.keep_alive();
    // Counted before `stopping` is read, and Stop() sets `stopping` before it reads the
    // count: either this request is refused here or Stop() waits for its answer.
    rep_->in_flight.fetch_add(1);
    if (rep_->stopping.load()) {
      rep_->in_flight.fetch_sub(1);
      keep_alive_ = false;
      Response r = TransportProblem(503, "shutting-down", "Server shutting down",
                                    "the server is stopping; retry later");
      r.headers.emplace_back("retry-after", "5");
      return Write(std::move(r));
    }
    in_request_ = true;
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.body = std::move(msg.body());
    req.remote = remote_;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // Repeated fields combine into one list, as HTTP defines (RFC 9110 §5.3); a repeated
      // Signature header then fails to parse instead of one copy being ignored.
      auto [it, inserted] = req.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    // The handler may answer from another thread: come back to this strand to write.
    rep_->handler(std::move(req), [self = this->shared_from_this()](Response r) {
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
    });
  }

  void Write(Response r) {
    if (r.shared_body != nullptr) {
      // Sent from the shared copy (an answer of the read cache), which stays alive with
      // the message until the write completes.
      struct Shared {
        http::response<http::span_body<const char>> res;
        std::shared_ptr<const std::string> body;
      };
      auto s = std::make_shared<Shared>();
      s->body = std::move(r.shared_body);
      s->res.body() = {s->body->data(), s->body->size()};
      http::response<http::span_body<const char>>& res = s->res;
      return Send(r, std::move(s), res);
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->body() = std::move(r.body);
    http::response<http::string_body>& msg = *res;
    Send(r, std::move(res), msg);
  }

  // Writes `res` (owned by `keep`) with `r`'s status and headers; its body is set.
  template <class Body>
  void Send(const Response& r, std::shared_ptr<void> keep, http::response<Body>& res) {
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::server, "ipledger");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive_ && !rep_->stopping.load());
    res.prepare_payload();
    response_ = std::move(keep);
    beast::get_lowest_layer(stream_).expires_after(rep_->options.write_timeout);
    http::async_write(
        stream_, res,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), !res.keep_alive()));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t) {
    response_.reset();
    if (in_request_) {  // the handler's answer is out: the request is no longer in flight
      in_request_ = false;
      rep_->in_flight.fetch_sub(1);
    }
    if (ec) return CloseSocket();
    if (close) return DoClose();
    DoRead();
  }

  // An orderly close: for HTTPS a TLS close_notify (bounded by the write timeout) first.
  void DoClose() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(rep_->options.write_timeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
    } else {
      CloseSocket();
    }
  }

  void CloseSocket() {
    beast::error_code ec;
    Socket().shutdown(tcp::socket::shutdown_send, ec);
    Socket().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;
  Server::Rep* rep_;
  std::string remote_;
  std::string address_;  // the peer's address without the port, for the per-address cap
  bool keep_alive_ = true;
  bool in_request_ = false;  // a request of this session is with the handler
};

}  // namespace

void Server::Rep::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopping.load()) return;
    } else {
      beast::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      std::string address = peer_ec ? std::string("?") : peer.address().to_string();
      const int from_address = CountAddress(address, +1);
      const bool over = connections.load() >= options.max_connections ||
                        (options.max_connections_per_address > 0 &&
                         from_address >= options.max_connections_per_address);
      if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), this,
                                                                        std::move(address))
            ->Run(over);
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), this, std::move(address))
            ->Run(over);
      }
    }
    if (!stopping.load()) Accept();
  });
}

Server::Server(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Server::~Server() { Stop(); }

namespace {

// The HTTPS context: TLS 1.2 or later, the certificate chain and key from PEM files.
StatusOr<std::unique_ptr<ssl::context>> MakeTlsContext(const ServerOptions& options) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (ec) return Status::Internal("TLS options: " + ec.message());
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
    return Status::Internal("TLS: cannot require TLS 1.2");
  }
  ctx->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("TLS certificate file '" + options.tls_cert_file +
                                   "': " + ec.message());
  }
  ctx->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument("TLS key file '" + options.tls_key_file + "': " + ec.message());
  }
  return ctx;
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  auto rep = std::make_unique<Rep>(options.io_threads);
  rep->options = options;
  rep->handler = std::move(handler);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate file and a key file");
  }
  if (!options.tls_cert_file.empty()) {
    auto ctx = MakeTlsContext(options);
    if (!ctx.ok()) return ctx.status();
    rep->tls = std::move(*ctx);
  }
  beast::error_code ec;
  auto address = net::ip::make_address(options.host, ec);
  if (ec)
    return Status::InvalidArgument("cannot listen on '" + options.host + "': " + ec.message());
  tcp::endpoint endpoint(address, options.port);
  tcp::acceptor acceptor(net::make_strand(rep->ioc));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());
  }
  rep->port = acceptor.local_endpoint(ec).port();
  rep->acceptor.emplace(std::move(acceptor));
  rep->work.emplace(rep->ioc.get_executor());
  rep->Accept();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    rep->threads.emplace_back([r = rep.get()] { r->ioc.run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(rep)));
}

std::uint16_t Server::port() const { return rep_->port; }

int Server::connections() const { return rep_->connections.load(); }

void Server::Stop() {
  if (!rep_ || rep_->stopping.exchange(true)) return;
  net::post(rep_->acceptor->get_executor(), [r = rep_.get()] {
    beast::error_code ec;
    r->acceptor->close(ec);
  });
  // Answer every request the handler has: a submission queued for its batch is
  // committed, so its client must get its receipt (bounded by drain_timeout).
  const auto drain_deadline = std::chrono::steady_clock::now() + rep_->options.drain_timeout;
  while (rep_->in_flight.load() > 0 && std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  rep_->work.reset();
  // Let the last responses (and 503s) finish: they are short; idle keep-alive
  // connections are not waited for beyond this grace period.
  for (int i = 0; i < 200 && rep_->connections.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  rep_->ioc.stop();
  for (auto& t : rep_->threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace ipledger::api
