import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { waitFor } from "../fixtures/wait";

export interface DashboardServer {
  /** `https://127.0.0.1:<port>` (or http:// with KVMM_TLS=off). */
  url: string;
  port: number;
  dataDir: string;
  adminPassword: string;
  /** The certificate the server made on first start (PEM), null without TLS. */
  certificate: () => string | null;
  /** fetch() that trusts this server's own certificate (and only it) and never follows redirects. */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** The Node process serving (tsx runs the server in a child of its own). */
  serverPid: () => number | null;
  output: () => string;
  /** SIGTERM, as Ctrl-C would, and wait for the exit; the data directory stays. */
  shutdown: () => Promise<void>;
  /** shutdown, then remove the data directory. */
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Starts the production build (`npm test` runs `next build` first) on a free port with a fresh data
 * directory, over HTTPS with the certificate it makes for itself, as `npm run up` does.
 */
export async function startDashboard(env: Record<string, string> = {}): Promise<DashboardServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-itest-"));
  const port = await freePort();
  const adminPassword = `itest-${Math.random().toString(36).slice(2)}-pw`;
  const tls = env.KVMM_TLS !== "off";
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
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  const certFile = path.join(dataDir, "tls", "cert.pem");
  const certificate = () => (tls && fs.existsSync(certFile) ? fs.readFileSync(certFile, "utf8") : null);
  let agent: Agent | undefined;
  const serverFetch = async (p: string, init: RequestInit = {}) => {
    agent ??= new Agent({ connect: { ca: certificate() ?? undefined } });
    const res = await undiciFetch(`${url}${p}`, { ...(init as object), redirect: "manual", dispatcher: agent });
    return res as unknown as Response;
  };
  const serverPid = () => {
    const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : null;
  };
  const shutdown = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    // destroy, not close: the server is gone, and close() waits for requests it may never finish (a
    // refused upload's body) — a promise no handle keeps alive, which node:test reports as "the event
    // loop has already resolved".
    await agent?.destroy();
    agent = undefined;
  };
  const stop = async () => {
    await shutdown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const outcome = await waitFor(
      async () => {
        if (child.exitCode !== null) return "exited";
        if (tls && !certificate()) return false;
        return (await serverFetch("/login").catch(() => null))?.ok && "serving";
      },
      { timeoutMs: 60_000, what: "the dashboard to serve /login", describe: () => log },
    );
    if (outcome === "exited") throw new Error(`dashboard exited with ${child.exitCode}:\n${log}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dataDir, adminPassword, certificate, fetch: serverFetch, serverPid, output: () => log, shutdown, stop };
}
