// Statements (api.md §2) and their DSSE v1 envelopes: building the statement's exact
// JSON bytes, the pre-authentication encoding (PAE) and Ed25519 signatures by one or
// several signers (a pledge is signed by the pledgee and every pledgor).

import { base64, concat, fromBase64, hex, randomBytes, utf8 } from "./bytes.js";
import { verifyEd25519, type Ed25519Signer } from "./keys.js";

export const STATEMENT_PAYLOAD_TYPE = "application/vnd.ipledger.statement.v1+json";

export interface StatementInput {
  type: string;
  submitter: string;
  body: Record<string, unknown>;
  /** Unique per submitter; the same key and envelope replays the original outcome. Default: random. */
  idempotency_key?: string;
  /** RFC 3339 UTC with milliseconds; default: now. The server refuses one 10 minutes off its clock. */
  created?: string | Date;
}

/** A signer: a key id "<participant>/<label>" and its key. */
export interface Signer {
  keyid: string;
  key: Ed25519Signer;
}

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** A random idempotency key (a version 4 UUID). */
export function newIdempotencyKey(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The statement's JSON text: these are the exact bytes that get signed and logged. */
export function buildStatement(s: StatementInput): string {
  const created = s.created === undefined ? new Date() : s.created;
  return JSON.stringify({
    v: 1,
    type: s.type,
    submitter: s.submitter,
    idempotency_key: s.idempotency_key ?? newIdempotencyKey(),
    created: typeof created === "string" ? created : created.toISOString(),
    body: s.body,
  });
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const t = utf8(payloadType);
  return concat(utf8(`DSSEv1 ${t.length} `), t, utf8(` ${payload.length} `), payload);
}

/** An unsigned envelope around the statement's exact bytes. */
export function envelopeOf(statement: string | Uint8Array): Envelope {
  const bytes = typeof statement === "string" ? utf8(statement) : statement;
  return { payloadType: STATEMENT_PAYLOAD_TYPE, payload: base64(bytes), signatures: [] };
}

/** Returns a copy of `envelope` with one more signature (for co-signers signing separately). */
export function addSignature(envelope: Envelope, signer: Signer): Envelope {
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new Error("the envelope's payload is not base64");
  const sig = signer.key.sign(pae(envelope.payloadType, payload));
  return { ...envelope, signatures: [...envelope.signatures, { keyid: signer.keyid, sig: base64(sig) }] };
}

/** Wraps a statement (JSON text or StatementInput) in an envelope signed by every signer. */
export function signStatement(statement: string | Uint8Array | StatementInput, signers: Signer[]): Envelope {
  if (signers.length === 0) throw new Error("at least one signer is needed");
  const text = typeof statement === "string" || statement instanceof Uint8Array ? statement : buildStatement(statement);
  return signers.reduce(addSignature, envelopeOf(text));
}

/** True iff the envelope carries a valid signature under `keyid` by `publicKey`. */
export function verifyEnvelopeSignature(envelope: Envelope, keyid: string, publicKey: Uint8Array): boolean {
  const payload = fromBase64(envelope?.payload);
  if (!payload || !Array.isArray(envelope.signatures)) return false;
  const message = pae(envelope.payloadType, payload);
  return envelope.signatures.some((s) => {
    const sig = s?.keyid === keyid ? fromBase64(s.sig) : undefined;
    return sig !== undefined && verifyEd25519(publicKey, message, sig);
  });
}

/** The statement inside an envelope, parsed (undefined if it is not JSON). */
export function statementOf(envelope: Envelope): Record<string, unknown> | undefined {
  const bytes = fromBase64(envelope.payload);
  try {
    return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  } catch {
    return undefined;
  }
}
