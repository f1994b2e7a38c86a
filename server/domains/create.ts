import { z } from "zod";
import { LibvirtError, uuidToString, VIR_ERR_NO_SUPPORT, type Connection } from "../libvirt";
import { env } from "../config/env";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { createVolume, deleteNewVolume, resizeVolume, resolveVolume } from "../storage/volumes";
import { openPool } from "../storage/pools";
import { buildVolumeXml } from "../storage/xml";
import { hostIdSchema, nameSchema } from "../identifiers";
import { poolNameSchema, volumeNameSchema } from "../storage/schemas";
import { MAX_TAGS, TAG_PATTERN } from "./tags";
import { cloudInitSchema, createSeedVolume } from "./cloud-init";
import { buildDomainXml, type DiskSpec, type NicSpec } from "./xml";
import {
  ACCELERATORS,
  capabilitiesOfferKvm,
  cpuRefusal,
  cpuSchema,
  defaultAccelerator,
  defaultCpu,
  parseDomainCapabilitiesCpus,
  PORTABLE_CPU_MODEL,
  type Accelerator,
  type AcceleratorCpus,
  type ProcessorOptions,
} from "./processor";

const absolutePath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, "an absolute path")
  .refine((p) => !p.split("/").includes(".."), "no .. segments");
const bus = z.enum(["virtio", "sata", "scsi"]).default("virtio");
const GIB = 1024 ** 3;

export const createVmSchema = z.object({
  hostId: hostIdSchema,
  name: nameSchema,
  title: z.string().max(128).optional(),
  description: z.string().max(4096).optional(),
  vcpus: z.number().int().min(1).max(64),
  memoryMiB: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024),
  /** KVM or emulation (TCG); absent: KVMM_DOMAIN_TYPE, else KVM when the host offers it. */
  accelerator: z.enum(ACCELERATORS).optional(),
  /** The CPU the guest sees; absent: the host's own with KVM, qemu64 with emulation. */
  cpu: cpuSchema.optional(),
  firmware: z.enum(["bios", "uefi"]).default("bios"),
  secureBoot: z.boolean().default(false),
  tpm: z.boolean().default(false),
  disks: z
    .array(
      z.discriminatedUnion("source", [
        z.object({
          source: z.literal("new"),
          pool: poolNameSchema,
          sizeGiB: z.number().positive().max(65536),
          format: z.enum(["qcow2", "raw"]).default("qcow2"),
          bus,
        }),
        z.object({ source: z.literal("existing"), pool: poolNameSchema, volume: volumeNameSchema, bus }),
      ]),
    )
    .max(8)
    .default([]),
  install: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("none") }),
      z.object({ kind: z.literal("iso"), pool: poolNameSchema, volume: volumeNameSchema }),
      /** A cloud image becomes the first disk: copied from the base volume, then grown to `sizeGiB`. */
      z.object({
        kind: z.literal("cloudImage"),
        pool: poolNameSchema,
        volume: volumeNameSchema,
        sizeGiB: z.number().positive().max(65536),
        bus,
        /** First-boot settings (user, SSH keys, hostname) handed to cloud-init on a NoCloud seed image. */
        cloudInit: cloudInitSchema.optional(),
      }),
      z.object({
        kind: z.literal("kernel"),
        kernel: absolutePath,
        initrd: absolutePath.optional(),
        cmdline: z
          .string()
          .max(4096)
          .regex(/^[^\0\n]*$/)
          .optional(),
      }),
    ])
    .default({ kind: "none" }),
  network: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("none") }),
      z.object({ kind: z.literal("network"), name: nameSchema }),
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

/**
 * What the host offers a new VM's processor: each accelerator it can run (emulation always; KVM
 * when its capabilities list it), the CPUs each can provide, and the defaults the form preselects.
 */
export async function readProcessorOptions(host: ResolvedHost): Promise<ProcessorOptions> {
  const { conn } = host;
  return withLibvirtContext(host.context, async () => {
    const kvm = capabilitiesOfferKvm(await conn.connectGetCapabilities());
    const offered: Accelerator[] = kvm ? ["kvm", "qemu"] : ["qemu"];
    const accelerators = await Promise.all(
      offered.map(async (accelerator) => {
        const cpus = await acceleratorCpus(conn, accelerator);
        return { accelerator, cpus, defaultCpu: defaultCpu(cpus) };
      }),
    );
    const wanted = defaultAccelerator(env().KVMM_DOMAIN_TYPE, kvm);
    return { accelerators, defaultAccelerator: offered.includes(wanted) ? wanted : "qemu" };
  });
}

/**
 * The CPUs the host offers an accelerator. A driver without domain capabilities (libvirt's test
 * driver) is offered the one model every QEMU can emulate.
 */
export async function acceleratorCpus(conn: Connection, accelerator: Accelerator): Promise<AcceleratorCpus> {
  try {
    return parseDomainCapabilitiesCpus(
      await conn.connectGetDomainCapabilities({ emulatorbin: null, arch: "x86_64", machine: "q35", virttype: accelerator, flags: 0 }),
    );
  } catch (err) {
    if (err instanceof LibvirtError && err.code === VIR_ERR_NO_SUPPORT) return { hostPassthrough: false, hostModel: false, models: [PORTABLE_CPU_MODEL] };
    throw err;
  }
}

/** The accelerator and CPU the VM gets: the user's choice checked against the host, or the host's defaults. */
function chooseProcessor(spec: CreateVmSpec, options: ProcessorOptions, context: string) {
  const accelerator = spec.accelerator ?? options.defaultAccelerator;
  const offer = options.accelerators.find((a) => a.accelerator === accelerator);
  if (!offer) {
    throw new ServiceError(`${context}: this host does not offer KVM acceleration; choose emulation (TCG)`, "invalid", { field: "accelerator" });
  }
  const cpu = spec.cpu ?? offer.defaultCpu;
  const refusal = cpuRefusal(accelerator, cpu, offer.cpus);
  if (refusal) throw new ServiceError(`${context}: ${refusal}`, "invalid", { field: cpu.mode === "custom" ? "cpuModel" : "cpuMode" });
  return { accelerator, cpu };
}

interface Created {
  pool: string;
  volume: string;
}

/** Copies a base image into a new volume of the same pool (libvirt converts the format if needed). */
async function copyCloudImage(host: ResolvedHost, spec: Extract<CreateVmSpec["install"], { kind: "cloudImage" }>, name: string) {
  const { conn, pool } = await openPool(host, spec.pool);
  await withLibvirtContext(auditTargets.volume(host.id, spec.pool, name), async () => {
    const base = await conn.storageVolLookupByName({ pool, name: spec.volume });
    await conn.storageVolCreateXmlFrom({ pool, xml: buildVolumeXml({ name, capacityBytes: 1, format: "qcow2" }), clonevol: base, flags: 0 });
  });
  await resizeVolume(host, spec.pool, name, Math.round(spec.sizeGiB * GIB));
}

async function prepareDisks(host: ResolvedHost, spec: CreateVmSpec, created: Created[]): Promise<DiskSpec[]> {
  const disks: DiskSpec[] = [];
  const attach = async (pool: string, volume: string, diskBus: DiskSpec["bus"], device: DiskSpec["device"]) => {
    const v = await resolveVolume(host, pool, volume);
    disks.push({ path: v.path, diskType: v.diskType, format: v.format === "qcow2" ? "qcow2" : "raw", bus: diskBus, device });
  };
  if (spec.install.kind === "cloudImage") {
    const name = `${spec.name}-root.qcow2`;
    await copyCloudImage(host, spec.install, name);
    created.push({ pool: spec.install.pool, volume: name });
    await attach(spec.install.pool, name, spec.install.bus, "disk");
    if (spec.install.cloudInit) {
      const seed = await createSeedVolume(host, spec.install.pool, spec.name, spec.install.cloudInit, "install.cloudInit");
      created.push({ pool: spec.install.pool, volume: seed });
      await attach(spec.install.pool, seed, "sata", "cdrom");
    }
  }
  for (const [i, d] of spec.disks.entries()) {
    if (d.source === "new") {
      const name = `${spec.name}-disk${i}.${d.format === "qcow2" ? "qcow2" : "img"}`;
      await createVolume(host, d.pool, { name, format: d.format, capacityBytes: Math.round(d.sizeGiB * GIB) });
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
/**
 * What the host can never give a VM: more vCPUs than it has CPUs, more memory than it has. Such a
 * VM was defined and then failed only at start, with QEMU's words. (Less than the free memory is
 * not required: memory overcommit is legal, and what is free changes by the minute.)
 */
async function assertHostCanRun(host: ResolvedHost, spec: CreateVmSpec, context: string): Promise<void> {
  const node = await withLibvirtContext(context, () => host.conn.nodeGetInfo());
  if (spec.vcpus > node.cpus) {
    throw new ServiceError(`${context}: ${spec.vcpus} vCPUs is more than this host has; it has ${node.cpus} CPUs`, "invalid", { field: "vcpus" });
  }
  const hostMiB = Math.floor(Number(node.memory) / 1024);
  if (spec.memoryMiB > hostMiB) {
    throw new ServiceError(`${context}: ${spec.memoryMiB} MiB of memory is more than this host has; it has ${hostMiB} MiB`, "invalid", { field: "memoryMiB" });
  }
}

export async function createVm(host: ResolvedHost, spec: CreateVmSpec) {
  const { conn } = host;
  const context = auditTargets.vm(host.id, spec.name);
  if (spec.secureBoot && spec.firmware !== "uefi") throw new ServiceError(`${context}: secure boot needs UEFI firmware`, "invalid");
  await assertHostCanRun(host, spec, context);
  const processor = chooseProcessor(spec, await readProcessorOptions(host), context);
  const clash = await conn.domainLookupByName({ name: spec.name }).catch(() => null);
  if (clash) throw new ServiceError(`${context}: a VM with this name already exists`, "conflict", { field: "name" });
  const created: Created[] = [];
  try {
    const disks = await prepareDisks(host, spec, created);
    const xml = buildDomainXml({
      name: spec.name,
      title: spec.title,
      description: spec.description,
      domainType: processor.accelerator,
      cpu: processor.cpu,
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
    for (const v of created) await deleteNewVolume(host, v.pool, v.volume).catch(() => undefined);
    throw err;
  }
}
