import { z } from "zod";
import { uuidToString, type Connection } from "../libvirt";
import type { Db } from "../db/client";
import { env } from "../config/env";
import { hostConnection } from "../hosts/connection";
import { withLibvirtContext, ServiceError } from "../errors";
import { createVolume, deleteVolume, resizeVolume, resolveVolume } from "../storage/volumes";
import { openPool } from "../storage/pools";
import { buildVolumeXml } from "../storage/xml";
import { children, child, parseXml, attr } from "../xml/codec";
import { vmNameSchema } from "./lookup";
import { MAX_TAGS, TAG_PATTERN } from "./tags";
import { cloudInitSchema, createSeedVolume } from "./cloud-init";
import { buildDomainXml, type DiskSpec, type NicSpec } from "./xml";

const objectName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, . _ - (starting with a letter or digit)");
const absolutePath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, "an absolute path")
  .refine((p) => !p.split("/").includes(".."), "no .. segments");
const bus = z.enum(["virtio", "sata", "scsi"]).default("virtio");
const GIB = 1024 ** 3;

export const createVmSchema = z.object({
  hostId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  name: vmNameSchema,
  title: z.string().max(128).optional(),
  description: z.string().max(4096).optional(),
  vcpus: z.number().int().min(1).max(64),
  memoryMiB: z.number().int().min(64).max(1024 * 1024),
  firmware: z.enum(["bios", "uefi"]).default("bios"),
  secureBoot: z.boolean().default(false),
  tpm: z.boolean().default(false),
  disks: z
    .array(
      z.discriminatedUnion("source", [
        z.object({ source: z.literal("new"), pool: objectName, sizeGiB: z.number().positive().max(65536), format: z.enum(["qcow2", "raw"]).default("qcow2"), bus }),
        z.object({ source: z.literal("existing"), pool: objectName, volume: objectName, bus }),
      ]),
    )
    .max(8)
    .default([]),
  install: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("none") }),
      z.object({ kind: z.literal("iso"), pool: objectName, volume: objectName }),
      /** A cloud image becomes the first disk: copied from the base volume, then grown to `sizeGiB`. */
      z.object({
        kind: z.literal("cloudImage"),
        pool: objectName,
        volume: objectName,
        sizeGiB: z.number().positive().max(65536),
        bus,
        /** First-boot settings (user, SSH keys, hostname) handed to cloud-init on a NoCloud seed image. */
        cloudInit: cloudInitSchema.optional(),
      }),
      z.object({ kind: z.literal("kernel"), kernel: absolutePath, initrd: absolutePath.optional(), cmdline: z.string().max(4096).regex(/^[^\0\n]*$/).optional() }),
    ])
    .default({ kind: "none" }),
  network: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("none") }),
      z.object({ kind: z.literal("network"), name: objectName }),
      z.object({ kind: z.literal("bridge"), name: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "an interface name") }),
      z.object({ kind: z.literal("user") }),
    ])
    .default({ kind: "network", name: "default" }),
  graphics: z.enum(["vnc", "none"]).default("vnc"),
  tags: z.array(z.string().regex(TAG_PATTERN)).max(MAX_TAGS).default([]),
  autostart: z.boolean().default(false),
  start: z.boolean().default(false),
  /** Where the serial console is also logged, for headless guests (an absolute path on the host). */
  serialLogFile: absolutePath.optional(),
});
export type CreateVmSpec = z.infer<typeof createVmSchema>;

/** KVM when the host offers it (and KVMM_DOMAIN_TYPE does not say otherwise), else TCG emulation. */
async function domainType(conn: Connection): Promise<"kvm" | "qemu"> {
  const wanted = env().KVMM_DOMAIN_TYPE;
  if (wanted !== "auto") return wanted;
  const caps = parseXml(await conn.connectGetCapabilities(), "host capabilities");
  const guests = children(child(caps, "capabilities"), "guest");
  const kvm = guests.some((g) => children(child(g, "arch"), "domain").some((d) => attr(d, "type") === "kvm"));
  return kvm ? "kvm" : "qemu";
}

interface Created {
  pool: string;
  volume: string;
}

/** Copies a base image into a new volume of the same pool (libvirt converts the format if needed). */
async function copyCloudImage(db: Db, hostId: string, spec: Extract<CreateVmSpec["install"], { kind: "cloudImage" }>, name: string) {
  const { conn, pool } = await openPool(db, hostId, spec.pool);
  await withLibvirtContext(`volume "${spec.pool}/${name}" on host "${hostId}"`, async () => {
    const base = await conn.storageVolLookupByName({ pool, name: spec.volume });
    await conn.storageVolCreateXmlFrom({ pool, xml: buildVolumeXml({ name, capacityBytes: 1, format: "qcow2" }), clonevol: base, flags: 0 });
  });
  await resizeVolume(db, hostId, spec.pool, name, Math.round(spec.sizeGiB * GIB));
}

async function prepareDisks(db: Db, spec: CreateVmSpec, created: Created[]): Promise<DiskSpec[]> {
  const disks: DiskSpec[] = [];
  const attach = async (pool: string, volume: string, diskBus: DiskSpec["bus"], device: DiskSpec["device"]) => {
    const v = await resolveVolume(db, spec.hostId, pool, volume);
    disks.push({ path: v.path, diskType: v.diskType, format: v.format === "qcow2" ? "qcow2" : "raw", bus: diskBus, device });
  };
  if (spec.install.kind === "cloudImage") {
    const name = `${spec.name}-root.qcow2`;
    await copyCloudImage(db, spec.hostId, spec.install, name);
    created.push({ pool: spec.install.pool, volume: name });
    await attach(spec.install.pool, name, spec.install.bus, "disk");
    if (spec.install.cloudInit) {
      const seed = await createSeedVolume(db, spec.hostId, spec.install.pool, spec.name, spec.install.cloudInit);
      created.push({ pool: spec.install.pool, volume: seed });
      await attach(spec.install.pool, seed, "sata", "cdrom");
    }
  }
  for (const [i, d] of spec.disks.entries()) {
    if (d.source === "new") {
      const name = `${spec.name}-disk${i}.${d.format === "qcow2" ? "qcow2" : "img"}`;
      await createVolume(db, spec.hostId, d.pool, { name, format: d.format, capacityBytes: Math.round(d.sizeGiB * GIB) });
      created.push({ pool: d.pool, volume: name });
      await attach(d.pool, name, d.bus, "disk");
    } else {
      await attach(d.pool, d.volume, d.bus, "disk");
    }
  }
  if (spec.install.kind === "iso") await attach(spec.install.pool, spec.install.volume, "sata", "cdrom");
  return disks;
}

function nics(spec: CreateVmSpec): NicSpec[] {
  const n = spec.network;
  if (n.kind === "none") return [];
  if (n.kind === "network") return [{ kind: "network", network: n.name, model: "virtio" }];
  if (n.kind === "bridge") return [{ kind: "bridge", bridge: n.name, model: "virtio" }];
  return [{ kind: "user", model: "virtio" }];
}

/**
 * Creates a VM from the wizard's choices: new disks first, then the definition; if anything fails,
 * the volumes this call created are removed again, so a failed attempt leaves nothing behind.
 */
export async function createVm(db: Db, spec: CreateVmSpec) {
  const { host, conn } = hostConnection(db, spec.hostId);
  const context = `VM "${spec.name}" on host "${host.id}"`;
  if (spec.secureBoot && spec.firmware !== "uefi") throw new ServiceError(`${context}: secure boot needs UEFI firmware`, "invalid");
  const clash = await conn.domainLookupByName({ name: spec.name }).catch(() => null);
  if (clash) throw new ServiceError(`${context}: a VM with this name already exists`, "conflict");
  const created: Created[] = [];
  try {
    const disks = await prepareDisks(db, spec, created);
    const xml = buildDomainXml({
      name: spec.name,
      title: spec.title,
      description: spec.description,
      domainType: await withLibvirtContext(context, () => domainType(conn)),
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      firmware: spec.firmware,
      secureBoot: spec.secureBoot,
      kernelBoot: spec.install.kind === "kernel" ? spec.install : undefined,
      disks,
      nics: nics(spec),
      graphics: spec.graphics,
      tpm: spec.tpm,
      serialLogFile: spec.serialLogFile,
      tags: spec.tags,
    });
    const dom = await withLibvirtContext(context, () => conn.domainDefineXmlFlags({ xml, flags: 0 }));
    created.length = 0; // from here on the volumes belong to a defined VM and must stay
    await withLibvirtContext(`${context} was created, but`, async () => {
      if (spec.autostart) await conn.domainSetAutostart({ dom, autostart: 1 });
      if (spec.start) await conn.domainCreateWithFlags({ dom, flags: 0 });
    });
    return { context, uuid: uuidToString(dom.uuid), name: dom.name };
  } catch (err) {
    for (const v of created) await deleteVolume(db, spec.hostId, v.pool, v.volume).catch(() => undefined);
    throw err;
  }
}
