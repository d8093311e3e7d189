// The console's DOM helpers shared by its pages: element builder, labelled fields,
// tables with an empty state, verification badges and error messages that say what to
// do; failures of the SDK's checks shown in the chosen language by their stable code,
// with the SDK's English reason as the detail. Browser main thread only.
import { ApiError, type FailCode } from "../../sdk/typescript/src/index.js";
import { t, type Key } from "./i18n.js";

export type Json = Record<string, any>;

export const $ = (id: string) => document.getElementById(id)!;

export function h(tag: string, attrs: Record<string, string> = {}, ...kids: (Node | string | undefined)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of kids) if (c !== undefined) e.append(c);
  return e;
}

export function field(id: string, label: string, input: HTMLElement): HTMLElement {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

// A verification badge: green only for a check that passed, red with the reason otherwise.
export function badge(ok: boolean | undefined, detail: string): HTMLElement {
  const cls = ok === true ? "badge ok" : ok === false ? "badge fail" : "badge none";
  const label = ok === true ? "✔ " + t("verified") : ok === false ? "✘ " + t("failed") : "○ " + t("unverifiable");
  const b = h("div", { class: cls, role: ok === false ? "alert" : "status", "data-verified": String(ok) }, h("strong", {}, label));
  if (detail) b.append(h("span", { class: "detail" }, " " + detail));
  return b;
}

// A check that failed: the SDK's reason and code (Result), or the console's own reason,
// already in the chosen language, without a code.
export type Failure = { reason: string; code?: FailCode };

// Every code of the SDK has its words: a code added to the SDK without them is a type
// error here (web_check).
const FAIL_WORDS: Record<FailCode, Key> = {
  malformed: "f_malformed", key: "f_key", signature: "f_signature", origin: "f_origin",
  inclusion: "f_inclusion", consistency: "f_consistency", map_proof: "f_map_proof", mismatch: "f_mismatch",
};

// The failure in the chosen language, with the SDK's English reason in brackets.
export function failText(f: Failure): string {
  return f.code ? `${t(FAIL_WORDS[f.code])} (${f.reason})` : f.reason;
}

// A red badge for one or more failures: each in the chosen language, the SDK's English
// reason marked lang="en"; data-code lists the codes.
export function failBadge(failures: Failure | Failure[]): HTMLElement {
  const fs = Array.isArray(failures) ? failures : [failures];
  const b = badge(false, "");
  b.dataset.code = fs.map((f) => f.code ?? "").join(" ").trim();
  const detail = h("span", { class: "detail" });
  fs.forEach((f, i) => {
    detail.append(i === 0 ? " " : "; ");
    if (!f.code) detail.append(f.reason);
    else detail.append(h("span", { class: "why" }, t(FAIL_WORDS[f.code])), " (", h("span", { class: "reason", lang: "en" }, f.reason), ")");
  });
  b.append(detail);
  return b;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const detail = (e.problem?.detail as string | undefined) ?? "";
    if (e.status === 401) return t("err_401") + (detail ? ` (${detail})` : "");
    if (e.status === 403) return t("err_403");
    if (e.status === 503) return t("err_503");
    return `${t("err_other")}${e.status} ${e.problem?.title ?? ""} ${detail}`;
  }
  if (e instanceof TypeError) return t("err_down");
  return t("err_other") + String(e instanceof Error ? e.message : e);
}
export const errorBox = (e: unknown) => h("p", { class: "error", role: "alert" }, errorText(e));

export function table(head: string[], rows: unknown[][], id = "", caption = ""): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted" }, t("empty"));
  const tb = h("table", id ? { id } : {});
  if (caption) tb.append(h("caption", { class: "sr" }, caption));
  tb.append(h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))));
  const body = h("tbody");
  for (const r of rows) body.append(h("tr", {}, ...r.map((c) => h("td", {}, c instanceof Node ? c : String(c ?? "")))));
  tb.append(body);
  return h("div", { class: "scroll" }, tb);
}
