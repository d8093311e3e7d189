// The engine of `ipledger monitor` (issue 13 item 5): follows a registry's log through
// its public, unauthenticated endpoints only (GET /log/checkpoint and the entry bundles
// of C2SP tlog-tiles) and keeps what it verified in a state directory, so that each run
// resumes where the last one stopped.
//
// For every new checkpoint it checks: the note is signed by the log key (the vkey); the
// tree did not shrink; every new leaf of the entry bundles decodes canonically with its
// own index; and the RFC 6962 root recomputed from the verified compact range (the
// roots of the perfect subtrees of the last verified tree, persisted) extended by the new
// leaves equals the checkpoint's root. That one comparison proves both that the new tree
// extends the one verified before (consistency, without trusting a proof from the
// server) and that the bundles hold exactly the leaves of the tree. Leaves already seen
// that a bundle repeats (a partial tile fetched again) must hash as before.
//
// State directory (created 0700; a lock file keeps a second monitor out):
//   state   text, replaced atomically (temporary file, fsync, rename, directory fsync):
//           the verified size, root, byte length of `leaves`, the compact range, the leaf
//           hashes of the partial last tile, then the signed checkpoint note verbatim;
//   leaves  every verified leaf, each as u16 big-endian length || bytes (the entry
//           bundle encoding), appended and fsync'd before `state` names its new length;
//           a tail beyond that length (a run that stopped mid-way) is cut off on open.
//
// A Monitor is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/client/http_client.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/base/status.h"
#include "ledger/log/checkpoint.h"

namespace ipledger::api {

// What one catch-up did.
struct CatchUpReport {
  std::uint64_t old_size = 0;         // verified size before
  std::uint64_t new_size = 0;         // verified size after (the latest checkpoint's)
  std::uint64_t entries_fetched = 0;  // leaves downloaded (repeats of a partial tile included)
  std::uint64_t requests = 0;         // HTTP requests made
  double seconds = 0;                 // wall time of the catch-up
};

// Called for every new verified leaf in index order (before the checkpoint is persisted),
// e.g. to recompute derived state. A non-OK status stops the catch-up and is returned.
using LeafObserver = std::function<Status(std::uint64_t index, std::string_view leaf)>;

class Monitor {
 public:
  // Opens (creating if needed) the state directory `dir` for the log of `log_key`.
  // kFailedPrecondition if its checkpoint is not signed by `log_key` (another log) or if
  // another monitor holds it; kCorruption if the state is unreadable or inconsistent;
  // kUnavailable on an I/O error.
  static StatusOr<std::unique_ptr<Monitor>> Open(const std::string& dir,
                                                 const NoteVerifier& log_key);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Fetches the latest checkpoint through `client` and verifies everything up to it.
  // On success the new state is persisted. A disagreement (bad signature, shrunk or
  // forked log, a bundle that does not decode or hash into the tree, a tile the
  // checkpoint implies but the server does not serve) is kFailedPrecondition whose
  // message names the tree size or the entry index; nothing is persisted then.
  // kUnavailable if the server cannot be reached or answers 5xx (worth a retry).
  StatusOr<CatchUpReport> CatchUp(Client& client);

  // Sets the observer of new leaves (see LeafObserver); empty for none.
  void SetLeafObserver(LeafObserver observer);

  // Calls `f` for every leaf persisted so far, in index order (to rebuild derived state
  // on resume). Stops at and returns the first non-OK status.
  Status ForEachPersistedLeaf(const LeafObserver& f) const;

  // The last verified checkpoint (size 0 and the empty root before the first one).
  const Checkpoint& checkpoint() const;
  // Its signed note, empty before the first one.
  const std::string& checkpoint_note() const;

 private:
  struct Rep;
  explicit Monitor(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// The RFC 6962 root of a compact range: the roots of the perfect subtrees of a tree,
// largest (leftmost) first. EmptyTreeRoot() for none. Exposed for tests.
Digest CompactRangeRoot(const std::vector<Digest>& range);
// Appends a leaf hash to a compact range (merging equal-height subtrees). `size` is the
// number of leaves the range covers before the append.
void CompactRangeAppend(std::vector<Digest>* range, std::uint64_t size, const Digest& leaf_hash);

}  // namespace ipledger::api
