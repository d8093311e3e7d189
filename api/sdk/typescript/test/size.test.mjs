// The browser bundle stays small (the web console has a page-weight budget): the built
// core plus the parts of @noble/ed25519 and @noble/hashes it imports, gzipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET = 60 * 1024;

test(`the browser core, with its dependencies, is under ${BUDGET / 1024} KB gzipped`, () => {
  const dist = readdirSync(join(pkg, "dist")).filter((f) => f.endsWith(".js") && f !== "node.js").map((f) => join(pkg, "dist", f));
  const noble = ["@noble/ed25519/index.js", "@noble/hashes/sha2.js", "@noble/hashes/_md.js", "@noble/hashes/_u64.js", "@noble/hashes/utils.js"]
    .map((f) => join(pkg, "node_modules", f));
  const all = Buffer.concat([...dist, ...noble].map((f) => readFileSync(f)));
  const gz = gzipSync(all, { level: 9 }).length;
  console.log(`browser core: ${all.length} bytes, ${gz} bytes gzipped`);
  assert.ok(gz < BUDGET, `${gz} bytes gzipped`);
  // The core imports nothing Node-only.
  for (const f of dist) {
    const code = readFileSync(f, "utf8").replace(/^\s*\/\/.*$/gm, "");
    assert.doesNotMatch(code, /from "node:|\bBuffer\b|\brequire\(|\bprocess\./, f);
  }
});
