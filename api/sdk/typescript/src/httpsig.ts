// RFC 9421 HTTP message signatures, the profile the registry verifies (api.md §8):
//   Signature-Input: ipl=("@method" "@path" "@query");created=<unix s>;keyid="<id>";alg="ed25519"
//   Signature: ipl=:<base64 Ed25519 signature over the signature base>:
// The base is one line per component ("@method": GET, "@path": /v1/..., "@query": ?q
// or "?" alone), then "@signature-params": <the member value exactly as sent>.

import { base64, utf8 } from "./bytes.js";
import type { Ed25519Signer } from "./keys.js";

export interface RequestSignature {
  "Signature-Input": string;
  Signature: string;
}

/** RFC 8941 sf-string. */
function sfString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"';
}

/** The RFC 9421 §2.5 signature base of a request to `target` (path and query). */
export function signatureBase(method: string, target: string, params: string): string {
  const q = target.indexOf("?");
  const path = (q < 0 ? target : target.slice(0, q)) || "/";
  const query = q < 0 ? "" : target.slice(q + 1);
  return `"@method": ${method}\n"@path": ${path}\n"@query": ?${query}\n"@signature-params": ${params}`;
}

/**
 * The headers that sign `method target` (target: the path and query exactly as sent,
 * e.g. "/v1/assets/patent:2014103620773/pledge-status?at=2026-12-05") as `keyid`.
 * `created` is Unix seconds (default now); the server accepts 300 s of clock skew.
 */
export function signRequest(method: string, target: string, keyid: string, key: Ed25519Signer, created?: number): RequestSignature {
  const t = created ?? Math.floor(Date.now() / 1000);
  const params = `("@method" "@path" "@query");created=${t};keyid=${sfString(keyid)};alg="ed25519"`;
  const sig = key.sign(utf8(signatureBase(method.toUpperCase(), target, params)));
  return { "Signature-Input": `ipl=${params}`, Signature: `ipl=:${base64(sig)}:` };
}
