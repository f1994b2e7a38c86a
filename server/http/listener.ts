import http, { type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import https from "node:https";
import net from "node:net";
import { SECURITY_HEADERS } from "./front-door";
import type { TlsMaterial } from "./tls";

/**
 * One port for both schemes, as cockpit does on 9090: a TLS ClientHello starts with byte 0x16
 * (handshake record); anything else is plain HTTP and gets a redirect to the same URL over https.
 * So a user who types `http://host:3000` lands on the dashboard instead of a connection error,
 * and nothing but the redirect is ever served in the clear.
 */
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing is dropped after this long (before its first byte no server timeout applies). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface Listener {
  server: net.Server;
  /** The HTTP(S) server that handles requests, for `upgrade` (WebSocket) listeners. */
  requests: http.Server;
  close(): Promise<void>;
}

/** Where the plain-HTTP request should have gone: same host and path, https. */
export function httpsLocation(req: IncomingMessage): string | null {
  const host = req.headers.host;
  // A Host header is `name[:port]` or `[v6]:port`; anything else is not echoed into a Location.
  if (!host || !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return null;
  const path = req.url?.startsWith("/") ? req.url : "/";
  return `https://${host}${path}`;
}

function redirectToHttps(req: IncomingMessage, res: ServerResponse) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const location = httpsLocation(req);
  if (!location) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
    res.end("This server speaks HTTPS. Use https:// in the address.\n");
    return;
  }
  res.writeHead(308, { location, "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end(`This server speaks HTTPS: ${location}\n`);
}

function sniffing(secure: https.Server, plain: http.Server): net.Server {
  return net.createServer((socket) => {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once("data", (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? secure : plain).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
    socket.on("error", () => socket.destroy());
  });
}

export interface ListenOptions {
  port: number;
  host: string;
  tls: TlsMaterial | null;
  /** Runs first on every request; false when it answered the request itself (refused it). */
  admit: (req: IncomingMessage, res: ServerResponse) => boolean;
  handle: RequestListener;
}

export function listen(options: ListenOptions): Promise<Listener> {
  const onRequest: RequestListener = (req, res) => {
    if (options.admit(req, res)) options.handle(req, res);
  };
  let requests: http.Server;
  let server: net.Server;
  if (options.tls) {
    requests = https.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" }, onRequest);
    const redirects = http.createServer(redirectToHttps);
    server = sniffing(requests as https.Server, redirects);
  } else {
    requests = http.createServer(onRequest);
    server = requests;
  }
  // A client that asks before sending its body (Expect: 100-continue) is refused before it sends it.
  requests.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (!options.admit(req, res)) return;
    res.writeContinue();
    options.handle(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve({
        server,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            requests.closeAllConnections();
          }),
      });
    });
  });
}
