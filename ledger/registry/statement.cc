#include "ledger/registry/statement.h"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace ipledger {
namespace {

// One table per enum, indexed by the enumerator's value, so that a name and its
// parse can never disagree (both read the same array).
constexpr std::array<std::string_view, 6> kRoleNames = {"registry",  "bank",      "insurer",
                                                        "appraiser", "regulator", "enterprise"};
constexpr std::array<std::string_view, 3> kAssetKindNames = {"patent", "trademark", "data"};
constexpr std::array<std::string_view, 3> kPatentTypeNames = {"invention", "utility_model",
                                                              "design"};
constexpr std::array<std::string_view, 4> kDataSourceNames = {"self_collected", "licensed",
                                                              "purchased", "public_authorised"};
constexpr std::array<std::string_view, 11> kAssetEventNames = {
    "annuity_paid",         "fee_grace",
    "invalidation_started", "invalidation_ended",
    "invalidated",          "partially_invalidated",
    "terminated",           "preservation",
    "preservation_lifted",  "renewed",
    "transferred"};
constexpr std::array<std::string_view, 3> kValuationMethodNames = {"income", "market", "cost"};
constexpr std::array<std::string_view, 6> kCollateralKindNames = {
    "real_estate", "equipment", "inventory", "receivables", "guarantee", "credit"};
constexpr std::array<std::string_view, 2> kSecuredTypeNames = {"loan", "ceiling"};
constexpr std::array<std::string_view, 6> kReleaseReasonNames = {
    "repaid", "prepaid", "realised", "waived", "contract_void", "other"};
constexpr std::array<std::string_view, std::variant_size_v<StatementBody>> kStatementTypeNames = {
    "participant.register",
    "participant.keys",
    "asset.register",
    "asset.status",
    "data.publicize",
    "data.object",
    "data.resolve_objection",
    "data.confirm",
    "data.reject",
    "valuation.attest",
    "valuation.withdraw",
    "case.register",
    "pledge.register",
    "pledge.amend",
    "pledge.release",
    "pledge.enforce",
    "policy.issue",
    "policy.cancel",
    "policy.claim",
    "participant.recover",
    "participant.recover_cancel",
    "participant.recover_complete",
    "pledge.revoke",
    "pledge.release_request"};

template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::string_view, N>& names, E e) {
  const auto i = static_cast<std::size_t>(static_cast<std::underlying_type_t<E>>(e));
  // An out-of-range value can only come from a cast of a bad integer; an empty name
  // then fails any later parse instead of reading past the table.
  return i < N ? names[i] : std::string_view();
}

template <typename E, std::size_t N>
std::optional<E> Parse(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(static_cast<std::underlying_type_t<E>>(i));
  }
  return std::nullopt;
}

}  // namespace

std::string_view RoleName(Role r) { return NameOf(kRoleNames, r); }
std::string_view AssetKindName(AssetKind k) { return NameOf(kAssetKindNames, k); }
std::string_view PatentTypeName(PatentType t) { return NameOf(kPatentTypeNames, t); }
std::string_view DataSourceName(DataSource s) { return NameOf(kDataSourceNames, s); }
std::string_view AssetEventName(AssetEvent e) { return NameOf(kAssetEventNames, e); }
std::string_view ValuationMethodName(ValuationMethod m) { return NameOf(kValuationMethodNames, m); }
std::string_view CollateralKindName(CollateralKind k) { return NameOf(kCollateralKindNames, k); }
std::string_view SecuredTypeName(SecuredType t) { return NameOf(kSecuredTypeNames, t); }
std::string_view ReleaseReasonName(ReleaseReason r) { return NameOf(kReleaseReasonNames, r); }

std::optional<Role> ParseRole(std::string_view s) { return Parse<Role>(kRoleNames, s); }
std::optional<AssetKind> ParseAssetKind(std::string_view s) {
  return Parse<AssetKind>(kAssetKindNames, s);
}
std::optional<PatentType> ParsePatentType(std::string_view s) {
  return Parse<PatentType>(kPatentTypeNames, s);
}
std::optional<DataSource> ParseDataSource(std::string_view s) {
  return Parse<DataSource>(kDataSourceNames, s);
}
std::optional<AssetEvent> ParseAssetEvent(std::string_view s) {
  return Parse<AssetEvent>(kAssetEventNames, s);
}
std::optional<ValuationMethod> ParseValuationMethod(std::string_view s) {
  return Parse<ValuationMethod>(kValuationMethodNames, s);
}
std::optional<CollateralKind> ParseCollateralKind(std::string_view s) {
  return Parse<CollateralKind>(kCollateralKindNames, s);
}
std::optional<SecuredType> ParseSecuredType(std::string_view s) {
  return Parse<SecuredType>(kSecuredTypeNames, s);
}
std::optional<ReleaseReason> ParseReleaseReason(std::string_view s) {
  return Parse<ReleaseReason>(kReleaseReasonNames, s);
}

std::string_view StatementTypeName(const StatementBody& body) {
  // valueless_by_exception() cannot happen (nothing here throws) but must not index out.
  return body.index() < kStatementTypeNames.size() ? kStatementTypeNames[body.index()]
                                                   : std::string_view();
}

const std::vector<std::string_view>& StatementTypeNames() {
  // Leaked on purpose: no destructor runs at exit for a table other statics may read.
  static const auto* const names =
      new std::vector<std::string_view>(kStatementTypeNames.begin(), kStatementTypeNames.end());
  return *names;
}

}  // namespace ipledger
