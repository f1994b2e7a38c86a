import type { IncomingMessage, ServerResponse } from "node:http";
import net from "node:net";
import { CLIENT_IP_HEADER } from "../auth/client-ip";
import { BODY_LIMIT_SIGNED_IN, declaredLength, isStreamingUpload } from "./body-limit";

/**
 * What every request passes before Next.js sees it: the headers a client may not choose are set
 * here (its address, the scheme it used), the security headers go on every response, and a body
 * declared larger than any route accepts is refused before a byte of it is read.
 */

/** Anti-framing (clickjacking), no MIME sniffing, no full URLs leaking to other sites. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
};

const FORWARDED = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded"];

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) and `10.0.0.1` are one address. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return (mapped ? mapped[1]! : trimmed).toLowerCase();
}

/**
 * The client's address. A proxy's X-Forwarded-For is believed only when the proxy is listed: then
 * the list is read from the right, skipping listed proxies, and the first other address is the client.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: ReadonlySet<string>): string {
  const peerAddress = normalizeAddress(peer);
  if (!trusted.has(peerAddress) || !forwardedFor) return peerAddress;
  const hops = forwardedFor
    .split(",")
    .map(normalizeAddress)
    .filter((hop) => net.isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return peerAddress;
}

export interface FrontDoorOptions {
  /** Served over TLS by this process. */
  tls: boolean;
  trustedProxies: ReadonlySet<string>;
}

/** Returns false when it answered the request itself. */
export function admit(req: IncomingMessage, res: ServerResponse, options: FrontDoorOptions): boolean {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  setTrustedHeaders(req, options);
  const declared = declaredLength(req.headers);

  if (declared !== null && declared > BODY_LIMIT_SIGNED_IN && !isStreamingUpload(req.method, req.url)) {
    res.writeHead(413, { "content-type": "application/json", connection: "close" });
    // "connection: close" makes Node drop the socket after answering, instead of reading the body to discard it.
    res.end(JSON.stringify({ error: `The request is too large: at most ${BODY_LIMIT_SIGNED_IN / 1024} KiB is accepted here.` }));
    return false;
  }
  return true;
}

/**
 * The headers a client may not choose, for a request or a WebSocket upgrade alike: its address,
 * and the scheme and host it used (believed from a proxy only when the proxy is listed).
 */
export function setTrustedHeaders(req: IncomingMessage, options: FrontDoorOptions): void {
  const peer = req.socket.remoteAddress ?? "unknown";
  const fromProxy = options.trustedProxies.has(normalizeAddress(peer));
  const forwardedFor = headerValue(req, "x-forwarded-for");
  const forwardedProto = headerValue(req, "x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const forwardedHost = headerValue(req, "x-forwarded-host")?.split(",")[0]?.trim();
  for (const name of FORWARDED) delete req.headers[name];
  req.headers[CLIENT_IP_HEADER] = clientAddress(peer, forwardedFor, options.trustedProxies);
  // next-auth derives the site's origin (and whether cookies are Secure) from these two headers.
  const proto = fromProxy && (forwardedProto === "https" || forwardedProto === "http") ? forwardedProto : options.tls ? "https" : "http";
  req.headers["x-forwarded-proto"] = proto;
  if (fromProxy && forwardedHost) req.headers["x-forwarded-host"] = forwardedHost;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}
