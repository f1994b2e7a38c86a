// Stock qemu-guest-agent, reached through libvirt: libvirtd owns the org.qemu.guest_agent.0
// channel and exposes what it reads from it (virDomainGetGuestInfo, virDomainInterfaceAddresses)
// and a raw command pass-through (virDomainQemuAgentCommand).
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

function count(params: TypedParams, key: string): number | null {
  const n = num(params, key);
  return n === null ? null : Math.max(0, Math.min(n, 10_000));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Reads virDomainGetGuestInfo's typed parameters (documented key by key in libvirt-domain.c). Pure. */
export function parseGuestInfo(params: TypedParams): QgaGuestInfo {
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

  const timezone = hasPrefix("timezone.")
    ? { name: text(params, "timezone.name"), offsetSeconds: num(params, "timezone.offset") }
    : null;

  const userCount = count(params, "user.count");
  const users =
    userCount === null
      ? null
      : range(userCount).map((i) => {
          const loginMs = num(params, `user.${i}.login-time`);
          return {
            user: text(params, `user.${i}.name`) ?? "",
            domain: text(params, `user.${i}.domain`),
            loginTime: loginMs === null ? null : new Date(loginMs).toISOString(),
          };
        });

  const fsCount = count(params, "fs.count");
  const filesystems =
    fsCount === null
      ? null
      : range(fsCount).map((i) => {
          const p = `fs.${i}.`;
          const disks = range(count(params, `${p}disk.count`) ?? 0)
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

  const ifCount = count(params, "if.count");
  const interfaces =
    ifCount === null
      ? null
      : range(ifCount).map((i) => {
          const p = `if.${i}.`;
          const addresses = range(count(params, `${p}addr.count`) ?? 0).flatMap((a): QgaAddress[] => {
            const address = text(params, `${p}addr.${a}.addr`);
            if (!address) return [];
            const type = text(params, `${p}addr.${a}.type`);
            return [{ family: type === "ipv6" ? "ipv6" : "ipv4", address, prefix: num(params, `${p}addr.${a}.prefix`) ?? 0 }];
          });
          return { name: text(params, `${p}name`) ?? "", mac: text(params, `${p}hwaddr`), addresses };
        });

  return { hostname: text(params, "hostname"), os, timezone, users, filesystems, interfaces };
}

/** Everything qemu-ga tells libvirt about the guest. Types 0 = every group qemu-ga supports; unsupported ones are skipped. */
export async function qgaGuestInfo(conn: QgaConnection, dom: Dom): Promise<QgaGuestInfo> {
  return parseGuestInfo(decodeTypedParams(await conn.domainGetGuestInfo({ dom, types: 0, flags: 0 })));
}

export type AddressSource = "qga" | "lease" | "arp";

/** libvirt's interface list as our shape. Pure. */
export function fromDomainInterfaces(ifaces: readonly protocol.DomainInterface[]): QgaInterface[] {
  return ifaces.map((i) => ({
    name: i.name,
    mac: i.hwaddr,
    addresses: i.addrs.map((a) => ({ family: a.type === VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4", address: a.addr, prefix: a.prefix })),
  }));
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
    if (ifaces && ifaces.some((i) => i.addrs.length > 0)) return { source, interfaces: fromDomainInterfaces(ifaces) };
  }
  return null;
}

/** Runs one qemu-ga command through libvirt and returns its `return` value. */
export async function qgaCommand<T = unknown>(
  conn: QgaConnection,
  dom: Dom,
  execute: string,
  args?: Record<string, unknown>,
  { timeoutS = 10 } = {},
): Promise<T> {
  const cmd = JSON.stringify(args ? { execute, arguments: args } : { execute });
  const reply = await conn.qemuDomainAgentCommand({ dom, cmd, timeout: timeoutS, flags: 0 });
  if (reply === null) return undefined as T;
  return (JSON.parse(reply) as { return: T }).return;
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

export async function qgaWriteFile(conn: QgaConnection, dom: Dom, path: string, data: Buffer, chunkBytes = QGA_CHUNK_BYTES): Promise<void> {
  const handle = await qgaCommand<number>(conn, dom, "guest-file-open", { path, mode: "w" });
  try {
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      const chunk = data.subarray(offset, offset + chunkBytes);
      const { count: written } = await qgaCommand<{ count: number }>(conn, dom, "guest-file-write", {
        handle,
        "buf-b64": chunk.toString("base64"),
      });
      if (written !== chunk.length) throw new Error(`guest-file-write wrote ${written} of ${chunk.length} bytes at ${offset}`);
    }
  } finally {
    await qgaCommand(conn, dom, "guest-file-close", { handle });
  }
}

export async function qgaReadFile(conn: QgaConnection, dom: Dom, path: string, chunkBytes = QGA_CHUNK_BYTES): Promise<Buffer> {
  const handle = await qgaCommand<number>(conn, dom, "guest-file-open", { path, mode: "r" });
  const parts: Buffer[] = [];
  try {
    for (;;) {
      const chunk = await qgaCommand<{ count: number; "buf-b64": string; eof: boolean }>(conn, dom, "guest-file-read", {
        handle,
        count: chunkBytes,
      });
      if (chunk.count > 0) parts.push(Buffer.from(chunk["buf-b64"], "base64"));
      if (chunk.eof || chunk.count === 0) break;
    }
  } finally {
    await qgaCommand(conn, dom, "guest-file-close", { handle });
  }
  return Buffer.concat(parts);
}
