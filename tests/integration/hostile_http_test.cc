// Hostile clients against the real server on 127.0.0.1 port 0: slow and
// idle connections, bodies over the limit however they are framed, more connections
// than the cap, malformed, deep, non-UTF-8, duplicate-key and out-of-range JSON, stale
// and revoked signatures, participants acting outside their role, and HTTP framing
// abuse. Each case checks its exact status and problem, and that neither the log nor the
// derived state moved. Raw sockets send what api::Client would never produce.
//
// The plain forms (413 by Content-Length, 431, a tampered request path, an envelope with
// a duplicate top-level key) are in http_test.cc; this file adds the hostile variants.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/codec/http_signature.h"
#include "api/codec/json_codec.h"
#include "api/codec/statement_codec.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "ledger/registry/record.h"
#include "tests/testing/server_fixture.h"

namespace ipledger {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// --- A raw TCP client -----------------------------------------------------------------

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One TCP connection to 127.0.0.1:port that sends exactly the bytes it is given and
// parses responses framed by Content-Length (the only framing the server uses).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close();
    }
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Response bytes received but not yet returned by ReadResponse.
  const std::string& pending() const { return buffer_; }

  // Sends all of `bytes`; false once the peer has closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return fd_ >= 0;
  }

  // The next complete response, waiting at most `timeout`; nullopt on end of stream,
  // reset or timeout.
  std::optional<RawResponse> ReadResponse(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto r = Parse()) return r;
      if (eof_ || !Fill(deadline)) return std::nullopt;
    }
  }

  // Waits until the peer closes (end of stream or reset); false on timeout. Bytes that
  // arrive meanwhile are kept in pending().
  bool WaitClosed(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!eof_) {
      if (!Fill(deadline) && !eof_) return false;
    }
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // Reads what arrives before `deadline`; false on timeout or end of stream.
  bool Fill(Clock::time_point deadline) {
    if (fd_ < 0) {
      eof_ = true;
      return false;
    }
    // Past the deadline, still one look without waiting.
    const auto left = std::max(milliseconds(0),
                               std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {  // end of stream, or reset (ECONNRESET): the peer is gone either way
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  std::optional<RawResponse> Parse() {
    const size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    RawResponse r;
    const std::string head = buffer_.substr(0, end);
    if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 12) return std::nullopt;
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string line =
          head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers[name] = line.substr(v);
      }
      pos = next;
    }
    const size_t length =
        r.headers.contains("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (buffer_.size() < end + 4 + length) return std::nullopt;
    r.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return r;
  }

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

// --- Problem checks ---------------------------------------------------------------------

// `slug` is the problem type's last part; `code` must be in "codes" when given. Transport
// problems (413, 431, 503, a malformed request) carry a type but no codes.
void ExpectProblem(int status, const std::string& content_type, const std::string& body,
                   int want_status, const std::string& slug, const std::string& code = "") {
  EXPECT_EQ(status, want_status) << body;
  EXPECT_EQ(content_type, "application/problem+json") << body;
  json j = json::parse(body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << body;
  EXPECT_EQ(j["status"], want_status) << body;
  EXPECT_EQ(j["type"], "urn:ipledger:problem:" + slug) << body;
  EXPECT_TRUE(j["title"].is_string()) << body;
  EXPECT_TRUE(j["detail"].is_string()) << body;
  ASSERT_TRUE(j["codes"].is_array()) << body;
  if (code.empty()) {
    EXPECT_TRUE(j["codes"].empty()) << body;
  } else {
    EXPECT_EQ(j["codes"], json::array({code})) << body;
  }
}

void ExpectProblem(const std::optional<RawResponse>& r, int status, const std::string& slug,
                   const std::string& code = "") {
  ASSERT_TRUE(r.has_value()) << "no response (expected " << status << ")";
  const auto ct = r->headers.find("content-type");
  ExpectProblem(r->status, ct == r->headers.end() ? "" : ct->second, r->body, status, slug, code);
}

void ExpectProblem(const StatusOr<api::HttpResponse>& r, int status, const std::string& slug,
                   const std::string& code = "") {
  ASSERT_OK(r);
  ExpectProblem(r->status, r->content_type, r->body, status, slug, code);
}

// A transport-level refusal: the problem, then the server closes the connection.
void ExpectProblemAndClose(RawConnection& c, int status, const std::string& slug) {
  auto r = c.ReadResponse();
  ExpectProblem(r, status, slug);
  if (r) {
    EXPECT_EQ(r->headers["connection"], "close");
  }
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000))) << "the server kept the connection open";
}

// --- The fixture --------------------------------------------------------------------------

// What a hostile request must not change: the log and the derived state it touches.
struct StateSnapshot {
  std::uint64_t size = 0;
  std::string signed_checkpoint;
  std::string records;  // participants, assets and pledges, encoded
};

class HostileHttpTest : public ::testing::Test {
 protected:
  // Timeouts short enough that a test waiting for one stays well under a second.
  virtual api::ServerOptions Options() {
    api::ServerOptions o;
    o.read_timeout = milliseconds(500);
    o.write_timeout = milliseconds(500);
    return o;
  }

  void SetUp() override {
    testing::ServerFixtureOptions o;
    o.server = Options();
    s_ = std::make_unique<testing::ServerFixture>(o);
    auto& f = s_->f();
    f.AddParticipant("ccb-quzhou", Role::kBank);
    f.AddParticipant("icbc-quzhou", Role::kBank);
    f.AddParticipant("lanyu-materials", Role::kEnterprise);
    f.AddPatent("2014103620773", {"lanyu-materials"});
    f.AddPatent("2015100000001", {"lanyu-materials"});
    // PL-1: pledged by ccb-quzhou, so that there is a pledge for others to touch.
    pl1_ = f.Sign(f.Make("ccb-quzhou", Pledge("PL-1", "patent:2014103620773")),
                  {"ccb-quzhou", "lanyu-materials"});
    auto out = f.registry().Submit({&pl1_, 1});
    ASSERT_OK(out);
    ASSERT_EQ((*out)[0].kind, OutcomeKind::kAccepted) << (*out)[0].detail;
  }

  void TearDown() override { s_.reset(); }

  testing::RegistryFixture& f() { return s_->f(); }
  std::uint16_t port() const { return s_->port(); }

  PledgeRegister Pledge(const std::string& id, const std::string& asset) {
    return f().PledgeBody(id, {"lanyu-materials"}, {asset}, DateFromCivil(2028, 1, 1));
  }

  StateSnapshot Snapshot() {
    Registry& r = f().registry();
    StateSnapshot s;
    s.size = r.ledger().size();
    s.signed_checkpoint = r.ledger().head().signed_checkpoint;
    auto participants = r.ListParticipants();
    EXPECT_OK(participants);
    if (participants.ok()) {
      for (const auto& p : *participants) s.records += EncodeRecord(p) + "\n";
    }
    for (const char* id : {"patent:2014103620773", "patent:2015100000001"}) {
      auto a = r.GetAsset(id);
      s.records += a.ok() ? EncodeRecord(*a) : a.status().ToString();
      s.records += "\n";
    }
    for (const char* id : {"PL-1", "PL-2"}) {
      auto p = r.GetPledge(id);
      s.records += p.ok() ? EncodeRecord(*p) : p.status().ToString();
      s.records += "\n";
    }
    return s;
  }

  void ExpectUnchanged(const StateSnapshot& before) {
    const StateSnapshot after = Snapshot();
    EXPECT_EQ(after.size, before.size) << "the log grew";
    EXPECT_EQ(after.signed_checkpoint, before.signed_checkpoint);
    EXPECT_TRUE(after.records == before.records) << "the derived state changed";
    // And the server still serves.
    auto c = s_->ClientFor();
    auto h = c->Request("GET", "/healthz");
    ASSERT_OK(h);
    EXPECT_EQ(h->status, 200);
  }

  // An envelope over exactly `payload`, signed by the k1 key of each of `signers`.
  std::string Envelope(std::string_view payload, const std::vector<std::string>& signers) {
    DsseEnvelope env;
    env.payload_type = std::string(api::kStatementPayloadType);
    env.payload.assign(payload.begin(), payload.end());
    for (const std::string& id : signers) AddDsseSignature(env, id + "/k1", f().KeyOf(id));
    return api::EncodeEnvelopeJson(env);
  }

  // The JSON of a fresh pledge.register of PL-2 by ccb-quzhou over the second patent:
  // accepted as is, so that any refusal below is due to the one thing changed.
  std::string Pl2Json() {
    return api::EncodeStatement(f().Make("ccb-quzhou", Pledge("PL-2", "patent:2015100000001")));
  }

  // POSTs `body` to /v1/entries as is, anonymously.
  StatusOr<api::HttpResponse> PostRaw(const std::string& body) {
    auto c = s_->ClientFor();
    return c->Request("POST", "/v1/entries", body);
  }

  std::unique_ptr<testing::ServerFixture> s_;
  Submission pl1_;
};

// --- Slow and idle clients ---------------------------------------------------------------

class SlowClientTest : public HostileHttpTest {
 protected:
  api::ServerOptions Options() override {
    api::ServerOptions o;
    o.read_timeout = milliseconds(300);
    o.write_timeout = milliseconds(300);
    return o;
  }
};

TEST_F(SlowClientTest, SlowlorisHeaderIsCutOffWhileOthersAreServed) {
  const StateSnapshot before = Snapshot();
  const std::string request =
      "GET /v1/participants HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(40, 's') +
      "\r\n\r\n";
  RawConnection slow(port());
  ASSERT_TRUE(slow.connected());
  const auto start = Clock::now();
  bool served_meanwhile = false;
  bool closed = false;
  size_t sent = 0;
  // One byte every 100 ms: the whole request would take seconds; the read timeout is
  // 300 ms for the whole request, however steadily it trickles in.
  while (sent < request.size() && Since(start) < milliseconds(5000)) {
    if (!slow.Send(request.substr(sent++, 1))) {
      closed = true;
      break;
    }
    if (sent == 2) {
      // Another client is answered while the slow one holds its connection.
      const auto t = Clock::now();
      auto other = s_->ClientFor();
      auto h = other->Request("GET", "/healthz");
      ASSERT_OK(h);
      EXPECT_EQ(h->status, 200);
      served_meanwhile = !slow.WaitClosed(milliseconds(0));
      std::printf("healthz beside a slowloris connection: %lld ms\n",
                  static_cast<long long>(Since(t).count()));
    }
    if (slow.WaitClosed(milliseconds(100))) {
      closed = true;
      break;
    }
  }
  const milliseconds elapsed = Since(start);
  EXPECT_TRUE(closed) << "the slow connection was still open after " << elapsed.count() << " ms";
  EXPECT_TRUE(served_meanwhile);
  EXPECT_LT(sent, request.size()) << "the request completed: the timeout did not bite";
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(3000));
  // Closed quietly: a timeout gets no response.
  EXPECT_EQ(slow.pending(), "");
  ExpectUnchanged(before);
}

TEST_F(SlowClientTest, SlowBodyIsCutOffAtTheSameTimeout) {
  const StateSnapshot before = Snapshot();
  RawConnection slow(port());
  ASSERT_TRUE(slow.connected());
  const std::string body = Envelope(Pl2Json(), {"ccb-quzhou", "lanyu-materials"});
  ASSERT_TRUE(slow.Send("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n"));
  const auto start = Clock::now();
  bool closed = false;
  for (size_t i = 0; i < body.size() && Since(start) < milliseconds(5000); ++i) {
    if (!slow.Send(body.substr(i, 1)) || slow.WaitClosed(milliseconds(100))) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Since(start), milliseconds(3000));
  EXPECT_EQ(slow.pending(), "");
  ExpectUnchanged(before);
}

TEST_F(SlowClientTest, IdleConnectionsAreClosedAfterTheTimeout) {
  const StateSnapshot before = Snapshot();
  // A keep-alive connection after one answered request.
  RawConnection kept(port());
  ASSERT_TRUE(kept.Send(Get("/healthz")));
  auto r = kept.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->headers["connection"], "close");
  const auto start = Clock::now();
  EXPECT_TRUE(kept.WaitClosed(milliseconds(3000)));
  EXPECT_GE(Since(start), milliseconds(200));
  EXPECT_EQ(kept.pending(), "");
  // A connection that never sends a byte.
  RawConnection silent(port());
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.WaitClosed(milliseconds(3000)));
  EXPECT_EQ(silent.pending(), "");
  // Both are gone from the server's count.
  const auto deadline = Clock::now() + milliseconds(2000);
  while (s_->server().connections() > 0 && Clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(s_->server().connections(), 0);
  ExpectUnchanged(before);
}

// --- Bodies over the limit, however framed -------------------------------------------------

TEST_F(HostileHttpTest, ChunkedBodyOverTheLimitIs413) {
  const StateSnapshot before = Snapshot();
  {
    RawConnection c(port());
    std::string request =
        "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\n";
    for (int i = 0; i < 9; ++i) request += "2000\r\n" + std::string(0x2000, 'x') + "\r\n";
    request += "0\r\n\r\n";
    c.Send(request);  // the server may close before reading it all
    ExpectProblemAndClose(c, 413, "too-large");
  }
  {
    // One chunk whose size line alone claims more than the limit.
    RawConnection c(port());
    c.Send(
        "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "ffffffff\r\nxx");
    ExpectProblemAndClose(c, 413, "too-large");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, ContentLengthLyingAboutTheSize) {
  const StateSnapshot before = Snapshot();
  {
    // Claims far more than the limit, sends little: refused from the header alone.
    RawConnection c(port());
    c.Send(
        "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n"
        "{}");
    ExpectProblemAndClose(c, 413, "too-large");
  }
  {
    // Claims 16 bytes and sends a whole valid envelope of more than 64 KiB: the 16
    // bytes are the body (not JSON), and the rest is not a request.
    std::string payload = Pl2Json();
    std::string body = Envelope(payload, {"ccb-quzhou", "lanyu-materials"});
    body.insert(body.size() - 1, ",\"pad\":\"" + std::string(70 * 1024, 'p') + "\"");
    RawConnection c(port());
    c.Send("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 16\r\n\r\n" + body);
    ExpectProblem(c.ReadResponse(), 400, "schema", "E_SCHEMA");
    // The rest is a "request" of 70 KiB with no end of header: too large.
    ExpectProblemAndClose(c, 431, "headers-too-large");
  }
  {
    // Claims 2,000 bytes and sends 100: the server waits for the rest until the read
    // timeout, then closes without acting on the partial body.
    RawConnection c(port());
    c.Send("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\n\r\n" +
           Envelope(Pl2Json(), {"ccb-quzhou", "lanyu-materials"}).substr(0, 100));
    EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
    EXPECT_EQ(c.pending(), "");
  }
  for (const char* length : {"-1", "12abc", "0x10", "1, 2"}) {
    RawConnection c(port());
    c.Send(std::string("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ") +
           length + "\r\n\r\n{}");
    SCOPED_TRACE(length);
    ExpectProblemAndClose(c, 400, "bad-request");
  }
  ExpectUnchanged(before);
}

// --- The connection cap -----------------------------------------------------------------

class ConnectionCapTest : public HostileHttpTest {
 protected:
  api::ServerOptions Options() override {
    api::ServerOptions o;
    o.max_connections = 4;
    o.read_timeout = milliseconds(5000);  // the held connections must outlive the test
    o.write_timeout = milliseconds(1000);
    return o;
  }

  bool WaitForConnections(int want) {
    const auto deadline = Clock::now() + milliseconds(3000);
    while (s_->server().connections() != want && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(2));
    }
    return s_->server().connections() == want;
  }
};

TEST_F(ConnectionCapTest, ConnectionsBeyondTheCapGet503AndAreClosed) {
  const StateSnapshot before = Snapshot();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(port()));
    // Each is a live keep-alive connection, counted by the server.
    ASSERT_TRUE(held.back()->Send(Get("/healthz")));
    auto r = held.back()->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
  }
  ASSERT_TRUE(WaitForConnections(4));
  {
    // The fifth, silent: 503 with a problem, then closed.
    RawConnection extra(port());
    ExpectProblemAndClose(extra, 503, "overloaded");
  }
  {
    // The fifth, having sent a request: the same 503 reaches it.
    RawConnection extra(port());
    extra.Send(Get("/healthz"));
    ExpectProblemAndClose(extra, 503, "overloaded");
  }
  auto client = s_->ClientFor();
  ExpectProblem(client->Request("GET", "/healthz"), 503, "overloaded");
  // The held ones are still served.
  ASSERT_TRUE(held[0]->Send(Get("/log/checkpoint")));
  auto still = held[0]->ReadResponse();
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->status, 200);
  // Once two close, new connections are served again.
  held[2].reset();
  held[3].reset();
  ASSERT_TRUE(WaitForConnections(2));
  RawConnection fresh(port());
  ASSERT_TRUE(fresh.Send(Get("/healthz")));
  auto ok = fresh.ReadResponse();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  held.clear();
  fresh.Close();
  ASSERT_TRUE(WaitForConnections(0));
  ExpectUnchanged(before);
}

// --- Hostile JSON -------------------------------------------------------------------------

TEST_F(HostileHttpTest, MalformedAndDeeplyNestedJsonIs400Quickly) {
  const StateSnapshot before = Snapshot();
  const std::string deep_arrays = std::string(10000, '[') + std::string(10000, ']');
  std::string deep_objects;
  for (int i = 0; i < 10000; ++i) deep_objects += "{\"a\":";
  deep_objects += "1" + std::string(10000, '}');
  std::string payload = Pl2Json();
  const std::string in_statement =
      payload.substr(0, payload.size() - 1) + ",\"x\":" + deep_arrays + "}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"truncated", "{\"payloadType\":"},
      {"bare word", "nul"},
      {"trailing garbage", "{}x"},
      {"missing value", "{\"payload\":}"},
      {"arrays 10,000 deep", deep_arrays},
      {"arrays 10,000 deep, unclosed", std::string(10000, '[')},
      {"objects 10,000 deep", deep_objects},
      {"envelope with a deep field", "{\"payloadType\":" + deep_arrays + "}"},
      {"statement 10,000 deep", Envelope(in_statement, {"ccb-quzhou", "lanyu-materials"})},
      {"statement not JSON", Envelope("{\"v\":1,", {"ccb-quzhou"})},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    const auto start = Clock::now();
    ExpectProblem(PostRaw(body), 400, "schema", "E_SCHEMA");
    EXPECT_LT(Since(start), milliseconds(2000));
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, InvalidUtf8IsRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  auto with = [&](const std::string& what, const std::string& replacement) {
    std::string p = payload;
    const size_t at = p.find(what);
    EXPECT_NE(at, std::string::npos) << what;
    if (at != std::string::npos) p.replace(at, what.size(), replacement);
    return p;
  };
  // In the signed statement: a stray continuation byte, an overlong '/', a truncated
  // sequence, an encoded surrogate, and a lone surrogate escape.
  const std::vector<std::string> statements = {
      with("\"PL-2\"", "\"PL-\x80\""),     with("\"PL-2\"", "\"PL-\xc0\xaf\""),
      with("\"PL-2\"", "\"PL-\xe2\x82\""), with("\"PL-2\"", "\"PL-\xed\xa0\x80\""),
      with("\"PL-2\"", "\"PL-\\ud800\""),  with("\"ccb-quzhou\"", "\"ccb-quzhou\xff\""),
  };
  for (const std::string& st : statements) {
    SCOPED_TRACE(HexEncode(AsBytes(st)).substr(0, 64));
    ExpectProblem(PostRaw(Envelope(st, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  // In the envelope itself: in a key id, in the payload type, in a key.
  const std::string good = Envelope(payload, {"ccb-quzhou", "lanyu-materials"});
  for (const auto& [what, bad] : std::vector<std::pair<std::string, std::string>>{
           {"ccb-quzhou/k1", "ccb-quzhou/k\xff"},
           {"application/vnd", "application/vn\xc3"},
           {"\"keyid\"", "\"key\xf0\x9f\x98id\""},
       }) {
    std::string env = good;
    const size_t at = env.find(what);
    ASSERT_NE(at, std::string::npos) << what;
    env.replace(at, what.size(), bad);
    SCOPED_TRACE(what);
    ExpectProblem(PostRaw(env), 400, "schema", "E_SCHEMA");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, DuplicateKeysAreRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  const std::string good = Envelope(payload, {"ccb-quzhou", "lanyu-materials"});
  // The envelope: a signature object with two "sig" (a bogus one first).
  std::string env = good;
  const size_t sig = env.find("\"sig\":");
  ASSERT_NE(sig, std::string::npos);
  env.insert(sig, "\"sig\":\"" + Base64Encode(Bytes(64, 0)) + "\",");
  ExpectProblem(PostRaw(env), 400, "schema", "E_SCHEMA");
  // The envelope: "payload" twice, the second an innocuous statement.
  std::string twice = good;
  twice.insert(1, "\"payload\":\"" + Base64Encode(AsBytes(std::string("{}"))) + "\",");
  ExpectProblem(PostRaw(twice), 400, "schema", "E_SCHEMA");
  // The statement, properly signed: "submitter" twice (icbc-quzhou first; a reader
  // taking the first would see another bank's statement), and a body field twice.
  ASSERT_EQ(payload.find("\"submitter\":\"ccb-quzhou\""), payload.find("\"submitter\""));
  std::string two_submitters = payload;
  two_submitters.insert(1, "\"submitter\":\"icbc-quzhou\",");
  ExpectProblem(PostRaw(Envelope(two_submitters, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                "E_SCHEMA");
  std::string two_ids = payload;
  const size_t id = two_ids.find("\"pledge_id\":\"PL-2\"");
  ASSERT_NE(id, std::string::npos);
  two_ids.insert(id, "\"pledge_id\":\"PL-9\",");
  ExpectProblem(PostRaw(Envelope(two_ids, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                "E_SCHEMA");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, NumbersOutOfRangeAreRefused) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();
  const std::string amount = "\"amount_fen\":100000000";
  ASSERT_NE(payload.find(amount), std::string::npos) << payload;
  for (const char* bad : {"9223372036854775808", "18446744073709551616", "-1", "-100000000", "1e3",
                          "1.0", "1E8", "100000000.0", "1e400"}) {
    std::string p = payload;
    p.replace(p.find(amount), amount.size(), std::string("\"amount_fen\":") + bad);
    SCOPED_TRACE(bad);
    ExpectProblem(PostRaw(Envelope(p, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  // The statement version, too.
  ASSERT_EQ(payload.find("\"v\":1"), payload.size() - 6) << payload;
  for (const char* v : {"1.0", "1e0", "18446744073709551617", "-1"}) {
    std::string p = payload.substr(0, payload.size() - 6) + "\"v\":" + v + "}";
    SCOPED_TRACE(v);
    ExpectProblem(PostRaw(Envelope(p, {"ccb-quzhou", "lanyu-materials"})), 400, "schema",
                  "E_SCHEMA");
  }
  ExpectUnchanged(before);
}

// --- Signatures and authority ---------------------------------------------------------------

TEST_F(HostileHttpTest, RequestSignaturesReplayedOutsideTheWindowAre401) {
  const StateSnapshot before = Snapshot();
  const std::int64_t now = f().now_ms() / 1000;
  auto signed_at = [&](std::string_view method, const std::string& target, std::int64_t created) {
    auto h = api::SignRequest(method, target, "ccb-quzhou/k1", created, f().KeyOf("ccb-quzhou"));
    return std::map<std::string, std::string>{{"Signature-Input", h.signature_input},
                                              {"Signature", h.signature}};
  };
  auto c = s_->ClientFor();
  // The same signed read, captured at the edge of the window and replayed beyond it.
  auto fresh = c->Request("GET", "/v1/pledges/PL-1", "", "application/json",
                          signed_at("GET", "/v1/pledges/PL-1", now - 299));
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  ExpectProblem(c->Request("GET", "/v1/pledges/PL-1", "", "application/json",
                           signed_at("GET", "/v1/pledges/PL-1", now - 301)),
                401, "signature", "E_SIGNATURE");
  // On a public read, a stale signature is 401 too, never the anonymous view.
  ExpectProblem(c->Request("GET", "/v1/participants", "", "application/json",
                           signed_at("GET", "/v1/participants", now - 301)),
                401, "signature", "E_SIGNATURE");
  // On writes: the precheck, and a perfectly good envelope carrying a stale request
  // signature, which must not be appended.
  const std::string envelope = Envelope(Pl2Json(), {"ccb-quzhou", "lanyu-materials"});
  ExpectProblem(c->Request("POST", "/v1/precheck", envelope, "application/json",
                           signed_at("POST", "/v1/precheck", now - 301)),
                401, "signature", "E_SIGNATURE");
  ExpectProblem(c->Request("POST", "/v1/entries", envelope, "application/json",
                           signed_at("POST", "/v1/entries", now - 301)),
                401, "signature", "E_SIGNATURE");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, RevokedKeysAre401ForReadsAndEnvelopes) {
  // ccb-quzhou rotates: k2 added, k1 revoked.
  const SigningKey k2 = testing::TestKey(77);
  ParticipantKeys keys;
  keys.id = "ccb-quzhou";
  keys.add = {{"k2", k2.public_key()}};
  keys.revoke = {"k1"};
  ASSERT_EQ(f().Submit(f().Make("registry", keys), {"registry", "ccb-quzhou"}).kind,
            OutcomeKind::kAccepted);
  const StateSnapshot before = Snapshot();
  // A read signed with the revoked key.
  auto reader = s_->ClientFor("ccb-quzhou");
  ExpectProblem(reader->Request("GET", "/v1/pledges/PL-1"), 401, "signature", "E_SIGNATURE");
  // An envelope signed with the revoked key (with a valid co-signature), alone or next
  // to a valid signature by the new key.
  const std::string payload = Pl2Json();
  ExpectProblem(PostRaw(Envelope(payload, {"ccb-quzhou", "lanyu-materials"})), 401, "signature",
                "E_SIGNATURE");
  DsseEnvelope both;
  both.payload_type = std::string(api::kStatementPayloadType);
  both.payload.assign(payload.begin(), payload.end());
  AddDsseSignature(both, "ccb-quzhou/k2", k2);
  AddDsseSignature(both, "ccb-quzhou/k1", f().KeyOf("ccb-quzhou"));
  AddDsseSignature(both, "lanyu-materials/k1", f().KeyOf("lanyu-materials"));
  ExpectProblem(PostRaw(api::EncodeEnvelopeJson(both)), 401, "signature", "E_SIGNATURE");
  // A release of ccb-quzhou's own pledge, signed with the revoked key.
  PledgeRelease release;
  release.pledge_id = "PL-1";
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("ccb-quzhou", release)), {"ccb-quzhou"})), 401,
      "signature", "E_SIGNATURE");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, ParticipantsActingOutsideTheirAuthorityAre403) {
  const StateSnapshot before = Snapshot();
  // A bank releasing, amending or enforcing another bank's pledge.
  PledgeRelease release;
  release.pledge_id = "PL-1";
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("icbc-quzhou", release)), {"icbc-quzhou"})),
      403, "forbidden", "E_FORBIDDEN");
  PledgeEnforce enforce;
  enforce.pledge_id = "PL-1";
  enforce.started = f().today();
  ExpectProblem(
      PostRaw(Envelope(api::EncodeStatement(f().Make("icbc-quzhou", enforce)), {"icbc-quzhou"})),
      403, "forbidden", "E_FORBIDDEN");
  // An enterprise registering a pledge over its own patent, even co-signed by a bank.
  ExpectProblem(PostRaw(Envelope(api::EncodeStatement(f().Make(
                                     "lanyu-materials", Pledge("PL-2", "patent:2015100000001"))),
                                 {"lanyu-materials", "ccb-quzhou"})),
                403, "forbidden", "E_FORBIDDEN");
  // A missing co-signer: the pledgor has not signed.
  ExpectProblem(PostRaw(Envelope(Pl2Json(), {"ccb-quzhou"})), 403, "forbidden", "E_FORBIDDEN");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, AStatementReplayedUnderAnotherSubmitterIs403) {
  const StateSnapshot before = Snapshot();
  const std::string payload = Pl2Json();  // names ccb-quzhou as the submitter
  // Signed only by another bank.
  ExpectProblem(PostRaw(Envelope(payload, {"icbc-quzhou"})), 403, "forbidden", "E_FORBIDDEN");
  // The same statement bytes with the pledgor's real signature, the submitter's
  // replaced by another bank's.
  ExpectProblem(PostRaw(Envelope(payload, {"icbc-quzhou", "lanyu-materials"})), 403, "forbidden",
                "E_FORBIDDEN");
  ExpectUnchanged(before);
}

// Regression: the registry used to look up the idempotency key before checking that
// the submitter signed, answering 409 E_IDEMPOTENCY_CONFLICT (and the index of the
// original entry) to a bank that may not submit the statement at all.
TEST_F(HostileHttpTest, ALoggedStatementReSignedByAnotherBankIs403) {
  const StateSnapshot before = Snapshot();
  // PL-1's envelope, already in the log, with the submitter's signature swapped for
  // another bank's: the same payload bytes under another signer are not a replay.
  DsseEnvelope swapped = pl1_.envelope;
  ASSERT_EQ(swapped.signatures.front().keyid, "ccb-quzhou/k1");
  swapped.signatures.erase(swapped.signatures.begin());
  AddDsseSignature(swapped, "icbc-quzhou/k1", f().KeyOf("icbc-quzhou"));
  ExpectProblem(PostRaw(api::EncodeEnvelopeJson(swapped)), 403, "forbidden", "E_FORBIDDEN");
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, TheSameEnvelopePostedTwiceIsOneEntry) {
  const std::uint64_t size = f().registry().ledger().size();
  const std::string envelope = Envelope(Pl2Json(), {"ccb-quzhou", "lanyu-materials"});
  // Twice at once, on two connections.
  std::vector<StatusOr<api::HttpResponse>> answers(2, Status::Internal("not sent"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      api::Client c("127.0.0.1", port());
      answers[i] = c.Request("POST", "/v1/entries", envelope);
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK(answers[0]);
  ASSERT_OK(answers[1]);
  std::multiset<int> statuses = {answers[0]->status, answers[1]->status};
  EXPECT_EQ(statuses, (std::multiset<int>{200, 201})) << answers[0]->body << "\n"
                                                      << answers[1]->body;
  const json a = json::parse(answers[0]->body, nullptr, false);
  const json b = json::parse(answers[1]->body, nullptr, false);
  EXPECT_EQ(a["index"], b["index"]);
  EXPECT_EQ(a["leaf"], b["leaf"]);
  // And once more, later: the original receipt again.
  auto again = PostRaw(envelope);
  ASSERT_OK(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(json::parse(again->body, nullptr, false)["index"], a["index"]);
  EXPECT_EQ(f().registry().ledger().size(), size + 1);
  auto pledge = f().registry().GetPledge("PL-2");
  ASSERT_OK(pledge);
  EXPECT_EQ(pledge->history.size(), 1u);
}

// --- HTTP framing abuse ------------------------------------------------------------------------

TEST_F(HostileHttpTest, ContentLengthWithTransferEncodingIs400AndClosed) {
  const StateSnapshot before = Snapshot();
  const std::string smuggled = Get("/v1/participants/ccb-quzhou");
  for (const std::string& framing :
       {std::string("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
        std::string("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"),
        std::string("Content-Length: 4\r\nTransfer-Encoding: identity, chunked\r\n")}) {
    RawConnection c(port());
    // Read by Content-Length, the body is "0\r\n\r" and a request follows; read as
    // chunked, the body is empty and the request follows. Neither reading may be taken.
    c.Send("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + "\r\n0\r\n\r\n" +
           smuggled);
    SCOPED_TRACE(framing);
    ExpectProblemAndClose(c, 400, "bad-request");
  }
  // A transfer coding other than chunked last: the length is unknowable, whatever
  // else the header says.
  for (const std::string& framing :
       {std::string("Transfer-Encoding: gzip\r\n"),
        std::string("Transfer-Encoding: chunked, gzip\r\n"),
        std::string("Transfer-Encoding: gzip\r\nContent-Length: 2\r\n")}) {
    RawConnection c(port());
    c.Send("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + "\r\n{}" + smuggled);
    SCOPED_TRACE(framing);
    ExpectProblemAndClose(c, 400, "bad-request");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, AbsoluteFormRequestTargetIsAnsweredNotCrashed) {
  const StateSnapshot before = Snapshot();
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("http://127.0.0.1/healthz")));
  // The router matches paths only: an absolute-form target names no route (404), and
  // the connection stays usable.
  ExpectProblem(c.ReadResponse(), 404, "not-found");
  ASSERT_TRUE(c.Send(Get("/healthz")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // Nor does an authority-form or asterisk-form target on GET.
  for (const char* target : {"127.0.0.1:80", "*"}) {
    ASSERT_TRUE(c.Send(Get(target)));
    SCOPED_TRACE(target);
    ExpectProblem(c.ReadResponse(), 404, "not-found");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, NonHttpInputIs400AndClosed) {
  const StateSnapshot before = Snapshot();
  static constexpr char kNulInField[] = "GET /healthz HTTP/1.1\r\nX: a\0b\r\n\r\n";
  // The start of a TLS ClientHello, then an end of header so that the parser looks.
  static constexpr char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
  for (const std::string& garbage : {
           std::string("HELLO\r\n\r\n"),
           std::string("GET /healthz\r\n\r\n"),           // HTTP/0.9
           std::string("GET /healthz HTTP/2.0\r\n\r\n"),  // not 1.x
           std::string("GET /he lthz HTTP/1.1\r\nHost: x\r\n\r\n"),
           std::string("G\x01T /healthz HTTP/1.1\r\n\r\n"),
           std::string("GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n"),
           std::string("GET /healthz HTTP/1.1\r\n: empty-name\r\n\r\n"),
           std::string(kNulInField, sizeof(kNulInField) - 1),
           std::string(kTlsHello, sizeof(kTlsHello) - 1),
       }) {
    RawConnection c(port());
    c.Send(garbage);
    SCOPED_TRACE(HexEncode(AsBytes(garbage)));
    ExpectProblemAndClose(c, 400, "bad-request");
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, Http10WithoutKeepAliveIsAnsweredThenClosed) {
  const StateSnapshot before = Snapshot();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.0\r\n\r\n"));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body, nullptr, false)["status"], "ok");
    EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  }
  {
    // HTTP/1.0 asking for keep-alive keeps its connection.
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(c.Send("GET /log/vkey HTTP/1.0\r\n\r\n"));
    r = c.ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  }
  ExpectUnchanged(before);
}

TEST_F(HostileHttpTest, PipelinedRequestsAreAnsweredInOrder) {
  const StateSnapshot before = Snapshot();
  RawConnection c(port());
  // Three requests in one write: two reads and a refused write between them.
  ASSERT_TRUE(c.Send(Get("/v1/participants/icbc-quzhou") +
                     "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n"
                     "{}" +
                     Get("/v1/participants/ccb-quzhou")));
  auto first = c.ReadResponse();
  auto second = c.ReadResponse();
  auto third = c.ReadResponse();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(json::parse(first->body, nullptr, false)["id"], "icbc-quzhou");
  ExpectProblem(second, 400, "schema", "E_SCHEMA");
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(json::parse(third->body, nullptr, false)["id"], "ccb-quzhou");
  // The connection is still open for a fourth.
  ASSERT_TRUE(c.Send(Get("/healthz", "Connection: close\r\n")));
  auto fourth = c.ReadResponse();
  ASSERT_TRUE(fourth.has_value());
  EXPECT_EQ(fourth->status, 200);
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  ExpectUnchanged(before);
}

}  // namespace
}  // namespace ipledger
