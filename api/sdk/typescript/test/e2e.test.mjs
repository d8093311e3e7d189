// End to end against a real ipledgerd: register participants, a patent and a pledge
// signed by the bank and the enterprise; verify the receipts and a signed pledge-status
// read offline with the log's vkey; idempotent retries; RFC 9421 refusals; and a
// one-byte change to any verified part makes verification fail.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as sdk from "@ipledger/sdk";
import { readKeyFile, writeKeyFile } from "@ipledger/sdk/node";
import { startServer } from "./server.mjs";

let server, client, logKey, registry;
const bank = { keyid: "ccb-quzhou/k1", key: sdk.SigningKey.generate() };
const firm = { keyid: "kecheng-agrochem/k1", key: sdk.SigningKey.generate() };
const asset = "patent:2014103620773";
const day = (offsetDays) => new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3).toISOString().slice(0, 10);
let pledgeReceipt;

before(async () => {
  server = await startServer();
  client = new sdk.Client(server.url, { retryDelayMs: 50 });
  const v = sdk.parseVkey(server.vkey);
  assert.ok(v.ok, v.reason);
  logKey = v.value;
  registry = { keyid: "registry/k1", key: await readKeyFile(join(server.data, "registry.key")) };
});
after(async () => server?.stop());

function participant(id, role, signer) {
  return sdk.signStatement(
    { type: "participant.register", submitter: "registry",
      body: { id, name: `${id} (SDK test)`, role, region_code: "330802", keys: [{ label: "k1", ed25519: signer.key.publicKeyBase64 }] } },
    [registry],
  );
}

test("register participants and a patent; receipts verify offline", async () => {
  for (const [id, role, who] of [["ccb-quzhou", "bank", bank], ["kecheng-agrochem", "enterprise", firm]]) {
    const r = await client.submit(participant(id, role, who));
    assert.equal(r.status, 201);
    const v = sdk.verifyReceipt(r.receipt, logKey);
    assert.ok(v.ok, v.reason);
    assert.equal(v.value.leaf.type, "participant.register");
    assert.deepEqual(v.value.leaf.signers, ["registry/k1"]);
  }
  const patent = sdk.signStatement({
    type: "asset.register", submitter: "registry",
    body: { asset_id: asset, kind: "patent", holders: ["kecheng-agrochem"],
      patent: { application_no: "2014103620773", patent_no: "ZL201410362077.3", type: "invention",
        title: "Slow-release granule and its preparation method", filing_date: "2014-07-03",
        grant_date: "2017-01-03", annuity_paid_through: day(200) } },
  }, [registry]);
  const r = await client.submit(patent);
  assert.ok(sdk.verifyReceipt(r.receipt, logKey).ok);
});

test("a pledge signed by the pledgee and the pledgor: submit, verify, replay", async () => {
  const statement = sdk.buildStatement({
    type: "pledge.register", submitter: "ccb-quzhou",
    body: { pledge_id: "CCB-QZ-SDK-P001", pledgors: ["kecheng-agrochem"], debtor: "kecheng-agrochem",
      collateral: [asset], secured: { type: "loan", amount: { amount_fen: 580000000, currency: "CNY" } },
      debt_term: { start: day(0), end: day(364) }, valuation_ids: [], contract_sha256: "ab".repeat(32) },
  });
  // The bank signs, then the enterprise adds its signature separately.
  const byBank = sdk.signStatement(statement, [bank]);
  const envelope = sdk.addSignature(byBank, firm);
  assert.ok(sdk.verifyEnvelopeSignature(envelope, "ccb-quzhou/k1", bank.key.publicKey));
  assert.ok(sdk.verifyEnvelopeSignature(envelope, "kecheng-agrochem/k1", firm.key.publicKey));

  // Only the bank's signature: the pledgor's is missing, refused and not logged.
  await assert.rejects(client.submit(byBank), (e) => e instanceof sdk.ApiError && e.status === 403 && e.codes.includes("E_FORBIDDEN"));

  // The first answer is lost on the way back: the retry is a replay of the same outcome.
  let calls = 0;
  const lossy = new sdk.Client(server.url, {
    retryDelayMs: 20,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (++calls === 1) throw new TypeError("connection reset (simulated after the server answered)");
      return res;
    },
  });
  const r = await lossy.submit(envelope);
  assert.equal(r.attempts, 2);
  assert.equal(r.status, 200, "the retry must replay, not append again");
  const v = sdk.verifyReceipt(r.receipt, logKey);
  assert.ok(v.ok, v.reason);
  assert.deepEqual(v.value.leaf.signers, ["ccb-quzhou/k1", "kecheng-agrochem/k1"]);
  assert.ok(v.value.leaf.subjects.includes(asset));
  pledgeReceipt = r.receipt;

  // The same idempotency key with a different envelope is a conflict.
  const other = sdk.signStatement(statement.replace("580000000", "580000001"), [bank, firm]);
  await assert.rejects(client.submit(other), (e) => e.status === 409 && e.codes.includes("E_IDEMPOTENCY_CONFLICT"));
});

test("a refused second pledge is recorded: its receipt verifies as a refusal leaf", async () => {
  const again = sdk.signStatement({
    type: "pledge.register", submitter: "ccb-quzhou",
    body: { pledge_id: "CCB-QZ-SDK-P002", pledgors: ["kecheng-agrochem"], debtor: "kecheng-agrochem",
      collateral: [asset], secured: { type: "loan", amount: { amount_fen: 100000000, currency: "CNY" } },
      debt_term: { start: day(0), end: day(100) }, valuation_ids: [], contract_sha256: "cd".repeat(32) },
  }, [bank, firm]);
  const err = await client.submit(again).then(() => undefined, (e) => e);
  assert.ok(err instanceof sdk.ApiError, "the second pledge must be refused");
  assert.equal(err.status, 409);
  assert.deepEqual(err.codes, ["E_ALREADY_PLEDGED"]);
  const v = sdk.verifyReceipt(err.problem.receipt, logKey);
  assert.ok(v.ok, v.reason);
  assert.equal(v.value.index, err.problem.refusal_index);
  assert.equal(v.value.leaf.type, "refusal");
  assert.equal(v.value.leaf.refused, "pledge.register");
  assert.deepEqual(v.value.leaf.codes, ["E_ALREADY_PLEDGED"]);
});

test("a one-byte change to any part of a receipt makes it fail", () => {
  assert.ok(pledgeReceipt, "needs the pledge test");
  assert.ok(sdk.verifyReceipt(pledgeReceipt, logKey).ok);
  for (const field of ["leaf", "leaf_hash", "tlog_proof", "checkpoint"]) {
    for (const at of positions(pledgeReceipt[field])) {
      const bad = { ...pledgeReceipt, [field]: tamper(pledgeReceipt[field], at) };
      const r = sdk.verifyReceipt(bad, logKey);
      assert.equal(r.ok, false, `${field} changed at ${at} and still verified`);
      assert.equal(typeof r.reason, "string");
    }
  }
  const proof = pledgeReceipt.inclusion_proof.map((h, i) => (i === 0 ? tamper(h, 3) : h));
  if (proof.length > 0) assert.equal(sdk.verifyReceipt({ ...pledgeReceipt, inclusion_proof: proof }, logKey).ok, false);
  assert.equal(sdk.verifyReceipt({ ...pledgeReceipt, index: pledgeReceipt.index + 1 }, logKey).ok, false);
  const otherLog = sdk.makeNoteVerifier(logKey.name, sdk.SigningKey.generate().publicKey);
  assert.match(sdk.verifyReceipt(pledgeReceipt, otherLog).reason, /signature/);
});

test("a signed pledge-status read verifies offline; tampering fails it", async () => {
  const status = await client.as(bank).pledgeStatus(asset, { date: day(0) });
  const v = sdk.verifyPledgeStatus(status, logKey);
  assert.ok(v.ok, v.reason);
  assert.equal(v.value.pledged, true);
  assert.equal(v.value.certificate.pledges[0].pledge_id, "CCB-QZ-SDK-P001");
  assert.equal(status.pledges[0].secured.amount.amount_fen, 580000000, "the pledgee sees the amount");
  // The status map proves the record: the pledge's registration is still standing.
  const proven = v.value.status_map;
  assert.ok(proven, "the answer carries a status map proof");
  assert.equal(proven.asset, asset);
  assert.equal(v.value.certificate.map.version, proven.version);
  assert.ok(proven.record.pledges.includes(status.pledges[0].registered_index));

  const text = JSON.stringify(status);
  const mutate = (f) => { const c = JSON.parse(text); f(c); return c; };
  const cases = {
    certificate: (c) => (c.certificate = tamper(c.certificate, c.certificate.indexOf("pledge ") + 8)),
    "certificate signature": (c) => (c.certificate = tamper(c.certificate, c.certificate.length - 10)),
    "as_of checkpoint": (c) => (c.as_of.checkpoint = tamper(c.as_of.checkpoint, c.as_of.checkpoint.indexOf("\n") + 1)),
    "as_of index": (c) => (c.as_of.index += 1),
    "evidence leaf": (c) => (c.evidence[0].leaf = tamper(c.evidence[0].leaf, 10)),
    "evidence proof": (c) => (c.evidence[0].inclusion_proof[0] = tamper(c.evidence[0].inclusion_proof[0], 5)),
    "pledge state": (c) => (c.pledges[0].state = "released"),
    pledged: (c) => (c.pledged = false),
    asset: (c) => (c.asset = "patent:2014103620774"),
    "map record": (c) => (c.status_map.record = tamper(c.status_map.record, 4)),
    "map proof": (c) => (c.status_map.proof = tamper(c.status_map.proof, 0)),
    "map root": (c) => (c.status_map.root = (c.status_map.root[0] === "0" ? "1" : "0") + c.status_map.root.slice(1)),
    "map root entry leaf": (c) => (c.status_map.root_entry.leaf = tamper(c.status_map.root_entry.leaf, 10)),
    "map root entry envelope": (c) => (c.status_map.root_entry.envelope = tamper(c.status_map.root_entry.envelope, 30)),
    "map root entry proof": (c) => (c.status_map.root_entry.inclusion_proof[0] = tamper(c.status_map.root_entry.inclusion_proof[0], 5)),
    "map dropped": (c) => (c.status_map = null),
  };
  assert.ok(status.evidence[0].inclusion_proof.length > 0);
  for (const [name, f] of Object.entries(cases)) {
    const r = sdk.verifyPledgeStatus(mutate(f), logKey);
    assert.equal(r.ok, false, `${name} tampered and still verified`);
  }
  // An asset that never had a pledge: proven absent from the status map.
  const free = sdk.signStatement({
    type: "asset.register", submitter: "registry",
    body: { asset_id: "patent:2099000000008", kind: "patent", holders: ["kecheng-agrochem"],
      patent: { application_no: "2099000000008", patent_no: "ZL209900000000.8", type: "invention",
        title: "An unpledged patent", filing_date: "2014-07-03", grant_date: "2017-01-03", annuity_paid_through: day(200) } },
  }, [registry]);
  assert.equal((await client.submit(free)).status, 201);
  const none = await client.as(bank).pledgeStatus("patent:2099000000008");
  const vn = sdk.verifyPledgeStatus(none, logKey);
  assert.ok(vn.ok, vn.reason);
  assert.equal(vn.value.pledged, false);
  assert.equal(vn.value.status_map.record, null, "proven absent");
  const noneText = JSON.stringify(none);
  const lying = JSON.parse(noneText);
  lying.status_map.record = status.status_map.record;  // another asset's record
  assert.equal(sdk.verifyPledgeStatus(lying, logKey).ok, false);
  // The certificate alone is a signed note any note verifier checks.
  assert.ok(sdk.verifySearchCertificate(status.certificate, logKey).ok);
});

test("RFC 9421: reads are signed as the server verifies; bad signatures are 401", async () => {
  const target = `/v1/assets/${sdk.escapePathSegment(asset)}/pledge-status`;
  const ok = sdk.signRequest("GET", target, bank.keyid, bank.key);
  assert.match(ok["Signature-Input"], /^ipl=\("@method" "@path" "@query"\);created=\d+;keyid="ccb-quzhou\/k1";alg="ed25519"$/);
  assert.equal((await fetch(server.url + target, { headers: ok })).status, 200);
  const stranger = sdk.signRequest("GET", target, bank.keyid, sdk.SigningKey.generate());
  assert.equal((await fetch(server.url + target, { headers: stranger })).status, 401);
  const stale = sdk.signRequest("GET", target, bank.keyid, bank.key, Math.floor(Date.now() / 1000) - 3600);
  assert.equal((await fetch(server.url + target, { headers: stale })).status, 401);
  const otherPath = sdk.signRequest("GET", target + "?at=" + day(0), bank.keyid, bank.key);
  assert.equal((await fetch(server.url + target, { headers: otherPath })).status, 401);
});

test("checkpoints and consistency proofs from the server verify", async () => {
  const first = sdk.verifyCheckpoint(pledgeReceipt.checkpoint, logKey);
  assert.ok(first.ok, first.reason);
  const latest = sdk.verifyCheckpoint(await client.checkpoint(), logKey);
  assert.ok(latest.ok, latest.reason);
  const proof = await client.consistency(2, latest.value.size);
  const cp2 = sdk.verifyTlogProof(await client.tlogProof(1), new Uint8Array(), logKey);
  assert.equal(cp2.ok, false, "a tlog-proof of entry 1 does not prove an empty leaf");
  const old = await client.getJson(`/v1/entries/1`);
  const oldRoot = sdk.verifyTlogProof(await client.tlogProof(1), sdk.fromBase64(old.leaf), logKey);
  assert.ok(oldRoot.ok, oldRoot.reason);
  // The root of size 2 from an inclusion proof of entry 1 at size 2.
  const inc = await client.getJson(`/v1/entries/1/proof?size=2`);
  const root2 = sdk.rootFromInclusionProof(1, 2, sdk.leafHash(sdk.fromBase64(old.leaf)), inc.hashes.map(sdk.fromBase64));
  assert.ok(root2.ok);
  assert.ok(sdk.verifyConsistency(2, latest.value.size, proof, root2.value, latest.value.root).ok);
  assert.equal(sdk.verifyConsistency(2, latest.value.size, proof, root2.value, tamperBytes(latest.value.root)).ok, false);
  // Checkpoint to checkpoint: the pledge's receipt and the latest one.
  const between = await client.consistency(first.value.size, latest.value.size);
  assert.ok(sdk.verifyCheckpointConsistency(first.value, latest.value, between).ok);
  if (latest.value.size > first.value.size) {
    assert.equal(sdk.verifyCheckpointConsistency(first.value, { ...latest.value, root: tamperBytes(latest.value.root) }, between).ok, false);
  }
  assert.equal(sdk.verifyCheckpointConsistency(first.value, { ...latest.value, origin: "other.example/log" }, between).ok, false);
});

test("key files: the CLI's format, mode 0600 required", async () => {
  const path = join(server.data, "sdk-test.key");
  await writeKeyFile(path, bank.key);
  assert.equal((await readKeyFile(path)).publicKeyBase64, bank.key.publicKeyBase64);
  await assert.rejects(writeKeyFile(path, bank.key));
  const loose = join(server.data, "loose.key");
  writeFileSync(loose, bank.key.toKeyFile());
  chmodSync(loose, 0o644);
  await assert.rejects(readKeyFile(loose), /chmod 600/);
  assert.throws(() => sdk.parseKeyFile("not base64\n"));
});

// Positions to change in a string: spread over it, at most 24.
function positions(s) {
  const out = [];
  const step = Math.max(1, Math.floor(s.length / 24));
  for (let i = 0; i < s.length; i += step) out.push(i);
  return out;
}

// The string with the character at `at` replaced by another one of its kind.
function tamper(s, at) {
  const c = s[at];
  const swap = c === "A" ? "B" : c === "0" ? "1" : c === "\n" ? " " : /[a-z]/.test(c) ? (c === "z" ? "y" : String.fromCharCode(c.charCodeAt(0) + 1)) : "A";
  return s.slice(0, at) + swap + s.slice(at + 1);
}

function tamperBytes(b) {
  const c = Uint8Array.from(b);
  c[0] ^= 1;
  return c;
}
