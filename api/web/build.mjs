// Builds the web console into OUT_DIR (default dist/): esbuild bundles src/main.ts with
// the TypeScript SDK's sources (../sdk/typescript/src) into one minified app.js; the HTML
// and CSS are copied. No CDN, no fonts: everything the page loads is in OUT_DIR.
//   node build.mjs OUT_DIR
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "dist"));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "src/main.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  platform: "browser",
  outfile: join(out, "app.js"),
  // The SDK's imports of @noble/* resolve here when its own node_modules is absent.
  nodePaths: [join(here, "node_modules")],
  legalComments: "none",
  logLevel: "warning",
});
for (const f of ["index.html", "style.css", "favicon.svg"]) copyFileSync(join(here, "src", f), join(out, f));
console.log(`web console built into ${out}`);
