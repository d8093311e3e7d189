// RegistryFixture: a real Registry in a temporary directory with a controllable
// clock, deterministic participant keys, and helpers that build, sign (DSSE, Ed25519)
// and submit statements the way a client would (JSON payload via api/).
//
// Thread-compatible; one fixture per test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/registry/registry.h"
#include "tests/testing/testing.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ipledger::testing {

class RegistryFixture {
 public:
  // A registry whose clock reads noon (Asia/Shanghai) of `today`, with the genesis
  // entry registering "registry" (with `recovery_publicity_days`, if set).
  explicit RegistryFixture(Date today = DateFromCivil(2026, 6, 1), rocksdb::Env* env = nullptr,
                           std::optional<std::uint32_t> recovery_publicity_days = {});
  ~RegistryFixture();

  Registry& registry() { return *registry_; }
  // Closes the registry (releasing the database for direct access); Reopen opens it again.
  void Close() { registry_.reset(); }
  void Reopen();
  // RegistryOptions::status_map of the next Reopen (default true).
  void SetStatusMap(bool on) { status_map_ = on; }
  // LedgerOptions::sync of the next Reopen (default true). false: batches are not
  // fsync'd, for long histories whose durability the test does not check.
  void SetSync(bool on) { sync_ = on; }
  std::string dir() const { return dir_.str(); }

  // Moves the clock to noon of `d` (Asia/Shanghai).
  void SetToday(Date d);
  Date today() const { return today_; }
  std::int64_t now_ms() const { return now_ms_; }

  // The participant's k1 key (deterministic per id).
  const SigningKey& KeyOf(const std::string& id);

  // A statement from `submitter` with a fresh idempotency key, created now.
  Statement Make(const std::string& submitter, StatementBody body);
  // Signs `st` with the k1 key of each of `signers` (default: the submitter) and
  // sequences it alone.
  SubmitOutcome Submit(const Statement& st, std::vector<std::string> signers = {});
  // The submission a client would send: JSON payload, DSSE envelope, envelope bytes.
  Submission Sign(const Statement& st, const std::vector<std::string>& signers);
  // The same, signed with explicit keys: (key id "<participant>/<label>", key) pairs.
  Submission SignWithKeys(const Statement& st,
                          const std::vector<std::pair<std::string, const SigningKey*>>& keys);
  // Sequences `s` alone and returns its outcome.
  SubmitOutcome SubmitSigned(const Submission& s);

  // Registers a participant (by the registry) and asserts it was accepted.
  void AddParticipant(const std::string& id, Role role, const std::string& region = "330802");

  // Registry-side shortcuts that assert acceptance. Dates are relative to today.
  void AddPatent(const std::string& application_no, const std::vector<std::string>& holders,
                 PatentType type = PatentType::kInvention, Date filing = DateFromCivil(2018, 3, 1));
  void AddTrademark(const std::string& reg_no, const std::vector<std::string>& holders, Date expiry,
                    std::optional<std::string> group = {});
  // Registers, publicizes and confirms a data asset held by `holder` (an enterprise).
  void AddConfirmedData(const std::string& token, const std::string& holder, Date valid_until);

  // A pledge.register body over `collateral` ending `debt_end`.
  PledgeRegister PledgeBody(const std::string& pledge_id, const std::vector<std::string>& pledgors,
                            const std::vector<std::string>& collateral, Date debt_end,
                            std::int64_t amount = 100'000'000);

 private:
  TempDir dir_;
  rocksdb::Env* env_ = nullptr;
  Date today_;
  std::int64_t now_ms_ = 0;
  int idem_ = 0;
  bool status_map_ = true;
  bool sync_ = true;
  std::map<std::string, SigningKey> keys_;
  std::unique_ptr<Registry> registry_;
};

// "E_X,W_Y" of an outcome, for assertions.
std::string CodesOf(const SubmitOutcome& o);

// Expectations on one outcome (test failures naming its codes and detail otherwise):
// accepted; rejected (logged) with exactly `code`; refused (not logged) with `code` among
// its codes.
void ExpectAccepted(const SubmitOutcome& o);
void ExpectRejected(const SubmitOutcome& o, const std::string& code);
void ExpectRefused(const SubmitOutcome& o, const std::string& code);

// A CNIPA application number for tests: `prefix` (5 digits: year and kind), `serial`
// zero-padded to 7 digits, and its valid check character.
std::string TestPatentNumber(std::string_view prefix, std::uint32_t serial);

}  // namespace ipledger::testing
