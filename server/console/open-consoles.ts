import type { ConsoleKind } from "./tickets";

/**
 * The console WebSockets open in this process, so that they can be ended from outside: when the
 * user's session ends or their role or grants change (server/console/gate.ts re-checks them), when
 * the VM stops, and — for the serial console — when another session takes it over.
 */
export interface OpenConsole {
  userId: number;
  sessionId: string;
  hostId: string;
  uuid: string;
  kind: ConsoleKind;
  /** Set when a forced open elsewhere is about to break this console's stream, so its end is worded as such. */
  takenOver: boolean;
  close(code: number, reason: string): void;
}

/**
 * WebSocket close codes the browser shows in words (4000–4999 are the application's own).
 * The reason text travels too; the page words them by code.
 */
export const CLOSE = {
  /** Another session opened the serial console with "force". */
  takenOver: 4001,
  /** Someone else holds the serial console; the page offers "force". */
  busy: 4002,
  /** The session ended, or the role or grants no longer allow this console. */
  accessEnded: 4003,
  /** The VM stopped (or went away). */
  vmStopped: 4004,
  /** The console could not be opened or broke (libvirt or QEMU said why, in the reason). */
  failed: 4005,
} as const;

export class ConsoleRegistry {
  private readonly open = new Set<OpenConsole>();

  add(console: OpenConsole): () => void {
    this.open.add(console);
    return () => this.open.delete(console);
  }

  all(): OpenConsole[] {
    return [...this.open];
  }

  ofUser(userId: number): OpenConsole[] {
    return [...this.open].filter((c) => c.userId === userId);
  }

  ofVm(hostId: string, uuid: string, kind?: ConsoleKind): OpenConsole[] {
    return [...this.open].filter((c) => c.hostId === hostId && c.uuid === uuid && (kind === undefined || c.kind === kind));
  }

  get size(): number {
    return this.open.size;
  }
}
