// Witness policies in the browser: parses the policy text that `ipledgerd
// --witness-policy` and `ipledger ... --policy FILE` read (the format of sigsum and Go's
// transparency tools, with the same strictness as ledger/log/witness_policy.cc) and
// checks the cosignature lines (C2SP tlog-cosignature, cosignature/v1) of a cosigned
// checkpoint against it with the SDK. Pure functions.
//
//   witness NAME VKEY [URL]          a 0x04 cosignature/v1 vkey, or a 0x01 Ed25519 vkey
//                                    taken as the witness's cosigning key
//   group NAME k|any|all MEMBER...   members defined above
//   quorum NAME                      exactly once
import {
  NOTE_SIG_COSIGNATURE_V1, fail, makeNoteVerifier, ok, parseNote, parseVkey, verifyCheckpoint,
  type Checkpoint, type NoteVerifier, type Result,
} from "../../sdk/typescript/src/index.js";

export interface WitnessPolicy {
  witnesses: { name: string; verifier: NoteVerifier }[];
  groups: { name: string; threshold: number; members: string[] }[];
  quorum: string;
}

export function parseWitnessPolicy(text: string): Result<WitnessPolicy> {
  const p: WitnessPolicy = { witnesses: [], groups: [], quorum: "" };
  const names = new Set<string>();
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    const t = lines[n - 1]!.replace(/#.*$/, "").split(/[ \t\r]+/).filter((s) => s !== "");
    const bad = (why: string) => fail<WitnessPolicy>(`line ${n}: ${why}`, "malformed");
    if (t.length === 0) continue;
    if (t[0] === "witness") {
      if (t.length !== 3 && t.length !== 4) return bad("expected 'witness NAME VKEY [URL]'");
      if (names.has(t[1]!)) return bad(`duplicate name '${t[1]}'`);
      const v = parseVkey(t[2]!);
      if (!v.ok) return bad(`bad vkey for witness '${t[1]}': ${v.reason}`);
      const verifier = v.value.type === NOTE_SIG_COSIGNATURE_V1 ? v.value
        : makeNoteVerifier(v.value.name, v.value.publicKey, NOTE_SIG_COSIGNATURE_V1);
      if (t.length === 4 && !/^https?:\/\/[^ \t"]+$/.test(t[3]!)) return bad(`bad URL '${t[3]}'`);
      const same = p.witnesses.find((w) => w.verifier.publicKey.every((b, i) => b === verifier.publicKey[i]));
      if (same) return bad(`witness '${t[1]}' reuses the key of '${same.name}'`);
      names.add(t[1]!);
      p.witnesses.push({ name: t[1]!, verifier });
    } else if (t[0] === "group") {
      if (t.length < 4) return bad("expected 'group NAME k|any|all MEMBER...'");
      if (names.has(t[1]!)) return bad(`duplicate name '${t[1]}'`);
      const members = t.slice(3);
      for (const m of members) {
        if (!names.has(m)) return bad(`unknown member '${m}'`);
        if (members.filter((x) => x === m).length > 1) return bad(`member '${m}' listed twice`);
      }
      const k = t[2] === "any" ? 1 : t[2] === "all" ? members.length : /^[1-9][0-9]*$/.test(t[2]!) ? Number(t[2]) : 0;
      if (k < 1 || k > members.length) return bad(`threshold must be any, all or 1..${members.length}, got '${t[2]}'`);
      names.add(t[1]!);
      p.groups.push({ name: t[1]!, threshold: k, members });
    } else if (t[0] === "quorum") {
      if (t.length !== 2) return bad("expected 'quorum NAME'");
      if (p.quorum) return bad("a second quorum line");
      if (!names.has(t[1]!)) return bad(`unknown quorum '${t[1]}'`);
      p.quorum = t[1]!;
    } else {
      return bad(`unknown statement '${t[0]}'`);
    }
  }
  return p.quorum ? ok(p) : fail("no 'quorum NAME' line", "malformed");
}

/** True iff the witnesses named in `cosigned` satisfy the policy's quorum. */
export function quorumMet(p: WitnessPolicy, cosigned: Iterable<string>): boolean {
  const met = new Set(cosigned);
  for (const g of p.groups) {
    if (g.members.filter((m) => met.has(m)).length >= g.threshold) met.add(g.name);
  }
  return met.has(p.quorum);
}

export interface CosignCheck {
  checkpoint: Checkpoint;
  /** Policy names of the witnesses whose cosignature line verifies. */
  cosigned: string[];
  /** Witnesses with a line under their key that does not verify (tampered or forged). */
  bad: string[];
  /** Witnesses with no line at all. */
  missing: string[];
  quorum: boolean;
}

/**
 * Verifies a cosigned checkpoint note: the log key's signature (fails otherwise), then
 * each policy witness's cosignature lines. A line under a witness's name and key id that
 * does not verify puts the witness in `bad`, never in `cosigned`.
 */
export function checkCosigned(note: string, logKey: NoteVerifier, p: WitnessPolicy): Result<CosignCheck> {
  const cp = verifyCheckpoint(note, logKey);
  if (!cp.ok) return cp;
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const out: CosignCheck = { checkpoint: cp.value, cosigned: [], bad: [], missing: [], quorum: false };
  for (const w of p.witnesses) {
    const lines = parsed.value.signatures.filter((s) => s.name === w.verifier.name && s.keyId === w.verifier.keyId);
    if (lines.length === 0) out.missing.push(w.name);
    else if (lines.every((s) => w.verifier.verify(parsed.value.text, s.blob))) out.cosigned.push(w.name);
    else out.bad.push(w.name);
  }
  out.quorum = quorumMet(p, out.cosigned);
  return ok(out);
}
