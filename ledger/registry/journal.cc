#include "ledger/registry/journal.h"

#include <utility>

#include "crypto/bytes.h"
#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

constexpr std::string_view kMagic = "IPLBAT01";

void PutU32(std::string* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xffu));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool Take(std::size_t n, std::string_view* out) {
    if (s_.size() < n) return false;
    *out = s_.substr(0, n);
    s_.remove_prefix(n);
    return true;
  }
  bool U64(std::uint64_t* v) {
    std::string_view b;
    if (!Take(8, &b)) return false;
    *v = *DecodeFixed64BE(b);
    return true;
  }
  bool U32(std::uint32_t* v) {
    std::string_view b;
    if (!Take(4, &b)) return false;
    *v = 0;
    for (char c : b) *v = (*v << 8) | static_cast<std::uint8_t>(c);
    return true;
  }
  bool empty() const { return s_.empty(); }

 private:
  std::string_view s_;
};

}  // namespace

std::string EncodeJournalBatch(const JournalBatch& b) {
  std::string out(kMagic);
  PutFixed64BE(&out, b.first);
  PutFixed64BE(&out, static_cast<std::uint64_t>(b.time_ms));
  PutFixed64BE(&out, b.size);
  out.append(b.root.begin(), b.root.end());
  PutU32(&out, static_cast<std::uint32_t>(b.envelopes.size()));
  for (const std::string& e : b.envelopes) {
    PutU32(&out, static_cast<std::uint32_t>(e.size()));
    out += e;
  }
  return out;
}

StatusOr<JournalBatch> DecodeJournalBatch(std::string_view bytes) {
  const Status bad = Status::InvalidArgument("malformed journal batch");
  Reader r(bytes);
  std::string_view magic;
  if (!r.Take(kMagic.size(), &magic) || magic != kMagic) return bad;
  JournalBatch b;
  std::uint64_t time = 0;
  std::string_view root;
  std::uint32_t count = 0;
  if (!r.U64(&b.first) || !r.U64(&time) || !r.U64(&b.size) || !r.Take(32, &root) ||
      !r.U32(&count)) {
    return bad;
  }
  b.time_ms = static_cast<std::int64_t>(time);
  std::copy(root.begin(), root.end(), b.root.begin());
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t n = 0;
    std::string_view e;
    if (!r.U32(&n) || !r.Take(n, &e)) return bad;
    b.envelopes.emplace_back(e);
  }
  if (!r.empty() || count == 0 || b.size <= b.first || b.size - b.first < count) return bad;
  return b;
}

Status ApplyJournalBytes(Registry& registry, std::string_view bytes,
                         const SubmissionDecoder& decode) {
  auto batch = DecodeJournalBatch(bytes);
  if (!batch.ok()) return batch.status();
  std::vector<Submission> submissions;
  submissions.reserve(batch->envelopes.size());
  for (std::size_t i = 0; i < batch->envelopes.size(); ++i) {
    auto s = decode(batch->envelopes[i]);
    if (!s.ok()) {
      return Status::Corruption("journal batch at " + std::to_string(batch->first) + ": envelope " +
                                std::to_string(i) + " does not decode: " + s.status().message());
    }
    submissions.push_back(std::move(*s));
  }
  return registry.ApplyBatch(*batch, submissions);
}

}  // namespace ipledger
