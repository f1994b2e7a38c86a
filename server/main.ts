import http from "node:http";
import next from "next";
import { env } from "./config/env";
import { bootstrap } from "./setup/bootstrap";
import { CLIENT_IP_HEADER } from "./auth/client-ip";
import { closeAllConnections, getConnection } from "./libvirt/registry";
import { unwatchAllHosts, watchHost } from "./events/bus";
import { db } from "./db/client";
import { listHosts } from "./hosts/service";
import { startGuestHub, stopGuestHub } from "./guest";
import { bridgeGuestHubEvents } from "./events/guest-bridge";

/**
 * The one process of the manager: it serves Next.js, and (as later parts land) the console
 * WebSocket upgrades and background jobs, so there is one thing to start and one unit to supervise.
 */
async function main() {
  const config = env();
  const dev = process.env.NODE_ENV !== "production";
  await bootstrap();
  // Events flow from start-up on, so caches and open browsers hear about changes made outside the manager.
  for (const host of listHosts(db())) {
    watchHost(host.id, getConnection(host.id, host.uri)).catch((err: unknown) => console.warn(`host "${host.id}": events not available yet:`, err));
  }
  const hub = await startGuestHub();
  bridgeGuestHubEvents(hub);
  const app = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    // We face the browser directly: forwarding headers would let a client pick its own address and origin.
    for (const name of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"]) delete req.headers[name];
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "unknown";
    void handle(req, res);
  });
  server.listen(config.PORT, config.HOST, () => {
    console.log(`KVM Manager listening on http://${config.HOST}:${config.PORT} (libvirt ${config.KVMM_LIBVIRT_URI})`);
  });

  const stop = (signal: string) => {
    console.log(`${signal}: shutting down`);
    server.close();
    void Promise.allSettled([stopGuestHub(), unwatchAllHosts()]).finally(() => closeAllConnections());
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error("KVM Manager failed to start:", err);
  process.exit(1);
});
