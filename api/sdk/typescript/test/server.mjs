// Starts a real ipledgerd for the tests: `ipledger init` into a fresh temporary data
// directory, then `ipledgerd --listen 127.0.0.1:0`, reading the port from its stdout.
// IPLEDGER_CLI and IPLEDGERD name the built binaries.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function startServer() {
  const cli = process.env.IPLEDGER_CLI;
  const daemon = process.env.IPLEDGERD;
  if (!cli || !daemon) throw new Error("IPLEDGER_CLI and IPLEDGERD must name the built binaries");
  const root = mkdtempSync(join(tmpdir(), "ipledger-sdk-"));
  const data = join(root, "data");
  execFileSync(cli, ["init", "--data-dir", data, "--origin", "sdk-test.ipledger.example/log"], { stdio: "pipe" });
  const child = spawn(daemon, ["--data-dir", data, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`ipledgerd did not print its port: ${stderr}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/(https?):\/\/127\.0\.0\.1:(\d+)/) ?? out.match(/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[m.length - 1]}`);
      }
    });
    child.on("exit", (code) => reject(new Error(`ipledgerd exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    data,
    vkey: readFileSync(join(data, "log.vkey"), "utf8").trim(),
    async stop() {
      // SIGTERM drains open keep-alive connections, which fetch keeps for seconds:
      // a throwaway server gets half a second, then SIGKILL.
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
