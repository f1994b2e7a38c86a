import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { waitFor } from "../fixtures/wait";

export interface DashboardServer {
  url: string;
  dataDir: string;
  adminPassword: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Starts the production build (`npm test` runs `next build` first) on a free port with a fresh data directory. */
export async function startDashboard(env: Record<string, string> = {}): Promise<DashboardServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-itest-"));
  const port = await freePort();
  const adminPassword = `itest-${Math.random().toString(36).slice(2)}-pw`;
  let log = "";
  const child: ChildProcess = spawn(path.resolve("node_modules/.bin/tsx"), ["server/main.ts"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      HOST: "127.0.0.1",
      KVMM_DATA_DIR: dataDir,
      KVMM_ADMIN_PASSWORD: adminPassword,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const outcome = await waitFor(
      async () => (child.exitCode !== null ? "exited" : ((await fetch(`${url}/login`).catch(() => null))?.ok && "serving")),
      { timeoutMs: 60_000, what: "the dashboard to serve /login", describe: () => log },
    );
    if (outcome === "exited") throw new Error(`dashboard exited with ${child.exitCode}:\n${log}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dataDir, adminPassword, output: () => log, stop };
}
