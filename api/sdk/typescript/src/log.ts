// The log's signed objects, parsed strictly and verified offline with the log's vkey:
// C2SP tlog-checkpoint, C2SP tlog-proof (c2sp.org/tlog-proof@v1), the ipledger leaf
// (canonical JSON, api.md §6) and the search certificate (ipledger.search-certificate/v1).

import { base64, fromBase64, fromUtf8, parseDecimal } from "./bytes.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { openNote, parseNote, type NoteVerifier } from "./note.js";
import { fail, ok, type Result } from "./result.js";

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** Lines after the third (opaque extension lines). */
  extensions: string[];
  /** The signed note, verbatim. */
  note: string;
}

/** Parses checkpoint note text ("<origin>\n<size>\n<base64 root>\n[extensions]"). */
export function parseCheckpointText(text: string): Result<Omit<Checkpoint, "note">> {
  if (!text.endsWith("\n")) return fail("checkpoint text does not end in a newline", "malformed");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) return fail("checkpoint text has fewer than three lines", "malformed");
  if (lines.some((l) => l === "")) return fail("checkpoint text has an empty line", "malformed");
  const size = parseDecimal(lines[1]!);
  if (size === undefined) return fail(`checkpoint tree size is not a canonical decimal: ${lines[1]}`, "malformed");
  const root = fromBase64(lines[2]!);
  if (!root || root.length !== 32) return fail(`checkpoint root is not base64 of 32 bytes: ${lines[2]}`, "malformed");
  return ok({ origin: lines[0]!, size, root, extensions: lines.slice(3) });
}

/**
 * Verifies a checkpoint note with the log key (other signers, e.g. witnesses, are
 * ignored unless given in `others`) and parses it. The origin must be the key's name.
 */
export function verifyCheckpoint(note: string, logKey: NoteVerifier, others: NoteVerifier[] = []): Result<Checkpoint> {
  const parsed = parseNote(note);
  if (!parsed.ok) return fail(`checkpoint: ${parsed.reason}`, parsed.code);
  const cp = parseCheckpointText(parsed.value.text);
  if (!cp.ok) return cp;
  const opened = openNote(note, [logKey, ...(Array.isArray(others) ? others : [])]);
  if (!opened.ok) return fail(`checkpoint: ${opened.reason}`, opened.code);
  if (!opened.value.signatures.some((s) => s.name === logKey.name && s.keyId === logKey.keyId)) {
    return fail(`checkpoint has no valid signature by log key ${logKey?.name}`, "signature");
  }
  if (cp.value.origin !== logKey.name) {
    return fail(`checkpoint origin ${cp.value.origin} is not the log key's name ${logKey?.name}`, "origin");
  }
  return ok({ ...cp.value, note });
}

/**
 * Verifies that `newer` extends `older` (both already verified checkpoints of one log)
 * with an RFC 6962 consistency proof, e.g. from Client.consistency(older.size, newer.size).
 * From the empty tree every tree is consistent (with an empty proof), as C2SP witnesses treat it.
 */
export function verifyCheckpointConsistency(
  older: Pick<Checkpoint, "origin" | "size" | "root">,
  newer: Pick<Checkpoint, "origin" | "size" | "root">,
  proof: Uint8Array[],
): Result<true> {
  if (typeof older !== "object" || older === null || typeof newer !== "object" || newer === null) return fail("two checkpoints are needed", "malformed");
  if (older.origin !== newer.origin) return fail(`the checkpoints are of different logs (${older.origin}, ${newer.origin})`, "origin");
  if (older.size === 0) return Array.isArray(proof) && proof.length === 0 ? ok(true) : fail("from size 0 the proof must be empty", "consistency");
  const r = verifyConsistency(older.size, newer.size, proof, older.root, newer.root);
  return r.ok ? r : fail(`tree ${newer.size} does not extend tree ${older.size}: ${r.reason}`, r.code);
}

export interface TlogProof {
  extra?: Uint8Array;
  index: number;
  inclusionProof: Uint8Array[];
  /** The signed checkpoint, verbatim. */
  checkpoint: string;
}

const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

/** Parses a tlog-proof strictly. */
export function parseTlogProof(text: string): Result<TlogProof> {
  if (typeof text !== "string") return fail("a tlog-proof is a string", "malformed");
  let rest = text;
  const next = (): string | undefined => {
    const nl = rest.indexOf("\n");
    if (nl < 0) return undefined;
    const line = rest.slice(0, nl);
    rest = rest.slice(nl + 1);
    return line;
  };
  if (next() !== TLOG_PROOF_HEADER) return fail(`tlog-proof does not start with ${TLOG_PROOF_HEADER}`, "malformed");
  const out: TlogProof = { index: 0, inclusionProof: [], checkpoint: "" };
  let line = next();
  if (line !== undefined && line.startsWith("extra ")) {
    const extra = fromBase64(line.slice(6));
    if (!extra) return fail("tlog-proof extra is not base64", "malformed");
    out.extra = extra;
    line = next();
  }
  if (line === undefined || !line.startsWith("index ")) return fail("tlog-proof has no index line", "malformed");
  const index = parseDecimal(line.slice(6));
  if (index === undefined) return fail(`tlog-proof index is not a canonical decimal: ${line}`, "malformed");
  out.index = index;
  for (;;) {
    line = next();
    if (line === undefined) return fail("tlog-proof has no empty line before the checkpoint", "malformed");
    if (line === "") break;
    if (out.inclusionProof.length === 64) return fail("tlog-proof has more than 64 hashes", "malformed");
    const h = fromBase64(line);
    if (!h || h.length !== 32) return fail(`tlog-proof hash is not base64 of 32 bytes: ${line}`, "malformed");
    out.inclusionProof.push(h);
  }
  const note = parseNote(rest);
  if (!note.ok) return fail(`tlog-proof checkpoint: ${note.reason}`, note.code);
  const cp = parseCheckpointText(note.value.text);
  if (!cp.ok) return fail(`tlog-proof checkpoint: ${cp.reason}`, cp.code);
  out.checkpoint = rest;
  return ok(out);
}

/** Verifies a tlog-proof for `leaf` (the leaf bytes) with the log key; returns the checkpoint. */
export function verifyTlogProof(text: string, leaf: Uint8Array, logKey: NoteVerifier): Result<Checkpoint & { index: number }> {
  const proof = parseTlogProof(text);
  if (!proof.ok) return proof;
  const cp = verifyCheckpoint(proof.value.checkpoint, logKey);
  if (!cp.ok) return cp;
  const inc = verifyInclusion(proof.value.index, cp.value.size, leafHash(leaf), proof.value.inclusionProof, cp.value.root);
  if (!inc.ok) {
    return fail(`tlog-proof inclusion of index ${proof.value.index} at size ${cp.value.size} does not verify: ${inc.reason}`, "inclusion");
  }
  return ok({ ...cp.value, index: proof.value.index });
}

// --- Leaves ----------------------------------------------------------------------------

/** A log entry's public metadata: what a leaf says (api.md §6). */
export interface Leaf {
  index: number;
  time: string;
  type: string;
  envelope_sha256: string;
  parties: string[];
  signers: string[];
  subjects: string[];
  /** Refusals only. */
  codes?: string[];
  refused?: string;
  /** Accepted entries that change assets' status records: those assets (sorted). */
  map_assets?: string[];
  /** Amend/release/cancel entries: the index of the pledge/policy entry they end. */
  map_ref?: number;
  /** map.root entries only: the status map's root, 64 lowercase hex. */
  map_root?: string;
}

const LEAF_KEYS = ["envelope_sha256", "index", "parties", "signers", "subjects", "time", "type", "v"];
const REFUSAL_KEYS = [...LEAF_KEYS, "codes", "refused"].sort(byteOrder);
const MAP_KEYS = ["map_assets", "map_ref", "map_root"];
const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical leaf bytes' text of `leaf` (keys and lists sorted, no whitespace). */
export function encodeLeaf(leaf: Leaf): string {
  const sorted = (l: string[]) => [...new Set(l)].sort(byteOrder);
  const o: Record<string, unknown> = {
    envelope_sha256: leaf.envelope_sha256,
    index: leaf.index,
    parties: sorted(leaf.parties),
    signers: sorted(leaf.signers),
    subjects: sorted(leaf.subjects),
    time: leaf.time,
    type: leaf.type,
    v: 1,
  };
  if (leaf.codes !== undefined) o.codes = sorted(leaf.codes);
  if (leaf.refused !== undefined) o.refused = leaf.refused;
  if (leaf.map_assets !== undefined && leaf.map_assets.length > 0) o.map_assets = sorted(leaf.map_assets);
  if (leaf.map_ref !== undefined) o.map_ref = leaf.map_ref;
  if (leaf.map_root !== undefined) o.map_root = leaf.map_root;
  const keys = Object.keys(o).sort(byteOrder);
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + JSON.stringify(o[k])).join(",") + "}";
}

/** Decodes leaf bytes, accepting only the exact canonical form the log writes. */
export function decodeLeaf(bytes: Uint8Array): Result<Leaf> {
  const text = fromUtf8(bytes);
  if (text === undefined) return fail("the leaf is not UTF-8", "malformed");
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return fail("the leaf is not JSON", "malformed");
  }
  if (typeof j !== "object" || j === null || Array.isArray(j)) return fail("the leaf is not a JSON object", "malformed");
  const o = j as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
  const keys = Object.keys(o)
    .filter((k) => !MAP_KEYS.includes(k))
    .sort(byteOrder)
    .join(",");
  const refusal = "codes" in o;
  if (keys !== (refusal ? REFUSAL_KEYS : LEAF_KEYS).join(",")) return fail("the leaf has other members than a leaf has", "malformed");
  if ("map_assets" in o && !(strings(o.map_assets) && o.map_assets.length > 0)) return fail("the leaf's map_assets is not a non-empty list of strings", "malformed");
  if ("map_ref" in o && (typeof o.map_ref !== "number" || !Number.isSafeInteger(o.map_ref) || o.map_ref < 0)) return fail("the leaf's map_ref is not a non-negative integer", "malformed");
  if ("map_root" in o && (typeof o.map_root !== "string" || !/^[0-9a-f]{64}$/.test(o.map_root))) return fail("the leaf's map_root is not 64 lowercase hex digits", "malformed");
  if (o.v !== 1) return fail("the leaf's v is not 1", "malformed");
  if (typeof o.index !== "number" || !Number.isSafeInteger(o.index) || o.index < 0) return fail("the leaf's index is not a non-negative integer", "malformed");
  if (typeof o.time !== "string" || !INSTANT.test(o.time)) return fail("the leaf's time is not an RFC 3339 UTC instant with milliseconds", "malformed");
  if (typeof o.type !== "string" || o.type === "") return fail("the leaf's type is not a string", "malformed");
  if (typeof o.envelope_sha256 !== "string" || !/^[0-9a-f]{64}$/.test(o.envelope_sha256)) return fail("the leaf's envelope_sha256 is not 64 lowercase hex digits", "malformed");
  if (!strings(o.parties) || !strings(o.signers) || !strings(o.subjects)) return fail("the leaf's parties, signers and subjects must be lists of strings", "malformed");
  if (refusal && (!strings(o.codes) || typeof o.refused !== "string")) return fail("the refusal leaf's codes or refused is malformed", "malformed");
  const leaf = o as unknown as Leaf;
  if (encodeLeaf(leaf) !== text) return fail("the leaf is not in canonical form", "malformed");
  return ok(leaf);
}

// --- Search certificates ---------------------------------------------------------------

export interface SearchCertificatePledge {
  pledge_id: string;
  pledgee: string;
  state: string;
  registered_index: number;
}

export interface SearchCertificate {
  origin: string;
  asset: string;
  as_of_index: number;
  tree_size: number;
  root: Uint8Array;
  pledged: boolean;
  pledges: SearchCertificatePledge[];
  /** The `map <version> <root>` line, when the answer is proven against the status map. */
  map?: { version: number; root: Uint8Array };
  /** The certificate's text lines, for display. */
  lines: string[];
}

const CERT_HEADER = "ipledger.search-certificate/v1";
const isToken = (s: string | undefined): s is string => s !== undefined && /^[^\x00-\x20\x7f]+$/.test(s);

/** Parses search certificate text strictly (the lines of ipledger.search-certificate/v1). */
export function parseSearchCertificate(text: string): Result<SearchCertificate> {
  if (!text.endsWith("\n")) return fail("search certificate does not end in a newline", "malformed");
  if (/[\x00-\x09\x0b-\x1f\x7f]/.test(text)) return fail("search certificate has a control character", "malformed");
  const lines = text.slice(0, -1).split("\n");
  if (lines[0] !== CERT_HEADER) return fail(`search certificate line 1 is not ${CERT_HEADER}`, "malformed");
  if (lines.length < 7) return fail(`search certificate has ${lines.length} lines, fewer than 7`, "malformed");
  const keyed = (i: number, key: string): string | undefined => {
    const f = lines[i]!.split(" ");
    return f.length === 2 && f[0] === key && isToken(f[1]) ? f[1] : undefined;
  };
  const names = ["origin", "asset", "as-of", "tree-size", "root", "status"];
  const v: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const t = keyed(i + 1, names[i]!);
    if (t === undefined) return fail(`search certificate line ${i + 2} '${lines[i + 1]}' is not '${names[i]} <value>'`, "malformed");
    v.push(t);
  }
  const asOf = parseDecimal(v[2]!);
  const size = parseDecimal(v[3]!);
  if (asOf === undefined || size === undefined) return fail("search certificate as-of or tree-size is not a canonical decimal", "malformed");
  if (asOf >= size) return fail("search certificate as-of is not below tree-size", "malformed");
  const root = fromBase64(v[4]!);
  if (!root || root.length !== 32) return fail("search certificate root is not base64 of 32 bytes", "malformed");
  if (v[5] !== "pledged" && v[5] !== "not-pledged") return fail("search certificate status is neither pledged nor not-pledged", "malformed");
  const pledges: SearchCertificatePledge[] = [];
  let map: { version: number; root: Uint8Array } | undefined;
  for (let i = 7; i < lines.length; i++) {
    const line = lines[i]!;
    const f = line.split(" ");
    if (f[0] === "map" && i + 1 === lines.length) {
      const version = f.length === 3 ? parseDecimal(f[1]!) : undefined;
      const mapRoot = f.length === 3 ? fromBase64(f[2]!) : undefined;
      if (version === undefined || !mapRoot || mapRoot.length !== 32 || version > asOf || base64(mapRoot) !== f[2]) {
        return fail(`search certificate line '${line}' is not 'map <version not after as-of> <base64 of 32 bytes>'`, "malformed");
      }
      map = { version, root: mapRoot };
      break;
    }
    const idx = f.length === 5 ? parseDecimal(f[4]!) : undefined;
    if (f[0] !== "pledge" || !isToken(f[1]) || !isToken(f[2]) || !isToken(f[3]) || idx === undefined) {
      return fail(`search certificate line '${line}' is not 'pledge <id> <pledgee> <state> <registration index>'`, "malformed");
    }
    pledges.push({ pledge_id: f[1], pledgee: f[2], state: f[3], registered_index: idx });
  }
  const pledged = v[5] === "pledged";
  if (pledged === (pledges.length === 0)) return fail("search certificate status does not match its pledge lines", "malformed");
  return ok({ origin: v[0]!, asset: v[1]!, as_of_index: asOf, tree_size: size, root, pledged, pledges, ...(map ? { map } : {}), lines });
}

/** Verifies a search certificate (a signed note by the log key) and parses it. */
export function verifySearchCertificate(note: string, logKey: NoteVerifier): Result<SearchCertificate> {
  const opened = openNote(note, [logKey]);
  if (!opened.ok) return fail(`search certificate: ${opened.reason}`, opened.code);
  const c = parseSearchCertificate(opened.value.text);
  if (!c.ok) return c;
  if (c.value.origin !== logKey.name) return fail(`search certificate origin ${c.value.origin} is not the log key's name`, "origin");
  return c;
}

/** The text lines a certificate for these facts has (to compare with a verified one). */
export function searchCertificateLines(c: Omit<SearchCertificate, "lines">): string[] {
  return [
    CERT_HEADER,
    `origin ${c.origin}`,
    `asset ${c.asset}`,
    `as-of ${c.as_of_index}`,
    `tree-size ${c.tree_size}`,
    `root ${base64(c.root)}`,
    `status ${c.pledged ? "pledged" : "not-pledged"}`,
    ...c.pledges.map((p) => `pledge ${p.pledge_id} ${p.pledgee} ${p.state} ${p.registered_index}`),
    ...(c.map ? [`map ${c.map.version} ${base64(c.map.root)}`] : []),
  ];
}
