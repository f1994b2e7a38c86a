"use client";

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC, useTRPCClient } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { TextField, CheckboxField } from "@/app/_components/form-fields";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { useToasts } from "@/app/_components/toasts";
import { formatBytes, formatDateTime } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { SpeedMeter, base64ToBytes, baseName, fileNameProblem, joinPath, parentPath, percentDone } from "./transfer-math";
import { TransferCancelled, download, uploadAtomically, uploadInPlace, type GuestFileCalls } from "./transfers";

type Access = inferRouterOutputs<AppRouter>["guest"]["fileAccess"];
type Entry = inferRouterOutputs<AppRouter>["guest"]["fileList"]["entries"][number];
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
  const busy = transfers.some((t) => t.state === "running");
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
      controller: new AbortController(),
    };
    running.current.add(transfer.controller);
    setTransfers((all) => [transfer, ...all]);
    return transfer;
  }

  function update(id: number, change: Partial<Transfer>) {
    setTransfers((all) => all.map((t) => (t.id === id ? { ...t, ...change } : t)));
  }

  function meter(id: number) {
    const speed = new SpeedMeter();
    speed.record(0, performance.now());
    return (done: number, total?: number) => {
      speed.record(done, performance.now());
      update(id, { done, speed: speed.bytesPerSecond(), ...(total === undefined ? {} : { total }) });
    };
  }

  async function finish(t: Transfer, work: () => Promise<string>) {
    try {
      const message = await work();
      update(t.id, { state: "done", message, speed: null });
      toasts.success(`files-${t.id}`, message);
    } catch (err) {
      const cancelled = err instanceof TransferCancelled;
      update(t.id, { state: cancelled ? "cancelled" : "failed", message: cancelled ? cancelledText(t) : messageOf(err), speed: null });
    } finally {
      running.current.delete(t.controller);
    }
  }

  function cancelledText(t: Transfer): string {
    if (t.kind === "download") return "Cancelled.";
    return t.via === "agent"
      ? `Cancelled; the part already sent was removed and ${t.path} is as it was.`
      : `Cancelled; ${t.path} holds the part already written (qemu-guest-agent cannot remove it).`;
  }

  function upload(via: Via, file: File, target: string) {
    const t = begin("upload", via, target, file.size);
    const progress = meter(t.id);
    const options = { calls: callsFor(via), file, target, chunkBytes, signal: t.controller.signal, onProgress: (done: number) => progress(done) };
    void finish(t, async () => {
      if (via === "agent") {
        const { sha256 } = await uploadAtomically({ ...options, random: randomHex() });
        onUploaded(target);
        return `Uploaded ${target} (${formatBytes(file.size)}, SHA-256 ${sha256.slice(0, 12)}… matches).`;
      }
      await uploadInPlace(options);
      onUploaded(target);
      return `Uploaded ${target} (${formatBytes(file.size)}) through qemu-guest-agent, not checked.`;
    });
  }

  function downloadFile(via: Via, path: string, size: number, toDisk: boolean) {
    const t = begin("download", via, path, size);
    const progress = meter(t.id);
    void finish(t, async () => {
      const picker = (window as SavePickerWindow).showSaveFilePicker;
      const writable = toDisk && picker ? await (await picker({ suggestedName: baseName(path) })).createWritable() : null;
      const parts: Uint8Array<ArrayBuffer>[] = [];
      try {
        const result = await download({
          calls: callsFor(via),
          path,
          chunkBytes,
          signal: t.controller.signal,
          sink: (bytes) => (writable ? writable.write(bytes) : void parts.push(bytes)),
          onProgress: (done, total) => progress(done, total),
        });
        if (writable) await writable.close();
        else saveBlob(new Blob(parts, { type: "application/octet-stream" }), baseName(path));
        return result.verified
          ? `Downloaded ${path} (${formatBytes(result.size)}, SHA-256 ${result.sha256.slice(0, 12)}… matches the guest's).`
          : `Downloaded ${path} (${formatBytes(result.size)}) through qemu-guest-agent, not checked.`;
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
    cancel: (t: Transfer) => {
      t.controller.abort();
      update(t.id, { message: t.kind === "upload" ? "Cancelling after the chunk on its way…" : "Cancelling…" });
    },
    dismiss: (t: Transfer) => setTransfers((all) => all.filter((x) => x.id !== t.id)),
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

  if (access.isPending) return <p className="text-sm text-slate-600 dark:text-slate-400">Asking the VM how its files can be reached…</p>;
  if (access.error) return <FormStatus error={access.error.message} />;
  const a = access.data;
  if (!a.running) {
    return <p className="text-sm">{vmName} is not running. Start it; once an agent inside connects, its files can be browsed and transferred here.</p>;
  }
  if (a.via === null) return <NoAgent access={a} />;
  return <Files hostId={hostId} uuid={uuid} access={a as Access & { via: Via }} />;
}

function NoAgent({ access }: { access: Access }) {
  const { agent, qga } = access;
  return (
    <div className="card space-y-2 text-sm" role="status">
      <p className="font-medium">No agent in this VM can reach its files right now.</p>
      <ul className="list-disc space-y-1 pl-5">
        {!agent.channel && (
          <li>The VM has no KVM Manager agent channel (org.kvmmanager.agent.0): add it under the Settings tab&apos;s agent channels, then restart the VM.</li>
        )}
        {agent.channel && agent.state !== "connected" && (
          <li>
            The KVM Manager agent is {agent.state}: install kvmm-agent in the guest and start its service (see the agent&apos;s README).
            {agent.lastError && <span className="block break-words text-xs text-slate-600 dark:text-slate-400">Last error: {agent.lastError}</span>}
          </li>
        )}
        {agent.channel && agent.state === "connected" && !agent.read && !agent.write && (
          <li>The agent is connected but has file_read_enabled and file_write_enabled set to false in its config.</li>
        )}
        {!qga.channel && <li>The VM has no qemu-guest-agent channel either (org.qemu.guest_agent.0).</li>}
        {qga.channel && !qga.connected && <li>qemu-guest-agent is not running in the guest: install the qemu-guest-agent package and start it.</li>}
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

const TYPE_WORDS: Record<Entry["type"], string> = { file: "file", directory: "folder", symlink: "link", other: "other" };

function Browser({ hostId, uuid, access, transfers }: { hostId: string; uuid: string; access: Access; transfers: TransfersApi }) {
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
    if (!path.startsWith("/")) return setPathError("Enter an absolute path in the guest, starting with /.");
    open(path.length > 1 ? path.replace(/\/+$/, "") : path);
  }

  async function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return setUploadError("Choose a file on this computer first.");
    const problem = fileNameProblem(file.name);
    if (problem) return setUploadError(problem);
    const target = joinPath(dir, file.name);
    setUploadError(null);
    const existing = await client.guest.fileStat.query({ hostId, uuid, path: target }).catch(() => null);
    if (existing?.type === "directory") return setUploadError(`${target} is a folder; rename the file before uploading it here.`);
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
          <div className="flex flex-wrap items-center gap-2 text-sm" role="group" aria-label="Folders the agent allows">
            <span className="text-slate-600 dark:text-slate-400">Allowed folders:</span>
            {access.roots.map((root) => (
              <button key={root} type="button" className="btn btn-secondary font-mono" onClick={() => open(root)} aria-pressed={dir === root}>
                {root}
              </button>
            ))}
          </div>
        )}
        <form onSubmit={onPath} className="flex flex-wrap items-end gap-2" aria-label="Go to a folder">
          <TextField
            id={`${id}-path`}
            label="Folder in the guest"
            mono
            className="min-w-0 flex-1 basis-56"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            error={pathError}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className="btn btn-primary" disabled={!hydrated}>
            Open
          </button>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || here === "/"} onClick={() => open(parentPath(here))}>
            Up
          </button>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || listing.isFetching} onClick={() => void listing.refetch()}>
            Refresh
          </button>
        </form>
        {!access.agent.read && <p className="text-sm">The agent has file_read_enabled set to false: folders cannot be listed or files downloaded.</p>}
        <FormStatus error={listing.error?.message ?? null} />
        {listing.data && (
          <div className="overflow-x-auto">
            <table className="w-full table-fixed text-left text-sm" aria-label={`Contents of ${here}`}>
              <thead className="text-xs text-slate-600 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-2">
                    Name
                  </th>
                  <th scope="col" className="hidden w-16 py-2 pr-2 sm:table-cell">
                    Type
                  </th>
                  <th scope="col" className="hidden w-24 py-2 pr-2 text-right sm:table-cell">
                    Size
                  </th>
                  <th scope="col" className="hidden w-48 py-2 pr-2 md:table-cell">
                    Modified
                  </th>
                  <th scope="col" className="w-28 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {entries.length === 0 && (
                  <tr>
                    <td colSpan={5} className="py-2 text-slate-600 dark:text-slate-400">
                      This folder is empty.
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
                          {TYPE_WORDS[entry.type]}
                          {entry.type === "file" && ` · ${formatBytes(entry.size)}`} · {formatDateTime(entry.mtime)}
                        </span>
                      </td>
                      <td className="hidden py-2 pr-2 align-top sm:table-cell">{TYPE_WORDS[entry.type]}</td>
                      <td className="hidden py-2 pr-2 text-right align-top sm:table-cell">{entry.type === "file" ? formatBytes(entry.size) : ""}</td>
                      <td className="hidden py-2 pr-2 align-top md:table-cell">{formatDateTime(entry.mtime)}</td>
                      <td className="py-2 align-top">
                        {entry.type === "file" && (
                          <button
                            type="button"
                            className="btn btn-secondary"
                            disabled={!hydrated}
                            aria-label={`Download ${entry.name}`}
                            onClick={() => transfers.download("agent", path, entry.size, toDisk)}
                          >
                            Download
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {listing.data.truncated && <p className="text-xs">Only the first {entries.length} entries are shown.</p>}
          </div>
        )}
        {canSaveToDisk && (
          <CheckboxField
            id={`${id}-to-disk`}
            checked={toDisk}
            onChange={(e) => setToDisk(e.target.checked)}
            label="Save downloads straight to a file I choose (the browser asks where; nothing is held in memory)"
          />
        )}
      </div>
      {access.agent.write && (
        <form onSubmit={(e) => void onUpload(e)} className="card space-y-3" aria-labelledby={`${id}-upload-heading`}>
          <h3 id={`${id}-upload-heading`} className="text-base font-semibold">
            Upload into <span className="break-all font-mono">{here}</span>
          </h3>
          <div className="text-sm">
            <label htmlFor={`${id}-file`}>File on this computer</label>
            <input id={`${id}-file`} type="file" className="input mt-1" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </div>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            {access.atomicUpload
              ? "Sent in chunks to a hidden temporary file beside the target and checked with SHA-256; only then does it replace the target. Cancel removes the temporary."
              : "This agent is too old to upload safely (it cannot rename or remove files): update kvmm-agent in the guest."}
          </p>
          <FormStatus error={uploadError} />
          <button type="submit" className="btn btn-primary" disabled={!hydrated || !access.atomicUpload}>
            Upload
          </button>
        </form>
      )}
      {replacing && (
        <ConfirmDialog
          title={`Replace ${replacing.target}?`}
          confirmLabel="Replace"
          onConfirm={() => {
            start(replacing.file, replacing.target);
            setReplacing(null);
          }}
          onCancel={() => setReplacing(null)}
        >
          <p className="text-sm">
            A file named <span className="break-all font-mono">{baseName(replacing.target)}</span> is already in this folder. The upload replaces it once all of{" "}
            {formatBytes(replacing.file.size)} has arrived and checked out.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Stock qemu-guest-agent: no listing, so files are named by path. */
function QgaPaths({ hostId, uuid, transfers }: { hostId: string; uuid: string; transfers: TransfersApi }) {
  const hydrated = useHydrated();
  const client = useTRPCClient();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [target, setTarget] = useState("");
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [source, setSource] = useState("");
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  function absoluteProblem(path: string): string | null {
    if (!path.startsWith("/") || path.endsWith("/")) return "Enter the file's absolute path in the guest, such as /tmp/report.txt.";
    return fileNameProblem(baseName(path));
  }

  function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return setUploadError("Choose a file on this computer first.");
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
    if (problem) return setDownloadError(problem);
    setDownloadError(null);
    // The first chunk says whether the file is there (and how big), before a transfer row appears.
    setChecking(true);
    const first = await client.guest.qgaFileRead.mutate({ hostId, uuid, path, offset: 0, length: 1 }).catch((err: unknown) => {
      setDownloadError(messageOf(err));
      return null;
    });
    setChecking(false);
    if (first) transfers.download("qga", path, first.size, false);
  }

  return (
    <div className="space-y-4">
      <div className="card space-y-1 text-sm" role="note" aria-label="About the slower path">
        <p className="font-medium">Slower path: stock qemu-guest-agent</p>
        <p>
          Only qemu-guest-agent answers in this VM. It moves files by path in 64 KiB chunks, each opening and closing the file (a few hundred KiB/s on a small
          VM), cannot list folders, cannot compute a SHA-256 to check a transfer, and cannot rename or remove a file: an upload writes straight into the target,
          so a cancelled one leaves the part already written. Install the KVM Manager agent for browsing, checked and all-or-nothing uploads.
        </p>
      </div>
      <form onSubmit={onUpload} className="card space-y-3" aria-labelledby={`${id}-up`}>
        <h3 id={`${id}-up`} className="text-base font-semibold">
          Upload by path (slower path)
        </h3>
        <div className="text-sm">
          <label htmlFor={`${id}-file`}>File on this computer</label>
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
          label="Save as (path in the guest)"
          mono
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <FormStatus error={uploadError} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated}>
          Upload
        </button>
      </form>
      <form onSubmit={(e) => void onDownload(e)} className="card space-y-3" aria-labelledby={`${id}-down`}>
        <h3 id={`${id}-down`} className="text-base font-semibold">
          Download by path (slower path)
        </h3>
        <TextField
          id={`${id}-source`}
          label="File in the guest"
          mono
          value={source}
          onChange={(e) => setSource(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <FormStatus error={downloadError} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated || checking}>
          {checking ? "Opening…" : "Download"}
        </button>
      </form>
    </div>
  );
}

function Transfers({ list, onCancel, onDismiss }: { list: Transfer[]; onCancel: (t: Transfer) => void; onDismiss: (t: Transfer) => void }) {
  if (list.length === 0) return null;
  return (
    <section className="card space-y-3" aria-labelledby="vm-files-transfers">
      <h3 id="vm-files-transfers" className="text-base font-semibold">
        Transfers
      </h3>
      <ul className="space-y-3">
        {list.map((t) => {
          const label = `${t.kind === "upload" ? "Upload of" : "Download of"} ${t.path}`;
          const percent = percentDone(t.done, t.total);
          return (
            <li key={t.id} className="min-w-0 space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700" aria-label={label}>
              <div className="min-w-0 break-all font-medium">
                {t.kind === "upload" ? "↑ " : "↓ "}
                <span className="font-mono">{t.path}</span>
                {t.via === "qga" && <span className="ml-2 text-xs font-normal text-amber-800 dark:text-amber-300">slower path (qemu-guest-agent)</span>}
              </div>
              <progress
                className="h-3 w-full"
                max={Math.max(t.total, 1)}
                value={t.state === "done" ? Math.max(t.total, 1) : t.done}
                aria-label={`Progress of ${t.path}`}
              />
              <p className="text-xs" data-testid="transfer-figures">
                {formatBytes(t.done)} of {formatBytes(t.total)} ({t.state === "done" ? 100 : percent}%)
                {t.state === "running" && t.speed !== null && <> · {formatBytes(t.speed)}/s</>} ·{" "}
                <span>{t.state === "running" ? (t.kind === "upload" ? "uploading" : "downloading") : t.state}</span>
              </p>
              <div className="[overflow-wrap:anywhere]">
                {t.state === "failed" ? <FormStatus error={t.message} /> : t.message && <p className="text-xs">{t.message}</p>}
              </div>
              <div className="flex flex-wrap gap-2">
                {t.state === "running" ? (
                  <button type="button" className="btn btn-secondary" onClick={() => onCancel(t)} disabled={t.message !== null}>
                    Cancel
                  </button>
                ) : (
                  <button type="button" className="btn btn-secondary" onClick={() => onDismiss(t)}>
                    Dismiss
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
