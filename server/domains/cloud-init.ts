import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
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
  /** Plain text in the seed image, which stays in the pool: prefer SSH keys. */
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

/**
 * user-data as JSON under the #cloud-config line: JSON is valid YAML, and JSON.stringify escapes
 * every value, so nothing a user types can add keys or commands to the guest's configuration.
 */
export function buildUserData(spec: CloudInitSpec, fallbackHostname: string): string {
  const user: Record<string, unknown> = {
    name: spec.username,
    groups: ["sudo", "wheel"],
    shell: "/bin/bash",
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    lock_passwd: spec.password === undefined,
    ssh_authorized_keys: spec.sshAuthorizedKeys,
  };
  if (spec.password !== undefined) user.plain_text_passwd = spec.password;
  const config = {
    hostname: spec.hostname ?? fallbackHostname,
    manage_etc_hosts: true,
    users: [user],
    ssh_pwauth: spec.password !== undefined,
    package_update: false,
  };
  return `#cloud-config\n${JSON.stringify(config, null, 2)}\n`;
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
export async function createSeedVolume(host: ResolvedHost, pool: string, vmName: string, spec: CloudInitSpec): Promise<string> {
  const hostname = spec.hostname ?? vmName.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 63);
  const dir = await mkdtemp(join(tmpdir(), "kvmm-cidata-"));
  try {
    const iso = await writeSeedIso(dir, buildUserData(spec, hostname), buildMetaData(vmName, hostname));
    const { size } = await stat(iso);
    const name = seedVolumeName(vmName);
    await createVolume(host, pool, { name, format: "raw", capacityBytes: size });
    await uploadVolume(host, pool, name, createReadStream(iso), { length: size });
    return name;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
