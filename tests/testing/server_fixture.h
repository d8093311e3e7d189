// ServerFixture: a real ipledger HTTP server on 127.0.0.1 port 0 over a RegistryFixture
// (real RocksDB, real signatures), with the registry's participants set up, and real
// HTTP clients (api::Client) that sign requests with RFC 9421.
//
// Thread-compatible; one fixture per test.
#pragma once

#include <memory>
#include <string>

#include "api/client/http_client.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "api/server/server.h"
#include "ledger/registry/group_commit.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger::testing {

struct ServerFixtureOptions {
  rocksdb::Env* env = nullptr;
  std::size_t max_queue = 16384;
  api::ServerOptions server;   // with tls_cert_file / tls_key_file the server speaks HTTPS
  api::TlsOptions client_tls;  // how ClientFor() and Post() connect
  std::uint32_t write_quota_per_minute = 0;  // api::RouterOptions; 0: none
};

class ServerFixture {
 public:
  explicit ServerFixture(ServerFixtureOptions options = {});
  ~ServerFixture();

  RegistryFixture& f() { return *registry_; }
  std::uint16_t port() const { return server_->port(); }
  api::Server& server() { return *server_; }

  // A client signing as `<participant>/k1` (anonymous if empty), with the fixture's
  // client_tls options.
  std::unique_ptr<api::Client> ClientFor(const std::string& participant = "");

  // POSTs `st` signed by `signers` (default: the submitter) to /v1/entries.
  api::HttpResponse Post(const Statement& st, std::vector<std::string> signers = {},
                         const std::string& path = "/v1/entries", const std::string& as = "");
  // Router log lines, for assertions.
  std::vector<std::string> log_lines() const;

 private:
  std::unique_ptr<RegistryFixture> registry_;
  api::Metrics metrics_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::Server> server_;
  api::TlsOptions client_tls_;
  mutable std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace ipledger::testing
