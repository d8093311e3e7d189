// The search certificate (format ipledger.search-certificate/v1): the log's signed
// statement of whether an asset was pledged as of an entry, and under which pledges,
// against one tree. It is the `certificate` of a pledge-status answer (api.md §7) and
// can be kept and checked offline with the log's vkey alone.
//
// Text (each line ends in '\n'; no other control characters; nothing before, between
// or after these lines):
//   ipledger.search-certificate/v1
//   origin <origin>
//   asset <asset id>
//   as-of <entry index, decimal, no leading zeros>
//   tree-size <tree size, decimal, no leading zeros>
//   root <base64 of the 32-byte RFC 6962 root of that tree>
//   status pledged | status not-pledged
//   pledge <pledge id> <pledgee> <state> <registration entry index>   (zero or more)
//   map <map version> <base64 of the 32-byte status map root>           (optional, last)
// Every value is one token: non-empty, without spaces. as-of is below tree-size; the
// status is "pledged" exactly when at least one pledge line follows. The map line names
// the status map root (the map.root entry at index <map version>, not after as-of) the
// answer's map proof is made against; certificates made before the status map have none. The text
// is signed as a C2SP signed note by the log key, whose key name is the origin (as a checkpoint).
// Changing any of this is a format-version bump.
//
// Values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/status.h"

namespace ipledger {

inline constexpr std::string_view kSearchCertificateHeader = "ipledger.search-certificate/v1";

// One `pledge` line: a pledge in effect over the asset as of the certificate's entry.
struct SearchCertificatePledge {
  std::string pledge_id;
  std::string pledgee;  // participant id
  std::string state;    // the pledge's state name, e.g. "registered"
  std::uint64_t registered_index = 0;

  friend bool operator==(const SearchCertificatePledge&, const SearchCertificatePledge&) = default;
};

struct SearchCertificate {
  std::string origin;
  std::string asset;
  std::uint64_t as_of_index = 0;  // the last entry the answer takes into account
  std::uint64_t tree_size = 0;    // of the tree `root` commits to
  Digest root{};
  bool pledged = false;
  std::vector<SearchCertificatePledge> pledges;
  std::optional<std::uint64_t> map_version;  // the map line, if any
  Digest map_root{};

  friend bool operator==(const SearchCertificate&, const SearchCertificate&) = default;
};

// The note text of `c`. Its string fields must be tokens (non-empty, no spaces or
// control characters) for the text to parse back to `c`; registry ids always are.
std::string FormatSearchCertificate(const SearchCertificate& c);

// Parses note text strictly: exactly the lines above, in that order, each in its exact
// form. kInvalidArgument naming the first line that is wrong and why.
StatusOr<SearchCertificate> ParseSearchCertificate(std::string_view text);

// Verifies `note` with `log_key` (ignoring other signers), then parses its text.
// kInvalidArgument if `note` is not a signed note; kFailedPrecondition if no signature
// by `log_key` verifies; kInvalidArgument if the signed text is malformed;
// kFailedPrecondition if its origin differs from the key name.
StatusOr<SearchCertificate> OpenSearchCertificate(std::string_view note,
                                                  const NoteVerifier& log_key);

}  // namespace ipledger
