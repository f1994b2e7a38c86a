/**
 * What both consoles share: the WebSocket's address from a ticket, and the close codes of
 * server/console/open-consoles.ts in words. Client-safe: no server imports (the codes are repeated
 * here; `console-socket.test.ts` keeps them equal).
 */
export const CLOSE_CODES = { takenOver: 4001, busy: 4002, accessEnded: 4003, vmStopped: 4004, failed: 4005 } as const;

export function consoleUrl(path: string): string {
  return `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${path}`;
}

export interface Ended {
  /** What to tell the user. */
  message: string;
  /** Offer "Take over" (serial console held elsewhere, or taken from us). */
  offerForce: boolean;
}

/** A console's end in words: the server's reason where it gave one, else what the close code means. */
export function endedWords(code: number, reason: string, what: "graphical console" | "serial console"): Ended {
  switch (code) {
    case CLOSE_CODES.takenOver:
      return { message: `The ${what} was taken over by another session.`, offerForce: true };
    case CLOSE_CODES.busy:
      return { message: `Another session holds the ${what}. Taking it over disconnects that session.`, offerForce: true };
    case CLOSE_CODES.accessEnded:
      return { message: `${reason || "Your access ended"}: sign in again, or ask an admin for console access.`, offerForce: false };
    case CLOSE_CODES.vmStopped:
      return { message: `The ${what} closed: the VM stopped.`, offerForce: false };
    case CLOSE_CODES.failed:
      return { message: reason || `The ${what} could not be opened.`, offerForce: false };
    default:
      return { message: `The ${what} disconnected${reason ? `: ${reason}` : ""}.`, offerForce: false };
  }
}
