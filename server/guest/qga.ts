// Stock qemu-guest-agent, reached through libvirt: libvirtd owns the org.qemu.guest_agent.0
// channel and exposes what it reads from it (virDomainGetGuestInfo, virDomainInterfaceAddresses)
// and a raw command pass-through (virDomainQemuAgentCommand).
//
// What qemu-ga says is what the guest chose to say: libvirt caps a reply at 10 MiB (and 2,048
// typed parameters), nothing more. So lists are read up to the bounds our own agent keeps to
// (agent/protocol/bounds.ts) and flagged `truncated` beyond them, and every answer is checked
// against a schema with bounded strings before it is used; one that fails is refused whole.
import { z } from "zod";
import { base64Length, LIST_MAX, TEXT_MAX } from "@/agent/protocol";
import {
  VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
  VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
  VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
  VIR_DOMAIN_REBOOT_GUEST_AGENT,
  VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
  VIR_IP_ADDR_TYPE_IPV6,
  decodeTypedParams,
  type Connection,
  type TypedParams,
  type protocol,
} from "../libvirt";

export type QgaConnection = Pick<
  Connection,
  "domainGetGuestInfo" | "domainInterfaceAddresses" | "qemuDomainAgentCommand" | "domainShutdownFlags" | "domainReboot"
>;
type Dom = protocol.NonnullDomain;

export interface QgaAddress {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
}

export interface QgaInterface {
  name: string;
  mac: string | null;
  addresses: QgaAddress[];
}

export interface QgaFilesystem {
  mountpoint: string;
  /** The guest's device name, e.g. sda1. */
  device: string | null;
  fstype: string | null;
  totalBytes: number | null;
  usedBytes: number | null;
  /** Host-side disk aliases or guest device paths backing it. */
  disks: string[];
}

export interface QgaOs {
  id: string | null;
  name: string | null;
  prettyName: string | null;
  version: string | null;
  versionId: string | null;
  kernelRelease: string | null;
  kernelVersion: string | null;
  machine: string | null;
}

export interface QgaUser {
  user: string;
  domain: string | null;
  loginTime: string | null;
}

/** What virDomainGetGuestInfo returned; a group is null when qemu-ga did not answer it. */
export interface QgaGuestInfo {
  hostname: string | null;
  os: QgaOs | null;
  timezone: { name: string | null; offsetSeconds: number | null } | null;
  users: QgaUser[] | null;
  filesystems: QgaFilesystem[] | null;
  interfaces: QgaInterface[] | null;
  /** A list was longer than its bound and only its first entries were read. */
  truncated: boolean;
}

/** Disks behind one file system (an LVM volume or a RAID set spans several). */
const DISKS_PER_FILESYSTEM = 64;

const tokenText = z.string().max(TEXT_MAX.token);
const nameText = z.string().max(TEXT_MAX.name);
const pathText = z.string().max(TEXT_MAX.path);

const qgaAddress = z.object({ family: z.enum(["ipv4", "ipv6"]), address: tokenText, prefix: z.number().int().min(0).max(128) });
const qgaInterface = z.object({ name: nameText, mac: tokenText.nullable(), addresses: z.array(qgaAddress).max(LIST_MAX.addressesPerInterface) });
const qgaInterfaces = z.array(qgaInterface).max(LIST_MAX.interfaces);
const byteCount = z.number().nonnegative().nullable();

/** The shape a guest info answer must have before anything uses it. */
export const qgaGuestInfoSchema = z.object({
  hostname: z.string().max(TEXT_MAX.hostname).nullable(),
  os: z
    .object({
      id: nameText.nullable(),
      name: nameText.nullable(),
      prettyName: nameText.nullable(),
      version: nameText.nullable(),
      versionId: nameText.nullable(),
      kernelRelease: nameText.nullable(),
      kernelVersion: nameText.nullable(),
      machine: tokenText.nullable(),
    })
    .nullable(),
  timezone: z.object({ name: nameText.nullable(), offsetSeconds: z.number().int().min(-86_400).max(86_400).nullable() }).nullable(),
  users: z
    .array(z.object({ user: nameText, domain: nameText.nullable(), loginTime: z.string().nullable() }))
    .max(LIST_MAX.sessions)
    .nullable(),
  filesystems: z
    .array(
      z.object({
        mountpoint: pathText,
        device: pathText.nullable(),
        fstype: tokenText.nullable(),
        totalBytes: byteCount,
        usedBytes: byteCount,
        disks: z.array(pathText).max(DISKS_PER_FILESYSTEM),
      }),
    )
    .max(LIST_MAX.filesystems)
    .nullable(),
  interfaces: qgaInterfaces.nullable(),
  truncated: z.boolean(),
});

/** qemu-ga answered something that does not have the expected shape or bounds. */
export class QgaReplyError extends Error {
  override readonly name = "QgaReplyError";
}

/** `value` checked against `schema`, or a QgaReplyError naming the first problem. */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new QgaReplyError(`qemu-guest-agent's ${what} was refused${where}: ${issue?.message ?? "invalid"}`);
}

function text(params: TypedParams, key: string): string | null {
  const value = params[key];
  return typeof value === "string" ? value : null;
}

function num(params: TypedParams, key: string): number | null {
  const value = params[key];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return null;
}

/** A list's length as the guest claims it, and how many entries of it are read. */
interface Counted {
  claimed: number;
  read: number;
}

function count(params: TypedParams, key: string, max: number): Counted | null {
  const n = num(params, key);
  if (n === null) return null;
  const claimed = Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
  return { claimed, read: Math.min(claimed, max) };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A login time in milliseconds since the epoch, when it is one a Date can hold. */
function isoTime(ms: number | null): string | null {
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Reads virDomainGetGuestInfo's typed parameters (documented key by key in libvirt-domain.c),
 * each list up to its bound, and checks the result's shape and string lengths. Pure; throws
 * QgaReplyError when the answer is out of bounds.
 */
export function parseGuestInfo(params: TypedParams): QgaGuestInfo {
  let truncated = false;
  const countOf = (key: string, max: number): number | null => {
    const counted = count(params, key, max);
    if (counted && counted.claimed > counted.read) truncated = true;
    return counted?.read ?? null;
  };
  const hasPrefix = (prefix: string) => Object.keys(params).some((k) => k.startsWith(prefix));

  const os: QgaOs | null = hasPrefix("os.")
    ? {
        id: text(params, "os.id"),
        name: text(params, "os.name"),
        prettyName: text(params, "os.pretty-name"),
        version: text(params, "os.version"),
        versionId: text(params, "os.version-id"),
        kernelRelease: text(params, "os.kernel-release"),
        kernelVersion: text(params, "os.kernel-version"),
        machine: text(params, "os.machine"),
      }
    : null;

  const timezone = hasPrefix("timezone.") ? { name: text(params, "timezone.name"), offsetSeconds: num(params, "timezone.offset") } : null;

  const userCount = countOf("user.count", LIST_MAX.sessions);
  const users =
    userCount === null
      ? null
      : range(userCount).map((i) => ({
          user: text(params, `user.${i}.name`) ?? "",
          domain: text(params, `user.${i}.domain`),
          loginTime: isoTime(num(params, `user.${i}.login-time`)),
        }));

  const fsCount = countOf("fs.count", LIST_MAX.filesystems);
  const filesystems =
    fsCount === null
      ? null
      : range(fsCount).map((i) => {
          const p = `fs.${i}.`;
          const disks = range(countOf(`${p}disk.count`, DISKS_PER_FILESYSTEM) ?? 0)
            .map((d) => text(params, `${p}disk.${d}.alias`) ?? text(params, `${p}disk.${d}.device`))
            .filter((d): d is string => d !== null);
          return {
            mountpoint: text(params, `${p}mountpoint`) ?? "",
            device: text(params, `${p}name`),
            fstype: text(params, `${p}fstype`),
            totalBytes: num(params, `${p}total-bytes`),
            usedBytes: num(params, `${p}used-bytes`),
            disks,
          };
        });

  const ifCount = countOf("if.count", LIST_MAX.interfaces);
  const interfaces =
    ifCount === null
      ? null
      : range(ifCount).map((i) => {
          const p = `if.${i}.`;
          const addresses = range(countOf(`${p}addr.count`, LIST_MAX.addressesPerInterface) ?? 0).flatMap((a): QgaAddress[] => {
            const address = text(params, `${p}addr.${a}.addr`);
            if (!address) return [];
            const type = text(params, `${p}addr.${a}.type`);
            return [{ family: type === "ipv6" ? "ipv6" : "ipv4", address, prefix: num(params, `${p}addr.${a}.prefix`) ?? 0 }];
          });
          return { name: text(params, `${p}name`) ?? "", mac: text(params, `${p}hwaddr`), addresses };
        });

  const info = { hostname: text(params, "hostname"), os, timezone, users, filesystems, interfaces, truncated };
  return checked(qgaGuestInfoSchema, info, "guest info");
}

/** Everything qemu-ga tells libvirt about the guest. Types 0 = every group qemu-ga supports; unsupported ones are skipped. */
export async function qgaGuestInfo(conn: QgaConnection, dom: Dom): Promise<QgaGuestInfo> {
  return parseGuestInfo(decodeTypedParams(await conn.domainGetGuestInfo({ dom, types: 0, flags: 0 })));
}

export type AddressSource = "qga" | "lease" | "arp";

/**
 * libvirt's interface list as our shape, each list up to its bound (the agent source is the
 * guest's word; libvirt allows 2,048 interfaces of 2,048 addresses). Pure; throws QgaReplyError
 * when a string is out of bounds.
 */
export function fromDomainInterfaces(ifaces: readonly protocol.DomainInterface[]): QgaInterface[] {
  const list = ifaces.slice(0, LIST_MAX.interfaces).map((i) => ({
    name: i.name,
    mac: i.hwaddr,
    addresses: i.addrs
      .slice(0, LIST_MAX.addressesPerInterface)
      .map((a) => ({ family: a.type === VIR_IP_ADDR_TYPE_IPV6 ? ("ipv6" as const) : ("ipv4" as const), address: a.addr, prefix: a.prefix })),
  }));
  return checked(qgaInterfaces, list, "interface list");
}

/**
 * The VM's interfaces and addresses: from qemu-ga when it answers, else from libvirt's DHCP
 * leases, else from the host's ARP table. Null when none of them knows anything.
 */
export async function interfaceAddresses(
  conn: QgaConnection,
  dom: Dom,
  { useAgent = true } = {},
): Promise<{ source: AddressSource; interfaces: QgaInterface[] } | null> {
  const sources: [AddressSource, number][] = [
    ...(useAgent ? ([["qga", VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT]] as [AddressSource, number][]) : []),
    ["lease", VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE],
    ["arp", VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP],
  ];
  for (const [source, code] of sources) {
    const ifaces = await conn.domainInterfaceAddresses({ dom, source: code, flags: 0 }).catch(() => null);
    if (!ifaces || !ifaces.some((i) => i.addrs.length > 0)) continue;
    const interfaces = withinBounds(ifaces);
    if (interfaces) return { source, interfaces };
  }
  return null;
}

export interface QgaCommandOptions<T> {
  timeoutS?: number;
  /** What the `return` value must be; without it the value is handed back unchecked (scripts, tests). */
  result?: z.ZodType<T>;
}

/** An interface list out of bounds counts as no answer: the next source may know. */
function withinBounds(ifaces: readonly protocol.DomainInterface[]): QgaInterface[] | null {
  try {
    return fromDomainInterfaces(ifaces);
  } catch (err) {
    if (err instanceof QgaReplyError) return null;
    throw err;
  }
}

/** Runs one qemu-ga command through libvirt and returns its `return` value, checked against `result`. */
export async function qgaCommand<T = unknown>(
  conn: QgaConnection,
  dom: Dom,
  execute: string,
  args?: Record<string, unknown>,
  { timeoutS = 10, result }: QgaCommandOptions<T> = {},
): Promise<T> {
  const cmd = JSON.stringify(args ? { execute, arguments: args } : { execute });
  const reply = await conn.qemuDomainAgentCommand({ dom, cmd, timeout: timeoutS, flags: 0 });
  const value = returnValue(reply);
  return result ? checked(result, value, `answer to ${execute}`) : (value as T);
}

/** The `return` member of qemu-ga's reply (libvirt has already checked that it is JSON). */
function returnValue(reply: string | null): unknown {
  if (reply === null) return undefined;
  const parsed: unknown = JSON.parse(reply);
  return typeof parsed === "object" && parsed !== null ? (parsed as { return?: unknown }).return : undefined;
}

export async function qgaPing(conn: QgaConnection, dom: Dom): Promise<void> {
  await qgaCommand(conn, dom, "guest-ping");
}

/** Orderly shutdown by qemu-ga (libvirt's agent mode). */
export async function qgaShutdown(conn: QgaConnection, dom: Dom): Promise<void> {
  await conn.domainShutdownFlags({ dom, flags: VIR_DOMAIN_SHUTDOWN_GUEST_AGENT });
}

export async function qgaReboot(conn: QgaConnection, dom: Dom): Promise<void> {
  await conn.domainReboot({ dom, flags: VIR_DOMAIN_REBOOT_GUEST_AGENT });
}

/** qemu-ga's guest-file-* commands: open, write or read in chunks, close. For transfers where our agent is absent (and for comparison). */
export const QGA_CHUNK_BYTES = 64 * 1024;
/** qgaReadFile stops with an error past this many bytes, whatever the guest says about eof. */
export const QGA_READ_MAX_BYTES = 256 * 1024 * 1024;

const fileHandle = z.number().int().nonnegative();
const written = z.object({ count: z.number().int().nonnegative() });

/** One guest-file-read answer: at most the bytes asked for, and `count` says how many. */
function readChunk(chunkBytes: number) {
  return z
    .object({ count: z.number().int().min(0).max(chunkBytes), "buf-b64": z.string().max(base64Length(chunkBytes)), eof: z.boolean() })
    .refine((chunk) => Buffer.byteLength(chunk["buf-b64"], "base64") === chunk.count, "buf-b64 does not hold `count` bytes");
}

export async function qgaWriteFile(conn: QgaConnection, dom: Dom, path: string, data: Buffer, chunkBytes = QGA_CHUNK_BYTES): Promise<void> {
  const handle = await qgaCommand(conn, dom, "guest-file-open", { path, mode: "w" }, { result: fileHandle });
  try {
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      const chunk = data.subarray(offset, offset + chunkBytes);
      const { count } = await qgaCommand(conn, dom, "guest-file-write", { handle, "buf-b64": chunk.toString("base64") }, { result: written });
      if (count !== chunk.length) throw new Error(`guest-file-write wrote ${count} of ${chunk.length} bytes at ${offset}`);
    }
  } finally {
    await qgaCommand(conn, dom, "guest-file-close", { handle });
  }
}

export async function qgaReadFile(conn: QgaConnection, dom: Dom, path: string, chunkBytes = QGA_CHUNK_BYTES, maxBytes = QGA_READ_MAX_BYTES): Promise<Buffer> {
  const handle = await qgaCommand(conn, dom, "guest-file-open", { path, mode: "r" }, { result: fileHandle });
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const chunk = await qgaCommand(conn, dom, "guest-file-read", { handle, count: chunkBytes }, { result: readChunk(chunkBytes) });
      total += chunk.count;
      if (total > maxBytes) throw new QgaReplyError(`guest-file-read of ${path}: more than ${maxBytes} bytes`);
      if (chunk.count > 0) parts.push(Buffer.from(chunk["buf-b64"], "base64"));
      if (chunk.eof || chunk.count === 0) break;
    }
  } finally {
    await qgaCommand(conn, dom, "guest-file-close", { handle });
  }
  return Buffer.concat(parts);
}

const seeked = z.object({ position: z.number().int().nonnegative(), eof: z.boolean() });

/** Opens `path`, runs `use` on the handle, and closes it whatever happens: each chunk call stands alone, so no handle outlives a request. */
async function withQgaFile<T>(conn: QgaConnection, dom: Dom, path: string, mode: "r" | "w" | "r+", use: (handle: number) => Promise<T>): Promise<T> {
  const handle = await qgaCommand(conn, dom, "guest-file-open", { path, mode }, { result: fileHandle });
  try {
    return await use(handle);
  } finally {
    await qgaCommand(conn, dom, "guest-file-close", { handle });
  }
}

/**
 * One chunk of `path` at `offset` through qemu-ga, with the file's size (qemu-ga has no stat:
 * a seek to the end tells it). Stateless, so a browser that goes away leaves no handle open.
 */
export async function qgaReadChunk(
  conn: QgaConnection,
  dom: Dom,
  path: string,
  offset: number,
  length = QGA_CHUNK_BYTES,
): Promise<{ data: Buffer; size: number; eof: boolean }> {
  return withQgaFile(conn, dom, path, "r", async (handle) => {
    const { position: size } = await qgaCommand(conn, dom, "guest-file-seek", { handle, offset: 0, whence: "end" }, { result: seeked });
    await qgaCommand(conn, dom, "guest-file-seek", { handle, offset, whence: "set" }, { result: seeked });
    const chunk = await qgaCommand(conn, dom, "guest-file-read", { handle, count: length }, { result: readChunk(length) });
    return { data: Buffer.from(chunk["buf-b64"], "base64"), size, eof: offset + chunk.count >= size };
  });
}

/** Writes one chunk at `offset` through qemu-ga: offset 0 creates or truncates the file, later offsets write in place. */
export async function qgaWriteChunk(conn: QgaConnection, dom: Dom, path: string, offset: number, data: Buffer): Promise<{ bytesWritten: number }> {
  return withQgaFile(conn, dom, path, offset === 0 ? "w" : "r+", async (handle) => {
    if (offset > 0) await qgaCommand(conn, dom, "guest-file-seek", { handle, offset, whence: "set" }, { result: seeked });
    const { count } = await qgaCommand(conn, dom, "guest-file-write", { handle, "buf-b64": data.toString("base64") }, { result: written });
    if (count !== data.length) throw new QgaReplyError(`guest-file-write wrote ${count} of ${data.length} bytes at ${offset} of ${path}`);
    return { bytesWritten: count };
  });
}
