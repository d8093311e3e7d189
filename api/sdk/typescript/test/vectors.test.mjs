// The SDK's verifiers against the public test vectors (transparency-dev/merkle proofs,
// the RFC 6962 reference tree, C2SP signed notes, golang.org/x/mod notes, the derived
// checkpoint, cosignature and tlog-proof). IPLEDGER_VECTORS names the vectors folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as sdk from "@ipledger/sdk";

const dir = process.env.IPLEDGER_VECTORS;
if (!dir) throw new Error("IPLEDGER_VECTORS must name the test vectors folder");
const read = (p) => readFileSync(join(dir, p), "utf8");
const json = (p) => JSON.parse(read(p));
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hexb = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

function files(sub) {
  const out = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".json")) out.push(p);
    }
  };
  walk(join(dir, sub));
  return out;
}

test("transparency-dev inclusion vectors: wantErr exactly when verification fails", () => {
  const all = files("merkle-transparency-dev/inclusion");
  assert.ok(all.length > 50, `only ${all.length} inclusion vectors`);
  for (const f of all) {
    const v = JSON.parse(readFileSync(f, "utf8"));
    const r = sdk.verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash ?? ""), (v.proof ?? []).map(b64), b64(v.root ?? ""));
    assert.equal(r.ok, !v.wantErr, `${f}: ${v.desc}: ${r.reason ?? "ok"}`);
  }
});

test("transparency-dev consistency vectors: wantErr exactly when verification fails", () => {
  const all = files("merkle-transparency-dev/consistency");
  assert.ok(all.length > 50, `only ${all.length} consistency vectors`);
  for (const f of all) {
    const v = JSON.parse(readFileSync(f, "utf8"));
    const r = sdk.verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1 ?? ""), b64(v.root2 ?? ""));
    assert.equal(r.ok, !v.wantErr, `${f}: ${v.desc}: ${r.reason ?? "ok"}`);
  }
});

test("RFC 6962 reference tree: leaf hashes, roots, inclusion and consistency proofs", () => {
  const v = json("rfc6962-reference-8-leaves.json");
  v.leaves_hex.forEach((l, i) => assert.equal(sdk.hex(sdk.leafHash(hexb(l))), v.leaf_hashes_hex[i]));
  for (const p of v.inclusion_proofs) {
    const r = sdk.verifyInclusion(p.leaf_index, p.tree_size, hexb(p.leaf_hash_hex), p.proof_hex.map(hexb), hexb(p.root_hex));
    assert.ok(r.ok, r.reason);
    if (p.proof_hex.length > 0) {
      const bad = p.proof_hex.map(hexb);
      bad[0][0] ^= 1;
      assert.equal(sdk.verifyInclusion(p.leaf_index, p.tree_size, hexb(p.leaf_hash_hex), bad, hexb(p.root_hex)).ok, false);
    }
  }
  for (const p of v.consistency_proofs) {
    const r = sdk.verifyConsistency(p.size1, p.size2, p.proof_hex.map(hexb), hexb(p.root1_hex), hexb(p.root2_hex));
    assert.ok(r.ok, `${p.size1}->${p.size2}: ${r.reason}`);
  }
});

test("signed notes: C2SP example, golang.org/x/mod notes, a real sum.golang.org checkpoint", () => {
  const v = json("signed-note/signed-note-vectors.json");
  const ex = v.c2sp_signed_note_example;
  const key = sdk.parseVkey(ex.vkey);
  assert.ok(key.ok, key.reason);
  assert.equal(key.value.keyId, 0x530d903a);
  const opened = sdk.openNote(ex.signed_note, [key.value]);
  assert.ok(opened.ok, opened.reason);
  assert.equal(opened.value.text, ex.note_text);

  const g = v.golang_mod_note_tests;
  const peter = sdk.parseVkey(g.peter_vkey);
  const enoch = sdk.parseVkey(g.enoch_vkey);
  assert.ok(peter.ok && enoch.ok);
  const both = `${g.note_text}\n${g.peter_sig_line}${g.enoch_sig_line}`;
  assert.equal(sdk.openNote(both, [peter.value, enoch.value]).value.signatures.length, 2);
  // Signing with the published test key gives the published signature line.
  const seed = b64(g.peter_skey_TEST_ONLY.split("+").slice(4).join("+")).slice(1);
  const k = sdk.SigningKey.fromSeed(seed);
  const signed = sdk.signNote(g.note_text, "PeterNeumann", k.publicKey, (m) => k.sign(m));
  assert.equal(signed, `${g.note_text}\n${g.peter_sig_line}`);
  // Only Peter's key given: Enoch's signature is ignored, not an error.
  assert.equal(sdk.openNote(both, [peter.value]).value.signatures.length, 1);
  // One changed byte of the text: the known signer's signature fails the note.
  assert.equal(sdk.openNote(both.replace("answer", "answeR"), [peter.value]).ok, false);
  for (const n of g.negative_vkeys) assert.equal(sdk.parseVkey(n.vkey).ok, false, n.why);
  for (const n of g.negative_notes) {
    const note = n.note ?? `${g.note_text}\n${g.peter_sig_line.repeat(101)}`;
    assert.equal(sdk.parseNote(note).ok, false, n.desc);
  }

  const sum = v.real_sum_golang_org_checkpoint;
  const sumKey = sdk.parseVkey(sum.vkey);
  assert.ok(sumKey.ok);
  const sumNote = sdk.openNote(sum.signed_note, [sumKey.value]);
  assert.ok(sumNote.ok, sumNote.reason);
  const cp = sdk.parseCheckpointText(sumNote.value.text);
  assert.ok(cp.ok, cp.reason);
  assert.equal(cp.value.size, 65664258);
  // Go's checksum database names its origin differently from its key; ipledger's
  // checkpoints must not, so verifyCheckpoint refuses it.
  assert.match(sdk.verifyCheckpoint(sum.signed_note, sumKey.value).reason, /origin/);

  for (const bad of v.transparency_dev_formats_cosignature.invalid_vkeys) assert.equal(sdk.parseVkey(bad).ok, false, bad);
});

test("derived checkpoints, a cosignature/v1 and a tlog-proof verify with the public keys alone", () => {
  const keys = json("derived/keys.json");
  const log = sdk.parseVkey(keys.log.vkey);
  const witness = sdk.parseVkey(keys.witness.cosignature_v1_vkey);
  assert.ok(log.ok && witness.ok, log.reason ?? witness.reason);
  const ref = json("rfc6962-reference-8-leaves.json");
  const cp8 = sdk.verifyCheckpoint(read("derived/checkpoint-size8.note"), log.value);
  assert.ok(cp8.ok, cp8.reason);
  assert.equal(cp8.value.size, 8);
  assert.equal(sdk.hex(cp8.value.root), ref.roots_by_size_hex["8"]);
  const cp6 = sdk.verifyCheckpoint(read("derived/checkpoint-size6.note"), log.value);
  assert.ok(cp6.ok, cp6.reason);

  const cosigned = read("derived/checkpoint-size8-cosigned.note");
  const both = sdk.verifyCheckpoint(cosigned, log.value, [witness.value]);
  assert.ok(both.ok, both.reason);
  const opened = sdk.openNote(cosigned, [witness.value]);
  assert.ok(opened.ok, opened.reason);
  assert.equal(sdk.cosignatureTimestamp(opened.value.signatures[0].blob), BigInt(keys.cosignature_timestamp));
  assert.equal(
    sdk.cosignatureV1Message(opened.value.text, keys.cosignature_timestamp),
    read("derived/cosignature-v1-signed-message-size8.txt"),
  );

  const proof = read("derived/tlog-proof-index5-size8.tlog-proof");
  const leaf5 = hexb(ref.leaves_hex[5]);
  const r = sdk.verifyTlogProof(proof, leaf5, log.value);
  assert.ok(r.ok, r.reason);
  assert.equal(r.value.index, 5);
  assert.equal(sdk.verifyTlogProof(proof, hexb(ref.leaves_hex[4]), log.value).ok, false);
  assert.equal(sdk.verifyTlogProof(proof.replace("index 5", "index 4"), leaf5, log.value).ok, false);
  // A one-byte change anywhere in the proof makes it fail, never throw.
  // (Up to the witness's line: a signature by a key not asked for is ignored.)
  for (let i = 0; i < proof.indexOf("\u2014 PeterNeumann"); i += 7) {
    const c = proof[i] === "A" ? "B" : "A";
    const bad = proof.slice(0, i) + c + proof.slice(i + 1);
    if (bad === proof) continue;
    const res = sdk.verifyTlogProof(bad, leaf5, log.value);
    assert.equal(res.ok, false, `byte ${i} changed and it still verified`);
    assert.ok(sdk.FAIL_CODES.includes(res.code), `byte ${i}: code ${res.code}`);
  }
});

test("verify functions return a reason for garbage instead of throwing", () => {
  const junk = [undefined, null, 1, "", "x", {}, [], { leaf: 5 }, "{\"index\":-1}"];
  const log = sdk.makeNoteVerifier("example.org/log", sdk.SigningKey.generate().publicKey);
  for (const j of junk) {
    for (const f of [sdk.verifyReceipt, sdk.verifyPledgeStatus]) {
      const r = f(j, log);
      assert.equal(r.ok, false);
      assert.equal(typeof r.reason, "string");
      assert.equal(r.code, "malformed", `${JSON.stringify(j)}: ${r.reason}`);
    }
    assert.equal(sdk.parseVkey(j).ok, false);
    assert.equal(sdk.parseNote(j).ok, false);
    assert.equal(sdk.parseTlogProof(j).ok, false);
  }
  // Not even a key to verify with: still a result, not an exception.
  const cp = read("derived/checkpoint-size8.note");
  for (const key of [undefined, null, "vkey text", {}]) {
    assert.equal(sdk.verifyCheckpoint(cp, key).ok, false);
    assert.equal(sdk.verifyTlogProof(read("derived/tlog-proof-index5-size8.tlog-proof"), new Uint8Array(), key).ok, false);
    assert.equal(sdk.verifySearchCertificate(cp, key).ok, false);
    assert.equal(sdk.verifyReceipt({}, key).ok, false);
  }
  assert.equal(sdk.verifyInclusion(0, 1, new Uint8Array(5), [], new Uint8Array(32)).ok, false);
  assert.equal(sdk.verifyInclusion(Number.NaN, 1, new Uint8Array(32), [], new Uint8Array(32)).ok, false);
});

test("base64 is strict: padding required, non-canonical trailing bits refused", () => {
  assert.equal(sdk.base64(sdk.utf8("hello")), "aGVsbG8=");
  assert.deepEqual(sdk.fromBase64("aGVsbG8="), sdk.utf8("hello"));
  assert.equal(sdk.fromBase64("aGVsbG8"), undefined);
  assert.equal(sdk.fromBase64("aGVsbG9="), undefined);
  assert.equal(sdk.fromBase64("aGV sbG8"), undefined);
  for (let n = 0; n < 40; n++) {
    const b = sdk.randomBytes(n);
    assert.deepEqual(sdk.fromBase64(sdk.base64(b)), b);
    assert.equal(sdk.base64(b), btoa(String.fromCharCode(...b)));
  }
});
