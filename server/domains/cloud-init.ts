import { execFile, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { ResolvedHost } from "../hosts/connection";
import { ServiceError } from "../errors";
import { createVolume, uploadVolume } from "../storage/volumes";

const run = promisify(execFile);

export const cloudInitSchema = z.object({
  hostname: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, "a hostname: letters, digits and dashes")
    .optional(),
  username: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Linux user name")
    .default("admin"),
  /** Hashed on the server (SHA-512 crypt) before it goes into the seed image, which stays in the pool. */
  password: z.string().min(8).max(256).optional(),
  sshAuthorizedKeys: z
    .array(
      z
        .string()
        .trim()
        .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\n]*)?$/, "an OpenSSH public key line"),
    )
    .max(16)
    .default([]),
});
export type CloudInitSpec = z.infer<typeof cloudInitSchema>;

/** What a seed's user-data is built from: every secret already hashed, the user's own document already parsed. */
export interface SeedSpec {
  hostname: string;
  username: string;
  /** A crypt(3) hash ($6$…); null: password login stays locked. */
  passwordHash: string | null;
  sshAuthorizedKeys: string[];
  /** The user's #cloud-config mapping (parseUserData), under the generated keys. */
  userData?: Record<string, unknown>;
}

/** What a caller hands the seed builder: a password to hash, or a hash as it is, and optional user-data text. */
export interface SeedInput {
  hostname?: string;
  username: string;
  password?: string;
  passwordHash?: string;
  sshAuthorizedKeys: string[];
  userData?: string;
}

/**
 * SHA-512 crypt ($6$, a random salt) of a password by `openssl passwd -6 -stdin`: the password goes
 * in on stdin, never on a command line another process could read in /proc.
 */
export function hashPassword(password: string, field = "password"): Promise<string> {
  // openssl reads one password per line: a line break would cut the password short.
  if (/[\r\n\0]/.test(password)) return Promise.reject(new ServiceError("a password cannot contain a line break", "invalid", { field }));
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", ["passwd", "-6", "-stdin"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", (e) => reject(new ServiceError(`cannot hash the password (is openssl installed?): ${e.message}`, "unavailable", { cause: e })));
    child.on("close", (code) => {
      const hash = out.trim();
      if (code === 0 && /^\$6\$[^\s]+$/.test(hash)) resolve(hash);
      else reject(new ServiceError(`cannot hash the password: openssl exited with ${code}: ${err.trim().slice(0, 200)}`, "unavailable"));
    });
    child.stdin.end(`${password}\n`);
  });
}

/**
 * The user's #cloud-config document as a mapping. A syntax error or anything but a mapping is a
 * field error on `field`, in plain words with the line and column.
 */
export function parseUserData(text: string, field = "cloudInit.userData"): Record<string, unknown> {
  if (!text.trim()) return {};
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : "";
    const what = first.message.replace(/ at line \d+, column \d+[\s\S]*$/, "").trim();
    throw new ServiceError(`user-data is not valid YAML${where}: ${what}`, "invalid", { field });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ServiceError(`user-data cannot be read: ${(err as Error).message}`, "invalid", { field, cause: err });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ServiceError(
      `user-data must be a mapping of cloud-config keys (such as "packages:"), not ${Array.isArray(value) ? "a list" : "a single value"}`,
      "invalid",
      {
        field,
      },
    );
  }
  return value as Record<string, unknown>;
}

/** Hashes the password (if any) and parses the user-data: what buildUserData needs, with nothing secret left in plain text. */
export async function resolveSeedSpec(input: SeedInput, fallbackHostname: string, fieldPrefix = "cloudInit"): Promise<SeedSpec> {
  const userData = parseUserData(input.userData ?? "", `${fieldPrefix}.userData`);
  const passwordField = `${fieldPrefix}.password`;
  const passwordHash = input.passwordHash ?? (input.password !== undefined ? await hashPassword(input.password, passwordField) : null);
  return { hostname: input.hostname ?? fallbackHostname, username: input.username, passwordHash, sshAuthorizedKeys: input.sshAuthorizedKeys, userData };
}

/**
 * user-data as JSON under the #cloud-config line: JSON is valid YAML, and JSON.stringify escapes
 * every value, so nothing a user types can add keys or commands to the guest's configuration. The
 * generated keys win over the same keys of the user's mapping; the first user is prepended to its
 * `users` list. An `fqdn` of the user's that names another host is dropped (cloud-init would
 * otherwise set that name instead of `hostname`).
 */
export function buildUserData(spec: SeedSpec): string {
  const user: Record<string, unknown> = {
    name: spec.username,
    groups: ["sudo", "wheel"],
    shell: "/bin/bash",
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    lock_passwd: spec.passwordHash === null,
    ssh_authorized_keys: spec.sshAuthorizedKeys,
  };
  if (spec.passwordHash !== null) user.passwd = spec.passwordHash;
  const base = { ...(spec.userData ?? {}) };
  if (typeof base.fqdn === "string" && !base.fqdn.toLowerCase().startsWith(`${spec.hostname.toLowerCase()}.`)) delete base.fqdn;
  const theirUsers = Array.isArray(base.users) ? (base.users as unknown[]).filter((u) => !(isRecord(u) && u.name === spec.username)) : [];
  const config = {
    package_update: false,
    ...base,
    hostname: spec.hostname,
    manage_etc_hosts: true,
    users: [user, ...theirUsers],
    ssh_pwauth: spec.passwordHash !== null ? true : (base.ssh_pwauth ?? false),
  };
  return `#cloud-config\n${JSON.stringify(config, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function buildMetaData(instanceId: string, hostname: string): string {
  return `${JSON.stringify({ "instance-id": instanceId, "local-hostname": hostname }, null, 2)}\n`;
}

/** A NoCloud seed: an ISO 9660 image labelled "cidata" holding user-data and meta-data. */
async function writeSeedIso(dir: string, userData: string, metaData: string): Promise<string> {
  await writeFile(join(dir, "user-data"), userData, { mode: 0o600 });
  await writeFile(join(dir, "meta-data"), metaData, { mode: 0o600 });
  const iso = join(dir, "seed.iso");
  try {
    await run("xorriso", ["-as", "mkisofs", "-quiet", "-volid", "cidata", "-joliet", "-rock", "-o", iso, join(dir, "user-data"), join(dir, "meta-data")]);
  } catch (err) {
    throw new ServiceError(`cannot build the cloud-init seed image (is xorriso installed?): ${(err as Error).message}`, "unavailable", { cause: err });
  }
  return iso;
}

export function seedVolumeName(vmName: string): string {
  return `${vmName}-cidata.iso`;
}

/** Builds the seed image and stores it as a volume of the pool; returns the volume's name. */
export async function createSeedVolume(host: ResolvedHost, pool: string, vmName: string, input: SeedInput, fieldPrefix?: string): Promise<string> {
  return writeSeedVolume(host, pool, vmName, await resolveSeedSpec(input, defaultHostname(vmName), fieldPrefix));
}

/** The seed image of a resolved spec (password already hashed), stored as `<vm>-cidata.iso` in the pool; returns the volume's name. */
export async function writeSeedVolume(host: ResolvedHost, pool: string, vmName: string, spec: SeedSpec): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kvmm-cidata-"));
  try {
    const iso = await writeSeedIso(dir, buildUserData(spec), buildMetaData(vmName, spec.hostname));
    const { size } = await stat(iso);
    const name = seedVolumeName(vmName);
    await createVolume(host, pool, { name, format: "raw", capacityBytes: size });
    await uploadVolume(host, pool, name, createReadStream(iso), { length: size });
    return name;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A VM's name as a hostname: what a name allows that a hostname does not becomes a dash. */
export function defaultHostname(vmName: string): string {
  return (
    vmName
      .replace(/[^A-Za-z0-9-]/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 63) || "vm"
  );
}
