// The ipledger web console: sign-in with a key file (kept in memory, never sent), asset
// lookup (with witness cosignatures, cosign.ts), regulator dashboard (statistics; audit
// trail, audit.ts) and log explorer. Everything shown as verified is checked
// here, in the browser, with the TypeScript SDK and the log key pinned at first use.
import {
  ApiError, Client, SigningKey, escapePathSegment, fromBase64, hex, parseKeyFile, parseVkey,
  decodeLeaf, verifyCheckpoint, verifyCheckpointConsistency, verifyPledgeStatus, verifyStatusMap, verifyTlogProof,
  type Checkpoint, type NoteVerifier,
} from "../../sdk/typescript/src/index.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { auditPage } from "./audit.js";
import { getLang, setLang, t, tf } from "./i18n.js";
import { $, badge, errorBox, errorText, failBadge, failText, field, h, table, type Failure, type Json } from "./ui.js";
import { cosignSlot } from "./cosign.js";

const base = location.origin;
const anon = new Client(base);
let signer: { keyid: string; key: SigningKey; role: string } | undefined;
let logKey: NoteVerifier | undefined;
let logKeyText = "";
let logKeyProblem = "";

const client = () => (signer ? anon.as({ keyid: signer.keyid, key: signer.key }) : anon);
const pinKey = () => `ipledger.logkey:${base}`;
const seenKey = () => `ipledger.lastCheckpoint:${base}`;

const yuan = (fen: number) => (fen / 100).toLocaleString(getLang() === "zh" ? "zh-CN" : "en", { minimumFractionDigits: 2 });

// --- The log key, pinned at first use -------------------------------------------------

async function fingerprint(s: string): Promise<string> {
  const d = hex(sha256(new TextEncoder().encode(s)));
  return d.slice(0, 32).match(/..../g)!.join(" ");
}

async function loadLogKey(): Promise<void> {
  try {
    const served = (await anon.getText("/log/vkey")).trim();
    const pinned = localStorage.getItem(pinKey());
    if (pinned && pinned !== served) {
      logKeyProblem = t("logkey_changed");
      logKeyText = pinned;
    } else {
      if (!pinned) localStorage.setItem(pinKey(), served);
      logKeyText = served;
    }
    const v = parseVkey(logKeyText);
    if (!v.ok) logKeyProblem = `${t("logkey_unavailable")}: ${failText(v)}`;
    else logKey = v.value;
  } catch (e) {
    logKeyProblem = `${t("logkey_unavailable")}: ${errorText(e)}`;
  }
}

// --- Pages ---------------------------------------------------------------------------

function signInPage(main: HTMLElement): void {
  const file = h("input", { type: "file", accept: ".key,text/plain" }) as HTMLInputElement;
  const keyid = h("input", { type: "text", autocomplete: "username", placeholder: "ccb-quzhou/k1", required: "" }) as HTMLInputElement;
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", {}, field("keyfile", t("keyfile"), file), field("keyid", t("keyid"), keyid),
    h("button", { type: "submit" }, t("signin_btn")), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    let key: SigningKey;
    try {
      const f = file.files?.[0];
      if (!f) throw new Error(t("signin_no_file"));
      key = parseKeyFile(await f.text());
    } catch (e) {
      out.append(h("p", { class: "error", role: "alert" }, t("signin_bad_key") + (e instanceof Error ? e.message : "")));
      return;
    }
    const [participant, label] = keyid.value.trim().split("/");
    try {
      const p = await anon.getJson<Json>(`/v1/participants/${escapePathSegment(participant ?? "")}`);
      const k = (p.keys as Json[] | undefined)?.find((k) => (k.keyid === `${participant}/${label}` || k.label === label) && !k.revoked_index && k.ed25519 === key.publicKeyBase64);
      if (!k) throw new Error(t("signin_not_registered"));
      signer = { keyid: `${participant}/${label}`, key, role: String(p.role) };
      out.append(h("p", { class: "okmsg" }, `${t("signin_ok")}${signer.role}`));
      renderChrome();
    } catch (e) {
      out.append(h("p", { class: "error", role: "alert" }, e instanceof ApiError && e.status === 404 ? t("signin_not_registered") : e instanceof Error && !(e instanceof ApiError) && !(e instanceof TypeError) ? e.message : errorText(e)));
    }
  });
  main.append(h("h1", {}, t("signin_h")), h("p", {}, t("signin_intro")), form);
  if (signer) main.append(h("button", { type: "button", id: "signout" }, t("sign_out")));
  document.getElementById("signout")?.addEventListener("click", () => { signer = undefined; renderChrome(); route(); });
}

async function verifyEntryIncluded(index: number, wantSubject?: string): Promise<Failure | undefined> {
  const entry = await anon.getJson<Json>(`/v1/entries/${index}`);
  const leaf = fromBase64(String(entry.leaf));
  if (!leaf) return { reason: `entry ${index}: leaf is not base64`, code: "malformed" };
  const decoded = decodeLeaf(leaf);
  if (!decoded.ok) return { reason: `entry ${index}: ${decoded.reason}`, code: decoded.code };
  if (decoded.value.index !== index) return { reason: `entry ${index}: the leaf says ${decoded.value.index}`, code: "mismatch" };
  if (wantSubject && !(decoded.value.subjects ?? []).includes(wantSubject)) return { reason: `entry ${index} is not about ${wantSubject}`, code: "mismatch" };
  const proof = await anon.getText(`/v1/entries/${index}/tlog-proof`);
  const v = verifyTlogProof(proof, leaf, logKey!);
  return v.ok ? undefined : { reason: `entry ${index}: ${v.reason}`, code: v.code };
}

function slots(): HTMLElement {
  return h("section", { class: "slots", "aria-label": t("map_proof") },
    h("h3", {}, t("map_proof")), h("p", { class: "muted", id: "slot-map" }, signer ? t("loading") : t("needs_signin")),
    h("h3", {}, t("cosignatures")), h("div", { id: "slot-cosign" }, t("loading")));
}

// Fills the reserved map slot with what the status map proves (verified with the answer).
function showMapProof(v: ReturnType<typeof verifyPledgeStatus> | { ok: false; reason: string }): void {
  const slot = document.getElementById("slot-map");
  if (!slot) return;
  slot.className = "";
  if (!v.ok) {
    slot.replaceChildren(failBadge(v));
    return;
  }
  const m = v.value.status_map;
  if (!m) {
    slot.replaceChildren(badge(undefined, t("map_none")));
    return;
  }
  const pledges = m.record?.pledges ?? [];
  const text = pledges.length === 0 ? t("not_pledged") + t("proven") : `${t("map_active")} ${pledges.join(", ")}`;
  slot.replaceChildren(badge(true, `${t("map_version")} ${m.version}, ${t("root")} ${m.root.slice(0, 16)}…`),
    h("span", { class: "big", id: "map-result" }, text));
}

function assetPage(main: HTMLElement, q: URLSearchParams): void {
  const id = h("input", { type: "text", required: "", value: q.get("id") ?? "", placeholder: "patent:2014103620773" }) as HTMLInputElement;
  const date = h("input", { type: "date", value: q.get("date") ?? "" }) as HTMLInputElement;
  const out = h("div", { id: "asset-out", "aria-live": "polite" });
  const form = h("form", { class: "row" }, field("asset-id", t("asset_id"), id), field("asset-date", t("date"), date),
    h("button", { type: "submit" }, t("lookup")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = `#/asset?${new URLSearchParams({ id: id.value.trim(), ...(date.value ? { date: date.value } : {}) })}`;
  });
  main.append(h("h1", {}, t("asset_h")), form, out);
  if (q.get("id")) void lookup(out, q.get("id")!, q.get("date") ?? "");
}

async function lookup(out: HTMLElement, asset: string, date: string): Promise<void> {
  const seg = escapePathSegment(asset);
  const pub = h("section", { id: "public" }, h("h2", {}, t("public_view")), h("p", {}, t("loading")));
  const st = h("section", { id: "status" }, h("h2", {}, t("pledge_status")));
  const cov = h("section", { id: "coverage" }, h("h2", {}, t("coverage")));
  out.replaceChildren(pub, st, cov, slots());
  try {
    const a = await anon.getJson<Json>(`/v1/assets/${seg}`);
    pub.replaceChildren(h("h2", {}, t("public_view")), badge(undefined, ""), kv(a));
  } catch (e) {
    pub.replaceChildren(h("h2", {}, t("public_view")), errorBox(e));
  }
  if (!signer) {
    st.append(h("p", { class: "muted" }, t("needs_signin")));
    cov.append(h("p", { class: "muted" }, t("needs_signin")));
    void cosignSlot(anon, logKey, logKeyProblem, undefined);
    return;
  }
  try {
    const answer = await client().pledgeStatus(asset, date ? { date } : undefined);
    const v = logKey ? verifyPledgeStatus(answer, logKey) : { ok: false as const, reason: logKeyProblem };
    const pledged = answer.pledged === true;
    st.append(v.ok ? badge(!logKeyProblem, `${t("as_of")} ${(answer.as_of as Json)?.index}`) : failBadge(v),
      h("p", { class: "big", id: "pledge-result" }, v.ok ? (pledged ? t("pledged") : t("not_pledged") + t("proven")) : "—"),
      table([t("pledge_id"), t("pledgee"), t("state"), t("registered_at")],
        ((answer.pledges as Json[]) ?? []).map((p) => [p.pledge_id, p.pledgee, p.state, p.registered_index])));
    showMapProof(v);
    void cosignSlot(anon, logKey, logKeyProblem, v.ok ? v.value.checkpoint : undefined);
  } catch (e) {
    st.append(errorBox(e));
    document.getElementById("slot-map")?.replaceChildren(errorText(e));
    void cosignSlot(anon, logKey, logKeyProblem, undefined);
  }
  try {
    const d = date || new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const c = await client().getJson<Json>(`/v1/assets/${seg}/coverage?date=${d}`);
    const problems: Failure[] = [];
    if (!logKey) problems.push({ reason: logKeyProblem });
    else {
      const cp = verifyCheckpoint(String((c.as_of as Json)?.checkpoint ?? ""), logKey);
      if (!cp.ok) problems.push(cp);
      if (c.asset !== asset) problems.push({ reason: tf("answer_about", c.asset) });
      for (const p of (c.policies as Json[]) ?? []) {
        const why = await verifyEntryIncluded(Number(p.issued_index), String(p.policy_id));
        if (why) problems.push(why);
      }
    }
    const none = ((c.policies as Json[]) ?? []).length === 0;
    // No policy is a claim of absence, which only the status map can prove: proven when
    // the verified record holds no policy at all (a policy whose period ended stays unproven).
    let absence: boolean | undefined;
    if (none && logKey && problems.length === 0) {
      const cp = verifyCheckpoint(String((c.as_of as Json)?.checkpoint ?? ""), logKey);
      const m = cp.ok ? verifyStatusMap(c.status_map ?? null, asset, cp.value, logKey) : undefined;
      if (m && !m.ok) problems.push(m);
      else if (m?.value && (m.value.record?.policies ?? []).length === 0) absence = true;
    }
    cov.append(problems.length > 0 ? failBadge(problems) : none ? (absence ? badge(true, t("absence_proven")) : badge(undefined, t("absence_unproven"))) : badge(true, ""),
      h("p", { class: "big" }, `${c.date}: ${c.covered ? t("covered") : t("not_covered")}`),
      table([t("c_policy"), t("c_insurer"), t("c_product"), t("c_period"), t("c_aggregate")], ((c.policies as Json[]) ?? []).map((p) =>
        [p.policy_id, p.insurer, p.product, `${p.period?.start} – ${p.period?.end}`, yuan(p.limits?.aggregate?.amount_fen ?? 0)])));
  } catch (e) {
    cov.append(errorBox(e));
  }
}

function kv(o: Json): HTMLElement {
  const dl = h("dl", { class: "kv" });
  for (const [k, v] of Object.entries(o)) {
    dl.append(h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  }
  return dl;
}

// An inline SVG bar chart: no chart library, no external asset.
function barChart(title: string, bars: { label: string; value: number }[]): HTMLElement {
  const w = 640, bh = 22, pad = 150;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${bars.length * (bh + 6) + 10}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  bars.forEach((b, i) => {
    const y = 5 + i * (bh + 6);
    const len = ((w - pad - 90) * b.value) / max;
    svg.insertAdjacentHTML("beforeend",
      `<text x="${pad - 6}" y="${y + 15}" text-anchor="end" class="lbl"></text><rect x="${pad}" y="${y}" width="${len}" height="${bh}" class="bar"></rect><text x="${pad + len + 4}" y="${y + 15}" class="val"></text>`);
    const texts = svg.querySelectorAll("text");
    texts[texts.length - 2]!.textContent = b.label;
    texts[texts.length - 1]!.textContent = b.value.toLocaleString();
  });
  return h("figure", { class: "chart" }, h("figcaption", {}, title), svg);
}

function statsPage(main: HTMLElement, q: URLSearchParams): void {
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const from = h("input", { type: "date", value: q.get("from") ?? `${year}-01-01`, required: "" }) as HTMLInputElement;
  const to = h("input", { type: "date", value: q.get("to") ?? `${year}-12-31`, required: "" }) as HTMLInputElement;
  const region = h("input", { type: "text", inputmode: "numeric", pattern: "[0-9]{0,6}", value: q.get("region") ?? "" }) as HTMLInputElement;
  const group = h("select", {}, ...["month", "bank", "asset_kind", "region"].map((g) =>
    h("option", { value: g, ...(q.get("group_by") === g ? { selected: "" } : {}) }, t(`g_${g}` as any)))) as HTMLSelectElement;
  const out = h("div", { id: "stats-out", "aria-live": "polite" });
  const form = h("form", { class: "row" }, field("from", t("from"), from), field("to", t("to"), to),
    field("region", t("region"), region), field("group", t("group_by"), group), h("button", { type: "submit" }, t("show")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams({ from: from.value, to: to.value, group_by: group.value });
    if (region.value) p.set("region", region.value);
    location.hash = `#/stats?${p}`;
  });
  main.append(h("h1", {}, t("stats_h")), form, out);
  if (!signer) out.append(h("p", { class: "muted" }, t("needs_signin")));
  else void showStats(out, q, from.value, to.value, group.value, region.value);
}

async function showStats(out: HTMLElement, q: URLSearchParams, from: string, to: string, group: string, region: string) {
  const p = new URLSearchParams({ from, to, group_by: group });
  if (region) p.set("region", region);
  if (q.get("as_of")) p.set("as_of", q.get("as_of")!);
  out.replaceChildren(h("p", {}, t("loading")));
  let s: Json;
  try {
    s = await client().getJson<Json>(`/v1/stats/pledges?${p}`);
  } catch (e) {
    out.replaceChildren(errorBox(e));
    return;
  }
  const cp = logKey ? verifyCheckpoint(String(s.as_of?.checkpoint ?? ""), logKey) : { ok: false as const, reason: logKeyProblem };
  const ok = cp.ok && (cp as any).value.size === Number(s.as_of?.index) + 1;
  const T = s.totals as Json, yoy = (s.yoy_bps ?? {}) as Json;
  const pct = (v: unknown) => (v === null || v === undefined ? "—" : `${(Number(v) / 100).toFixed(2)}%`);
  const totals = h("div", { class: "cards", id: "totals" },
    ...([["registrations", T.registrations, yoy.registrations], ["amount", yuan(T.amount?.amount_fen ?? 0), yoy.amount],
      ["enterprises", T.enterprises, yoy.enterprises], ["cases", T.cases, undefined]] as [string, unknown, unknown][]).map(([k, v, y]) =>
      h("div", { class: "card", "data-k": k }, h("div", { class: "muted" }, t(k as any)), h("div", { class: "big", "data-value": k === "amount" ? String(T.amount?.amount_fen) : String(v) }, String(v)),
        y === undefined ? undefined : h("div", { class: "muted" }, `${t("yoy")} ${pct(y)}`))));
  const groups = (s.groups as Json[] | undefined) ?? [];
  const rows = groups.map((g) => [g.key, g.registrations, yuan(g.amount?.amount_fen ?? 0), g.enterprises, g.cases]);
  const head = [t("key"), t("registrations"), t("amount"), t("enterprises"), t("cases")];
  const csv = [head, ...rows, [t("totals"), T.registrations, (T.amount?.amount_fen ?? 0) / 100, T.enterprises, T.cases]]
    .map((r) => r.map((c) => `"${String(c).replace(/"/g, '""')}"`).join(",")).join("\r\n");
  const dl = h("a", { href: URL.createObjectURL(new Blob(["\ufeff" + csv], { type: "text/csv" })), download: `ipledger-stats-${from}-${to}.csv`, class: "button" }, t("csv"));
  const perma = new URLSearchParams(p);
  perma.set("as_of", String(s.as_of?.index));
  const link = h("a", { href: `#/stats?${perma}`, id: "permalink" }, `${t("permalink")}: as_of=${s.as_of?.index}`);
  out.replaceChildren(
    ok ? badge(!logKeyProblem, `${t("checkpoint_of_answer")}: ${t("as_of")} ${s.as_of?.index}`) : failBadge(cp.ok ? { reason: t("as_of_mismatch") } : cp),
    totals,
    barChart(`${t("registrations")} (${t(`g_${group}` as any)})`, groups.map((g) => ({ label: String(g.key), value: Number(g.registrations) }))),
    barChart(`${t("amount")} (${t(`g_${group}` as any)})`, groups.map((g) => ({ label: String(g.key), value: Number(g.amount?.amount_fen ?? 0) / 100 }))),
    table(head, rows, "stats-table"), h("p", { class: "row" }, dl, " ", link));
}

async function logPage(main: HTMLElement): Promise<void> {
  const out = h("div", { "aria-live": "polite" }, h("p", {}, t("loading")));
  main.append(h("h1", {}, t("log_h")), out);
  if (!logKey) {
    out.replaceChildren(h("p", { class: "error", role: "alert" }, logKeyProblem));
    return;
  }
  let cp: Checkpoint;
  try {
    const v = verifyCheckpoint(await anon.checkpoint(), logKey);
    if (!v.ok) {
      out.replaceChildren(failBadge(v));
      return;
    }
    cp = v.value;
  } catch (e) {
    out.replaceChildren(errorBox(e));
    return;
  }
  const cons = h("section", { id: "consistency" }, h("h2", {}, t("consistency")));
  const last = JSON.parse(localStorage.getItem(seenKey()) ?? "null") as { size: number; root: string } | null;
  if (!last) {
    cons.append(badge(undefined, t("first_visit")));
    localStorage.setItem(seenKey(), JSON.stringify({ size: cp.size, root: hex(cp.root) }));
  } else {
    let why = "";
    try {
      const older = { origin: cp.origin, size: last.size, root: Uint8Array.from(last.root.match(/../g)!.map((x) => parseInt(x, 16))) };
      const proof = last.size === cp.size ? [] : last.size > cp.size ? undefined : await anon.consistency(last.size, cp.size);
      const v = proof === undefined ? { ok: false as const, reason: tf("log_shrank", last.size, cp.size) }
        : last.size === cp.size ? (hex(cp.root) === last.root ? { ok: true as const } : { ok: false as const, reason: t("same_size_other_root") })
        : verifyCheckpointConsistency(older, cp, proof);
      if (!v.ok) why = failText(v);
    } catch (e) {
      why = errorText(e);
    }
    cons.append(badge(why === "", why === "" ? `${t("consistent_with")}${last.size}` : `${t("inconsistent")}${last.size}: ${why}`));
    if (why === "") localStorage.setItem(seenKey(), JSON.stringify({ size: cp.size, root: hex(cp.root) }));
  }
  const cpSec = h("section", {}, h("h2", {}, t("latest_cp")), badge(true, cp.origin),
    h("p", { class: "big", id: "log-size" }, `${t("size")}: ${cp.size}`), h("p", { class: "mono" }, `${t("root")}: ${hex(cp.root)}`));
  const wanted = Array.from({ length: Math.min(10, cp.size) }, (_, k) => cp.size - 1 - k);
  const rows: unknown[][] = await Promise.all(wanted.map(async (i) => {
    try {
      const e = await anon.getJson<Json>(`/v1/entries/${i}`);
      return [i, e.type, e.time, String(e.leaf_hash).slice(0, 16) + "…"];
    } catch (e) {
      return [i, errorText(e), "", ""];
    }
  }));
  out.replaceChildren(cpSec, cons, h("section", {}, h("h2", {}, t("latest_entries")),
    table([t("index"), t("type"), t("time"), t("leaf_hash")], rows, "entries")),
    h("section", {}, h("h2", {}, t("cosignatures")), h("div", { id: "slot-cosign" }, t("loading"))));
  void cosignSlot(anon, logKey, logKeyProblem, cp);
}

// --- Chrome and routing ---------------------------------------------------------------

function renderChrome(): void {
  document.title = `${t("title")} · ${t("console")}`;
  $("title").textContent = t("title");
  document.querySelector(".skip")!.textContent = t("skip");
  $("lang").textContent = t("lang_switch");
  const nav = $("nav");
  nav.setAttribute("aria-label", t("nav_label"));
  nav.replaceChildren(...(["signin", "asset", "stats", "audit", "log"] as const).map((p) =>
    h("a", { href: `#/${p}`, ...(location.hash.startsWith(`#/${p}`) ? { "aria-current": "page" } : {}) }, t(`nav_${p}`))));
  $("who").textContent = signer ? `${t("signed_in_as")}${signer.keyid} (${signer.role})` : t("anonymous");
  const banner = $("banner");
  banner.replaceChildren();
  banner.className = logKeyProblem ? "danger" : "";
  if (logKeyProblem) banner.append(h("p", { role: "alert" }, logKeyProblem));
  void fingerprint(logKeyText).then((fp) => {
    $("footer").replaceChildren(h("span", {}, `${t("logkey")}: `), h("code", { id: "vkey" }, logKeyText),
      h("span", {}, ` · ${t("fingerprint")} `), h("code", { id: "fingerprint" }, fp), h("span", { class: "muted" }, ` (${t("pinned_at_first_use")}) `),
      h("button", { type: "button", id: "forget" }, t("forget_pin")));
    $("forget").addEventListener("click", () => { localStorage.removeItem(pinKey()); localStorage.removeItem(seenKey()); location.reload(); });
  });
}

function route(): void {
  const [path, query] = (location.hash.slice(1) || "/asset").split("?");
  const q = new URLSearchParams(query ?? "");
  const main = $("main");
  main.replaceChildren();
  renderChrome();
  if (path === "/signin") signInPage(main);
  else if (path === "/stats") statsPage(main, q);
  else if (path === "/audit") auditPage(main, q, signer ? client() : undefined, logKey);
  else if (path === "/log") void logPage(main);
  else assetPage(main, q);
  main.focus({ preventScroll: true });
}

$("lang").addEventListener("click", () => { setLang(getLang() === "zh" ? "en" : "zh"); route(); });
window.addEventListener("hashchange", route);
setLang(getLang());
await loadLogKey();
route();
