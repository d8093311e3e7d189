// Signs requests to a running ipledgerd with the npm library http-message-signatures
// (RFC 9421), using the library's defaults: parameters keyid, alg, created and expires
// (created now, expires 300 s later), the label "sig". Covered components are the
// three the server requires, in the library's syntax, plus extra ones where a case says.
//
//   node sign_requests.mjs BASE_URL KEYID SEED_B64 PUBLIC_B64 PATH
//
// Prints one JSON line per case: {"case", "status", "detail"}; the caller
// (tests/integration/ops_test.cc) checks the statuses.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { httpbis, createSigner } from 'http-message-signatures';

const [base, keyid, seedB64, publicB64, path] = process.argv.slice(2);
const b64url = (b64) => Buffer.from(b64, 'base64').toString('base64url');
const key = createPrivateKey({
  key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seedB64), x: b64url(publicB64) },
  format: 'jwk',
});
const signer = createSigner(key, 'ed25519', keyid);

async function signed(config) {
  const message = { method: 'GET', url: new URL(path, base).toString(), headers: {} };
  return httpbis.signMessage({ key: signer, ...config }, message);
}

async function send(name, message) {
  const res = await fetch(message.url, { method: message.method, headers: message.headers });
  const body = await res.text();
  let detail = '';
  try {
    detail = JSON.parse(body).detail ?? '';
  } catch {
    detail = body.slice(0, 200);
  }
  console.log(JSON.stringify({ case: name, status: res.status, detail,
                               signature_input: message.headers['Signature-Input'] }));
}

// 1. The library's defaults over the required components.
await send('defaults', await signed({ fields: ['@method', '@path', '@query'] }));
// 2. Extra covered components, in the library's order, and a nonce; then the same
//    signed request again: a replay.
const withNonce = await signed({
  fields: ['@method', '@authority', '@path', '@query'],
  params: ['keyid', 'alg', 'created', 'expires', 'nonce'],
  paramValues: { nonce: randomUUID() },
});
await send('nonce', withNonce);
await send('nonce-replayed', withNonce);
// 3. A signature whose expires has passed (created still inside the window).
const now = Date.now();
await send('expired', await signed({
  fields: ['@method', '@path', '@query'],
  paramValues: { created: new Date(now - 120_000), expires: new Date(now - 60_000) },
}));
// 4. expires more than 300 s after created.
await send('expires-too-far', await signed({
  fields: ['@method', '@path', '@query'],
  paramValues: { created: new Date(now), expires: new Date(now + 3_600_000) },
}));
// 5. A parameter the profile does not know.
await send('unknown-parameter', await signed({
  fields: ['@method', '@path', '@query'],
  params: ['keyid', 'alg', 'created', 'expires', 'foo'],
  paramValues: { foo: 'bar' },
}));
