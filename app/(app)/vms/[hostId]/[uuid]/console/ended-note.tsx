"use client";

import type { ReactNode } from "react";
import { useTranslations } from "next-intl";
import type { ConsoleKind, Ended } from "./console-socket";

/** The server's own words inside one of our sentences: shown as sent, not translated. */
const verbatim = (chunks: ReactNode) => <span translate="no">{chunks}</span>;

/** Why a console ended, in the page's language; the server's reason, where shown, stays as it sent it. */
export function EndedNote({ ended, kind }: { ended: Ended; kind: ConsoleKind }) {
  const t = useTranslations("vmConsole.ended");
  switch (ended.key) {
    case "verbatim":
      return verbatim(ended.detail);
    case "accessEndedWith":
      return t.rich("accessEndedWith", { reason: ended.detail, detail: verbatim });
    case "disconnectedWith":
      return t.rich("disconnectedWith", { kind, reason: ended.detail, detail: verbatim });
    case "takenOver":
    case "busy":
    case "vmStopped":
    case "notOpened":
    case "disconnected":
      return t(ended.key, { kind });
    default:
      return t(ended.key);
  }
}
