import { createHash, randomBytes, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { ResolvedHost } from "../hosts/connection";
import { isNoStorageVol } from "../libvirt";
import { processSingleton } from "../process-shared";
import { auditTargets } from "../audit/targets";
import { writeAudit } from "../audit/log";
import { userCoversHost } from "../hosts/scope";
import { publish } from "../events/bus";
import { ServiceError, withLibvirtContext } from "../errors";
import { openPool } from "./pools";
import { createVolume, deleteVolume, uploadVolume } from "./volumes";
import { taskRunner, type TaskHandle } from "../tasks/runner";

/**
 * Filling a new volume from outside: an upload from the browser, or a download the host makes
 * from an http(s) URL. Both stream into libvirt's virStorageVolUpload; no file is ever held whole
 * in memory, on the server or in the browser.
 *
 * Why a streaming HTTP route and not tRPC chunks: tRPC bodies are read whole and capped at 2 MiB
 * (server/http/body-limit.ts), so a 4 GiB ISO would take thousands of calls, each opening its own
 * libvirt stream. Instead `storage.startUpload` (tRPC: validated, permission-checked, audited)
 * declares the size up front, checks it against the pool's free space and creates the raw volume;
 * then the browser PUTs the file's bytes, from an offset, to `/api/storage/uploads/<id>`
 * (app/api/storage/uploads/[id]/route.ts: signed-in, same-origin, the starter only, one audit row
 * per PUT), whose body is piped with backpressure into the volume at that offset.
 *
 * Resume: when a PUT ends early (the user cancelled, the connection dropped) the bytes that did
 * arrive are complete bytes of the file, so the libvirt stream is finished normally instead of
 * aborted: libvirtd confirms they are written and the transfer's committed offset moves past them.
 * The next PUT starts at that offset (a PUT at any other offset is answered 409 with the committed
 * one), so nothing is sent twice. The SHA-256, when the user gave one, is computed as the bytes
 * pass; a PUT that fails in libvirt puts the hash back to where it started (Hash.copy()).
 *
 * Transfers live in this process (a restart forgets them: a half-filled volume then stays as an
 * ordinary volume, which the user deletes and uploads again). An unfinished transfer keeps the rest
 * of its size reserved in the pool's free space until it completes or is cancelled. Progress is published on the event
 * bus (`storage.transfer`) at most every PROGRESS_EVERY_MS, to users whose grants cover the host.
 *
 * Each transfer is also a task (server/tasks/, kind volume.upload or volume.download): its row
 * carries the bytes, how it ended and a short log, and survives the transfer's hour on this list
 * (and a restart, as "interrupted"). A cancel, from the pool's page or the tasks page, goes through
 * the task (`requestCancel` → `stop`), which stops the bytes and deletes the half-filled volume.
 */

export type TransferKind = "upload" | "url";
/**
 * receiving: bytes are flowing; paused: an upload waiting for its next PUT; done and failed are
 * final; cancelled: stopped by a user and taken off the list (its volume deleted).
 */
export type TransferState = "receiving" | "paused" | "done" | "failed" | "cancelled";

/** What a page shows of a transfer. */
export interface TransferView {
  id: string;
  kind: TransferKind;
  hostId: string;
  pool: string;
  volume: string;
  /** The file's name on the user's computer, or the URL. */
  source: string;
  totalBytes: number;
  /** Bytes stored in the volume so far (for an upload: where the next PUT must start). */
  bytes: number;
  state: TransferState;
  /** In plain words, for a failed transfer. */
  error: string | null;
  expectedSha256: string | null;
  /** The SHA-256 of the whole file, once complete. */
  sha256: string | null;
  startedBy: string;
  startedByUserId: number;
  startedAt: string;
  endedAt: string | null;
  /** The task row that records it (server/tasks/). */
  taskId: string;
}

interface Transfer extends TransferView {
  hash: Hash;
  /** The PUT or download in flight; a new PUT waits for it to settle. */
  active: Promise<unknown> | null;
  abort: AbortController | null;
  /** Who started it: its half-made volume is deleted on their behalf (a failed check, a cancel). */
  owner: SessionUser;
  task: TaskHandle;
  /** Set once a cancel began: settles when the bytes have stopped and the volume is deleted. */
  stopping: Promise<void> | null;
}

const transfers = processSingleton("storageTransfers", () => new Map<string, Transfer>());

const PROGRESS_EVERY_MS = 500;
/** A finished or failed transfer stays listed this long, so its page can show how it ended. */
const KEEP_ENDED_MS = 60 * 60_000;
const MAX_REDIRECTS = 5;
const HEADERS_TIMEOUT_MS = 30_000;

function view(t: Transfer): TransferView {
  const { hash: _hash, active: _active, abort: _abort, owner: _owner, task: _task, stopping: _stopping, ...rest } = t;
  return { ...rest };
}

function announce(t: Transfer): void {
  t.task.progress({ bytesDone: t.bytes });
  publish({ type: "storage.transfer", hostId: t.hostId, pool: t.pool, transfer: view(t) });
}

function prune(now = Date.now()): void {
  for (const [id, t] of transfers) {
    if (t.endedAt && now - Date.parse(t.endedAt) > KEEP_ENDED_MS) transfers.delete(id);
  }
}

/** Transfers into a pool, for users whose grants cover the host (the others never see the host's storage as a whole). */
export function listTransfers(user: SessionUser, hostId: string, pool: string): TransferView[] {
  prune();
  if (!userCoversHost(user, hostId)) return [];
  return [...transfers.values()].filter((t) => t.hostId === hostId && t.pool === pool).map(view);
}

/** Bytes the pool can still take: libvirt's free space less what unfinished transfers into it will still write. */
async function roomIn(host: ResolvedHost, poolName: string): Promise<number> {
  const { conn, pool, context } = await openPool(host, poolName);
  const info = await withLibvirtContext(context, () => conn.storagePoolGetInfo({ pool }));
  let reserved = 0;
  for (const t of transfers.values()) {
    if (t.hostId === host.id && t.pool === poolName && (t.state === "receiving" || t.state === "paused")) {
      reserved += t.totalBytes - t.bytes;
    }
  }
  return Number(info.available) - reserved;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

async function newTransfer(
  db: Db,
  host: ResolvedHost,
  user: SessionUser,
  poolName: string,
  spec: { kind: TransferKind; name: string; source: string; totalBytes: number; capacityBytes: number; sha256?: string },
): Promise<Transfer> {
  const context = auditTargets.volume(host.id, poolName, spec.name);
  for (const t of transfers.values()) {
    if (t.hostId === host.id && t.pool === poolName && t.volume === spec.name && !t.endedAt)
      throw new ServiceError(`${context}: a transfer into it is under way`, "conflict");
  }
  const room = await roomIn(host, poolName);
  if (spec.capacityBytes > room) {
    throw new ServiceError(`${context}: the file needs ${gib(spec.capacityBytes)} but the pool has ${gib(Math.max(0, room))} free`, "invalid");
  }
  // Raw: an ISO or disk image is stored byte for byte, as the file it is.
  await createVolume(host, poolName, { name: spec.name, format: "raw", capacityBytes: spec.capacityBytes });
  const task = taskRunner(db).open({
    kind: spec.kind === "upload" ? "volume.upload" : "volume.download",
    target: { hostId: host.id, kind: "volume", name: `${poolName}/${spec.name}` },
    user,
    detail: spec.source,
    cancellable: true,
    bytesTotal: spec.totalBytes,
  });
  task.log(spec.kind === "upload" ? `Receiving ${spec.source} from the browser` : `Downloading ${spec.source}`);
  const t: Transfer = {
    id: randomBytes(16).toString("hex"),
    kind: spec.kind,
    hostId: host.id,
    pool: poolName,
    volume: spec.name,
    source: spec.source,
    totalBytes: spec.totalBytes,
    bytes: 0,
    state: spec.kind === "upload" ? "paused" : "receiving",
    error: null,
    expectedSha256: spec.sha256?.toLowerCase() ?? null,
    sha256: null,
    startedBy: user.username,
    startedByUserId: user.id,
    owner: user,
    startedAt: new Date().toISOString(),
    endedAt: null,
    hash: createHash("sha256"),
    active: null,
    abort: null,
    taskId: task.id,
    task,
    stopping: null,
  };
  task.onCancel(() => {
    t.stopping = stop(host, t);
    // A cancel from the tasks page has no one waiting on it: the task's error says what failed.
    t.stopping.catch(() => undefined);
  });
  transfers.set(t.id, t);
  announce(t);
  return t;
}

export interface StartUploadSpec {
  name: string;
  sizeBytes: number;
  fileName: string;
  sha256?: string;
}

/** Creates the volume an upload fills (size checked against the pool's free space); the bytes come by `receiveUpload`. */
export async function startUpload(db: Db, host: ResolvedHost, user: SessionUser, poolName: string, spec: StartUploadSpec): Promise<TransferView> {
  const t = await newTransfer(db, host, user, poolName, {
    kind: "upload",
    name: spec.name,
    source: spec.fileName,
    totalBytes: spec.sizeBytes,
    capacityBytes: spec.sizeBytes,
    sha256: spec.sha256,
  });
  return view(t);
}

/**
 * Passes the source's bytes on, counting and hashing them, and publishes progress now and then.
 * A source that fails with something other than a ServiceError is a client that went away: the
 * stream then ends, so what arrived before is kept (unless `cut` says to fail instead).
 */
async function* tallied(t: Transfer, source: AsyncIterable<Uint8Array>, limit: number, counter: { bytes: number }, cut: AbortSignal): AsyncGenerator<Buffer> {
  const context = auditTargets.volume(t.hostId, t.pool, t.volume);
  const base = t.bytes;
  let lastReport = Date.now();
  // A report skipped for being too soon is sent when its time comes, so a stalled source still shows where it stands.
  let trailing: NodeJS.Timeout | null = null;
  const report = () => {
    if (trailing) clearTimeout(trailing);
    trailing = null;
    lastReport = Date.now();
    t.bytes = base + counter.bytes;
    announce(t);
  };
  try {
    for await (const raw of source) {
      if (cut.aborted) throw new ServiceError(`${context}: cancelled`, "conflict");
      const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (counter.bytes + chunk.length > limit) throw new ServiceError(`${context}: more than the ${limit} bytes declared`, "invalid");
      counter.bytes += chunk.length;
      t.hash.update(chunk);
      const wait = PROGRESS_EVERY_MS - (Date.now() - lastReport);
      if (wait <= 0) report();
      else trailing ??= setTimeout(report, wait);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof ServiceError || cut.aborted) throw err;
  } finally {
    if (trailing) clearTimeout(trailing);
    t.bytes = base;
  }
}

export interface ReceiveOptions {
  offset: number;
  /** Content-Length of the PUT. */
  length: number;
  body: AsyncIterable<Uint8Array>;
}

function transferOf(user: SessionUser, id: string): Transfer {
  const t = transfers.get(id);
  // Someone else's upload answers as a missing one: its id tells nothing.
  if (!t || t.kind !== "upload" || t.startedByUserId !== user.id) throw new ServiceError(`upload ${id}: no such upload of yours`, "not_found");
  return t;
}

/** Where an upload's bytes go, for the audit row of a PUT; null when it is not the user's. */
export function uploadTarget(user: SessionUser, id: string): { hostId: string; target: string } | null {
  const t = transfers.get(id);
  return t && t.kind === "upload" && t.startedByUserId === user.id ? { hostId: t.hostId, target: auditTargets.volume(t.hostId, t.pool, t.volume) } : null;
}

/** Where the next PUT of the user's upload must start (after any PUT in flight has settled). */
export async function committedBytes(user: SessionUser, id: string): Promise<number> {
  const t = transferOf(user, id);
  while (t.active) await t.active.catch(() => undefined);
  return t.bytes;
}

/**
 * Writes one PUT's bytes into the upload's volume at `offset`, which must be the committed one.
 * Resolves with the transfer as it stands after (paused when the body ended early, done or failed
 * when it was the last byte).
 */
export async function receiveUpload(host: ResolvedHost, user: SessionUser, id: string, options: ReceiveOptions): Promise<TransferView> {
  const t = transferOf(user, id);
  const context = auditTargets.volume(t.hostId, t.pool, t.volume);
  // A resume right after a cancel: the cancelled PUT is still being committed.
  while (t.active) await t.active.catch(() => undefined);
  if (t.endedAt) throw new ServiceError(`${context}: the upload has ended (${t.state})`, "conflict");
  if (options.offset !== t.bytes) throw new ServiceError(`${context}: the upload continues at byte ${t.bytes}, not ${options.offset}`, "conflict");
  const remaining = t.totalBytes - t.bytes;
  if (options.length > remaining) throw new ServiceError(`${context}: ${options.length} bytes sent, only ${remaining} remain of the declared size`, "invalid");
  const abort = new AbortController();
  const run = (async () => {
    const before = t.hash.copy();
    const counter = { bytes: 0 };
    t.state = "receiving";
    announce(t);
    try {
      await uploadVolume(host, t.pool, t.volume, Readable.from(tallied(t, options.body, options.length, counter, abort.signal)), { offset: t.bytes });
      t.bytes += counter.bytes;
    } catch (err) {
      t.hash = before;
      t.state = "paused";
      announce(t);
      throw err;
    }
    if (t.bytes === t.totalBytes) await complete(host, t);
    else {
      t.task.log(`Paused at byte ${t.bytes} of ${t.totalBytes}: waiting for the browser to send the rest`);
      t.state = "paused";
      announce(t);
    }
  })();
  t.active = run;
  t.abort = abort;
  try {
    await run;
  } finally {
    t.active = null;
    t.abort = null;
  }
  return view(t);
}

/** The last byte is in: compare the SHA-256, delete the volume when it differs. */
async function complete(host: ResolvedHost, t: Transfer): Promise<void> {
  t.sha256 = t.hash.digest("hex");
  t.endedAt = new Date().toISOString();
  if (t.expectedSha256 && t.expectedSha256 !== t.sha256) {
    t.state = "failed";
    t.error = `The file's SHA-256 is ${t.sha256}, not the ${t.expectedSha256} you gave: the volume ${t.volume} was deleted.`;
    await deleteVolume(host, t.owner, t.pool, t.volume).catch((err: unknown) => {
      t.error = `The file's SHA-256 is ${t.sha256}, not the ${t.expectedSha256} you gave, and deleting the volume ${t.volume} failed: ${(err as Error).message}`;
    });
  } else {
    t.state = "done";
  }
  announce(t);
  if (t.state === "done") t.task.succeed({ volume: t.volume, pool: t.pool, bytes: t.bytes, sha256: t.sha256 });
  else t.task.fail(t.error);
}

function fail(t: Transfer, message: string): void {
  t.state = "failed";
  t.error = message;
  t.endedAt = new Date().toISOString();
  announce(t);
  t.task.fail(message);
}

/**
 * Stops a transfer and deletes its volume; a transfer that has ended is only taken off the list
 * (its volume, when it succeeded, stays).
 */
export async function cancelTransfer(host: ResolvedHost, user: SessionUser, poolName: string, id: string): Promise<void> {
  const t = transfers.get(id);
  if (!t || t.hostId !== host.id || t.pool !== poolName || !userCoversHost(user, host.id)) {
    throw new ServiceError(`${auditTargets.pool(host.id, poolName)}: no transfer ${id}`, "not_found");
  }
  if (t.endedAt) {
    transfers.delete(id);
    return;
  }
  t.task.requestCancel();
  await t.stopping;
}

/** A cancel (through the task): stops the bytes, takes the transfer off the list and deletes its volume; the task ends cancelled. */
async function stop(host: ResolvedHost, t: Transfer): Promise<void> {
  t.abort?.abort();
  while (t.active) await t.active.catch(() => undefined);
  transfers.delete(t.id);
  t.state = "cancelled";
  t.endedAt = new Date().toISOString();
  announce(t);
  try {
    await deleteVolume(host, t.owner, t.pool, t.volume).catch((err: unknown) => (isNoStorageVol(err) ? undefined : Promise.reject(err)));
  } catch (err) {
    t.task.cancelled(`Stopped after ${t.bytes} bytes, but deleting the volume ${t.volume} failed: ${(err as Error).message}`);
    throw err;
  }
  t.task.cancelled(`Stopped after ${t.bytes} bytes; the volume ${t.volume} was deleted.`);
}

/** An http(s) URL without credentials in it (they would end up in the audit log), or a message why not. */
export function checkDownloadUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Enter a full address starting with http:// or https://.";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `Only http:// and https:// addresses can be downloaded, not ${url.protocol}//.`;
  if (url.username || url.password) return "Put no user name or password in the address: it would be kept in the audit log.";
  return url;
}

/** Follows up to MAX_REDIRECTS redirects itself, so that each hop is checked to be http(s). */
async function fetchChecked(start: URL, signal: AbortSignal, context: string): Promise<Response> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { redirect: "manual", signal: AbortSignal.any([signal, AbortSignal.timeout(HEADERS_TIMEOUT_MS)]) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ServiceError(`${context}: cannot reach ${url.host}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, "unavailable", { cause: err });
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      await res.body?.cancel();
      const next = checkDownloadUrl(new URL(res.headers.get("location")!, url).href);
      if (typeof next === "string") throw new ServiceError(`${context}: ${url.host} redirects elsewhere: ${next}`, "invalid");
      url = next;
      continue;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new ServiceError(`${context}: ${url.host} answered ${res.status} ${res.statusText || ""}`.trimEnd(), "invalid");
    }
    return res;
  }
  throw new ServiceError(`${context}: more than ${MAX_REDIRECTS} redirects`, "invalid");
}

export interface StartDownloadSpec {
  name: string;
  url: string;
  sha256?: string;
}

/**
 * The host downloads `url` into a new volume. Resolves once the server has answered and the volume
 * exists (so a wrong address, a refusal or a file too large is told at once); the bytes then flow
 * in the background, seen on the page through `storage.transfer` events. `db` records how it ended.
 */
export async function startUrlDownload(db: Db, host: ResolvedHost, user: SessionUser, poolName: string, spec: StartDownloadSpec): Promise<TransferView> {
  const context = auditTargets.volume(host.id, poolName, spec.name);
  const url = checkDownloadUrl(spec.url);
  if (typeof url === "string") throw new ServiceError(`${context}: ${url}`, "invalid");
  const abort = new AbortController();
  const res = await fetchChecked(url, abort.signal, context);
  const declared = Number(res.headers.get("content-length") ?? NaN);
  let t: Transfer;
  try {
    // The size must be known before the first byte, to check it against the pool's free space
    // (and libvirt will not shrink a volume below what was written, to cut a guessed size down after).
    if (!Number.isSafeInteger(declared) || declared <= 0) {
      throw new ServiceError(
        `${context}: ${url.host} does not say how large the file is (no Content-Length), so it cannot be checked against the pool's free space`,
        "invalid",
      );
    }
    t = await newTransfer(db, host, user, poolName, {
      kind: "url",
      name: spec.name,
      source: url.href,
      totalBytes: declared,
      capacityBytes: declared,
      sha256: spec.sha256,
    });
  } catch (err) {
    await res.body?.cancel();
    throw err;
  }
  t.abort = abort;
  const run = download(host, t, res, abort.signal).then(
    () =>
      abort.signal.aborted ||
      writeAudit(db, {
        userId: user.id,
        username: user.username,
        action: "storage.urlDownloadEnded",
        target: context,
        input: { url: url.href, bytes: t.bytes },
        result: t.state === "done" ? "ok" : "error",
        error: t.error,
      }),
    () => undefined,
  );
  t.active = run;
  void run.finally(() => {
    t.active = null;
    t.abort = null;
  });
  return view(t);
}

async function download(host: ResolvedHost, t: Transfer, res: Response, signal: AbortSignal): Promise<void> {
  const counter = { bytes: 0 };
  try {
    const body = res.body! as unknown as AsyncIterable<Uint8Array>;
    await uploadVolume(host, t.pool, t.volume, Readable.from(tallied(t, body, t.totalBytes, counter, signal)), { offset: 0 });
    t.bytes = counter.bytes;
    if (t.bytes !== t.totalBytes) throw new Error(`the server sent ${t.bytes} of the ${t.totalBytes} bytes it announced`);
  } catch (err) {
    if (signal.aborted) return;
    fail(t, `Downloading ${t.source} failed after ${counter.bytes} bytes: ${(err as Error).message}. The volume ${t.volume} was deleted.`);
    await deleteVolume(host, t.owner, t.pool, t.volume).catch(() => undefined);
    return;
  }
  await complete(host, t);
}
