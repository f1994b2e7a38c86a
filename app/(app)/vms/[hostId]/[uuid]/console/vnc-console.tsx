"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type RFB from "@novnc/novnc";
import { useTranslations } from "next-intl";
import { useTRPCClient } from "@/app/_components/trpc";
import { chord, KEY_COMBOS, typeText, type KeyStroke } from "./keys";
import { consoleUrl, endedWords, type Ended } from "./console-socket";
import { EndedNote } from "./ended-note";

type Status = { kind: "connecting" } | { kind: "connected" } | { kind: "ended"; ended: Ended };

/** The touch keyboard's text arrives as input events; these keys arrive only as keydown. */
const TOUCH_KEYS: Record<string, KeyStroke["key"]> = {
  Backspace: { keysym: 0xff08, code: "Backspace" },
  Enter: { keysym: 0xff0d, code: "Enter" },
  Tab: { keysym: 0xff09, code: "Tab" },
  Escape: { keysym: 0xff1b, code: "Escape" },
};

/**
 * The VM's screen through noVNC. noVNC is an ES module that touches the DOM when loaded, so it is
 * imported in the browser only, when the console opens. The WebSocket is made here and handed to
 * noVNC, so that its close code (why the server ended it) can be shown in words.
 */
export function VncConsole({ hostId, uuid, name }: { hostId: string; uuid: string; name: string }) {
  const t = useTranslations("vmConsole");
  const client = useTRPCClient();
  const frame = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [status, setStatus] = useState<Status>({ kind: "connecting" });
  const [attempt, setAttempt] = useState(0);
  const [fit, setFit] = useState(true);
  const [resize, setResize] = useState(false);
  const [text, setText] = useState("");
  const [typedNote, setTypedNote] = useState<string | null>(null);
  const [touch, setTouch] = useState(false);
  const touchInput = useRef<HTMLInputElement>(null);
  const settings = useRef({ fit, resize });
  settings.current = { fit, resize };

  useEffect(() => setTouch(window.matchMedia("(pointer: coarse)").matches), []);

  useEffect(() => {
    let cancelled = false;
    let rfb: RFB | null = null;
    setStatus({ kind: "connecting" });
    void (async () => {
      try {
        const [{ default: Rfb }, ticket] = await Promise.all([import("@novnc/novnc"), client.consoles.ticket.mutate({ hostId, uuid, kind: "vnc" })]);
        if (cancelled || !screen.current) return;
        const ws = new WebSocket(consoleUrl(ticket.path));
        ws.addEventListener("close", (event) => {
          if (!cancelled) setStatus({ kind: "ended", ended: endedWords(event.code, event.reason) });
        });
        rfb = new Rfb(screen.current, ws, { shared: true });
        rfbRef.current = rfb;
        rfb.scaleViewport = settings.current.fit;
        rfb.resizeSession = settings.current.resize;
        rfb.background = "#0f172a";
        rfb.addEventListener("connect", () => !cancelled && setStatus({ kind: "connected" }));
        rfb.addEventListener("securityfailure", () => !cancelled && setStatus({ kind: "ended", ended: { key: "vncPassword", detail: "", offerForce: false } }));
      } catch (error) {
        if (!cancelled)
          setStatus({ kind: "ended", ended: { key: "verbatim", detail: error instanceof Error ? error.message : String(error), offerForce: false } });
      }
    })();
    return () => {
      cancelled = true;
      rfbRef.current = null;
      rfb?.disconnect();
    };
  }, [client, hostId, uuid, attempt]);

  useEffect(() => {
    if (rfbRef.current) rfbRef.current.scaleViewport = fit;
  }, [fit]);
  useEffect(() => {
    if (rfbRef.current) rfbRef.current.resizeSession = resize;
  }, [resize]);

  const send = useCallback((strokes: KeyStroke[]) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    for (const { key, down } of strokes) rfb.sendKey(key.keysym, key.code, down);
  }, []);

  const typeIntoGuest = (value: string) => {
    const { strokes, skipped } = typeText(value);
    send(strokes);
    setTypedNote(skipped.length ? t("vnc.notTyped", { chars: [...new Set(skipped)].join(" ") }) : null);
  };

  const connected = status.kind === "connected";
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label={t("vnc.toolbarLabel", { name })}>
        <div className="flex rounded-md" role="group" aria-label={t("vnc.screenSize")}>
          <button type="button" className={`btn ${fit ? "btn-primary" : "btn-secondary"} rounded-r-none`} aria-pressed={fit} onClick={() => setFit(true)}>
            {t("vnc.scaleToFit")}
          </button>
          <button type="button" className={`btn ${!fit ? "btn-primary" : "btn-secondary"} rounded-l-none`} aria-pressed={!fit} onClick={() => setFit(false)}>
            {t("vnc.oneToOne")}
          </button>
        </div>
        <button type="button" className="btn btn-secondary" onClick={() => void frame.current?.requestFullscreen?.()}>
          {t("vnc.fullScreen")}
        </button>
        <label className="flex min-h-11 items-center gap-2 text-sm">
          <input type="checkbox" checked={resize} onChange={(e) => setResize(e.target.checked)} />
          {t("vnc.resizeGuest")}
        </label>
        <details className="relative">
          <summary className="btn btn-secondary cursor-pointer list-none">{t("vnc.sendKeys")}</summary>
          <ul className="card absolute z-20 mt-1 max-h-80 w-56 overflow-y-auto p-1" aria-label={t("vnc.keyCombinations")}>
            {KEY_COMBOS.map((combo) => (
              <li key={`${combo.name}${combo.n ?? ""}`}>
                <button
                  type="button"
                  className="min-h-11 w-full rounded px-3 text-left text-sm hover:bg-slate-100 disabled:opacity-60 dark:hover:bg-slate-800"
                  disabled={!connected}
                  onClick={(e) => {
                    send(chord(combo.keys));
                    e.currentTarget.closest("details")?.removeAttribute("open");
                  }}
                >
                  {combo.name === "ctrlAltF" ? t("combos.ctrlAltF", { n: combo.n ?? 0 }) : t(`combos.${combo.name}`)}
                </button>
              </li>
            ))}
          </ul>
        </details>
        {touch && (
          <button type="button" className="btn btn-secondary" disabled={!connected} onClick={() => touchInput.current?.focus()}>
            {t("vnc.keyboard")}
          </button>
        )}
      </div>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          typeIntoGuest(text);
          setText("");
        }}
      >
        <label className="min-w-0 flex-1 text-sm" htmlFor="console-type-text">
          {t("vnc.typeLabel")}
          <input
            id="console-type-text"
            className="input mt-1"
            type="password"
            autoComplete="off"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby="console-type-text-hint"
          />
        </label>
        <button type="submit" className="btn btn-secondary" disabled={!connected || text === ""}>
          {t("vnc.typeSubmit")}
        </button>
        <p id="console-type-text-hint" className="w-full text-xs text-slate-500 dark:text-slate-400">
          {t("vnc.typeHint")}
        </p>
        {typedNote && <p className="w-full text-sm text-amber-700 dark:text-amber-400">{typedNote}</p>}
      </form>
      <input
        ref={touchInput}
        aria-label={t("vnc.touchInput")}
        className="absolute h-px w-px opacity-0"
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        value=""
        onChange={(e) => typeIntoGuest(e.target.value)}
        onKeyDown={(e) => {
          const key = TOUCH_KEYS[e.key];
          if (!key) return;
          e.preventDefault();
          send(chord([key]));
        }}
      />
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        {status.kind === "connecting" && t("vnc.connecting")}
        {status.kind === "connected" && t("vnc.connected")}
      </p>
      {status.kind === "ended" && (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950">
          <p className="min-w-0 flex-1 break-words">
            <EndedNote ended={status.ended} kind="graphical" />
          </p>
          <button type="button" className="btn btn-primary" onClick={() => setAttempt((n) => n + 1)}>
            {t("reconnect")}
          </button>
        </div>
      )}
      <div ref={frame} className="bg-slate-900 [&:fullscreen>div]:h-screen">
        <div
          ref={screen}
          data-testid="vnc-screen"
          aria-label={t("vnc.screenLabel", { name })}
          className={`w-full ${fit ? "aspect-[4/3] max-h-[80vh]" : "h-[75vh] overflow-auto"}`}
        />
      </div>
    </div>
  );
}
