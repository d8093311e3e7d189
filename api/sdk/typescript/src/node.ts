// Node-only helpers: reading and writing the project's key files (mode 0600, one line of
// base64 of the 32-byte seed), as `ipledger keygen` writes them.

// @ts-ignore -- Node's modules; typed loosely so the package needs no @types/node.
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { parseKeyFile, SigningKey } from "./keys.js";

/** Reads a key file; refuses one that group or others can access, as the CLI does. */
export async function readKeyFile(path: string): Promise<SigningKey> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`key file ${path} has mode ${(st.mode & 0o777).toString(8)}: group or others can access it; run chmod 600 ${path}`);
  }
  return parseKeyFile(await readFile(path, "utf8"));
}

/** Writes `key` to a new file with mode 0600 (refuses to overwrite). */
export async function writeKeyFile(path: string, key: SigningKey): Promise<void> {
  await writeFile(path, key.toKeyFile(), { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
}

export * from "./index.js";
