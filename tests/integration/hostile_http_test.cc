// Hostile clients against the real server on 127.0.0.1 port 0, transport and framing:
// slow and idle connections, bodies over the limit however they are framed, more
// connections than the cap, smuggling-shaped headers, non-HTTP input and pipelining. Each
// case checks its exact status and problem, and that neither the log nor the derived
// state moved. The JSON, signature and authority cases are in hostile_statement_test.cc;
// the plain forms (413 by Content-Length, 431, a tampered request path) in http_test.cc.
#include "tests/integration/hostile_http_fixture.h"

namespace ipledger {
namespace {

using namespace hostile;  // NOLINT: the fixture's names, test-only
using nlohmann::json;
using std::chrono::milliseconds;

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
  // The pledge and its batch's map.root entry.
  EXPECT_EQ(f().registry().ledger().size(), size + 2);
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
