// The synchronous client against a tiny real Beast server on 127.0.0.1:0: what goes on
// the wire, keep-alive, reconnecting after the server closes, unreachable servers and
// request signatures.
#include "api/client/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/codec/http_signature.h"
#include "tests/testing/testing.h"

namespace ipledger::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::int64_t kCreated = 1764144000;

// One request as the server saw it.
struct Seen {
  int connection = 0;  // 1 for the first accepted connection, ...
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Answers every request with 200, echoing the method, target and body, and the number
// of the connection it came on. Runs its own io_context on one thread.
class EchoServer {
 public:
  enum class Mode {
    kKeepAlive,        // serves any number of requests per connection
    kSilentClose,      // closes after each response without saying so (a stale keep-alive)
    kConnectionClose,  // answers "Connection: close" and closes
    kDropRequests,     // reads a request, then closes without answering
  };

  explicit EchoServer(Mode mode) : mode_(mode), acceptor_(ioc_) {
    beast::error_code ec;
    acceptor_.open(tcp::v4(), ec);
    if (!ec) acceptor_.bind({net::ip::make_address_v4("127.0.0.1"), 0}, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    EXPECT_FALSE(ec) << ec.message();
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~EchoServer() {
    ioc_.stop();
    thread_.join();
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  struct Connection {
    explicit Connection(tcp::socket s, int n) : socket(std::move(s)), id(n) {}
    tcp::socket socket;
    int id;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      Read(std::make_shared<Connection>(std::move(socket), ++connections_));
      Accept();
    });
  }

  void Read(std::shared_ptr<Connection> c) {
    c->req = {};
    http::async_read(c->socket, c->buffer, c->req, [this, c](beast::error_code ec, std::size_t) {
      if (ec) return;  // the client closed, or garbage: drop the connection
      Respond(c);
    });
  }

  void Respond(std::shared_ptr<Connection> c) {
    Seen s;
    s.connection = c->id;
    s.method = std::string(c->req.method_string());
    s.target = std::string(c->req.target());
    for (const auto& f : c->req) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      s.headers[name] = std::string(f.value());
    }
    s.body = c->req.body();
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(s);
    }
    if (mode_ == Mode::kDropRequests) {
      beast::error_code ec;
      c->socket.shutdown(tcp::socket::shutdown_both, ec);
      c->socket.close(ec);
      return;
    }
    c->res = {};
    c->res.version(11);
    c->res.result(http::status::ok);
    c->res.set(http::field::content_type, "text/plain");
    c->res.set("X-Echo-Method", s.method);
    c->res.set("X-Echo-Target", s.target);
    c->res.set("X-Connection", std::to_string(c->id));
    c->res.keep_alive(mode_ != Mode::kConnectionClose);
    c->res.body() = "echo:" + s.body;
    c->res.prepare_payload();
    http::async_write(c->socket, c->res, [this, c](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (mode_ == Mode::kKeepAlive) {
        Read(c);
        return;
      }
      c->socket.shutdown(tcp::socket::shutdown_both, ec);
      c->socket.close(ec);
    });
  }

  const Mode mode_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  int connections_ = 0;  // only touched on the server thread
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

TEST(HttpClientTest, SendsMethodTargetBodyAndHeaders) {
  EchoServer server(EchoServer::Mode::kKeepAlive);
  Client client("127.0.0.1", server.port());
  auto res = client.Request("POST", "/v1/entries?dry_run=1", R"({"a":1})", "application/json",
                            {{"Idempotency-Key", "k-1"}});
  ASSERT_OK(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->content_type, "text/plain");
  EXPECT_EQ(res->body, R"(echo:{"a":1})");
  EXPECT_EQ(res->headers["x-echo-method"], "POST");
  EXPECT_EQ(res->headers["x-echo-target"], "/v1/entries?dry_run=1");

  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/entries?dry_run=1");
  EXPECT_EQ(seen[0].body, R"({"a":1})");
  EXPECT_EQ(seen[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(seen[0].headers.at("content-length"), "7");
  EXPECT_EQ(seen[0].headers.at("idempotency-key"), "k-1");
  EXPECT_EQ(seen[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].headers.count("signature"), 0u);  // no signer: anonymous
  EXPECT_EQ(seen[0].headers.count("signature-input"), 0u);
}

TEST(HttpClientTest, GetHasNoBodyHeaders) {
  EchoServer server(EchoServer::Mode::kKeepAlive);
  Client client("127.0.0.1", server.port());
  auto res = client.Request("GET", "/v1/checkpoint");
  ASSERT_OK(res);
  EXPECT_EQ(res->body, "echo:");
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].headers.count("content-type"), 0u);
  EXPECT_EQ(seen[0].body, "");
}

TEST(HttpClientTest, KeepsTheConnectionAliveAcrossRequests) {
  EchoServer server(EchoServer::Mode::kKeepAlive);
  Client client("127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) {
    auto res = client.Request("GET", "/v1/x/" + std::to_string(i));
    ASSERT_OK(res);
    EXPECT_EQ(res->headers["x-connection"], "1") << "request " << i;
    EXPECT_EQ(res->headers["x-echo-target"], "/v1/x/" + std::to_string(i));
  }
  EXPECT_EQ(server.seen().size(), 3u);
}

TEST(HttpClientTest, ReconnectsAfterTheServerSilentlyClosed) {
  EchoServer server(EchoServer::Mode::kSilentClose);
  Client client("127.0.0.1", server.port());
  for (int i = 1; i <= 3; ++i) {
    auto res = client.Request("POST", "/v1/entries", "body-" + std::to_string(i));
    ASSERT_OK(res) << "request " << i;
    EXPECT_EQ(res->headers["x-connection"], std::to_string(i));
    EXPECT_EQ(res->body, "echo:body-" + std::to_string(i));
  }
  // Each request was processed exactly once, each on its own connection.
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)].connection, i + 1);
    EXPECT_EQ(seen[static_cast<std::size_t>(i)].body, "body-" + std::to_string(i + 1));
  }
}

TEST(HttpClientTest, HonoursConnectionClose) {
  EchoServer server(EchoServer::Mode::kConnectionClose);
  Client client("127.0.0.1", server.port());
  for (int i = 1; i <= 2; ++i) {
    auto res = client.Request("GET", "/v1/x");
    ASSERT_OK(res) << "request " << i;
    EXPECT_EQ(res->headers["x-connection"], std::to_string(i));
    EXPECT_EQ(res->headers["connection"], "close");
  }
  EXPECT_EQ(server.seen().size(), 2u);
}

TEST(HttpClientTest, UnreachableServerIsUnavailable) {
  // A port that was just free: bind one, note it, close it.
  std::uint16_t port = 0;
  {
    net::io_context ioc;
    tcp::acceptor a(ioc);
    beast::error_code ec;
    a.open(tcp::v4(), ec);
    a.bind({net::ip::make_address_v4("127.0.0.1"), 0}, ec);
    ASSERT_FALSE(ec) << ec.message();
    port = a.local_endpoint(ec).port();
  }
  Client client("127.0.0.1", port);
  auto res = client.Request("GET", "/v1/checkpoint");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(res.status().message().find("connect to 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << res.status().message();
  // And again: a failed connect leaves the client usable.
  EXPECT_EQ(client.Request("GET", "/v1/checkpoint").status().code(), ErrorCode::kUnavailable);
}

TEST(HttpClientTest, ServerClosingAFreshConnectionIsUnavailableWithoutRetry) {
  EchoServer server(EchoServer::Mode::kDropRequests);
  Client client("127.0.0.1", server.port());
  auto res = client.Request("POST", "/v1/entries", "once");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(res.status().message().find("POST /v1/entries"), std::string::npos)
      << res.status().message();
  // Sent once: only a kept-alive connection closed under the client is retried.
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpClientTest, InvalidRequestsAreRefusedBeforeSending) {
  EchoServer server(EchoServer::Mode::kKeepAlive);
  Client client("127.0.0.1", server.port());
  EXPECT_EQ(client.Request("GET", "/a b").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.Request("GET", "/a\r\nX-Evil: 1").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.Request("GET", "").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.Request("GE T", "/").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.Request("GET", "/", {}, "application/json", {{"X-A", "1\r\nX-Evil: 1"}})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.Request("GET", "/", {}, "application/json", {{"Bad Name", "1"}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(server.seen().empty());
}

TEST(HttpClientTest, SignedRequestsVerify) {
  EchoServer server(EchoServer::Mode::kKeepAlive);
  const SigningKey key = testing::TestKey(3);
  Client client("127.0.0.1", server.port());
  client.SetSigner("ccb-quzhou/k1", &key);
  client.SetCreatedOverride(kCreated);
  const std::vector<std::string> targets = {"/v1/pledges/PL-1",
                                            "/v1/assets/patent:2014103620773?at=2024-06-30"};
  for (const auto& target : targets) ASSERT_OK(client.Request("GET", target));

  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), targets.size());
  for (const Seen& s : seen) {
    ASSERT_EQ(s.headers.count("signature-input"), 1u) << s.target;
    ASSERT_EQ(s.headers.count("signature"), 1u) << s.target;
    EXPECT_EQ(s.headers.at("signature-input"),
              R"(ipl=("@method" "@path" "@query");created=1764144000;keyid="ccb-quzhou/k1";)"
              R"(alg="ed25519")");
    auto parsed = ParseSignatureHeaders(s.headers.at("signature-input"), s.headers.at("signature"));
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->params.keyid, "ccb-quzhou/k1");
    EXPECT_OK(VerifyRequestSignature(*parsed, s.method, s.target, key.public_key(), kCreated));
    // Bound to this request: it does not verify for another target or key.
    EXPECT_FALSE(
        VerifyRequestSignature(*parsed, s.method, "/v1/other", key.public_key(), kCreated).ok());
    EXPECT_FALSE(VerifyRequestSignature(*parsed, s.method, s.target,
                                        testing::TestKey(4).public_key(), kCreated)
                     .ok());
  }

  // Back to anonymous.
  client.SetSigner("", nullptr);
  ASSERT_OK(client.Request("GET", "/v1/x"));
  EXPECT_EQ(server.seen().back().headers.count("signature"), 0u);
}

}  // namespace
}  // namespace ipledger::api
