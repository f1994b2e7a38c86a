import { randomBytes } from "node:crypto";
import { processSingleton } from "../process-shared";
import { env } from "../config/env";

/**
 * Console tickets: what the browser gets from `consoles.ticket` (tRPC, permission `vm.console`,
 * audited) and hands to the WebSocket upgrade in the URL. A WebSocket cannot carry custom headers
 * and its upgrade is not covered by SameSite rules the way a POST is, so the cookie alone is not
 * enough: the ticket proves this session asked for this console moments ago. 32 random bytes,
 * single use, valid `TICKET_TTL_MS`, bound to the session row, the user, the VM and the kind.
 * Kept in memory (a restart forgets them, and a console needs a fresh one anyway), shared by both
 * module graphs of the process (the tRPC route issues, server/main.ts redeems).
 */

export type ConsoleKind = "vnc" | "serial";

export interface TicketBinding {
  sessionId: string;
  userId: number;
  hostId: string;
  uuid: string;
  kind: ConsoleKind;
  /** Serial only: take the console over from whoever holds it. */
  force: boolean;
}

export interface Ticket extends TicketBinding {
  expiresAt: number;
}

/** Long enough for a phone on a slow link to open the socket, short enough that a leaked URL is stale. */
export const DEFAULT_TICKET_TTL_MS = 30_000;
/** More open tickets than this means something is asking in a loop; the oldest go first. */
const MAX_OPEN_TICKETS = 10_000;

export type RedeemRefusal = "unknown" | "expired" | "mismatch";

export class TicketStore {
  private readonly tickets = new Map<string, Ticket>();

  constructor(
    private readonly ttlMs: number = DEFAULT_TICKET_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  issue(binding: TicketBinding): { ticket: string; expiresAt: number } {
    this.sweep();
    while (this.tickets.size >= MAX_OPEN_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(ticket, { ...binding, expiresAt });
    return { ticket, expiresAt };
  }

  /**
   * Takes the ticket out (whatever the outcome: a ticket tried once with the wrong session is
   * spent) and checks it is alive and bound to this session and user.
   */
  redeem(ticket: string, sessionId: string, userId: number): { ok: true; ticket: Ticket } | { ok: false; why: RedeemRefusal } {
    const found = this.tickets.get(ticket);
    if (!found) return { ok: false, why: "unknown" };
    this.tickets.delete(ticket);
    if (found.expiresAt <= this.now()) return { ok: false, why: "expired" };
    if (found.sessionId !== sessionId || found.userId !== userId) return { ok: false, why: "mismatch" };
    return { ok: true, ticket: found };
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, ticket] of this.tickets) if (ticket.expiresAt <= now) this.tickets.delete(key);
  }
}

/** The process's store; its lifetime comes from KVMM_CONSOLE_TICKET_TTL_S (tests shorten it). */
export function consoleTickets(): TicketStore {
  return processSingleton("consoleTickets", () => new TicketStore(env().KVMM_CONSOLE_TICKET_TTL_S * 1000));
}
