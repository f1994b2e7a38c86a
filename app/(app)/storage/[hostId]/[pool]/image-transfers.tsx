"use client";

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useTranslations } from "next-intl";
import type { AppRouter } from "@/server/api/root";
import { NAME_PATTERN } from "@/server/identifiers";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ADD_IMAGE_ANCHOR } from "@/app/(app)/storage/no-iso-hint";

/**
 * Putting ISOs and disk images into a pool: an upload from this computer (streamed to the volume,
 * with progress, speed, cancel and resume) or a download the host makes from a URL; both with an
 * optional SHA-256 the server checks at the end. How the bytes travel: server/storage/transfers.ts.
 */

type Transfer = inferRouterOutputs<AppRouter>["storage"]["transfers"][number];
type T = ReturnType<typeof useTranslations<"storage.transfers">>;

/** A file name made into a volume name (letters, digits, . _ -), or "" when nothing usable is left. */
export function volumeNameFor(fileName: string): string {
  const name = fileName
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return NAME_PATTERN.test(name) ? name : "";
}

/** What the user typed as a SHA-256, or a message in words. */
function checkSha256(text: string, t: T): { value: string | undefined } | { error: string } {
  const value = text.trim();
  if (value === "") return { value: undefined };
  return /^[0-9a-fA-F]{64}$/.test(value) ? { value: value.toLowerCase() } : { error: t("sha256Invalid") };
}

/** Bytes per second over the last few seconds of progress. */
class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];

  add(bytes: number): number | null {
    const now = performance.now();
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 3000) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds >= 0.25 ? (bytes - first.bytes) / seconds : null;
  }
}

/** An upload this tab is sending: the file and the request in flight. */
interface Sending {
  file: File;
  xhr: XMLHttpRequest | null;
  bytes: number;
  speed: number | null;
  /** Why it stopped, when the user did not ask. */
  error: string | null;
}

interface PutAnswer {
  error?: string;
  committedBytes?: number | null;
}

/**
 * PUTs `file` from `offset` to the upload's route, reporting progress; resolves with the server's
 * answer. A 409 (another offset was committed) is retried from the offset the server gives.
 */
function put(
  t: T,
  transferId: string,
  file: File,
  offset: number,
  onProgress: (bytes: number) => void,
  onRequest: (xhr: XMLHttpRequest) => void,
): Promise<{ ok: true; transfer: Transfer } | { ok: false; aborted: boolean; message: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/storage/uploads/${transferId}?offset=${offset}`);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(offset + e.loaded);
    xhr.onload = () => {
      const answer = (xhr.response ?? {}) as PutAnswer & Transfer;
      if (xhr.status === 200) return resolve({ ok: true, transfer: answer });
      if (xhr.status === 409 && typeof answer.committedBytes === "number" && answer.committedBytes !== offset) {
        return resolve(put(t, transferId, file, answer.committedBytes, onProgress, onRequest));
      }
      resolve({ ok: false, aborted: false, message: answer.error ?? t("serverAnswered", { status: xhr.status }) });
    };
    xhr.onabort = () => resolve({ ok: false, aborted: true, message: t("cancelled") });
    xhr.onerror = () => resolve({ ok: false, aborted: false, message: t("connectionLost") });
    onRequest(xhr);
    // A slice of a File is read from disk as it is sent, never loaded whole.
    xhr.send(file.slice(offset));
  });
}

export function ImageTransfers({ hostId, pool, canManage }: { hostId: string; pool: string; canManage: boolean }) {
  const t = useTranslations("storage.transfers");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = { hostId, pool };
  const transfersKey = trpc.storage.transfers.queryKey(ref);
  const transfers = useQuery({ ...trpc.storage.transfers.queryOptions(ref), refetchInterval: 30_000 });
  const [sending, setSending] = useState<Record<string, Sending>>({});
  const sendingRef = useRef(sending);
  sendingRef.current = sending;

  useLiveEvent("storage.transfer", (event) => {
    if (event.hostId !== hostId || event.pool !== pool) return;
    if (event.transfer.state === "cancelled")
      queryClient.setQueryData(transfersKey, (old: Transfer[] | undefined) => old?.filter((t) => t.id !== event.transfer.id));
    else upsert(event.transfer);
    if (event.transfer.endedAt) void queryClient.invalidateQueries({ queryKey: trpc.storage.volumes.queryKey(ref) });
  });

  /** Puts a transfer the server answered with into the list (its event may come before or after). */
  const upsert = (transfer: Transfer) =>
    queryClient.setQueryData(transfersKey, (old: Transfer[] | undefined) => [...(old ?? []).filter((t) => t.id !== transfer.id), transfer]);

  const update = (id: string, change: Partial<Sending>) => setSending((all) => (all[id] ? { ...all, [id]: { ...all[id], ...change } } : all));

  /** Sends the file from where the server says the upload stands. */
  async function send(transfer: Transfer, file: File) {
    const meter = new SpeedMeter();
    setSending((all) => ({ ...all, [transfer.id]: { file, xhr: null, bytes: transfer.bytes, speed: null, error: null } }));
    const result = await put(
      t,
      transfer.id,
      file,
      transfer.bytes,
      (bytes) => update(transfer.id, { bytes, speed: meter.add(bytes) }),
      (xhr) => update(transfer.id, { xhr }),
    );
    if (result.ok) {
      setSending(({ [transfer.id]: _done, ...rest }) => rest);
      upsert(result.transfer);
      void queryClient.invalidateQueries({ queryKey: trpc.storage.volumes.queryKey(ref) });
    } else {
      update(transfer.id, { xhr: null, speed: null, error: result.aborted ? null : result.message });
      void queryClient.invalidateQueries({ queryKey: transfersKey });
    }
  }

  useEffect(() => () => Object.values(sendingRef.current).forEach((s) => s.xhr?.abort()), []);

  const list = [...(transfers.data ?? [])].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return (
    <section id={ADD_IMAGE_ANCHOR} className="card scroll-mt-4 space-y-4" aria-labelledby="add-image-heading">
      <h3 id="add-image-heading" className="text-base font-semibold">
        {t("heading")}
      </h3>
      {canManage && (
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
          <UploadForm
            hostId={hostId}
            pool={pool}
            onStarted={(transfer, file) => {
              upsert(transfer);
              void send(transfer, file);
            }}
          />
          <UrlForm hostId={hostId} pool={pool} onStarted={upsert} />
        </div>
      )}
      <FormStatus error={transfers.error?.message ?? null} />
      {list.length > 0 && (
        <ul className="space-y-3" aria-label={t("listLabel")}>
          {list.map((transfer) => (
            <TransferRow
              key={transfer.id}
              transfer={transfer}
              sending={sending[transfer.id] ?? null}
              canManage={canManage}
              onResume={(file) => void send(transfer, file)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function UploadForm({ hostId, pool, onStarted }: { hostId: string; pool: string; onStarted: (transfer: Transfer, file: File) => void }) {
  const t = useTranslations("storage.transfers");
  const trpc = useTRPC();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const start = useMutation(trpc.storage.startUpload.mutationOptions());

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const sha = checkSha256(String(new FormData(formEl).get("sha256") ?? ""), t);
    if (!file) return setLocalError(t("upload.chooseFile"));
    if (file.size === 0) return setLocalError(t("upload.empty", { file: file.name }));
    if (!NAME_PATTERN.test(name)) return setLocalError(t("upload.badName"));
    if ("error" in sha) return setLocalError(sha.error);
    setLocalError(null);
    start.mutate(
      { hostId, pool, name, sizeBytes: file.size, fileName: file.name, sha256: sha.value },
      {
        onSuccess: (transfer) => {
          onStarted(transfer, file);
          formEl.reset();
          setFile(null);
          setName("");
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3" aria-labelledby={`${id}-heading`}>
      <h4 id={`${id}-heading`} className="text-sm font-semibold">
        {t("upload.heading")}
      </h4>
      <div className="text-sm">
        <label htmlFor={`${id}-file`}>{t("upload.file")}</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".iso,.img,.raw,.qcow2,application/x-iso9660-image"
          className="input mt-1"
          onChange={(e) => {
            const chosen = e.target.files?.[0] ?? null;
            setFile(chosen);
            if (chosen) setName(volumeNameFor(chosen.name));
          }}
        />
      </div>
      <TextField id={`${id}-name`} label={t("saveAs")} name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" required />
      <TextField id={`${id}-sha`} label={t("sha256")} hint={t("sha256Hint")} name="sha256" mono autoComplete="off" spellCheck={false} />
      <SubmitRow label={t("upload.submit")} pendingLabel={t("upload.pending")} pending={start.isPending} error={localError ?? start.error?.message ?? null} />
    </form>
  );
}

function UrlForm({ hostId, pool, onStarted }: { hostId: string; pool: string; onStarted: (transfer: Transfer) => void }) {
  const t = useTranslations("storage.transfers");
  const trpc = useTRPC();
  const id = useId();
  const [localError, setLocalError] = useState<string | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const download = useMutation(trpc.storage.downloadFromUrl.mutationOptions());

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const url = String(form.get("url") ?? "").trim();
    const name = String(form.get("name") ?? "").trim() || volumeNameFor(url.split(/[?#]/)[0]!.split("/").pop() ?? "");
    const sha = checkSha256(String(form.get("sha256") ?? ""), t);
    setStarted(null);
    if (!/^https?:\/\//i.test(url)) return setLocalError(t("url.badAddress"));
    if (!NAME_PATTERN.test(name)) return setLocalError(t("url.badName"));
    if ("error" in sha) return setLocalError(sha.error);
    setLocalError(null);
    download.mutate(
      { hostId, pool, name, url, sha256: sha.value },
      {
        onSuccess: (transfer) => {
          onStarted(transfer);
          setStarted(t("url.started", { volume: transfer.volume }));
          formEl.reset();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3" aria-labelledby={`${id}-heading`}>
      <h4 id={`${id}-heading`} className="text-sm font-semibold">
        {t("url.heading")}
      </h4>
      <TextField id={`${id}-url`} label={t("url.address")} name="url" type="url" mono autoComplete="off" required placeholder={t("url.addressPlaceholder")} />
      <TextField id={`${id}-name`} label={t("saveAs")} hint={t("url.nameHint")} name="name" autoComplete="off" />
      <TextField id={`${id}-sha`} label={t("sha256")} hint={t("sha256Hint")} name="sha256" mono autoComplete="off" spellCheck={false} />
      <SubmitRow
        label={t("url.submit")}
        pendingLabel={t("url.pending")}
        pending={download.isPending}
        error={localError ?? download.error?.message ?? null}
        success={started}
      />
    </form>
  );
}

function TransferRow({
  transfer: job,
  sending,
  canManage,
  onResume,
}: {
  transfer: Transfer;
  sending: Sending | null;
  canManage: boolean;
  onResume: (file: File) => void;
}) {
  const t = useTranslations("storage.transfers.row");
  const f = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const id = useId();
  const [resumeError, setResumeError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation(
    trpc.storage.cancelTransfer.mutationOptions({
      onSuccess: () => {
        queryClient.setQueryData(trpc.storage.transfers.queryKey({ hostId: job.hostId, pool: job.pool }), (old: Transfer[] | undefined) =>
          (old ?? []).filter((x) => x.id !== job.id),
        );
        void queryClient.invalidateQueries({ queryKey: trpc.storage.volumes.queryKey({ hostId: job.hostId, pool: job.pool }) });
      },
    }),
  );
  const inFlight = sending?.xhr != null;
  const bytes = inFlight ? sending.bytes : job.bytes;
  const ended = job.endedAt !== null;
  const where = { source: job.source, volume: job.volume };
  const label = job.kind === "upload" ? t("uploadLabel", where) : t("downloadLabel", where);
  const state = inFlight
    ? "uploading"
    : ended
      ? job.state === "done"
        ? job.expectedSha256
          ? "doneVerified"
          : "done"
        : "failed"
      : job.kind === "url"
        ? "downloading"
        : sending
          ? "stopped"
          : job.state === "receiving"
            ? "otherTab"
            : "stopped";
  // Only the user who started an upload holds its file; others can only cancel it.
  const me = useQuery(trpc.auth.me.queryOptions());
  const mine = job.kind === "upload" && !ended && me.data?.id === job.startedByUserId;

  /** Stops what this tab sends, then has the server stop the transfer (deleting the volume unless it has ended). */
  function discard() {
    sending?.xhr?.abort();
    cancel.mutate({ hostId: job.hostId, pool: job.pool, id: job.id });
  }

  function resumeWith(file: File | undefined) {
    if (!file) return;
    if (file.size !== job.totalBytes)
      return setResumeError(t("resumeWrongFile", { file: file.name, size: f.bytes(file.size), total: f.bytes(job.totalBytes), source: job.source }));
    setResumeError(null);
    onResume(file);
  }

  return (
    <li className="min-w-0 space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700" aria-label={label}>
      <div className="min-w-0 break-all font-medium" translate="no">
        {job.volume}
      </div>
      <div className="min-w-0 break-all text-xs text-slate-600 dark:text-slate-400">
        {t(job.kind === "upload" ? "fromComputer" : "fromUrl", { source: job.source, user: job.startedBy })}
      </div>
      <progress className="h-3 w-full" max={job.totalBytes} value={bytes} aria-label={t("progressLabel", { volume: job.volume })} />
      <p className="text-xs" aria-live="polite">
        {t("progress", { done: f.bytes(bytes), total: f.bytes(job.totalBytes), percent: f.number(Math.floor((bytes / job.totalBytes) * 100)) })} ·{" "}
        <span>{t(`state.${state}`)}</span>
        {inFlight && sending.speed !== null && <> · {t("speed", { speed: f.number(sending.speed / 1e6, 1) })}</>}
      </p>
      {job.state === "done" && job.sha256 && <p className="break-all font-mono text-xs">{t("sha256", { sha: job.sha256 })}</p>}
      {/* A SHA-256 or URL in a message is one long word: it wraps anywhere rather than widen a phone's page. */}
      <div className="[overflow-wrap:anywhere]">
        <FormStatus error={job.error ?? sending?.error ?? resumeError ?? (confirming ? null : cancel.error?.message) ?? null} />
      </div>
      {canManage && (
        <div className="flex flex-wrap items-center gap-2" role="group" aria-label={t("actions", { volume: job.volume })}>
          {inFlight && (
            <button type="button" className="btn btn-secondary" onClick={() => sending.xhr?.abort()}>
              {t("pause")}
            </button>
          )}
          {mine && !inFlight && sending && (
            <button type="button" className="btn btn-primary" disabled={!hydrated} onClick={() => onResume(sending.file)}>
              {t("resume")}
            </button>
          )}
          {mine && !inFlight && !sending && job.state === "paused" && (
            <div className="text-sm">
              <label htmlFor={`${id}-resume`}>{t("resumeWith")}</label>
              <input id={`${id}-resume`} type="file" className="input mt-1" onChange={(e) => resumeWith(e.target.files?.[0])} />
            </div>
          )}
          {ended ? (
            <button type="button" className="btn btn-secondary" disabled={!hydrated || cancel.isPending} onClick={() => discard()}>
              {t("dismiss")}
            </button>
          ) : (
            <button type="button" className="btn btn-secondary text-red-700 dark:text-red-300" disabled={!hydrated} onClick={() => setConfirming(true)}>
              {t("cancelAndDelete")}
            </button>
          )}
        </div>
      )}
      {confirming && !ended && (
        <ConfirmDelete
          what={t("confirmWhat", { volume: job.volume })}
          confirmLabel={t("confirm")}
          mutation={cancel}
          onConfirm={() => discard()}
          onCancel={() => setConfirming(false)}
        >
          <p className="text-sm">
            {t.rich("confirmText", {
              volume: job.volume,
              size: f.bytes(bytes),
              code: (chunks) => (
                <span className="break-all font-mono" translate="no">
                  {chunks}
                </span>
              ),
            })}
          </p>
        </ConfirmDelete>
      )}
    </li>
  );
}
