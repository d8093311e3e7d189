// HttpStoryTest: the gtest fixture the HTTP integration tests start from: a real server
// (ServerFixture) with the cast of the pledge story registered (the bank ccb-quzhou, the
// enterprises lanyu-materials and hengtai-valve, the insurer picc-zhejiang, the regulator
// cnipa-zj, and patent:2014103620773 held by lanyu-materials), plus GET and pledge helpers.
//
// Test-only; thread-compatible (one fixture per test).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ledger/base/civil_time.h"
#include "ledger/registry/statement.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/testing.h"

namespace ipledger::testing {

class HttpStoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& f = s_.f();
    f.AddParticipant("ccb-quzhou", Role::kBank);
    f.AddParticipant("lanyu-materials", Role::kEnterprise);
    f.AddParticipant("hengtai-valve", Role::kEnterprise);
    f.AddParticipant("picc-zhejiang", Role::kInsurer);
    f.AddParticipant("cnipa-zj", Role::kRegulator);
    f.AddPatent("2014103620773", {"lanyu-materials"});
  }

  // GET `target` signed as `as` (anonymous if empty); an empty response, and a test
  // failure, when the request itself fails.
  api::HttpResponse Get(const std::string& target, const std::string& as = "") {
    auto c = s_.ClientFor(as);
    auto r = c->Request("GET", target);
    EXPECT_OK(r);
    return r.ok() ? *r : api::HttpResponse{};
  }

  // A pledge `id` of patent:2014103620773 by lanyu-materials to ccb-quzhou until `end`.
  PledgeRegister PledgeBody(const std::string& id, Date end = DateFromCivil(2028, 1, 1)) {
    return s_.f().PledgeBody(id, {"lanyu-materials"}, {"patent:2014103620773"}, end);
  }

  // A policy `id` by picc-zhejiang insuring lanyu-materials against infringement loss on
  // patent:2014103620773 for a year from today, ccb-quzhou the loss payee (limits
  // 500,000 and 1,000,000 yuan, no deductible).
  PolicyIssue PolicyBody(const std::string& id) {
    PolicyIssue p;
    p.policy_id = id;
    p.product = "infringement_loss";
    p.insured = "lanyu-materials";
    p.loss_payees = {"ccb-quzhou"};
    p.covered_assets = {"patent:2014103620773"};
    p.period = {s_.f().today(), AddYears(s_.f().today(), 1)};
    p.limit_per_claim = {50'000'000, "CNY"};
    p.aggregate_limit = {100'000'000, "CNY"};
    p.deductible = {0, "CNY"};
    return p;
  }

  // Posts that pledge, submitted by the bank and signed by both parties.
  api::HttpResponse PostPledge(const std::string& id, Date end = DateFromCivil(2028, 1, 1)) {
    return s_.Post(s_.f().Make("ccb-quzhou", PledgeBody(id, end)),
                   {"ccb-quzhou", "lanyu-materials"});
  }

  ServerFixture s_;
};

}  // namespace ipledger::testing
