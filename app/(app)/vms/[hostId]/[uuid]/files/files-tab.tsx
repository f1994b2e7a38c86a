"use client";

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC, useTRPCClient } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { TextField, CheckboxField } from "@/app/_components/form-fields";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { useToasts } from "@/app/_components/toasts";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { SpeedMeter, base64ToBytes, baseName, fileNameProblem, joinPath, parentPath, percentDone } from "./transfer-math";
import { TransferCancelled, TransferFailed, download, uploadAtomically, uploadInPlace, type GuestFileCalls } from "./transfers";
import { nameProblemText, transferProblemText } from "./transfer-words";

type Access = inferRouterOutputs<AppRouter>["guest"]["fileAccess"];
type Via = "agent" | "qga";

interface Transfer {
  id: number;
  kind: "upload" | "download";
  via: Via;
  path: string;
  total: number;
  done: number;
  speed: number | null;
  state: "running" | "done" | "cancelled" | "failed";
  message: string | null;
  /** The message is the server's (or the guest's) own words: shown as sent, not translated. */
  verbatim: boolean;
  controller: AbortController;
}

/** The File System Access API's save picker (Chromium); absent from TypeScript's DOM library. */
interface SavePickerWindow {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<{
    createWritable(): Promise<{ write(data: Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  }>;
}

const NO_AGENT_RECHECK_MS = 3_000;

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Binds the transfer engine's calls to tRPC: our agent's methods, or qemu-ga's by path. */
function useGuestFileCalls(hostId: string, uuid: string) {
  const client = useTRPCClient();
  const ref = { hostId, uuid };
  return (via: Via): GuestFileCalls =>
    via === "agent"
      ? {
          write: async (path, offset, contentBase64) => void (await client.guest.fileWrite.mutate({ ...ref, path, offset, contentBase64 })),
          read: async (path, offset, length, signal) => {
            const chunk = await client.guest.fileRead.mutate({ ...ref, path, offset, length }, { signal });
            return { bytes: base64ToBytes(chunk.content_base64), size: chunk.size, eof: chunk.eof };
          },
          stat: async (path) => {
            const info = await client.guest.fileStat.query({ ...ref, path, sha256: true });
            return { size: info.size, sha256: info.sha256 };
          },
          rename: async (from, to) => void (await client.guest.fileRename.mutate({ ...ref, from, to })),
          remove: async (path) => void (await client.guest.fileRemove.mutate({ ...ref, path })),
        }
      : {
          write: async (path, offset, contentBase64) => void (await client.guest.qgaFileWrite.mutate({ ...ref, path, offset, contentBase64 })),
          read: async (path, offset, length, signal) => {
            const chunk = await client.guest.qgaFileRead.mutate({ ...ref, path, offset, length }, { signal });
            return { bytes: base64ToBytes(chunk.contentBase64), size: chunk.size, eof: chunk.eof };
          },
        };
}

/** The transfers this browser tab runs: started here, shown with progress, speed and Cancel. */
function useTransfers(hostId: string, uuid: string, chunkBytes: number, onUploaded: (path: string) => void) {
  const t = useTranslations("vmFiles.transfers");
  const tf = useTranslations("vmFiles");
  const f = useFormat();
  const callsFor = useGuestFileCalls(hostId, uuid);
  const toasts = useToasts();
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const nextId = useRef(1);
  const running = useRef(new Set<AbortController>());
  useEffect(() => {
    const all = running.current;
    return () => all.forEach((controller) => controller.abort());
  }, []);
  // Leaving the page within the app cancels (above) and cleans up; closing the tab cannot, so the browser asks first.
  const busy = transfers.some((x) => x.state === "running");
  useEffect(() => {
    if (!busy) return;
    const ask = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [busy]);

  function begin(kind: Transfer["kind"], via: Via, path: string, total: number): Transfer {
    const transfer: Transfer = {
      id: nextId.current++,
      kind,
      via,
      path,
      total,
      done: 0,
      speed: null,
      state: "running",
      message: null,
      verbatim: false,
      controller: new AbortController(),
    };
    running.current.add(transfer.controller);
    setTransfers((all) => [transfer, ...all]);
    return transfer;
  }

  function update(id: number, change: Partial<Transfer>) {
    setTransfers((all) => all.map((x) => (x.id === id ? { ...x, ...change } : x)));
  }

  function meter(id: number) {
    const speed = new SpeedMeter();
    speed.record(0, performance.now());
    return (done: number, total?: number) => {
      speed.record(done, performance.now());
      update(id, { done, speed: speed.bytesPerSecond(), ...(total === undefined ? {} : { total }) });
    };
  }

  async function finish(transfer: Transfer, work: () => Promise<string>) {
    try {
      const message = await work();
      update(transfer.id, { state: "done", message, speed: null });
      toasts.success(`files-${transfer.id}`, message);
    } catch (err) {
      if (err instanceof TransferCancelled) update(transfer.id, { state: "cancelled", message: cancelledText(transfer), speed: null });
      else if (err instanceof TransferFailed) update(transfer.id, { state: "failed", message: transferProblemText(tf, err.problem), speed: null });
      else update(transfer.id, { state: "failed", message: messageOf(err), verbatim: true, speed: null });
    } finally {
      running.current.delete(transfer.controller);
    }
  }

  function cancelledText(transfer: Transfer): string {
    if (transfer.kind === "download") return t("cancelledDownload");
    return transfer.via === "agent" ? t("cancelledAgent", { path: transfer.path }) : t("cancelledQga", { path: transfer.path });
  }

  function upload(via: Via, file: File, target: string) {
    const transfer = begin("upload", via, target, file.size);
    const progress = meter(transfer.id);
    const options = { calls: callsFor(via), file, target, chunkBytes, signal: transfer.controller.signal, onProgress: (done: number) => progress(done) };
    void finish(transfer, async () => {
      if (via === "agent") {
        const { sha256 } = await uploadAtomically({ ...options, random: randomHex() });
        onUploaded(target);
        return t("uploadedChecked", { path: target, size: f.bytes(file.size), sha256: sha256.slice(0, 12) });
      }
      await uploadInPlace(options);
      onUploaded(target);
      return t("uploadedQga", { path: target, size: f.bytes(file.size) });
    });
  }

  function downloadFile(via: Via, path: string, size: number, toDisk: boolean) {
    const transfer = begin("download", via, path, size);
    const progress = meter(transfer.id);
    void finish(transfer, async () => {
      const picker = (window as SavePickerWindow).showSaveFilePicker;
      const writable = toDisk && picker ? await (await picker({ suggestedName: baseName(path) })).createWritable() : null;
      const parts: Uint8Array<ArrayBuffer>[] = [];
      try {
        const result = await download({
          calls: callsFor(via),
          path,
          chunkBytes,
          signal: transfer.controller.signal,
          sink: (bytes) => (writable ? writable.write(bytes) : void parts.push(bytes)),
          onProgress: (done, total) => progress(done, total),
        });
        if (writable) await writable.close();
        else saveBlob(new Blob(parts, { type: "application/octet-stream" }), baseName(path));
        return result.verified
          ? t("downloadedChecked", { path, size: f.bytes(result.size), sha256: result.sha256.slice(0, 12) })
          : t("downloadedQga", { path, size: f.bytes(result.size) });
      } catch (err) {
        await writable?.abort().catch(() => undefined);
        throw err;
      }
    });
  }

  return {
    transfers,
    upload,
    download: downloadFile,
    cancel: (transfer: Transfer) => {
      transfer.controller.abort();
      update(transfer.id, { message: transfer.kind === "upload" ? t("cancellingUpload") : t("cancelling") });
    },
    dismiss: (transfer: Transfer) => setTransfers((all) => all.filter((x) => x.id !== transfer.id)),
  };
}

/** Hands a Blob to the browser as a download of `name`. */
function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy once click() returns; a minute covers slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function FilesTab({ hostId, uuid, vmName }: { hostId: string; uuid: string; vmName: string }) {
  const t = useTranslations("vmFiles");
  const trpc = useTRPC();
  const ref = { hostId, uuid };
  // While the VM runs but no agent answers, ask again every few seconds: an agent that connected
  // before this page's event stream opened sends no further event, and the hub's answer is in memory.
  const access = useQuery(
    trpc.guest.fileAccess.queryOptions(ref, {
      refetchInterval: (query) => (query.state.data?.running && query.state.data.via === null ? NO_AGENT_RECHECK_MS : false),
    }),
  );
  const mine = (event: { hostId: string; uuid: string }) => event.hostId === hostId && event.uuid === uuid;
  useLiveRefetch(["guest.status", "domain.lifecycle"], (event) => (mine(event) ? [trpc.guest.fileAccess.queryKey(ref)] : []));

  if (access.isPending) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("asking")}</p>;
  if (access.error)
    return (
      <div translate="no">
        <FormStatus error={access.error.message} />
      </div>
    );
  const a = access.data;
  if (!a.running) {
    return <p className="text-sm">{t("notRunning", { name: vmName })}</p>;
  }
  if (a.via === null) return <NoAgent access={a} />;
  return <Files hostId={hostId} uuid={uuid} access={a as Access & { via: Via }} />;
}

const AGENT_STATES = ["connecting", "disconnected", "absent"] as const;
const isAgentState = (state: string): state is (typeof AGENT_STATES)[number] => (AGENT_STATES as readonly string[]).includes(state);

function NoAgent({ access }: { access: Access }) {
  const t = useTranslations("vmFiles.noAgent");
  const { agent, qga } = access;
  return (
    <div className="card space-y-2 text-sm" role="status">
      <p className="font-medium">{t("title")}</p>
      <ul className="list-disc space-y-1 pl-5">
        {!agent.channel && <li>{t("noChannel")}</li>}
        {agent.channel && agent.state !== "connected" && (
          <li>
            {t("notConnected", { state: isAgentState(agent.state) ? t(`agentStates.${agent.state}`) : agent.state })}
            {agent.lastError && (
              <span className="block break-words text-xs text-slate-600 dark:text-slate-400">
                {t.rich("lastError", { error: agent.lastError, detail: (chunks) => <span translate="no">{chunks}</span> })}
              </span>
            )}
          </li>
        )}
        {agent.channel && agent.state === "connected" && !agent.read && !agent.write && <li>{t("filesDisabled")}</li>}
        {!qga.channel && <li>{t("noQgaChannel")}</li>}
        {qga.channel && !qga.connected && <li>{t("qgaNotRunning")}</li>}
      </ul>
    </div>
  );
}

function Files({ hostId, uuid, access }: { hostId: string; uuid: string; access: Access & { via: Via } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const transfers = useTransfers(hostId, uuid, access.chunkBytes, (path) => {
    void queryClient.invalidateQueries({ queryKey: trpc.guest.fileList.queryKey({ hostId, uuid, path: parentPath(path) }) });
  });
  return (
    <div className="space-y-4">
      {access.via === "agent" ? (
        <Browser hostId={hostId} uuid={uuid} access={access} transfers={transfers} />
      ) : (
        <QgaPaths hostId={hostId} uuid={uuid} transfers={transfers} />
      )}
      <Transfers list={transfers.transfers} onCancel={transfers.cancel} onDismiss={transfers.dismiss} />
    </div>
  );
}

type TransfersApi = ReturnType<typeof useTransfers>;

function Browser({ hostId, uuid, access, transfers }: { hostId: string; uuid: string; access: Access; transfers: TransfersApi }) {
  const t = useTranslations("vmFiles");
  const f = useFormat();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const hydrated = useHydrated();
  const id = useId();
  const [dir, setDir] = useState(access.roots[0] ?? "/tmp");
  const [typed, setTyped] = useState(dir);
  const [pathError, setPathError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [replacing, setReplacing] = useState<{ file: File; target: string } | null>(null);
  const [toDisk, setToDisk] = useState(false);
  const canSaveToDisk = hydrated && typeof (window as SavePickerWindow).showSaveFilePicker === "function";
  const listing = useQuery(trpc.guest.fileList.queryOptions({ hostId, uuid, path: dir }, { enabled: access.agent.read }));

  function open(path: string) {
    setDir(path);
    setTyped(path);
    setPathError(null);
  }

  function onPath(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const path = typed.trim();
    if (!path.startsWith("/")) return setPathError(t("browser.absolutePath"));
    open(path.length > 1 ? path.replace(/\/+$/, "") : path);
  }

  async function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return setUploadError(t("upload.chooseFile"));
    const problem = fileNameProblem(file.name);
    if (problem) return setUploadError(nameProblemText(t, problem));
    const target = joinPath(dir, file.name);
    setUploadError(null);
    const existing = await client.guest.fileStat.query({ hostId, uuid, path: target }).catch(() => null);
    if (existing?.type === "directory") return setUploadError(t("browser.isFolder", { path: target }));
    if (existing) return setReplacing({ file, target });
    start(file, target);
  }

  function start(chosen: File, target: string) {
    transfers.upload("agent", chosen, target);
    setFile(null);
    const input = document.getElementById(`${id}-file`) as HTMLInputElement | null;
    if (input) input.value = "";
  }

  const entries = [...(listing.data?.entries ?? [])].sort((x, y) =>
    x.type === "directory" && y.type !== "directory" ? -1 : y.type === "directory" && x.type !== "directory" ? 1 : x.name.localeCompare(y.name),
  );
  const here = listing.data?.path ?? dir;
  return (
    <div className="space-y-4">
      <div className="card space-y-3">
        {access.roots.length > 0 && (
          <div className="flex flex-wrap items-center gap-2 text-sm" role="group" aria-label={t("browser.rootsLabel")}>
            <span className="text-slate-600 dark:text-slate-400">{t("browser.roots")}</span>
            {access.roots.map((root) => (
              <button key={root} type="button" className="btn btn-secondary font-mono" onClick={() => open(root)} aria-pressed={dir === root}>
                {root}
              </button>
            ))}
          </div>
        )}
        <form onSubmit={onPath} className="flex flex-wrap items-end gap-2" aria-label={t("browser.goTo")}>
          <TextField
            id={`${id}-path`}
            label={t("browser.folder")}
            mono
            className="min-w-0 flex-1 basis-56"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            error={pathError}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className="btn btn-primary" disabled={!hydrated}>
            {t("browser.open")}
          </button>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || here === "/"} onClick={() => open(parentPath(here))}>
            {t("browser.up")}
          </button>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || listing.isFetching} onClick={() => void listing.refetch()}>
            {t("browser.refresh")}
          </button>
        </form>
        {!access.agent.read && <p className="text-sm">{t("browser.readDisabled")}</p>}
        <div translate="no">
          <FormStatus error={listing.error?.message ?? null} />
        </div>
        {listing.data && (
          <div className="overflow-x-auto">
            <table className="w-full table-fixed text-left text-sm" aria-label={t("browser.contentsOf", { path: here })}>
              <thead className="text-xs text-slate-600 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-2">
                    {t("browser.name")}
                  </th>
                  <th scope="col" className="hidden w-16 py-2 pr-2 sm:table-cell">
                    {t("browser.type")}
                  </th>
                  <th scope="col" className="hidden w-24 py-2 pr-2 text-right sm:table-cell">
                    {t("browser.size")}
                  </th>
                  <th scope="col" className="hidden w-48 py-2 pr-2 md:table-cell">
                    {t("browser.modified")}
                  </th>
                  <th scope="col" className="w-28 py-2">
                    <span className="sr-only">{t("browser.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {entries.length === 0 && (
                  <tr>
                    <td colSpan={5} className="py-2 text-slate-600 dark:text-slate-400">
                      {t("browser.empty")}
                    </td>
                  </tr>
                )}
                {entries.map((entry) => {
                  const path = joinPath(here, entry.name);
                  return (
                    <tr key={entry.name} className="border-t border-slate-200 dark:border-slate-700">
                      <td className="min-w-0 py-2 pr-2 align-top">
                        {entry.type === "directory" || entry.type === "symlink" ? (
                          <button type="button" className="break-all text-left font-mono text-sky-700 underline dark:text-sky-300" onClick={() => open(path)}>
                            {entry.name}
                            {entry.type === "directory" ? "/" : ""}
                          </button>
                        ) : (
                          <span className="break-all font-mono">{entry.name}</span>
                        )}
                        <span className="block text-xs text-slate-600 sm:hidden dark:text-slate-400">
                          {t(`types.${entry.type}`)}
                          {entry.type === "file" && ` · ${f.bytes(entry.size)}`} · {f.dateTime(entry.mtime)}
                        </span>
                      </td>
                      <td className="hidden py-2 pr-2 align-top sm:table-cell">{t(`types.${entry.type}`)}</td>
                      <td className="hidden py-2 pr-2 text-right align-top sm:table-cell">{entry.type === "file" ? f.bytes(entry.size) : ""}</td>
                      <td className="hidden py-2 pr-2 align-top md:table-cell">{f.dateTime(entry.mtime)}</td>
                      <td className="py-2 align-top">
                        {entry.type === "file" && (
                          <button
                            type="button"
                            className="btn btn-secondary"
                            disabled={!hydrated}
                            aria-label={t("browser.downloadLabel", { name: entry.name })}
                            onClick={() => transfers.download("agent", path, entry.size, toDisk)}
                          >
                            {t("browser.download")}
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {listing.data.truncated && <p className="text-xs">{t("browser.truncated", { count: entries.length })}</p>}
          </div>
        )}
        {canSaveToDisk && <CheckboxField id={`${id}-to-disk`} checked={toDisk} onChange={(e) => setToDisk(e.target.checked)} label={t("browser.toDisk")} />}
      </div>
      {access.agent.write && (
        <form onSubmit={(e) => void onUpload(e)} className="card space-y-3" aria-labelledby={`${id}-upload-heading`}>
          <h3 id={`${id}-upload-heading`} className="text-base font-semibold">
            {t.rich("upload.heading", { path: here, mono: (chunks) => <span className="break-all font-mono">{chunks}</span> })}
          </h3>
          <div className="text-sm">
            <label htmlFor={`${id}-file`}>{t("upload.file")}</label>
            <input id={`${id}-file`} type="file" className="input mt-1" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </div>
          <p className="text-xs text-slate-600 dark:text-slate-400">{access.atomicUpload ? t("upload.atomic") : t("upload.agentTooOld")}</p>
          <FormStatus error={uploadError} />
          <button type="submit" className="btn btn-primary" disabled={!hydrated || !access.atomicUpload}>
            {t("upload.submit")}
          </button>
        </form>
      )}
      {replacing && (
        <ConfirmDialog
          title={t("upload.replaceTitle", { path: replacing.target })}
          confirmLabel={t("upload.replace")}
          onConfirm={() => {
            start(replacing.file, replacing.target);
            setReplacing(null);
          }}
          onCancel={() => setReplacing(null)}
        >
          <p className="text-sm">
            {t.rich("upload.replaceBody", {
              name: baseName(replacing.target),
              size: f.bytes(replacing.file.size),
              mono: (chunks) => <span className="break-all font-mono">{chunks}</span>,
            })}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Stock qemu-guest-agent: no listing, so files are named by path. */
function QgaPaths({ hostId, uuid, transfers }: { hostId: string; uuid: string; transfers: TransfersApi }) {
  const t = useTranslations("vmFiles");
  const hydrated = useHydrated();
  const client = useTRPCClient();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [target, setTarget] = useState("");
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [source, setSource] = useState("");
  const [downloadError, setDownloadError] = useState<{ text: string; verbatim: boolean } | null>(null);
  const [checking, setChecking] = useState(false);

  function absoluteProblem(path: string): string | null {
    if (!path.startsWith("/") || path.endsWith("/")) return t("qga.absolutePath");
    const problem = fileNameProblem(baseName(path));
    return problem && nameProblemText(t, problem);
  }

  function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return setUploadError(t("upload.chooseFile"));
    const path = target.trim() || "";
    const problem = absoluteProblem(path);
    if (problem) return setUploadError(problem);
    setUploadError(null);
    transfers.upload("qga", file, path);
  }

  async function onDownload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const path = source.trim();
    const problem = absoluteProblem(path);
    if (problem) return setDownloadError({ text: problem, verbatim: false });
    setDownloadError(null);
    // The first chunk says whether the file is there (and how big), before a transfer row appears.
    setChecking(true);
    const first = await client.guest.qgaFileRead.mutate({ hostId, uuid, path, offset: 0, length: 1 }).catch((err: unknown) => {
      setDownloadError({ text: messageOf(err), verbatim: true });
      return null;
    });
    setChecking(false);
    if (first) transfers.download("qga", path, first.size, false);
  }

  return (
    <div className="space-y-4">
      <div className="card space-y-1 text-sm" role="note" aria-label={t("qga.noteLabel")}>
        <p className="font-medium">{t("qga.noteTitle")}</p>
        <p>{t("qga.note")}</p>
      </div>
      <form onSubmit={onUpload} className="card space-y-3" aria-labelledby={`${id}-up`}>
        <h3 id={`${id}-up`} className="text-base font-semibold">
          {t("qga.uploadHeading")}
        </h3>
        <div className="text-sm">
          <label htmlFor={`${id}-file`}>{t("upload.file")}</label>
          <input
            id={`${id}-file`}
            type="file"
            className="input mt-1"
            onChange={(e) => {
              const chosen = e.target.files?.[0] ?? null;
              setFile(chosen);
              if (chosen && !target) setTarget(`/tmp/${chosen.name}`);
            }}
          />
        </div>
        <TextField
          id={`${id}-target`}
          label={t("qga.saveAs")}
          mono
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <FormStatus error={uploadError} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated}>
          {t("upload.submit")}
        </button>
      </form>
      <form onSubmit={(e) => void onDownload(e)} className="card space-y-3" aria-labelledby={`${id}-down`}>
        <h3 id={`${id}-down`} className="text-base font-semibold">
          {t("qga.downloadHeading")}
        </h3>
        <TextField
          id={`${id}-source`}
          label={t("qga.source")}
          mono
          value={source}
          onChange={(e) => setSource(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <div translate={downloadError?.verbatim ? "no" : undefined}>
          <FormStatus error={downloadError?.text ?? null} />
        </div>
        <button type="submit" className="btn btn-primary" disabled={!hydrated || checking}>
          {checking ? t("qga.opening") : t("browser.download")}
        </button>
      </form>
    </div>
  );
}

function Transfers({ list, onCancel, onDismiss }: { list: Transfer[]; onCancel: (x: Transfer) => void; onDismiss: (x: Transfer) => void }) {
  const t = useTranslations("vmFiles.transfers");
  const f = useFormat();
  if (list.length === 0) return null;
  return (
    <section className="card space-y-3" aria-labelledby="vm-files-transfers">
      <h3 id="vm-files-transfers" className="text-base font-semibold">
        {t("heading")}
      </h3>
      <ul className="space-y-3">
        {list.map((x) => {
          const label = x.kind === "upload" ? t("uploadOf", { path: x.path }) : t("downloadOf", { path: x.path });
          const percent = percentDone(x.done, x.total);
          return (
            <li key={x.id} className="min-w-0 space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700" aria-label={label}>
              <div className="min-w-0 break-all font-medium">
                {x.kind === "upload" ? "↑ " : "↓ "}
                <span className="font-mono">{x.path}</span>
                {x.via === "qga" && <span className="ml-2 text-xs font-normal text-amber-800 dark:text-amber-300">{t("slowerPath")}</span>}
              </div>
              <progress
                className="h-3 w-full"
                max={Math.max(x.total, 1)}
                value={x.state === "done" ? Math.max(x.total, 1) : x.done}
                aria-label={t("progressOf", { path: x.path })}
              />
              <p className="text-xs" data-testid="transfer-figures">
                {t("figures", { done: f.bytes(x.done), total: f.bytes(x.total), percent: f.number(x.state === "done" ? 100 : percent) })}
                {x.state === "running" && x.speed !== null && <> · {t("speed", { speed: f.bytes(x.speed) })}</>} ·{" "}
                <span>{t(`states.${x.state === "running" ? (x.kind === "upload" ? "uploading" : "downloading") : x.state}`)}</span>
              </p>
              <div className="[overflow-wrap:anywhere]" translate={x.verbatim ? "no" : undefined}>
                {x.state === "failed" ? <FormStatus error={x.message} /> : x.message && <p className="text-xs">{x.message}</p>}
              </div>
              <div className="flex flex-wrap gap-2">
                {x.state === "running" ? (
                  <button type="button" className="btn btn-secondary" onClick={() => onCancel(x)} disabled={x.message !== null}>
                    {t("cancel")}
                  </button>
                ) : (
                  <button type="button" className="btn btn-secondary" onClick={() => onDismiss(x)}>
                    {t("dismiss")}
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
