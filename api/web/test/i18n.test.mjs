// The console's words (src/i18n.ts): one key list, a value map per language; both maps
// must have exactly the same keys, no empty value, and the same {n} placeholders; and
// every failure code of the TypeScript SDK has its words (f_<code>) in both.
// Bundled with esbuild (the console's own bundler) and imported, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "esbuild";

const src = process.env.WEB_SRC ?? new URL("../src", import.meta.url).pathname;
const load = async (file) => {
  const out = await build({ entryPoints: [file], bundle: true, format: "esm", write: false, logLevel: "silent" });
  return import("data:text/javascript;base64," + Buffer.from(out.outputFiles[0].text).toString("base64"));
};

test("every key of the console has a Chinese and an English word, with the same placeholders", async () => {
  const { words } = await load(join(src, "i18n.ts"));
  const zh = Object.keys(words.zh).sort(), en = Object.keys(words.en).sort();
  assert.ok(zh.length > 100, `${zh.length} keys`);
  assert.deepEqual(en.filter((k) => !zh.includes(k)), [], "English keys that Chinese lacks");
  assert.deepEqual(zh.filter((k) => !en.includes(k)), [], "Chinese keys that English lacks");
  const holes = (s) => (s.match(/\{\d\}/g) ?? []).sort().join();
  for (const k of zh) {
    assert.ok(words.zh[k].trim() && words.en[k].trim(), `${k} is empty`);
    assert.equal(holes(words.en[k]), holes(words.zh[k]), `${k}: placeholders differ`);
  }
});

test("every failure code of the SDK has its words in both languages", async () => {
  const { words } = await load(join(src, "i18n.ts"));
  const { FAIL_CODES } = await load(join(src, "../../sdk/typescript/src/result.ts"));
  assert.ok(FAIL_CODES.length >= 8);
  for (const code of FAIL_CODES) {
    for (const lang of ["zh", "en"]) assert.ok(words[lang][`f_${code}`]?.trim(), `${lang}: f_${code}`);
  }
});
