// The SDK's encoders against the byte strings the server's own tests pin: DSSE PAE
// (the DSSE spec's example), the RFC 9421 signature base and headers, statements.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as sdk from "@ipledger/sdk";

const text = (b) => new TextDecoder().decode(b);
const PARAMS = '("@method" "@path" "@query");created=1764144000;keyid="ccb-quzhou/k1";alg="ed25519"';

test("DSSE PAE: lengths are byte lengths", () => {
  assert.equal(text(sdk.pae("http://example.com/HelloWorld", sdk.utf8("hello world"))), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  assert.equal(text(sdk.pae("", new Uint8Array())), "DSSEv1 0  0 ");
  assert.equal(text(sdk.pae("t\u00e9", sdk.utf8("\u00e9x"))), "DSSEv1 3 t\u00e9 3 \u00e9x");
});

test("RFC 9421 signature base and headers, as the server's tests write them", () => {
  assert.equal(sdk.signatureBase("GET", "/v1/assets/patent:2014103620773/status?at=2024-06-30&x=%2F", PARAMS),
    `"@method": GET\n"@path": /v1/assets/patent:2014103620773/status\n"@query": ?at=2024-06-30&x=%2F\n"@signature-params": ${PARAMS}`);
  assert.equal(sdk.signatureBase("GET", "/x?", "()"), '"@method": GET\n"@path": /x\n"@query": ?\n"@signature-params": ()');
  assert.equal(sdk.signatureBase("GET", "?a=1", "()"), '"@method": GET\n"@path": /\n"@query": ?a=1\n"@signature-params": ()');
  const key = sdk.SigningKey.generate();
  const h = sdk.signRequest("GET", "/v1/entries/7?view=full", "ccb-quzhou/k1", key, 1764144000);
  assert.equal(h["Signature-Input"], `ipl=${PARAMS}`);
  const sig = sdk.fromBase64(h.Signature.slice(5, -1));
  const base = `"@method": GET\n"@path": /v1/entries/7\n"@query": ?view=full\n"@signature-params": ${PARAMS}`;
  assert.ok(sdk.verifyEd25519(key.publicKey, sdk.utf8(base), sig));
  assert.equal(sdk.signRequest("GET", "/", 'a"b\\c/k1', key, 1)["Signature-Input"], 'ipl=("@method" "@path" "@query");created=1;keyid="a\\"b\\\\c/k1";alg="ed25519"');
});

test("statements and envelopes: exact bytes signed by every signer", () => {
  const s = sdk.buildStatement({ type: "pledge.release", submitter: "b", body: { pledge_id: "P" }, idempotency_key: "k", created: "2026-11-26T08:00:00.000Z" });
  assert.equal(s, '{"v":1,"type":"pledge.release","submitter":"b","idempotency_key":"k","created":"2026-11-26T08:00:00.000Z","body":{"pledge_id":"P"}}');
  const a = { keyid: "a/k1", key: sdk.SigningKey.generate() };
  const b = { keyid: "b/k1", key: sdk.SigningKey.generate() };
  const env = sdk.signStatement(s, [a, b]);
  assert.equal(env.payloadType, "application/vnd.ipledger.statement.v1+json");
  assert.equal(text(sdk.fromBase64(env.payload)), s);
  assert.deepEqual(env.signatures.map((x) => x.keyid), ["a/k1", "b/k1"]);
  assert.ok(sdk.verifyEnvelopeSignature(env, "a/k1", a.key.publicKey));
  assert.ok(sdk.verifyEnvelopeSignature(env, "b/k1", b.key.publicKey));
  assert.equal(sdk.verifyEnvelopeSignature(env, "a/k1", b.key.publicKey), false);
  const changed = { ...env, payload: sdk.base64(sdk.utf8(s.replace('"P"', '"Q"'))) };
  assert.equal(sdk.verifyEnvelopeSignature(changed, "a/k1", a.key.publicKey), false);
  assert.match(sdk.newIdempotencyKey(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(JSON.parse(sdk.buildStatement({ type: "t", submitter: "s", body: {} })).created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("key files round-trip; other text is refused", () => {
  const k = sdk.SigningKey.generate();
  const again = sdk.parseKeyFile(k.toKeyFile());
  assert.equal(again.publicKeyBase64, k.publicKeyBase64);
  assert.match(k.toKeyFile(), /^[A-Za-z0-9+/]{43}=\n$/);
  for (const bad of ["", "\n", k.toKeyFile() + "\n", sdk.base64(new Uint8Array(31)) + "\n", " " + k.toKeyFile()]) {
    assert.throws(() => sdk.parseKeyFile(bad), /32-byte Ed25519 seed/);
  }
  // RFC 8032 test 1: the seed's public key.
  const seed = Uint8Array.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60".match(/../g), (h) => parseInt(h, 16));
  assert.equal(sdk.hex(sdk.SigningKey.fromSeed(seed).publicKey), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
});

test("escapePathSegment keeps id characters, escapes the rest", () => {
  assert.equal(sdk.escapePathSegment("patent:2014103620773"), "patent:2014103620773");
  assert.equal(sdk.escapePathSegment("a b/c?\u00e9"), "a%20b%2Fc%3F%C3%A9");
});
