// Offline verification of the registry's answers with the log's vkey alone: receipts
// (api.md §6) and pledge-status answers with their evidence and search certificate.
// Each function takes the parsed JSON answer (or its text) and returns a Result.

import { equalBytes, fromBase64, fromHex, hex } from "./bytes.js";
import {
  decodeLeaf,
  parseTlogProof,
  searchCertificateLines,
  verifyCheckpoint,
  verifySearchCertificate,
  verifyTlogProof,
  type Checkpoint,
  type Leaf,
  type SearchCertificate,
} from "./log.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import type { NoteVerifier } from "./note.js";
import { fail, ok, type Result } from "./result.js";
import { verifyStatusMap, type ProvenStatus } from "./statusmap.js";

type Json = Record<string, unknown>;

function asObject(answer: unknown, what: string): Result<Json> {
  if (typeof answer === "string") {
    try {
      answer = JSON.parse(answer);
    } catch {
      return fail(`${what} is not JSON`, "malformed");
    }
  }
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) return fail(`${what} is not a JSON object`, "malformed");
  return ok(answer as Json);
}

function proofHashes(v: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Uint8Array[] = [];
  for (const h of v) {
    const b = typeof h === "string" ? fromBase64(h) : undefined;
    if (!b || b.length !== 32) return undefined;
    out.push(b);
  }
  return out;
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

export interface VerifiedReceipt {
  index: number;
  leaf: Leaf;
  checkpoint: Checkpoint;
  warnings: string[];
}

/**
 * Verifies a receipt (the answer to a submit, or the `receipt` of a recorded refusal):
 * leaf_hash is the hash of the leaf, the leaf is canonical and has the receipt's index,
 * the tlog_proof's checkpoint is signed by the log key and includes the leaf at that
 * index, and the separate checkpoint and inclusion_proof, when present, are the
 * tlog_proof's.
 */
export function verifyReceipt(receipt: unknown, logKey: NoteVerifier): Result<VerifiedReceipt> {
  const r = asObject(receipt, "the receipt");
  if (!r.ok) return r;
  const o = r.value;
  if (!isIndex(o.index)) return fail("the receipt's index is not a non-negative integer", "malformed");
  const leafBytes = typeof o.leaf === "string" ? fromBase64(o.leaf) : undefined;
  if (!leafBytes) return fail("the receipt's leaf is not base64", "malformed");
  if (o.leaf_hash !== hex(leafHash(leafBytes))) return fail("leaf_hash is not the hash of the receipt's leaf", "mismatch");
  const leaf = decodeLeaf(leafBytes);
  if (!leaf.ok) return fail(`the receipt's leaf: ${leaf.reason}`, leaf.code);
  if (leaf.value.index !== o.index) return fail(`the leaf says index ${leaf.value.index}, the receipt ${o.index}`, "mismatch");
  if (typeof o.tlog_proof !== "string") return fail("the receipt has no tlog_proof", "malformed");
  const proof = parseTlogProof(o.tlog_proof);
  if (!proof.ok) return fail(`tlog_proof: ${proof.reason}`, proof.code);
  if (proof.value.index !== o.index) return fail(`tlog_proof is for index ${proof.value.index}, the receipt for ${o.index}`, "mismatch");
  const cp = verifyTlogProof(o.tlog_proof, leafBytes, logKey);
  if (!cp.ok) return fail(`tlog_proof does not verify with the vkey of ${logKey?.name}: ${cp.reason}`, cp.code);
  if (o.checkpoint !== undefined && o.checkpoint !== proof.value.checkpoint) return fail("the receipt's checkpoint is not the tlog_proof's", "mismatch");
  if (o.inclusion_proof !== undefined) {
    const inc = proofHashes(o.inclusion_proof);
    const same = inc !== undefined && inc.length === proof.value.inclusionProof.length && inc.every((h, i) => equalBytes(h, proof.value.inclusionProof[i]!));
    if (!same) return fail("the receipt's inclusion_proof is not the tlog_proof's", "mismatch");
  }
  const warnings = Array.isArray(o.warnings) ? o.warnings.filter((w): w is string => typeof w === "string") : [];
  const { index: _, ...checkpoint } = cp.value;
  return ok({ index: o.index, leaf: leaf.value, checkpoint, warnings });
}

export interface VerifiedPledgeStatus {
  asset: string;
  pledged: boolean;
  checkpoint: Checkpoint;
  certificate: SearchCertificate;
  /** The proven evidence leaves, by index. */
  evidence: Map<number, Leaf>;
  /**
   * The status map's proof of the asset's record (docs/formats.md): record null means
   * proven absent (never pledged); a record lists the pledge registrations still standing.
   * null: the answer has no map proof (no map root logged yet), the status is not proven.
   */
  status_map: ProvenStatus | null;
}

/**
 * Verifies everything a pledge-status answer claims: the certificate is signed by the
 * log key and states this answer's asset, as-of index, status and pledges and the as_of
 * checkpoint's size and root; that checkpoint verifies; every evidence leaf is
 * canonical, has its index and is included in that tree; every pledge's registration
 * entry is proven and registers that pledge over the asset.
 */
export function verifyPledgeStatus(answer: unknown, logKey: NoteVerifier): Result<VerifiedPledgeStatus> {
  const r = asObject(answer, "the pledge-status answer");
  if (!r.ok) return r;
  const a = r.value;
  if (typeof a.asset !== "string" || typeof a.pledged !== "boolean") return fail("the answer has no asset or pledged", "malformed");
  if (!Array.isArray(a.pledges) || !Array.isArray(a.evidence)) return fail("the answer has no pledges or evidence list", "malformed");
  const asOf = a.as_of as Json | undefined;
  if (typeof asOf !== "object" || asOf === null || !isIndex(asOf.index) || typeof asOf.checkpoint !== "string") {
    return fail("the answer's as_of is not {index, checkpoint}", "malformed");
  }
  if (typeof a.certificate !== "string") return fail("the answer has no certificate", "malformed");
  const cert = verifySearchCertificate(a.certificate, logKey);
  if (!cert.ok) return cert;
  const cp = verifyCheckpoint(asOf.checkpoint, logKey);
  if (!cp.ok) return fail(`as_of.checkpoint does not verify: ${cp.reason}`, cp.code);
  const pledges = a.pledges as Json[];
  for (const p of pledges) {
    if (typeof p !== "object" || p === null || typeof p.pledge_id !== "string" || typeof p.pledgee !== "string" ||
        typeof p.state !== "string" || !isIndex(p.registered_index)) {
      return fail("a pledge of the answer lacks pledge_id, pledgee, state or registered_index", "malformed");
    }
  }
  const sm = a.status_map as Json | null | undefined;
  let map: { version: number; root: Uint8Array } | undefined;
  if (sm !== undefined && sm !== null) {
    const mapRoot = typeof sm === "object" && typeof sm.root === "string" && /^[0-9a-f]{64}$/.test(sm.root) ? fromHex(sm.root) : undefined;
    if (!mapRoot || !isIndex(sm.version)) return fail("the answer's status_map has no version or root", "malformed");
    map = { version: sm.version, root: mapRoot };
  }
  const want = searchCertificateLines({
    origin: logKey.name,
    asset: a.asset,
    as_of_index: asOf.index,
    tree_size: cp.value.size,
    root: cp.value.root,
    pledged: a.pledged,
    pledges: pledges.map((p) => ({
      pledge_id: p.pledge_id as string,
      pledgee: p.pledgee as string,
      state: p.state as string,
      registered_index: p.registered_index as number,
    })),
    ...(map ? { map } : {}),
  });
  const got = cert.value.lines;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) {
      return fail(`the certificate says '${got[i] ?? "(nothing)"}' where the answer implies '${want[i] ?? "(nothing)"}'`, "mismatch");
    }
  }
  if (a.pledged !== pledges.length > 0) return fail("pledged is inconsistent with the pledges listed", "mismatch");
  if (asOf.index >= cp.value.size) return fail("as_of.index is beyond the checkpoint's tree size", "mismatch");
  const proven = new Map<number, Leaf>();
  for (const e of a.evidence as Json[]) {
    if (typeof e !== "object" || e === null || !isIndex(e.index)) return fail("an evidence item has no index", "malformed");
    const bytes = typeof e.leaf === "string" ? fromBase64(e.leaf) : undefined;
    const hashes = proofHashes(e.inclusion_proof);
    if (!bytes || !hashes) return fail(`evidence ${e.index}: leaf or inclusion_proof is not base64`, "malformed");
    const leaf = decodeLeaf(bytes);
    if (!leaf.ok || leaf.value.index !== e.index) return fail(`evidence ${e.index}: the leaf is not canonical or has another index`, "malformed");
    const inc = verifyInclusion(e.index, cp.value.size, leafHash(bytes), hashes, cp.value.root);
    if (!inc.ok) return fail(`evidence ${e.index}: inclusion proof does not verify against the checkpoint of size ${cp.value.size}: ${inc.reason}`, inc.code);
    proven.set(e.index, leaf.value);
  }
  for (const p of pledges) {
    for (const i of Array.isArray(p.evidence) ? p.evidence : []) {
      if (!proven.has(i as number)) return fail(`pledge ${p.pledge_id} cites entry ${i}, which the answer does not prove`, "mismatch");
    }
    const reg = proven.get(p.registered_index as number);
    if (!reg) return fail(`pledge ${p.pledge_id}: its registration (entry ${p.registered_index}) is not proven`, "mismatch");
    if (reg.type !== "pledge.register" || !reg.subjects.includes(p.pledge_id as string) || !reg.subjects.includes(a.asset)) {
      return fail(`entry ${p.registered_index} is not the registration of pledge ${p.pledge_id} over ${a.asset}`, "mismatch");
    }
  }
  const statusMap = verifyStatusMap(a.status_map ?? null, a.asset, cp.value, logKey);
  if (!statusMap.ok) return statusMap;
  const m = statusMap.value;
  if (m) {
    if (m.version > asOf.index) return fail(`the map root (entry ${m.version}) is after the answer's as-of index ${asOf.index}`, "mismatch");
    // The map as of its root must agree with the pledges listed when nothing can have
    // changed in between (the root is the as-of entry, or the answer is of the latest).
    const listed = pledges.map((p) => p.registered_index as number).sort((x, y) => x - y).join(",");
    const held = (m.record?.pledges ?? []).join(",");
    if (listed !== held && (m.version === asOf.index || asOf.index + 1 === cp.value.size)) {
      return fail("the pledges listed differ from the proven status record", "mismatch");
    }
  }
  return ok({ asset: a.asset, pledged: a.pledged, checkpoint: cp.value, certificate: cert.value, evidence: proven, status_map: statusMap.value });
}
