import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { getToken } from "next-auth/jwt";
import { WebSocketServer, type WebSocket } from "ws";
import { db as processDb, type Db } from "../db/client";
import { roleHas } from "../auth/permissions";
import { onSessionsRevoked } from "../auth/sessions";
import { CLIENT_IP_HEADER } from "../auth/client-ip";
import { loadSessionUser, type SessionUser } from "../users/service";
import { writeAudit } from "../audit/log";
import { signedOutRefusals } from "../audit/signed-out";
import { auditTargets } from "../audit/targets";
import { resolveHost } from "../hosts/connection";
import { resolveVm, type ResolvedVm } from "../domains/lookup";
import { subscribe } from "../events/bus";
import { SECURITY_HEADERS, setTrustedHeaders, type FrontDoorOptions } from "../http/front-door";
import { consoleTickets, type Ticket } from "./tickets";
import { checkConsole, connectVnc, isConsoleBusy, openSerialStream } from "./service";
import { bridge, holdMessages } from "./bridge";
import { CLOSE, ConsoleRegistry, type OpenConsole } from "./open-consoles";

/**
 * The console WebSocket: `GET /api/console?ticket=…` with `Upgrade: websocket`, on the one HTTP(S)
 * server. The upgrade is answered 401/403 without upgrading unless all of these hold: the Origin is
 * this site (scheme and host of the request), the session cookie names a live session, the ticket
 * exists, is unexpired and unused, and was issued to that session and user, and the user's role and
 * grants still allow `vm.console` on the ticket's VM. Then the socket carries raw bytes: the serial
 * console (libvirt's console stream) or the VNC protocol (QEMU's VNC port, for noVNC; through ssh for
 * a VM on an ssh host). Reasons a console cannot be opened or ends are close codes (`CLOSE`) with
 * words, which the page shows.
 */
export const CONSOLE_PATH = "/api/console";
/** noVNC's messages are small (clipboard text is the largest); the serial console's are keystrokes. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export function isConsoleUpgrade(req: IncomingMessage): boolean {
  return (req.url ?? "").split("?")[0] === CONSOLE_PATH;
}

class Refusal extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

function refuse(socket: Duplex, status: 401 | 403, message: string): void {
  const headers = {
    ...SECURITY_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(message)),
    Connection: "close",
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Forbidden"}\r\n${lines.join("\r\n")}\r\n\r\n${message}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The Origin must be this site as the browser reached it: same scheme and host (and port). */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = header(req, "origin");
  const host = header(req, "x-forwarded-host") ?? header(req, "host");
  const scheme = header(req, "x-forwarded-proto");
  if (!origin || !host || !scheme) return false;
  try {
    const url = new URL(origin);
    return url.protocol === `${scheme}:` && url.host === new URL(`${scheme}://${host}`).host;
  } catch {
    return false;
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a cookie that is not ours and not URL-encoded
    }
  }
  return cookies;
}

/** The same resolution as pages and tRPC (server/auth/session.ts): next-auth's signed cookie names a live session row. */
async function sessionUser(db: Db, req: IncomingMessage): Promise<SessionUser | null> {
  const secure = header(req, "x-forwarded-proto") === "https";
  // Only the cookie: next-auth would also take a bearer token, which no browser sends on a WebSocket.
  const token = await getToken({
    req: { cookies: parseCookies(header(req, "cookie")), headers: {} } as never,
    secureCookie: secure,
    secret: process.env.NEXTAUTH_SECRET,
  }).catch(() => null);
  const userId = Number(token?.sub);
  const sessionId = token?.sid;
  if (!Number.isInteger(userId) || typeof sessionId !== "string") return null;
  return loadSessionUser(db, userId, sessionId);
}

/** Whether the user may still open this VM's console: role, then grants (a VM outside them is "not found"). */
async function allowedVm(db: Db, user: SessionUser, ticket: Pick<Ticket, "hostId" | "uuid">): Promise<ResolvedVm | null> {
  if (!roleHas(user.role, "vm.console")) return null;
  try {
    return await resolveVm(resolveHost(db, ticket.hostId), user, ticket.uuid);
  } catch {
    return null;
  }
}

const REDEEM_WORDS = {
  unknown: "the console ticket is not valid (unknown or already used): open the console again",
  expired: "the console ticket expired: open the console again",
  mismatch: "the console ticket was issued to another session",
} as const;

/** A session that simply expires sends no revocation notice: open consoles check theirs this often. */
const SESSION_CHECK_MS = 30_000;

export interface ConsoleGateOptions {
  /** The database (tests pass their own). */
  db?: () => Db;
}

export class ConsoleGate {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  readonly consoles = new ConsoleRegistry();
  private readonly stops: (() => void)[] = [];
  private readonly db: () => Db;

  constructor(
    private readonly frontDoor: FrontDoorOptions,
    options: ConsoleGateOptions = {},
  ) {
    this.db = options.db ?? processDb;
    const timer = setInterval(() => this.recheckSessions(), SESSION_CHECK_MS).unref();
    this.stops.push(
      () => clearInterval(timer),
      onSessionsRevoked((userId) => void this.recheckUser(userId)),
      subscribe((event) => {
        if (event.type === "domain.lifecycle" && (event.state === "shutoff" || event.event === "undefined" || event.event === "stopped")) {
          for (const c of this.consoles.ofVm(event.hostId, event.uuid)) c.close(CLOSE.vmStopped, `VM "${event.name}" stopped`);
        }
      }),
    );
  }

  /** Handles an upgrade on CONSOLE_PATH: refuses it (HTTP 401/403) or opens the console. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    setTrustedHeaders(req, this.frontDoor);
    const clientIp = header(req, CLIENT_IP_HEADER) ?? null;
    let user: SessionUser | null = null;
    let ticket: Ticket | null = null;
    try {
      if (!isSameOrigin(req)) throw new Refusal(403, "The console must be opened from this site's own pages.");
      user = await sessionUser(this.db(), req);
      if (!user) throw new Refusal(401, "Sign in first.");
      const presented = new URL(req.url ?? "/", "http://console.invalid").searchParams.get("ticket") ?? "";
      if (!presented) throw new Refusal(403, "A console ticket is required: open the console from the VM's page.");
      const redeemed = consoleTickets().redeem(presented, user.sessionId, user.id);
      if (!redeemed.ok) throw new Refusal(403, `Refused: ${REDEEM_WORDS[redeemed.why]}.`);
      ticket = redeemed.ticket;
      const vm = await allowedVm(this.db(), user, ticket);
      if (!vm) throw new Refusal(403, `Your role or grants no longer allow the console of ${auditTargets.vmById(ticket.hostId, ticket.uuid)}.`);
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.open(ws, user!, ticket!, vm));
    } catch (error) {
      if (!(error instanceof Refusal)) {
        refuse(socket, 403, "The console could not be opened.");
        console.warn("console upgrade failed:", error);
        return;
      }
      if (!user) signedOutRefusals().note(this.db(), clientIp ?? "unknown", "consoles.open");
      else {
        writeAudit(this.db(), {
          userId: user.id,
          username: user.username,
          action: "consoles.open",
          target: ticket ? auditTargets.vmById(ticket.hostId, ticket.uuid) : null,
          result: "denied",
          error: error.message,
          clientIp,
        });
      }
      refuse(socket, error.status, error.message);
    }
  }

  private async open(ws: WebSocket, user: SessionUser, ticket: Ticket, vm: ResolvedVm): Promise<void> {
    const entry: OpenConsole = {
      userId: user.id,
      sessionId: user.sessionId,
      hostId: ticket.hostId,
      uuid: ticket.uuid,
      kind: ticket.kind,
      takenOver: false,
      close: (code, reason) => {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
      },
    };
    const held = holdMessages(ws);
    const remove = this.consoles.add(entry);
    ws.once("close", remove);
    ws.on("error", () => ws.terminate());
    try {
      if (ticket.kind === "serial") {
        const others = ticket.force ? this.consoles.ofVm(ticket.hostId, ticket.uuid, "serial").filter((c) => c !== entry) : [];
        for (const other of others) other.takenOver = true;
        const stream = await openSerialStream(vm, ticket.force).catch((error: unknown) => {
          for (const other of others) other.takenOver = false;
          throw error;
        });
        bridge(ws, stream, held(), (error) => this.ended(entry, vm, error));
      } else {
        const route = await checkConsole(vm, "vnc");
        const vnc = await connectVnc(route!, vm.context);
        bridge(ws, vnc, held(), (error) => this.ended(entry, vm, error));
      }
    } catch (error) {
      if (isConsoleBusy(error)) entry.close(CLOSE.busy, `Another session holds the serial console of ${vm.context}`);
      else entry.close(CLOSE.failed, error instanceof Error ? error.message : String(error));
    }
  }

  private ended(entry: OpenConsole, vm: ResolvedVm, error: Error | null): void {
    if (entry.takenOver) entry.close(CLOSE.takenOver, "The serial console was taken over by another session");
    else if (error) entry.close(CLOSE.failed, `${vm.context}: the console broke: ${error.message}`);
    else entry.close(CLOSE.vmStopped, `${vm.context}: the console ended (the VM stopped or its display went away)`);
  }

  /** After a user's sessions changed: consoles whose session ended, or whose role or grants no longer allow them, close. */
  async recheckUser(userId: number): Promise<void> {
    for (const c of this.consoles.ofUser(userId)) {
      const user = loadSessionUser(this.db(), c.userId, c.sessionId);
      const vm = user ? await allowedVm(this.db(), user, c) : null;
      if (!vm) c.close(CLOSE.accessEnded, user ? "Your role or grants no longer allow this console" : "Your session ended");
    }
  }

  /** Consoles whose session expired close (one indexed read per open console). */
  recheckSessions(): void {
    for (const c of this.consoles.all()) {
      if (!loadSessionUser(this.db(), c.userId, c.sessionId)) c.close(CLOSE.accessEnded, "Your session ended");
    }
  }

  close(): void {
    for (const stop of this.stops) stop();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
