// Files this process creates (the database's -wal/-shm, certificates, secrets) are its own alone.
process.umask(0o077);

import { EventEmitter } from "node:events";
import type http from "node:http";
import type { Duplex } from "node:stream";
import next from "next";
import { env } from "./config/env";
import { bootstrap } from "./setup/bootstrap";
import { closeAllConnections, getConnection } from "./libvirt/registry";
import { unwatchAllHosts, watchHost } from "./events/bus";
import { db } from "./db/client";
import { listHosts } from "./hosts/service";
import { startGuestHub, stopGuestHub } from "./guest";
import { bridgeGuestHubEvents } from "./events/guest-bridge";
import { admit, setTrustedHeaders } from "./http/front-door";
import { listen } from "./http/listener";
import { localNames } from "./http/tls";
import { signedOutRefusals } from "./audit/signed-out";
import { keepTagsFresh } from "./domains/tags";
import { ConsoleGate, isConsoleUpgrade } from "./console/gate";
import { startJobs, stopJobs } from "./jobs";

/**
 * The one process of the manager: it serves Next.js and the console WebSocket upgrades, and runs
 * the background jobs (server/jobs), so there is one thing to start and one unit to supervise.
 */
async function main() {
  const config = env();
  const dev = process.env.NODE_ENV !== "production";
  const { tls } = await bootstrap();
  // Events flow from start-up on, so caches and open browsers hear about changes made outside the manager.
  keepTagsFresh();
  for (const host of listHosts(db())) {
    watchHost(host.id, getConnection(host.id, host.uri)).catch((err: unknown) => console.warn(`host "${host.id}": events not available yet:`, err));
  }
  const hub = await startGuestHub();
  bridgeGuestHubEvents(hub);
  // Background jobs (the metrics collector first): they run until shutdown, beside request handling.
  startJobs(hub);
  // Next attaches its own "upgrade" listener (the dev server's hot reload) to `httpServer`, or else to
  // the server of the first request it sees (NextCustomServer.setupWebSocketHandler), where it would see
  // console upgrades too. It gets this relay instead: the one dispatcher below passes it every upgrade
  // that is not a console. (`app.getUpgradeHandler()` is the render server's, without the hot reload.)
  const nextUpgrades = new EventEmitter();
  const app = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT, httpServer: nextUpgrades as http.Server });
  const handle = app.getRequestHandler();
  await app.prepare();

  const frontDoor = { tls: tls !== null, trustedProxies: new Set(config.KVMM_TRUSTED_PROXIES) };
  const consoles = new ConsoleGate(frontDoor);
  const listener = await listen({
    port: config.PORT,
    host: config.HOST,
    tls,
    admit: (req, res) => admit(req, res, frontDoor),
    handle: (req, res) => void handle(req, res),
  });
  listener.requests.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isConsoleUpgrade(req)) return void consoles.handleUpgrade(req, socket, head);
    // Next's own upgrades, with the same trusted headers as its requests; nobody listens in production.
    setTrustedHeaders(req, frontDoor);
    if (!nextUpgrades.emit("upgrade", req, socket, head)) socket.destroy();
  });
  const scheme = tls ? "https" : "http";
  console.log(`KVM Manager listening on ${config.HOST} port ${config.PORT} (libvirt ${config.KVMM_LIBVIRT_URI})`);
  if (config.HOST === "0.0.0.0" || config.HOST === "::") {
    const { dns, ips } = localNames();
    const addresses = [dns[0], ...ips.filter((ip) => !ip.includes(":") && ip !== "127.0.0.1")].filter(Boolean);
    console.log(`Open ${addresses.map((a) => `${scheme}://${a}:${config.PORT}`).join(" or ")} from a browser on the LAN`);
  } else {
    console.log(`Open ${scheme}://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${config.PORT}`);
  }
  if (tls) console.log(`TLS certificate (${tls.source}) SHA-256 fingerprint: ${tls.fingerprint256}`);
  else
    console.log(`TLS is off (KVMM_TLS=off): serve this behind a TLS-terminating proxy; trusted proxies: ${config.KVMM_TRUSTED_PROXIES.join(", ") || "none"}`);

  const stop = (signal: string) => {
    console.log(`${signal}: shutting down`);
    signedOutRefusals().flush({ all: true });
    consoles.close();
    void listener.close();
    // Jobs first: a tick in progress finishes on open connections, and no new one starts.
    void stopJobs()
      .finally(() => Promise.allSettled([stopGuestHub(), unwatchAllHosts()]))
      .finally(() => closeAllConnections());
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error("KVM Manager failed to start:", err);
  process.exit(1);
});
