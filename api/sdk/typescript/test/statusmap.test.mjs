// The status map verifier against docs/formats.md's test vectors (which the C++ tests
// check against the server's code): proofs of presence, of absence in an empty subtree
// and of absence at another key's leaf, the status record example, and a one-byte change
// to each that makes it fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as sdk from "@ipledger/sdk";

const doc = readFileSync(join(dirname(process.env.IPLEDGER_SDK_DOC), "formats.md"), "utf8");
const grab = (re) => { const m = doc.match(re); assert.ok(m, `docs/formats.md has ${re}`); return m[1]; };
const root = sdk.fromHex(grab(/\nroot ([0-9a-f]{64})\n\npresence/));
const encoded = [...doc.matchAll(/encoded +([0-9a-f]+)/g)].map((m) => sdk.fromHex(m[1]));
const key = (h) => sdk.fromHex(h);
const presentKey = key(grab(/asset patent:2014103620773\n  key +([0-9a-f]{64})/));
const presentValue = key(grab(/asset patent:2014103620773\n.*\n  value_hash ([0-9a-f]{64})/));
const emptyKey = key(grab(/patent:209900000002 \(an empty subtree\)\n  key +([0-9a-f]{64})/));
const otherKey = key(grab(/patent:209900000000 \(another leaf\)\n  key +([0-9a-f]{64})/));
const flip = (b, i, mask = 1) => { const c = Uint8Array.from(b); c[i] ^= mask; return c; };

test("status map proofs: the documented vectors verify, and fail with any byte changed", () => {
  assert.equal(encoded.length, 3);
  const cases = [
    [presentKey, presentValue, encoded[0]],
    [emptyKey, undefined, encoded[1]],
    [otherKey, undefined, encoded[2]],
  ];
  for (const [k, v, p] of cases) {
    const r = sdk.verifyMapProof(root, k, v, p);
    assert.ok(r.ok, r.reason);
    for (const i of [0, 1, 2, p.length - 1]) assert.equal(sdk.verifyMapProof(root, k, v, flip(p, i)).ok, false, `byte ${i}`);
    // A changed hash is a proof that does not lead to the root; a wrong length is malformed.
    assert.equal(sdk.verifyMapProof(root, k, v, flip(p, p.length - 1)).code, "map_proof");
    assert.equal(sdk.verifyMapProof(root, k, v, sdk.concat(p, new Uint8Array(1))).code, "malformed");
    assert.equal(sdk.verifyMapProof(flip(root, 31), k, v, p).ok, false);
    // For presence, another key fails; an absence proof equally proves the absence of the
    // keys that share its path (docs/formats.md), so change the key's first bit there.
    assert.equal(sdk.verifyMapProof(root, flip(k, v ? 31 : 0, 0x80), v, p).ok, false, "another key");
    assert.equal(sdk.verifyMapProof(root, k, v, sdk.concat(p, new Uint8Array(1))).ok, false, "trailing byte");
  }
  // A claim the proof's kind does not prove.
  assert.equal(sdk.verifyMapProof(root, presentKey, undefined, encoded[0]).ok, false);
  assert.equal(sdk.verifyMapProof(root, emptyKey, presentValue, encoded[1]).ok, false);
  assert.equal(sdk.verifyMapProof(root, flip(presentValue, 0), presentValue, encoded[0]).ok, false);
});

test("status record: the documented example decodes; malformed records are refused", () => {
  const bytes = sdk.fromHex(grab(/\n```\n(01 0014[^`]*)```/).replace(/\s+/g, ""));
  const r = sdk.decodeStatusRecord(bytes);
  assert.ok(r.ok, r.reason);
  assert.deepEqual(r.value, { asset: "patent:2014103620773", last_change: 42, pledges: [7, 19], policies: [11] });
  assert.equal(sdk.decodeStatusRecord(flip(bytes, 0)).ok, false, "version");
  assert.equal(sdk.decodeStatusRecord(sdk.concat(bytes, new Uint8Array(1))).ok, false, "trailing byte");
  assert.equal(sdk.decodeStatusRecord(bytes.subarray(0, bytes.length - 1)).ok, false, "cut short");
  const unsorted = Uint8Array.from(bytes);
  unsorted.set([0, 0, 0, 0, 0, 0, 0, 0x13], 3 + 20 + 8 + 4);  // pledges 19, 19
  assert.equal(sdk.decodeStatusRecord(unsorted).ok, false, "not strictly ascending");
});
