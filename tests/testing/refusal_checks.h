// Checks shared by the rule tests (tests/ledger/registry/rules_*_test.cc): that a
// statement submitted through a RegistryFixture is refused by a rule the way the log
// records it, one refusal leaf naming the refused statement type.
//
// Test-only; thread-compatible.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/log/entry.h"
#include "tests/testing/registry_fixture.h"

namespace ipledger::testing {

// Submits `s` (signed by its submitter, or by `signers` when given) and expects a rule
// refusal with `code` among its codes: exactly one leaf, a refusal of s's type.
inline void ExpectOneRefusal(RegistryFixture& f, const Statement& s, const std::string& code,
                             const std::vector<std::string>& signers = {}) {
  const std::uint64_t before = f.registry().ledger().size();
  SubmitOutcome o = f.Submit(s, signers);
  EXPECT_EQ(o.kind, OutcomeKind::kRefused) << CodesOf(o) << " " << o.detail;
  EXPECT_NE(std::find(o.codes.begin(), o.codes.end(), code), o.codes.end())
      << "expected " << code << ", got " << CodesOf(o) << " " << o.detail;
  EXPECT_EQ(f.registry().ledger().size(), before + 1);
  auto entry = DecodeLeaf(o.leaf);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->type, "refusal");
  EXPECT_EQ(entry->refused, s.type);
}

}  // namespace ipledger::testing
