/**
 * What both consoles share: the WebSocket's address from a ticket, and the close codes of
 * server/console/open-consoles.ts as catalog messages. Client-safe: no server imports (the codes are repeated
 * here; `console-socket.test.ts` keeps them equal).
 */
export const CLOSE_CODES = { takenOver: 4001, busy: 4002, accessEnded: 4003, vmStopped: 4004, failed: 4005 } as const;

export function consoleUrl(path: string): string {
  return `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${path}`;
}

/** Which console a message is about (the catalog's `kind` select). */
export type ConsoleKind = "graphical" | "serial";

/**
 * Why a console ended, as a message of the catalog (vmConsole.ended.<key>, worded with the console's
 * kind), or `verbatim`: the server's (libvirt's, QEMU's) own words, shown as they are.
 */
export type EndedKey =
  | "takenOver"
  | "busy"
  | "sessionEnded"
  | "grantsChanged"
  | "accessEnded"
  | "accessEndedWith"
  | "vmStopped"
  | "notOpened"
  | "disconnected"
  | "disconnectedWith"
  | "vncPassword"
  | "verbatim";

export interface Ended {
  key: EndedKey;
  /** The server's own words (not ours to translate; shown with translate="no"), or "". */
  detail: string;
  /** Offer "Take over" (serial console held elsewhere, or taken from us). */
  offerForce: boolean;
}

/**
 * The reasons server/console/gate.ts gives with CLOSE.accessEnded, a fixed pair: worded from the
 * catalog. Any other reason is shown as the server sent it.
 */
const ACCESS_REASONS: Record<string, EndedKey> = {
  "Your session ended": "sessionEnded",
  "Your role or grants no longer allow this console": "grantsChanged",
};

/** A console's end: what the close code means, with the server's reason where only it can say (a failure's cause). */
export function endedWords(code: number, reason: string): Ended {
  const ended = (key: EndedKey, offerForce = false, detail = ""): Ended => ({ key, detail, offerForce });
  switch (code) {
    case CLOSE_CODES.takenOver:
      return ended("takenOver", true);
    case CLOSE_CODES.busy:
      return ended("busy", true);
    case CLOSE_CODES.accessEnded:
      if (!reason) return ended("accessEnded");
      return ACCESS_REASONS[reason] ? ended(ACCESS_REASONS[reason]) : ended("accessEndedWith", false, reason);
    case CLOSE_CODES.vmStopped:
      return ended("vmStopped");
    case CLOSE_CODES.failed:
      return reason ? ended("verbatim", false, reason) : ended("notOpened");
    default:
      return reason ? ended("disconnectedWith", false, reason) : ended("disconnected");
  }
}
