// Registry construction: Create (with the genesis entry), Open, OpenReadOnly. The rest
// of the class lives by job in sequencer.cc (sequencing) and queries.cc (reads); the
// rules are in rules.cc and the key schema in keys.h.
#include "ledger/registry/registry.h"

#include <chrono>
#include <string>
#include <utility>

#include "ledger/map/sparse_map.h"
#include "ledger/registry/keys.h"

namespace ipledger {

Registry::Registry(std::unique_ptr<Ledger> ledger, RegistryOptions options)
    : ledger_(std::move(ledger)), options_(std::move(options)) {}

Registry::~Registry() {
  stop_map_check_.store(true);
  if (map_check_thread_.joinable()) map_check_thread_.join();
}

Status Registry::Create(const std::string& dir, std::string_view origin, const SigningKey& log_key,
                        const Submission& genesis, const RegistryOptions& options) {
  auto key = SigningKey::FromSeed(log_key.seed());
  if (!key) return Status::Internal("the log key's seed does not make a key");
  auto registry = CreateAndOpen(dir, origin, std::move(*key), genesis, options);
  return registry.ok() ? Status::Ok() : registry.status();
}

StatusOr<std::unique_ptr<Registry>> Registry::CreateAndOpen(const std::string& dir,
                                                            std::string_view origin,
                                                            SigningKey log_key,
                                                            const Submission& genesis,
                                                            const RegistryOptions& options) {
  if (Status s = Ledger::Create(dir, origin, log_key, options.ledger); !s.ok()) return s;
  auto registry = Open(dir, std::move(log_key), options);
  if (!registry.ok()) return registry.status();
  auto outcomes = (*registry)->Submit({&genesis, 1});
  if (!outcomes.ok()) return outcomes.status();
  const SubmitOutcome& o = (*outcomes)[0];
  if (o.kind != OutcomeKind::kAccepted) {
    std::string codes;
    for (const auto& c : o.codes) codes += c + " ";
    return Status::InvalidArgument("genesis entry not accepted: " + codes + o.detail);
  }
  return registry;
}

StatusOr<std::unique_ptr<Registry>> Registry::Open(const std::string& dir, SigningKey log_key,
                                                   const RegistryOptions& options) {
  auto ledger = Ledger::Open(dir, std::move(log_key), options.ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<Registry> r(new Registry(std::move(*ledger), options));
  if (Status s = r->LoadStats(); !s.ok()) return s;
  if (options.status_map) {
    // A log whose map data is missing (see StartStatusMap) gets its map here.
    if (Status s = r->StartStatusMap(); !s.ok()) return s;
  }
  // Derived state edited on disk is found here, not only by a later `verify --replay`:
  // all of it (kFull), or the root and its entry now and the rest in the background.
  if (options.map_check == MapCheck::kFull) {
    if (Status s = r->CheckStatusMap(); !s.ok()) return s;
  } else {
    auto head = r->CheckStatusMapHead();
    if (!head.ok()) return head.status();
    r->StartMapCheck();
  }
  return r;
}

StatusOr<std::unique_ptr<Registry>> Registry::OpenReadOnly(const std::string& dir,
                                                           const RegistryOptions& options) {
  auto ledger = Ledger::OpenReadOnly(dir, options.ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<Registry> r(new Registry(std::move(*ledger), options));
  if (Status s = r->LoadStats(); !s.ok()) return s;
  if (Status s = r->OpenStatusMap(); !s.ok()) return s;
  return r;
}

void Registry::StartMapCheck() {
  map_check_thread_ = std::thread([this] {
    const auto start = std::chrono::steady_clock::now();
    Status s = CheckStatusMapFully(&stop_map_check_);
    if (stop_map_check_.load()) return;
    if (s.code() == ErrorCode::kCorruption) {
      MutexLock l(&map_check_mu_);
      map_check_failure_ = "the status map check at open found a mismatch: " + s.message();
    }
    if (options_.on_map_check) {
      options_.on_map_check(
          s, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  });
}

std::optional<std::string> Registry::MapCheckFailure() const {
  MutexLock l(&map_check_mu_);
  return map_check_failure_;
}

Status Registry::LoadStats() {
  Status decode;
  Status s = ledger_->store().Scan(Column::kIndex, kFactPrefix, PrefixEnd(kFactPrefix),
                                   [&](std::string_view, std::string_view value) {
                                     PledgeFact f;
                                     decode = DecodeFact(value, &f);
                                     if (decode.ok()) decode = stats_.Add(f);
                                     return decode.ok();
                                   });
  if (!s.ok()) return s;
  return decode;
}

}  // namespace ipledger
