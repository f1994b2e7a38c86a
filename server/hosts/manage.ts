/**
 * The hosts API (server/api/routers/hosts.ts): list, add, rename, disable/enable, remove. A host's
 * files live in `<data>/hosts/<id>/` (the pinned known_hosts, or the TLS files under `pki/`); the
 * manager's ssh key in `<data>/ssh/` (ssh-keys.ts).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditLog, grants, hosts } from "../db/schema";
import type { SessionUser } from "../users/service";
import { ServiceError } from "../errors";
import { HOST_ID_PATTERN } from "../identifiers";
import { dataDir } from "../config/env";
import { publish } from "../events/bus";
import { auditTargets } from "../audit/targets";
import { scheduleEngine } from "../automation/engine";
import type { AddHostInput, HostConnectionView, HostListItem, HostTransport } from "./contract";
import { getHost, hostAddress, listHostRows, LOCAL_HOST_ID } from "./service";
import { getConnection } from "../libvirt/registry";
import { parseLibvirtUri, unansweredMessage, type Connection } from "../libvirt";
import { parseHostAddress, sameEndpoint, type HostAddress } from "./address";
import { hostKeyFingerprint, knownHostsLine, parseHostKeyLine } from "./host-key";
import { managerKeyFile, managerSshKey } from "./ssh-keys";
import { checkTlsFiles, writeTlsFiles } from "./tls-files";
import { probeHost } from "./probe";
import { startHost, stopHost } from "./lifecycle";
import { assertNoRunningTask, forgetHost } from "./forget";

export { managerSshKey } from "./ssh-keys";
export { scanHostKey } from "./host-key";

/** Every host row (enabled or not) with its live connection state, for the hosts page and host pickers. */
export function hostList(db: Db, _user: SessionUser): HostListItem[] {
  return listHostRows(db).map((row) => {
    const address = hostAddress(row.uri);
    return {
      id: row.id,
      name: row.name,
      address,
      uri: address,
      transport: transportOf(row.id, row.uri),
      enabled: row.enabled,
      local: row.id === LOCAL_HOST_ID,
      connection: row.enabled ? connectionView(getConnection(row.id, row.uri)) : { state: "disabled", error: null },
      hostKeyFingerprint: row.hostKey ? hostKeyFingerprint(parseHostKeyLine(row.hostKey)) : null,
    };
  });
}

function transportOf(hostId: string, uri: string): HostTransport {
  if (hostId === LOCAL_HOST_ID) return "local";
  const { transport } = parseLibvirtUri(uri);
  return transport === "ssh" || transport === "tls" || transport === "tcp" ? transport : "local";
}

/**
 * A connection not yet opened (idle, no error) counts as connecting: the first call opens it. The
 * error loses the URI prefix: it would show the manager's key and file paths, not the address.
 */
function connectionView(conn: Connection): HostConnectionView {
  const error = conn.error ? conn.error.message.split(`${conn.uri}: `).join("") : null;
  const since = conn.unansweredSince;
  if (conn.state === "open") return since ? { state: "unresponsive", error: unansweredMessage(since) } : { state: "connected", error: null };
  if (conn.state === "idle" && error) return { state: "unreachable", error };
  return { state: "connecting", error };
}

/** `<data>/hosts/<id>`: the host's own files; removing the host removes the directory. */
export function hostDir(hostId: string): string {
  return path.join(dataDir(), "hosts", hostId);
}

let adding: Promise<unknown> = Promise.resolve();

/**
 * Checks the address, pins the key or stores the TLS files, connects once (refused with the reason
 * if it cannot), saves. One add at a time: two adds of one name would pick the same id and directory.
 */
export function addHost(db: Db, input: AddHostInput): Promise<{ id: string }> {
  const added = adding.then(() => addOneHost(db, input));
  adding = added.catch(() => undefined);
  return added;
}

async function addOneHost(db: Db, input: AddHostInput): Promise<{ id: string }> {
  const address = parseHostAddress(input.address, input.transport);
  const name = input.name.trim();
  assertNewHost(db, name, address);
  const id = newHostId(db, name);
  const dir = hostDir(id);
  // A directory left by an add that died half-way belongs to no host: start clean.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let uri: string;
  try {
    const files = await writeHostFiles(dir, address, input);
    const refusal = await probeHost(files.uri, address.transport, files.publicKey);
    if (refusal) throw new ServiceError(`host "${name}" (${address.address}): cannot connect: ${refusal}`, "unavailable", { field: "address" });
    db.insert(hosts).values({ id, name, uri: files.uri, hostKey: files.hostKey }).run();
    uri = files.uri;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  await startHost({ id, uri });
  publish({ type: "host.changed", hostId: id });
  return { id };
}

function assertNewHost(db: Db, name: string, address: HostAddress): void {
  for (const row of listHostRows(db)) {
    if (row.name.toLowerCase() === name.toLowerCase()) {
      throw new ServiceError(`a host is already called "${row.name}"`, "conflict", { field: "name" });
    }
    const other = remoteAddress(row.uri);
    if (other && sameEndpoint(other, address)) {
      throw new ServiceError(`host "${row.name}" already has this address (${other.address})`, "conflict", { field: "address" });
    }
  }
}

/** A stored host's address as typed, or null for the local host and hosts reached otherwise (qemu+tcp in tests). */
function remoteAddress(uri: string): HostAddress | null {
  const typed = hostAddress(uri);
  const { transport } = parseLibvirtUri(typed);
  if (transport !== "ssh" && transport !== "tls") return null;
  try {
    return parseHostAddress(typed, transport);
  } catch {
    return null;
  }
}

/**
 * A lowercase slug of the name (`Rack 3 / left` → `rack-3-left`), made unique with `-2`, `-3`….
 * An id that ever named a host is not given again: the audit log and grants name hosts by id, and
 * they must not come to mean a different machine.
 */
function newHostId(db: Db, name: string): string {
  const base =
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 32)
      .replace(/-+$/, "") || "host";
  for (let n = 1; ; n += 1) {
    const suffix = n === 1 ? "" : `-${n}`;
    const id = `${base.slice(0, 32 - suffix.length).replace(/-+$/, "")}${suffix}`;
    if (HOST_ID_PATTERN.test(id) && !idWasUsed(db, id)) return id;
  }
}

function idWasUsed(db: Db, id: string): boolean {
  if (id === LOCAL_HOST_ID || db.select({ id: hosts.id }).from(hosts).where(eq(hosts.id, id)).get()) return true;
  if (
    db
      .select({ id: grants.id })
      .from(grants)
      .where(and(eq(grants.kind, "host"), eq(grants.value, id)))
      .get()
  )
    return true;
  return (
    db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(eq(auditLog.target, auditTargets.host(id)))
      .get() !== undefined
  );
}

/** ssh: the pinned known_hosts; TLS: the checked files. The URI is the address plus the parameters naming them. */
async function writeHostFiles(
  dir: string,
  address: HostAddress,
  input: AddHostInput,
): Promise<{ uri: string; hostKey: string | null; publicKey: string | null }> {
  if (input.transport === "ssh") {
    const key = parseHostKeyLine(input.hostKey);
    const knownHosts = path.join(dir, "known_hosts");
    await writeFile(knownHosts, knownHostsLine(address.host, address.port, key), { mode: 0o600 });
    const { publicKey } = await managerSshKey();
    const params = new URLSearchParams({ keyfile: managerKeyFile(), known_hosts: knownHosts });
    return { uri: `${address.address}?${params}`, hostKey: `${key.algorithm} ${key.blob}`, publicKey };
  }
  checkTlsFiles(input);
  const pki = path.join(dir, "pki");
  await writeTlsFiles(pki, input);
  return { uri: `${address.address}?${new URLSearchParams({ pkipath: pki })}`, hostKey: null, publicKey: null };
}

/** Rename (unique), disable (its connection, events and guest sessions stop) or enable (they start again). */
export async function updateHost(db: Db, hostId: string, change: { name?: string; enabled?: boolean }): Promise<void> {
  const host = getHost(db, hostId);
  if (hostId === LOCAL_HOST_ID && change.enabled === false) {
    throw new ServiceError(`host "${hostId}" is this machine's own libvirtd: it cannot be disabled`, "invalid", { field: "enabled" });
  }
  const name = change.name?.trim();
  const clash = name === undefined ? undefined : listHostRows(db).find((row) => row.id !== hostId && row.name.toLowerCase() === name.toLowerCase());
  if (clash) throw new ServiceError(`a host is already called "${clash.name}"`, "conflict", { field: "name" });
  const enabled = change.enabled ?? host.enabled;
  db.update(hosts)
    .set({ name: name ?? host.name, enabled })
    .where(eq(hosts.id, hostId))
    .run();
  if (enabled && !host.enabled) await startHost(host);
  if (!enabled && host.enabled) await stopHost(hostId);
  publish({ type: "host.changed", hostId });
}

/** Forgets the host: its VMs keep running; the manager's rows about them go (the audit log stays). */
export async function removeHost(db: Db, hostId: string, confirmName: string): Promise<void> {
  const host = getHost(db, hostId);
  if (hostId === LOCAL_HOST_ID) throw new ServiceError(`host "${hostId}" is this machine's own libvirtd: it cannot be removed`, "invalid");
  if (confirmName !== host.name) {
    throw new ServiceError(`host "${hostId}": type the host's name, "${host.name}", exactly to remove it`, "invalid", { field: "confirmName" });
  }
  assertNoRunningTask(db, hostId);
  const { scheduleIds } = forgetHost(db, hostId);
  for (const id of scheduleIds) scheduleEngine(db).refresh(id);
  await stopHost(hostId);
  await rm(hostDir(hostId), { recursive: true, force: true });
  publish({ type: "host.changed", hostId });
}
