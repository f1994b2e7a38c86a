import { z } from "zod";
import { nameSchema } from "@/server/identifiers";
import { poolNameSchema } from "@/server/storage/schemas";
import type { TemplateState } from "./kinds";

/**
 * Templates (server/templates/): the shapes the router, the service and the pages share. See
 * README.md for what each operation does; this file holds no server code, so client components
 * import it too.
 */

export const templateIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "a template id is 16 hex digits");

/** "Make template" of a shut-off VM: its writable disks are copied into `pool`; the VM is left as it was. */
export const createTemplateInput = z.object({
  name: nameSchema,
  description: z.string().trim().max(500).default(""),
  pool: poolNameSchema,
});

/** Largest user-data a deploy accepts (the editor's text): cloud-init reads it from a small ISO. */
export const USER_DATA_MAX_CHARS = 64 * 1024;

/**
 * Per-deploy cloud-init (a NoCloud seed attached as a CD-ROM). The password is sent once over
 * HTTPS and only its SHA-512 crypt hash goes into the seed; a pasted hash is used as it is.
 * `userData` is a #cloud-config document the user wrote: it must parse as YAML to a mapping, and
 * the fields above it win over the same keys in it (README.md, "Cloud-init").
 */
export const deployCloudInitSchema = z
  .object({
    hostname: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, "a hostname: letters, digits and dashes")
      .optional(),
    username: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Linux user name")
      .default("admin"),
    password: z.string().min(8).max(256).optional(),
    passwordHash: z
      .string()
      .regex(/^\$(6|5|y|2[aby])\$[./A-Za-z0-9$=,-]{8,200}$/, "a crypt(3) hash such as $6$…")
      .optional(),
    sshAuthorizedKeys: z
      .array(
        z
          .string()
          .trim()
          .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\n]*)?$/, "an OpenSSH public key line"),
      )
      .max(16)
      .default([]),
    userData: z.string().max(USER_DATA_MAX_CHARS).default(""),
  })
  .refine((c) => c.password === undefined || c.passwordHash === undefined, { message: "give a password or a hash, not both", path: ["passwordHash"] });
export type DeployCloudInit = z.infer<typeof deployCloudInitSchema>;

export const DEPLOY_MODES = ["linked", "full"] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];

export const deployTemplateInput = z.object({
  id: templateIdSchema,
  /** The new VM's name (unique on the template's host). */
  name: nameSchema,
  /** linked: a qcow2 overlay on the template's disk (seconds, the template must stay); full: an independent copy. */
  mode: z.enum(DEPLOY_MODES),
  /** Where the new VM's disks (and its cloud-init seed) go; a pool of the template's host. */
  pool: poolNameSchema,
  start: z.boolean().default(false),
  cloudInit: deployCloudInitSchema.optional(),
});

export { TEMPLATE_STATES, type TemplateState } from "./kinds";

export interface TemplateDisk {
  /** The disk's target in the template's definition (vda…). */
  target: string;
  volume: string;
  path: string;
  format: string;
  capacityBytes: number;
  allocationBytes: number;
}

/** A template as the wire carries it (dates as ISO strings). */
export interface TemplateInfo {
  id: string;
  hostId: string;
  name: string;
  description: string;
  /** The VM it was made from, by the name it had then. */
  sourceVm: string;
  pool: string;
  state: TemplateState;
  /** Why it failed (state failed), in the service's words. */
  error: string | null;
  vcpus: number;
  memoryMiB: number;
  disks: TemplateDisk[];
  createdAt: string;
  /** Who made it (the username stays if the account goes). */
  createdBy: string | null;
  /** The task that copied its disks. */
  taskId: string | null;
}

/** Something that reads a template's disk as its backing file: a VM's disk, or a volume no VM uses. */
export interface TemplateUser {
  kind: "vm" | "volume";
  /** VM: its name; volume: its path. */
  name: string;
  uuid: string | null;
}

export interface TemplateDetail extends TemplateInfo {
  users: TemplateUser[];
}
