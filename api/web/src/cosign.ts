// The witness cosignature slot (#slot-cosign) of the asset lookup and the log explorer:
// fetches GET /v1/checkpoints/cosigned, verifies the log's signature and each witness's
// cosignature line in the browser against the user's witness policy (pasted or loaded
// from a file, kept in localStorage per registry), checks that the cosigned checkpoint
// and the answer's checkpoint are consistent (RFC 9162), and shows the quorum met or not
// and which witnesses cosigned. A cosignature line that does not verify is a red
// failure even when the quorum is met. Browser main thread only.
import {
  ApiError, verifyCheckpointConsistency, type Checkpoint, type Client, type NoteVerifier,
} from "../../sdk/typescript/src/index.js";
import { t, tf } from "./i18n.js";
import { badge, errorText, failText, field, h } from "./ui.js";
import { checkCosigned, parseWitnessPolicy } from "./witness.js";

const policyKey = () => `ipledger.witnessPolicy:${location.origin}`;

// The policy editor: a file to load or text to paste; saved only if it parses.
function editor(open: boolean, rerun: () => void): HTMLElement {
  const text = h("textarea", { rows: "6", spellcheck: "false", class: "mono" }) as HTMLTextAreaElement;
  text.value = localStorage.getItem(policyKey()) ?? "";
  const file = h("input", { type: "file", accept: ".policy,.txt,text/plain" }) as HTMLInputElement;
  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (f) text.value = await f.text();
  });
  const msg = h("p", { "aria-live": "polite", id: "policy-msg" });
  const save = h("button", { type: "button", id: "policy-save" }, t("policy_save"));
  save.addEventListener("click", () => {
    const p = parseWitnessPolicy(text.value);
    if (!p.ok) {
      msg.replaceChildren(h("span", { class: "error", role: "alert" }, t("policy_bad") + p.reason));
      return;
    }
    localStorage.setItem(policyKey(), text.value);
    msg.replaceChildren(h("span", { class: "okmsg" }, tf("policy_saved", p.value.witnesses.length, p.value.quorum)));
    rerun();
  });
  const clear = h("button", { type: "button", id: "policy-clear" }, t("policy_clear"));
  clear.addEventListener("click", () => {
    localStorage.removeItem(policyKey());
    rerun();
  });
  return h("details", { id: "policy-editor", ...(open ? { open: "" } : {}) }, h("summary", {}, t("witness_policy")),
    field("policy-file", t("policy_file"), file), field("policy-text", t("policy_text"), text),
    h("p", { class: "row" }, save, " ", clear), msg);
}

// Whether the cosigned checkpoint and the answer's lie on one log: "" if so, else why.
async function consistent(anon: Client, a: Checkpoint, b: Checkpoint): Promise<string> {
  if (a.size === b.size) {
    return a.root.every((x, i) => x === b.root[i]) ? "" : t("same_size_other_root");
  }
  const [older, newer] = a.size < b.size ? [a, b] : [b, a];
  const v = verifyCheckpointConsistency(older, newer, await anon.consistency(older.size, newer.size));
  return v.ok ? "" : failText(v);
}

export async function cosignSlot(anon: Client, logKey: NoteVerifier | undefined, logKeyProblem: string,
  against: Checkpoint | undefined): Promise<void> {
  const slot = document.getElementById("slot-cosign");
  if (!slot) return;
  const rerun = () => void cosignSlot(anon, logKey, logKeyProblem, against);
  const text = localStorage.getItem(policyKey());
  if (!text) {
    slot.replaceChildren(badge(undefined, t("policy_none")), editor(true, rerun));
    return;
  }
  const show = (ok: boolean, detail: string, ...more: HTMLElement[]) =>
    slot.replaceChildren(badge(ok, detail), ...more, editor(false, rerun));
  const policy = parseWitnessPolicy(text);
  if (!policy.ok) return show(false, t("policy_bad") + policy.reason);
  if (!logKey) return show(false, logKeyProblem);
  slot.replaceChildren(h("p", {}, t("loading")));
  let note: string;
  try {
    note = await anon.getText("/v1/checkpoints/cosigned");
  } catch (e) {
    return show(false, e instanceof ApiError && e.status === 404 ? t("cosign_none") : errorText(e));
  }
  const r = checkCosigned(note, logKey, policy.value);
  if (!r.ok) return show(false, failText(r));
  const c = r.value;
  let why = "";
  if (against) {
    try {
      why = await consistent(anon, c.checkpoint, against);
    } catch (e) {
      why = errorText(e);
    }
  }
  const names = (l: string[]) => (l.length ? l.join(", ") : t("none"));
  const facts = h("ul", { id: "cosign-result", "data-quorum": String(c.quorum), "data-cosigned": c.cosigned.join(" "), "data-bad": c.bad.join(" ") },
    h("li", { class: "big" }, c.quorum ? tf("quorum_met", policy.value.quorum) : tf("quorum_not_met", policy.value.quorum)),
    h("li", {}, t("cosigned_by") + names(c.cosigned)),
    ...(c.missing.length ? [h("li", {}, t("cosign_missing") + names(c.missing))] : []),
    ...(c.bad.length ? [h("li", { class: "error" }, t("cosign_bad") + names(c.bad))] : []),
    h("li", {}, tf("cosigned_cp", c.checkpoint.size) + (against ? ` · ${why ? t("cosign_inconsistent") + why : t("cosign_consistent")}` : "")));
  const ok = c.quorum && c.bad.length === 0 && why === "";
  const detail = c.bad.length ? t("cosign_bad") + names(c.bad) : why ? t("cosign_inconsistent") + why
    : c.quorum ? tf("quorum_met", policy.value.quorum) : tf("quorum_not_met", policy.value.quorum);
  show(ok, detail, facts);
}
