// Witness policy text: strict parser, formatter and quorum evaluation.
#include "ledger/log/witness_policy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <span>

#include "ledger/base/encoding.h"

namespace ipledger {
namespace {

std::vector<std::string> Tokens(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Status LineError(std::size_t n, const std::string& why) {
  return Status::InvalidArgument("witness policy line " + std::to_string(n) + ": " + why);
}

bool ValidUrl(std::string_view url) {
  return (url.starts_with("http://") || url.starts_with("https://")) &&
         url.find_first_of(" \t\"") == std::string_view::npos;
}

}  // namespace

StatusOr<WitnessPolicy> ParseWitnessPolicy(std::string_view text) {
  WitnessPolicy p;
  std::map<std::string, std::size_t> names;  // name -> member count (witness: 1)
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string> t = Tokens(line);
    if (t.empty()) continue;
    if (t[0] == "witness") {
      if (t.size() != 3 && t.size() != 4) {
        return LineError(line_no, "expected 'witness NAME VKEY [URL]'");
      }
      if (names.contains(t[1])) return LineError(line_no, "duplicate name '" + t[1] + "'");
      auto v = ParseVkey(t[2]);
      if (!v) return LineError(line_no, "bad vkey for witness '" + t[1] + "'");
      PolicyWitness w;
      w.name = t[1];
      // A 0x01 vkey names the witness's Ed25519 key; it cosigns with type 0x04.
      w.verifier = v->type == kNoteSigCosignatureV1 ? *v : [&] {
        NoteVerifier c = *v;
        c.type = kNoteSigCosignatureV1;
        c.key_id = NoteKeyId(c.name, c.type, c.key);
        return c;
      }();
      if (t.size() == 4) {
        if (!ValidUrl(t[3])) return LineError(line_no, "bad URL '" + t[3] + "'");
        w.url = t[3];
        while (w.url.ends_with("/")) w.url.pop_back();
      }
      for (const PolicyWitness& other : p.witnesses) {
        if (other.verifier.key == w.verifier.key) {
          return LineError(line_no,
                           "witness '" + w.name + "' reuses the key of '" + other.name + "'");
        }
      }
      names[w.name] = 1;
      p.witnesses.push_back(std::move(w));
    } else if (t[0] == "group") {
      if (t.size() < 4) return LineError(line_no, "expected 'group NAME k|any|all MEMBER...'");
      if (names.contains(t[1])) return LineError(line_no, "duplicate name '" + t[1] + "'");
      PolicyGroup g;
      g.name = t[1];
      g.members.assign(t.begin() + 3, t.end());
      for (const std::string& m : g.members) {
        if (!names.contains(m)) return LineError(line_no, "unknown member '" + m + "'");
        if (std::count(g.members.begin(), g.members.end(), m) > 1) {
          return LineError(line_no, "member '" + m + "' listed twice");
        }
      }
      if (t[2] == "any") {
        g.threshold = 1;
      } else if (t[2] == "all") {
        g.threshold = g.members.size();
      } else {
        auto k = ParseDecimalU64(t[2]);
        if (!k || *k == 0 || *k > g.members.size()) {
          return LineError(line_no, "threshold must be any, all or 1.." +
                                        std::to_string(g.members.size()) + ", got '" + t[2] + "'");
        }
        g.threshold = static_cast<std::size_t>(*k);
      }
      names[g.name] = g.members.size();
      p.groups.push_back(std::move(g));
    } else if (t[0] == "quorum") {
      if (t.size() != 2) return LineError(line_no, "expected 'quorum NAME'");
      if (!p.quorum.empty()) return LineError(line_no, "a second quorum line");
      if (!names.contains(t[1])) return LineError(line_no, "unknown quorum '" + t[1] + "'");
      p.quorum = t[1];
    } else {
      return LineError(line_no, "unknown statement '" + t[0] + "'");
    }
  }
  if (p.quorum.empty()) return Status::InvalidArgument("witness policy: no 'quorum NAME' line");
  return p;
}

std::string FormatWitnessPolicy(const WitnessPolicy& policy) {
  std::string out;
  for (const PolicyWitness& w : policy.witnesses) {
    out += "witness " + w.name + " " + FormatVkey(w.verifier);
    if (!w.url.empty()) out += " " + w.url;
    out += "\n";
  }
  for (const PolicyGroup& g : policy.groups) {
    out += "group " + g.name + " " + std::to_string(g.threshold);
    for (const std::string& m : g.members) out += " " + m;
    out += "\n";
  }
  out += "quorum " + policy.quorum + "\n";
  return out;
}

std::set<std::string> CosigningWitnesses(const WitnessPolicy& policy, std::string_view note) {
  std::set<std::string> out;
  for (const PolicyWitness& w : policy.witnesses) {
    const NoteVerifier v[1] = {w.verifier};
    if (OpenNote(note, std::span<const NoteVerifier>(v))) out.insert(w.name);
  }
  return out;
}

bool QuorumMet(const WitnessPolicy& policy, const std::set<std::string>& cosigned) {
  std::set<std::string> met = cosigned;
  for (const PolicyGroup& g : policy.groups) {  // members are defined before their group
    std::size_t n = 0;
    for (const std::string& m : g.members)
      if (met.contains(m)) ++n;
    if (n >= g.threshold) met.insert(g.name);
  }
  return met.contains(policy.quorum);
}

StatusOr<CosignedCheckpoint> OpenCosignedCheckpoint(std::string_view note,
                                                    const NoteVerifier& log_key,
                                                    const WitnessPolicy& policy) {
  auto cp = OpenCheckpoint(note, log_key);
  if (!cp.ok()) return cp.status();
  CosignedCheckpoint out;
  out.checkpoint = *cp;
  out.witnesses = CosigningWitnesses(policy, note);
  out.quorum = QuorumMet(policy, out.witnesses);
  return out;
}

}  // namespace ipledger
