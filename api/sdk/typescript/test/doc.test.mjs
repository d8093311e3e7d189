// Runs the example of docs/sdk-typescript.md (its first ```js block, which must stay under
// 30 lines) as a program against a fresh real ipledgerd, as a reader would run it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const docPath = process.env.IPLEDGER_SDK_DOC ?? join(here, "../../../../docs/sdk-typescript.md");
let server;
after(async () => server?.stop());

test("the documented example registers, signs, submits and verifies against a live server", async () => {
  const doc = readFileSync(docPath, "utf8");
  const m = doc.match(/```js\n([\s\S]*?)```/);
  assert.ok(m, "docs/sdk-typescript.md has no ```js block");
  const code = m[1];
  const lines = code.trimEnd().split("\n").length;
  assert.ok(lines < 30, `the example has ${lines} lines; the docs promise under 30`);
  // Inside the package folder, so that "@ipledger/sdk" resolves to this package.
  const file = join(here, "doc-example.generated.mjs");
  writeFileSync(file, code);
  server = await startServer();
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { env: { ...process.env, IPLEDGER_URL: server.url, IPLEDGER_DATA: server.data }, timeout: 30000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  rmSync(file, { force: true });
  assert.match(out, /^pledge at index \d+; patent:2014103620773 pledged: true\n$/);
});
