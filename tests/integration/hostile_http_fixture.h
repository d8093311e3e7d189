// The raw-socket client and the fixture of the hostile-client tests
// (hostile_http_test.cc: transport and framing; hostile_statement_test.cc: JSON,
// signatures and authority): a real server on 127.0.0.1 port 0 with participants set up,
// a client that sends bytes api::Client would never produce, and a snapshot of the log and
// derived state to assert that a refusal moved nothing.
//
// Test-only; thread-compatible.
#pragma once

#include <arpa/inet.h>
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

namespace ipledger::hostile {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

inline milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// --- A raw TCP client -----------------------------------------------------------------

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One TCP connection to 127.0.0.1:port that sends exactly the bytes it is given and
// parses responses framed by Content-Length (the only framing the server uses). With a
// `source` (a loopback address such as "127.0.0.2") the connection comes from there, as
// another client address would.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
        Close();
      }
    }
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

inline std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

// --- Problem checks ---------------------------------------------------------------------

// `slug` is the problem type's last part; `code` must be in "codes" when given. Transport
// problems (413, 431, 503, a malformed request) carry a type but no codes.
inline void ExpectProblem(int status, const std::string& content_type, const std::string& body,
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

inline void ExpectProblem(const std::optional<RawResponse>& r, int status, const std::string& slug,
                          const std::string& code = "") {
  ASSERT_TRUE(r.has_value()) << "no response (expected " << status << ")";
  const auto ct = r->headers.find("content-type");
  ExpectProblem(r->status, ct == r->headers.end() ? "" : ct->second, r->body, status, slug, code);
}

inline void ExpectProblem(const StatusOr<api::HttpResponse>& r, int status, const std::string& slug,
                          const std::string& code = "") {
  ASSERT_OK(r);
  ExpectProblem(r->status, r->content_type, r->body, status, slug, code);
}

// A transport-level refusal: the problem, then the server closes the connection.
inline void ExpectProblemAndClose(RawConnection& c, int status, const std::string& slug) {
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
    f.AddPatent("2015100000010", {"lanyu-materials"});
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
    for (const char* id : {"patent:2014103620773", "patent:2015100000010"}) {
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
    return api::EncodeStatement(f().Make("ccb-quzhou", Pledge("PL-2", "patent:2015100000010")));
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

}  // namespace ipledger::hostile
