#include "tests/testing/server_fixture.h"

#include "api/codec/json_codec.h"

namespace ipledger::testing {

ServerFixture::ServerFixture(ServerFixtureOptions options) : client_tls_(options.client_tls) {
  registry_ = std::make_unique<RegistryFixture>(DateFromCivil(2026, 6, 1), options.env);
  GroupCommitOptions gco;
  gco.max_queue = options.max_queue;
  committer_ = std::make_unique<GroupCommitter>(registry_->registry(), gco);
  api::RouterOptions ro;
  ro.clock_seconds = [this] { return registry_->now_ms() / 1000; };
  ro.log = [this](const std::string& line) {
    std::lock_guard<std::mutex> l(log_mu_);
    log_.push_back(line);
  };
  ro.write_quota_per_minute = options.write_quota_per_minute;
  router_ = std::make_unique<api::Router>(registry_->registry(), *committer_, metrics_, ro);
  auto server = api::Server::Start(options.server, [this](api::Request r, api::Respond done) {
    router_->Handle(std::move(r), std::move(done));
  });
  EXPECT_OK(server);
  if (server.ok()) server_ = std::move(*server);
}

ServerFixture::~ServerFixture() {
  if (server_) server_->Stop();
  if (committer_) committer_->Stop();
}

std::unique_ptr<api::Client> ServerFixture::ClientFor(const std::string& participant) {
  auto c = std::make_unique<api::Client>("127.0.0.1", port(), client_tls_);
  if (!participant.empty()) {
    c->SetSigner(participant + "/k1", &registry_->KeyOf(participant));
    c->SetCreatedOverride(registry_->now_ms() / 1000);
  }
  return c;
}

api::HttpResponse ServerFixture::Post(const Statement& st, std::vector<std::string> signers,
                                      const std::string& path, const std::string& as) {
  if (signers.empty()) signers = {st.submitter};
  Submission s = registry_->Sign(st, signers);
  auto client = ClientFor(as);
  auto r = client->Request("POST", path, s.envelope_bytes);
  EXPECT_OK(r);
  return r.ok() ? *r : api::HttpResponse{};
}

std::vector<std::string> ServerFixture::log_lines() const {
  std::lock_guard<std::mutex> l(log_mu_);
  return log_;
}

}  // namespace ipledger::testing
