// The regulator dashboard's audit browser (#/audit): the filters of GET
// /v1/audit/entries (dates, type, participant, asset, page size) in the URL, a table of
// one page, next/previous pages through the API's cursors, and empty, end and error
// states. Requests are RFC 9421-signed by the caller's client. Browser main thread only.
import {
  decodeLeaf, fromBase64, hex, verifyTlogProof, type Client, type NoteVerifier,
} from "../../sdk/typescript/src/index.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { t, tf } from "./i18n.js";
import { badge, errorBox, errorText, failText, field, h, table, type Json } from "./ui.js";

const FILTERS = ["from", "to", "type", "participant", "asset", "limit"] as const;
const TYPES = ["participant.register", "participant.keys", "asset.register", "asset.status", "data.publicize", "data.object",
  "data.resolve_objection", "data.confirm", "data.reject", "valuation.attest", "valuation.withdraw", "case.register",
  "pledge.register", "pledge.amend", "pledge.release", "pledge.enforce", "pledge.revoke", "policy.issue", "policy.cancel",
  "policy.claim", "participant.recover", "participant.recover_cancel", "participant.recover_complete", "map.root", "refusal"];
// Empty pages are followed at most this many times in one step (each request examines a
// bounded stretch of the log, so a page can be empty while later entries match).
const MAX_EMPTY_HOPS = 20;

// For the pages seen in this visit, per filter set: the cursor of the page before each
// page's cursor (for "previous", also after the browser's back and forward buttons) and
// its page number. A bookmarked cursor opens with neither: "previous" goes to page 1.
type Trail = { filters: string; prevOf: Map<string, string>; pageOf: Map<string, number> };
const newTrail = (filters: string): Trail => ({ filters, prevOf: new Map(), pageOf: new Map([["", 1]]) });
let trail = newTrail("");
// Set by the pager's buttons: the new page's status line takes the keyboard focus.
let focusStatus = false;

function filtersOf(q: URLSearchParams): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (q.get(k)) p.set(k, q.get(k)!);
  return p;
}

// Checks one audit entry in the browser: its leaf decodes canonically and says what the
// row shows (index, time, type, parties, signers, subjects, refusal), the envelope hashes
// to the leaf's envelope_sha256, and the leaf is included in a checkpoint signed by the
// log key (its tlog-proof). "" if so, else the reason.
async function checkEntry(e: Json, client: Client, logKey: NoteVerifier | undefined): Promise<string> {
  if (!logKey) return t("logkey_unavailable");
  const leaf = fromBase64(String(e.leaf ?? ""));
  if (!leaf) return "leaf: not base64";
  const d = decodeLeaf(leaf);
  if (!d.ok) return failText({ reason: `leaf: ${d.reason}`, code: d.code });
  const l = d.value;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  for (const [k, a, b] of [["index", l.index, e.index], ["time", l.time, e.time], ["type", l.type, e.type],
    ["parties", l.parties, e.parties], ["signers", l.signers, e.signers], ["subjects", l.subjects, e.subjects],
    ["refused", l.refused, e.refused], ["codes", l.codes, e.codes]] as const) {
    if (!same(a, b)) return tf("audit_differs", k);
  }
  const env = fromBase64(String(e.envelope_b64 ?? ""));
  if (!env || hex(sha256(env)) !== l.envelope_sha256) return tf("audit_differs", "envelope_sha256");
  const v = verifyTlogProof(await client.getText(`/v1/entries/${l.index}/tlog-proof`), leaf, logKey);
  if (!v.ok) return failText(v);
  return v.value.index === l.index ? "" : `tlog-proof index ${v.value.index}`;
}

// The last cell of a row: a button that checks the entry, replaced by the result.
function checkCell(e: Json, client: Client, logKey: NoteVerifier | undefined): { cell: HTMLElement; run: () => Promise<void> } {
  const cell = h("span", { class: "rowcheck" });
  const run = async () => {
    cell.replaceChildren(t("loading"));
    let why: string;
    try {
      why = await checkEntry(e, client, logKey);
    } catch (err) {
      why = errorText(err);
    }
    cell.replaceChildren(h("span", { class: why ? "badge fail mini" : "badge ok mini", "data-verified": String(!why), role: why ? "alert" : "status" },
      why ? `✘ ${t("failed")}: ${why}` : `✔ ${t("audit_included")}`));
  };
  const b = h("button", { type: "button", class: "small", "aria-label": `${t("audit_check")} #${e.index}` }, t("audit_check"));
  b.addEventListener("click", () => void run());
  cell.append(b);
  return { cell, run };
}

export function auditPage(main: HTMLElement, q: URLSearchParams, client: Client | undefined, logKey?: NoteVerifier): void {
  const input = (k: string, attrs: Record<string, string> = {}) =>
    h("input", { type: "text", value: q.get(k) ?? "", ...attrs }) as HTMLInputElement;
  const from = input("from", { type: "date" }), to = input("to", { type: "date" });
  const type = input("type", { list: "audit-types", autocomplete: "off" });
  const participant = input("participant", { autocomplete: "off" }), asset = input("asset", { autocomplete: "off" });
  const limit = h("select", {}, ...["20", "50", "100"].map((n) =>
    h("option", { value: n, ...((q.get("limit") ?? "20") === n ? { selected: "" } : {}) }, n))) as HTMLSelectElement;
  const types = h("datalist", { id: "audit-types" }, ...TYPES.map((v) => h("option", { value: v })));
  const form = h("form", { class: "row", id: "audit-form" }, field("audit-from", t("from"), from), field("audit-to", t("to"), to),
    field("audit-type", t("audit_type"), type), types, field("audit-participant", t("participant"), participant),
    field("audit-asset", t("asset"), asset), field("audit-limit", t("page_size"), limit), h("button", { type: "submit" }, t("show")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of [["from", from], ["to", to], ["type", type], ["participant", participant], ["asset", asset], ["limit", limit]] as const) {
      if (el.value.trim()) p.set(k, el.value.trim());
    }
    location.hash = `#/audit?${p}`;
  });
  const out = h("div", { id: "audit-out", "aria-live": "polite" });
  main.append(h("h1", {}, t("audit_h")), h("p", { class: "muted" }, t("audit_intro")), form, out);
  if (!client) out.append(h("p", { class: "muted" }, t("needs_signin")));
  else void showPage(out, q, client, logKey);
}

async function showPage(out: HTMLElement, q: URLSearchParams, client: Client, logKey: NoteVerifier | undefined): Promise<void> {
  const filters = filtersOf(q);
  if (!filters.get("limit")) filters.set("limit", "20");
  if (trail.filters !== filters.toString()) trail = newTrail(filters.toString());
  const cursor = q.get("cursor") ?? "";
  out.replaceChildren(h("p", {}, t("loading")));
  let page: Json;
  let sent = cursor;
  try {
    for (let hop = 0; ; hop++) {
      const p = new URLSearchParams(filters);
      if (sent) p.set("cursor", sent);
      page = await client.getJson<Json>(`/v1/audit/entries?${p}`);
      const entries = (page.entries as Json[] | undefined) ?? [];
      const next = String(page.next_cursor ?? "");
      if (entries.length > 0 || next === sent || Number(next) >= Number(page.tree_size) || hop === MAX_EMPTY_HOPS) break;
      sent = next;
    }
  } catch (e) {
    out.replaceChildren(errorBox(e));
    return;
  }
  const entries = (page.entries as Json[] | undefined) ?? [];
  const next = String(page.next_cursor ?? "");
  // The end: nothing more matches now (the log may grow; the cursor stays valid).
  const atEnd = (entries.length === 0 && next === sent) || Number(next) >= Number(page.tree_size);
  const n = trail.pageOf.get(cursor);
  if (!atEnd && next !== cursor) {
    trail.prevOf.set(next, cursor);
    if (n !== undefined) trail.pageOf.set(next, n + 1);
  }
  const goto = (c: string) => {
    const p = new URLSearchParams(filters);
    if (c) p.set("cursor", c);
    location.hash = `#/audit?${p}`;
  };
  const prev = h("button", { type: "button", id: "audit-prev", ...(cursor ? {} : { disabled: "" }) }, "← " + t("prev_page"));
  prev.addEventListener("click", () => {
    focusStatus = true;
    goto(trail.prevOf.get(cursor) ?? "");
  });
  const nextBtn = h("button", { type: "button", id: "audit-next", ...(atEnd ? { disabled: "" } : {}) }, t("next_page") + " →");
  nextBtn.addEventListener("click", () => {
    focusStatus = true;
    goto(next);
  });
  const list = (v: unknown) => (Array.isArray(v) ? v.join(" ") : "");
  const checks = entries.map((e) => checkCell(e, client, logKey));
  const rows = entries.map((e, i) => {
    const kind = e.type === "refusal"
      ? h("span", { class: "refused" }, `${t("refused")}: ${e.refused ?? ""}`, h("br"), h("small", {}, `${t("codes")}: ${list(e.codes)}`))
      : String(e.type);
    return [String(e.index), String(e.time), kind, list(e.parties), list(e.subjects), list(e.signers), checks[i]!.cell];
  });
  const checkAll = h("button", { type: "button", id: "audit-check-all" }, t("audit_check_all"));
  checkAll.addEventListener("click", async () => {
    checkAll.setAttribute("disabled", "");
    for (const c of checks) await c.run();
  });
  const first = entries[0]?.index, last = entries[entries.length - 1]?.index;
  const status = entries.length === 0 ? (cursor ? t("audit_end") : t("audit_empty"))
    : n !== undefined ? tf("audit_page", n, first, last, entries.length, page.tree_size)
    : tf("audit_range", first, last, entries.length, page.tree_size);
  const head = h("p", { id: "audit-status", tabindex: "-1", class: entries.length ? "" : "muted" }, status);
  // The pager comes right after the status line: after paging, Tab reaches it first.
  out.replaceChildren(badge(undefined, t("audit_source")), head,
    h("nav", { class: "row pager", "aria-label": t("audit_table") }, prev, nextBtn, ...(entries.length ? [checkAll] : [])),
    entries.length ? table([t("index"), t("time"), t("type"), t("parties"), t("subjects"), t("signers"), t("audit_check")], rows, "audit-table", t("audit_table")) : "");
  if (entries.length > 0 && atEnd) out.append(h("p", { class: "muted", id: "audit-end" }, t("audit_end")));
  if (focusStatus) head.focus();
  focusStatus = false;
}
