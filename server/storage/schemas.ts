import { z } from "zod";
import { nameSchema } from "../identifiers";
import { DISK_BUSES, NETFS_FORMATS, VOLUME_FORMATS } from "./xml";

/** Input validation for storage: every name, path and size the API accepts is bounded here. */

export const poolNameSchema = nameSchema;
/** Volume names never hold a slash, so a volume is always a file directly in its pool. */
export const volumeNameSchema = nameSchema;

export const MiB = 1024 ** 2;
export const TiB = 1024 ** 4;
/** 1 MiB to 64 TiB, in bytes. */
export const volumeSizeSchema = z
  .number()
  .int()
  .min(MiB, "at least 1 MiB")
  .max(64 * TiB, "at most 64 TiB");

// Paths: absolute, normalised, plain characters only, and never a system directory.
const PATH_CHARS = /^\/[A-Za-z0-9._+\-/]{0,254}$/;
/** These directories and everything under them never hold a pool. */
const FORBIDDEN_TREES = [
  "/proc",
  "/sys",
  "/dev",
  "/etc",
  "/boot",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/usr",
  "/run",
  "/var/run",
  "/root",
  "/var/lib/libvirt/qemu",
  "/var/log",
  "/var/lib/dpkg",
  "/var/lib/apt",
];
/** These directories themselves are not pools (their subdirectories may be). */
const FORBIDDEN_EXACT = ["/", "/var", "/var/lib", "/var/lib/libvirt", "/var/cache", "/home", "/tmp", "/var/tmp", "/mnt", "/media", "/srv", "/opt"];

function normalised(path: string): boolean {
  if (path !== "/" && path.endsWith("/")) return false;
  return path
    .split("/")
    .slice(1)
    .every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

export const absolutePathSchema = z
  .string()
  .regex(PATH_CHARS, "an absolute path of letters, digits and . _ + - / (at most 255 characters)")
  .refine(normalised, "a normalised path: no empty, '.' or '..' segments and no trailing slash");

/** Where a dir or netfs pool lives on the host: not a system directory. */
export const poolPathSchema = absolutePathSchema.refine(
  (path) => !FORBIDDEN_EXACT.includes(path) && !FORBIDDEN_TREES.some((tree) => path === tree || path.startsWith(`${tree}/`)),
  "a directory of its own, not a system directory (/etc, /usr, /dev, /var/lib/libvirt/qemu …) or a top-level one (/, /tmp, /home …)",
);

const blockDeviceSchema = absolutePathSchema.refine((p) => p.startsWith("/dev/") && p.length > 5, "a block device under /dev/");
const vgNameSchema = z.string().regex(/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,63}$/, "a volume group name: letters, digits and + _ . -");
const remoteHostSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, "a host name or IPv4 address");

export const poolSpecSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("dir"), name: poolNameSchema, path: poolPathSchema }),
  z.object({
    type: z.literal("logical"),
    name: poolNameSchema,
    vgName: vgNameSchema,
    devices: z.array(blockDeviceSchema).max(16).default([]),
  }),
  z.object({
    type: z.literal("netfs"),
    name: poolNameSchema,
    host: remoteHostSchema,
    sourcePath: absolutePathSchema,
    format: z.enum(NETFS_FORMATS).default("auto"),
    path: poolPathSchema,
  }),
]);
export type PoolSpecInput = z.input<typeof poolSpecSchema>;

export const volumeFormatSchema = z.enum(VOLUME_FORMATS);
export const diskBusSchema = z.enum(DISK_BUSES);
export const diskTargetSchema = z.string().regex(/^(vd|sd)[a-z]$/, "a disk target such as vdb or sdc");
/** Any drive of a VM, the CD-ROMs and floppies of older definitions included (hdc, fda). */
export const driveTargetSchema = z.string().regex(/^(vd|sd|hd|fd)[a-z]{1,2}$/, "a drive such as vda, sdb or hdc");
const macSchema = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "a MAC address such as 52:54:00:12:34:56");
export const bootDeviceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("disk"), target: driveTargetSchema }),
  z.object({ kind: z.literal("nic"), mac: macSchema }),
]);

/** A pool or volume of the host a hostProcedure resolved. */
export const poolRefSchema = z.object({ pool: poolNameSchema });
export const volumeRefSchema = poolRefSchema.extend({ volume: volumeNameSchema });

export const volumeCreateSchema = z.object({
  name: volumeNameSchema,
  format: volumeFormatSchema.default("qcow2"),
  capacityBytes: volumeSizeSchema,
  /** Allocate the whole size now: it must fit in the pool's free space. */
  preallocate: z.boolean().default(false),
});
export type VolumeCreateInput = z.input<typeof volumeCreateSchema>;

/** A SHA-256 as `sha256sum` prints it (either case); empty means "do not check". */
export const sha256Schema = z
  .string()
  .trim()
  .regex(/^([0-9a-fA-F]{64})?$/, "a SHA-256: 64 hexadecimal digits, as sha256sum prints it")
  .transform((v) => (v === "" ? undefined : v.toLowerCase()));

/** A browser upload, declared before its bytes: the size is checked against the pool's free space. */
export const uploadStartSchema = z.object({
  name: volumeNameSchema,
  sizeBytes: z
    .number()
    .int()
    .min(1, "the file is empty")
    .max(64 * TiB, "at most 64 TiB"),
  /** The file's name on the user's computer, shown while it uploads. */
  fileName: z.string().min(1).max(255),
  sha256: sha256Schema.optional(),
});

export const urlDownloadSchema = z.object({
  name: volumeNameSchema,
  url: z.string().trim().min(1).max(2048, "at most 2048 characters"),
  sha256: sha256Schema.optional(),
});

export const transferIdSchema = z.string().regex(/^[0-9a-f]{32}$/, "a transfer id");
