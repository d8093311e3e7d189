// A small HTTP client for the registry over the platform's fetch (browsers, Node 20):
// submits envelopes with idempotent retry, signs reads with RFC 9421 when given a
// signer, and fetches the log's public objects. It verifies nothing by itself: pass
// what it returns to the verify functions (verify.ts, log.ts) with a pinned vkey.

import { fromBase64 } from "./bytes.js";
import { signRequest } from "./httpsig.js";
import { parseVkey, type NoteVerifier } from "./note.js";
import type { Envelope, Signer } from "./statement.js";

/** An RFC 9457 problem answer (api.md §5). */
export interface Problem {
  status: number;
  type?: string;
  title?: string;
  detail?: string;
  codes?: string[];
  refusal_index?: number;
  /** The receipt of a refusal recorded in the log. */
  receipt?: Record<string, unknown>;
  [member: string]: unknown;
}

/** Thrown when the server answers with a problem (or something else than expected). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.title ?? "error"}${problem.codes?.length ? " [" + problem.codes.join(", ") + "]" : ""}${problem.detail ? ": " + problem.detail : ""}`);
    this.name = "ApiError";
  }
  get codes(): string[] {
    return this.problem.codes ?? [];
  }
}

export interface Receipt {
  index: number;
  leaf: string;
  leaf_hash: string;
  integrated_time: string;
  checkpoint: string;
  inclusion_proof: string[];
  tlog_proof: string;
  warnings: string[];
}

export interface SubmitResult {
  receipt: Receipt;
  /** 201 when this call appended the entry, 200 when it replayed an earlier outcome. */
  status: 200 | 201;
  attempts: number;
}

export interface ClientOptions {
  /** Signs reads (RFC 9421) as this participant; without it reads get the public view. */
  signer?: Signer;
  /** Submit attempts in total (default 5). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 200); Retry-After wins when sent. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** Percent-encodes one path segment, keeping what the registry's ids use unescaped. */
export function escapePathSegment(s: string): string {
  return [...new TextEncoder().encode(s)]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9._~:@-]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
    })
    .join("");
}

const RETRYABLE = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Client {
  readonly baseUrl: string;
  readonly #opts: ClientOptions;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#opts = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** A client for the same server that signs reads as `signer`. */
  as(signer: Signer): Client {
    return new Client(this.baseUrl, { ...this.#opts, signer });
  }

  /**
   * POSTs the envelope to /v1/entries and returns its receipt. The envelope's bytes are
   * the same on every attempt, so its idempotency key makes retries safe: network
   * failures, 429 and 502-504 are retried, and a retry of an entry that was appended
   * answers 200 with the original receipt. Any other problem throws ApiError (a
   * refusal recorded in the log carries `problem.receipt`).
   */
  async submit(envelope: Envelope, options: { attempts?: number } = {}): Promise<SubmitResult> {
    const body = JSON.stringify(envelope);
    const attempts = Math.max(1, options.attempts ?? this.#opts.attempts ?? 5);
    let delay = this.#opts.retryDelayMs ?? 200;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(this.baseUrl + "/v1/entries", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
      } catch (e) {
        lastError = e;
        if (attempt < attempts) await sleep(delay);
        delay *= 2;
        continue;
      }
      if (res.status === 200 || res.status === 201) {
        return { receipt: (await res.json()) as Receipt, status: res.status, attempts: attempt };
      }
      const problem = await problemOf(res);
      lastError = new ApiError(res.status, problem);
      if (!RETRYABLE.has(res.status) || attempt === attempts) throw lastError;
      const after = Number(res.headers.get("Retry-After"));
      await sleep(Number.isFinite(after) && after > 0 ? after * 1000 : delay);
      delay *= 2;
    }
    throw lastError;
  }

  /** GETs `target` (path and query), signed when the client has a signer; the body text. */
  async getText(target: string): Promise<string> {
    const headers: Record<string, string> = {};
    const s = this.#opts.signer;
    if (s) Object.assign(headers, signRequest("GET", target, s.keyid, s.key));
    const res = await this.#fetch(this.baseUrl + target, { headers });
    if (res.status !== 200) throw new ApiError(res.status, await problemOf(res));
    return res.text();
  }

  async getJson<T = Record<string, unknown>>(target: string): Promise<T> {
    return JSON.parse(await this.getText(target)) as T;
  }

  /** The log's verifier key as served. Pin it out of band; do not trust it from the server alone. */
  async vkey(): Promise<NoteVerifier> {
    const v = parseVkey((await this.getText("/log/vkey")).trim());
    if (!v.ok) throw new Error(`the server's vkey: ${v.reason}`);
    return v.value;
  }

  /** The latest checkpoint note (verify it with verifyCheckpoint). */
  checkpoint(): Promise<string> {
    return this.getText("/log/checkpoint");
  }

  /** GET /v1/assets/{id}/pledge-status (signed reads see amounts if a party). */
  pledgeStatus(asset: string, at?: { date?: string; index?: number }): Promise<Record<string, unknown>> {
    let target = `/v1/assets/${escapePathSegment(asset)}/pledge-status`;
    if (at?.date !== undefined) target += `?at=${escapePathSegment(at.date)}`;
    else if (at?.index !== undefined) target += `?index=${at.index}`;
    return this.getJson(target);
  }

  /** The C2SP tlog-proof of entry `index` against the latest checkpoint. */
  tlogProof(index: number): Promise<string> {
    return this.getText(`/v1/entries/${index}/tlog-proof`);
  }

  /** The RFC 6962 consistency proof between two tree sizes, as bytes. */
  async consistency(oldSize: number, newSize: number): Promise<Uint8Array[]> {
    const j = await this.getJson<{ hashes: string[] }>(`/v1/log/consistency?old=${oldSize}&new=${newSize}`);
    return j.hashes.map((h) => {
      const b = fromBase64(h);
      if (!b) throw new Error("a consistency proof hash is not base64");
      return b;
    });
  }
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const p = JSON.parse(text);
    if (typeof p === "object" && p !== null) return { ...p, status: res.status };
  } catch {
    // not a problem document; fall through
  }
  return { status: res.status, title: res.statusText || "HTTP error", detail: text.slice(0, 200) };
}
