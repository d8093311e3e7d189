// C2SP signed notes (c2sp.org/signed-note): verifier keys ("vkeys"), key ids, parsing
// and verification. A note is text ending in "\n", an empty line, and signature lines
// "— <key name> <base64(4-byte key id || signature)>". The key id is the first 4 bytes
// of SHA-256(key name || "\n" || type byte || public key).
//
// Signature types: 0x01 Ed25519 over the note text, and 0x04 cosignature/v1 (C2SP
// tlog-cosignature: 8-byte big-endian timestamp || Ed25519 over "cosignature/v1\ntime
// <ts>\n" || text). Further types plug in through `registerNoteSignatureType`.

import { sha256 } from "@noble/hashes/sha2.js";
import { base64, concat, fromBase64, utf8 } from "./bytes.js";
import { verifyEd25519 } from "./keys.js";
import { fail, ok, type Result } from "./result.js";

export const NOTE_SIG_ED25519 = 0x01;
export const NOTE_SIG_COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;
const SIG_PREFIX = "\u2014 ";

/** A parsed verifier key: who signs (name, key id) and how to check a signature blob. */
export interface NoteVerifier {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
  /** The vkey text, "<name>+<8 hex key id>+<base64(type || public key)>". */
  vkey: string;
  /** True iff `blob` (the signature without its key id) signs `text`. */
  verify(text: string, blob: Uint8Array): boolean;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  blob: Uint8Array;
}

export interface Note {
  /** The signed text, ending in "\n". */
  text: string;
  signatures: NoteSignature[];
}

type VerifyFn = (publicKey: Uint8Array, text: string, blob: Uint8Array) => boolean;
const signatureTypes = new Map<number, { keyLength: number; verify: VerifyFn }>();

/** Adds a signature type (an extension point, e.g. for ML-DSA cosignatures). */
export function registerNoteSignatureType(type: number, keyLength: number, verify: VerifyFn): void {
  signatureTypes.set(type, { keyLength, verify });
}

function readU64(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
}

/** The message a cosignature/v1 signs. */
export function cosignatureV1Message(text: string, timestamp: bigint | number): string {
  return `cosignature/v1\ntime ${timestamp}\n${text}`;
}

/** The timestamp of a cosignature/v1 blob, or undefined if it is not one. */
export function cosignatureTimestamp(blob: Uint8Array): bigint | undefined {
  if (blob.length !== 72) return undefined;
  const t = readU64(blob, 0);
  return t <= 0x7fffffffffffffffn ? t : undefined;
}

registerNoteSignatureType(NOTE_SIG_ED25519, 32, (key, text, blob) =>
  blob.length === 64 && verifyEd25519(key, utf8(text), blob),
);
registerNoteSignatureType(NOTE_SIG_COSIGNATURE_V1, 32, (key, text, blob) => {
  const t = cosignatureTimestamp(blob);
  return t !== undefined && verifyEd25519(key, utf8(cosignatureV1Message(text, t)), blob.subarray(8));
});

/** The key id of (name, type, public key). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const d = sha256(concat(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
}

// Go's unicode.IsSpace, and '+'.
const BAD_NAME_CHAR = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BAD_NOTE_CHAR = /[\x00-\x09\x0b-\x1f]/;

export function isValidKeyName(name: string): boolean {
  return typeof name === "string" && name.length > 0 && !BAD_NAME_CHAR.test(name) && !LONE_SURROGATE.test(name);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** Makes a verifier from a name, a type and a public key. */
export function makeNoteVerifier(name: string, publicKey: Uint8Array, type = NOTE_SIG_ED25519): NoteVerifier {
  const t = signatureTypes.get(type);
  if (!t) throw new RangeError(`unknown note signature type ${type}`);
  const keyId = noteKeyId(name, type, publicKey);
  const key = Uint8Array.from(publicKey);
  return {
    name,
    keyId,
    type,
    publicKey: key,
    vkey: `${name}+${hex8(keyId)}+${base64(concat(new Uint8Array([type]), key))}`,
    verify: (text, blob) => t.verify(key, text, blob),
  };
}

/** Parses a vkey; fails for a bad name, key id, type or key length. */
export function parseVkey(vkey: string): Result<NoteVerifier> {
  if (typeof vkey !== "string") return fail("a vkey is a string", "key");
  vkey = vkey.replace(/\n$/, "");
  const a = vkey.indexOf("+");
  const b = a < 0 ? -1 : vkey.indexOf("+", a + 1);
  if (b < 0) return fail("a vkey is <name>+<key id>+<base64 key>", "key");
  const name = vkey.slice(0, a);
  const idHex = vkey.slice(a + 1, b);
  const raw = fromBase64(vkey.slice(b + 1));
  if (!isValidKeyName(name)) return fail("the vkey's name is not a valid key name", "key");
  if (!/^[0-9a-f]{8}$/.test(idHex)) return fail("the vkey's key id is not 8 lowercase hex digits", "key");
  if (!raw || raw.length < 1) return fail("the vkey's key is not base64", "key");
  const type = raw[0]!;
  const t = signatureTypes.get(type);
  if (!t) return fail(`the vkey's signature type 0x${type.toString(16)} is not supported`, "key");
  const key = raw.subarray(1);
  if (key.length !== t.keyLength) return fail("the vkey's public key has the wrong length", "key");
  const v = makeNoteVerifier(name, key, type);
  if (v.keyId !== parseInt(idHex, 16)) return fail("the vkey's key id does not match its name and key", "key");
  return ok(v);
}

/** Parses a signed note without verifying anything. */
export function parseNote(note: string): Result<Note> {
  if (typeof note !== "string") return fail("a note is a string", "malformed");
  if (LONE_SURROGATE.test(note) || BAD_NOTE_CHAR.test(note)) {
    return fail("the note has a control character or invalid UTF-8", "malformed");
  }
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return fail("the note has no signature block", "malformed");
  const text = note.slice(0, split + 1);
  let sigs = note.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith("\n")) return fail("the note's signature block is empty or unterminated", "malformed");
  const signatures: NoteSignature[] = [];
  for (const line of sigs.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIG_PREFIX)) return fail("a signature line does not start with an em dash and a space", "malformed");
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(" ");
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const raw = sp < 0 ? undefined : fromBase64(rest.slice(sp + 1));
    if (!isValidKeyName(name)) return fail("a signature line has an invalid key name", "malformed");
    if (!raw || raw.length <= 4) return fail(`the signature of ${name} is not base64 of a key id and a signature`, "malformed");
    if (signatures.length === MAX_SIGNATURES) return fail("the note has too many signatures", "malformed");
    signatures.push({
      name,
      keyId: ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0,
      blob: raw.subarray(4),
    });
  }
  sigs = "";
  return ok({ text, signatures });
}

/**
 * Parses `note` and verifies it with `verifiers`: signatures of unknown (name, key id)
 * pairs are ignored; a known signer whose signature fails fails the note; at least one
 * known signer must have signed. The result lists the verified signatures.
 */
export function openNote(note: string, verifiers: NoteVerifier[]): Result<Note> {
  const usable = (v: NoteVerifier | undefined) =>
    typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.keyId === "number" && typeof v.verify === "function";
  if (!Array.isArray(verifiers) || !verifiers.every(usable)) return fail("the verifier keys are not parsed vkeys (use parseVkey)", "key");
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const verified: NoteSignature[] = [];
  for (const sig of parsed.value.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!v) continue;
    if (!v.verify(parsed.value.text, sig.blob)) return fail(`the signature of ${sig.name} does not verify`, "signature");
    if (!verified.some((s) => s.name === sig.name && s.keyId === sig.keyId)) verified.push(sig);
  }
  if (verified.length === 0) {
    return fail(`no signature by ${verifiers.map((v) => v.name).join(", ") || "a known key"}`, "signature");
  }
  return ok({ text: parsed.value.text, signatures: verified });
}

/** Signs `text` (ending in "\n") as a note by `name` with an Ed25519 `sign` function. */
export function signNote(text: string, name: string, publicKey: Uint8Array, sign: (m: Uint8Array) => Uint8Array): string {
  const id = noteKeyId(name, NOTE_SIG_ED25519, publicKey);
  const idBytes = new Uint8Array([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
  return `${text}\n${SIG_PREFIX}${name} ${base64(concat(idBytes, sign(utf8(text))))}\n`;
}
