// The web console in a real browser: Debian's chromium driven headless by playwright-core
// against the real ipledgerd that test/run.sh started (demo data and a regulator loaded).
// Every test records the browser's requests: none may go to another host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = process.env.IPLEDGER_URL;
const data = process.env.IPLEDGER_DATA;
const shots = process.env.SCREENSHOTS;
const origin = new URL(url).origin;
let browser;
const requests = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  await browser?.close();
  const foreign = requests.filter((r) => !r.startsWith(origin + "/"));
  assert.deepEqual(foreign, [], "the console asked no host but the registry");
});

// A fresh context (its own profile: nothing pinned, nothing remembered) and page.
async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: "zh-CN" });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => console.error("page error:", e));
  return page;
}

async function signIn(page, participant) {
  await page.goto(`${url}/ui/#/signin`);
  await page.setInputFiles("#keyfile", join(data, participant === "registry" ? "registry.key" : `demo-keys/${participant}.key`));
  await page.fill("#keyid", `${participant}/k1`);
  await page.click("form button[type=submit]");
  await page.waitForSelector(".okmsg");
}

const freePatent = process.env.FREE_PATENT;
const pledgedPatent = () =>
  JSON.parse(readFileSync(join(data, "demo-statements", readdirSync(join(data, "demo-statements"))
    .find((f) => f.endsWith("-pledge-agrochem-18-patents.json"))), "utf8")).body.collateral[0];

test("the log key is pinned at first use and shown with its fingerprint", async () => {
  const page = await newPage();
  await page.goto(`${url}/ui/`);
  await page.waitForSelector("#fingerprint");
  const vkey = readFileSync(join(data, "log.vkey"), "utf8").trim();
  assert.equal(await page.textContent("#vkey"), vkey);
  assert.match(await page.textContent("#fingerprint"), /^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  await page.click("#lang");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await page.screenshot({ path: join(shots, "home.png") });
  await page.context().close();
});

test("a regulator signs in with a key file and sees the year's totals of the stats endpoint", async () => {
  const page = await newPage();
  await signIn(page, "zj-regulator");
  await page.screenshot({ path: join(shots, "signin.png") });
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  await page.goto(`${url}/ui/#/stats?from=${year}-01-01&to=${year}-12-31&group_by=month`);
  await page.waitForSelector("#totals");
  const cli = JSON.parse(execFileSync(process.env.IPLEDGER_CLI, ["stats", "--server", url,
    "--key", `${join(data, "demo-keys/zj-regulator.key")}:zj-regulator/k1`,
    "--from", `${year}-01-01`, "--to", `${year}-12-31`, "--json"], { encoding: "utf8" }));
  const totals = cli.totals;
  assert.ok(totals.registrations > 0);
  const shown = async (k) => page.getAttribute(`.card[data-k=${k}] [data-value]`, "data-value");
  assert.equal(await shown("registrations"), String(totals.registrations));
  assert.equal(await shown("amount"), String(totals.amount.amount_fen));
  assert.equal(await shown("enterprises"), String(totals.enterprises));
  assert.equal(await page.getAttribute(".badge", "data-verified"), "true");
  assert.ok(await page.$("figure.chart svg rect"), "a chart");
  const csv = await page.getAttribute("a[download]", "href");
  assert.match(csv, /^blob:/);
  await page.screenshot({ path: join(shots, "stats.png"), fullPage: true });
  await page.context().close();
});

test("a bank sees 'not pledged (proven)' for a free patent and the pledge for a pledged one", async () => {
  const page = await newPage();
  await signIn(page, "ccb-quzhou");
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent(pledgedPatent())}`);
  await page.waitForSelector("#status .badge");
  assert.equal(await page.getAttribute("#status .badge", "data-verified"), "true");
  assert.match(await page.textContent("#pledge-result"), /已质押/);
  assert.match(await page.textContent("#status table"), /CCB-QZ/);
  // The status map slot: the record of active pledge registrations, proven in the browser.
  await page.waitForSelector("#slot-map .badge");
  assert.equal(await page.getAttribute("#slot-map .badge", "data-verified"), "true");
  assert.match(await page.textContent("#map-result"), /有效质押登记于条目 \d+/);
  // No policy stands for it: the status map proves that absence too.
  await page.waitForSelector("#coverage .badge");
  assert.equal(await page.getAttribute("#coverage .badge", "data-verified"), "true");
  assert.match(await page.textContent("#coverage .badge"), /无有效保单登记/);
  await page.screenshot({ path: join(shots, "asset.png"), fullPage: true });
  // A registered patent nobody pledged, looked up with the form: the status map proves
  // its absence in the browser (the answer lists no pledge, and the map agrees).
  await page.fill("#asset-id", freePatent);
  await page.press("#asset-id", "Enter");
  await page.waitForFunction((id) => location.hash.includes(encodeURIComponent(id)), freePatent);
  await page.waitForSelector("#status .badge");
  assert.match(await page.textContent("#public"), /Seed-treatment drum/);
  assert.equal(await page.getAttribute("#status .badge", "data-verified"), "true");
  assert.equal(await page.textContent("#pledge-result"), "未质押（已证明）");
  assert.match(await page.textContent("#status"), /无数据/, "no pledge listed");
  await page.waitForSelector("#slot-map .badge");
  assert.equal(await page.getAttribute("#slot-map .badge", "data-verified"), "true");
  assert.equal(await page.textContent("#map-result"), "未质押（已证明）");
  await page.screenshot({ path: join(shots, "asset-free.png"), fullPage: true });
  await page.context().close();
});

test("a proxy that changes one byte of the status map proof: red, with the reason in Chinese", async () => {
  const page = await newPage();
  await signIn(page, "ccb-quzhou");
  // One base64 character inside the first sibling hash of the map proof (bytes 3-5):
  // the certificate still verifies, the proof no longer leads to the map root.
  let tampered = false;
  await page.route("**/pledge-status*", async (r) => {
    const res = await r.fetch();
    const body = Buffer.from(await res.body());
    const at = body.indexOf('"proof":"') + 9 + 6;
    assert.ok(at > 15);
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;  // 'A' <-> 'B', or anything -> 'A'
    tampered = true;
    await r.fulfill({ response: res, body });
  });
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent(freePatent)}`);
  await page.waitForSelector("#slot-map .badge");
  assert.ok(tampered);
  for (const slot of ["#status", "#slot-map"]) {
    assert.equal(await page.getAttribute(`${slot} .badge`, "data-verified"), "false", slot);
    assert.equal(await page.getAttribute(`${slot} .badge`, "data-code"), "map_proof", slot);
    assert.match(await page.textContent(`${slot} .badge .why`), /^状态映射证明不成立$/);
    // The SDK's own words stay as the detail, marked English.
    assert.match(await page.textContent(`${slot} .badge .reason[lang=en]`), /map proof does not lead to the map root/);
  }
  assert.equal(await page.$("#slot-map .badge.ok, #status .badge.ok"), null, "never a green tick");
  assert.equal(await page.textContent("#pledge-result"), "—");
  await page.screenshot({ path: join(shots, "map-tampered.png"), fullPage: true });
  // The same failure after the English switch: English words, same code.
  await page.click("#lang");
  await page.waitForSelector("#slot-map .badge[data-code=map_proof]");
  assert.equal(await page.textContent("#slot-map .badge .why"), "status map proof fails");
  await page.context().close();
});

test("an insurer checks coverage of the insured demo data set and sees it verified", async () => {
  const stmts = join(data, "demo-statements");
  const policy = JSON.parse(readFileSync(join(stmts, readdirSync(stmts)
    .find((f) => f.endsWith("-policy-greenhouse-data-ip-loss.json"))), "utf8")).body;
  const page = await newPage();
  await signIn(page, "picc-quzhou");
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent("data:jiangshan-greenhouse-2026")}&date=${policy.period.start}`);
  await page.waitForSelector("#coverage .badge");
  assert.equal(await page.getAttribute("#coverage .badge", "data-verified"), "true");
  assert.match(await page.textContent("#coverage table"), new RegExp(policy.policy_id));
  await page.screenshot({ path: join(shots, "coverage.png"), fullPage: true });
  await page.context().close();
});

test("an answer with one byte changed on the way shows a red failure, never a green tick", async () => {
  const page = await newPage();
  await signIn(page, "ccb-quzhou");
  // A proxy between the page and the registry: flips one byte of the pledge-status answer
  // (in the search certificate's root line).
  let tampered = false;
  await page.route("**/pledge-status*", async (r) => {
    const res = await r.fetch();
    const body = Buffer.from(await res.body());
    const at = body.indexOf("\\nroot ") + 7;
    assert.ok(at > 7);
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;  // 'A' <-> 'B'
    tampered = true;
    await r.fulfill({ response: res, body });
  });
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent(pledgedPatent())}`);
  await page.waitForSelector("#status .badge");
  assert.ok(tampered);
  assert.equal(await page.getAttribute("#status .badge", "data-verified"), "false");
  assert.equal(await page.$("#status .badge.ok"), null);
  assert.equal(await page.$("#slot-map .badge.ok"), null, "no green map proof for a tampered answer");
  // The certificate no longer verifies: the reason by its code, in Chinese.
  assert.equal(await page.getAttribute("#status .badge", "data-code"), "signature");
  assert.match(await page.textContent("#status .badge .why"), /签名无效/);
  await page.screenshot({ path: join(shots, "tampered.png"), fullPage: true });
  await page.context().close();
});

test("the log explorer verifies the checkpoint and, on the next visit, consistency", async () => {
  const page = await newPage({ width: 390, height: 844 });  // a phone
  await page.goto(`${url}/ui/#/log`);
  await page.waitForSelector("#consistency .badge");
  assert.equal(await page.getAttribute("#consistency .badge", "data-verified"), "undefined");
  await page.reload();
  await page.waitForSelector("#consistency .badge");
  assert.equal(await page.getAttribute("#consistency .badge", "data-verified"), "true");
  assert.ok((await page.$$("#entries tbody tr")).length > 0);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, "nothing wider than the phone");
  await page.screenshot({ path: join(shots, "log-phone.png"), fullPage: true });
  // The asset lookup at phone width too (public view; wide tables scroll inside their box).
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent(pledgedPatent())}`);
  await page.waitForSelector("#public dl");
  assert.equal(await overflow(), 0, "nothing wider than the phone");
  await page.screenshot({ path: join(shots, "asset-phone.png"), fullPage: true });
  await page.context().close();
});

test("signed pages say what to do when nobody is signed in, and 403 for a bank", async () => {
  const page = await newPage();
  await page.goto(`${url}/ui/#/stats`);
  await page.waitForSelector("#stats-out .muted");
  await signIn(page, "ccb-quzhou");
  await page.goto(`${url}/ui/#/stats?from=2026-01-01&to=2026-12-31&group_by=bank`);
  await page.waitForSelector("#stats-out .error");
  assert.match(await page.textContent("#stats-out .error"), /403/);
  await page.goto(`${url}/ui/#/audit`);
  await page.waitForSelector("#audit-out .error");
  assert.match(await page.textContent("#audit-out .error"), /403/);
  await page.context().close();
});

test("a regulator browses the audit trail: filters, cursor pages by keyboard, empty and error states", async () => {
  const page = await newPage();
  await signIn(page, "zj-regulator");
  await page.goto(`${url}/ui/#/audit?limit=20`);
  await page.waitForSelector("#audit-table");
  const indexes = () => page.$$eval("#audit-table tbody tr td:first-child", (tds) => tds.map((td) => Number(td.textContent)));
  const first = await indexes();
  assert.deepEqual(first, Array.from({ length: 20 }, (_, i) => i), "page 1: every entry from 0, in log order");
  assert.ok(await page.$("#audit-prev[disabled]"), "no previous page on page 1");
  // Next page with the keyboard; the new page's status line takes the focus.
  await page.focus("#audit-next");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#audit-table tbody td")?.textContent === "20");
  assert.deepEqual(await indexes(), Array.from({ length: 20 }, (_, i) => 20 + i), "page 2 follows the cursor");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "audit-status");
  assert.match(await page.textContent("#audit-status"), /第 2 页/);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "audit-prev");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#audit-table tbody td")?.textContent === "0");
  // Every entry of the page checked in the browser: leaf, envelope hash, inclusion.
  await page.click("#audit-check-all");
  await page.waitForFunction(() => document.querySelectorAll("#audit-table .rowcheck .badge").length === 20, null, { timeout: 30000 });
  assert.deepEqual(await page.$$eval("#audit-table .rowcheck .badge", (bs) => bs.map((b) => b.dataset.verified)), Array(20).fill("true"));
  await page.screenshot({ path: join(shots, "audit.png"), fullPage: true });
  // The browser's back button: page 2 again, still numbered, "previous" still leads to page 1.
  await page.goBack();
  await page.waitForFunction(() => document.querySelector("#audit-table tbody td")?.textContent === "20");
  assert.match(await page.textContent("#audit-status"), /第 2 页/);
  await page.click("#audit-prev");
  await page.waitForFunction(() => document.querySelector("#audit-table tbody td")?.textContent === "0");
  // A filter typed into the form: the refused second pledge of story 6, with its code.
  await page.fill("#audit-type", "refusal");
  await page.press("#audit-type", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#audit-table tbody tr").length > 0 && location.hash.includes("type=refusal"));
  const refusals = await page.$$eval("#audit-table tbody tr", (trs) => trs.map((tr) => tr.textContent));
  assert.ok(refusals.length >= 1 && refusals.every((r) => r.includes("拒绝")), refusals.join("\n"));
  assert.ok(refusals.some((r) => r.includes("E_ALREADY_PLEDGED")));
  assert.ok(await page.$("#audit-next[disabled]"), "the last page: no next");
  // Empty: a year with no entries. Error: a participant id the API refuses (400).
  await page.goto(`${url}/ui/#/audit?from=2001-01-01&to=2001-12-31`);
  await page.waitForSelector("#audit-status");
  assert.match(await page.textContent("#audit-status"), /没有符合条件的条目/);
  assert.equal(await page.$("#audit-table"), null);
  await page.goto(`${url}/ui/#/audit?participant=Not%20An%20Id`);
  await page.waitForSelector("#audit-out .error");
  assert.match(await page.textContent("#audit-out .error"), /400/);
  // A proxy changes one byte of the first entry's parties: its check is red.
  await page.route("**/v1/audit/entries*", async (r) => {
    const res = await r.fetch();
    const body = Buffer.from(await res.body());
    const at = body.indexOf('"parties":["') + 12;
    assert.ok(at > 12);
    body[at] = body[at] === 0x72 ? 0x73 : 0x72;  // 'r' <-> 's'
    await r.fulfill({ response: res, body });
  });
  await page.goto(`${url}/ui/#/audit?limit=5`);
  await page.click("#audit-table tbody tr:first-child .rowcheck button");
  await page.waitForSelector("#audit-table tbody tr:first-child .rowcheck .badge");
  assert.equal(await page.getAttribute("#audit-table tbody tr:first-child .rowcheck .badge", "data-verified"), "false");
  assert.match(await page.textContent("#audit-table tbody tr:first-child .rowcheck"), /parties/);
  await page.context().close();
});

test("witness cosignatures are verified in the browser against a policy kept in it; a tampered one is red", async () => {
  const policy = readFileSync(process.env.WITNESS_POLICY, "utf8");
  const page = await newPage();
  await signIn(page, "ccb-quzhou");
  await page.goto(`${url}/ui/#/asset?id=${encodeURIComponent(pledgedPatent())}`);
  await page.waitForSelector("#slot-cosign .badge");
  assert.equal(await page.getAttribute("#slot-cosign .badge", "data-verified"), "undefined", "no policy yet: grey");
  await page.fill("#policy-text", policy);
  await page.click("#policy-save");
  await page.waitForSelector("#cosign-result");
  assert.equal(await page.getAttribute("#slot-cosign .badge", "data-verified"), "true");
  assert.equal(await page.getAttribute("#cosign-result", "data-quorum"), "true");
  assert.equal(await page.getAttribute("#cosign-result", "data-cosigned"), "bank regulator");
  assert.match(await page.textContent("#cosign-result"), /与答复的检查点一致/);
  await page.screenshot({ path: join(shots, "cosign.png"), fullPage: true });
  // The policy stays in this browser; a proxy flips one byte of the regulator's cosignature.
  await page.route("**/v1/checkpoints/cosigned", async (r) => {
    const res = await r.fetch();
    const body = Buffer.from(await res.body());
    const line = body.indexOf("\n\u2014 witness.regulator.example ");
    assert.ok(line > 0, body.toString());
    const at = body.indexOf("\n", line + 1) - 10;
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;
    await r.fulfill({ response: res, body });
  });
  await page.reload();
  await page.waitForSelector("#cosign-result");
  assert.equal(await page.getAttribute("#slot-cosign .badge", "data-verified"), "false");
  assert.equal(await page.getAttribute("#cosign-result", "data-bad"), "regulator");
  assert.equal(await page.$("#slot-cosign .badge.ok"), null, "never green with a tampered cosignature");
  await page.screenshot({ path: join(shots, "cosign-tampered.png"), fullPage: true });
  // A policy that also needs a witness that never cosigned: quorum not met, red.
  await page.unroute("**/v1/checkpoints/cosigned");
  const name = "witness.absent.example", key = randomBytes(32);
  const id = createHash("sha256").update(Buffer.concat([Buffer.from(name + "\n"), Buffer.from([4]), key])).digest().subarray(0, 4);
  const vkey = `${name}+${id.toString("hex")}+${Buffer.concat([Buffer.from([4]), key]).toString("base64")}`;
  await page.click("#policy-editor summary");
  await page.fill("#policy-text", policy.replace("quorum both", `witness absent ${vkey}\ngroup three all both absent\nquorum three`));
  await page.click("#policy-save");
  await page.waitForSelector("#cosign-result[data-quorum=false]");
  assert.equal(await page.getAttribute("#slot-cosign .badge", "data-verified"), "false");
  await page.click("#policy-editor summary");
  await page.fill("#policy-text", "quorum nobody\n");
  await page.click("#policy-save");
  await page.waitForSelector("#policy-msg .error");
  await page.context().close();
});

test("every label, heading and button speaks the chosen language (zh-CN default, English switch)", async () => {
  const page = await newPage();
  await signIn(page, "zj-regulator");
  const cjk = /[\u3000-\u9fff\uff00-\uffef]/;
  const pages = [["#/signin", "form"], [`#/asset?id=${encodeURIComponent(pledgedPatent())}`, "#slot-cosign .badge"],
    ["#/stats?from=2026-01-01&to=2026-12-31&group_by=bank", "#totals"], ["#/audit?limit=5", "#audit-table"], ["#/log", "#consistency .badge"]];
  for (const lang of ["zh", "en"]) {
    if (lang === "en") await page.click("#lang");
    for (const [hash, ready] of pages) {
      await page.goto(`${url}/ui/${hash}`);
      await page.waitForSelector(ready);
      await page.waitForFunction(() => !document.querySelector("#slot-cosign")?.textContent?.match(/加载中|Loading/));
      const texts = await page.$$eval("h1, h2, h3, label, button:not(#lang), th, nav a, summary, figcaption, .badge strong, #who, footer span, #audit-status",
        (els) => els.map((e) => e.textContent.trim()).filter((s) => s !== ""));
      assert.ok(texts.length > 5, hash);
      const wrong = texts.filter((s) => (lang === "zh" ? !cjk.test(s) : cjk.test(s)));
      assert.deepEqual(wrong, [], `${lang} ${hash}`);
      // Every form control has a label (or an aria-label) that names it.
      const unlabelled = await page.$$eval("input, select, textarea", (els) =>
        els.filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label")).map((e) => e.outerHTML));
      assert.deepEqual(unlabelled, [], `${lang} ${hash}: controls without a label`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang === "zh" ? "zh-CN" : "en");
  }
  await page.screenshot({ path: join(shots, "log-en.png"), fullPage: true });
  await page.context().close();
});

test("the JavaScript stays under 300 KB gzipped", () => {
  const dist = process.env.WEB_DIST;
  let total = 0;
  for (const f of readdirSync(dist).filter((f) => f.endsWith(".js"))) total += gzipSync(readFileSync(join(dist, f))).length;
  console.log(`web console JavaScript: ${total} bytes gzipped`);
  assert.ok(total > 0 && total < 300 * 1024, `${total} bytes`);
});
