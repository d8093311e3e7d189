// HTTPS: the server with a certificate and key, api::Client with a
// CA file, and `ipledgerd --tls-cert --tls-key` driven by `ipledger get --ca-file`, on
// 127.0.0.1 port 0. The CA and the server certificate (subjectAltName IP:127.0.0.1) are
// made at test time with the `openssl` command into the test's own directory.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/client/http_client.h"
#include "api/server/server.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/server_process.h"
#include "tests/testing/shell.h"
#include "tests/testing/testing.h"

extern char** environ;

namespace ipledger {
namespace {

using testing::ServerFixture;
using testing::ServerFixtureOptions;

using Output = testing::ShellResult;  // stderr merged into out
using testing::Contains;

// Runs a shell command; its exit status and combined output.
Output Shell(const std::string& command) { return testing::RunShell(command); }

// A CA and a server certificate for IP 127.0.0.1 signed by it (P-256 keys, PEM files).
struct Certs {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string other_ca_cert;    // a CA that did not sign the server certificate
  std::string wrong_name_cert;  // by the CA, for the server key, but for IP 127.0.0.2
};

// Makes the files under `dir`; fails the test (fatally) if openssl does.
void MakeCerts(const std::string& dir, Certs* out) {
  const std::string ext = dir + "/server.ext";
  {
    std::ofstream f(ext);
    f << "subjectAltName=IP:127.0.0.1\n"
         "basicConstraints=CA:FALSE\n"
         "keyUsage=digitalSignature\n"
         "extendedKeyUsage=serverAuth\n";
    ASSERT_TRUE(f.good()) << ext;
  }
  const std::string wrong_ext = dir + "/wrong-name.ext";
  {
    std::ofstream f(wrong_ext);
    f << "subjectAltName=IP:127.0.0.2\n";
    ASSERT_TRUE(f.good()) << wrong_ext;
  }
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  for (const std::string& cmd : {
           "openssl req -x509" + ec + " -keyout " + dir + "/ca.key -out " + dir +
               "/ca.pem -days 2 -subj /CN=ipledger-test-ca",
           "openssl req -x509" + ec + " -keyout " + dir + "/other-ca.key -out " + dir +
               "/other-ca.pem -days 2 -subj /CN=ipledger-other-ca",
           "openssl req" + ec + " -keyout " + dir + "/server.key -out " + dir +
               "/server.csr -subj /CN=127.0.0.1",
           "openssl x509 -req -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
               "/ca.key -set_serial 1 -days 2 -extfile " + ext + " -out " + dir + "/server.pem",
           "openssl x509 -req -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
               "/ca.key -set_serial 2 -days 2 -extfile " + wrong_ext + " -out " + dir +
               "/wrong-name.pem",
       }) {
    Output r = Shell(cmd);
    ASSERT_EQ(r.code, 0) << cmd << "\n" << r.out;
  }
  out->ca_cert = dir + "/ca.pem";
  out->server_cert = dir + "/server.pem";
  out->server_key = dir + "/server.key";
  out->other_ca_cert = dir + "/other-ca.pem";
  out->wrong_name_cert = dir + "/wrong-name.pem";
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MakeCerts(tmp_.str(), &certs_));
    ServerFixtureOptions o;
    o.server.tls_cert_file = certs_.server_cert;
    o.server.tls_key_file = certs_.server_key;
    o.client_tls = {true, certs_.ca_cert};
    s_ = std::make_unique<ServerFixture>(std::move(o));
    auto& f = s_->f();
    f.AddParticipant("ccb-quzhou", Role::kBank);
    f.AddParticipant("lanyu-materials", Role::kEnterprise);
    f.AddPatent("2014103620773", {"lanyu-materials"});
  }

  std::unique_ptr<api::Client> Client(api::TlsOptions tls) {
    return std::make_unique<api::Client>("127.0.0.1", s_->port(), std::move(tls));
  }

  // `openssl s_client` against the server with `flags`; its exit status and output.
  Output SClient(const std::string& flags) {
    return Shell("openssl s_client -connect 127.0.0.1:" + std::to_string(s_->port()) + " " + flags +
                 " </dev/null");
  }

  // The status of GET /healthz over HTTPS with the CA file; -1 if it failed.
  int Health() {
    auto r = s_->ClientFor()->Request("GET", "/healthz");
    EXPECT_OK(r);
    return r.ok() ? r->status : -1;
  }

  testing::TempDir tmp_;
  Certs certs_;
  std::unique_ptr<ServerFixture> s_;
};

TEST_F(TlsTest, HealthAndSubmitWorkOverHttpsWithTheCaFile) {
  auto c = s_->ClientFor();
  auto health = c->Request("GET", "/healthz");
  ASSERT_OK(health);
  EXPECT_EQ(health->status, 200) << health->body;
  // The same connection is kept alive for the next request.
  auto again = c->Request("GET", "/healthz");
  ASSERT_OK(again);
  EXPECT_EQ(again->status, 200);

  auto& f = s_->f();
  const std::uint64_t size = f.registry().ledger().size();
  auto r = s_->Post(
      f.Make("ccb-quzhou", f.PledgeBody("PL-1", {"lanyu-materials"}, {"patent:2014103620773"},
                                        DateFromCivil(2028, 1, 1))),
      {"ccb-quzhou", "lanyu-materials"});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(f.registry().ledger().size(), size + 2);  // and the map.root entry
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheCaIsRefused) {
  // The system trust store, then a CA that did not sign the server's certificate.
  for (const std::string& ca : {std::string(), certs_.other_ca_cert}) {
    auto r = Client({true, ca})->Request("GET", "/healthz");
    ASSERT_FALSE(r.ok()) << ca;
    EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
    EXPECT_TRUE(Contains(r.status().message(), "certificate verify failed"))
        << r.status().ToString();
  }
  EXPECT_EQ(Health(), 200);
}

TEST_F(TlsTest, ACertificateForAnotherAddressIsRefused) {
  api::ServerOptions o;
  o.tls_cert_file = certs_.wrong_name_cert;
  o.tls_key_file = certs_.server_key;
  auto server = api::Server::Start(o, [](api::Request, api::Respond done) {
    api::Response ok;
    ok.status = 200;
    done(std::move(ok));
  });
  ASSERT_OK(server);
  api::Client c("127.0.0.1", (*server)->port(), {true, certs_.ca_cert});
  auto r = c.Request("GET", "/healthz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "certificate verify failed")) << r.status().ToString();
}

TEST_F(TlsTest, AnUnreadableCaFileIsInvalidArgument) {
  const std::string missing = tmp_.str() + "/no-such-ca.pem";
  auto r = Client({true, missing})->Request("GET", "/healthz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), missing)) << r.status().ToString();
}

TEST_F(TlsTest, PlainHttpToTheTlsPortFailsAndTheServerStaysUp) {
  auto plain = Client({})->Request("GET", "/healthz");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), ErrorCode::kUnavailable) << plain.status().ToString();
  EXPECT_EQ(Health(), 200);
}

TEST_F(TlsTest, OnlyTls12AndLaterAreAccepted) {
  // SECLEVEL=0 lets OpenSSL 3 offer TLS 1.1 at all; the server must refuse it.
  Output old = SClient("-tls1_1 -cipher DEFAULT@SECLEVEL=0 -CAfile " + certs_.ca_cert);
  EXPECT_NE(old.code, 0) << old.out;
  EXPECT_TRUE(Contains(old.out, "protocol version")) << old.out;
  for (const std::string version : {"-tls1_2", "-tls1_3"}) {
    Output ok = SClient(version + " -verify_return_error -CAfile " + certs_.ca_cert);
    EXPECT_EQ(ok.code, 0) << version << "\n" << ok.out;
    EXPECT_TRUE(Contains(ok.out, "Verify return code: 0 (ok)")) << ok.out;
  }
  EXPECT_EQ(Health(), 200);
}

TEST(TlsStartTest, BadTlsFilesAreInvalidArgumentNamingTheFile) {
  testing::TempDir tmp;
  Certs certs;
  ASSERT_NO_FATAL_FAILURE(MakeCerts(tmp.str(), &certs));
  auto handler = [](api::Request, api::Respond done) { done(api::Response{}); };
  const std::string missing = tmp.str() + "/missing.pem";
  struct Case {
    std::string cert, key, named;
  };
  for (const Case& c : std::vector<Case>{
           {missing, certs.server_key, missing},
           {certs.server_cert, missing, missing},
           {certs.server_key, certs.server_key, certs.server_key},  // a key is no certificate
           {certs.server_cert, certs.other_ca_cert, certs.other_ca_cert},     // nor a key
           {certs.server_cert, tmp.str() + "/other-ca.key", "other-ca.key"},  // not its key
           {certs.server_cert, "", "both"},
           {"", certs.server_key, "both"},
       }) {
    api::ServerOptions o;
    o.tls_cert_file = c.cert;
    o.tls_key_file = c.key;
    auto s = api::Server::Start(o, handler);
    ASSERT_FALSE(s.ok()) << c.cert << " " << c.key;
    EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument) << s.status().ToString();
    EXPECT_TRUE(Contains(s.status().message(), c.named)) << s.status().ToString();
  }
}

// --- ipledgerd and the CLI ----------------------------------------------------------------

TEST(TlsCliTest, IpledgerGetSpeaksHttpsToIpledgerdWithTheCaFile) {
  testing::TempDir tmp;
  Certs certs;
  ASSERT_NO_FATAL_FAILURE(MakeCerts(tmp.str(), &certs));
  const std::string cli = IPLEDGER_CLI;
  const std::string data = tmp.str() + "/reg";
  Output init = Shell(cli + " init --data-dir " + data + " --origin test.example/ipledger");
  ASSERT_EQ(init.code, 0) << init.out;

  testing::ServerProcess server;
  const std::string log = tmp.str() + "/ipledgerd.log";
  ASSERT_TRUE(server.Start(IPLEDGERD,
                           {"--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert",
                            certs.server_cert, "--tls-key", certs.server_key},
                           log))
      << testing::ReadFileOrDie(log);
  const std::string url = server.url();
  ASSERT_TRUE(url.starts_with("https://127.0.0.1:")) << url;

  Output get = Shell(cli + " get --server " + url + " /healthz --ca-file " + certs.ca_cert);
  EXPECT_EQ(get.code, 0) << get.out;
  Output untrusted = Shell(cli + " get --server " + url + " /healthz");
  EXPECT_EQ(untrusted.code, 1) << untrusted.out;
  Output plain_ca =
      Shell(cli + " get --server http" + url.substr(5) + " /healthz --ca-file " + certs.ca_cert);
  EXPECT_EQ(plain_ca.code, 2) << plain_ca.out;

  // Half a TLS configuration is a usage error.
  testing::ServerProcess half;
  EXPECT_FALSE(half.Start(
      IPLEDGERD, {"--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert", certs.server_cert},
      log));
  EXPECT_EQ(half.Wait(), 2) << testing::ReadFileOrDie(log);
}

}  // namespace
}  // namespace ipledger
