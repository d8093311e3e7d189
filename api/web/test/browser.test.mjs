// The web console in a real browser: Debian's chromium driven headless by playwright-core
// against the real ipledgerd that test/run.sh started (demo data and a regulator loaded).
// Every test records the browser's requests: none may go to another host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

test("a bank sees a pledged demo patent's pledge verified", async () => {
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
  await page.screenshot({ path: join(shots, "log-phone.png"), fullPage: true });
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
  await page.context().close();
});

test("the JavaScript stays under 300 KB gzipped", () => {
  const dist = process.env.WEB_DIST;
  let total = 0;
  for (const f of readdirSync(dist).filter((f) => f.endsWith(".js"))) total += gzipSync(readFileSync(join(dist, f))).length;
  console.log(`web console JavaScript: ${total} bytes gzipped`);
  assert.ok(total > 0 && total < 300 * 1024, `${total} bytes`);
});
