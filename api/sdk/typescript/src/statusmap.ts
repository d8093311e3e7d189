// The status map's evidence in pledge-status and coverage answers (docs/formats.md,
// "Status map" and "Status record and root entry"), verified offline with the log key:
// the map.root entry's leaf and its inclusion in the answer's checkpoint, its signed map
// root statement, the asset's status record and the map proof of its presence, or the
// proof that the asset has no record. Pure functions.

import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, fromBase64, fromHex, fromUtf8, hex, parseDecimal, utf8 } from "./bytes.js";
import { decodeLeaf, type Checkpoint } from "./log.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { openNote, type NoteVerifier } from "./note.js";
import { fail, ok, type Result } from "./result.js";

/** An asset's status record (docs/formats.md, "The status record"). */
export interface StatusRecord {
  asset: string;
  last_change: number;
  /** Indexes of the pledge.register entries still standing. */
  pledges: number[];
  /** Indexes of the policy.issue entries still standing. */
  policies: number[];
}

/** What a status_map member proves about an asset. */
export interface ProvenStatus {
  asset: string;
  /** The map.root entry's index: the status is as of the entries before it. */
  version: number;
  /** The map root, 64 lowercase hex. */
  root: string;
  /** null: proven absent (the asset never had a pledge or policy). */
  record: StatusRecord | null;
}

const EMPTY = new Uint8Array(32);
const MAP_ROOT_HEADER = "ipledger.map-root/v1";

/** Decodes status record bytes strictly (big-endian, ascending lists, no trailing bytes). */
export function decodeStatusRecord(b: Uint8Array): Result<StatusRecord> {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 0;
  const need = (n: number) => pos + n <= b.length;
  const u64 = (): number | undefined => {
    if (!need(8)) return undefined;
    const x = v.getBigUint64(pos);
    pos += 8;
    return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : undefined;
  };
  const list = (): number[] | undefined => {
    if (!need(4)) return undefined;
    const n = v.getUint32(pos);
    pos += 4;
    if (!need(8 * n)) return undefined;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = u64();
      if (x === undefined || (out.length > 0 && x <= out[out.length - 1]!)) return undefined;
      out.push(x);
    }
    return out;
  };
  if (!need(3) || b[0] !== 1) return fail("the status record's version is not 1", "malformed");
  const len = v.getUint16(1);
  pos = 3;
  if (!need(len)) return fail("the status record's asset id is cut short", "malformed");
  const asset = fromUtf8(b.subarray(pos, pos + len));
  pos += len;
  if (asset === undefined) return fail("the status record's asset id is not UTF-8", "malformed");
  const last = u64();
  const pledges = last === undefined ? undefined : list();
  const policies = pledges === undefined ? undefined : list();
  if (last === undefined || pledges === undefined || policies === undefined) {
    return fail("the status record is malformed (lengths, or lists not strictly ascending)", "malformed");
  }
  if (pos !== b.length) return fail("the status record has trailing bytes", "malformed");
  return ok({ asset, last_change: last, pledges, policies });
}

const bit = (key: Uint8Array, i: number) => (key[i >> 3]! >> (7 - (i & 7))) & 1;
const mapLeaf = (key: Uint8Array, value: Uint8Array) => sha256(concat(new Uint8Array([0]), key, value));
const mapNode = (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([1]), l, r));

/**
 * Verifies a status map proof: `value` (a value hash) present under `key`, or, when
 * `value` is undefined, `key` absent; against `root`.
 */
export function verifyMapProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: Uint8Array): Result<true> {
  if (proof.length < 2) return fail("the map proof is shorter than 2 bytes", "malformed");
  const kind = proof[0]!;
  const d = proof[1]!;
  const want = 2 + 32 * d + (kind === 2 ? 64 : 0);
  if (kind > 2) return fail(`the map proof's kind ${kind} is not 0, 1 or 2`, "malformed");
  if (proof.length !== want) return fail(`the map proof is ${proof.length} bytes, not ${want}`, "malformed");
  let h: Uint8Array;
  if (kind === 0) {
    if (!value) return fail("the map proof shows presence where absence is claimed", "map_proof");
    h = mapLeaf(key, value);
  } else if (kind === 1) {
    if (value) return fail("the map proof shows absence where presence is claimed", "map_proof");
    h = EMPTY;
  } else {
    if (value) return fail("the map proof shows absence where presence is claimed", "map_proof");
    const other = proof.subarray(2 + 32 * d, 2 + 32 * d + 32);
    if (equalBytes(other, key)) return fail("the map proof's other key is the key itself", "map_proof");
    for (let i = 0; i < d; i++) if (bit(other, i) !== bit(key, i)) return fail("the map proof's other key leaves the key's path", "map_proof");
    h = mapLeaf(other, proof.subarray(2 + 32 * d + 32));
  }
  for (let i = d - 1; i >= 0; i--) {
    const s = proof.subarray(2 + 32 * i, 2 + 32 * (i + 1));
    h = bit(key, i) ? mapNode(s, h) : mapNode(h, s);
  }
  return equalBytes(h, root) ? ok(true) : fail("the map proof does not lead to the map root", "map_proof");
}

type Json = Record<string, unknown>;
const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Verifies an answer's `status_map` member for `asset` against `checkpoint` (already
 * verified with `logKey`). Returns null when the member is null (no map root logged yet:
 * the status is not proven).
 */
export function verifyStatusMap(sm: unknown, asset: string, checkpoint: Checkpoint, logKey: NoteVerifier): Result<ProvenStatus | null> {
  if (sm === null) return ok(null);
  if (typeof sm !== "object" || sm === undefined || Array.isArray(sm)) return fail("status_map is not an object or null", "malformed");
  const s = sm as Json;
  const re = s.root_entry as Json | undefined;
  const root = typeof s.root === "string" && /^[0-9a-f]{64}$/.test(s.root) ? fromHex(s.root) : undefined;
  const proof = typeof s.proof === "string" ? fromBase64(s.proof) : undefined;
  const record = s.record === null ? null : typeof s.record === "string" ? fromBase64(s.record) : undefined;
  if (!isIndex(s.version) || !root || !proof || record === undefined) return fail("status_map lacks version, root, record or proof", "malformed");
  if (typeof re !== "object" || re === null || re.index !== s.version || typeof re.leaf !== "string" || typeof re.envelope !== "string" || !Array.isArray(re.inclusion_proof)) {
    return fail("status_map.root_entry lacks index, leaf, envelope or inclusion_proof", "malformed");
  }
  const leafBytes = fromBase64(re.leaf);
  if (!leafBytes) return fail("status_map.root_entry.leaf is not base64", "malformed");
  const leaf = decodeLeaf(leafBytes);
  if (!leaf.ok) return fail(`status_map.root_entry.leaf: ${leaf.reason}`, leaf.code);
  if (leaf.value.index !== s.version || leaf.value.type !== "map.root" || leaf.value.map_root !== s.root) {
    return fail("status_map.root_entry.leaf is not the map.root entry of this version and root", "mismatch");
  }
  if (s.version >= checkpoint.size) return fail("status_map.version is not inside the checkpoint's tree", "mismatch");
  const hashes: Uint8Array[] = [];
  for (const x of re.inclusion_proof as unknown[]) {
    const b = typeof x === "string" ? fromBase64(x) : undefined;
    if (!b || b.length !== 32) return fail("status_map.root_entry.inclusion_proof is not a list of base64 hashes", "malformed");
    hashes.push(b);
  }
  const inc = verifyInclusion(s.version, checkpoint.size, leafHash(leafBytes), hashes, checkpoint.root);
  if (!inc.ok) return fail(`status_map.root_entry is not included in the checkpoint: ${inc.reason}`, inc.code);
  if (hex(sha256(utf8(re.envelope))) !== leaf.value.envelope_sha256) return fail("status_map.root_entry.envelope does not hash to the leaf's envelope_sha256", "mismatch");
  const note = openNote(re.envelope, [logKey]);
  if (!note.ok) return fail(`the map root statement: ${note.reason}`, note.code);
  const lines = note.value.text.split("\n");
  const field = (i: number, k: string) => (lines[i]?.startsWith(k + " ") ? lines[i]!.slice(k.length + 1) : undefined);
  if (lines[0] !== MAP_ROOT_HEADER || field(1, "origin") !== logKey.name || parseDecimal(field(2, "version") ?? "") !== s.version || field(5, "root") !== s.root) {
    return fail("the map root statement does not name this origin, version and root", "mismatch");
  }
  const key = sha256(utf8(asset));
  let rec: StatusRecord | null = null;
  if (record !== null) {
    const r = decodeStatusRecord(record);
    if (!r.ok) return r;
    if (r.value.asset !== asset) return fail(`the status record is for ${r.value.asset}, not ${asset}`, "mismatch");
    if (r.value.last_change >= s.version) return fail("the status record's last change is not before the map version", "mismatch");
    rec = r.value;
  }
  const p = verifyMapProof(root, key, record === null ? undefined : sha256(record), proof);
  if (!p.ok) return p;
  return ok({ asset, version: s.version, root: s.root as string, record: rec });
}
