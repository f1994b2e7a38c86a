"use client";

import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { useTranslations } from "next-intl";
import { useTRPCClient } from "@/app/_components/trpc";
import { consoleUrl, endedWords, type Ended } from "./console-socket";
import { EndedNote } from "./ended-note";

type Status = { kind: "connecting" } | { kind: "connected" } | { kind: "ended"; ended: Ended };

/**
 * The VM's serial port (ttyS0) in xterm.js, over libvirt's console stream. One session holds a
 * serial console at a time; "Take over" asks libvirt to break the other one (it is told why).
 * xterm.js is loaded in the browser only, when the console opens.
 */
export function SerialConsole({ hostId, uuid, name }: { hostId: string; uuid: string; name: string }) {
  const t = useTranslations("vmConsole");
  const client = useTRPCClient();
  const host = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<Status>({ kind: "connecting" });
  const [attempt, setAttempt] = useState({ n: 0, force: false });

  useEffect(() => {
    let cancelled = false;
    const cleanups: (() => void)[] = [];
    setStatus({ kind: "connecting" });
    void (async () => {
      try {
        const [{ Terminal }, { FitAddon }, ticket] = await Promise.all([
          import("@xterm/xterm"),
          import("@xterm/addon-fit"),
          client.consoles.ticket.mutate({ hostId, uuid, kind: "serial", force: attempt.force }),
        ]);
        if (cancelled || !host.current) return;
        const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000, theme: { background: "#0f172a" } });
        const fit = new FitAddon();
        term.loadAddon(fit);
        term.open(host.current);
        fit.fit();
        cleanups.push(() => term.dispose());
        const observer = new ResizeObserver(() => fit.fit());
        observer.observe(host.current);
        cleanups.push(() => observer.disconnect());

        const ws = new WebSocket(consoleUrl(ticket.path));
        ws.binaryType = "arraybuffer";
        cleanups.push(() => ws.close());
        const encoder = new TextEncoder();
        ws.addEventListener("open", () => {
          if (cancelled) return;
          setStatus({ kind: "connected" });
          term.focus();
        });
        ws.addEventListener("message", (event) => term.write(typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer)));
        ws.addEventListener("close", (event) => {
          if (!cancelled) setStatus({ kind: "ended", ended: endedWords(event.code, event.reason) });
        });
        const typing = term.onData((data) => ws.readyState === WebSocket.OPEN && ws.send(encoder.encode(data)));
        cleanups.push(() => typing.dispose());
      } catch (error) {
        if (!cancelled)
          setStatus({ kind: "ended", ended: { key: "verbatim", detail: error instanceof Error ? error.message : String(error), offerForce: false } });
      }
    })();
    return () => {
      cancelled = true;
      for (const cleanup of cleanups.reverse()) cleanup();
    };
  }, [client, hostId, uuid, attempt]);

  return (
    <div className="space-y-3">
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        {status.kind === "connecting" && t("serial.connecting")}
        {status.kind === "connected" && t("serial.connected")}
      </p>
      {status.kind === "ended" && (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950">
          <p className="min-w-0 flex-1 break-words">
            <EndedNote ended={status.ended} kind="serial" />
          </p>
          {status.ended.offerForce && (
            <button type="button" className="btn btn-primary" onClick={() => setAttempt((a) => ({ n: a.n + 1, force: true }))}>
              {t("serial.takeOver")}
            </button>
          )}
          <button type="button" className="btn btn-secondary" onClick={() => setAttempt((a) => ({ n: a.n + 1, force: false }))}>
            {t("reconnect")}
          </button>
        </div>
      )}
      <div
        ref={host}
        data-testid="serial-terminal"
        aria-label={t("serial.terminalLabel", { name })}
        className="h-[min(70vh,40rem)] w-full overflow-hidden rounded-md bg-slate-900 p-1"
      />
    </div>
  );
}
